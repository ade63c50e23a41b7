"""The nightly e-mail of each school's meal list to its kitchen (P4).

The outbox has no attachments (services/mail.py sends text and HTML): the list is
written in the body, readable as is, followed by the same table in CSV for a
spreadsheet. One message per school and day, whatever the number of runs: the outbox's
dedup key is the school and the day.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from portail_tui.models import Activity, Booking, School
from portail_tui.models.setup import MEAL_TYPES
from portail_tui.services import outbox
from portail_tui.services.context import Context
from portail_tui.services.service_day.common import day_label, regie_of
from portail_tui.services.service_day.meals import (
    MEAL_LABELS,
    MealCounts,
    meal_counts,
    meals_report,
)

KIND = "repas_cuisine"
LOOKAHEAD_DAYS = 14  # a service day after two weeks of holidays is not « tomorrow »


def dedup_key(school_id: int, day: date) -> str:
    return f"repas:{school_id}:{day.isoformat()}"


def next_service_day(ctx: Context, today: date) -> date | None:
    """The first day after `today` with meals booked: the kitchen's next service (a
    week-end, a holiday or a closed day has none)."""

    def work(session: Session) -> date | None:
        regie = regie_of(session, ctx)
        meals = session.execute(select(col(Activity.id)).where(
            col(Activity.regie_id) == regie.id, col(Activity.serves_meal).is_(True))).scalars().all()
        # One activity at a time: the first booking in (activity, day) index order is
        # read without counting the fortnight's bookings (Accueil asks on every visit).
        days = [session.execute(
            select(col(Booking.day))
            .where(col(Booking.activity_id) == aid, col(Booking.status) == "confirmed",
                   col(Booking.day) > today, col(Booking.day) <= today + timedelta(days=LOOKAHEAD_DAYS))
            .order_by(col(Booking.day)).limit(1)
        ).scalar() for aid in meals]
        found = [d for d in days if d is not None]
        return min(found) if found else None

    return ctx.db.read(work)


def kitchen_body(counts: MealCounts, school_name: str, regie_name: str, edited_at: datetime) -> str:
    from portail_tui.exports.csv import csv_text

    day = counts.days[0]
    totals = counts.totals()
    lines = ["Bonjour,", "", f"Repas à préparer le {day_label(day).lower()} — {school_name} :", ""]
    lines += [f"  {MEAL_LABELS[m]} : {n}" for m, n in zip(MEAL_TYPES, totals, strict=True)]
    lines += [f"  Total : {counts.total}", ""]
    if counts.pai:
        lines.append("Enfants avec PAI (panier repas fourni par la famille) :")
        lines += [f"  - {p.school_class or 'classe non renseignée'} : {p.child_name}" for p in counts.pai]
        lines.append("")
    lines += ["Le même tableau en CSV (à coller dans un tableur) :", "",
              csv_text(meals_report(counts, edited_at)).strip(), "", regie_name]
    return "\n".join(lines)


def queue_kitchen_mails(ctx: Context, today: date) -> int:
    """Queue, for the next service day, one message per open school with a kitchen
    address; returns how many were queued this run (0 when already sent)."""
    day = next_service_day(ctx, today)
    if day is None:
        return 0
    counts = meal_counts(ctx, [day])
    now = ctx.clock.now()

    def work(session: Session) -> int:
        regie = regie_of(session, ctx)
        schools = session.execute(
            select(School).where(col(School.regie_id) == regie.id, col(School.kitchen_email).is_not(None))
            .order_by(col(School.sort_order), col(School.name))
        ).scalars()
        queued = 0
        for school in schools:
            if not school.kitchen_email or (school.closed_from is not None and school.closed_from <= day):
                continue
            part = counts.for_school(school.id)
            message = outbox.queue(
                session, now=now, kind=KIND, to_addr=school.kitchen_email,
                subject=f"Repas du {day_label(day).lower()} — {school.name}"[:200],
                body_text=kitchen_body(part, school.name, regie.name, now),
                dedup_key=dedup_key(school.id, day),
            )
            queued += message is not None
        return queued

    return ctx.db.write(work)
