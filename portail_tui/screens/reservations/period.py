"""Holiday leisure centre (R3): booked by period — a whole holiday or one of its weeks —
inside the period's booking window. Space adds the period to the cart (or cancels a
booked one); Échap returns to the calendar."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from portail_tui.domain.money import format_amount
from portail_tui.domain.period_labels import name_within
from portail_tui.screens.reservations.choices import ChoiceDialog, styled
from portail_tui.services.booking import Cart, PeriodOption, period_view, toggle_period
from portail_tui.widgets.keybar import KeyBar


class PeriodDialog(ChoiceDialog):
    MESSAGE_ID = "#period-message"
    DETAIL_ID = "#period-detail"

    CSS_PATH = "period.tcss"

    def __init__(self, cart: Cart, child_id: int, child_name: str, options: list[PeriodOption]) -> None:
        super().__init__()
        self.cart = cart
        self.child_id = child_id
        self.child_name = child_name
        self.options = options

    def compose(self) -> ComposeResult:
        with Vertical(id="period-box"):
            yield Static(f"Centre de loisirs des vacances — inscription par période — {self.child_name}",
                         id="period-title")
            table: DataTable[Text] = DataTable(id="period-table", cursor_type="row")
            table.add_columns("", "Période", "Dates", "Inscriptions", "Tarif", "Places", "État")
            yield table
            yield Static("", id="period-detail")
            yield Static("", id="period-message")
            yield Static("Espace : choisir ou retirer la période · Échap : revenir au calendrier"
                         " · V : valider", classes="hint")
        yield KeyBar()

    def on_mount(self) -> None:
        # Textual also runs ChoiceDialog.on_mount (every class's handler in the MRO runs).
        if not self.options:
            self.query_one("#period-message", Static).update("Aucune période de vacances à venir.")

    def rows(self) -> Iterable[tuple[str, Sequence[Text]]]:
        labels = {popt.period.id: popt.period.label for popt in self.options}
        for popt in self.options:
            p = popt.period
            view = period_view(self.cart, self.child_id, popt)
            inner = name_within(p.label, labels.get(p.parent_id) if p.parent_id is not None else None)
            label = p.label if inner is None else f"   {inner}"
            if len(label) > 34:
                label = label[:33] + "…"
            price = format_amount(popt.price_cents) if popt.price_cents is not None else "—"
            places = "illimité" if popt.places.left is None else f"{popt.places.left}"
            dates = f"{p.first_day:%d/%m} → {p.last_day:%d/%m}"
            window = f"{p.booking_opens:%d/%m} → {p.booking_closes:%d/%m}"
            cells = [view.mark, label, dates, window, price, places, view.status]
            yield str(p.id), styled(cells, self.choice_style(view))

    def detail(self, index: int) -> str:
        popt = self.options[index]
        view = period_view(self.cart, self.child_id, popt)
        price = f"{format_amount(popt.price_cents)} — " if popt.price_cents is not None else ""
        status = view.status
        if popt.covered_by and not view.available:
            status = f"déjà inscrit : {popt.covered_by}"
        elif not popt.book.ok and not view.selected:
            status = popt.book.reason
        return f"{popt.when} : {status} — {price}{popt.window}."

    def toggle(self, index: int) -> str | None:
        return toggle_period(self.cart, self.child_id, self.child_name, self.options[index])
