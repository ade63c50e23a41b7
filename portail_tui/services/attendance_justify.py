"""Justified absences (P2), recorded by an agent from the family's Réservations or
Historiques: the family brings a medical certificate, a hospital paper or another
reason for days its child was booked and did not come.

The days of the child's confirmed bookings become « absence justifiée »; whether each
is billed is domain.attendance's rule (régie's delay after the illness, jour de
carence). A late justification is refused as a whole and nothing changes, so the agent
can say why at the desk. R6 (services/consumption.py) leaves the waived bookings out:
the wallet, the histories and the statements follow without knowing about this module.
Marking the service day itself (présent, absent…) is services/attendance/.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from portail_tui.domain import attendance as rule
from portail_tui.domain.frdates import capitalize_first, format_date_short
from portail_tui.models import (
    Activity,
    Attendance,
    Booking,
    Child,
    FamilyMember,
    Regie,
)
from portail_tui.services import audit
from portail_tui.services.context import Context, ServiceError
from portail_tui.services.families import family_in_regie

ACTION = "attendance.justify"
NOTE_MAX = 300
# How far around the absence the child's other booked days are read to split illnesses.
_ILLNESS_SPAN = timedelta(days=62)


@dataclass(frozen=True)
class JustifiableDay:
    """A past booked day of the child, as the dialog lists it."""

    day: date
    activities: str  # « RESTAURANT SCOLAIRE, APS SOIR »
    state: str  # « réservé », « absent », « absence justifiée — non facturée »…
    justified: bool


@dataclass(frozen=True)
class JustificationResult:
    child_name: str
    waived: tuple[date, ...]
    billed: tuple[date, ...]  # carence days
    bookings: int

    @property
    def message(self) -> str:
        """What the agent reads once it is recorded."""
        n = len(self.waived)
        text = (f"Absence de {self.child_name} justifiée : {n} jour{'s' if n > 1 else ''} non facturé"
                f"{'s' if n > 1 else ''}")
        if self.billed:
            days = ", ".join(format_date_short(d) for d in self.billed)
            text += f" ; jour de carence facturé : {days}"
        return text + "."


def _child_name(session: Session, family_id: int, child_id: int) -> str:
    row = session.execute(
        select(col(Child.first_name))
        .join(FamilyMember, col(FamilyMember.child_id) == col(Child.id))
        .where(col(FamilyMember.family_id) == family_id, col(Child.id) == child_id)
    ).first()
    if row is None:
        raise ServiceError("Cet enfant n'est pas rattaché à la famille.", field="enfant")
    return str(row[0])


def _booked(session: Session, family_id: int, child_id: int, first: date, last: date) -> list[Booking]:
    """The child's confirmed day bookings with this family between two dates."""
    return list(session.execute(
        select(Booking).where(
            col(Booking.family_id) == family_id, col(Booking.child_id) == child_id,
            col(Booking.status) == "confirmed", col(Booking.day) >= first, col(Booking.day) <= last,
        ).order_by(col(Booking.day), col(Booking.activity_id))
    ).scalars())


def _justified_days(session: Session, bookings: list[Booking]) -> set[date]:
    """Days whose every booking is already a justified absence: an illness that goes on
    from one of them is the same illness (no second carence day)."""
    marks = _marks(session, [b.id for b in bookings if b.id is not None])
    by_day: dict[date, list[bool]] = defaultdict(list)
    for b in bookings:
        if b.day is not None:
            m = marks.get(b.id or 0)
            by_day[b.day].append(m is not None and m.state == rule.JUSTIFIED)
    return {d for d, flags in by_day.items() if all(flags)}


def _marks(session: Session, booking_ids: list[int]) -> dict[int, Attendance]:
    if not booking_ids:
        return {}
    rows = session.execute(select(Attendance).where(col(Attendance.booking_id).in_(booking_ids))).scalars()
    return {a.booking_id: a for a in rows if a.booking_id is not None}


def justification_policy(ctx: Context) -> str:
    """The régie's rule in words, shown in the dialog so the agent can tell the family."""
    actor = ctx.require_actor()

    def _work(session: Session) -> str:
        regie = session.get(Regie, actor.regie_id)
        if regie is None:
            raise ServiceError("Régie introuvable.")
        delay = regie.justification_delay_days
        text = f"Justificatif accepté jusqu'à {delay} jour{'s' if delay > 1 else ''} après l'absence"
        if regie.bill_first_sick_day:
            return text + " ; le premier jour de chaque absence reste facturé (jour de carence)."
        return text + " ; les jours justifiés ne sont pas facturés."

    return ctx.db.read(_work)


def justifiable_days(ctx: Context, family_id: int, child_id: int, first: date, last: date) -> list[JustifiableDay]:
    """The child's booked days between two dates up to today, with their mark: what the
    « Justifier une absence » dialog offers (days marked present are left out)."""
    today = ctx.clock.today()
    last = min(last, today)

    def _work(session: Session) -> list[JustifiableDay]:
        family_in_regie(session, ctx.actor, family_id)
        _child_name(session, family_id, child_id)
        if last < first:
            return []
        bookings = _booked(session, family_id, child_id, first, last)
        marks = _marks(session, [b.id for b in bookings if b.id is not None])
        ids = {b.activity_id for b in bookings}
        labels = {r[0]: r[1] for r in session.execute(
            select(col(Activity.id), col(Activity.label)).where(col(Activity.id).in_(ids)))}
        by_day: dict[date, list[Booking]] = defaultdict(list)
        for b in bookings:
            if b.day is not None:
                by_day[b.day].append(b)
        out = []
        for day, day_bookings in sorted(by_day.items()):
            day_marks = [marks.get(b.id or 0) for b in day_bookings]
            if any(m is not None and m.state in (rule.PRESENT, rule.UNBOOKED) for m in day_marks):
                continue
            first_mark = next((m for m in day_marks if m is not None), None)
            state = rule.state_label(first_mark.state if first_mark else None,
                                     first_mark.billed if first_mark else True)
            out.append(JustifiableDay(
                day=day, activities=", ".join(labels.get(b.activity_id, "?") for b in day_bookings),
                state=state, justified=first_mark is not None and first_mark.state == rule.JUSTIFIED))
        return out

    return ctx.db.read(_work)


def _check_input(days: list[date], reason: str, received_on: date, note: str, today: date) -> None:
    if not days:
        raise ServiceError("Choisissez au moins un jour d'absence.", field="jours")
    if reason not in rule.REASON_LABELS:
        raise ServiceError("Motif inconnu : certificat médical, hospitalisation ou autre.", field="motif")
    if received_on > today:
        raise ServiceError("La date de réception ne peut pas être postérieure à aujourd'hui.", field="reçu le")
    if max(days) > today:
        raise ServiceError(f"Le {format_date_short(max(days))} n'est pas encore passé : on ne justifie "
                           "qu'une absence du jour ou passée.", field="jours")
    if len(note) > NOTE_MAX:
        raise ServiceError(f"Observation trop longue ({NOTE_MAX} caractères au plus).", field="observation")


def record_justification(
    ctx: Context,
    family_id: int,
    child_id: int,
    days: Iterable[date],
    reason: str,
    received_on: date,
    note: str = "",
) -> JustificationResult:
    """Mark the child's confirmed bookings of `days` « absence justifiée » and bill them
    by P2. All or nothing: a day without booking, a day marked present or a late
    justification refuses the whole request with a French reason."""
    actor = ctx.require_actor()
    today = ctx.clock.today()
    now = ctx.clock.now()
    wanted = sorted(set(days))
    note = " ".join((note or "").split())

    def _work(session: Session) -> JustificationResult:
        family = family_in_regie(session, actor, family_id)  # another régie's family: not even its input
        _check_input(wanted, reason, received_on, note, today)
        regie = session.get(Regie, family.regie_id)
        assert regie is not None
        name = _child_name(session, family_id, child_id)
        around = _booked(session, family_id, child_id, wanted[0] - _ILLNESS_SPAN, wanted[-1] + _ILLNESS_SPAN)
        targets = [b for b in around if b.day in set(wanted)]
        booked_days = {b.day for b in around if b.day is not None}
        missing = [d for d in wanted if d not in booked_days]
        if missing:
            raise ServiceError(f"Aucune réservation confirmée de {name} le {format_date_short(missing[0])} :"
                               " rien à justifier ce jour-là.", field="jours")
        marks = _marks(session, [b.id for b in targets if b.id is not None])
        for b in targets:
            m = marks.get(b.id or 0)
            if m is not None and m.state in (rule.PRESENT, rule.UNBOOKED) and b.day is not None:
                raise ServiceError(f"{name} est pointé présent le {format_date_short(b.day)} : "
                                   "corrigez d'abord le pointage.", field="jours")
        billed: list[date] = []
        waived: list[date] = []
        justified_before = _justified_days(session, [b for b in around if b.day not in set(wanted)])
        for illness in rule.split_illnesses(wanted, booked_days):
            earlier = [d for d in booked_days if d < illness[0]]
            outcome = rule.justification_billing(illness, received_on, regie.justification_delay_days,
                                                 regie.bill_first_sick_day,
                                                 continues=bool(earlier) and max(earlier) in justified_before)
            if outcome.refusal is not None:
                raise ServiceError(capitalize_first(outcome.refusal) + ".", field="reçu le")
            billed += outcome.billed
            waived += outcome.waived
        waived_days = set(waived)
        for b in targets:
            assert b.id is not None and b.day is not None
            m = marks.get(b.id)
            before = None if m is None else {"state": m.state, "billed": m.billed,
                                             "reason": m.justification_reason,
                                             "received_on": m.justification_received_on}
            if m is None:
                m = Attendance(regie_id=b.regie_id, booking_id=b.id, family_id=b.family_id,
                               child_id=b.child_id, activity_id=b.activity_id, day=b.day,
                               state=rule.JUSTIFIED, marked_at=now, marked_by=actor.tag)
            m.state = rule.JUSTIFIED
            m.billed = b.day not in waived_days
            m.justification_reason = reason
            m.justification_received_on = received_on
            m.justification_note = note or None
            m.marked_at = now
            m.marked_by = actor.tag
            session.add(m)
            audit.record(session, at=now, actor=actor.tag, action=ACTION, entity="booking", entity_id=b.id,
                         family_id=family_id, child_id=child_id, day=b.day, reason=reason,
                         received_on=received_on, billed=m.billed, note=note, previous=before)
        return JustificationResult(child_name=name, waived=tuple(waived), billed=tuple(billed),
                                   bookings=len(targets))

    return ctx.db.write(_work)
