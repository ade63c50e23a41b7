"""What the Paiement screen's lists draw: the family's latest entries and the Solde
section (the balance explained). Kept apart from the screen, which handles the keys
and the workers; these only turn service results into rows."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from portail_tui.domain.frdates import format_date_short, format_datetime_short
from portail_tui.domain.money import format_amount
from portail_tui.services import payments, wallet

ENTRY_COLUMNS = ("Quittance", "Date", "Opération", "Mode", "Payeur", "Montant", "Observation")
PAID_COLUMNS = ("Quittance", "Date", "Opération", "Mode", "Montant")
CONSUMED_COLUMNS = ("Date", "Prix", "Enfant", "Activité")
UPCOMING_COLUMNS = ("Date", "Prix", "Compté à partir du", "État", "Enfant", "Activité")
MAX_ENTRIES = 200


def money(cents: int, *, bold: bool = False) -> Text:
    style = "red" if cents < 0 else ""
    if bold:
        style = f"bold {style}".strip()
    return Text(format_amount(cents), style=style, justify="right")


def entry_remark(e: wallet.PaidLine) -> str:
    parts = []
    if e.reverses_receipt is not None:
        parts.append(f"annule la quittance n° {e.reverses_receipt}")
    if e.reversed_by_receipt is not None:
        parts.append(f"annulée par la quittance n° {e.reversed_by_receipt}")
    if e.reason:
        parts.append(e.reason)
    return " — ".join(parts)


def fill_entries(table: DataTable[object], entries: list[wallet.PaidLine]) -> None:
    """The latest entries, a reversed one struck through; the row key is the payment id.
    The cursor stays on the entry it was on: rows added by another agent must not move
    it onto another entry under the régisseur's F6."""
    kept = table.coordinate_to_cell_key(table.cursor_coordinate).row_key if table.row_count else None
    table.clear()
    for e in entries[:MAX_ENTRIES]:
        style = "dim strike" if e.is_reversed else ""
        table.add_row(
            str(e.receipt_number), format_datetime_short(e.created_at), payments.kind_label(e.kind),
            payments.mode_label(e.mode), Text(e.payer_name),
            Text(format_amount(e.amount_cents), justify="right",
                 style=style or ("red" if e.amount_cents < 0 else "")),
            Text(entry_remark(e), style="italic"),
            key=str(e.payment_id),
        )
    if kept is not None and kept in table.rows:
        table.move_cursor(row=table.get_row_index(kept), animate=False)
    # Lines drawn before the new rows were measured would keep header-wide columns
    # (« 29/1 », « Vire ») until the next redraw: draw again with the rows' widths.
    table.refresh(layout=True)


def solde_text(details: wallet.SoldeDetails) -> Text:
    fig = details.figures
    text = Text()
    if details.opening is not None:  # brought from the town's previous software (G8)
        text.append(f"{details.opening.label} : ")
        text.append(format_amount(details.opening.amount_cents), style="bold")
        text.append("   +   ")
    text.append("Total payé : ")
    text.append(format_amount(fig.paid_cents), style="bold")
    text.append("   −   Total consommé : ")
    text.append(format_amount(fig.consumed_cents), style="bold")
    text.append("   =   Solde : ")
    text.append(format_amount(fig.solde_cents), style="bold red" if fig.solde_cents < 0 else "bold green")
    if details.upcoming:
        text.append(f"\nDans les deux semaines, {format_amount(details.upcoming_cents)} de réservations "
                    "confirmées entreront dans le solde.")
    return text


def fill_solde(paid: DataTable[object], consumed: DataTable[object], upcoming: DataTable[object],
               details: wallet.SoldeDetails) -> None:
    paid.clear()
    for e in details.paid:
        paid.add_row(str(e.receipt_number), format_date_short(e.business_day), payments.kind_label(e.kind),
                     payments.mode_label(e.mode), money(e.amount_cents))
    consumed.clear()
    for b in details.consumed:
        consumed.add_row(format_date_short(b.day), money(b.price_cents), Text(b.child), Text(b.activity))
    upcoming.clear()
    for b in details.upcoming:
        state = "Confirmée" if b.status == "confirmed" else "En attente"
        upcoming.add_row(format_date_short(b.day), money(b.price_cents), format_date_short(b.enters_on),
                         state, Text(b.child), Text(b.activity))
