"""R6 « consommé », written once: the SQL conditions every query about consumptions
builds on — the wallet's solde and coût estimé, the Solde screen's lists, the histories.

A booking is consumed when it is confirmed and dated up to today + 15 days (a period
booking is dated by its period's first day), unless its attendance mark says the régie
waived it (a justified absence, P2: Attendance.billed false); cancelled and
waiting-list bookings never are. A présent non inscrit is a booking at the surcharge
price, so it is counted like any other. Coût estimé (R7) and Suivi (R8) look at the
complement: bookings dated after that window. The window's end may be a date or a bind parameter, so a statement built once
at import time (the wallet's, on a 3 ms budget) uses the same conditions as one built
per call.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, SQLColumnExpression, and_, exists, func, not_, select
from sqlalchemy.orm import aliased
from sqlmodel import col

from portail_tui.models import Attendance, Booking, Period

CONSUMPTION_WINDOW_DAYS = 15
CONSUMED_STATUS = "confirmed"  # the only status that is ever consumed

DayLimit = date | SQLColumnExpression[Any]
DayColumn = SQLColumnExpression[Any]  # Booking.day, Period.first_day or booking_day()


def consumption_limit(today: date) -> date:
    """Last day whose bookings count as consumed (R6: past + next 15 days)."""
    return today + timedelta(days=CONSUMPTION_WINDOW_DAYS)


def booking_day() -> ColumnElement[Any]:
    """The day a booking counts from: its day, or its period's first day. The statement
    must outer-join Period on Booking.period_id."""
    return func.coalesce(col(Booking.day), col(Period.first_day))


def within_window(limit: DayLimit, day: DayColumn | None = None) -> ColumnElement[bool]:
    """Dated up to the end of the consumption window (any status)."""
    return (booking_day() if day is None else day) <= limit


def after_window(limit: DayLimit, day: DayColumn | None = None) -> ColumnElement[bool]:
    """Dated after the consumption window: what coût estimé and Suivi look at."""
    return (booking_day() if day is None else day) > limit


def waived() -> ColumnElement[bool]:
    """The booking's attendance mark waives it (P2). One probe of the unique index on
    attendance.booking_id per booking: the wallet's solde stays on its budget."""
    mark = aliased(Attendance)  # the statement may join Attendance itself (the histories do)
    return exists(
        select(col(mark.id))
        .where(col(mark.booking_id) == col(Booking.id), not_(col(mark.billed)))
        .correlate_except(mark)
    )


def confirmed_within(limit: DayLimit, day: DayColumn | None = None) -> ColumnElement[bool]:
    """Confirmed and dated up to `limit`: consumed unless waived. A statement lists all
    of them (the waived ones at 0,00 €) and reads the waiver from the mark it joins."""
    return and_(col(Booking.status) == CONSUMED_STATUS, within_window(limit, day))


def consumed(limit: DayLimit, day: DayColumn | None = None) -> ColumnElement[bool]:
    """R6: confirmed, dated up to `limit` (see `consumption_limit`) and not waived by a
    justified absence. `day` is the booking's date column when the statement knows it
    without the Period join."""
    return and_(confirmed_within(limit, day), not_(waived()))
