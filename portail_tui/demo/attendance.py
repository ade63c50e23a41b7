"""Attendance marks of the demo town (P1, P2): every past service day is marked, as
the staff would have done it, so the pointage, the statements and the kitchen and CAF
lists have real data.

Most children are present; a few miss one day (absent, billed). Now and then a child
falls ill for one to a few booked days: many families just say so (absent, billed),
some bring a certificate in time
(absence justifiée, waived but for the jour de carence the demo town applies), some
have it marked justified at the desk but never bring the paper (billed). A few children
stay at the after-school club without booking (présent non inscrit): a booking at the
activity's surcharge. Some APS children arrive late or leave early.

The draws come from their own random source, derived from the town's seed: the
families, bookings and payments drawn before and after are exactly those of a town
without marks. Rows are tuples with ids, pre-converted, inserted per chunk of families.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from portail_tui.demo.loader import BulkLoader, table_of
from portail_tui.demo.spec import APSF, APSM, APSS, CLM, CLV, RS, TownContext
from portail_tui.domain import attendance as rule
from portail_tui.models import Attendance

if TYPE_CHECKING:
    from portail_tui.demo.bookings import BookingMaker

ATTENDANCE_COLS = ("id", "regie_id", "booking_id", "family_id", "child_id", "activity_id", "day", "state",
                   "arrived_at", "left_at", "billed", "justification_reason", "justification_received_on",
                   "justification_note", "marked_at", "marked_by")

# What a présent non inscrit pays (P2), by activity index; the holiday centre is booked
# by period only. Written on the activities by demo/setup.py.
SURCHARGE_CENTS = {RS: 600, APSM: 300, APSS: 400, APSF: 600, CLM: 1500, CLV: 0}
# The régie's service-day settings (P2, P3): marks open a week, certificates accepted a
# week after the illness, the first day of an illness billed.
REGIE_ATTENDANCE = {"attendance_deadline_days": 7, "justification_delay_days": 7, "bill_first_sick_day": True}

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
        self.past = sum(1 for d in days if d < self.today)  # days[:past] are marked
        self.index = {v: di for di, v in enumerate(bookings.day_value[: self.past])}
        at = table_of(Attendance)
        self.dproc: Callable[[Any], Any] = loader.processor(at, "day") or (lambda v: v)
        self.tsproc: Callable[[Any], Any] = loader.processor(at, "marked_at") or (lambda v: v)
        self.tproc: Callable[[Any], Any] = loader.processor(at, "left_at") or (lambda v: v)
        self.bproc: Callable[[Any], Any] = loader.processor(at, "billed") or (lambda v: v)
        self.true, self.false = self.bproc(True), self.bproc(False)
        self._marked_at: dict[tuple[int, int], Any] = {}
        self._times = {t: self.tproc(t) for t in (time(8, 15), time(16, 55), time(17, 20))}
        self.attendance_id = 0
        self._pending: list[tuple[Any, ...]] = []
        self.rows = 0
        self.waived_cents = 0

    def marked_at(self, act: int, di: int) -> Any:
        key = (act, di)
        value = self._marked_at.get(key)
        if value is None:
            d = self.bookings.days[di]
            value = self._marked_at[key] = self.tsproc(datetime.combine(d, _END[act], tzinfo=self.ctx.now.tzinfo))
        return value

    def mark_chunk(self, booking_rows: list[tuple[Any, ...]]) -> None:
        """Marks for the chunk's bookings (rows in BOOKING_COLS order), and the bookings of
        présents non inscrits appended to `booking_rows` before they are inserted."""
        index = self.index
        by_child: dict[int, dict[int, list[tuple[Any, ...]]]] = {}
        for row in booking_rows:
            if row[7] != "confirmed" or row[6] is not None:
                continue
            di = index.get(row[5])
            if di is not None:
                by_child.setdefault(row[3], {}).setdefault(di, []).append(row)
        out: list[tuple[Any, ...]] = []
        extra: list[tuple[Any, ...]] = []
        for child_days in by_child.values():
            self._child(child_days, out, extra)
        booking_rows += extra
        self.rows += len(out)
        self._pending = out

    def insert_pending(self) -> None:
        """After the chunk's bookings are in (the marks point at them)."""
        self.loader.insert(table_of(Attendance), ATTENDANCE_COLS, self._pending, convert=False)
        self._pending = []

    def _child(self, child_days: dict[int, list[tuple[Any, ...]]], out: list[tuple[Any, ...]],
               extra: list[tuple[Any, ...]]) -> None:
        rnd = self.rng.random
        dis = sorted(child_days)
        i = 0
        while i < len(dis):
            r = rnd()
            if r < ILLNESS_START + ALONE_ABSENT:
                n = 1
                if r < ILLNESS_START:
                    while i + n < len(dis) and rnd() < ILLNESS_GOES_ON:
                        n += 1
                self._absence([(di, child_days[di]) for di in dis[i:i + n]], out, ill=r < ILLNESS_START)
                i += n
                continue
            di = dis[i]
            rows = child_days[di]
            for row in rows:
                act = row[4] - 1
                arrived = left = None
                if act in (APSS, APSF, APSM) and rnd() < APS_LATE:
                    if act == APSM:
                        arrived = self._times[time(8, 15)]
                    else:
                        left = self._times[time(16, 55) if rnd() < 0.5 else time(17, 20)]
                self._row(out, row, di, rule.PRESENT, self.true, arrived=arrived, left=left)
            if rnd() < UNBOOKED_EVENING:
                acts = {row[4] - 1 for row in rows}
                if RS in acts and not acts & {APSS, APSF}:
                    self._unbooked(rows[0], di, out, extra)
            i += 1

    def _absence(self, days: list[tuple[int, list[tuple[Any, ...]]]], out: list[tuple[Any, ...]],
                 ill: bool) -> None:
        r = self.rng.random() if ill else 1.0  # a one-off absence is never justified
        first_di = days[0][0]
        last_day = self.bookings.days[days[-1][0]]
        if r < CERTIFICATE_IN_TIME and last_day + timedelta(days=1) < self.today:
            received = min(last_day + timedelta(days=self.rng.randint(0, self.delay)),
                           self.today - timedelta(days=1))
            reason = self.rng.choice(_REASONS)
            for di, rows in days:
                waived = not (self.carence and di == first_di)
                for row in rows:
                    if waived:
                        self.waived_cents += row[8]
                        self.bookings.consumed[row[2]] -= row[8]
                    self._row(out, row, di, rule.JUSTIFIED, self.false if waived else self.true,
                              reason=reason, received=self.dproc(received))
        elif r < CERTIFICATE_IN_TIME + JUSTIFIED_NO_PAPER:
            for di, rows in days:
                for row in rows:
                    self._row(out, row, di, rule.JUSTIFIED, self.true, note="Certificat annoncé, non reçu")
        else:
            for di, rows in days:
                for row in rows:
                    self._row(out, row, di, rule.ABSENT, self.true)

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
        self.attendance_id += 1
        out.append((self.attendance_id, 1, row[0], row[2], row[3], row[4], row[5], state, arrived, left, billed,
                    reason, received, note, self.marked_at(act, di), MARKERS[di % 7 == 3]))
