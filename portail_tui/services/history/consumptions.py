"""Consommations of one month (R9), by R6: the bookings consumption.py counts as
consumed (confirmed, dated up to today + 15 days; a period booking from its first
day), plus the month's cancelled bookings shown « annulé » and never counted, so a
family sees what it no longer pays. Waiting-list bookings and bookings beyond the
15-day window belong to the Réservations tab, not here.

Each line carries its attendance mark (P1): the État column says présent, absent,
absence justifiée, présent non inscrit, or « consommé » for a past day nobody marked
(réservé: billed as booked). A justified absence the régie waived (P2) stays listed as
« absence justifiée — non facturée » at 0,00 €, so the family sees it was not billed."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, SQLColumnExpression, bindparam, or_, select
from sqlmodel import Session, col

from portail_tui.domain import attendance as marks
from portail_tui.domain.text import activity_matches
from portail_tui.models import Activity, Attendance, Booking, Child, Period
from portail_tui.services import consumption
from portail_tui.services.consumption import consumption_limit
from portail_tui.services.context import Context, ServiceError
from portail_tui.services.history.families import FamilyRef, children_of, family_ref
from portail_tui.services.history.months import Month, check_month

CONSUMED = "consommé"
UPCOMING = "à venir"
CANCELLED = "annulé"
# The attendance filter's choices (P1): the mark's state, « reserve » when unmarked.
ATTENDANCE_FILTERS = tuple(marks.STATE_LABELS)


@dataclass(frozen=True)
class ConsumptionLine:
    booking_id: int
    day: date
    child_id: int
    child_name: str
    activity_id: int
    activity_code: str
    activity_label: str
    activity_order: int
    price_cents: int
    state: str
    period_label: str = ""
    attendance: str = marks.BOOKED  # the mark's state (P1), « reserve » when unmarked
    billed: bool = True  # false for a justified absence the régie waived (P2)

    @property
    def waived(self) -> bool:
        return not self.billed and self.state != CANCELLED

    @property
    def counted(self) -> bool:
        """Part of the consumptions (R6) and of the totals."""
        return self.state != CANCELLED and self.billed

    @property
    def charged_cents(self) -> int:
        return self.price_cents if self.counted else 0

    @property
    def shown_price(self) -> int | None:
        """The statement's Prix: 0 for a waived absence, nothing for a cancelled booking."""
        if self.state == CANCELLED:
            return None
        return self.charged_cents

    @property
    def label(self) -> str:
        return f"{self.activity_label} — {self.period_label}" if self.period_label else self.activity_label


@dataclass(frozen=True)
class ConsumptionFilter:
    child_id: int | None = None
    child_name: str = ""
    activity_text: str = ""
    attendance: str = ""  # one of ATTENDANCE_FILTERS, empty for all

    @property
    def active(self) -> bool:
        return self.child_id is not None or bool(self.activity_text.strip()) or bool(self.attendance)

    def keeps(self, line: ConsumptionLine) -> bool:
        if self.child_id is not None and line.child_id != self.child_id:
            return False
        if self.attendance and (line.attendance != self.attendance or line.state == CANCELLED):
            return False
        return activity_matches(self.activity_text, line.activity_code, line.activity_label)

    def describe(self) -> str:
        """"enfant Chloé, activité « APS »" (empty without filter)."""
        parts = []
        if self.child_id is not None:
            parts.append(f"enfant {self.child_name}".strip())
        if self.activity_text.strip():
            parts.append(f"activité « {self.activity_text.strip()} »")
        if self.attendance:
            parts.append(f"état « {marks.STATE_LABELS[self.attendance]} »")
        return ", ".join(parts)

    def slug(self) -> str:
        """Suffix of the file name so two filtered statements do not overwrite each other."""
        parts = []
        if self.child_id is not None:
            parts.append(self.child_name or str(self.child_id))
        if self.activity_text.strip():
            parts.append(self.activity_text.strip())
        if self.attendance:
            parts.append(self.attendance)
        return "-".join(parts)


@dataclass(frozen=True)
class ActivityTotal:
    label: str
    count: int
    total_cents: int


@dataclass(frozen=True)
class ConsumptionHistory:
    family: FamilyRef
    month: Month
    today: date
    lines: tuple[ConsumptionLine, ...]  # after the filter
    filter: ConsumptionFilter = field(default_factory=ConsumptionFilter)
    children: tuple[tuple[int, str], ...] = ()  # (id, first name) of the family's children
    unfiltered_count: int = 0

    @property
    def limit(self) -> date:
        return consumption_limit(self.today)

    @property
    def totals(self) -> tuple[ActivityTotal, ...]:
        by_activity: dict[int, list[Any]] = {}
        for line in self.lines:
            if not line.counted:
                continue
            entry = by_activity.setdefault(line.activity_id, [line.activity_order, line.activity_label, 0, 0])
            entry[2] += 1
            entry[3] += line.charged_cents
        ordered = sorted(by_activity.values(), key=lambda e: (e[0], e[1]))
        return tuple(ActivityTotal(label=e[1], count=e[2], total_cents=e[3]) for e in ordered)

    @property
    def total_cents(self) -> int:
        return sum(line.charged_cents for line in self.lines)

    @property
    def consumed_cents(self) -> int:
        return sum(line.charged_cents for line in self.lines if line.state not in (UPCOMING, CANCELLED))

    @property
    def waived_count(self) -> int:
        return sum(1 for line in self.lines if line.waived)

    @property
    def upcoming_cents(self) -> int:
        return sum(line.charged_cents for line in self.lines if line.state == UPCOMING)


def _state(status: str, day: date, today: date, attendance: str | None, billed: bool) -> str:
    if status == "cancelled":
        return CANCELLED
    if attendance is not None:
        return marks.state_label(attendance, billed)
    return CONSUMED if day <= today else UPCOMING


def line_key(line: ConsumptionLine) -> tuple[Any, ...]:
    return (line.day, line.child_name, line.child_id, line.activity_order, line.activity_label,
            line.state != CANCELLED, line.booking_id)


_LINE_COLUMNS = (col(Booking.id), col(Booking.family_id), col(Booking.status), col(Booking.price_cents),
                 col(Booking.child_id), col(Child.first_name), col(Activity.id), col(Activity.code),
                 col(Activity.label), col(Activity.sort_order))


def line_from_row(r: Any, today: date, day: date, period_label: str = "") -> ConsumptionLine:
    """A row of `day_lines_stmt` or `period_lines_stmt`: the line columns, the day (or
    period id), then the attendance mark's state and billed flag (None when unmarked)."""
    attendance, billed = r[11], r[12] is None or bool(r[12])
    return ConsumptionLine(
        booking_id=r[0], day=day, child_id=r[4], child_name=r[5], activity_id=r[6], activity_code=r[7],
        activity_label=r[8], activity_order=r[9], price_cents=r[3],
        state=_state(r[2], day, today, attendance, billed), period_label=period_label,
        attendance=attendance or marks.BOOKED, billed=billed)


def month_window(month: Month, today: date) -> tuple[date, date] | None:
    """First and last day of the month that can hold consumptions (R6), if any."""
    last = min(consumption_limit(today), month.next_first_day - timedelta(days=1))
    return (month.first_day, last) if last >= month.first_day else None


def month_periods(session: Session, first: date, last: date) -> dict[int, tuple[date, str]]:
    """Periods starting in the window: a period booking belongs to the month of its first day."""
    first_day = col(Period.first_day)
    rows = session.execute(
        select(col(Period.id), first_day, col(Period.label)).where(first_day >= first, first_day <= last)
    ).all()
    return {r[0]: (r[1], r[2]) for r in rows}


_MARK_COLUMNS = (col(Attendance.state), col(Attendance.billed))


def _listed(last: date, day: SQLColumnExpression[Any]) -> ColumnElement[bool]:
    """A statement's lines up to `last` (at most today + 15 days): what R6 counts as
    consumed and the justified absences it waived (shown at 0,00 €, their mark's
    `billed` joined), and the cancelled bookings of the same days, shown « annulé »."""
    return or_(consumption.confirmed_within(last, day), col(Booking.status) == "cancelled")


def day_lines_stmt(first: date, last: date) -> Select[*tuple[Any, ...]]:
    # The explicit bounds give the (family, day) index its range; _listed decides.
    day = col(Booking.day)
    return (
        select(*_LINE_COLUMNS, day, *_MARK_COLUMNS)
        .join(Child, col(Child.id) == col(Booking.child_id))
        .join(Activity, col(Activity.id) == col(Booking.activity_id))
        .outerjoin(Attendance, col(Attendance.booking_id) == col(Booking.id))
        .where(day >= first, day <= last, _listed(last, day))
    )


def period_lines_stmt(period_ids: Iterable[int], last: date) -> Select[*tuple[Any, ...]]:
    """Bookings of the periods of `month_periods`, dated by their period's first day."""
    return (
        select(*_LINE_COLUMNS, col(Booking.period_id), *_MARK_COLUMNS)
        .join(Child, col(Child.id) == col(Booking.child_id))
        .join(Activity, col(Activity.id) == col(Booking.activity_id))
        .outerjoin(Attendance, col(Attendance.booking_id) == col(Booking.id))
        .join(Period, col(Period.id) == col(Booking.period_id))
        .where(col(Booking.period_id).in_(list(period_ids)), _listed(last, col(Period.first_day)))
    )


def consumption_lines_for(
    session: Session, family_ids: Sequence[int], month: Month, today: date
) -> dict[int, list[ConsumptionLine]]:
    """The month's consumption lines per family, sorted by date, child, activity.

    One indexed query per family (family, day): with a long IN list, SQLite's planner
    (no statistics) would scan the whole month of the town for every chunk."""
    window = month_window(month, today)
    if window is None:
        return {}
    first, last = window
    periods = month_periods(session, first, last)
    family = col(Booking.family_id) == bindparam("fid")
    day_stmt = day_lines_stmt(first, last).where(family)
    period_stmt = period_lines_stmt(periods, last).where(family) if periods else None
    out: dict[int, list[ConsumptionLine]] = {}
    for fid in family_ids:
        lines = [line_from_row(r, today, r[10]) for r in session.execute(day_stmt, {"fid": fid})]
        if period_stmt is not None:
            for r in session.execute(period_stmt, {"fid": fid}):
                day, label = periods[r[10]]
                lines.append(line_from_row(r, today, day, label))
        if lines:
            lines.sort(key=line_key)
            out[fid] = lines
    return out


def consumption_history(
    ctx: Context,
    family_id: int,
    month: Month,
    *,
    child_id: int | None = None,
    activity_text: str = "",
    attendance: str = "",
) -> ConsumptionHistory:
    today = ctx.clock.today()
    check_month(month, today)
    activity_text = " ".join((activity_text or "").split())[:80]
    if attendance and attendance not in ATTENDANCE_FILTERS:
        choices = ", ".join(marks.STATE_LABELS.values())
        raise ServiceError(f"État inconnu : {choices}.", field="état")

    def _work(session: Session) -> ConsumptionHistory:
        family = family_ref(session, ctx, family_id)
        children = children_of(session, family_id)
        lines = consumption_lines_for(session, [family_id], month, today).get(family_id, [])
        child_name = ""
        if child_id is not None:
            names = dict(children)
            if child_id not in names:
                # A child seen through the other family (shared custody) has no line here anyway.
                child_name = next((ln.child_name for ln in lines if ln.child_id == child_id), "")
                if not child_name:
                    raise ServiceError("Cet enfant n'est pas rattaché à la famille.", field="enfant")
            else:
                child_name = names[child_id]
        flt = ConsumptionFilter(child_id=child_id, child_name=child_name, activity_text=activity_text,
                                attendance=attendance)
        kept = tuple(ln for ln in lines if flt.keeps(ln)) if flt.active else tuple(lines)
        return ConsumptionHistory(family=family, month=month, today=today, lines=kept, filter=flt,
                                  children=children, unfiltered_count=len(lines))

    return ctx.db.read(_work)
