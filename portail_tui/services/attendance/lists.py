"""Who is expected at an activity on a day (P1), and which bookings nobody marked (P6).

Expected = the confirmed bookings of that activity that day: day bookings, and for a
period activity the bookings of a period covering the day (`period_covers`, the one
rule the price and the calendar use too). A présent non inscrit has a day booking of
its own, so it is listed like the others.

Statements are built once and only bound per call: the list of the largest school of
the 20,000-family town has a 50 ms budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time
from typing import Any, NamedTuple

from sqlalchemy import and_, bindparam, case, func, literal, or_, select
from sqlmodel import Session

from portail_tui.domain.booking_rules import (
    ActivityRule,
    PeriodRule,
    operation_refusal,
    period_covers,
)
from portail_tui.domain.frdates import format_date_long
from portail_tui.domain.pointage import (
    UnmarkedCount,
    Window,
    late_refusal,
    marking_window,
    previous_service_day,
    state_label,
    times_label,
    unmarked_wording,
)
from portail_tui.models import Attendance, Booking, Child, Contact, Period, Regie, School, table_of
from portail_tui.services.booking.setup import load_setup, period_rule
from portail_tui.services.context import Context, ServiceError

B = table_of(Booking)
C = table_of(Child)
T = table_of(Attendance)
K = table_of(Contact)
P = table_of(Period)
G = table_of(Regie)
S = table_of(School)

NO_SCHOOL = "Sans école"

# One accent- and case-folding table for sorting names (a translate is ~50× cheaper
# than unicodedata on every row of a 7,000-child list).
_FOLD = str.maketrans("àâäáãåçéèêëíìîïñóòôöõúùûüýÿœæÀÂÄÁÃÅÇÉÈÊËÍÌÎÏÑÓÒÔÖÕÚÙÛÜÝŸŒÆ-'’",
                      "aaaaaaceeeeiiiinooooouuuuyyoaAAAAAACEEEEIIIINOOOOOUUUUYYOA   ")


def sort_key(last_name: str, first_name: str) -> str:
    """Alphabetical the French way: accents and case folded (« Émile » with the E), one
    string per child (comparing strings is cheaper than tuples on a 7,800-child list)."""
    text = f"{last_name}\x00{first_name}"
    return (text if text.isascii() else text.translate(_FOLD)).lower()


class PointageRow(NamedTuple):
    """One expected child: its booking, its mark (`state` None is « réservé », not
    marked yet; `billed` None until marked) and who may pick it up. A named tuple: the
    largest list of the town has 7,800 of them."""

    booking_id: int
    family_id: int
    child_id: int
    last_name: str
    first_name: str
    school: str | None
    school_class: str | None
    state: str | None
    arrived_at: time | None
    left_at: time | None
    billed: bool | None
    pick_up: str = ""

    @property
    def state_text(self) -> str:
        return state_label(self.state)

    @property
    def times_text(self) -> str:
        return times_label(self.arrived_at, self.left_at)


@dataclass(frozen=True)
class PointageActivity:
    id: int
    code: str
    label: str
    hours: str
    by_period: bool


@dataclass(frozen=True)
class PointageList:
    day: date
    activity: PointageActivity
    school: str | None  # None: every school
    schools: tuple[str, ...]  # schools of the children expected that day (NO_SCHOOL last)
    rows: tuple[PointageRow, ...]
    window: Window
    notice: str  # French: why marking is closed for an agent, or ""

    @property
    def unmarked(self) -> int:
        return sum(1 for r in self.rows if r.state is None)


# ------------------------------------------------------------------ statements

_ROW_COLS = (B.c.id, B.c.family_id, B.c.child_id, C.c.last_name, C.c.first_name, C.c.school,
             C.c.school_class, T.c.state, T.c.arrived_at, T.c.left_at, T.c.billed)
_JOIN = B.join(C, C.c.id == B.c.child_id).outerjoin(
    T, and_(T.c.child_id == B.c.child_id, T.c.activity_id == B.c.activity_id, T.c.day == bindparam("day")))
_DAY_COND = and_(B.c.activity_id == bindparam("act"), B.c.day == bindparam("day"), B.c.status == "confirmed")
_PERIOD_COND = and_(B.c.activity_id == bindparam("act"), B.c.period_id.in_(bindparam("periods", expanding=True)),
                    B.c.status == "confirmed")
_SCHOOL_COND = func.coalesce(C.c.school, "") == bindparam("school")

_Q_DAY = select(*_ROW_COLS).select_from(_JOIN).where(_DAY_COND)
_Q_DAY_SCHOOL = _Q_DAY.where(_SCHOOL_COND)
_Q_BOTH = select(*_ROW_COLS).select_from(_JOIN).where(or_(_DAY_COND, _PERIOD_COND))
_Q_BOTH_SCHOOL = _Q_BOTH.where(_SCHOOL_COND)

_SCHOOLS_JOIN = B.join(C, C.c.id == B.c.child_id)
_Q_SCHOOLS_DAY = select(C.c.school).distinct().select_from(_SCHOOLS_JOIN).where(_DAY_COND)
_Q_SCHOOLS_BOTH = (select(C.c.school).distinct().select_from(_SCHOOLS_JOIN)
                   .where(or_(_DAY_COND, _PERIOD_COND)))
_Q_SCHOOL_ORDER = select(S.c.name, S.c.sort_order).where(S.c.regie_id == bindparam("regie"))

_Q_PERIODS = select(P).where(P.c.activity_id == bindparam("act"), P.c.first_day <= bindparam("day"),
                             P.c.last_day >= bindparam("day"))
# « à récupérer par » in the same statement: one correlated aggregate per child (the
# family's contacts allowed to pick up, for the whole family or for this child), in the
# order they were entered. 20 ms less than a second query on the largest list.
_CONTACT_TEXT = case((K.c.relationship.is_(None), K.c.name), else_=K.c.name + " (" + K.c.relationship + ")")
_CONTACT_WHERE = (K.c.family_id == B.c.family_id, K.c.may_pick_up.is_(True),
                  or_(K.c.child_id.is_(None), K.c.child_id == B.c.child_id))


def _pick_up_column(dialect: str) -> Any:
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import aggregate_order_by

        agg = func.string_agg(_CONTACT_TEXT, aggregate_order_by(literal(", "), K.c.id))
    else:  # SQLite: group_concat follows the index on family_id, i.e. the contacts' ids
        agg = func.group_concat(_CONTACT_TEXT, ", ")
    return func.coalesce(select(agg).where(*_CONTACT_WHERE).scalar_subquery(), "")


_Q_LIST: dict[tuple[str, bool, bool], Any] = {}


def _list_statement(dialect: str, periods: bool, school: bool) -> Any:
    key = (dialect, periods, school)
    stmt = _Q_LIST.get(key)
    if stmt is None:
        stmt = select(*_ROW_COLS, _pick_up_column(dialect)).select_from(_JOIN).where(
            or_(_DAY_COND, _PERIOD_COND) if periods else _DAY_COND)
        if school:
            stmt = stmt.where(_SCHOOL_COND)
        _Q_LIST[key] = stmt
    return stmt


_Q_DEADLINE = select(G.c.attendance_deadline_days).where(G.c.id == bindparam("regie"))


# ------------------------------------------------------------------ helpers


def regie_of(ctx: Context) -> int:
    actor = ctx.require_actor()
    return actor.regie_id


def activity_of(setup_activities: dict[int, ActivityRule], activity_id: int) -> ActivityRule:
    rule = setup_activities.get(activity_id)
    if rule is None:
        raise ServiceError("Activité inconnue.", field="activite")
    return rule


def covering_periods(session: Session, rule: ActivityRule, day: date, setup_calendar: Any) -> list[int]:
    """Ids of the activity's periods whose booking gives the child `day`."""
    if not rule.by_period:
        return []
    periods: list[PeriodRule] = [period_rule(p) for p in session.connection().execute(
        _Q_PERIODS, {"act": rule.id, "day": day})]
    return [p.id for p in periods if period_covers(rule, p, day, setup_calendar)]


def _params(rule: ActivityRule, day: date, periods: Sequence[int], school: str | None) -> dict[str, Any]:
    params: dict[str, Any] = {"act": rule.id, "day": day}
    if periods:
        params["periods"] = list(periods)
    if school is not None:
        params["school"] = "" if school == NO_SCHOOL else school
    return params


def _fetch(session: Session, rule: ActivityRule, day: date, periods: Sequence[int], school: str | None,
           *, pick_up: bool = False) -> list[Any]:
    """The expected bookings and marks as database rows, one per child (a child with a
    day booking and a period booking the same day is listed once); with `pick_up`, the
    « à récupérer par » text last."""
    if pick_up:
        stmt = _list_statement(session.get_bind().dialect.name, bool(periods), school is not None)
    elif periods:
        stmt = _Q_BOTH if school is None else _Q_BOTH_SCHOOL
    else:
        stmt = _Q_DAY if school is None else _Q_DAY_SCHOOL
    rows = list(session.connection().execute(stmt, _params(rule, day, periods, school)).all())
    if periods:
        seen: set[int] = set()
        unique = []
        for r in rows:
            if r[2] not in seen:
                seen.add(r[2])
                unique.append(r)
        rows = unique
    return rows


def expected_rows(session: Session, rule: ActivityRule, day: date, periods: Sequence[int],
                  school: str | None) -> list[PointageRow]:
    """The children expected and their marks (without the pick-up contacts)."""
    return [PointageRow(*r) for r in _fetch(session, rule, day, periods, school)]


def deadline_days(session: Session, regie_id: int) -> int:
    value = session.connection().execute(_Q_DEADLINE, {"regie": regie_id}).scalar()
    if value is None:
        raise ServiceError("Régie introuvable.")
    return int(value)


def _schools(session: Session, regie_id: int, rule: ActivityRule, day: date, periods: Sequence[int]) -> tuple[str, ...]:
    conn = session.connection()
    params: dict[str, Any] = {"act": rule.id, "day": day}
    if periods:
        params["periods"] = list(periods)
    names = {n for (n,) in conn.execute(_Q_SCHOOLS_BOTH if periods else _Q_SCHOOLS_DAY, params)}
    order = {n: o for n, o in conn.execute(_Q_SCHOOL_ORDER, {"regie": regie_id})}
    named = sorted((n for n in names if n), key=lambda n: (order.get(n, 1_000_000), sort_key(n, "")))
    return (*named, NO_SCHOOL) if None in names or "" in names else tuple(named)


def _activity(rule: ActivityRule) -> PointageActivity:
    return PointageActivity(rule.id, rule.code, rule.label, rule.hours, rule.by_period)


# ------------------------------------------------------------------ services


def pointage_activities(ctx: Context, day: date) -> list[PointageActivity]:
    """The activities that run on `day`, in display order (the screen's choice)."""
    regie_id = regie_of(ctx)

    def work(session: Session) -> list[PointageActivity]:
        setup = load_setup(session, regie_id)
        return [_activity(r) for r in setup.ordered()
                if operation_refusal(r, day, setup.calendar, setup.closure_reasons) is None]

    return ctx.db.read(work)


def pointage_list(ctx: Context, activity_id: int, day: date, school: str | None = None) -> PointageList:
    """The children expected at `activity_id` on `day` (of one school, or all when
    `school` is None; « Sans école » for children without one), alphabetical, with
    their mark and who may pick them up."""
    actor = ctx.require_actor()
    regie_id = actor.regie_id
    today = ctx.clock.today()

    def work(session: Session) -> PointageList:
        setup = load_setup(session, regie_id)
        rule = activity_of(setup.activities, activity_id)
        periods = covering_periods(session, rule, day, setup.calendar)
        schools = _schools(session, regie_id, rule, day, periods)
        rows = _fetch(session, rule, day, periods, school, pick_up=True)
        rows.sort(key=lambda r: sort_key(r[3], r[4]))  # stable: namesakes keep the database's order
        listed = [PointageRow._make(r) for r in rows]
        days = deadline_days(session, regie_id)
        window = marking_window(day, today, days)
        notice = ""
        if window is Window.EARLY:
            notice = f"Pointage possible à partir du {format_date_long(day)}."
        elif window is Window.LATE:
            notice = late_refusal(day, days)
        return PointageList(day, _activity(rule), school, schools, tuple(listed), window, notice)

    return ctx.db.read(work)


# ------------------------------------------------------------------ P6

_Q_UNMARKED_DAY = (
    select(B.c.activity_id, func.count())
    .select_from(B.outerjoin(T, and_(T.c.child_id == B.c.child_id, T.c.activity_id == B.c.activity_id,
                                     T.c.day == bindparam("day"))))
    # By the régie's activities, so the count reads the covering (activity, day, status,
    # child) index alone.
    .where(B.c.activity_id.in_(bindparam("activities", expanding=True)), B.c.day == bindparam("day"),
           B.c.status == "confirmed", T.c.id.is_(None))
    .group_by(B.c.activity_id)
)


def unmarked(ctx: Context, day: date) -> list[UnmarkedCount]:
    """Per activity, the bookings of `day` nobody marked (still « réservé »): the
    régisseur's morning list (P6). Period bookings count on the days their period covers."""
    regie_id = regie_of(ctx)

    def work(session: Session) -> list[UnmarkedCount]:
        setup = load_setup(session, regie_id)
        if not setup.activities:
            return []
        counts = {a: int(n) for a, n in session.connection().execute(
            _Q_UNMARKED_DAY, {"activities": sorted(setup.activities), "day": day})}
        for rule in setup.activities.values():
            periods = covering_periods(session, rule, day, setup.calendar)
            if periods:  # day and period bookings together, each child once
                rows = expected_rows(session, rule, day, periods, None)
                counts[rule.id] = sum(1 for r in rows if r.state is None)
        return [UnmarkedCount(r.id, r.label, counts[r.id]) for r in setup.ordered() if counts.get(r.id)]

    return ctx.db.read(work)


def unmarked_notice(ctx: Context) -> str | None:
    """Accueil's line for the régisseur: the bookings of the previous service day
    nobody marked, or None (every booking marked, or not a régisseur's concern)."""
    regie_id = regie_of(ctx)
    today = ctx.clock.today()

    def work(session: Session) -> date | None:
        setup = load_setup(session, regie_id)
        return previous_service_day(setup.activities.values(), today, setup.calendar, setup.closure_reasons)

    day = ctx.db.read(work)
    if day is None:
        return None
    return unmarked_wording(day, today, unmarked(ctx, day))
