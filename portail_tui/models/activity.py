"""Activities, their prices, periods, closures and places (R1–R4, B1, B2)."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import CheckConstraint, UniqueConstraint, false
from sqlmodel import Field, SQLModel

import portail_tui.models.base  # noqa: F401  (naming convention before any table)
from portail_tui.models.types import AwareDateTime


class Activity(SQLModel, table=True):
    """A service children are booked on.

    `weekdays` lists ISO weekday digits the activity runs on ("1245" = Mon, Tue, Thu,
    Fri). `runs_on` says which calendar days count: "school" (school days, incl.
    Wednesday when listed) or "holidays" (school holidays, booked by period, R3).
    Deadline (R2): bookable until `deadline_days` days before the day at
    `deadline_time`, counting days with optional skipping of weekends/public holidays.
    Exclusions (R4): activities sharing an `exclusion_group` exclude each other on the
    same day, except two that are both `combinable_in_group` (APS MATIN + APS SOIR are
    combinable; APS FORFAIT is not, so it excludes both).
    """

    __tablename__ = "activity"
    __table_args__ = (
        UniqueConstraint("regie_id", "code"),
        CheckConstraint("booking_unit IN ('day','period')", name="booking_unit"),
        CheckConstraint("runs_on IN ('school','holidays')", name="runs_on"),
        CheckConstraint("surcharge_cents >= 0", name="surcharge_positive"),
    )
    id: int | None = Field(default=None, primary_key=True)
    regie_id: int = Field(foreign_key="regie.id", index=True)
    code: str = Field(max_length=20)
    label: str = Field(max_length=80)
    letter: str = Field(max_length=1)  # shown in the calendar cell of a booked day
    start_time: time
    end_time: time
    weekdays: str = Field(default="1245", max_length=7)
    runs_on: str = Field(default="school", max_length=10)
    booking_unit: str = Field(default="day", max_length=6)
    deadline_days: int = Field(default=2)
    deadline_time: time = Field(default=time(0, 0))
    deadline_skip_weekends: bool = Field(default=False)
    deadline_skip_holidays: bool = Field(default=False)
    horizon_days: int = Field(default=60)
    capacity: int | None = Field(default=None)  # default places per day/period; None = unlimited
    waiting_list: bool = Field(default=True)
    exclusion_group: str | None = Field(default=None, max_length=20)
    combinable_in_group: bool = Field(default=False)
    sort_order: int = Field(default=0)
    active: bool = Field(default=True)
    # Set-up (G2): who may book — comma-separated School codes (None = every school)
    # and an age range in years on the day booked (None = no bound); closed from a date
    # instead of deleted (G4).
    eligible_schools: str | None = Field(default=None, max_length=400)
    min_age: int | None = Field(default=None)
    max_age: int | None = Field(default=None)
    closed_from: date | None = Field(default=None)
    # The service day (P2, P4, P5): price of a presence without booking, whether the
    # activity is a meal the kitchen counts, whether its hours are declared to the CAF.
    surcharge_cents: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    serves_meal: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    caf_declared: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


class Rate(SQLModel, table=True):
    """Price by quotient familial bracket (B1): qf_min <= QF <= qf_max (None = no upper bound).

    `unit` says what the price buys: 'day' (one day; a period booked as a whole costs
    it for each day the period opens), 'week' (a holiday week booked as a whole, flat)
    or 'period' (a whole holiday booked at once, flat) — the last two only on a period
    activity (G1/G3: « 45 € la semaine », « 80 € les deux semaines »). Which periods are
    weeks is `domain.booking_rules.period_pricing_unit`; a period whose unit has no rate
    in force falls back to the day rate. Brackets are read per unit. A `no_quotient` row
    is the price of families whose quotient is unknown (G3); without one they pay the
    top bracket (of that unit)."""

    __tablename__ = "rate"
    __table_args__ = (
        CheckConstraint("price_cents >= 0", name="price_positive"),
        CheckConstraint("unit IN ('day','week','period')", name="unit"),
    )
    id: int | None = Field(default=None, primary_key=True)
    activity_id: int = Field(foreign_key="activity.id", index=True)
    qf_min: int = Field(default=0)
    qf_max: int | None = Field(default=None)
    price_cents: int
    valid_from: date
    valid_to: date | None = None
    no_quotient: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    unit: str = Field(default="day", max_length=6, sa_column_kwargs={"server_default": "day"})


class Period(SQLModel, table=True):
    """A holiday session booked as a whole (R3), with its booking window."""

    __tablename__ = "period"
    id: int | None = Field(default=None, primary_key=True)
    activity_id: int = Field(foreign_key="activity.id", index=True)
    label: str = Field(max_length=120)
    first_day: date
    last_day: date
    booking_opens: date
    booking_closes: date
    capacity: int | None = Field(default=None)
    parent_id: int | None = Field(default=None, foreign_key="period.id")  # a week of a whole holiday


class Closure(SQLModel, table=True):
    """A day the régie's services are closed (pont, strike, works)."""

    __tablename__ = "closure"
    __table_args__ = (UniqueConstraint("regie_id", "day"),)
    id: int | None = Field(default=None, primary_key=True)
    regie_id: int = Field(foreign_key="regie.id")
    day: date
    reason: str = Field(default="Fermeture", max_length=120)


class ActivityClosure(SQLModel, table=True):
    """A day some activities do not run (strike, teacher training, flooding: G6), kept
    beside the régie-wide `Closure` so the other activities stay bookable that day.
    The reason is the one the families were told; the row makes closing idempotent."""

    __tablename__ = "activity_closure"
    __table_args__ = (UniqueConstraint("activity_id", "day"),)
    id: int | None = Field(default=None, primary_key=True)
    regie_id: int = Field(foreign_key="regie.id", index=True)
    activity_id: int = Field(foreign_key="activity.id")
    day: date
    reason: str = Field(max_length=120)
    closed_at: datetime = Field(sa_type=AwareDateTime)
    closed_by: str = Field(max_length=80)


class Slot(SQLModel, table=True):
    """Places of one activity on one day (or one period): the counter that makes
    overbooking impossible (B2). `taken` only moves by conditional UPDATEs
    (`SET taken = taken + 1 WHERE taken < capacity`) and the CHECK backs it up."""

    __tablename__ = "slot"
    __table_args__ = (
        UniqueConstraint("activity_id", "day"),
        UniqueConstraint("activity_id", "period_id"),
        CheckConstraint("taken >= 0 AND (capacity IS NULL OR taken <= capacity)", name="capacity"),
    )
    id: int | None = Field(default=None, primary_key=True)
    activity_id: int = Field(foreign_key="activity.id")
    day: date | None = Field(default=None)
    period_id: int | None = Field(default=None, foreign_key="period.id")
    capacity: int | None = Field(default=None)
    taken: int = Field(default=0)
