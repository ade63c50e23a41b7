"""The month calendar of one child (R5): a handful of small queries (the régie's
activities, rates and closures, the month's slots and periods, the child's bookings of
the month), never a count over the town; `domain.day_states` decides every cell."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, bindparam, select
from sqlmodel import Session

from portail_tui.domain.booking_rules import ActivityRule, PeriodRule, Places
from portail_tui.domain.day_states import BookedMark, DayCell, month_grid, month_states
from portail_tui.services.booking.children import check_regie, load_child, load_family
from portail_tui.services.booking.facts import period_capacity
from portail_tui.services.booking.setup import (
    LIVE,
    A,
    B,
    F,
    M,
    P,
    RegieSetup,
    S,
    load_setup,
    period_rule,
)
from portail_tui.services.context import Context

_Q_FAMILY_CHILD = (
    select(F.c.regie_id)
    .join(M, M.c.family_id == F.c.id)
    .where(F.c.id == bindparam("family"), M.c.child_id == bindparam("child"))
)
_Q_MONTH_SLOTS = (
    select(S.c.activity_id, S.c.day, S.c.capacity, S.c.taken)
    .join(A, A.c.id == S.c.activity_id)
    .where(A.c.regie_id == bindparam("regie"), S.c.day >= bindparam("first"), S.c.day <= bindparam("last"))
)
_Q_MONTH_PERIODS = (
    select(P, S.c.capacity.label("slot_capacity"), S.c.taken.label("slot_taken"))
    .join(A, A.c.id == P.c.activity_id)
    .outerjoin(S, S.c.period_id == P.c.id)
    .where(A.c.regie_id == bindparam("regie"), A.c.booking_unit == "period",
           P.c.first_day <= bindparam("last"), P.c.last_day >= bindparam("first"))
    .order_by(P.c.first_day, P.c.parent_id.is_not(None), P.c.id)
)
_Q_MONTH_BOOKINGS = select(B.c.activity_id, B.c.day, B.c.status).where(
    B.c.child_id == bindparam("child"), B.c.day >= bindparam("first"), B.c.day <= bindparam("last"),
    B.c.status.in_(LIVE),
)
_Q_MONTH_PERIOD_BOOKINGS = (
    select(B.c.activity_id, B.c.period_id, B.c.status)
    .join(P, P.c.id == B.c.period_id)
    .where(B.c.child_id == bindparam("child"), B.c.status.in_(LIVE),
           P.c.first_day <= bindparam("last"), P.c.last_day >= bindparam("first"))
)


@dataclass(frozen=True)
class MonthView:
    year: int
    month: int
    child_id: int
    weeks: tuple[tuple[DayCell, ...], ...]

    def cell(self, d: date) -> DayCell | None:
        for week in self.weeks:
            for c in week:
                if c.day == d:
                    return c
        return None


def _mark(rule: ActivityRule, status: str) -> BookedMark:
    return BookedMark(rule.id, rule.letter, rule.label, waiting=status == "waiting",
                      sort_order=rule.sort_order)


def _month_periods(
    conn: Connection, setup: RegieSetup, span: dict[str, object]
) -> tuple[list[PeriodRule], dict[int, Places]]:
    """The periods overlapping the month, with their places (a period without a Slot
    row yet has all its places free)."""
    periods: list[PeriodRule] = []
    pplaces: dict[int, Places] = {}
    for r in conn.execute(_Q_MONTH_PERIODS, span):
        rule = setup.activities.get(r.activity_id)
        if rule is None:
            continue
        p = period_rule(r)
        periods.append(p)
        if r.slot_taken is not None:
            pplaces[p.id] = Places(r.slot_capacity, r.slot_taken)
        else:
            pplaces[p.id] = Places(period_capacity(rule, p), 0)
    return periods, pplaces


def _month_period_bookings(
    conn: Connection, setup: RegieSetup, span: dict[str, object], periods: list[PeriodRule]
) -> list[tuple[PeriodRule, BookedMark]]:
    """The child's live period bookings overlapping the month."""
    if not periods:
        return []
    by_id = {p.id: p for p in periods}
    booked: list[tuple[PeriodRule, BookedMark]] = []
    for r in conn.execute(_Q_MONTH_PERIOD_BOOKINGS, span):
        rule = setup.activities.get(r.activity_id)
        if rule is not None and r.period_id in by_id:
            booked.append((by_id[r.period_id], _mark(rule, r.status)))
    return booked


def month_view(
    ctx: Context,
    family_id: int,
    child_id: int,
    year: int,
    month: int,
    pending_days: Iterable[date] = (),
) -> MonthView:
    """Day states of one child for one month (R5), with the cart's days in orange."""
    pending = frozenset(pending_days)
    weeks = month_grid(year, month)
    first, last = weeks[0][0], weeks[-1][-1]

    def work(session: Session) -> MonthView:
        conn = session.connection()
        regie_id = conn.execute(_Q_FAMILY_CHILD, {"family": family_id, "child": child_id}).scalar()
        if regie_id is None:  # say precisely what is wrong
            load_family(session, ctx, family_id)
            load_child(session, family_id, child_id)
            raise AssertionError("unreachable: the family or the child was refused above")
        check_regie(ctx, regie_id)
        setup = load_setup(session, regie_id)
        span = {"regie": regie_id, "first": first, "last": last, "child": child_id}
        # Days without a Slot row yet have every place free: only rows matter.
        places = {
            (r.activity_id, r.day): Places(r.capacity, r.taken)
            for r in conn.execute(_Q_MONTH_SLOTS, span)
            if r.activity_id in setup.activities
        }
        periods, pplaces = _month_periods(conn, setup, span)
        booked: dict[date, list[BookedMark]] = {}
        for r in conn.execute(_Q_MONTH_BOOKINGS, span):
            rule = setup.activities.get(r.activity_id)
            if rule is not None:
                booked.setdefault(r.day, []).append(_mark(rule, r.status))
        cells = month_states(
            year,
            month,
            now=ctx.clock.now(),
            cal=setup.calendar,
            activities=setup.ordered(),
            booked=booked,
            places=places,
            rates=setup.rates,
            periods=periods,
            period_places=pplaces,
            period_booked=_month_period_bookings(conn, setup, span, periods),
            pending_days=pending,
            closure_reasons=setup.closure_reasons,
        )
        return MonthView(year, month, child_id, tuple(tuple(w) for w in cells))

    return ctx.db.read(work)
