"""Holiday leisure centre (R3): booked by period — a whole holiday or one of its weeks —
inside the period's booking window. Space adds the period to the cart (or cancels a
booked one); Échap returns to the calendar."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Static

from portail_tui.domain.money import format_amount
from portail_tui.screens.booking_day import FREE, SELECTED, UNAVAILABLE
from portail_tui.services.booking_cart import Cart, PeriodOption, period_view, toggle_period


class PeriodDialog(ModalScreen[str | None]):
    DEFAULT_CSS = """
    PeriodDialog { align: center middle; }
    #period-box { width: 118; max-width: 100%; height: auto; max-height: 95%; border: thick #c0392b;
                  background: $surface; padding: 0 1; }
    #period-title { text-style: bold; color: #c0392b; }
    #period-table { height: auto; max-height: 22; margin: 1 0; }
    #period-detail { height: auto; text-style: bold; }
    #period-message { height: auto; color: $warning; }
    """

    BINDINGS = [
        Binding("space", "toggle", "Choisir / retirer"),
        Binding("escape", "close", "Fermer"),
        Binding("v", "validate", "Valider…"),
    ]

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
        yield Footer()

    def on_mount(self) -> None:
        self._fill()
        self.query_one(DataTable).focus()
        if not self.options:
            self.query_one("#period-message", Static).update("Aucune période de vacances à venir.")

    def _fill(self) -> None:
        table = self.query_one(DataTable)
        row = table.cursor_row if table.row_count else 0
        table.clear()
        labels = {popt.period.id: popt.period.label for popt in self.options}
        for popt in self.options:
            p = popt.period
            view = period_view(self.cart, self.child_id, popt)
            style = SELECTED if view.selected else FREE if view.available else UNAVAILABLE
            label = p.label
            parent = labels.get(p.parent_id) if p.parent_id is not None else None
            if parent and label.startswith(parent + " — "):
                label = "   " + label[len(parent) + 3:]
            if len(label) > 34:
                label = label[:33] + "…"
            price = format_amount(popt.price_cents) if popt.price_cents is not None else "—"
            places = "illimité" if popt.places.left is None else f"{popt.places.left}"
            dates = f"{p.first_day:%d/%m} → {p.last_day:%d/%m}"
            window = f"{p.booking_opens:%d/%m} → {p.booking_closes:%d/%m}"
            cells = [view.mark, label, dates, window, price, places, view.status]
            table.add_row(*(Text(c, style=style) for c in cells), key=str(p.id))
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1))
        self._detail()

    def _detail(self) -> None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return
        popt = self.options[min(table.cursor_row, len(self.options) - 1)]
        view = period_view(self.cart, self.child_id, popt)
        price = f"{format_amount(popt.price_cents)} — " if popt.price_cents is not None else ""
        status = view.status
        if popt.covered_by and not view.available:
            status = f"déjà inscrit : {popt.covered_by}"
        elif not popt.book.ok and not view.selected:
            status = popt.book.reason
        self.query_one("#period-detail", Static).update(f"{popt.when} : {status} — {price}{popt.window}.")

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self._detail()

    def action_toggle(self) -> None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return
        popt = self.options[table.cursor_row]
        refusal = toggle_period(self.cart, self.child_id, self.child_name, popt)
        self.query_one("#period-message", Static).update(refusal or "")
        if refusal:
            self.app.bell()
        self._fill()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_validate(self) -> None:
        self.dismiss("validate")
