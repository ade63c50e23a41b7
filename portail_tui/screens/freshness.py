"""Figures never stale (issue 12): a tab that shows a family's bookings or wallet notices
when another agent changed them, without the family being reopened.

Each check is one read of the family's change counter (`services.family_changes`), in a
worker: when the screen comes back (tab switch, a dialog closed) and every few seconds
while it is visible. A tab opts in by listing `WatchesFamilyChanges` before its base
class, notes the counter its loader read (`note_family_seq`, read before the data so
no change slips between) and says what to reload (`family_data_changed`).

The same check reads the database generation (`services.restore_marks`): a number
other than the one the application first read means `portail db restore` replaced
the data under this session. A modal then covers the screen for good — the tab keys
do nothing, writing is no longer possible — and says to quit and restart.
"""

from __future__ import annotations

from typing import ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Static

from portail_tui.screens.base import TabScreen
from portail_tui.screens.tabs import TABS
from portail_tui.services.context import ServiceError
from portail_tui.services.family_changes import change_marks
from portail_tui.services.restore_marks import database_generation

RESTORED_MESSAGE = "La base a été restaurée : quittez et relancez l'application."


class DatabaseRestoredScreen(ModalScreen[None]):
    """Stays until the application quits: what this session holds (the family, the
    figures, the next receipt) belongs to the database that was replaced."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q,q,enter,escape", "app.quit", "Quitter"),
        *(Binding(t.binding_key, "nothing", show=False, priority=True) for t in TABS),
    ]
    DEFAULT_CSS = """
    DatabaseRestoredScreen { align: center middle; }
    DatabaseRestoredScreen > Vertical { width: 70; height: auto; border: heavy $error; padding: 1 2;
                                        background: $surface; }
    """

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(RESTORED_MESSAGE, id="restored-message")
            yield Static("Entrée : quitter", classes="hint")

    def action_nothing(self) -> None:
        """The tabs stay closed: nothing may be written any more."""


class WatchesFamilyChanges(TabScreen):
    """Mixin of a tab screen. Its handlers are decorated with names of their own, so
    they neither replace nor are replaced by the tab's `on_mount`/`on_screen_resume`."""

    CHANGE_CHECK_SECONDS: ClassVar[float] = 4.0

    def __init__(self) -> None:
        super().__init__()
        self._change_mark: tuple[int, int] | None = None  # (family, counter) of what is shown
        self._change_timer: Timer | None = None

    @on(events.Mount)
    def _start_change_checks(self) -> None:
        self._change_timer = self.set_interval(self.CHANGE_CHECK_SECONDS, self.check_family_changes,
                                               pause=True)

    @on(events.ScreenResume)
    def _check_changes_on_resume(self) -> None:
        if self._change_timer is not None:
            self._change_timer.resume()
        self.check_family_changes()

    @on(events.ScreenSuspend)
    def _pause_change_checks(self) -> None:
        # Hidden behind another tab or a dialog: nothing to redraw until it comes back.
        if self._change_timer is not None:
            self._change_timer.pause()

    def note_family_seq(self, family_id: int, seq: int) -> None:
        """What the screen now shows is as of this counter (read before the data)."""
        self._change_mark = (family_id, seq)

    def check_family_changes(self) -> None:
        if self.family_id is not None:
            self._read_family_seq(self.family_id)
        else:
            self._read_generation()

    @work(thread=True, exclusive=True, group="family-changes", exit_on_error=False)
    def _read_family_seq(self, family_id: int) -> None:
        # One read and one trip to the event loop: the check runs at every tab shown
        # again, and each trip waited for the frame being drawn.
        seq: int | None
        try:
            generation, seq = change_marks(self.ctx, family_id)
        except ServiceError:  # the loader shows why the family cannot be read
            generation, seq = database_generation(self.ctx), None
        self.app.call_from_thread(self._marks_read, family_id, generation, seq)

    def _marks_read(self, family_id: int, generation: int, seq: int | None) -> None:
        self._generation_read(generation)
        if seq is not None and not self.portail.database_restored:
            self._family_seq_read(family_id, seq)

    @work(thread=True, exclusive=True, group="database-generation", exit_on_error=False)
    def _read_generation(self) -> None:
        self.app.call_from_thread(self._generation_read, database_generation(self.ctx))

    def _generation_read(self, generation: int) -> None:
        """The first number read by any screen of this application is the session's."""
        first = self.app.__dict__.setdefault("_portail_database_generation", generation)
        if generation != first and not isinstance(self.app.screen, DatabaseRestoredScreen):
            self.portail.database_restored = True  # the app then lets nothing but Ctrl+Q through
            self.app.push_screen(DatabaseRestoredScreen())

    def _family_seq_read(self, family_id: int, seq: int) -> None:
        if family_id != self.family_id:
            return
        mark = self._change_mark
        self._change_mark = (family_id, seq)
        if mark is not None and mark[0] == family_id and mark[1] != seq:
            self.family_data_changed()

    def family_data_changed(self) -> None:
        """Override: reload what another agent may have changed (default: everything)."""
        self.load_family(self.family_id)
