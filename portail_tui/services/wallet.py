"""Wallet figures (R6, R7), computed from immutable entries every time — never from a
stored running total that could drift."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, or_, select
from sqlmodel import Session

from portail_tui.models import Booking, Payment, Period
from portail_tui.services.context import Context

CONSUMPTION_WINDOW_DAYS = 15


def consumption_limit(today: date) -> date:
    """Last day whose bookings count as consumed (R6: past + next 15 days)."""
    return today + timedelta(days=CONSUMPTION_WINDOW_DAYS)


def paid_cents(session: Session, family_id: int) -> int:
    total = session.execute(
        select(func.coalesce(func.sum(Payment.amount_cents), 0)).where(Payment.family_id == family_id)
    ).scalar_one()
    return int(total)


def consumed_cents(session: Session, family_id: int, today: date) -> int:
    """Confirmed bookings dated up to today + 15 days, at their frozen prices. A period
    booking is consumed from its first day."""
    limit = consumption_limit(today)
    day_total = session.execute(
        select(func.coalesce(func.sum(Booking.price_cents), 0)).where(
            Booking.family_id == family_id,
            Booking.status == "confirmed",
            Booking.day.is_not(None),
            Booking.day <= limit,
        )
    ).scalar_one()
    period_total = session.execute(
        select(func.coalesce(func.sum(Booking.price_cents), 0))
        .join(Period, Period.id == Booking.period_id)
        .where(
            Booking.family_id == family_id,
            Booking.status == "confirmed",
            or_(Period.first_day <= limit),
        )
    ).scalar_one()
    return int(day_total) + int(period_total)


def solde_cents(session: Session, family_id: int, today: date) -> int:
    """solde = paid − consumed (R7)."""
    return paid_cents(session, family_id) - consumed_cents(session, family_id, today)


def family_solde(ctx: Context, family_id: int) -> int:
    today = ctx.clock.today()
    return ctx.db.read(lambda s: solde_cents(s, family_id, today))
