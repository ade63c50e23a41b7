"""Day dialog (R10): the day's activities with hours, this family's price, places left
and deadline. Space selects or unselects (selected = orange, and "[x]" since colour is
never the only signal); exclusions apply at once (R4); Échap or F closes."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Static

from portail_tui.domain.frdates import capitalize_first
from portail_tui.domain.money import format_amount
from portail_tui.services.booking_cart import Cart, DayOptions, option_view, toggle

SELECTED = "bold black on #f5a442"
FREE = "black on #8fd19e"
UNAVAILABLE = "#b0b0b0"


class DayDialog(ModalScreen[str | None]):
    """Edits the cart in place; the calendar redraws the day when the dialog closes.
    Dismisses with "validate" when the agent asks for the recap (V) from here."""

    DEFAULT_CSS = """
    DayDialog { align: center middle; }
    #day-box { width: 110; max-width: 100%; height: auto; max-height: 90%; border: thick #c0392b;
               background: $surface; padding: 0 1; }
    #day-title { text-style: bold; color: #c0392b; }
    #day-table { height: auto; max-height: 14; margin: 1 0; }
    #day-detail { height: auto; text-style: bold; }
    #day-message { height: auto; color: $warning; }
    #day-note { height: auto; color: $text-muted; }
    """

    BINDINGS = [
        Binding("space", "toggle", "Choisir / retirer"),
        Binding("escape", "close", "Fermer"),
        Binding("f", "close", "Fermer", show=False),
        Binding("v", "validate", "Valider…"),
    ]

    def __init__(self, options: DayOptions, cart: Cart) -> None:
        super().__init__()
        self.options = options
        self.cart = cart

    def compose(self) -> ComposeResult:
        with Vertical(id="day-box"):
            yield Static(f"{capitalize_first(self.options.when)} — {self.options.child_name}", id="day-title")
            table: DataTable[Text] = DataTable(id="day-table", cursor_type="row", zebra_stripes=False)
            table.add_columns("", "Activité", "Horaires", "Tarif", "Places", "État", "Délai")
            yield table
            yield Static("", id="day-detail")
            yield Static("", id="day-message")
            yield Static(self._note_text(), id="day-note")
        yield Footer()

    def _note_text(self) -> str:
        if not self.options.options:
            return self.options.note or "Aucune activité ce jour."
        return ("Espace : choisir ou retirer l'activité · Échap : fermer et revenir au calendrier"
                " · V : récapitulatif et validation (rien n'est enregistré avant).")

    def on_mount(self) -> None:
        self._fill()
        self.query_one(DataTable).focus()

    def _fill(self) -> None:
        table = self.query_one(DataTable)
        row = table.cursor_row if table.row_count else 0
        table.clear()
        for opt in self.options.options:
            view = option_view(self.cart, self.options, opt)
            if view.selected:
                style = SELECTED
            elif view.available:
                style = FREE
            else:
                style = UNAVAILABLE
            price = format_amount(opt.price_cents) if opt.price_cents is not None else "—"
            cells = [view.mark, opt.rule.label, opt.rule.hours, price, opt.places_text, view.status,
                     opt.deadline_short]
            table.add_row(*(Text(c, style=style) for c in cells), key=str(opt.activity_id))
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1))
        self._detail()

    def _detail(self) -> None:
        """The highlighted activity in one sentence, deadline in words (read to the family)."""
        table = self.query_one(DataTable)
        if not table.row_count:
            return
        opt = self.options.options[min(table.cursor_row, len(self.options.options) - 1)]
        view = option_view(self.cart, self.options, opt)
        places = opt.places_text
        if opt.places.full and opt.rule.waiting_list:
            places += ", liste d'attente"
        text = f"{opt.rule.label} ({opt.rule.hours}) : {view.status} — {places} — "
        text += f"réservable et annulable {opt.deadline_text}." if opt.deadline_text else ""
        self.query_one("#day-detail", Static).update(text)

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self._detail()

    def action_toggle(self) -> None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return
        opt = self.options.options[table.cursor_row]
        refusal = toggle(self.cart, self.options, opt.activity_id)
        self.query_one("#day-message", Static).update(refusal or "")
        if refusal:
            self.app.bell()
        self._fill()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_validate(self) -> None:
        """Straight to the recap: the calendar opens it when this dialog closes."""
        self.dismiss("validate")
