"""Facts the booking rules need and only the database knows: places left in a slot,
a waiting list's order, the price of one line. Gathered once per service call, then
handed to the pure decisions of `domain.booking_rules`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import and_, func, or_, select
from sqlmodel import Session, col

from portail_tui.domain.booking_rules import (
    ActivityRule,
    PeriodRule,
    Places,
    effective_quotient,
    period_price,
    price_for,
)
from portail_tui.models import Booking, Family, Slot
from portail_tui.services.booking.setup import RegieSetup


def day_slots(
    session: Session, activity_ids: Sequence[int], first: date, last: date
) -> dict[tuple[int, date], Places]:
    """Counters of the day slots of these activities between two days (inclusive)."""
    if not activity_ids:
        return {}
    rows = session.execute(
        select(col(Slot.activity_id), col(Slot.day), col(Slot.capacity), col(Slot.taken)).where(
            col(Slot.activity_id).in_(list(activity_ids)), col(Slot.day) >= first, col(Slot.day) <= last
        )
    ).all()
    return {(r.activity_id, r.day): Places(r.capacity, r.taken) for r in rows}


def period_slots(session: Session, period_ids: Sequence[int]) -> dict[int, Places]:
    if not period_ids:
        return {}
    rows = session.execute(
        select(col(Slot.period_id), col(Slot.capacity), col(Slot.taken))
        .where(col(Slot.period_id).in_(list(period_ids)))
    ).all()
    return {r.period_id: Places(r.capacity, r.taken) for r in rows}


def day_places(rule: ActivityRule, slot: Places | None) -> Places:
    """A day without a Slot row yet has every place of the activity free."""
    return slot if slot is not None else Places(rule.capacity, 0)


def period_capacity(rule: ActivityRule, period: PeriodRule) -> int | None:
    """A period may set its own capacity; otherwise the activity's applies."""
    return period.capacity if period.capacity is not None else rule.capacity


def quotient_on(family: Family, on: date) -> int | None:
    return effective_quotient(family.quotient, family.quotient_valid_from, family.quotient_valid_to, on)


def day_price(setup: RegieSetup, rule: ActivityRule, family: Family, day: date) -> tuple[int | None, int | None]:
    """(price, quotient used) of one day for this family (B1)."""
    quotient = quotient_on(family, day)
    return price_for(setup.rates_of(rule), quotient, day), quotient


def period_line_price(
    setup: RegieSetup, rule: ActivityRule, family: Family, period: PeriodRule
) -> tuple[int | None, int | None]:
    """(price, quotient used) of a period: the quotient of its first day (B1, R3)."""
    quotient = quotient_on(family, period.first_day)
    return period_price(rule, period, setup.rates_of(rule), quotient, setup.calendar), quotient


def waiting_rank(session: Session, booking_id: int) -> int | None:
    """Position on the waiting list: 1 + bookings waiting on the same slot before it."""
    b = session.get(Booking, booking_id)
    if b is None or b.status != "waiting":
        return None
    same_slot = col(Booking.day) == b.day if b.day is not None else col(Booking.period_id) == b.period_id
    ahead = session.execute(
        select(func.count()).select_from(Booking).where(
            col(Booking.activity_id) == b.activity_id,
            same_slot,
            col(Booking.status) == "waiting",
            or_(col(Booking.created_at) < b.created_at,
                and_(col(Booking.created_at) == b.created_at, col(Booking.id) < booking_id)),
        )
    ).scalar_one()
    return int(ahead) + 1


def rank_of(session: Session, booking: Booking | None) -> int | None:
    """The waiting rank of a live booking, None when it is confirmed (or absent)."""
    if booking is None or booking.id is None or booking.status != "waiting":
        return None
    return waiting_rank(session, booking.id)
