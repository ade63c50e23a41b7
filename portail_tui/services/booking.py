"""Bookings (R1–R5, R8, R10, B1–B3, B5): what the Réservations tab and the CLI call.

Reads are shaped for the counter's budgets: the month of one child is a handful of
small queries (the régie's activities, rates and closures, the child's bookings of
the month, the month's slots of the activities), never a count over the town.

Writes go through `validate_cart`: one transaction, every line re-checked with the
clock of that moment, places taken by a conditional UPDATE on the Slot counter so
no two agents can overbook, a full slot turning the booking into a waiting-list one,
and a cancellation handing its place to the first child waiting.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from portail_tui.db import ReplayUnitOfWork
from portail_tui.domain.booking_rules import (
    ActivityRule,
    PeriodRule,
    Places,
    RateRule,
    Refusal,
    Verdict,
    check_cancel_day,
    check_cancel_period,
    check_day,
    check_period,
    deadline,
    effective_quotient,
    excludes,
    operation_refusal,
    period_price,
    price_for,
    window_wording,
)
from portail_tui.domain.day_states import BookedMark, DayCell, month_grid, month_states
from portail_tui.domain.frdates import (
    WEEKDAYS,
    capitalize_first,
    format_date_long,
    format_date_short,
)
from portail_tui.domain.money import format_amount
from portail_tui.domain.school_calendar import DayKind, SchoolCalendar
from portail_tui.domain.text import normalize
from portail_tui.exports.tables import Column, Report, ReportTable
from portail_tui.models import (
    Activity,
    AuditLog,
    Booking,
    Child,
    Closure,
    Family,
    FamilyMember,
    Period,
    Rate,
    Regie,
    Slot,
)
from portail_tui.services import audit, outbox
from portail_tui.services.booking_cart import (
    BOOK,
    CANCEL,
    Cart,
    CartLine,
    DayOption,
    DayOptions,
    PeriodOption,
)
from portail_tui.services.context import Context, ServiceError
from portail_tui.services.export_formats import check_format, render_report
from portail_tui.services.permissions import require
from portail_tui.services.wallet import consumption_limit

__all__ = [
    "CartResult",
    "ChildChoice",
    "LineOutcome",
    "MonthView",
    "PatternResult",
    "RegieSetup",
    "SkippedDay",
    "SuiviLine",
    "SuiviResult",
    "booking_children",
    "day_activities",
    "day_options",
    "default_pattern_range",
    "load_setup",
    "month_view",
    "pattern_lines",
    "promote_waiting",
    "period_options",
    "suivi",
    "suivi_file",
    "suivi_report",
    "validate_cart",
]

_ONE_DAY = timedelta(days=1)
MAX_PATTERN_DAYS = 366
LIVE = ("confirmed", "waiting")


# ------------------------------------------------------------------- régie setup


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

    def price(self, rule: ActivityRule, quotient: int | None, on: date) -> int | None:
        return price_for(self.rates.get(rule.id, ()), quotient, on)


def _rule(a) -> ActivityRule:  # type: ignore[no-untyped-def]  (a row or an Activity)
    return ActivityRule(
        id=a.id,  # type: ignore[arg-type]
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
    )


def _period_rule(p) -> PeriodRule:  # type: ignore[no-untyped-def]  (a row or a Period)
    return PeriodRule(
        id=p.id,  # type: ignore[arg-type]
        activity_id=p.activity_id,
        label=p.label,
        first_day=p.first_day,
        last_day=p.last_day,
        booking_opens=p.booking_opens,
        booking_closes=p.booking_closes,
        capacity=p.capacity,
        parent_id=p.parent_id,
    )


# Statements built once: the counter's hot paths only bind parameters (building and
# coercing an SQL expression costs more than running it on SQLite).
_A = Activity.__table__  # type: ignore[attr-defined]
_R = Rate.__table__  # type: ignore[attr-defined]
_C = Closure.__table__  # type: ignore[attr-defined]
_G = Regie.__table__  # type: ignore[attr-defined]
_S = Slot.__table__  # type: ignore[attr-defined]
_P = Period.__table__  # type: ignore[attr-defined]
_B = Booking.__table__  # type: ignore[attr-defined]
_F = Family.__table__  # type: ignore[attr-defined]
_M = FamilyMember.__table__  # type: ignore[attr-defined]

_Q_REGIE = select(_G.c.name, _G.c.school_zone).where(_G.c.id == bindparam("regie"))
_Q_ACTIVITIES = select(_A).where(_A.c.regie_id == bindparam("regie"), _A.c.active.is_(True))
_Q_RATES = (
    select(_R.c.activity_id, _R.c.qf_min, _R.c.qf_max, _R.c.price_cents, _R.c.valid_from, _R.c.valid_to)
    .join(_A, _A.c.id == _R.c.activity_id)
    .where(_A.c.regie_id == bindparam("regie"))
)
_Q_CLOSURES = select(_C.c.day, _C.c.reason).where(_C.c.regie_id == bindparam("regie"))
_Q_FAMILY_CHILD = (
    select(_F.c.regie_id)
    .join(_M, _M.c.family_id == _F.c.id)
    .where(_F.c.id == bindparam("family"), _M.c.child_id == bindparam("child"))
)
_Q_MONTH_SLOTS = (
    select(_S.c.activity_id, _S.c.day, _S.c.capacity, _S.c.taken)
    .join(_A, _A.c.id == _S.c.activity_id)
    .where(_A.c.regie_id == bindparam("regie"), _S.c.day >= bindparam("first"), _S.c.day <= bindparam("last"))
)
_Q_MONTH_PERIODS = (
    select(_P, _S.c.capacity.label("slot_capacity"), _S.c.taken.label("slot_taken"))
    .join(_A, _A.c.id == _P.c.activity_id)
    .outerjoin(_S, _S.c.period_id == _P.c.id)
    .where(_A.c.regie_id == bindparam("regie"), _A.c.booking_unit == "period",
           _P.c.first_day <= bindparam("last"), _P.c.last_day >= bindparam("first"))
    .order_by(_P.c.first_day, _P.c.parent_id.is_not(None), _P.c.id)
)
_Q_MONTH_BOOKINGS = select(_B.c.activity_id, _B.c.day, _B.c.status).where(
    _B.c.child_id == bindparam("child"), _B.c.day >= bindparam("first"), _B.c.day <= bindparam("last"),
    _B.c.status.in_(LIVE),
)
_Q_MONTH_PERIOD_BOOKINGS = (
    select(_B.c.activity_id, _B.c.period_id, _B.c.status)
    .join(_P, _P.c.id == _B.c.period_id)
    .where(_B.c.child_id == bindparam("child"), _B.c.status.in_(LIVE),
           _P.c.first_day <= bindparam("last"), _P.c.last_day >= bindparam("first"))
)


def load_setup(session: Session, regie_id: int) -> RegieSetup:
    conn = session.connection()
    params = {"regie": regie_id}
    regie = conn.execute(_Q_REGIE, params).first()
    if regie is None:
        raise ServiceError("Régie introuvable.")
    activities = {a.id: _rule(a) for a in conn.execute(_Q_ACTIVITIES, params)}  # type: ignore[arg-type]
    rates: dict[int, list[RateRule]] = {}
    for r in conn.execute(_Q_RATES, params):
        if r.activity_id in activities:
            rates.setdefault(r.activity_id, []).append(
                RateRule(r.qf_min, r.qf_max, r.price_cents, r.valid_from, r.valid_to)
            )
    reasons = {r.day: r.reason for r in conn.execute(_Q_CLOSURES, params)}
    zone = regie.school_zone if regie.school_zone in ("A", "B", "C") else "A"
    return RegieSetup(
        regie_id=regie_id,
        regie_name=regie.name,
        activities=activities,  # type: ignore[arg-type]
        rates={k: tuple(v) for k, v in rates.items()},
        calendar=SchoolCalendar(zone, closures=frozenset(reasons)),
        closure_reasons=reasons,
    )


# ------------------------------------------------------------------- family, child


@dataclass(frozen=True)
class ChildChoice:
    id: int
    first_name: str
    last_name: str

    @property
    def name(self) -> str:
        return self.first_name


def _family(session: Session, ctx: Context, family_id: int) -> Family:
    family = session.get(Family, family_id)
    if family is None:
        raise ServiceError("Famille introuvable.", field="famille")
    actor = ctx.actor
    if actor is not None and actor.kind != "system" and actor.regie_id != family.regie_id:
        raise ServiceError("Cette famille dépend d'une autre régie.", field="famille")
    return family


def _children(session: Session, family_id: int) -> dict[int, ChildChoice]:
    rows = session.execute(
        select(Child.id, Child.first_name, Child.last_name)
        .join(FamilyMember, FamilyMember.child_id == Child.id)
        .where(FamilyMember.family_id == family_id)
        .order_by(Child.birth_date, Child.first_name, Child.id)
    ).all()
    return {r.id: ChildChoice(r.id, r.first_name, r.last_name) for r in rows}


def _child(session: Session, family_id: int, child_id: int) -> ChildChoice:
    row = session.execute(
        select(Child.id, Child.first_name, Child.last_name)
        .join(FamilyMember, FamilyMember.child_id == Child.id)
        .where(FamilyMember.family_id == family_id, Child.id == child_id)
    ).first()
    if row is None:
        raise ServiceError("Cet enfant n'est pas rattaché à la famille.", field="enfant")
    return ChildChoice(row.id, row.first_name, row.last_name)


def booking_children(ctx: Context, family_id: int) -> list[ChildChoice]:
    """The children an agent can book for this family, eldest first."""

    def work(session: Session) -> list[ChildChoice]:
        _family(session, ctx, family_id)
        return list(_children(session, family_id).values())

    return ctx.db.read(work)


def _quotient(family: Family, on: date) -> int | None:
    return effective_quotient(family.quotient, family.quotient_valid_from, family.quotient_valid_to, on)


def _when_period(p: PeriodRule) -> str:
    return f"{p.label} — du {format_date_short(p.first_day)} au {format_date_short(p.last_day)}"


# --------------------------------------------------------------------- month view


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


def _slots_for_days(
    session: Session, activity_ids: Sequence[int], first: date, last: date
) -> dict[tuple[int, date], Places]:
    if not activity_ids:
        return {}
    rows = session.execute(
        select(Slot.activity_id, Slot.day, Slot.capacity, Slot.taken).where(
            Slot.activity_id.in_(list(activity_ids)), Slot.day >= first, Slot.day <= last
        )
    ).all()
    return {(r.activity_id, r.day): Places(r.capacity, r.taken) for r in rows}


def _default_places(rule: ActivityRule, slot: Places | None) -> Places:
    return slot if slot is not None else Places(rule.capacity, 0)


def _periods_overlapping(
    session: Session, activity_ids: Sequence[int], first: date, last: date
) -> list[PeriodRule]:
    if not activity_ids:
        return []
    rows = session.execute(
        select(Period).where(
            Period.activity_id.in_(list(activity_ids)), Period.first_day <= last, Period.last_day >= first
        ).order_by(Period.first_day, Period.parent_id.is_not(None), Period.id)
    ).scalars()
    return [_period_rule(p) for p in rows]


def _period_slots(session: Session, period_ids: Sequence[int]) -> dict[int, Places]:
    if not period_ids:
        return {}
    rows = session.execute(
        select(Slot.period_id, Slot.capacity, Slot.taken).where(Slot.period_id.in_(list(period_ids)))
    ).all()
    return {r.period_id: Places(r.capacity, r.taken) for r in rows}


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
            _family(session, ctx, family_id)
            _child(session, family_id, child_id)
        actor = ctx.actor
        if actor is not None and actor.kind != "system" and actor.regie_id != regie_id:
            raise ServiceError("Cette famille dépend d'une autre régie.", field="famille")
        setup = load_setup(session, regie_id)
        now = ctx.clock.now()
        rules = setup.ordered()
        span = {"regie": regie_id, "first": first, "last": last, "child": child_id}
        # Days without a Slot row yet have every place free: only rows matter.
        places = {
            (r.activity_id, r.day): Places(r.capacity, r.taken)
            for r in conn.execute(_Q_MONTH_SLOTS, span)
            if r.activity_id in setup.activities
        }
        periods: list[PeriodRule] = []
        pplaces: dict[int, Places] = {}
        for r in conn.execute(_Q_MONTH_PERIODS, span):
            rule = setup.activities.get(r.activity_id)
            if rule is None:
                continue
            p = _period_rule(r)
            periods.append(p)
            if r.slot_taken is not None:
                pplaces[p.id] = Places(r.slot_capacity, r.slot_taken)
            else:
                pplaces[p.id] = Places(p.capacity if p.capacity is not None else rule.capacity, 0)
        booked: dict[date, list[BookedMark]] = {}
        for r in conn.execute(_Q_MONTH_BOOKINGS, span):
            rule = setup.activities.get(r.activity_id)
            if rule is not None:
                booked.setdefault(r.day, []).append(_mark(rule, r.status))
        period_booked: list[tuple[PeriodRule, BookedMark]] = []
        if periods:
            by_id = {p.id: p for p in periods}
            for r in conn.execute(_Q_MONTH_PERIOD_BOOKINGS, span):
                rule = setup.activities.get(r.activity_id)
                if rule is not None and r.period_id in by_id:
                    period_booked.append((by_id[r.period_id], _mark(rule, r.status)))
        cells = month_states(
            year,
            month,
            now=now,
            cal=setup.calendar,
            activities=rules,
            booked=booked,
            places=places,
            rates=setup.rates,
            periods=periods,
            period_places=pplaces,
            period_booked=period_booked,
            pending_days=pending,
            closure_reasons=setup.closure_reasons,
        )
        return MonthView(year, month, child_id, tuple(tuple(w) for w in cells))

    return ctx.db.read(work)


def _mark(rule: ActivityRule, status: str) -> BookedMark:
    return BookedMark(rule.id, rule.letter, rule.label, waiting=status == "waiting",
                      sort_order=rule.sort_order)


# ----------------------------------------------------------------------- day dialog


def _waiting_rank(session: Session, booking_id: int) -> int | None:
    """Position on the waiting list: 1 + bookings waiting on the same slot before it."""
    b = session.get(Booking, booking_id)
    if b is None or b.status != "waiting":
        return None
    same_slot = Booking.day == b.day if b.day is not None else Booking.period_id == b.period_id
    ahead = session.execute(
        select(func.count()).select_from(Booking).where(
            Booking.activity_id == b.activity_id,
            same_slot,
            Booking.status == "waiting",
            or_(Booking.created_at < b.created_at,
                and_(Booking.created_at == b.created_at, Booking.id < b.id)),
        )
    ).scalar_one()
    return int(ahead) + 1


def _day_note(setup: RegieSetup, day: date) -> str:
    kind = setup.calendar.day_kind(day)
    if kind is DayKind.SCHOOL_HOLIDAY and any(a.by_period for a in setup.activities.values()):
        return "Vacances scolaires : le centre de loisirs se réserve par période (touche P)."
    if kind is DayKind.CLOSURE:
        return f"Fermé ce jour ({setup.closure_reasons.get(day, 'fermeture')})."
    if kind is DayKind.PUBLIC_HOLIDAY:
        return f"Jour férié ({setup.calendar.public_holiday_name(day) or ''})."
    if kind is DayKind.WEEKEND:
        return "Week-end : aucune activité."
    if kind is DayKind.SCHOOL_HOLIDAY:
        return "Vacances scolaires."
    return ""


def day_options(ctx: Context, family_id: int, child_id: int, day: date) -> DayOptions:
    """The day dialog: every activity running that day with hours, this family's
    price, places left, deadline, and whether the child is booked (R10)."""

    def work(session: Session) -> DayOptions:
        family = _family(session, ctx, family_id)
        child = _child(session, family_id, child_id)
        setup = load_setup(session, family.regie_id)
        now = ctx.clock.now()
        running = [
            a for a in setup.ordered()
            if not a.by_period and operation_refusal(a, day, setup.calendar, setup.closure_reasons) is None
        ]
        ids = [a.id for a in running]
        slots = _slots_for_days(session, ids, day, day)
        bookings = {
            b.activity_id: b
            for b in session.execute(
                select(Booking).where(
                    Booking.child_id == child_id, Booking.day == day, Booking.status.in_(LIVE)
                )
            ).scalars()
        }
        quotient = _quotient(family, day)
        options = []
        for rule in running:
            places = _default_places(rule, slots.get((rule.id, day)))
            price = setup.price(rule, quotient, day)
            verdict = check_day(rule, day, now, setup.calendar, places=places, has_rate=price is not None,
                                closure_reasons=setup.closure_reasons)
            b = bookings.get(rule.id)
            options.append(
                DayOption(
                    rule=rule,
                    price_cents=b.price_cents if b is not None and b.status == "confirmed" else price,
                    places=places,
                    deadline=deadline(rule, day, setup.calendar),
                    book=verdict,
                    cancel=check_cancel_day(rule, day, now, setup.calendar),
                    booking_id=b.id if b else None,
                    booked_status=b.status if b else None,
                    waiting_rank=_waiting_rank(session, b.id) if b and b.status == "waiting" else None,  # type: ignore[arg-type]
                    other_family=b is not None and b.family_id != family_id,
                )
            )
        return DayOptions(
            family_id=family_id,
            child_id=child_id,
            child_name=child.first_name,
            day=day,
            when=format_date_long(day),
            options=tuple(options),
            note=_day_note(setup, day) if not running else "",
            by_period=not running and setup.calendar.day_kind(day) is DayKind.SCHOOL_HOLIDAY
            and any(a.by_period and a.runs_on_weekday(day) for a in setup.activities.values()),
        )

    return ctx.db.read(work)


# --------------------------------------------------------------------------- periods


def period_options(ctx: Context, family_id: int, child_id: int) -> list[PeriodOption]:
    """Holiday periods (and their weeks) not yet over, for the period dialog (R3)."""

    def work(session: Session) -> list[PeriodOption]:
        family = _family(session, ctx, family_id)
        _child(session, family_id, child_id)
        setup = load_setup(session, family.regie_id)
        now = ctx.clock.now()
        today = now.date()
        ids = [a.id for a in setup.ordered() if a.by_period]
        if not ids:
            return []
        periods = [
            _period_rule(p)
            for p in session.execute(
                select(Period).where(Period.activity_id.in_(ids), Period.last_day >= today)
            ).scalars()
        ]
        # Whole holidays first, each followed by its weeks.
        order = {p.id: (p.first_day, p.id) for p in periods if p.parent_id is None}
        periods.sort(key=lambda p: (order.get(p.parent_id or p.id, (p.first_day, p.id)),
                                    p.parent_id is not None, p.first_day))
        pplaces = _period_slots(session, [p.id for p in periods])
        live = {
            b.period_id: b
            for b in session.execute(
                select(Booking).where(
                    Booking.child_id == child_id,
                    Booking.period_id.in_([p.id for p in periods]),
                    Booking.status.in_(LIVE),
                )
            ).scalars()
        } if periods else {}
        by_id = {p.id: p for p in periods}
        result = []
        for p in periods:
            rule = setup.activities[p.activity_id]
            cap = p.capacity if p.capacity is not None else rule.capacity
            places = pplaces.get(p.id, Places(cap, 0))
            quotient = _quotient(family, p.first_day)
            price = period_price(rule, p, setup.rates.get(rule.id, ()), quotient, setup.calendar)
            b = live.get(p.id)
            covered = None
            if b is None:
                for other_id in live:
                    other = by_id[other_id]
                    if other.activity_id == p.activity_id and other.overlaps(p):
                        covered = other.label
                        break
            result.append(
                PeriodOption(
                    rule=rule,
                    period=p,
                    when=_when_period(p),
                    price_cents=b.price_cents if b is not None and b.status == "confirmed" else price,
                    places=places,
                    book=check_period(rule, p, now, places=places, has_rate=price is not None),
                    cancel=check_cancel_period(p, now),
                    window=window_wording(p.booking_opens, p.booking_closes),
                    booking_id=b.id if b else None,
                    booked_status=b.status if b else None,
                    waiting_rank=_waiting_rank(session, b.id) if b and b.status == "waiting" else None,  # type: ignore[arg-type]
                    covered_by=covered,
                )
            )
        return result

    return ctx.db.read(work)


# --------------------------------------------------------------------------- patterns


@dataclass(frozen=True)
class SkippedDay:
    day: date
    activity_label: str
    reason: str

    @property
    def text(self) -> str:
        return f"{format_date_long(self.day)} — {self.activity_label} : {self.reason}"


@dataclass(frozen=True)
class PatternResult:
    lines: tuple[CartLine, ...]
    skipped: tuple[SkippedDay, ...]

    @property
    def summary(self) -> str:
        n, s = len(self.lines), len(self.skipped)
        text = f"{n} jour{'s' if n > 1 else ''}-activité ajouté{'s' if n > 1 else ''} au panier"
        if s:
            text += f", {s} non retenu{'s' if s > 1 else ''}"
        return text + "."


def default_pattern_range(ctx: Context) -> tuple[date, date]:
    """From today to the end of the current school period (B3's default)."""
    today = ctx.clock.today()
    cal = ctx.school_calendar
    return today, cal.current_school_period_end(today)


def pattern_lines(
    ctx: Context,
    family_id: int,
    child_id: int,
    activity_ids: Sequence[int],
    weekdays: Iterable[int],
    start: date,
    end: date,
    cart: Cart | None = None,
) -> PatternResult:
    """B3: every chosen weekday (ISO 1–5) from `start` to `end`, for each chosen
    activity, becomes a cart line when it can be booked; every other day is listed
    with its reason (closed, holiday, too late, full, already booked…)."""
    wd = sorted(set(weekdays))
    if not activity_ids:
        raise ServiceError("Choisissez au moins une activité.", field="activites")
    if not wd or any(d not in (1, 2, 3, 4, 5) for d in wd):
        raise ServiceError("Choisissez au moins un jour de la semaine (lundi à vendredi).", field="jours")
    if end < start:
        raise ServiceError("La date de fin est avant la date de début.", field="fin")
    if (end - start).days > MAX_PATTERN_DAYS:
        raise ServiceError("Une semaine type couvre au plus un an.", field="fin")

    def work(session: Session) -> PatternResult:
        family = _family(session, ctx, family_id)
        child = _child(session, family_id, child_id)
        setup = load_setup(session, family.regie_id)
        rules = sorted((setup.activity(a) for a in set(activity_ids)), key=lambda a: (a.sort_order, a.code))
        for rule in rules:
            if rule.by_period:
                raise ServiceError(f"{rule.label} se réserve par période (touche P).", field="activites")
        for i, a in enumerate(rules):
            for b in rules[i + 1:]:
                if excludes(a, b):
                    raise ServiceError(f"{a.label} et {b.label} ne peuvent pas être choisies ensemble.",
                                       field="activites")
        now = ctx.clock.now()
        slots = _slots_for_days(session, [r.id for r in rules], start, end)
        live: dict[date, dict[int, str]] = {}
        for r in session.execute(
            select(Booking.activity_id, Booking.day, Booking.status).where(
                Booking.child_id == child_id, Booking.day >= start, Booking.day <= end,
                Booking.status.in_(LIVE),
            )
        ).all():
            live.setdefault(r.day, {})[r.activity_id] = r.status
        lines: list[CartLine] = []
        skipped: list[SkippedDay] = []
        d = start
        while d <= end:
            if d.isoweekday() not in wd:
                d += _ONE_DAY
                continue
            quotient = _quotient(family, d)
            day_live = live.get(d, {})
            in_cart = {}
            if cart is not None:
                for rule in setup.activities.values():
                    line = cart.get((child_id, rule.id, d, None))
                    if line is not None:
                        in_cart[rule.id] = line.action
            for rule in rules:
                if rule.id in day_live:
                    skipped.append(SkippedDay(d, rule.label, "déjà réservé"))
                    continue
                action = in_cart.get(rule.id)
                if action == BOOK:
                    continue
                if action == CANCEL:
                    skipped.append(SkippedDay(d, rule.label, "annulation en cours dans le panier"))
                    continue
                price = setup.price(rule, quotient, d)
                verdict = check_day(rule, d, now, setup.calendar,
                                    places=_default_places(rule, slots.get((rule.id, d))),
                                    has_rate=price is not None, closure_reasons=setup.closure_reasons)
                if not verdict.ok:
                    skipped.append(SkippedDay(d, rule.label, verdict.reason))
                    continue
                others = [
                    setup.activities[a] for a, st in day_live.items()
                    if a in setup.activities and in_cart.get(a) != CANCEL
                ] + [setup.activities[a] for a, act in in_cart.items() if act == BOOK]
                blocker = next((o for o in others if excludes(rule, o)), None)
                if blocker is not None:
                    skipped.append(SkippedDay(d, rule.label, f"incompatible avec {blocker.label}"))
                    continue
                lines.append(
                    CartLine(
                        action=BOOK,
                        child_id=child_id,
                        activity_id=rule.id,
                        day=d,
                        child_name=child.first_name,
                        activity_label=rule.label,
                        when=format_date_long(d),
                        price_cents=price,
                        note="complet : liste d'attente" if verdict.waiting else "",
                    )
                )
            d += _ONE_DAY
        return PatternResult(tuple(lines), tuple(skipped))

    return ctx.db.read(work)


# ------------------------------------------------------------------------ validation


@dataclass(frozen=True)
class LineOutcome:
    line: CartLine
    outcome: str  # "confirmed" | "waiting" | "cancelled" | "refused"
    reason: str = ""
    booking_id: int | None = None
    price_cents: int | None = None


@dataclass(frozen=True)
class CartResult:
    outcomes: tuple[LineOutcome, ...]
    promoted: int = 0

    def _of(self, kind: str) -> list[LineOutcome]:
        return [o for o in self.outcomes if o.outcome == kind]

    @property
    def confirmed(self) -> list[LineOutcome]:
        return self._of("confirmed")

    @property
    def waiting(self) -> list[LineOutcome]:
        return self._of("waiting")

    @property
    def cancelled(self) -> list[LineOutcome]:
        return self._of("cancelled")

    @property
    def refused(self) -> list[LineOutcome]:
        return self._of("refused")

    @property
    def summary(self) -> str:
        """"3 réservations enregistrées, 1 annulation, 1 en liste d'attente, 2 refusées.\""""
        def n(k: int, one: str, many: str) -> str:
            return f"{k} {one if k <= 1 else many}"

        parts = [n(len(self.confirmed), "réservation enregistrée", "réservations enregistrées")]
        if self.cancelled:
            parts.append(n(len(self.cancelled), "annulation", "annulations"))
        if self.waiting:
            parts.append(f"{len(self.waiting)} en liste d'attente")
        if self.refused:
            parts.append(n(len(self.refused), "refusée", "refusées"))
        text = ", ".join(parts) + "."
        if self.promoted:
            text += f" {n(self.promoted, 'place libérée attribuée', 'places libérées attribuées')}" \
                    " à un enfant en attente (courriel envoyé)."
        return text


def _insert_ignore(session: Session, rows: list[dict[str, object]], elements: list[str]) -> None:
    """Create Slot rows lazily: INSERT … ON CONFLICT DO NOTHING in the engine's dialect."""
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    stmt = dialect_insert(Slot.__table__).on_conflict_do_nothing(index_elements=elements)  # type: ignore[arg-type]
    session.execute(stmt, rows)


_I_BOOKING = insert(_B).returning(_B.c.id, sort_by_parameter_order=True)
_U_TAKE = (
    update(_S)
    .where(_S.c.id == bindparam("sid"), or_(_S.c.capacity.is_(None), _S.c.taken < _S.c.capacity))
    .values(taken=_S.c.taken + 1)
)
_U_CANCEL = (
    update(_B)
    .where(_B.c.id == bindparam("bid"), _B.c.status == bindparam("previous"))
    .values(status="cancelled", cancelled_at=bindparam("at"), cancelled_by=bindparam("by"))
)


def _take_place(session: Session, slot_id: int) -> bool:
    """The only way a place is taken (B2): one conditional UPDATE, atomic in the
    database whatever the number of agents and processes."""
    return session.connection().execute(_U_TAKE, {"sid": slot_id}).rowcount == 1


def _slot_cond(activity_id: int, day: date | None, period_id: int | None):  # type: ignore[no-untyped-def]
    if day is not None:
        return and_(Slot.activity_id == activity_id, Slot.day == day)
    return and_(Slot.activity_id == activity_id, Slot.period_id == period_id)


@dataclass
class _Work:
    """State of one validation run (rebuilt from scratch when the transaction replays)."""

    outcomes: dict[int, LineOutcome] = field(default_factory=dict)
    promoted: int = 0


def validate_cart(ctx: Context, family_id: int, lines: Sequence[CartLine]) -> CartResult:
    """Record the whole cart in ONE transaction (R10). Every line is checked again with
    the clock of this moment (the family may have talked past a deadline): refused
    lines are reported with their reason, the others recorded. Cancellations run
    first, so a cart swapping APS MATIN for APS FORFAIT works, and each freed place
    goes to the first child waiting (B2), whose family is sent an e-mail."""
    actor = require(ctx, "booking.write")
    lines = list(lines)
    if not lines:
        return CartResult(())

    def work(session: Session) -> CartResult:
        state = _Work()
        now = ctx.clock.now()
        family = _family(session, ctx, family_id)
        setup = load_setup(session, family.regie_id)
        children = _children(session, family_id)
        _run_cart(session, ctx, actor.tag, family, setup, children, lines, now, state)
        return CartResult(tuple(state.outcomes[i] for i in range(len(lines))), state.promoted)

    for attempt in range(3):
        try:
            return ctx.db.write(work)
        except IntegrityError:
            # Another agent booked the same child at the same instant (PostgreSQL
            # reports the unique index): replay; the line is then refused as a duplicate.
            if attempt == 2:
                raise ServiceError("Réservation modifiée en même temps par un autre poste : réessayez.") from None
    raise AssertionError("unreachable")


def _run_cart(
    session: Session,
    ctx: Context,
    actor_tag: str,
    family: Family,
    setup: RegieSetup,
    children: dict[int, ChildChoice],
    lines: list[CartLine],
    now: datetime,
    state: _Work,
) -> None:
    family_id: int = family.id  # type: ignore[assignment]
    cal = setup.calendar

    def refuse(i: int, reason: str) -> None:
        state.outcomes[i] = LineOutcome(lines[i], "refused", reason)

    # Periods named by the cart, and the child's live bookings that matter.
    child_ids = sorted({line.child_id for line in lines if line.child_id in children})
    days = [line.day for line in lines if line.day is not None]
    period_ids = {line.period_id for line in lines if line.period_id is not None}
    periods: dict[int, PeriodRule] = {}
    if period_ids:
        periods = {
            p.id: _period_rule(p)
            for p in session.execute(select(Period).where(Period.id.in_(list(period_ids)))).scalars()
        }
    live: dict[tuple[int, int, date | None, int | None], Any] = {}
    live_day: dict[tuple[int, date], set[int]] = {}
    live_periods: dict[int, list[tuple[int, PeriodRule]]] = {}
    if child_ids:
        conds = []
        if days:
            conds.append(and_(_B.c.day >= min(days), _B.c.day <= max(days)))
        if period_ids:
            conds.append(_B.c.period_id.is_not(None))
        if conds:
            for b in session.connection().execute(
                select(_B).where(_B.c.child_id.in_(child_ids), _B.c.status.in_(LIVE), or_(*conds))
            ):
                live[(b.child_id, b.activity_id, b.day, b.period_id)] = b
                if b.day is not None:
                    live_day.setdefault((b.child_id, b.day), set()).add(b.activity_id)
        if period_ids:
            rows = session.execute(
                select(Booking.child_id, Booking.activity_id, Period)
                .join(Period, Period.id == Booking.period_id)
                .where(Booking.child_id.in_(child_ids), Booking.status.in_(LIVE))
            ).all()
            for child_id, activity_id, p in rows:
                live_periods.setdefault(child_id, []).append((activity_id, _period_rule(p)))

    def lines_of(action: str) -> Iterator[tuple[int, CartLine, ActivityRule]]:
        """The cart's lines of one action, with their activity; a line naming a child of
        another family or an unknown activity is refused on the way."""
        for i, line in enumerate(lines):
            if line.action != action:
                continue
            if line.child_id not in children:
                refuse(i, "enfant non rattaché à cette famille")
                continue
            rule = setup.activities.get(line.activity_id)
            if rule is None:
                refuse(i, "activité inconnue")
                continue
            yield i, line, rule

    # 1. Cancellations.
    for i, line, rule in lines_of(CANCEL):
        b = live.get(line.key)
        if b is None:
            refuse(i, "aucune réservation à annuler")
            continue
        if b.family_id != family_id:
            refuse(i, "réservation faite par l'autre famille")
            continue
        if line.day is not None:
            verdict = check_cancel_day(rule, line.day, now, cal)
        else:
            period = periods.get(line.period_id)  # type: ignore[arg-type]
            verdict = check_cancel_period(period, now) if period else Verdict.no(Refusal.NOT_BOOKED, "période inconnue")
        if not verdict.ok:
            refuse(i, verdict.reason)
            continue
        previous = b.status
        done = session.connection().execute(
            _U_CANCEL, {"bid": b.id, "previous": previous, "at": now, "by": actor_tag}
        ).rowcount
        if done != 1:
            # Another agent cancelled or promoted it since we read it (PostgreSQL, READ
            # COMMITTED): run the whole cart again on what is there now.
            raise ReplayUnitOfWork()
        audit.record(session, at=now, actor=actor_tag, action="booking.cancel", entity="booking",
                     entity_id=b.id, family_id=family_id, child_id=b.child_id, activity=rule.code,
                     day=b.day, period_id=b.period_id, previous_status=previous)
        state.outcomes[i] = LineOutcome(line, "cancelled", booking_id=b.id, price_cents=b.price_cents)
        del live[line.key]
        if b.day is not None:
            live_day.get((b.child_id, b.day), set()).discard(b.activity_id)
        else:
            live_periods[b.child_id] = [
                (a, p) for a, p in live_periods.get(b.child_id, []) if p.id != b.period_id
            ]
        if previous == "confirmed":
            _free_and_promote(session, ctx, actor_tag, setup, rule, b.day, b.period_id,
                              periods.get(b.period_id) if b.period_id else None, now, state)

    # 2. Additions: check everything first, then take places.
    accepted: list[tuple[int, ActivityRule, int, int | None]] = []
    for i, line, rule in lines_of(BOOK):
        if line.key in live:
            refuse(i, "déjà réservé")
            continue
        if line.day is not None:
            quotient = _quotient(family, line.day)
            price = setup.price(rule, quotient, line.day)
            verdict = check_day(rule, line.day, now, cal, has_rate=price is not None,
                                closure_reasons=setup.closure_reasons)
            if not verdict.ok:
                refuse(i, verdict.reason)
                continue
            blocker = next(
                (setup.activities[a] for a in live_day.get((line.child_id, line.day), ())
                 if a in setup.activities and excludes(rule, setup.activities[a])),
                None,
            )
            if blocker is not None:
                refuse(i, f"incompatible avec {blocker.label}")
                continue
            live_day.setdefault((line.child_id, line.day), set()).add(rule.id)
        else:
            period = periods.get(line.period_id)  # type: ignore[arg-type]
            if period is None or period.activity_id != rule.id:
                refuse(i, "période inconnue")
                continue
            quotient = _quotient(family, period.first_day)
            price = period_price(rule, period, setup.rates.get(rule.id, ()), quotient, cal)
            verdict = check_period(rule, period, now, has_rate=price is not None)
            if not verdict.ok:
                refuse(i, verdict.reason)
                continue
            overlap = next(
                (p for a, p in live_periods.get(line.child_id, []) if a == rule.id and p.overlaps(period)),
                None,
            )
            if overlap is not None:
                refuse(i, f"déjà inscrit : {overlap.label}")
                continue
            live_periods.setdefault(line.child_id, []).append((rule.id, period))
        live[line.key] = None  # type: ignore[assignment]  (duplicates inside the cart)
        accepted.append((i, rule, price, quotient))  # type: ignore[arg-type]
    if not accepted:
        return

    day_rows: dict[tuple[int, date], dict[str, object]] = {}
    period_rows: dict[tuple[int, int], dict[str, object]] = {}
    for i, rule, _price, _q in accepted:
        line = lines[i]
        if line.day is not None:
            day_rows[(rule.id, line.day)] = {"activity_id": rule.id, "day": line.day, "period_id": None,
                                             "capacity": rule.capacity, "taken": 0}
        else:
            p = periods[line.period_id]  # type: ignore[index]
            period_rows[(rule.id, p.id)] = {"activity_id": rule.id, "day": None, "period_id": p.id,
                                            "capacity": p.capacity if p.capacity is not None else rule.capacity,
                                            "taken": 0}
    _insert_ignore(session, list(day_rows.values()), ["activity_id", "day"])
    _insert_ignore(session, list(period_rows.values()), ["activity_id", "period_id"])
    slot_ids: dict[tuple[int, date | None, int | None], int] = {}
    if day_rows:
        acts = sorted({a for a, _ in day_rows})
        ds = [d for _, d in day_rows]
        for sid, a, d in session.execute(
            select(Slot.id, Slot.activity_id, Slot.day).where(
                Slot.activity_id.in_(acts), Slot.day >= min(ds), Slot.day <= max(ds)
            )
        ).all():
            slot_ids[(a, d, None)] = sid
    if period_rows:
        for sid, a, pid in session.execute(
            select(Slot.id, Slot.activity_id, Slot.period_id).where(
                Slot.period_id.in_([pid for _, pid in period_rows])
            )
        ).all():
            slot_ids[(a, None, pid)] = sid

    params: list[dict[str, object]] = []
    statuses: list[tuple[int, str, int]] = []
    for i, rule, price, quotient in accepted:
        line = lines[i]
        sid = slot_ids[(rule.id, line.day, line.period_id)]
        if _take_place(session, sid):
            status = "confirmed"
        elif rule.waiting_list:
            status = "waiting"
        else:
            refuse(i, "complet")
            continue
        statuses.append((i, status, price))
        params.append({
            "regie_id": setup.regie_id, "family_id": family_id, "child_id": line.child_id,
            "activity_id": rule.id, "day": line.day, "period_id": line.period_id, "status": status,
            # A waiting booking carries today's price as an estimate (R7 coût estimé);
            # it is computed again and frozen when the place is given (B1).
            "price_cents": price, "quotient_used": quotient, "created_at": now,
            "created_by": actor_tag, "confirmed_at": now if status == "confirmed" else None,
            "cancelled_at": None, "cancelled_by": None,
        })
    if not params:
        return
    conn = session.connection()
    ids = conn.execute(_I_BOOKING, params).scalars().all()
    audits = []
    for (i, status, price), booking_id, p in zip(statuses, ids, params, strict=True):
        line = lines[i]
        rule = setup.activities[line.activity_id]
        # Same rows as audit.record writes, in one executemany for the whole cart.
        details = {"child_id": line.child_id, "activity": rule.code, "day": line.day,
                   "period_id": line.period_id, "price_cents": price, "quotient": p["quotient_used"]}
        audits.append({
            "at": now, "actor": actor_tag, "entity": "booking", "entity_id": booking_id,
            "action": "booking.create" if status == "confirmed" else "booking.waiting",
            "family_id": family_id,
            "details": json.dumps(details, ensure_ascii=False, default=str, sort_keys=True),
        })
        state.outcomes[i] = LineOutcome(line, status, booking_id=booking_id, price_cents=price,
                                        reason="complet : liste d'attente" if status == "waiting" else "")
    conn.execute(insert(AuditLog.__table__), audits)  # type: ignore[attr-defined]


def _free_and_promote(
    session: Session,
    ctx: Context,
    actor_tag: str,
    setup: RegieSetup,
    rule: ActivityRule,
    day: date | None,
    period_id: int | None,
    period: PeriodRule | None,
    now: datetime,
    state: _Work,
) -> None:
    """Give a freed place back (B2): decrement the counter, then let the first child
    waiting take it. The slot row lock taken by the first UPDATE serialises concurrent
    cancellations of the same slot."""
    cond = _slot_cond(rule.id, day, period_id)
    session.execute(update(Slot).where(cond, Slot.taken > 0).values(taken=Slot.taken - 1))
    if _promote_first(session, actor_tag, setup, rule, day, period_id, period, now):
        state.promoted += 1


def _promote_first(
    session: Session,
    actor_tag: str,
    setup: RegieSetup,
    rule: ActivityRule,
    day: date | None,
    period_id: int | None,
    period: PeriodRule | None,
    now: datetime,
) -> bool:
    """The first child waiting (created_at, id) takes a free place with the same
    conditional UPDATE as any booking; its price is computed and frozen now (B1) and
    its family gets an e-mail. False when nobody waits or no place is free."""
    cond = _slot_cond(rule.id, day, period_id)
    same = Booking.day == day if day is not None else Booking.period_id == period_id
    nxt = session.execute(
        select(Booking)
        .where(Booking.activity_id == rule.id, same, Booking.status == "waiting")
        .order_by(Booking.created_at, Booking.id)
        .limit(1)
    ).scalars().first()
    if nxt is None:
        return False
    slot_id = session.execute(select(Slot.id).where(cond)).scalar_one()
    if not _take_place(session, slot_id):
        return False
    family = session.get(Family, nxt.family_id)
    assert family is not None
    if day is not None:
        quotient = _quotient(family, day)
        price = setup.price(rule, quotient, day)
    else:
        if period is None:
            period = _period_rule(session.get(Period, period_id))  # type: ignore[arg-type]
        quotient = _quotient(family, period.first_day)
        price = period_price(rule, period, setup.rates.get(rule.id, ()), quotient, setup.calendar)
    price = price if price is not None else nxt.price_cents
    done = session.execute(
        update(Booking)
        .where(Booking.id == nxt.id, Booking.status == "waiting")
        .values(status="confirmed", confirmed_at=now, price_cents=price, quotient_used=quotient)
    ).rowcount  # type: ignore[attr-defined]
    if done != 1:
        # The first waiting child was cancelled by another agent since we read the list
        # (PostgreSQL): start the unit again so the place goes to whoever waits now.
        raise ReplayUnitOfWork()
    audit.record(session, at=now, actor=actor_tag, action="booking.promote", entity="booking",
                 entity_id=nxt.id, family_id=nxt.family_id, child_id=nxt.child_id, activity=rule.code,
                 day=day, period_id=period_id, price_cents=price)
    child = session.get(Child, nxt.child_id)
    when = format_date_long(day) if day is not None else _when_period(period)  # type: ignore[arg-type]
    if family.email:
        name = child.first_name if child else "votre enfant"
        body = (
            "Bonjour,\n\n"
            f"Une place s'est libérée : {name} est maintenant inscrit(e) à {rule.label} "
            f"({rule.hours}) — {when}.\n"
            f"Tarif : {format_amount(price)}.\n\n"
            "Si vous n'en avez plus besoin, pensez à annuler avant le délai de réservation.\n\n"
            f"{setup.regie_name}\n"
        )
        outbox.queue(session, now=now, kind="booking_promoted", to_addr=family.email,
                     subject=f"Place attribuée : {rule.label} — {capitalize_first(when)}",
                     body_text=body, family_id=family.id, dedup_key=f"promote:{nxt.id}")
    return True


def promote_waiting(ctx: Context, today: date) -> int:
    """Catch-up for `portail nightly`: places freed other than by a cancellation (a
    capacity raised by the régie, a slot corrected by hand) go to the children waiting,
    in order, for every day or period still to come. Idempotent: a second run finds
    nothing to do. Returns how many children got a place."""
    actor_tag = ctx.actor.tag if ctx.actor is not None else "system:nuit"

    def work(session: Session) -> int:
        now = ctx.clock.now()
        day_waiting = (
            select(Booking.id)
            .where(Booking.activity_id == Slot.activity_id, Booking.day == Slot.day, Booking.status == "waiting")
            .exists()
        )
        period_waiting = (
            select(Booking.id)
            .where(Booking.activity_id == Slot.activity_id, Booking.period_id == Slot.period_id,
                   Booking.status == "waiting")
            .exists()
        )
        rows = session.execute(
            select(Slot.activity_id, Slot.day, Slot.period_id, Activity.regie_id)
            .join(Activity, Activity.id == Slot.activity_id)
            .where(
                or_(Slot.capacity.is_(None), Slot.taken < Slot.capacity),
                or_(
                    and_(Slot.day >= today, day_waiting),
                    and_(Slot.period_id.in_(select(Period.id).where(Period.first_day >= today)), period_waiting),
                ),
            )
            .order_by(Slot.day, Slot.period_id, Slot.activity_id)
        ).all()
        setups: dict[int, RegieSetup] = {}
        count = 0
        for activity_id, day, period_id, regie_id in rows:
            if regie_id not in setups:
                setups[regie_id] = load_setup(session, regie_id)
            setup = setups[regie_id]
            rule = setup.activities.get(activity_id)
            if rule is None:
                continue
            while _promote_first(session, actor_tag, setup, rule, day, period_id, None, now):
                count += 1
        return count

    return ctx.db.write(work)


# --------------------------------------------------------------------- suivi (R8)


@dataclass(frozen=True)
class SuiviLine:
    booking_id: int
    day: date | None
    period_label: str | None
    first_day: date
    last_day: date
    child_id: int
    child_name: str
    activity_code: str
    activity_label: str
    hours: str
    status: str  # confirmed | waiting
    waiting_rank: int | None
    price_cents: int
    sort_order: int = 0

    @property
    def when(self) -> str:
        if self.day is not None:
            return capitalize_first(format_date_long(self.day))
        return f"{self.period_label} (du {format_date_short(self.first_day)} au {format_date_short(self.last_day)})"

    @property
    def status_text(self) -> str:
        if self.status == "waiting":
            return f"En attente (rang {self.waiting_rank})" if self.waiting_rank else "En attente"
        return "Confirmée"


@dataclass(frozen=True)
class SuiviResult:
    """R8: a family's bookings beyond the next 15 days, and everything an export
    needs to title itself (the same for the screen and the CLI)."""

    family_id: int
    family_number: int
    family_name: str
    regie_name: str
    after: date  # bookings dated after this day
    lines: tuple[SuiviLine, ...]
    edited_at: datetime
    child_filter: str = ""
    activity_filter: str = ""

    @property
    def total_cents(self) -> int:
        return sum(line.price_cents for line in self.lines if line.status == "confirmed")

    @property
    def title(self) -> str:
        return "Suivi des réservations"

    @property
    def subtitle(self) -> str:
        return f"Famille {self.family_name} — n° {self.family_number:06d}"

    @property
    def period_label(self) -> str:
        text = f"Réservations à partir du {format_date_short(self.after + _ONE_DAY)}"
        filters = [f for f in (self.child_filter, self.activity_filter) if f]
        if filters:
            text += " — filtre : " + ", ".join(filters)
        return text

    COLUMNS: tuple[tuple[str, str], ...] = (
        ("Date", "date"),
        ("Jour ou période", "text"),
        ("Enfant", "text"),
        ("Activité", "text"),
        ("Horaires", "text"),
        ("Statut", "text"),
        ("Tarif", "amount"),
    )

    def rows(self) -> list[list[object]]:
        """Cells in COLUMNS order, typed (dates as date, cents as int) for the renderers:
        a spreadsheet sorts and sums them. A period shows its first and last day."""
        out: list[list[object]] = []
        for line in self.lines:
            if line.day is not None:
                when: object = line.day
                what = WEEKDAYS[line.day.weekday()]
            else:
                when = f"{format_date_short(line.first_day)} → {format_date_short(line.last_day)}"
                what = line.period_label or ""
            out.append([when, what, line.child_name, line.activity_label, line.hours, line.status_text,
                        line.price_cents])
        return out

    def total_row(self) -> list[object]:
        return ["Total", "", "", "", "", "confirmées", self.total_cents]


def suivi(
    ctx: Context,
    family_id: int,
    *,
    child_id: int | None = None,
    child_name: str | None = None,
    activity_text: str | None = None,
) -> SuiviResult:
    """R8: bookings (confirmed or waiting) dated after today + 15 days, filtered by a
    child (id, or first name as typed on the CLI) and by activity text ("APS" keeps
    APS MATIN, SOIR and FORFAIT), with the waiting-list position where relevant."""
    now = ctx.clock.now()
    after = consumption_limit(now.date())
    wanted_act = normalize(activity_text or "").strip()
    wanted_name = normalize(child_name or "").strip()

    def work(session: Session) -> SuiviResult:
        family = _family(session, ctx, family_id)
        setup = load_setup(session, family.regie_id)
        children = _children(session, family_id)
        chosen = set(children)
        label = ""
        if child_id is not None:
            if child_id not in children:
                raise ServiceError("Cet enfant n'est pas rattaché à la famille.", field="enfant")
            chosen = {child_id}
            label = children[child_id].first_name
        elif wanted_name:
            chosen = {c.id for c in children.values() if normalize(c.first_name) == wanted_name}
            if not chosen:
                names = ", ".join(c.first_name for c in children.values()) or "aucun"
                raise ServiceError(f"Aucun enfant « {child_name} » dans cette famille (enfants : {names}).",
                                   field="enfant")
            label = child_name or ""
        acts = {
            a.id for a in setup.activities.values()
            if not wanted_act or wanted_act in normalize(a.label) or wanted_act in normalize(a.code)
        }
        # Inactive activities can still carry bookings: include them by id.
        all_acts = {a.id: a for a in session.execute(
            select(Activity).where(Activity.regie_id == family.regie_id)).scalars()}
        if wanted_act:
            acts |= {i for i, a in all_acts.items()
                     if wanted_act in normalize(a.label) or wanted_act in normalize(a.code)}
        else:
            acts |= set(all_acts)
        lines: list[SuiviLine] = []
        if chosen and acts:
            rows = session.execute(
                select(Booking, Period)
                .outerjoin(Period, Period.id == Booking.period_id)
                .where(
                    Booking.family_id == family_id,
                    Booking.child_id.in_(sorted(chosen)),
                    Booking.activity_id.in_(sorted(acts)),
                    Booking.status.in_(LIVE),
                    or_(Booking.day > after, and_(Booking.day.is_(None), Period.first_day > after)),
                )
            ).all()
            for b, p in rows:
                a = all_acts[b.activity_id]
                first = b.day if b.day is not None else p.first_day
                last = b.day if b.day is not None else p.last_day
                lines.append(SuiviLine(
                    booking_id=b.id, day=b.day, period_label=p.label if p else None,  # type: ignore[arg-type]
                    first_day=first, last_day=last, child_id=b.child_id,
                    child_name=children[b.child_id].first_name, activity_code=a.code,
                    activity_label=a.label,
                    hours=f"{a.start_time.hour}h{a.start_time.minute:02d}–{a.end_time.hour}h{a.end_time.minute:02d}",
                    status=b.status,
                    waiting_rank=_waiting_rank(session, b.id) if b.status == "waiting" else None,  # type: ignore[arg-type]
                    price_cents=b.price_cents,
                    sort_order=a.sort_order,
                ))
        lines.sort(key=lambda s: (s.first_day, s.child_name, s.sort_order, s.activity_code))
        return SuiviResult(
            family_id=family_id, family_number=family.number, family_name=family.name,
            regie_name=setup.regie_name, after=after, lines=tuple(lines), child_filter=label,
            activity_filter=activity_text or "", edited_at=now,
        )

    return ctx.db.read(work)



def suivi_report(result: SuiviResult) -> Report:
    """The suivi as an export `Report`: the screen and `portail export reservations`
    both render this one object, so their CSV and PDF files are identical."""
    widths = {"Date": 2.0, "Jour ou période": 2.8, "Enfant": 1.5, "Activité": 3.6, "Horaires": 2.4,
              "Statut": 2.2, "Tarif": 1.6}
    columns = [Column(title, kind, width=widths[title]) for title, kind in SuiviResult.COLUMNS]  # type: ignore[arg-type]
    table = ReportTable(columns, result.rows(), totals=[result.total_row()] if result.lines else [])
    notes = []
    if not result.lines:
        notes.append("Aucune réservation au-delà des 15 prochains jours.")
    if any(line.status == "waiting" for line in result.lines):
        notes.append("Les réservations en attente sont confirmées dès qu'une place se libère ;"
                     " la famille est alors prévenue par courriel.")
    return Report(
        title=result.title,
        regie=result.regie_name,
        edited_at=result.edited_at,
        subtitle=result.subtitle,
        period_label=result.period_label,
        tables=[("Réservations", table)],
        notes=notes,
    )


def day_activities(ctx: Context, family_id: int) -> list[ActivityRule]:
    """Activities booked by the day, in display order (the pattern dialog's choices)."""

    def work(session: Session) -> list[ActivityRule]:
        family = _family(session, ctx, family_id)
        return [a for a in load_setup(session, family.regie_id).ordered() if not a.by_period]

    return ctx.db.read(work)


@dataclass(frozen=True)
class SuiviFile:
    """The suivi ready to be written: a readable file name, its bytes and its report."""

    filename: str
    data: bytes
    report: Report


def suivi_file(result: SuiviResult, fmt: str) -> SuiviFile:
    """Render the suivi as CSV or PDF (same bytes from the screen and the CLI)."""
    from portail_tui.exports.files import export_filename

    value = check_format(fmt)
    report = suivi_report(result)
    data = render_report(report, value)
    name = export_filename("suivi-reservations", result.family_number, result.edited_at.date().isoformat(), value)
    return SuiviFile(name, data, report)
