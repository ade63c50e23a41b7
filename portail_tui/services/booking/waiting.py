"""Places and the waiting list (B2): a place is only ever taken by one conditional
UPDATE on the Slot counter, and a freed place goes to the first child waiting, whose
price is computed and frozen then (B1) and whose family gets an e-mail."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, and_, bindparam, or_, select, update
from sqlmodel import Session, col

from portail_tui.db import ReplayUnitOfWork
from portail_tui.domain.booking_rules import ActivityRule, PeriodRule
from portail_tui.domain.frdates import capitalize_first, format_date_long
from portail_tui.domain.money import format_amount
from portail_tui.models import Activity, Booking, Child, Family, Period, Slot
from portail_tui.services import audit, outbox
from portail_tui.services.booking.facts import day_price, period_line_price
from portail_tui.services.booking.setup import RegieSetup, S, load_setup, period_rule, when_period
from portail_tui.services.context import Context

_U_TAKE = (
    update(S)
    .where(S.c.id == bindparam("sid"), or_(S.c.capacity.is_(None), S.c.taken < S.c.capacity))
    .values(taken=S.c.taken + 1)
)


_LOCK = select(S.c.id).where(S.c.id == bindparam("sid")).with_for_update()


def take_place(session: Session, slot_id: int) -> bool:
    """The only way a place is taken (B2): one conditional UPDATE, atomic in the
    database whatever the number of agents and processes.

    A full slot is locked until the caller commits (PostgreSQL; SQLite writers are
    serialised already): the caller is about to write a waiting row, and a
    cancellation of this slot committing in between would look for someone waiting
    before that row is visible, leaving a child waiting beside a free place. With the
    lock, the cancellation waits for the waiting row, then gives it the place. Under
    the lock the counter is read afresh, so a place freed meanwhile is taken."""
    conn = session.connection()
    if conn.execute(_U_TAKE, {"sid": slot_id}).rowcount == 1:
        return True
    conn.execute(_LOCK, {"sid": slot_id})
    return conn.execute(_U_TAKE, {"sid": slot_id}).rowcount == 1


def insert_ignore(session: Session, rows: list[dict[str, object]], elements: list[str]) -> None:
    """Create Slot rows lazily: INSERT … ON CONFLICT DO NOTHING in the engine's dialect."""
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        session.execute(pg_insert(S).on_conflict_do_nothing(index_elements=elements), rows)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        session.execute(sqlite_insert(S).on_conflict_do_nothing(index_elements=elements), rows)


def _slot_cond(activity_id: int, day: date | None, period_id: int | None) -> ColumnElement[bool]:
    if day is not None:
        return and_(col(Slot.activity_id) == activity_id, col(Slot.day) == day)
    return and_(col(Slot.activity_id) == activity_id, col(Slot.period_id) == period_id)


def free_and_promote(
    session: Session,
    actor_tag: str,
    setup: RegieSetup,
    rule: ActivityRule,
    day: date | None,
    period_id: int | None,
    period: PeriodRule | None,
    now: datetime,
) -> bool:
    """Give a freed place back (B2): decrement the counter, then let the first child
    waiting take it (True when one did). The slot row lock taken by the first UPDATE
    serialises concurrent cancellations of the same slot."""
    cond = _slot_cond(rule.id, day, period_id)
    session.execute(update(Slot).where(cond, col(Slot.taken) > 0).values(taken=col(Slot.taken) - 1))
    return promote_first(session, actor_tag, setup, rule, day, period_id, period, now)


def _promotion_mail(setup: RegieSetup, rule: ActivityRule, child: Child | None, when: str,
                    price: int) -> tuple[str, str]:
    name = child.first_name if child else "votre enfant"
    body = (
        "Bonjour,\n\n"
        f"Une place s'est libérée : {name} est maintenant inscrit(e) à {rule.label} "
        f"({rule.hours}) — {when}.\n"
        f"Tarif : {format_amount(price)}.\n\n"
        "Si vous n'en avez plus besoin, pensez à annuler avant le délai de réservation.\n\n"
        f"{setup.regie_name}\n"
    )
    return f"Place attribuée : {rule.label} — {capitalize_first(when)}", body


def promote_first(
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
    same = col(Booking.day) == day if day is not None else col(Booking.period_id) == period_id
    nxt = session.execute(
        select(Booking)
        .where(col(Booking.activity_id) == rule.id, same, col(Booking.status) == "waiting")
        .order_by(col(Booking.created_at), col(Booking.id))
        .limit(1)
    ).scalars().first()
    if nxt is None:
        return False
    slot_id = session.execute(select(col(Slot.id)).where(_slot_cond(rule.id, day, period_id))).scalar_one()
    if not take_place(session, slot_id):
        return False
    family = session.get(Family, nxt.family_id)
    assert family is not None
    if day is not None:
        price, quotient = day_price(setup, rule, family, day)
        when = format_date_long(day)
    else:
        if period is None:
            period = period_rule(session.get(Period, period_id))
        price, quotient = period_line_price(setup, rule, family, period)
        when = when_period(period)
    frozen = price if price is not None else nxt.price_cents
    done = cast("CursorResult[Any]", session.execute(
        update(Booking)
        .where(col(Booking.id) == nxt.id, col(Booking.status) == "waiting")
        .values(status="confirmed", confirmed_at=now, price_cents=frozen, quotient_used=quotient)
    )).rowcount
    if done != 1:
        # The first waiting child was cancelled by another agent since we read the list
        # (PostgreSQL): start the unit again so the place goes to whoever waits now.
        raise ReplayUnitOfWork()
    audit.record(session, at=now, actor=actor_tag, action="booking.promote", entity="booking",
                 entity_id=nxt.id, family_id=nxt.family_id, child_id=nxt.child_id, activity=rule.code,
                 day=day, period_id=period_id, price_cents=frozen)
    if family.email:
        subject, body = _promotion_mail(setup, rule, session.get(Child, nxt.child_id), when, frozen)
        outbox.queue(session, now=now, kind="booking_promoted", to_addr=family.email, subject=subject,
                     body_text=body, family_id=family.id, dedup_key=f"promote:{nxt.id}")
    return True


def _promotable_slots(session: Session, today: date) -> list[Any]:
    """Slots still to come with a free place and someone waiting on them."""
    day_waiting = (
        select(col(Booking.id))
        .where(col(Booking.activity_id) == col(Slot.activity_id), col(Booking.day) == col(Slot.day),
               col(Booking.status) == "waiting")
        .exists()
    )
    period_waiting = (
        select(col(Booking.id))
        .where(col(Booking.activity_id) == col(Slot.activity_id), col(Booking.period_id) == col(Slot.period_id),
               col(Booking.status) == "waiting")
        .exists()
    )
    return list(session.execute(
        select(col(Slot.activity_id), col(Slot.day), col(Slot.period_id), col(Activity.regie_id))
        .join(Activity, col(Activity.id) == col(Slot.activity_id))
        .where(
            or_(col(Slot.capacity).is_(None), col(Slot.taken) < col(Slot.capacity)),
            or_(
                and_(col(Slot.day) >= today, day_waiting),
                and_(col(Slot.period_id).in_(select(col(Period.id)).where(col(Period.first_day) >= today)),
                     period_waiting),
            ),
        )
        .order_by(col(Slot.day), col(Slot.period_id), col(Slot.activity_id))
    ).all())


def promote_waiting(ctx: Context, today: date) -> int:
    """Catch-up for `portail nightly`: places freed other than by a cancellation (a
    capacity raised by the régie, a slot corrected by hand) go to the children waiting,
    in order, for every day or period still to come. Idempotent: a second run finds
    nothing to do. Returns how many children got a place."""
    actor_tag = ctx.actor.tag if ctx.actor is not None else "system:nuit"

    def work(session: Session) -> int:
        now = ctx.clock.now()
        setups: dict[int, RegieSetup] = {}
        count = 0
        for activity_id, day, period_id, regie_id in _promotable_slots(session, today):
            if regie_id not in setups:
                setups[regie_id] = load_setup(session, regie_id)
            setup = setups[regie_id]
            rule = setup.activities.get(activity_id)
            if rule is None:
                continue
            while promote_first(session, actor_tag, setup, rule, day, period_id, None, now):
                count += 1
        return count

    return ctx.db.write(work)
