"""Places by day or by period (G5, B2): the régisseur raises or lowers them.

A slot's capacity only moves under the slot row's lock: lowering it under what is
booked is refused with the numbers (the CHECK on `slot` backs that up), raising it
gives the new places to the children waiting, first come first served, through the
same `promote_first` a cancellation uses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select, update
from sqlmodel import Session, col

from portail_tui.domain.booking_rules import (
    ActivityRule,
    RateRule,
    operation_refusal,
    rates_in_force,
)
from portail_tui.domain.frdates import format_date_long
from portail_tui.domain.money import format_amount
from portail_tui.models import Activity, Booking, Period, Slot
from portail_tui.services import audit, permissions
from portail_tui.services.booking.facts import period_capacity
from portail_tui.services.booking.setup import load_setup, period_rule
from portail_tui.services.booking.waiting import insert_ignore, promote_first
from portail_tui.services.context import Context, ServiceError

WEEKDAY_NAMES = {"1": "lun", "2": "mar", "3": "mer", "4": "jeu", "5": "ven", "6": "sam", "7": "dim"}


@dataclass(frozen=True)
class ActivityInfo:
    """An activity as the Régie mode shows it, read-only (its set-up is a file, G1)."""

    id: int
    code: str
    label: str
    letter: str
    hours: str
    by_period: bool
    weekdays: str  # « lun, mar, jeu, ven »
    deadline: str  # « 2 jours avant à 11h45 (week-ends non comptés) »
    horizon_days: int
    capacity: int | None
    waiting_list: bool
    rates: tuple[str, ...]  # « QF 0 à 700 : 2,10 € », in force today


@dataclass(frozen=True)
class DaySlot:
    """One day of an activity: its places, what is booked and waiting, a closure."""

    day: date
    capacity: int | None
    taken: int
    waiting: int
    closed: str | None = None  # the reason when the day was closed for this activity


@dataclass(frozen=True)
class CapacityChange:
    before: int | None
    after: int | None
    taken: int
    promoted: int  # children who left the waiting list for the new places


def capacity_text(capacity: int | None) -> str:
    return "illimitée" if capacity is None else str(capacity)


def bracket_text(qf_min: int, qf_max: int | None) -> str:
    return f"QF {qf_min} à {qf_max}" if qf_max is not None else f"QF {qf_min} et plus"


def deadline_words(rule: ActivityRule) -> str:
    """R2 in words, as the agent tells it on the phone."""
    days = rule.deadline_days
    when = "le jour même" if days == 0 else f"{days} jour{'s' if days > 1 else ''} avant"
    text = f"{when} à {rule.deadline_time.hour}h{rule.deadline_time.minute:02d}"
    skipped = [w for w, on in (("week-ends", rule.deadline_skip_weekends),
                               ("jours fériés", rule.deadline_skip_holidays)) if on]
    if skipped:
        text += f" ({' et '.join(skipped)} non comptés)"
    return text


def regie_activity(session: Session, ctx: Context, activity_id: int) -> Activity:
    """The activity, if it belongs to the acting agent's régie."""
    activity = session.get(Activity, activity_id)
    actor = ctx.require_actor()
    if activity is None or activity.regie_id != actor.regie_id:
        raise ServiceError("Activité inconnue.", field="activite")
    return activity


_UNIT_ORDER = {"day": 0, "week": 1, "period": 2}
_UNIT_SUFFIX = {"day": "", "week": " la semaine", "period": " la période"}


def rate_text(r: RateRule) -> str:
    """« QF 0 à 700 : 2,10 € », « Sans quotient : 45,00 € la semaine »: a holiday centre's
    day, week and whole-holiday brackets would read alike without their unit."""
    who = "Sans quotient" if r.no_quotient else bracket_text(r.qf_min, r.qf_max)
    return f"{who} : {format_amount(r.price_cents)}{_UNIT_SUFFIX.get(r.unit, '')}"


def list_activities(ctx: Context) -> list[ActivityInfo]:
    actor = permissions.require(ctx, "regie.manage")
    today = ctx.clock.today()

    def work(session: Session) -> list[ActivityInfo]:
        setup = load_setup(session, actor.regie_id)
        out = []
        for rule in setup.ordered():
            rates = sorted(rates_in_force(setup.rates_of(rule), today),
                           key=lambda r: (_UNIT_ORDER.get(r.unit, 9), r.no_quotient, r.qf_min))
            out.append(ActivityInfo(
                id=rule.id, code=rule.code, label=rule.label, letter=rule.letter, hours=rule.hours,
                by_period=rule.by_period,
                weekdays=", ".join(WEEKDAY_NAMES[d] for d in rule.weekdays if d in WEEKDAY_NAMES),
                deadline=deadline_words(rule), horizon_days=rule.horizon_days, capacity=rule.capacity,
                waiting_list=rule.waiting_list,
                rates=tuple(rate_text(r) for r in rates),
            ))
        return out

    return ctx.db.read(work)


def waiting_counts(session: Session, activity_id: int, *, days: tuple[date, date] | None = None,
                   period_ids: list[int] | None = None) -> dict[object, int]:
    """Children waiting, by day (or by period id)."""
    key = col(Booking.day) if days is not None else col(Booking.period_id)
    stmt = (select(key, func.count()).where(col(Booking.activity_id) == activity_id,
                                            col(Booking.status) == "waiting").group_by(key))
    if days is not None:
        stmt = stmt.where(col(Booking.day) >= days[0], col(Booking.day) <= days[1])
    else:
        stmt = stmt.where(col(Booking.period_id).in_(period_ids or []))
    return {k: int(n) for k, n in session.execute(stmt).all()}


def month_capacities(ctx: Context, activity_id: int, year: int, month: int) -> list[DaySlot]:
    """Every day of the month the activity runs (or would run, when closed for it)."""
    permissions.require(ctx, "regie.manage")
    first = date(year, month, 1)
    last = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)

    def work(session: Session) -> list[DaySlot]:
        activity = regie_activity(session, ctx, activity_id)
        setup = load_setup(session, activity.regie_id)
        rule = setup.activity(activity_id)
        if rule.by_period:
            raise ServiceError("Cette activité se réserve par période : voyez la section Périodes.",
                               field="activite")
        slots = {s.day: s for s in session.execute(
            select(Slot).where(col(Slot.activity_id) == activity_id, col(Slot.day) >= first,
                               col(Slot.day) <= last)).scalars()}
        waiting = waiting_counts(session, activity_id, days=(first, last))
        out = []
        d = first
        while d <= last:
            refusal = operation_refusal(rule, d, setup.calendar, setup.closure_reasons)
            closed = rule.closed_days.get(d)
            if refusal is None or closed is not None:
                slot = slots.get(d)
                out.append(DaySlot(d, slot.capacity if slot is not None else rule.capacity,
                                   slot.taken if slot is not None else 0, waiting.get(d, 0), closed))
            d += timedelta(days=1)
        return out

    return ctx.db.read(work)


def _locked_slot(session: Session, rule: ActivityRule, day: date | None, period: Period | None) -> Slot:
    """The slot row, created when nobody booked yet, read under its row lock."""
    if day is not None:
        insert_ignore(session, [{"activity_id": rule.id, "day": day, "period_id": None,
                                 "capacity": rule.capacity, "taken": 0}], ["activity_id", "day"])
        cond = (col(Slot.activity_id) == rule.id, col(Slot.day) == day)
    else:
        assert period is not None
        insert_ignore(session, [{"activity_id": rule.id, "day": None, "period_id": period.id,
                                 "capacity": period_capacity(rule, period_rule(period)), "taken": 0}],
                      ["activity_id", "period_id"])
        cond = (col(Slot.activity_id) == rule.id, col(Slot.period_id) == period.id)
    slot: Slot = session.execute(select(Slot).where(*cond).with_for_update()).scalars().one()
    session.refresh(slot)
    return slot


def set_capacity(ctx: Context, activity_id: int, capacity: int | None, *, day: date | None = None,
                 period_id: int | None = None) -> CapacityChange:
    """G5. `capacity` None: unlimited. A period's own capacity follows its slot."""
    actor = permissions.require(ctx, "regie.manage")
    if (day is None) == (period_id is None):
        raise ServiceError("Choisissez un jour ou une période.", field="jour")
    if capacity is not None and capacity < 0:
        raise ServiceError("La capacité ne peut pas être négative.", field="capacite")

    def work(session: Session) -> CapacityChange:
        now = ctx.clock.now()
        activity = regie_activity(session, ctx, activity_id)
        setup = load_setup(session, activity.regie_id)
        rule = setup.activity(activity_id)
        period: Period | None = None
        if period_id is not None:
            period = session.get(Period, period_id)
            if period is None or period.activity_id != activity_id:
                raise ServiceError("Période inconnue pour cette activité.", field="periode")
        elif rule.by_period:
            raise ServiceError("Cette activité se réserve par période : changez la capacité de la période.",
                               field="jour")
        elif day is not None and day in rule.closed_days:
            raise ServiceError(f"{rule.label} est fermé ce jour ({rule.closed_days[day]}) : "
                               "sa capacité ne change plus.", field="capacite")
        slot = _locked_slot(session, rule, day, period)
        before, taken = slot.capacity, slot.taken
        if capacity is not None and capacity < taken:
            raise ServiceError(f"{taken} places réservées : la capacité ne peut pas descendre à {capacity}.",
                               field="capacite")
        session.execute(update(Slot).where(col(Slot.id) == slot.id).values(capacity=capacity))
        if period is not None:
            period.capacity = capacity
            session.add(period)
        promoted = 0
        prule = period_rule(period) if period is not None else None
        while promote_first(session, actor.tag, setup, rule, day, period_id, prule, now):
            promoted += 1
        audit.record(session, at=now, actor=ctx.actor_tag, action="slot.capacity", entity="slot", entity_id=slot.id,
                     activity=rule.code, day=day, period_id=period_id, before=before, after=capacity,
                     taken=taken, promoted=promoted)
        return CapacityChange(before, capacity, taken + promoted, promoted)

    return ctx.db.write(work)


def when_text(day: date | None, period_label: str | None) -> str:
    return format_date_long(day) if day is not None else (period_label or "")


def activity_ids(ctx: Context, codes: list[str]) -> list[int]:
    """Activities of the acting régie by code (« RS », « apss »), for the command line."""
    actor = ctx.require_actor()

    def work(session: Session) -> list[int]:
        known = {a.code.upper(): a.id for a in session.execute(
            select(Activity).where(col(Activity.regie_id) == actor.regie_id)).scalars()}
        out = []
        for code in codes:
            activity_id = known.get(code.strip().upper())
            if activity_id is None:
                raise ServiceError(f"Activité inconnue : {code} (codes : {', '.join(sorted(known))}).",
                                   field="activite")
            out.append(activity_id)
        return out

    return ctx.db.read(work)
