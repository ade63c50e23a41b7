"""Day dialog (R10): the day's activities with hours, this family's price, places left
and deadline (with a warning when the family's quotient has ended by that day: the
price shown is then the full tariff). Space selects or unselects (selected = orange, and "[x]" since colour is
never the only signal); exclusions apply at once (R4); Échap or F closes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from portail_tui.domain.frdates import capitalize_first
from portail_tui.domain.money import format_amount
from portail_tui.screens.reservations.choices import ChoiceDialog, styled
from portail_tui.services.booking import Cart, DayOptions, option_view, toggle
from portail_tui.widgets.keybar import KeyBar
from portail_tui.widgets.steady import SteadyStatic, SteadyVertical


class DayDialog(ChoiceDialog):
    """Edits the cart in place; the calendar redraws the day when the dialog closes.
    Dismisses with "validate" when the agent asks for the recap (V) from here.

    One dialog serves every day the agent opens (the Réservations tab keeps it,
    installed in the app): `show_day` refills it with the next day, so that opening a
    day costs a refill and a frame, not building and laying out a screen each time."""

    MESSAGE_ID = "#day-message"
    DETAIL_ID = "#day-detail"

    CSS_PATH = "day.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [Binding("f", "close", "Fermer", show=False)]

    def __init__(self, options: DayOptions, cart: Cart, quotient_notice: str | None = None) -> None:
        super().__init__()
        self.options = options
        self.cart = cart
        self.quotient_notice = quotient_notice
        self._rows_high = max(len(options.options), options.most_in_a_day)

    def compose(self) -> ComposeResult:
        # Steady: a day whose lines differ from the day before is laid out in one pass.
        with SteadyVertical(id="day-box"):
            yield SteadyStatic(self._title_text(), id="day-title")
            table: DataTable[Text] = DataTable(id="day-table", cursor_type="row", zebra_stripes=False)
            table.add_columns("", "Activité", "Horaires", "Tarif", "Places", "État", "Délai")
            self._size_list(table)
            yield table
            yield SteadyStatic("", id="day-detail")
            notice = SteadyStatic(self._quotient_text(), id="day-quotient")
            notice.display = bool(self.quotient_notice)
            yield notice
            yield SteadyStatic("", id="day-message")
            yield SteadyStatic(self._note_text(), id="day-note")
        yield KeyBar()

    def show_day(self, options: DayOptions, cart: Cart, quotient_notice: str | None = None) -> None:
        """Another day (or the same again) in this dialog, before it is pushed again;
        the first activity highlighted, as in a new dialog (ChoiceDialog.on_mount)."""
        self.options = options
        self.cart = cart
        self.quotient_notice = quotient_notice
        self.query_one("#day-title", Static).update(self._title_text())
        notice = self.query_one("#day-quotient", Static)
        notice.update(self._quotient_text())
        notice.display = bool(quotient_notice)
        self.query_one(self.MESSAGE_ID, Static).update("")
        self.query_one("#day-note", Static).update(self._note_text())
        table = self.query_one(DataTable)
        table.clear()  # the cursor back on the first line
        self._fill()
        # The list has the height of the busiest day the régie can have, from the first
        # day shown: a dialog whose size changes is laid out twice, and Textual draws
        # the second pass two frames later (a quiet day, then a busy one, cost 50 ms).
        self._rows_high = max(self._rows_high, table.row_count, options.most_in_a_day)
        self._size_list(table)
        table.focus()

    def _size_list(self, table: DataTable[Text]) -> None:
        table.styles.min_height = min(self._rows_high + 1, 14)  # + the header line; max-height in day.tcss

    def _title_text(self) -> str:
        return f"{capitalize_first(self.options.when)} — {self.options.child_name}"

    def _quotient_text(self) -> Text | str:
        return Text(f"⚠ {self.quotient_notice}", style="bold") if self.quotient_notice else ""

    def _note_text(self) -> str:
        if not self.options.options:
            return self.options.note or "Aucune activité ce jour."
        keys = ("Espace : choisir ou retirer l'activité · Échap : fermer et revenir au calendrier"
                " · V : récapitulatif et validation (rien n'est enregistré avant).")
        # Some activities closed that day by the régisseur (G6): say which, above the keys.
        return f"{self.options.note}\n{keys}" if self.options.note else keys

    def rows(self) -> Iterable[tuple[str, Sequence[Text]]]:
        for opt in self.options.options:
            view = option_view(self.cart, self.options, opt)
            price = format_amount(opt.price_cents) if opt.price_cents is not None else "—"
            cells = [view.mark, opt.rule.label, opt.rule.hours, price, opt.places_text, view.status,
                     opt.deadline_short]
            yield str(opt.activity_id), styled(cells, self.choice_style(view))

    def detail(self, index: int) -> str:
        """The highlighted activity in one sentence, deadline in words (read to the family)."""
        opt = self.options.options[index]
        view = option_view(self.cart, self.options, opt)
        places = opt.places_text
        if opt.places.full and opt.rule.waiting_list:
            places += ", liste d'attente"
        text = f"{opt.rule.label} ({opt.rule.hours}) : {view.status} — {places} — "
        text += f"réservable et annulable {opt.deadline_text}." if opt.deadline_text else ""
        return text

    def toggle(self, index: int) -> str | None:
        return toggle(self.cart, self.options, self.options.options[index].activity_id)
