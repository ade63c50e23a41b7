"""Attendance marks of the demo town (P1, P2): the past service days are marked, as
the staff would have done it, so the pointage, the statements and the kitchen and CAF
lists have real data.

Most children are present; a few miss one day (absent, billed). Now and then a child
falls ill for one to a few booked days: many families just say so (absent, billed),
some bring a certificate in time
(absence justifiée, waived but for the jour de carence the demo town applies), some
have it marked justified at the desk but never bring the paper (billed). A few children
stay at the after-school club without booking (présent non inscrit): a booking at the
activity's surcharge. Some APS children arrive late or leave early.

The town went live with the pointage on the first day of the previous month
(`marks_since`): days before stay unmarked. The draws come from their own random source, derived from the town's seed: the
families, bookings and payments drawn before and after are exactly those of a town
without marks. Rows are tuples with ids, pre-converted, inserted per chunk of families.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from itertools import groupby
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Connection,
    Date,
    Integer,
    and_,
    column,
    insert,
    literal,
    select,
    true,
    values,
)

from portail_tui.clock import PARIS
from portail_tui.demo.loader import BulkLoader
from portail_tui.demo.spec import APSF, APSM, APSS, CLM, EXAMPLE, RS, TownContext
from portail_tui.domain import attendance as rule
from portail_tui.models import Attendance, Booking, table_of
from portail_tui.models.types import AwareDateTime

if TYPE_CHECKING:
    from portail_tui.demo.bookings import BookingMaker

ATTENDANCE_COLS = ("id", "regie_id", "booking_id", "family_id", "child_id", "activity_id", "day", "state",
                   "arrived_at", "left_at", "billed", "justification_reason", "justification_received_on",
                   "justification_note", "marked_at", "marked_by")

# What a présent non inscrit pays (P2), by activity index, and the régie's service-day
# settings (P2, P3): both come from the example set-up file the demo town is built from.
SURCHARGE_CENTS = {i: a.surcharge_cents for i, a in enumerate(EXAMPLE.activities)}
REGIE_ATTENDANCE = {"attendance_deadline_days": EXAMPLE.regie.attendance_deadline_days,
                    "justification_delay_days": EXAMPLE.regie.justification_delay_days,
                    "bill_first_sick_day": EXAMPLE.regie.bill_first_sick_day}

ILLNESS_START = 0.009  # per booked day of a child
ILLNESS_GOES_ON = 0.6  # the next booked day too
ALONE_ABSENT = 0.008  # one-off absence (dentist, family outing)
CERTIFICATE_IN_TIME = 0.40
JUSTIFIED_NO_PAPER = 0.10
UNBOOKED_EVENING = 0.004  # stays at the APS evening without booking, per canteen day
APS_LATE = 0.03
MARKERS = ("agent:agent", "agent:regisseur")
_END = {RS: time(13, 30), APSM: time(8, 30), APSS: time(18, 30), APSF: time(18, 30), CLM: time(18, 0)}
_REASONS = ("certificat", "certificat", "certificat", "hospitalisation", "autre")


def marks_since(today: date) -> date:
    """The demo régie went live with the pointage on the first day of the previous
    month: the month the CAF statement declares and the current one are marked, older
    days stay « réservé » (and the town is generated in about a fifth more time
    instead of a third more for the whole school year)."""
    first = today.replace(day=1)
    return (first - timedelta(days=1)).replace(day=1)


class AttendanceMaker:
    """Marks the past confirmed day bookings of each chunk of families."""

    def __init__(self, ctx: TownContext, seed: int, bookings: BookingMaker, loader: BulkLoader) -> None:
        self.rng = random.Random(f"portail-demo-attendance-{seed}")
        self.ctx = ctx
        self.today = ctx.today
        self.bookings = bookings
        self.loader = loader
        self.delay = int(REGIE_ATTENDANCE["justification_delay_days"])
        self.carence = bool(REGIE_ATTENDANCE["bill_first_sick_day"])
        days = bookings.days
        self.since = marks_since(self.today)
        marked = [di for di, d in enumerate(days) if self.since <= d < self.today]
        self.index = {bookings.day_value[di]: di for di in marked}
        at = table_of(Attendance)
        self.dproc: Callable[[Any], Any] = loader.processor(at, "day") or (lambda v: v)
        self.tsproc: Callable[[Any], Any] = loader.processor(at, "marked_at") or (lambda v: v)
        self.tproc: Callable[[Any], Any] = loader.processor(at, "left_at") or (lambda v: v)
        self.bproc: Callable[[Any], Any] = loader.processor(at, "billed") or (lambda v: v)
        self.true, self.false = self.bproc(True), self.bproc(False)
        self._marked_at: dict[tuple[int, int], Any] = {}
        self._times = {t: self.tproc(t) for t in (time(8, 15), time(16, 55), time(17, 20))}
        self._pending: list[tuple[Any, ...]] = []
        self.rows = 0
        self.waived_cents = 0

    def marked_at(self, act: int, di: int) -> Any:
        key = (act, di)
        value = self._marked_at.get(key)
        if value is None:
            d = self.bookings.days[di]
            value = self._marked_at[key] = self.tsproc(datetime.combine(d, _END[act], tzinfo=PARIS))
        return value

    def mark_chunk(self, booking_rows: list[tuple[Any, ...]]) -> None:
        """The exceptions among the chunk's past confirmed bookings (rows in BOOKING_COLS
        order, a child's rows together): absences, late arrivals, présents non inscrits,
        whose bookings are appended to `booking_rows` before they are inserted. The
        present marks are written at the end in one statement (`mark_the_rest`)."""
        index = self.index
        eligible = [r for r in booking_rows if r[7] == "confirmed" and r[5] in index]
        out: list[tuple[Any, ...]] = []
        extra: list[tuple[Any, ...]] = []
        for _kid, group in groupby(eligible, key=itemgetter(3)):
            self._child(list(group), out, extra)
        booking_rows += extra
        self.rows += len(out)
        self._pending = out

    def insert_pending(self) -> None:
        """After the chunk's bookings are in (the marks point at them)."""
        self.loader.insert(table_of(Attendance), ATTENDANCE_COLS, self._pending, convert=False)
        self._pending = []

    def mark_the_rest(self, conn: Connection) -> None:
        """Every past confirmed day booking not marked yet was attended: one INSERT … SELECT
        (a mark's id is its booking's), marked at the end of the activity that day."""
        if not self.index:
            return  # generated on the first school day: nothing past to mark
        bt, at = table_of(Booking), table_of(Attendance)
        days = self.bookings.days
        # A CTE: SQLite does not take VALUES in FROM with column names.
        ends = values(column("activity_id", Integer), column("day", Date), column("marked_at", AwareDateTime()),
                      name="ends").data(
            [(act + 1, days[di], datetime.combine(days[di], end, tzinfo=PARIS))
             for di in self.index.values() for act, end in _END.items()]).cte("ends")
        marked = select(at.c.id).where(at.c.booking_id == bt.c.id).exists()
        rest = (
            select(bt.c.id, bt.c.regie_id, bt.c.id, bt.c.family_id, bt.c.child_id, bt.c.activity_id, bt.c.day,
                   literal(rule.PRESENT), true(), ends.c.marked_at, literal(MARKERS[0]))
            .join(ends, and_(ends.c.activity_id == bt.c.activity_id, ends.c.day == bt.c.day))
            .where(bt.c.status == "confirmed", bt.c.day >= self.since, bt.c.day < self.today, ~marked)
            # In the order of the unique (child, activity, day) index: appended, not
            # inserted at random (2.5 times faster on SQLite).
            .order_by(bt.c.child_id, bt.c.activity_id, bt.c.day)
        )
        cols = ("id", "regie_id", "booking_id", "family_id", "child_id", "activity_id", "day", "state", "billed",
                "marked_at", "marked_by")
        result = conn.execute(insert(at).from_select(cols, rest))
        self.rows += result.rowcount

    def _child(self, rows: list[tuple[Any, ...]], out: list[tuple[Any, ...]],
               extra: list[tuple[Any, ...]]) -> None:
        index = self.index
        rnd = self.rng.random
        dis = sorted({index[r[5]] for r in rows})
        absent: dict[int, tuple[str, bool, str | None, Any, str | None]] = {}
        i = 0
        while i < len(dis):
            r = rnd()
            if r < ILLNESS_START + ALONE_ABSENT:
                n = 1
                if r < ILLNESS_START:
                    while i + n < len(dis) and rnd() < ILLNESS_GOES_ON:
                        n += 1
                self._absence(dis[i:i + n], r < ILLNESS_START, absent)
                i += n
            else:
                i += 1
        booked: set[tuple[int, int]] | None = None
        for row in rows:
            di = index[row[5]]
            act = row[4] - 1
            mark = absent.get(di)
            if mark is not None:
                state, billed, reason, received, note = mark
                if not billed:
                    self.waived_cents += row[8]
                    self.bookings.consumed[row[2]] -= row[8]
                self._row(out, row, di, state, self.true if billed else self.false, reason=reason,
                          received=received, note=note)
            elif act in (APSS, APSF) and rnd() < APS_LATE:
                left = self._times[time(16, 55) if rnd() < 0.5 else time(17, 20)]
                self._row(out, row, di, rule.PRESENT, self.true, left=left)
            elif act == APSM and rnd() < APS_LATE:
                self._row(out, row, di, rule.PRESENT, self.true, arrived=self._times[time(8, 15)])
            elif act == RS and rnd() < UNBOOKED_EVENING:
                if booked is None:
                    booked = {(r[4] - 1, index[r[5]]) for r in rows}
                if (APSS, di) not in booked and (APSF, di) not in booked:
                    self._unbooked(row, di, out, extra)

    def _absence(self, dis: list[int], ill: bool,
                 absent: dict[int, tuple[str, bool, str | None, Any, str | None]]) -> None:
        r = self.rng.random() if ill else 1.0  # a one-off absence is never justified
        last_day = self.bookings.days[dis[-1]]
        if r < CERTIFICATE_IN_TIME and last_day + timedelta(days=1) < self.today:
            received = min(last_day + timedelta(days=self.rng.randint(0, self.delay)),
                           self.today - timedelta(days=1))
            reason = self.rng.choice(_REASONS)
            for di in dis:
                billed = self.carence and di == dis[0]
                absent[di] = (rule.JUSTIFIED, billed, reason, self.dproc(received), None)
        elif r < CERTIFICATE_IN_TIME + JUSTIFIED_NO_PAPER:
            for di in dis:
                absent[di] = (rule.JUSTIFIED, True, None, None, "Certificat annoncé, non reçu")
        else:
            for di in dis:
                absent[di] = (rule.ABSENT, True, None, None, None)

    def _unbooked(self, row: tuple[Any, ...], di: int, out: list[tuple[Any, ...]],
                  extra: list[tuple[Any, ...]]) -> None:
        """The child stayed at the APS evening without booking: the staff adds it to the
        list, a booking at the surcharge price follows (if a place was left)."""
        bk = self.bookings
        if bk.taken[APSS][di] >= bk.caps[APSS]:
            return
        bk.taken[APSS][di] += 1
        bk.seen[APSS][di] += 1
        bk.booking_id += 1
        price = SURCHARGE_CENTS[APSS]
        bk.consumed[row[2]] += price
        at = self.marked_at(APSS, di)
        booking = (bk.booking_id, 1, row[2], row[3], APSS + 1, row[5], None, "confirmed", price, row[9],
                   at, "agent:agent", at, None, None)
        extra.append(booking)
        self._row(out, booking, di, rule.UNBOOKED, self.true)

    def _row(self, out: list[tuple[Any, ...]], row: tuple[Any, ...], di: int, state: str, billed: Any, *,
             arrived: Any = None, left: Any = None, reason: str | None = None, received: Any = None,
             note: str | None = None) -> None:
        act = row[4] - 1
        out.append((row[0], 1, row[0], row[2], row[3], row[4], row[5], state, arrived, left, billed,
                    reason, received, note, self.marked_at(act, di), MARKERS[di % 7 == 3]))
