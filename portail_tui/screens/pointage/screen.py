"""Pointage (P1–P3): the children expected at an activity on a day, marked from the
keyboard. « t » marks every unmarked child présent, then the exceptions one key each
(p, a, j; r and d ask the time); the cursor goes down after each mark, so a class of 60
takes « t », the arrows and a few letters. ←/→ change the day, « n » adds a child
present without booking. Every call runs in a worker; a refusal (deadline passed for
an agent) is shown here in French and changes nothing."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, Label, Select, Static

from portail_tui.domain.frdates import (
    DateError,
    capitalize_first,
    format_date_long,
    format_date_short,
    parse_date_fr,
)
from portail_tui.domain.money import format_amount
from portail_tui.domain.pointage import (
    ABSENT,
    JUSTIFIED,
    PRESENT,
    UNBOOKED,
    hhmm,
    state_label,
    times_label,
)
from portail_tui.screens.base import TabScreen
from portail_tui.services import attendance
from portail_tui.services.attendance import (
    ChildHit,
    Mark,
    PointageActivity,
    PointageList,
    PointageRow,
)
from portail_tui.services.context import ServiceError

COLUMNS = (("nom", "Nom"), ("prenom", "Prénom"), ("classe", "Classe"), ("etat", "État"),
           ("heures", "Arrivée/Départ"), ("recup", "À récupérer par"))
ALL_SCHOOLS = "Toutes les écoles"


class PointageTable(DataTable[str]):
    """The list: ←/→ change the day instead of scrolling sideways (a row cursor has no
    column to move to)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "screen.day(-1)", "Jour préc."),
        Binding("right", "screen.day(1)", "Jour suiv."),
    ]


class PointageScreen(TabScreen):
    TAB_ID = "pointage"
    CSS_PATH = "screen.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", f"mark('{PRESENT}')", "Présent"),
        Binding("a", f"mark('{ABSENT}')", "Absent"),
        Binding("j", f"mark('{JUSTIFIED}')", "Justifié"),
        Binding("r", "late", "Retard"),
        Binding("d", "early", "Parti tôt"),
        Binding("t", "all_present", "Tous présents"),
        Binding("n", "unbooked", "Non inscrit"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.day: date = date.min  # today, once the app's clock is reachable (compose)
        self.activity_id: int | None = None
        self.school: str | None = None
        self.school_chosen = False  # the agent picked « Toutes les écoles » or a school
        self.activities: list[PointageActivity] = []
        self.listing: PointageList | None = None
        self.rows: list[PointageRow] = []
        # The latest mark sent per child: marks run in worker threads, and a result that
        # comes back after a newer mark of the same child must not overwrite it.
        self._mark_sent: dict[int, int] = {}
        self._mark_held: dict[int, tuple[int, date, Mark]] = {}  # an older result, held back
        self._marks_sent = 0  # marks sent since the screen opened
        self._marks_pending = 0  # sent, answer not back yet
        self._reload_after_marks = False

    # --- layout ------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        self.day = self.ctx.clock.today()
        with Horizontal(classes="pt-controls"):
            yield Label("Jour :")
            yield Input(format_date_short(self.day), id="pt-day", max_length=10)
            yield Label(" Activité :")
            yield Select([], prompt="Aucune activité", id="pt-activity")
            yield Label(" École :")
            yield Select([], prompt=ALL_SCHOOLS, id="pt-school")
        yield Static("", id="pt-title")
        table = PointageTable(id="pt-table", cursor_type="row", zebra_stripes=True)
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        yield table
        yield Static("", id="pt-status")

    def on_mount(self) -> None:
        self.query_one(PointageTable).focus()

    def load_family(self, family_id: int | None) -> None:
        self._load()

    def on_revisit(self) -> None:
        self._load()  # other agents mark too

    # --- choosing the day, the activity, the school -------------------------------------

    def _set_day_field(self) -> None:
        field = self.query_one("#pt-day", Input)
        with field.prevent(Input.Changed):
            field.value = format_date_short(self.day)

    def action_day(self, step: int) -> None:
        self.day += timedelta(days=step)
        self._set_day_field()
        self._status("")
        self._load()

    @on(Input.Submitted, "#pt-day")
    def _day_typed(self, event: Input.Submitted) -> None:
        try:
            self.day = parse_date_fr(event.value)
        except DateError as exc:
            self._status(exc.message, error=True)
            return
        self._status("")
        self._load()
        self.query_one(PointageTable).focus()

    @on(Select.Changed, "#pt-activity")
    def _activity_chosen(self, event: Select.Changed) -> None:
        if isinstance(event.value, int) and event.value != self.activity_id:
            self.activity_id = event.value
            self._load()

    @on(Select.Changed, "#pt-school")
    def _school_chosen(self, event: Select.Changed) -> None:
        school = event.value if isinstance(event.value, str) else None
        self.school_chosen = True
        if school != self.school:
            self.school = school
            self._load()

    # --- loading -----------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="pointage-load")
    def _load(self) -> None:
        day, wanted, school = self.day, self.activity_id, self.school
        marks = (self._marks_sent, self._marks_pending)  # before reading: see _show
        try:
            activities = attendance.pointage_activities(self.ctx, day)
            ids = [a.id for a in activities]
            activity_id = wanted if wanted in ids else (ids[0] if ids else None)
            listing = None
            if activity_id is not None:
                listing = attendance.pointage_list(self.ctx, activity_id, day, school)
                if school is not None and school not in listing.schools:
                    school = None
                if school is None and not self.school_chosen and len(listing.schools) > 1:
                    school = listing.schools[0]  # the first school rather than the whole town
                if school != listing.school:
                    listing = attendance.pointage_list(self.ctx, activity_id, day, school)
        except ServiceError as exc:
            self.app.call_from_thread(self._status, exc.message, True)
            return
        self.app.call_from_thread(self._show, day, activities, listing, marks)

    def _show(self, day: date, activities: list[PointageActivity], listing: PointageList | None,
              marks: tuple[int, int] = (0, 0)) -> None:
        if day != self.day:
            return  # the agent moved on meanwhile: the next load draws
        if marks != (self._marks_sent, 0) or self._marks_pending:
            # A mark was on its way while the list was read (a time dialog closing reloads
            # the list as its mark is sent): the rows read may predate it. Read again once
            # the marks are in, rather than draw them over the marks' own results.
            if not self._marks_pending:
                self._load()
            else:
                self._reload_after_marks = True
            return
        self.activities = activities
        self.listing = listing
        self.activity_id = listing.activity.id if listing else None
        self.school = listing.school if listing else None
        chooser = self.query_one("#pt-activity", Select)
        with chooser.prevent(Select.Changed):
            chooser.set_options([(a.label, a.id) for a in activities])
            if self.activity_id is not None:
                chooser.value = self.activity_id
        schools = self.query_one("#pt-school", Select)
        with schools.prevent(Select.Changed):
            schools.set_options([(s, s) for s in (listing.schools if listing else ())])
            if self.school is not None:
                schools.value = self.school
        self.rows = list(listing.rows) if listing else []
        table = self.query_one(PointageTable)
        cursor = table.cursor_row
        table.clear()
        for row in self.rows:
            table.add_row(*self._cells(row), key=str(row.child_id))
        if self.rows:
            table.move_cursor(row=min(max(cursor, 0), len(self.rows) - 1))
        self._title()
        if listing is not None and listing.notice:
            self._status(listing.notice)
        elif listing is None:
            self._status(f"Aucune activité le {format_date_long(day)}.")
        self.refresh_bindings()

    @staticmethod
    def _cells(row: PointageRow) -> tuple[str, ...]:
        return (row.last_name, row.first_name, row.school_class or "—", row.state_text, row.times_text or "—",
                row.pick_up or "—")

    def _title(self) -> None:
        title = self.query_one("#pt-title", Static)
        if self.listing is None:
            title.update(capitalize_first(format_date_long(self.day)))
            return
        act = self.listing.activity
        marked = sum(1 for r in self.rows if r.state is not None)
        title.update(f"{act.label} ({act.hours}) — {format_date_long(self.day)} — "
                     f"{len(self.rows)} enfant(s) attendu(s), {marked} pointé(s), {len(self.rows) - marked} à pointer")

    # --- marking -----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("mark", "late", "early", "all_present"):
            return True if self.rows else None
        if action == "unbooked":
            return True if self.listing is not None else None
        return True

    def _current(self) -> tuple[int, PointageRow] | None:
        table = self.query_one(PointageTable)
        if not self.rows or table.cursor_row < 0:
            return None
        index = min(table.cursor_row, len(self.rows) - 1)
        return index, self.rows[index]

    def _next_row(self, index: int) -> None:
        table = self.query_one(PointageTable)
        if index + 1 < len(self.rows):
            table.move_cursor(row=index + 1)

    def action_mark(self, state: str) -> None:
        current = self._current()
        if current is None or self.listing is None:
            return
        index, row = current
        if row.state == UNBOOKED and state == PRESENT:
            state = UNBOOKED  # « p » on a child added without booking: back to no times
        self._next_row(index)
        self._mark(self.listing.activity.id, self.day, row.child_id, state, None, None)

    def action_late(self) -> None:
        self._ask_time("arrived")

    def action_early(self) -> None:
        self._ask_time("left")

    def _ask_time(self, which: str) -> None:
        from portail_tui.screens.pointage.dialogs import TimeDialog

        current = self._current()
        if current is None or self.listing is None:
            return
        index, row = current
        activity_id, day = self.listing.activity.id, self.day
        what = "Arrivé en retard" if which == "arrived" else "Parti tôt"
        now = self.ctx.clock.now().time()
        shown = row.arrived_at if which == "arrived" else row.left_at

        def answered(value: time | None) -> None:
            if value is None:
                return
            # The row as it is now: a mark sent before the dialog opened may have come back.
            now_row = next((r for r in self.rows if r.child_id == row.child_id), row)
            state = UNBOOKED if now_row.state == UNBOOKED else PRESENT
            arrived = value if which == "arrived" else now_row.arrived_at
            left = value if which == "left" else now_row.left_at
            self._next_row(index)
            self._mark(activity_id, day, row.child_id, state, arrived, left)

        self.app.push_screen(TimeDialog(f"{what} — {row.first_name} {row.last_name} : à quelle heure ?",
                                        hhmm(shown or now)), answered)

    def _mark(self, activity_id: int, day: date, child_id: int, state: str,
              arrived: time | None, left: time | None) -> None:
        sent = self._mark_sent.get(child_id, 0) + 1
        self._mark_sent[child_id] = sent
        self._marks_sent += 1
        self._marks_pending += 1
        self._send_mark(activity_id, day, child_id, state, arrived, left, sent)

    @work(thread=True, group="pointage-mark")
    def _send_mark(self, activity_id: int, day: date, child_id: int, state: str,
                   arrived: time | None, left: time | None, sent: int) -> None:
        try:
            result = attendance.mark(self.ctx, activity_id, day, child_id, state, arrived, left)
        except ServiceError as exc:
            self.app.call_from_thread(self._mark_refused, child_id, sent, exc.message)
            return
        self.app.call_from_thread(self._marked, activity_id, day, result, sent)

    def _mark_back(self) -> None:
        """A mark's answer is in: the list read meanwhile, if any, is read again."""
        self._marks_pending -= 1
        if not self._marks_pending and self._reload_after_marks:
            self._reload_after_marks = False
            self._load()

    def _mark_refused(self, child_id: int, sent: int, message: str) -> None:
        if sent:
            self._mark_back()
        held = self._mark_held.pop(child_id, None)
        if held is not None and self._mark_sent.get(child_id) == sent:
            # The newest mark was refused: what an older one recorded is what stands.
            self._mark_sent[child_id] = 0
            self._marked(*held, 0)
        self._status(message, True)

    def _marked(self, activity_id: int, day: date, result: Mark, sent: int) -> None:
        if sent:
            self._mark_back()
        if self.listing is None or (self.listing.activity.id, self.day) != (activity_id, day):
            return
        if self._mark_sent.get(result.child_id) != sent:
            # A newer mark of this child is on its way: its result is the one to show.
            self._mark_held[result.child_id] = (activity_id, day, result)
            return
        self._mark_held.pop(result.child_id, None)
        for i, row in enumerate(self.rows):
            if row.child_id == result.child_id:
                self.rows[i] = row._replace(state=result.state, arrived_at=result.arrived_at,
                                       left_at=result.left_at, billed=result.billed)
                table = self.query_one(PointageTable)
                key = str(result.child_id)
                table.update_cell(key, "etat", state_label(result.state))
                table.update_cell(key, "heures", times_label(result.arrived_at, result.left_at) or "—")
                break
        self._title()
        self._status(f"{self._child_label(result.child_id)} : {state_label(result.state)}." if result.changed else "")

    def _child_label(self, child_id: int) -> str:
        row = next((r for r in self.rows if r.child_id == child_id), None)
        return f"{row.first_name} {row.last_name}" if row else "Enfant"

    def action_all_present(self) -> None:
        if self.listing is None or not self.rows:
            return
        self._all_present(self.listing.activity.id, self.day, self.listing.school)

    @work(thread=True, group="pointage-mark")
    def _all_present(self, activity_id: int, day: date, school: str | None) -> None:
        try:
            count = attendance.mark_all_present(self.ctx, activity_id, day, school)
        except ServiceError as exc:
            self.app.call_from_thread(self._status, exc.message, True)
            return
        self.app.call_from_thread(self._status, "Tous les enfants étaient déjà pointés." if count == 0
                                  else f"{count} enfant(s) marqué(s) présent(s).")
        self.app.call_from_thread(self._load)

    def action_unbooked(self) -> None:
        from portail_tui.screens.pointage.dialogs import ChildSearchDialog

        if self.listing is None:
            return
        activity, day = self.listing.activity, self.day

        def chosen(hit: ChildHit | None) -> None:
            if hit is not None:
                self._add_unbooked(activity.id, day, hit)

        self.app.push_screen(ChildSearchDialog(self.ctx, f"Présent non inscrit — {activity.label}, "
                                                         f"{format_date_long(day)}"), chosen)

    @work(thread=True, group="pointage-mark")
    def _add_unbooked(self, activity_id: int, day: date, hit: ChildHit) -> None:
        try:
            added = attendance.add_unbooked(self.ctx, activity_id, day, hit.child_id, hit.family_id)
        except ServiceError as exc:
            self.app.call_from_thread(self._status, exc.message, True)
            return
        self.app.call_from_thread(
            self._status, f"{hit.first_name} {hit.last_name} ajouté(e) : présent non inscrit, "
                          f"{format_amount(added.price_cents)} facturé(s) à la famille {hit.family_name}.")
        self.app.call_from_thread(self._load)

    def _status(self, text: str, error: bool = False) -> None:
        widget = self.query_one("#pt-status", Static)
        widget.update(text)
        widget.set_class(error, "error")
