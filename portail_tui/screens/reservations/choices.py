"""What the booking dialogs share: the colours of a choice, refilling a table without
losing the agent's place, and the day and period lists' keys (Espace, Échap, V).

A selected line is orange and marked "[x]" (colour is never the only signal), a line the
agent may choose green, an unavailable one grey."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import ClassVar, Protocol

from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import App
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from portail_tui.screens.base import Dialog
from portail_tui.screens.dossier.editor import ConfirmScreen
from portail_tui.services.booking import Cart

# Component classes of the choice dialogs, coloured in app.tcss with the calendar's
# states: a chosen line in the pending orange, one that may be chosen in the open green.
SELECTED = "choice--selected"
FREE = "choice--free"
UNAVAILABLE = "choice--unavailable"


def confirm_drop(app: App[object], cart: Cart, answered: Callable[[bool | None], None]) -> None:
    """Annuler (A) throws away every pending change of the family: a slip of one key must
    not cost the agent a cart built over a phone call, so it asks first."""
    n = len(cart)
    app.push_screen(ConfirmScreen(f"Abandonner {'le changement' if n == 1 else f'les {n} changements'} ? o/n"),
                    answered)


class _ChoiceView(Protocol):
    @property
    def selected(self) -> bool: ...
    @property
    def available(self) -> bool: ...


def choice_class(view: _ChoiceView) -> str:
    return SELECTED if view.selected else FREE if view.available else UNAVAILABLE


def styled(cells: Iterable[str], style: Style) -> list[Text]:
    return [Text(c, style=style) for c in cells]


def refill(table: DataTable[Text], rows: Iterable[tuple[str, Sequence[Text]]]) -> None:
    """Replace the rows (key, cells), keeping the cursor on the same line (or the last
    one when the list got shorter): toggling a line must not send the agent to the top."""
    row = table.cursor_row if table.row_count else 0
    table.clear()
    for key, cells in rows:
        table.add_row(*cells, key=key)
    if table.row_count:
        table.move_cursor(row=min(row, table.row_count - 1))
    settle_dimensions(table)


def settle_dimensions(table: DataTable[Text]) -> None:
    """What DataTable does at its next idle moment (column widths, height of the rows),
    done now: the dialog is laid out and drawn once with its final size, not drawn then
    laid out and drawn again 20–30 ms later (an eighth of opening a day). Textual's
    own `_on_idle` code, pinned with its version in pyproject.toml."""
    if table._require_update_dimensions:
        table._require_update_dimensions = False
        new_rows = table._new_rows.copy()
        table._new_rows.clear()
        table._update_dimensions(new_rows)


class ChoiceDialog(Dialog[str | None]):
    """A list of things to book (the day's activities, the holiday periods): Espace adds
    or removes the highlighted one in the cart, a refusal rings and shows under the
    list. Dismisses with "validate" when the agent asks for the recap (V) from here.

    Subclasses set MESSAGE_ID and DETAIL_ID and implement `rows`, `detail` and `toggle`."""

    MESSAGE_ID: ClassVar[str] = ""
    DETAIL_ID: ClassVar[str] = ""
    _detail_shown = ""
    COMPONENT_CLASSES: ClassVar[set[str]] = {SELECTED, FREE, UNAVAILABLE}

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle", "Choisir / retirer"),
        Binding("escape", "close", "Fermer"),
        Binding("v", "validate", "Valider…"),
    ]

    def rows(self) -> Iterable[tuple[str, Sequence[Text]]]:
        """Override: (key, cells) per choice, in the order of the options."""
        return ()

    def detail(self, index: int) -> str:
        """Override: the highlighted choice in words (shown in DETAIL_ID)."""
        return ""

    def toggle(self, index: int) -> str | None:
        """Override: add or remove choice `index` in the cart; the refusal, if any."""
        return None

    def choice_style(self, view: _ChoiceView) -> Style:
        return self.get_component_rich_style(choice_class(view), partial=True)

    def on_mount(self) -> None:
        self._fill()
        self.query_one(DataTable).focus()

    def _fill(self) -> None:
        refill(self.query_one(DataTable), self.rows())
        self._detail()

    def _detail(self) -> None:
        """The highlighted line in words; redrawn only when they change (the table
        announces its cursor after each refill, with the same line most of the time)."""
        table = self.query_one(DataTable)
        text = self.detail(min(table.cursor_row, table.row_count - 1)) if table.row_count else ""
        if text != self._detail_shown:
            self._detail_shown = text
            self.query_one(self.DETAIL_ID, Static).update(text)

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self._detail()

    def action_toggle(self) -> None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return
        refusal = self.toggle(table.cursor_row)
        self.query_one(self.MESSAGE_ID, Static).update(refusal or "")
        if refusal:
            self.app.bell()
        self._fill()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_validate(self) -> None:
        """Straight to the recap: the calendar opens it when this dialog closes."""
        self.dismiss("validate")
