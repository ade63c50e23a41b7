"""The day's figures on Accueil for régisseurs and administrators (P6): per activity,
how many children are expected (confirmed bookings of the day) and how many are
already marked, and the meals per school of the next service day. Two grouped counts
over indexed columns: Accueil is reloaded on every visit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlmodel import Session, col

from portail_tui.models import Activity, Attendance, Booking
from portail_tui.services.context import Context
from portail_tui.services.service_day.common import regie_of
from portail_tui.services.service_day.kitchen import next_service_day
from portail_tui.services.service_day.meals import meal_counts

FIGURE_ROLES = ("regisseur", "admin")


@dataclass(frozen=True)
class ActivityFigure:
    code: str
    label: str
    expected: int
    marked: int


@dataclass(frozen=True)
class DayFigures:
    day: date
    activities: tuple[ActivityFigure, ...]  # only activities with children expected or marked
    meals_day: date | None
    meals: tuple[tuple[str, int], ...]  # (school, meals) of meals_day


def shows_figures(ctx: Context) -> bool:
    """Régisseurs and administrators only (G7: rights are given, never assumed)."""
    actor = ctx.actor
    return actor is not None and actor.kind == "agent" and actor.role in FIGURE_ROLES


def day_figures(ctx: Context, day: date) -> DayFigures:

    def work(session: Session) -> tuple[ActivityFigure, ...]:
        regie = regie_of(session, ctx)
        acts = session.execute(
            select(col(Activity.id), col(Activity.code), col(Activity.label))
            .where(col(Activity.regie_id) == regie.id).order_by(col(Activity.sort_order), col(Activity.code))
        ).all()
        ids = [a[0] for a in acts]
        expected: dict[int, int] = {aid: int(n) for aid, n in session.execute(
            select(col(Booking.activity_id), func.count())
            .where(col(Booking.activity_id).in_(ids), col(Booking.day) == day, col(Booking.status) == "confirmed")
            .group_by(col(Booking.activity_id)))}
        marked: dict[int, int] = {aid: int(n) for aid, n in session.execute(
            select(col(Attendance.activity_id), func.count())
            .where(col(Attendance.activity_id).in_(ids), col(Attendance.day) == day)
            .group_by(col(Attendance.activity_id)))}
        return tuple(ActivityFigure(code, label, expected.get(aid, 0), marked.get(aid, 0))
                     for aid, code, label in acts if expected.get(aid) or marked.get(aid))

    activities = ctx.db.read(work)
    meals_day = next_service_day(ctx, day)
    meals: tuple[tuple[str, int], ...] = ()
    if meals_day is not None:
        meals = tuple(meal_counts(ctx, [meals_day]).by_school().items())
    return DayFigures(day, activities, meals_day, meals)
