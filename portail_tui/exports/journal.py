"""The cash-day journal (and its closing) as a `Report`, for the CSV and PDF renderers.

Built here, once, from a `domain.cash_entries.DayJournal` (read by `services.cashdesk`), so the
file written from the screen and the one from `portail export journal` are the same.
"""

from __future__ import annotations

from datetime import date, datetime

from portail_tui.domain.cash_entries import DayJournal, JournalEntry
from portail_tui.domain.frdates import format_date_long
from portail_tui.domain.money import format_amount
from portail_tui.exports.files import export_filename
from portail_tui.exports.tables import Column, Report, ReportTable


def journal_filename(day: date, ext: str) -> str:
    """"journal-caisse-2026-11-28.pdf"."""
    return export_filename("journal-caisse", None, day.isoformat(), ext)


def entry_remark(e: JournalEntry) -> str:
    parts = []
    if e.reverses_receipt is not None:
        parts.append(f"annule la quittance n° {e.reverses_receipt}")
    if e.reversed_by_receipt is not None:
        parts.append(f"annulée par la quittance n° {e.reversed_by_receipt}")
    if e.mode == "cheque" and e.cheque_number:
        parts.append(f"chèque n° {e.cheque_number}")
    if e.reference and e.mode != "cheque":
        parts.append(f"réf. {e.reference}")
    if e.reason:
        parts.append(e.reason)
    return " — ".join(parts)


def journal_report(journal: DayJournal, *, edited_at: datetime, counted_cents: int | None = None) -> Report:
    """The journal of a day: entries, totals by mode, cheques to deposit, cash check.

    `counted_cents` (the cash the agent counted before the régisseur signs) shows the
    difference on a day not yet closed; a closed day shows its recorded closing."""
    entries = ReportTable(
        columns=[
            Column("N°", "int", width=0.8),
            Column("Heure", width=0.8),
            Column("Famille", width=2.6),
            Column("Opération", width=1.5),
            Column("Mode", width=1.5),
            Column("Montant", "amount", width=1.3),
            Column("Agent", width=1.6),
            Column("Observation", width=3.2),
        ],
        rows=[
            [e.receipt_number, e.time_text, f"{e.family_number_text} {e.family_name}", e.kind_label,
             e.mode_label, e.amount_cents, e.agent, entry_remark(e)]
            for e in journal.entries
        ],
        totals=[["Total de la journée", None, None, None, None, journal.total_cents, None, None]],
    )
    totals = ReportTable(
        columns=[
            Column("Mode de règlement", width=3),
            Column("Écritures", "int", width=1.2),
            Column("Encaissements", "amount", width=1.6),
            Column("Annulations et remboursements", "amount", width=2.4),
            Column("Net", "amount", width=1.6),
        ],
        rows=[[t.label, t.count, t.payments_cents, t.corrections_cents, t.net_cents] for t in journal.totals],
        totals=[["Total", sum(t.count for t in journal.totals), sum(t.payments_cents for t in journal.totals),
                 sum(t.corrections_cents for t in journal.totals), journal.total_cents]],
    )
    cheques = ReportTable(
        columns=[
            Column("Quittance", "int", width=1.0),
            Column("N° de chèque", width=1.4),
            Column("Banque", width=2.0),
            Column("Tireur", width=2.2),
            Column("Famille", width=2.4),
            Column("Montant", "amount", width=1.3),
        ],
        rows=[[c.receipt_number, c.cheque_number or "", c.cheque_bank or "", c.cheque_drawer or "",
               f"{c.family_number_text} {c.family_name}", c.amount_cents] for c in journal.cheques],
        totals=[[f"{len(journal.cheques)} chèque(s) à remettre", None, None, None, None,
                 journal.cheques_total_cents]],
    )
    closing = journal.closing
    if closing is not None:
        counted: int | None = closing.counted_cash_cents
        expected = closing.expected_cash_cents
    else:
        counted = counted_cents
        expected = journal.expected_cash_cents
    cash_rows: list[list[object]] = [["Espèces attendues (journal)", expected]]
    if counted is not None:
        cash_rows.append(["Espèces comptées", counted])
        cash_rows.append(["Écart (compté − attendu)", counted - expected])
    cash = ReportTable(columns=[Column("Caisse", width=4), Column("Montant", "amount", width=1.5)], rows=cash_rows)
    notes = []
    if closing is not None:
        notes.append(
            f"Journée clôturée le {closing.closed_at.strftime('%d/%m/%Y à %H:%M')} par {closing.closed_by}"
            f" (régisseur). Écart : {format_amount(closing.difference_cents)}."
        )
        if closing.note:
            notes.append(f"Observation : {closing.note}")
    else:
        notes.append("Journée non clôturée : ce journal est provisoire.")
    notes.append(f"Signature du régisseur ({journal.regisseur_name}) :" if journal.regisseur_name
                 else "Signature du régisseur :")
    return Report(
        title="Journal de caisse",
        regie=journal.regie_name,
        edited_at=edited_at,
        subtitle="Arrêté de caisse" if closing is not None else "Provisoire",
        period_label=f"Journée du {format_date_long(journal.day)}",
        tables=[
            ("Écritures de la journée", entries),
            ("Totaux par mode de règlement", totals),
            ("Chèques à remettre en banque", cheques),
            ("Contrôle de la caisse (espèces)", cash),
        ],
        notes=notes,
    )
