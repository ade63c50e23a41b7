"""What a booking service call loads first: the régie's activities, rates and closures
as the pure rule objects of `domain.booking_rules`, the family and the child.

Statements are built once: the counter's hot paths only bind parameters (building and
coercing an SQL expression costs more than running it on SQLite).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import bindparam, select
from sqlmodel import Session

from portail_tui.domain.booking_rules import (
    ActivityRule,
    PeriodRule,
    RateRule,
)
from portail_tui.domain.frdates import format_date_short
from portail_tui.domain.school_calendar import SchoolCalendar
from portail_tui.models import (
    Activity,
    ActivityClosure,
    Booking,
    Closure,
    Family,
    FamilyMember,
    Period,
    Rate,
    Regie,
    School,
    Slot,
    table_of,
)
from portail_tui.services.booking.children import load_family
from portail_tui.services.context import Context, ServiceError

LIVE = ("confirmed", "waiting")


A = table_of(Activity)
R = table_of(Rate)
C = table_of(Closure)
AC = table_of(ActivityClosure)
G = table_of(Regie)
S = table_of(Slot)
P = table_of(Period)
B = table_of(Booking)
F = table_of(Family)
M = table_of(FamilyMember)
SC = table_of(School)

_Q_REGIE = select(G.c.name, G.c.school_zone).where(G.c.id == bindparam("regie"))
_Q_ACTIVITIES = select(A).where(A.c.regie_id == bindparam("regie"), A.c.active.is_(True))
_Q_RATES = (
    select(R.c.activity_id, R.c.qf_min, R.c.qf_max, R.c.price_cents, R.c.valid_from, R.c.valid_to,
           R.c.no_quotient, R.c.unit)
    .join(A, A.c.id == R.c.activity_id)
    .where(A.c.regie_id == bindparam("regie"))
)
_Q_SCHOOLS = select(SC.c.code, SC.c.name).where(SC.c.regie_id == bindparam("regie"))
_Q_CLOSURES = select(C.c.day, C.c.reason).where(C.c.regie_id == bindparam("regie"))
_Q_ACTIVITY_CLOSURES = select(AC.c.activity_id, AC.c.day, AC.c.reason).where(AC.c.regie_id == bindparam("regie"))


@dataclass(frozen=True)
class RegieSetup:
    """Everything about a régie the rules need, loaded once per service call
    (three small queries): activities, rates by activity, the school calendar with
    the régie's closures."""

    regie_id: int
    regie_name: str
    activities: dict[int, ActivityRule]
    rates: dict[int, tuple[RateRule, ...]]
    calendar: SchoolCalendar
    closure_reasons: dict[date, str]

    def activity(self, activity_id: int) -> ActivityRule:
        try:
            return self.activities[activity_id]
        except KeyError:
            raise ServiceError("Activité inconnue.", field="activite") from None

    def ordered(self) -> list[ActivityRule]:
        return sorted(self.activities.values(), key=lambda a: (a.sort_order, a.code))

    def most_in_a_day(self) -> int:
        """The most activities booked by the day that run on one weekday: the longest
        list a day dialog can show (what sizes it, once)."""
        by_day = [a for a in self.activities.values() if not a.by_period]
        return max((sum(1 for a in by_day if str(wd) in a.weekdays) for wd in range(1, 8)), default=0)

    def rates_of(self, rule: ActivityRule) -> tuple[RateRule, ...]:
        """The brackets of an activity, for `price_for` / `period_price` (B1)."""
        return self.rates.get(rule.id, ())


def activity_rule(a: Any, school_names: dict[str, str] | None = None,
                  closed_days: dict[date, str] | None = None) -> ActivityRule:
    """An Activity row (Core row or model instance) as the rules see it. Eligible
    schools are stored as School codes; children name their school: `school_names`
    (code → name) translates them (a code without a School row stays as is). The days
    closed for this activity alone (G6) come with it when the caller loaded them."""
    eligible = None
    if a.eligible_schools is not None:
        names = school_names or {}
        eligible = frozenset(names.get(c, c) for c in a.eligible_schools.split(",") if c)
    return ActivityRule(
        id=a.id,
        code=a.code,
        label=a.label,
        letter=a.letter,
        start_time=a.start_time,
        end_time=a.end_time,
        weekdays=a.weekdays,
        runs_on=a.runs_on,
        booking_unit=a.booking_unit,
        deadline_days=a.deadline_days,
        deadline_time=a.deadline_time,
        deadline_skip_weekends=a.deadline_skip_weekends,
        deadline_skip_holidays=a.deadline_skip_holidays,
        horizon_days=a.horizon_days,
        capacity=a.capacity,
        waiting_list=a.waiting_list,
        exclusion_group=a.exclusion_group,
        combinable_in_group=a.combinable_in_group,
        sort_order=a.sort_order,
        eligible_schools=eligible,
        min_age=a.min_age,
        max_age=a.max_age,
        closed_from=a.closed_from,
        closed_days=closed_days or {},
    )


def period_rule(p: Any) -> PeriodRule:
    """A Period row (Core row or model instance) as the rules see it."""
    return PeriodRule(
        id=p.id,
        activity_id=p.activity_id,
        label=p.label,
        first_day=p.first_day,
        last_day=p.last_day,
        booking_opens=p.booking_opens,
        booking_closes=p.booking_closes,
        capacity=p.capacity,
        parent_id=p.parent_id,
    )


def load_setup(session: Session, regie_id: int) -> RegieSetup:
    conn = session.connection()
    params = {"regie": regie_id}
    regie = conn.execute(_Q_REGIE, params).first()
    if regie is None:
        raise ServiceError("Régie introuvable.")
    activity_rows = list(conn.execute(_Q_ACTIVITIES, params))
    names: dict[str, str] = {}
    if any(a.eligible_schools is not None for a in activity_rows):
        names = {r.code: r.name for r in conn.execute(_Q_SCHOOLS, params)}
    closed: dict[int, dict[date, str]] = {}
    for c in conn.execute(_Q_ACTIVITY_CLOSURES, params):
        closed.setdefault(c.activity_id, {})[c.day] = c.reason
    activities = {int(a.id): activity_rule(a, names, closed.get(int(a.id))) for a in activity_rows}
    rates: dict[int, list[RateRule]] = {}
    for r in conn.execute(_Q_RATES, params):
        if r.activity_id in activities:
            rates.setdefault(r.activity_id, []).append(
                RateRule(r.qf_min, r.qf_max, r.price_cents, r.valid_from, r.valid_to,
                         bool(r.no_quotient), r.unit)
            )
    reasons: dict[date, str] = {r.day: r.reason for r in conn.execute(_Q_CLOSURES, params)}
    zone = regie.school_zone if regie.school_zone in ("A", "B", "C") else "A"
    return RegieSetup(
        regie_id=regie_id,
        regie_name=regie.name,
        activities=activities,
        rates={k: tuple(v) for k, v in rates.items()},
        calendar=SchoolCalendar(zone, closures=frozenset(reasons)),
        closure_reasons=reasons,
    )


def day_activities(ctx: Context, family_id: int) -> list[ActivityRule]:
    """Activities booked by the day, in display order (the pattern dialog's choices)."""

    def work(session: Session) -> list[ActivityRule]:
        family = load_family(session, ctx, family_id)
        return [a for a in load_setup(session, family.regie_id).ordered() if not a.by_period]

    return ctx.db.read(work)


def when_period(p: PeriodRule) -> str:
    return f"{p.label} — du {format_date_short(p.first_day)} au {format_date_short(p.last_day)}"
