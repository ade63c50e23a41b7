"""The booking calendar: a Monday-to-Friday month grid drawn from day states (R5).

The widget computes no rule: the screen hands it the `DayCell`s the services built and
it draws them — colour, a state symbol and word, the booked letters — plus a legend
and, under the grid, the focused day's state in a sentence. Keyboard: arrows move
day by day (up/down by week), PageUp/PageDown by month, Home goes to today, Enter
opens the day. French month and day names come from the domain tables, never from
the machine locale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from portail_tui.domain.day_states import STATE_SYMBOLS, STATE_WORDS, DayCell, DayState, month_grid
from portail_tui.domain.frdates import (
    WEEKDAYS_SHORT,
    capitalize_first,
    format_date_long,
    format_month,
)
from portail_tui.widgets.compact import COMPACT_BELOW_ROWS
from portail_tui.widgets.frames import BatchHold

CELL_WIDTH = 16  # wide enough for « ▶ [28] ● en cours »
# Another month is drawn once with its states, not first empty: the frames are held
# until the screen gives them (`show_cells`), this long at most.
MONTH_HOLD_S = 0.15
MIN_CELL_WIDTH = 10  # the day, its symbol and the letters: the word is left to the legend


@dataclass(frozen=True)
class StateLook:
    """How a day state is drawn: its component class (coloured in app.tcss) and the word
    printed inside the cell (the sentence under the grid has the full one)."""

    component: str
    cell_word: str


# The one table of the states' looks; symbols and full words are the domain's.
STATE_LOOKS: dict[DayState, StateLook] = {
    DayState.OPEN: StateLook("month-calendar--open", "ouvert"),
    DayState.PENDING: StateLook("month-calendar--pending", "en cours"),
    DayState.WAITING: StateLook("month-calendar--waiting", "attente"),
    DayState.CLOSED: StateLook("month-calendar--closed", "fermé"),
    DayState.NOTHING: StateLook("month-calendar--nothing", "aucune"),
    DayState.NOT_YET_OPEN: StateLook("month-calendar--not-yet-open", "bientôt"),
}
LOADING = "month-calendar--loading"  # a day whose state is not known yet
LEGEND_NOTE = "month-calendar--legend-note"

# What the legend says about the rest of a cell: the letters of the booked activities.
LEGEND_TEXT = " R M S F W V : réservé · (S) : en liste d'attente · [n] : aujourd'hui"


def _shift_weekday(d: date, step: int) -> date:
    """Move by `step` days, stepping over Saturdays and Sundays (the grid has none)."""
    d = d + timedelta(days=step)
    direction = 1 if step >= 0 else -1
    while d.weekday() >= 5:
        d += timedelta(days=direction)
    return d


def first_weekday_on_or_after(d: date) -> date:
    while d.weekday() >= 5:
        d += timedelta(days=1)
    return d


def _add_months(d: date, months: int) -> date:
    y, m = divmod(d.year * 12 + d.month - 1 + months, 12)
    m += 1
    last = (date(y + (m == 12), m % 12 + 1, 1) - timedelta(days=1)).day
    target = date(y, m, min(d.day, last))
    # Stay inside the month when the same day number falls on a week-end.
    forward = first_weekday_on_or_after(target)
    if forward.month == m:
        return forward
    while target.weekday() >= 5:
        target -= timedelta(days=1)
    return target


class MonthCalendar(Widget, can_focus=True):
    """Month grid of one child's day states.

    It fits the terminal by itself: cells narrow to the width given (below 16 columns
    the state's word is left to the legend, the symbol stays), and on a short terminal
    (fewer than COMPACT_BELOW_ROWS rows, 80×24 over SSH) a week takes two lines instead
    of three, its lower line underlined to part the weeks, with a one-line legend."""

    DEFAULT_CSS = """
    MonthCalendar { height: auto; width: auto; padding: 0 1; }
    MonthCalendar:focus { background: $boost; }
    """
    # Coloured in app.tcss, the one place of the calendar's theme.
    COMPONENT_CLASSES = {*(look.component for look in STATE_LOOKS.values()), LOADING, LEGEND_NOTE}

    BINDINGS = [
        Binding("left", "move(-1)", "Jour précédent", show=False),
        Binding("right", "move(1)", "Jour suivant", show=False),
        Binding("up", "move(-7)", "Semaine précédente", show=False),
        Binding("down", "move(7)", "Semaine suivante", show=False),
        Binding("pageup", "month(-1)", "Mois préc."),
        Binding("pagedown", "month(1)", "Mois suiv."),
        Binding("home", "today", "Aujourd'hui", show=False),
        Binding("enter", "choose", "Ouvrir le jour"),
    ]

    cursor: reactive[date] = reactive(date(2000, 1, 3), init=False)
    shown: reactive[tuple[int, int]] = reactive((2000, 1), init=False)  # (year, month) of the grid

    class DayChosen(Message):
        """Enter on a day: the screen opens the day dialog."""

        def __init__(self, day: date) -> None:
            super().__init__()
            self.day = day

    class MonthChanged(Message):
        """The grid shows another month: the screen loads its states."""

        def __init__(self, year: int, month: int) -> None:
            super().__init__()
            self.year = year
            self.month = month

    class CursorMoved(Message):
        def __init__(self, day: date) -> None:
            super().__init__()
            self.day = day

    def __init__(self, today: date, *, id: str | None = None, hold_while_loading: bool = False) -> None:  # noqa: A002
        """`hold_while_loading`: the screen loads every month shown (MonthChanged) and
        gives its states with `show_cells`, or calls `let_frames_go` when it cannot."""
        super().__init__(id=id)
        self.today = today
        self._hold_while_loading = hold_while_loading
        self._hold: BatchHold | None = None
        start = first_weekday_on_or_after(today)
        self._cells: dict[date, DayCell] = {}
        self.caption = ""
        self._cell_width = CELL_WIDTH
        self._tight = False
        self.set_reactive(MonthCalendar.cursor, start)
        self.set_reactive(MonthCalendar.shown, (start.year, start.month))

    @property
    def year(self) -> int:
        return self.shown[0]

    @property
    def month(self) -> int:
        return self.shown[1]

    # -- data from the screen -------------------------------------------------

    def show_cells(self, year: int, month: int, weeks: Sequence[Sequence[DayCell]]) -> None:
        """Draw the states of a month; ignored if the agent already moved elsewhere."""
        if (year, month) != (self.year, self.month):
            return
        self._cells = {c.day: c for week in weeks for c in week}
        self.refresh(layout=True)
        self.let_frames_go()

    def clear_cells(self) -> None:
        self._cells = {}
        self.refresh()
        self.let_frames_go()

    def let_frames_go(self) -> None:
        """The month shown is drawn with its states, or none are coming for it (nothing
        to load, a load that failed): the frames held since it changed are let go."""
        if self._hold is not None:
            self._hold.release(repaint=False)  # the calendar and what the screen updated with it

    def on_unmount(self) -> None:
        self.let_frames_go()

    def cell(self, d: date) -> DayCell | None:
        return self._cells.get(d)

    @property
    def loaded(self) -> bool:
        return bool(self._cells)

    # -- keys -----------------------------------------------------------------

    def action_move(self, step: int) -> None:
        self.cursor = _shift_weekday(self.cursor, step)

    def action_month(self, months: int) -> None:
        """PgSuiv/PgPréc go from the month on screen, not from the cursor's: on a day of
        the next month drawn in the last week, PgSuiv shows that next month (once)."""
        year, month = self.shown
        last = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)).day
        target = _add_months(date(year, month, min(self.cursor.day, last)), months)
        self.shown = (target.year, target.month)
        self.cursor = target

    def action_today(self) -> None:
        start = first_weekday_on_or_after(self.today)
        self.shown = (start.year, start.month)
        self.cursor = start

    def action_choose(self) -> None:
        self.post_message(self.DayChosen(self.cursor))

    def watch_cursor(self, old: date, new: date) -> None:
        # A day of the neighbouring month drawn in the first or last week keeps the grid.
        if not any(new in week for week in month_grid(self.year, self.month)):
            self.shown = (new.year, new.month)
        self.post_message(self.CursorMoved(new))
        self.refresh(layout=True)

    def watch_shown(self, old: tuple[int, int], new: tuple[int, int]) -> None:
        """Another month: forget the states drawn and ask the screen for the new ones.
        Drawn at once, the grid showed the new month's days without their states, and
        drawing it (10 ms) delayed the load; the states came a frame or two later."""
        self._cells = {}
        if self._hold_while_loading and self.is_mounted and self.screen.is_current:
            if self._hold is None:
                self._hold = BatchHold(self.app)
            self._hold.start(MONTH_HOLD_S)
        self.post_message(self.MonthChanged(*new))

    # -- fitting the terminal ---------------------------------------------------

    def get_content_width(self, container: Size, viewport: Size) -> int:
        self._cell_width = max(MIN_CELL_WIDTH, min(CELL_WIDTH, container.width // 5 - 1))
        return 5 * (self._cell_width + 1)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        self._tight = viewport.height < COMPACT_BELOW_ROWS
        return super().get_content_height(container, viewport, width)

    # -- drawing --------------------------------------------------------------

    def focused_words(self) -> str:
        c = self._cells.get(self.cursor)
        if c is None:
            return f"{capitalize_first(format_date_long(self.cursor))} : chargement…"
        return c.words

    def render(self) -> Text:
        width = self._cell_width
        text = Text(no_wrap=True)
        title = capitalize_first(format_month(self.year, self.month))
        text.append(f"◀ PgPréc {title:^{width * 5 - 16}} PgSuiv ▶\n", style="bold")
        for name in WEEKDAYS_SHORT[:5]:
            text.append(f"{name:^{width}}", style="bold")
            text.append(" ")
        text.append("\n")
        for week in month_grid(self.year, self.month):
            top = Text(no_wrap=True)
            bottom = Text(no_wrap=True)
            for d in week:
                self._draw_cell(d, top, bottom)
            text.append_text(top)
            text.append("\n")
            text.append_text(bottom)
            text.append("\n" if self._tight else "\n\n")
        text.append_text(self.legend())
        text.append("\n")
        text.append_text(_flow([Text(part, style="bold") for part in self.focused_words().split(" — ")],
                               5 * (width + 1), separator=" — "))
        if self.caption and not self._tight:
            text.append("\n")
            text.append_text(_flow([Text(part, style="italic") for part in self.caption.split(" · ")],
                                   5 * (width + 1), separator=" · "))
        return text

    def _draw_cell(self, d: date, top: Text, bottom: Text) -> None:
        width = self._cell_width
        c = self._cells.get(d)
        focused = d == self.cursor
        number = f"[{d.day}]" if d == self.today else f"{d.day}"
        marker = "▶" if focused else " "
        if c is None:
            style = self._look(LOADING)
            line1 = f"{marker}{number:>4}  …"
            line2 = ""
        else:
            look = STATE_LOOKS[c.state]
            style = self._look(look.component)
            word = f" {look.cell_word}" if width >= CELL_WIDTH else ""
            line1 = f"{marker}{number:>4} {c.symbol}{word}"
            line2 = f"      {c.letters}"
            if not c.in_month:
                style += Style(dim=True)
        if focused:
            style += Style(bold=True, reverse=True)
        top.append(f"{line1:<{width}.{width}}", style=style)
        top.append(" ")
        # Two lines a week on a short terminal: the underline parts one week from the next.
        bottom.append(f"{line2:<{width}.{width}}", style=style + Style(underline=True) if self._tight else style)
        bottom.append(" ")

    def _look(self, component: str) -> Style:
        return self.get_component_rich_style(component, partial=True)

    def legend(self) -> Text:
        """Each state's colour, symbol and word, as many a line as the grid's width
        allows; on a short terminal the cells' short words on one line, the booked
        letters being told by the sentence under the grid."""
        items = []
        for state in DayState:
            word = STATE_LOOKS[state].cell_word if self._tight else STATE_WORDS[state]
            items.append(Text.assemble((f" {STATE_SYMBOLS[state]} ", self._look(STATE_LOOKS[state].component)),
                                       f" {word}"))
        text = _flow(items, 5 * (self._cell_width + 1), separator=" " if self._tight else "  ")
        if not self._tight:
            text.append("\n")
            text.append(LEGEND_TEXT, style=self._look(LEGEND_NOTE))
        return text


def _flow(items: Sequence[Text], width: int, *, separator: str) -> Text:
    """Items on as many lines as `width` needs, never cut inside an item."""
    text = Text(no_wrap=True)
    line = 0
    for item in items:
        if line and line + len(separator) + item.cell_len > width:
            text.append("\n")
            line = 0
        elif line:
            text.append(separator)
            line += len(separator)
        text.append_text(item)
        line += item.cell_len
    return text
