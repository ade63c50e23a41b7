"""The next-day confirmation e-mail (R10): "je reçois le lendemain un mail de
confirmation de toutes les inscriptions effectuées".

`portail nightly` calls `queue_booking_digests(ctx, yesterday)`; each family with
bookings or cancellations made that day gets one message in the outbox. The dedup
key "digest:{family_id}:{day}" makes the job idempotent: running it twice (or after a
crash half-way) never sends a family two digests for one day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, or_, select
from sqlmodel import Session, col

from portail_tui.clock import paris
from portail_tui.domain.frdates import capitalize_first, format_date_long, format_date_short
from portail_tui.domain.money import format_amount
from portail_tui.models import Activity, Booking, Child, Family, OutboxMessage, Period, Regie
from portail_tui.services import outbox
from portail_tui.services.context import Context


@dataclass(frozen=True)
class _Item:
    sort: tuple[date, str, int]
    text: str


def _dedup_key(family_id: int, day: date) -> str:
    return f"digest:{family_id}:{day.isoformat()}"


def queue_booking_digests(ctx: Context, day: date) -> int:
    """Queue one e-mail per family listing the bookings and cancellations made on
    `day` (Paris time); returns how many messages were queued by this call."""
    start, end = paris(day), paris(day + timedelta(days=1))
    regie_id = ctx.actor.regie_id if ctx.actor is not None and ctx.actor.kind != "system" else None

    def work(session: Session) -> int:
        now = ctx.clock.now()
        stmt = (
            select(Booking, Activity, Child, Period)
            .join(Activity, col(Activity.id) == col(Booking.activity_id))
            .join(Child, col(Child.id) == col(Booking.child_id))
            .outerjoin(Period, col(Period.id) == col(Booking.period_id))
            .where(
                or_(
                    and_(col(Booking.created_at) >= start, col(Booking.created_at) < end),
                    and_(col(Booking.cancelled_at) >= start, col(Booking.cancelled_at) < end),
                )
            )
        )
        if regie_id is not None:
            stmt = stmt.where(col(Booking.regie_id) == regie_id)
        by_family: dict[int, list[_Item]] = {}
        for b, a, c, p in session.execute(stmt).all():
            when = (capitalize_first(format_date_long(b.day)) if b.day is not None
                    else f"{p.label} (du {format_date_short(p.first_day)} au {format_date_short(p.last_day)})")
            first = b.day if b.day is not None else p.first_day
            created_today = start <= b.created_at < end
            cancelled_today = b.cancelled_at is not None and start <= b.cancelled_at < end
            if created_today and cancelled_today:
                what = "réservée puis annulée"
            elif cancelled_today:
                what = "annulée"
            elif b.status == "waiting":
                what = "en liste d'attente"
            else:
                what = f"réservée ({format_amount(b.price_cents)})"
            text = f"- {when} : {c.first_name} — {a.label} ({_hours(a)}) : {what}"
            by_family.setdefault(b.family_id, []).append(_Item((first, c.first_name, a.sort_order), text))
        if not by_family:
            return 0
        done = set(
            session.execute(
                select(col(OutboxMessage.dedup_key)).where(
                    col(OutboxMessage.dedup_key).in_([_dedup_key(f, day) for f in by_family])
                )
            ).scalars()
        )
        families = {
            f.id: f for f in session.execute(select(Family).where(col(Family.id).in_(list(by_family)))).scalars()
        }
        regies = {r.id: r.name for r in session.execute(select(Regie)).scalars()}
        queued = 0
        for family_id, items in sorted(by_family.items()):
            family = families.get(family_id)
            key = _dedup_key(family_id, day)
            if family is None or not family.email or key in done:
                continue
            items.sort(key=lambda i: i.sort)
            body = (
                "Bonjour,\n\n"
                f"Voici les réservations enregistrées le {format_date_long(day)} pour votre famille"
                f" (compte n° {family.number:06d}) :\n\n"
                + "\n".join(i.text for i in items)
                + "\n\nVous pouvez modifier ou annuler une réservation tant que le délai de réservation"
                " n'est pas dépassé (48 h pour la cantine, la garderie et le centre de loisirs des"
                " mercredis).\n\n"
                f"{regies.get(family.regie_id, '')}\n"
            )
            message = outbox.queue(
                session,
                now=now,
                kind="booking_digest",
                to_addr=family.email,
                subject=f"Vos réservations du {format_date_short(day)}",
                body_text=body,
                family_id=family_id,
                dedup_key=key,
            )
            if message is not None:
                queued += 1
        return queued

    return ctx.db.write(work)


def _hours(a: Activity) -> str:
    return f"{a.start_time.hour}h{a.start_time.minute:02d}–{a.end_time.hour}h{a.end_time.minute:02d}"
