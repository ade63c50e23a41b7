"""Récapitulatif (R10): every pending addition and cancellation, one per line, each
removable (Suppr, the guide's red cross); Annuler drops everything; Échap returns to
the calendar; Valider records the lot in one transaction and shows what happened to
each line (recorded, waiting list, refused and why)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from portail_tui.domain.frdates import capitalize_first
from portail_tui.domain.money import format_amount
from portail_tui.screens.base import Dialog
from portail_tui.screens.reservations.choices import confirm_drop, refill
from portail_tui.services.booking import BOOK, Cart, CartResult, validate_cart
from portail_tui.services.context import Context, ServiceError
from portail_tui.widgets.keybar import KeyBar

OUTCOME_WORDS = {
    "confirmed": ("✓ enregistrée", "bold green"),
    "waiting": ("⧗ liste d'attente", "bold #e67e22"),
    "cancelled": ("✓ annulée", "bold green"),
    "refused": ("✗ refusée", "bold red"),
}


class RecapDialog(Dialog[CartResult | None]):
    """Dismisses with the result of Valider, or None (closed, or everything dropped)."""

    CSS_PATH = "recap.tcss"

    BINDINGS = [
        Binding("v", "validate", "Valider"),
        Binding("delete", "remove", "Retirer la ligne"),
        Binding("x", "remove", "Retirer", show=False),
        Binding("a", "drop_all", "Annuler tout"),
        Binding("escape", "close", "Fermer"),
    ]

    def __init__(self, ctx: Context, cart: Cart,
                 price_notice: Callable[[list[date]], str | None] | None = None) -> None:
        super().__init__()
        self.ctx = ctx
        self.cart = cart
        self.price_notice = price_notice  # the quotient's end, for the booked days
        self.result: CartResult | None = None
        self.busy = False

    def compose(self) -> ComposeResult:
        with Vertical(id="recap-box"):
            yield Static("Récapitulatif des demandes", id="recap-title")
            table: DataTable[Text] = DataTable(id="recap-table", cursor_type="row")
            table.add_columns("Enfant", "Date", "Activité", "Demande", "Tarif", "Remarque")
            yield table
            yield Static("", id="recap-status")
        yield KeyBar()

    def on_mount(self) -> None:
        self._fill()
        self.query_one(DataTable).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (self.result is not None and action in ("validate", "remove", "drop_all"))

    def _fill(self) -> None:
        refill(self.query_one(DataTable), self._rows())
        books, cancels = self.cart.counts()
        total = sum(line.price_cents or 0 for line in self.cart.lines() if line.action == BOOK)
        status = self.query_one("#recap-status", Static)
        if not self.cart:
            status.update("Plus aucune demande. Échap : revenir au calendrier.")
            return
        text = Text(f"{books} réservation(s), {cancels} annulation(s) — montant des réservations :"
                    f" {format_amount(total)}.\n")
        days = [d for line in self.cart.lines() if line.action == BOOK
                for d in ([line.day] if line.day else [line.span[0]] if line.span else [])]
        notice = self.price_notice(days) if self.price_notice and days else None
        if notice:
            text.append(f"⚠ {notice}\n", style="bold")
        text.append("V : valider · Suppr : retirer la ligne · A : tout annuler · Échap : revenir au calendrier")
        status.update(text)

    def _rows(self) -> Iterator[tuple[str, list[Text]]]:
        for line in self.cart.lines():
            what = Text("Réservation", style="bold") if line.action == BOOK else Text("Annulation", style="bold red")
            price = format_amount(line.price_cents) if line.price_cents is not None else "—"
            yield repr(line.key), [Text(line.child_name), Text(capitalize_first(line.when)),
                                   Text(line.activity_label), what, Text(price), Text(line.note, style="italic")]

    def action_remove(self) -> None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return
        line = self.cart.lines()[table.cursor_row]
        self.cart.remove(line.key)
        self._fill()

    def action_drop_all(self) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self.cart.clear()
                self.notify("Toutes les demandes en cours sont annulées.")
                self.dismiss(None)

        confirm_drop(self.app, self.cart, answered)

    def action_close(self) -> None:
        self.dismiss(self.result)

    def action_validate(self) -> None:
        if self.busy or not self.cart:
            return
        self.busy = True
        self.query_one("#recap-status", Static).update("Enregistrement…")
        self._validate(self.cart.lines())

    @work(thread=True, exclusive=True, group="recap-validate")
    def _validate(self, lines: list) -> None:  # type: ignore[type-arg]
        try:
            result = validate_cart(self.ctx, self.cart.family_id, lines)
        except ServiceError as exc:
            self.app.call_from_thread(self._failed, exc.message)
            return
        self.app.call_from_thread(self._done, result)

    def _failed(self, message: str) -> None:
        self.busy = False
        self.query_one("#recap-status", Static).update(Text(f"Rien n'a été enregistré : {message}", style="bold red"))

    def _done(self, result: CartResult) -> None:
        self.busy = False
        self.result = result
        self.cart.clear()
        table = self.query_one(DataTable)
        table.clear(columns=True)
        table.add_columns("Enfant", "Date", "Activité", "Demande", "Résultat", "Motif")
        for o in result.outcomes:
            word, style = OUTCOME_WORDS[o.outcome]
            line = o.line
            table.add_row(Text(line.child_name), Text(capitalize_first(line.when)), Text(line.activity_label),
                          Text("Réservation" if line.action == BOOK else "Annulation"),
                          Text(word, style=style), Text(o.reason))
        self.query_one("#recap-title", Static).update("Demandes enregistrées")
        self.query_one("#recap-status", Static).update(
            Text(result.summary + "\nÉchap : revenir au calendrier.", style="bold")
        )
        self.refresh_bindings()
