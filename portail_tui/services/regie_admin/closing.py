"""Closing a day for some activities (G6: strike, teacher training, flooding).

Every live booking of those activities that day is cancelled with the reason (so it
is never consumed: the solde follows from R6/R7 with no manual credit), the waiting
entries are dropped with it, the slot counts go back to zero (and its capacity too), each family gets one
e-mail listing its children and lines, and the closure is kept per activity so the
calendar shows the day beige with the reason. Closing again changes nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select, update
from sqlmodel import Session, col

from portail_tui.domain.booking_rules import operation_refusal
from portail_tui.domain.frdates import capitalize_first, format_date_long
from portail_tui.models import Activity, ActivityClosure, Booking, Child, Family, Slot
from portail_tui.services import audit, outbox, permissions
from portail_tui.services.booking.setup import LIVE, load_setup
from portail_tui.services.booking.waiting import insert_ignore
from portail_tui.services.context import Context, ServiceError


def _s(n: int) -> str:
    """French plural: « 0 demande », « 1 demande », « 2 demandes »."""
    return "s" if n > 1 else ""


@dataclass(frozen=True)
class ClosureImpact:
    """What closing would do (the dry run), or did."""

    day: date
    reason: str
    activities: tuple[str, ...]  # codes closed by this call
    already_closed: tuple[str, ...]  # codes closed that day before: untouched
    families: int
    bookings: int  # confirmed bookings cancelled
    waiting: int  # waiting entries dropped
    families_without_email: int = 0

    @property
    def summary(self) -> str:
        """One French sentence, shown before confirming and after."""
        if not self.activities:
            return (f"Déjà fermé le {format_date_long(self.day)} pour {', '.join(self.already_closed)} : "
                    "rien n'a changé.")
        text = (f"{capitalize_first(format_date_long(self.day))}, {', '.join(self.activities)} : "
                f"{self.bookings} réservation{_s(self.bookings)} et "
                f"{self.waiting} demande{_s(self.waiting)} en liste d'attente annulée{_s(self.bookings + self.waiting)}, "
                f"{self.families} famille{_s(self.families)} prévenue{_s(self.families)} par courriel")
        if self.families_without_email:
            text += f" ({self.families_without_email} sans adresse : à appeler)"
        if self.already_closed:
            text += f" ; déjà fermé : {', '.join(self.already_closed)}"
        return text + "."


@dataclass(frozen=True)
class ClosureResult:
    impact: ClosureImpact
    dry_run: bool
    mails: int = 0
    cancelled_ids: tuple[int, ...] = field(default=())

    @property
    def changed(self) -> bool:
        return not self.dry_run and bool(self.impact.activities)


def _mail(regie_name: str, day: date, reason: str, lines: list[tuple[str, str, bool]]) -> tuple[str, str]:
    when = format_date_long(day)
    body = ["Bonjour,", "",
            f"En raison de l'événement suivant : {reason}, les activités ci-dessous n'auront pas lieu le {when}.",
            "Les réservations correspondantes sont annulées et ne vous seront pas facturées :", ""]
    for child, activity, waiting in sorted(lines):
        body.append(f"- {child} : {activity}" + (" (demande en liste d'attente)" if waiting else ""))
    body += ["", "Nous vous prions de nous excuser pour la gêne occasionnée.", "", regie_name, ""]
    return f"Fermeture le {when} : {reason}", "\n".join(body)


def close_day(ctx: Context, day: date, activity_ids: Sequence[int], reason: str, *,
              dry_run: bool = False) -> ClosureResult:
    """G6. `dry_run` gives the counts shown before the régisseur confirms."""
    actor = permissions.require(ctx, "regie.manage")
    reason = " ".join((reason or "").split())
    if not reason:
        raise ServiceError("Indiquez le motif de la fermeture : il est envoyé aux familles.", field="motif")
    if len(reason) > 120:
        raise ServiceError("Motif trop long (120 caractères au plus).", field="motif")
    if not activity_ids:
        raise ServiceError("Choisissez au moins une activité à fermer.", field="activites")
    if day < ctx.clock.today():
        raise ServiceError(f"Le {format_date_long(day)} est passé : on ne ferme qu'un jour à venir.", field="date")

    def work(session: Session) -> ClosureResult:
        now = ctx.clock.now()
        if not dry_run:
            # Two régisseurs closing the same activities at once (PostgreSQL): the second
            # waits here, then reads the first one's closure and does nothing.
            session.execute(select(col(Activity.id)).where(col(Activity.id).in_(list(activity_ids)))
                            .with_for_update())
        setup = load_setup(session, actor.regie_id)
        rules = []
        for activity_id in dict.fromkeys(activity_ids):
            rule = setup.activities.get(activity_id)
            if rule is None:
                raise ServiceError("Activité inconnue.", field="activites")
            if rule.by_period:
                raise ServiceError(f"{rule.label} se réserve par période : elle ne se ferme pas à la journée.",
                                   field="activites")
            rules.append(rule)
        already = tuple(r.code for r in rules if day in r.closed_days)
        to_close = [r for r in rules if day not in r.closed_days]
        for rule in to_close:
            refused = operation_refusal(rule, day, setup.calendar, setup.closure_reasons)
            if refused is not None:
                raise ServiceError(f"{rule.label} n'a pas lieu le {format_date_long(day)} "
                                   f"({refused.reason}) : rien à fermer.", field="date")
        ids = [r.id for r in to_close]
        live = list(session.execute(
            select(Booking).where(col(Booking.activity_id).in_(ids), col(Booking.day) == day,
                                  col(Booking.status).in_(LIVE)).order_by(col(Booking.id))).scalars())
        families = {b.family_id for b in live}
        emails = dict(session.execute(select(col(Family.id), col(Family.email))
                                      .where(col(Family.id).in_(families))).all()) if families else {}
        impact = ClosureImpact(
            day=day, reason=reason, activities=tuple(r.code for r in to_close), already_closed=already,
            families=len(families), bookings=sum(b.status == "confirmed" for b in live),
            waiting=sum(b.status == "waiting" for b in live),
            families_without_email=sum(1 for f in families if not emails.get(f)))
        if dry_run or not to_close:
            return ClosureResult(impact, dry_run)
        session.execute(
            update(Booking).where(col(Booking.id).in_([b.id for b in live]), col(Booking.status).in_(LIVE))
            .values(status="cancelled", cancelled_at=now, cancelled_by=actor.tag, cancel_reason=reason))
        # No place left that day: a booking racing this closure on PostgreSQL (its rules
        # read before this commits) finds the slot full instead of confirming a closed day.
        insert_ignore(session, [{"activity_id": i, "day": day, "period_id": None, "capacity": 0, "taken": 0}
                                for i in ids], ["activity_id", "day"])
        session.execute(update(Slot).where(col(Slot.activity_id).in_(ids), col(Slot.day) == day)
                        .values(taken=0, capacity=0))
        for rule in to_close:
            session.add(ActivityClosure(regie_id=actor.regie_id, activity_id=rule.id, day=day, reason=reason,
                                        closed_at=now, closed_by=actor.tag))
            audit.record(session, at=now, actor=actor.tag, action="day.close", entity="activity",
                         entity_id=rule.id, activity=rule.code, day=day, reason=reason,
                         bookings=sum(b.activity_id == rule.id and b.status == "confirmed" for b in live),
                         waiting=sum(b.activity_id == rule.id and b.status == "waiting" for b in live))
        labels = {r.id: r.label for r in to_close}
        names = dict(session.execute(select(col(Child.id), col(Child.first_name))
                                     .where(col(Child.id).in_({b.child_id for b in live}))).all()) if live else {}
        audit.record_many(session, [
            audit.row(at=now, actor=actor.tag, action="booking.cancel", entity="booking", entity_id=b.id,
                      family_id=b.family_id, child_id=b.child_id, activity=labels[b.activity_id], day=day,
                      reason=reason, closure=True)
            for b in live])
        by_family: dict[int, list[tuple[str, str, bool]]] = {}
        for b in live:
            by_family.setdefault(b.family_id, []).append(
                (names.get(b.child_id, "votre enfant"), labels[b.activity_id], b.status == "waiting"))
        mails = 0
        codes = "-".join(sorted(r.code for r in to_close))
        for family_id, lines in sorted(by_family.items()):
            address = emails.get(family_id)
            if not address:
                continue
            subject, body = _mail(setup.regie_name, day, reason, lines)
            if outbox.queue(session, now=now, kind="day_closed", to_addr=address, subject=subject, body_text=body,
                            family_id=family_id, dedup_key=f"closure:{day.isoformat()}:{codes}:{family_id}"):
                mails += 1
        return ClosureResult(impact, False, mails, tuple(b.id for b in live if b.id is not None))

    return ctx.db.write(work) if not dry_run else ctx.db.read(work)
