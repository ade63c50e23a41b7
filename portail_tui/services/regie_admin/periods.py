"""Holiday periods (R3) during the year: the régisseur adds one (a new session of the
holiday centre) or changes its booking window or its capacity (G5)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlmodel import Session, col

from portail_tui.domain.period_checks import period_date_problems
from portail_tui.models import Activity, Period, Slot
from portail_tui.services import audit, permissions
from portail_tui.services.context import Context, ServiceError
from portail_tui.services.regie_admin.capacities import regie_activity, set_capacity, waiting_counts


@dataclass(frozen=True)
class PeriodInfo:
    id: int
    activity_id: int
    activity_code: str
    label: str
    first_day: date
    last_day: date
    booking_opens: date
    booking_closes: date
    capacity: int | None  # the period's own, else the activity's
    taken: int
    waiting: int
    parent_id: int | None


def list_periods(ctx: Context) -> list[PeriodInfo]:
    """The régie's periods, soonest first, with their places."""
    actor = permissions.require(ctx, "regie.manage")

    def work(session: Session) -> list[PeriodInfo]:
        rows = session.execute(
            select(Period, Activity).join(Activity, col(Activity.id) == col(Period.activity_id))
            .where(col(Activity.regie_id) == actor.regie_id)
            .order_by(col(Period.first_day), col(Period.parent_id).is_not(None), col(Period.id))
        ).all()
        taken = {s.period_id: s.taken for s in session.execute(
            select(Slot).where(col(Slot.period_id).in_([p.id for p, _a in rows]))).scalars()}
        out = []
        for p, a in rows:
            waiting = waiting_counts(session, a.id, period_ids=[p.id]) if a.id is not None and p.id is not None else {}
            out.append(_info(p, a, taken.get(p.id, 0), waiting.get(p.id, 0)))
        return out

    return ctx.db.read(work)


def _info(p: Period, a: Activity, taken: int, waiting: int) -> PeriodInfo:
    assert p.id is not None and a.id is not None
    return PeriodInfo(p.id, a.id, a.code, p.label, p.first_day, p.last_day, p.booking_opens, p.booking_closes,
                      p.capacity if p.capacity is not None else a.capacity, taken, waiting, p.parent_id)


def _check(first_day: date, last_day: date, opens: date, closes: date) -> None:
    problems = period_date_problems(first_day, last_day, opens, closes)
    if problems:
        field, message = problems[0]
        raise ServiceError(" ".join(m for _f, m in problems), field=field) if len(problems) > 1 \
            else ServiceError(message, field=field)


def add_period(ctx: Context, activity_id: int, label: str, first_day: date, last_day: date,
               booking_opens: date, booking_closes: date, capacity: int | None = None) -> PeriodInfo:
    actor = permissions.require(ctx, "regie.manage")
    label = (label or "").strip()
    if not label:
        raise ServiceError("Donnez un libellé à la période (« Vacances d'hiver 2027 »).", field="libelle")
    if len(label) > 120:
        raise ServiceError("Libellé trop long (120 caractères au plus).", field="libelle")
    if capacity is not None and capacity < 0:
        raise ServiceError("La capacité ne peut pas être négative.", field="capacite")
    _check(first_day, last_day, booking_opens, booking_closes)

    def work(session: Session) -> PeriodInfo:
        now = ctx.clock.now()
        activity = regie_activity(session, ctx, activity_id)
        if activity.booking_unit != "period":
            raise ServiceError(f"{activity.label} se réserve à la journée, pas par période.", field="activite")
        clash = session.execute(select(Period).where(
            col(Period.activity_id) == activity_id, col(Period.first_day) == first_day,
            col(Period.last_day) == last_day)).scalars().first()
        if clash is not None:
            raise ServiceError(f"Cette période existe déjà : {clash.label}.", field="premier_jour")
        period = Period(activity_id=activity_id, label=label, first_day=first_day, last_day=last_day,
                        booking_opens=booking_opens, booking_closes=booking_closes, capacity=capacity)
        session.add(period)
        session.flush()
        audit.record(session, at=now, actor=actor.tag, action="period.add", entity="period",
                     entity_id=period.id, activity=activity.code, label=label, first_day=first_day,
                     last_day=last_day, booking_opens=booking_opens, booking_closes=booking_closes,
                     capacity=capacity)
        return _info(period, activity, 0, 0)

    return ctx.db.write(work)


def change_period(ctx: Context, period_id: int, *, booking_opens: date | None = None,
                  booking_closes: date | None = None, capacity: int | None = None,
                  unlimited: bool = False) -> PeriodInfo:
    """A new booking window (either end) and/or a new capacity (`unlimited` lifts it):
    the capacity goes through `set_capacity`, so lowering and raising follow G5."""
    actor = permissions.require(ctx, "regie.manage")
    if capacity is not None and capacity < 0:
        raise ServiceError("La capacité ne peut pas être négative.", field="capacite")

    def read(session: Session) -> Period:
        period = session.get(Period, period_id)
        if period is None:
            raise ServiceError("Période inconnue.", field="periode")
        regie_activity(session, ctx, period.activity_id)
        return period

    # Every check before the first write: nothing half-saved.
    current = ctx.db.read(read)
    opens = booking_opens or current.booking_opens
    closes = booking_closes or current.booking_closes
    _check(current.first_day, current.last_day, opens, closes)
    if capacity is not None or unlimited:
        set_capacity(ctx, current.activity_id, None if unlimited else capacity, period_id=period_id)

    def work(session: Session) -> None:
        period = read(session)
        if (opens, closes) == (period.booking_opens, period.booking_closes):
            return
        audit.record(session, at=ctx.clock.now(), actor=actor.tag, action="period.window", entity="period",
                     entity_id=period.id, label=period.label,
                     before=f"{period.booking_opens}–{period.booking_closes}", after=f"{opens}–{closes}")
        period.booking_opens, period.booking_closes = opens, closes
        session.add(period)

    ctx.db.write(work)
    return next(p for p in list_periods(ctx) if p.id == period_id)
