"""Bookings (réservations) — one child, one activity, one day or one period."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index, text
from sqlmodel import Field, SQLModel

import portail_tui.models.base  # noqa: F401  (naming convention before any table)
from portail_tui.models.types import AwareDateTime

BOOKING_STATUSES = ("confirmed", "waiting", "cancelled")


class Booking(SQLModel, table=True):
    """`price_cents` is frozen when the booking is confirmed (B1). A booking is never
    deleted: cancelling sets status 'cancelled' with who and when (B5)."""

    __tablename__ = "booking"
    __table_args__ = (
        CheckConstraint("status IN ('confirmed','waiting','cancelled')", name="status"),
        CheckConstraint("price_cents >= 0", name="price_positive"),
        CheckConstraint("(day IS NULL) <> (period_id IS NULL)", name="day_or_period"),
        # One live booking per child, activity and day/period, whatever the family
        # (a child in shared custody cannot be booked twice).
        Index(
            "uq_booking_live_day",
            "child_id",
            "activity_id",
            "day",
            unique=True,
            sqlite_where=text("status <> 'cancelled' AND day IS NOT NULL"),
            postgresql_where=text("status <> 'cancelled' AND day IS NOT NULL"),
        ),
        Index(
            "uq_booking_live_period",
            "child_id",
            "activity_id",
            "period_id",
            unique=True,
            sqlite_where=text("status <> 'cancelled' AND period_id IS NOT NULL"),
            postgresql_where=text("status <> 'cancelled' AND period_id IS NOT NULL"),
        ),
        Index("ix_booking_family_day", "family_id", "day"),
        Index("ix_booking_child_day", "child_id", "day"),
        # Covering (issue 15): the children expected at an activity on a day (the
        # Pointage list) are read from the index alone.
        Index("ix_booking_activity_day_cover", "activity_id", "day", "status", "child_id", "family_id"),
        Index("ix_booking_created_at", "created_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    regie_id: int = Field(foreign_key="regie.id")
    family_id: int = Field(foreign_key="family.id")
    child_id: int = Field(foreign_key="child.id")
    activity_id: int = Field(foreign_key="activity.id")
    day: date | None = Field(default=None)
    period_id: int | None = Field(default=None, foreign_key="period.id", index=True)
    status: str = Field(default="confirmed", max_length=10)
    price_cents: int = Field(default=0)
    quotient_used: int | None = Field(default=None)
    created_at: datetime = Field(sa_type=AwareDateTime)
    created_by: str = Field(max_length=80)  # "agent:login" or "famille:identifiant" (B5)
    confirmed_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    cancelled_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    cancelled_by: str | None = Field(default=None, max_length=80)
    # Why the régie cancelled it (a closed day, G6), told to the family; None when the
    # family or an agent at their request cancelled it.
    cancel_reason: str | None = Field(default=None, max_length=120)
