"""Marking (P1, P3): one child, every unmarked child of a list, a child present without
booking. Each change is audited with the state it replaces; a mark is never deleted.

Who may mark when: every agent from the day itself until the régie's attendance
deadline, then only a régisseur (`permissions` « attendance.late »). `billed` follows
`domain.pointage.billed_after_mark`: a mark never undoes what a justification decided.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from portail_tui.db import ReplayUnitOfWork
from portail_tui.domain.booking_rules import ActivityRule, operation_refusal
from portail_tui.domain.frdates import format_date_long
from portail_tui.domain.money import format_amount
from portail_tui.domain.pointage import (
    JUSTIFIED,
    MARKABLE_STATES,
    PRESENT,
    UNBOOKED,
    Window,
    billed_after_mark,
    early_refusal,
    hhmm,
    late_refusal,
    marking_window,
    state_label,
    times_refusal,
)
from portail_tui.models import Activity, Attendance, Booking, Child, Family, FamilyMember, table_of
from portail_tui.services import audit
from portail_tui.services.attendance.lists import (
    activity_of,
    covering_periods,
    deadline_days,
    expected_rows,
)
from portail_tui.services.booking.setup import load_setup
from portail_tui.services.context import Actor, Context, PermissionDenied, ServiceError
from portail_tui.services.permissions import allowed, require

T = table_of(Attendance)
_I_ATTENDANCE = insert(T).returning(T.c.id, sort_by_parameter_order=True)
RESERVED = "reserve"  # the audit's previous state of a child not marked yet


@dataclass(frozen=True)
class Mark:
    """What a mark left on the row, for the screen to redraw it."""

    child_id: int
    state: str
    previous_state: str | None
    arrived_at: time | None
    left_at: time | None
    billed: bool
    changed: bool


def _window(session: Session, actor: Actor, day: date, today: date) -> Window:
    days = deadline_days(session, actor.regie_id)
    window = marking_window(day, today, days)
    if window is Window.EARLY:
        raise ServiceError(early_refusal(day), field="jour")
    if window is Window.LATE and not allowed(actor, "attendance.late"):
        raise PermissionDenied(late_refusal(day, days))
    return window


def _child_name(session: Session, child_id: int) -> str:
    child = session.get(Child, child_id)
    if child is None:
        raise ServiceError("Enfant introuvable.", field="enfant")
    return f"{child.first_name} {child.last_name}"


def _live_bookings(session: Session, rule: ActivityRule, day: date, child_id: int,
                   periods: Sequence[int], regie_id: int) -> list[Booking]:
    """The child's bookings of the activity that give it `day` (any live status)."""
    on_day = col(Booking.day) == day
    cond = on_day | col(Booking.period_id).in_(list(periods)) if periods else on_day
    return list(session.execute(
        select(Booking).where(col(Booking.child_id) == child_id, col(Booking.activity_id) == rule.id,
                              col(Booking.status) != "cancelled", col(Booking.regie_id) == regie_id, cond)
        .order_by(col(Booking.id))
    ).scalars())


def _current(session: Session, child_id: int, activity_id: int, day: date) -> Attendance | None:
    return session.execute(
        select(Attendance).where(col(Attendance.child_id) == child_id, col(Attendance.activity_id) == activity_id,
                                 col(Attendance.day) == day).with_for_update()
    ).scalar_one_or_none()


def _insert_attendance(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert marks; another agent's mark of the same child meanwhile replays the unit."""
    try:
        with session.begin_nested():
            return list(session.connection().execute(_I_ATTENDANCE, rows).scalars().all())
    except IntegrityError:
        raise ReplayUnitOfWork() from None


def mark(ctx: Context, activity_id: int, day: date, child_id: int, state: str,
         arrived_at: time | None = None, left_at: time | None = None) -> Mark:
    """Mark one booked child présent, absent or absent justifié, with the arrival (late)
    and departure (early) times of a present child. A présent non inscrit keeps its
    state: only its times change."""
    actor = require(ctx, "attendance.mark")
    now = ctx.clock.now()
    if state not in (*MARKABLE_STATES, UNBOOKED):
        raise ServiceError("État de pointage inconnu.", field="etat")

    def work(session: Session) -> Mark:
        setup = load_setup(session, actor.regie_id)
        rule = activity_of(setup.activities, activity_id)
        window = _window(session, actor, day, now.date())
        current = _current(session, child_id, rule.id, day)
        name = _child_name(session, child_id)
        new_state = state
        if current is not None and current.state == UNBOOKED:
            if state not in (PRESENT, UNBOOKED):
                raise ServiceError(f"{name} est présent non inscrit : il ne peut pas être marqué "
                                   f"{state_label(state)}.", field="etat")
            new_state = UNBOOKED
        elif state == UNBOOKED:
            raise ServiceError("« Présent non inscrit » s'ajoute avec la recherche d'un enfant (touche n).",
                               field="etat")
        refusal = times_refusal(new_state, arrived_at, left_at, rule.start_time, rule.end_time)
        if refusal is not None:
            raise ServiceError(refusal, field="heure")
        if current is None:
            periods = covering_periods(session, rule, day, setup.calendar)
            booking = next((b for b in _live_bookings(session, rule, day, child_id, periods, actor.regie_id)
                            if b.status == "confirmed"), None)
            if booking is None:
                raise ServiceError(f"{name} n'a pas de réservation confirmée en {rule.label} le "
                                   f"{format_date_long(day)} : ajoutez-le en présent non inscrit (touche n).",
                                   field="enfant")
            billed = billed_after_mark(new_state, previous_billed=None, justification_received_on=None)
            (att_id,) = _insert_attendance(session, [{
                "regie_id": actor.regie_id, "booking_id": booking.id, "family_id": booking.family_id,
                "child_id": child_id, "activity_id": rule.id, "day": day, "state": new_state,
                "arrived_at": arrived_at, "left_at": left_at, "billed": billed, "justification_reason": None,
                "justification_received_on": None, "justification_note": None, "marked_at": now,
                "marked_by": ctx.actor_tag,
            }])
            _audit(session, ctx, now, att_id, booking.family_id, child_id, rule, day, window,
                   state=new_state, previous=None, times=(arrived_at, left_at), before=(None, None), billed=billed)
            return Mark(child_id, new_state, None, arrived_at, left_at, billed, True)
        previous, before = current.state, (current.arrived_at, current.left_at)
        billed = billed_after_mark(new_state, previous_billed=current.billed,
                                   justification_received_on=current.justification_received_on)
        if (previous, before, current.billed) == (new_state, (arrived_at, left_at), billed):
            return Mark(child_id, new_state, previous, arrived_at, left_at, billed, False)
        current.state, current.arrived_at, current.left_at = new_state, arrived_at, left_at
        current.billed, current.marked_at, current.marked_by = billed, now, ctx.actor_tag
        session.add(current)
        session.flush()
        assert current.id is not None
        _audit(session, ctx, now, current.id, current.family_id, child_id, rule, day, window,
               state=new_state, previous=previous, times=(arrived_at, left_at), before=before, billed=billed)
        return Mark(child_id, new_state, previous, arrived_at, left_at, billed, True)

    return ctx.db.write(work)


def _audit(session: Session, ctx: Context, now: datetime, att_id: int, family_id: int, child_id: int,
           rule: ActivityRule, day: date, window: Window, *, state: str, previous: str | None,
           times: tuple[time | None, time | None], before: tuple[time | None, time | None], billed: bool) -> None:
    audit.record(session, **_audit_fields(ctx, now, att_id, family_id, child_id, rule, day, window, state=state,
                                          previous=previous, times=times, before=before, billed=billed))


def _audit_fields(ctx: Context, now: datetime, att_id: int, family_id: int, child_id: int, rule: ActivityRule,
                  day: date, window: Window, *, state: str, previous: str | None,
                  times: tuple[time | None, time | None], before: tuple[time | None, time | None],
                  billed: bool) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "at": now, "actor": ctx.actor_tag, "action": "attendance.mark", "entity": "attendance",
        "entity_id": att_id, "family_id": family_id, "child_id": child_id, "activity": rule.code,
        "day": day, "state": state, "previous_state": previous or RESERVED, "billed": billed,
    }
    if any(times) or any(before):
        fields.update(arrived_at=hhmm(times[0]), left_at=hhmm(times[1]),
                      previous_arrived_at=hhmm(before[0]), previous_left_at=hhmm(before[1]))
    if window is Window.LATE:
        fields["after_deadline"] = True
    return fields


def mark_all_present(ctx: Context, activity_id: int, day: date, school: str | None = None) -> int:
    """« Tous présents »: every child of the list not marked yet becomes présent (the
    exceptions are marked after). Children already marked keep their mark. Returns
    how many were marked."""
    actor = require(ctx, "attendance.mark")
    now = ctx.clock.now()

    def work(session: Session) -> int:
        setup = load_setup(session, actor.regie_id)
        rule = activity_of(setup.activities, activity_id)
        window = _window(session, actor, day, now.date())
        periods = covering_periods(session, rule, day, setup.calendar)
        todo = [r for r in expected_rows(session, rule, day, periods, school) if r.state is None]
        if not todo:
            return 0
        ids = _insert_attendance(session, [{
            "regie_id": actor.regie_id, "booking_id": r.booking_id, "family_id": r.family_id, "child_id": r.child_id,
            "activity_id": rule.id, "day": day, "state": PRESENT, "arrived_at": None, "left_at": None,
            "billed": True, "justification_reason": None, "justification_received_on": None,
            "justification_note": None, "marked_at": now, "marked_by": ctx.actor_tag,
        } for r in todo])
        audit.record_many(session, [
            audit.row(**_audit_fields(ctx, now, att_id, r.family_id, r.child_id, rule, day, window, state=PRESENT, previous=None,
                                      times=(None, None), before=(None, None), billed=True), all_present=True)
            for r, att_id in zip(todo, ids, strict=True)
        ])
        return len(todo)

    return ctx.db.write(work)


@dataclass(frozen=True)
class Unbooked:
    booking_id: int
    attendance_id: int
    family_id: int
    price_cents: int


def add_unbooked(ctx: Context, activity_id: int, day: date, child_id: int, family_id: int | None = None) -> Unbooked:
    """« Présent non inscrit » (P2): the child came without a booking. A confirmed
    booking at the activity's surcharge (zero allowed) bills it like any consumption;
    it takes no place from the day's count (the child is already there). Billed to
    `family_id`, by default the child's first family in the régie."""
    actor = require(ctx, "attendance.mark")
    now = ctx.clock.now()

    def work(session: Session) -> Unbooked:
        setup = load_setup(session, actor.regie_id)
        rule = activity_of(setup.activities, activity_id)
        window = _window(session, actor, day, now.date())
        refused = operation_refusal(rule, day, setup.calendar, setup.closure_reasons)
        if refused is not None:
            raise ServiceError(f"{rule.label} : {refused.reason} ({format_date_long(day)}).", field="activite")
        families = list(session.execute(
            select(col(FamilyMember.family_id)).join(Family, col(Family.id) == col(FamilyMember.family_id))
            .where(col(FamilyMember.child_id) == child_id, col(Family.regie_id) == actor.regie_id)
            .order_by(col(FamilyMember.id))
        ).scalars())
        if not families or (family_id is not None and family_id not in families):
            raise ServiceError("Enfant introuvable.", field="enfant")
        billed_family = family_id if family_id is not None else families[0]
        name = _child_name(session, child_id)
        current = _current(session, child_id, rule.id, day)
        if current is not None:
            raise ServiceError(f"{name} est déjà pointé ce jour ({state_label(current.state)}).", field="enfant")
        periods = covering_periods(session, rule, day, setup.calendar)
        live = _live_bookings(session, rule, day, child_id, periods, actor.regie_id)
        if live:
            what = "en liste d'attente" if all(b.status == "waiting" for b in live) else "confirmée"
            raise ServiceError(f"{name} a déjà une réservation {what} en {rule.label} ce jour : "
                               "pointez-le dans la liste.", field="enfant")
        surcharge = session.execute(select(col(Activity.surcharge_cents)).where(col(Activity.id) == rule.id)).scalar()
        price = int(surcharge or 0)
        booking = Booking(regie_id=actor.regie_id, family_id=billed_family, child_id=child_id, activity_id=rule.id,
                          day=day, status="confirmed", price_cents=price, quotient_used=None, created_at=now,
                          created_by=ctx.actor_tag, confirmed_at=now)
        try:
            with session.begin_nested():
                session.add(booking)
                session.flush()
        except IntegrityError:
            raise ReplayUnitOfWork() from None
        assert booking.id is not None
        (att_id,) = _insert_attendance(session, [{
            "regie_id": actor.regie_id, "booking_id": booking.id, "family_id": billed_family, "child_id": child_id,
            "activity_id": rule.id, "day": day, "state": UNBOOKED, "arrived_at": None, "left_at": None,
            "billed": True, "justification_reason": None, "justification_received_on": None,
            "justification_note": None, "marked_at": now, "marked_by": ctx.actor_tag,
        }])
        audit.record(session, at=now, actor=ctx.actor_tag, action="booking.create", entity="booking",
                     entity_id=booking.id, family_id=billed_family, child_id=child_id, activity=rule.code, day=day,
                     period_id=None, price_cents=price, quotient=None, unbooked_presence=True)
        audit.record(session, **_audit_fields(ctx, now, att_id, billed_family, child_id, rule, day, window,
                                              state=UNBOOKED, previous=None, times=(None, None),
                                              before=(None, None), billed=True),
                     price=format_amount(price))
        return Unbooked(booking.id, att_id, billed_family, price)

    return ctx.db.write(work)


__all__ = ["JUSTIFIED", "RESERVED", "Mark", "Unbooked", "add_unbooked", "mark", "mark_all_present"]
