"""Valider (R10): the whole cart in ONE transaction, in four small steps —

1. cancel: each cancellation re-checked (R2), its booking cancelled by a conditional
   UPDATE, its place handed to the first child waiting (B2);
2. check: each new line decided again by `check_day_line` / `check_period_line` with
   the clock of this moment (the family may have talked past a deadline);
3. reserve: the slot rows created if missing, one place taken per line by the
   conditional UPDATE of `waiting.take_place` (a full slot means the waiting list);
4. insert: the bookings and their audit rows, one executemany each.

A unit that lost a race (PostgreSQL, READ COMMITTED) raises ReplayUnitOfWork and is
run again from scratch on fresh data.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, bindparam, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from portail_tui.db import ReplayUnitOfWork
from portail_tui.domain.booking_cart import BOOK, CANCEL, CartLine, LineKey
from portail_tui.domain.booking_rules import (
    ActivityRule,
    PeriodRule,
    Refusal,
    Verdict,
    already_booked,
    check_cancel_day,
    check_cancel_period,
    check_day_line,
    check_period_line,
)
from portail_tui.models import Booking, Family, Period, Slot
from portail_tui.services import audit
from portail_tui.services.booking.children import (
    ChildChoice,
    family_id_of,
    load_children,
    load_family,
)
from portail_tui.services.booking.facts import day_price, period_capacity, period_line_price
from portail_tui.services.booking.outcome import CartResult, LineOutcome
from portail_tui.services.booking.setup import (
    LIVE,
    B,
    RegieSetup,
    load_setup,
    period_rule,
)
from portail_tui.services.booking.waiting import free_and_promote, insert_ignore, take_place
from portail_tui.services.context import Context, ServiceError
from portail_tui.services.permissions import require


@dataclass(frozen=True)
class _Live:
    """A live booking of one of the cart's children, as read at the start of the run."""

    id: int
    family_id: int
    child_id: int
    activity_id: int
    day: date | None
    period_id: int | None
    status: str
    price_cents: int


@dataclass
class _Run:
    """One validation run: what it read, and what it decided so far (rebuilt from
    scratch when the transaction replays)."""

    session: Session
    ctx: Context
    actor_tag: str
    family: Family
    setup: RegieSetup
    children: dict[int, ChildChoice]
    lines: list[CartLine]
    now: datetime
    periods: dict[int, PeriodRule] = field(default_factory=dict)
    live: dict[LineKey, _Live] = field(default_factory=dict)
    claimed: set[LineKey] = field(default_factory=set)  # accepted in this cart (duplicates)
    live_day: dict[tuple[int, date], set[int]] = field(default_factory=dict)
    live_periods: dict[int, list[PeriodRule]] = field(default_factory=dict)
    outcomes: dict[int, LineOutcome] = field(default_factory=dict)
    promoted: int = 0

    @property
    def family_id(self) -> int:
        return family_id_of(self.family)

    def refuse(self, i: int, reason: str) -> None:
        self.outcomes[i] = LineOutcome(self.lines[i], "refused", reason)


@dataclass(frozen=True)
class _Accepted:
    """A new line that passed the checks, with its price and the quotient used (B1)."""

    index: int
    rule: ActivityRule
    price: int | None
    quotient: int | None


def validate_cart(ctx: Context, family_id: int, lines: Sequence[CartLine]) -> CartResult:
    """Record the whole cart in ONE transaction (R10). Every line is checked again with
    the clock of this moment (the family may have talked past a deadline): refused
    lines are reported with their reason, the others recorded. Cancellations run
    first, so a cart swapping APS MATIN for APS FORFAIT works, and each freed place
    goes to the first child waiting (B2), whose family is sent an e-mail."""
    actor = require(ctx, "booking.write")
    cart = list(lines)
    if not cart:
        return CartResult(())

    def work(session: Session) -> CartResult:
        now = ctx.clock.now()
        family = load_family(session, ctx, family_id)
        run = _Run(session, ctx, actor.tag, family, load_setup(session, family.regie_id),
                   load_children(session, family_id), cart, now)
        _load_live(run)
        for i, line, rule in _lines_of(run, CANCEL):
            _cancel(run, i, line, rule)
        checked = [_check(run, i, line, rule) for i, line, rule in _lines_of(run, BOOK)]
        accepted = [a for a in checked if a is not None]
        _insert(run, _reserve(run, accepted))
        return CartResult(tuple(run.outcomes[i] for i in range(len(cart))), run.promoted)

    for attempt in range(3):
        try:
            return ctx.db.write(work)
        except IntegrityError:
            # Another agent booked the same child at the same instant (PostgreSQL
            # reports the unique index): replay; the line is then refused as a duplicate.
            if attempt == 2:
                raise ServiceError("Réservation modifiée en même temps par un autre poste : réessayez.") from None
    raise AssertionError("unreachable")


def _load_live(run: _Run) -> None:
    """The periods the cart names, and the live bookings of its children that matter:
    those on the cart's days, and every period booking when the cart has periods."""
    session, lines = run.session, run.lines
    child_ids = sorted({line.child_id for line in lines if line.child_id in run.children})
    days = [line.day for line in lines if line.day is not None]
    period_ids = sorted({line.period_id for line in lines if line.period_id is not None})
    if period_ids:
        run.periods = {
            p.id: period_rule(p)
            for p in session.execute(select(Period).where(col(Period.id).in_(period_ids))).scalars()
        }
    if not child_ids:
        return
    conds = []
    if days:
        conds.append(and_(B.c.day >= min(days), B.c.day <= max(days)))
    if period_ids:
        conds.append(B.c.period_id.is_not(None))
    if conds:
        for b in session.connection().execute(
            select(B).where(B.c.child_id.in_(child_ids), B.c.status.in_(LIVE), or_(*conds))
        ):
            live = _Live(b.id, b.family_id, b.child_id, b.activity_id, b.day, b.period_id, b.status,
                         b.price_cents)
            run.live[(b.child_id, b.activity_id, b.day, b.period_id)] = live
            if b.day is not None:
                run.live_day.setdefault((b.child_id, b.day), set()).add(b.activity_id)
    if period_ids:
        rows = session.execute(
            select(col(Booking.child_id), Period)
            .join(Period, col(Period.id) == col(Booking.period_id))
            .where(col(Booking.child_id).in_(child_ids), col(Booking.status).in_(LIVE))
        ).all()
        for child_id, p in rows:
            run.live_periods.setdefault(child_id, []).append(period_rule(p))


def _lines_of(run: _Run, action: str) -> Iterator[tuple[int, CartLine, ActivityRule]]:
    """The cart's lines of one action, with their activity; a line naming a child of
    another family or an unknown activity is refused on the way."""
    for i, line in enumerate(run.lines):
        if line.action != action:
            continue
        if line.child_id not in run.children:
            run.refuse(i, "enfant non rattaché à cette famille")
            continue
        rule = run.setup.activities.get(line.activity_id)
        if rule is None:
            run.refuse(i, "activité inconnue")
            continue
        yield i, line, rule


# ------------------------------------------------------------------ 1. cancel

_U_CANCEL = (
    update(B)
    .where(B.c.id == bindparam("bid"), B.c.status == bindparam("previous"))
    .values(status="cancelled", cancelled_at=bindparam("at"), cancelled_by=bindparam("by"))
)


def _cancel_verdict(run: _Run, line: CartLine, rule: ActivityRule, b: _Live | None) -> Verdict:
    if b is None:
        return Verdict.no(Refusal.NOT_BOOKED, "aucune réservation à annuler")
    if b.family_id != run.family_id:
        return Verdict.no(Refusal.NOT_BOOKED, "réservation faite par l'autre famille")
    if line.day is not None:
        return check_cancel_day(rule, line.day, run.now, run.setup.calendar)
    period = run.periods.get(line.period_id) if line.period_id is not None else None
    if period is None:
        return Verdict.no(Refusal.NOT_BOOKED, "période inconnue")
    return check_cancel_period(period, run.now)


def _cancel(run: _Run, i: int, line: CartLine, rule: ActivityRule) -> None:
    b = run.live.get(line.key)
    verdict = _cancel_verdict(run, line, rule, b)
    if not verdict.ok or b is None:
        run.refuse(i, verdict.reason)
        return
    done = run.session.connection().execute(
        _U_CANCEL, {"bid": b.id, "previous": b.status, "at": run.now, "by": run.actor_tag}
    ).rowcount
    if done != 1:
        # Another agent cancelled or promoted it since we read it (PostgreSQL, READ
        # COMMITTED): run the whole cart again on what is there now.
        raise ReplayUnitOfWork()
    audit.record(run.session, at=run.now, actor=run.actor_tag, action="booking.cancel", entity="booking",
                 entity_id=b.id, family_id=run.family_id, child_id=b.child_id, activity=rule.code,
                 day=b.day, period_id=b.period_id, previous_status=b.status)
    run.outcomes[i] = LineOutcome(line, "cancelled", booking_id=b.id, price_cents=b.price_cents)
    del run.live[line.key]
    if b.day is not None:
        run.live_day.get((b.child_id, b.day), set()).discard(b.activity_id)
    else:
        run.live_periods[b.child_id] = [p for p in run.live_periods.get(b.child_id, []) if p.id != b.period_id]
    if b.status == "confirmed":
        period = run.periods.get(b.period_id) if b.period_id is not None else None
        if free_and_promote(run.session, run.actor_tag, run.setup, rule, b.day, b.period_id, period, run.now):
            run.promoted += 1


# ------------------------------------------------------------------- 2. check


def _check(run: _Run, i: int, line: CartLine, rule: ActivityRule) -> _Accepted | None:
    """Decide a new line again; an accepted one counts as booked for the lines after it
    (duplicates and exclusions inside the cart)."""
    booked = line.key in run.live or line.key in run.claimed
    if line.day is not None:
        price, quotient = day_price(run.setup, rule, run.family, line.day)
        taken = run.live_day.setdefault((line.child_id, line.day), set())
        others = [run.setup.activities[a] for a in taken if a in run.setup.activities]
        verdict = check_day_line(rule, line.day, run.now, run.setup.calendar, has_rate=price is not None,
                                 closure_reasons=run.setup.closure_reasons, booked=booked, others=others,
                                 child=run.children[line.child_id].facts)
        if verdict.ok:
            taken.add(rule.id)
    else:
        period = run.periods.get(line.period_id) if line.period_id is not None else None
        if period is None or period.activity_id != rule.id:
            run.refuse(i, already_booked().reason if booked else "période inconnue")
            return None
        price, quotient = period_line_price(run.setup, rule, run.family, period)
        had = run.live_periods.setdefault(line.child_id, [])
        verdict = check_period_line(rule, period, run.now, has_rate=price is not None, booked=booked,
                                    others=had, child=run.children[line.child_id].facts)
        if verdict.ok:
            had.append(period)
    if not verdict.ok:
        run.refuse(i, verdict.reason)
        return None
    run.claimed.add(line.key)
    return _Accepted(i, rule, price, quotient)


# ----------------------------------------------------------------- 3. reserve


def _slot_ids(run: _Run, accepted: list[_Accepted]) -> dict[tuple[int, date | None, int | None], int]:
    """Create the missing Slot rows of the accepted lines, then read every slot id."""
    day_rows: dict[tuple[int, date], dict[str, object]] = {}
    period_rows: dict[tuple[int, int], dict[str, object]] = {}
    for a in accepted:
        line = run.lines[a.index]
        if line.day is not None:
            day_rows[(a.rule.id, line.day)] = {"activity_id": a.rule.id, "day": line.day, "period_id": None,
                                               "capacity": a.rule.capacity, "taken": 0}
        else:
            p = _period_of(run, line)
            period_rows[(a.rule.id, p.id)] = {"activity_id": a.rule.id, "day": None, "period_id": p.id,
                                              "capacity": period_capacity(a.rule, p), "taken": 0}
    insert_ignore(run.session, list(day_rows.values()), ["activity_id", "day"])
    insert_ignore(run.session, list(period_rows.values()), ["activity_id", "period_id"])
    slot_ids: dict[tuple[int, date | None, int | None], int] = {}
    if day_rows:
        ds = [d for _, d in day_rows]
        for sid, act, d in run.session.execute(
            select(col(Slot.id), col(Slot.activity_id), col(Slot.day)).where(
                col(Slot.activity_id).in_(sorted({act for act, _ in day_rows})),
                col(Slot.day) >= min(ds), col(Slot.day) <= max(ds),
            )
        ).all():
            slot_ids[(act, d, None)] = sid
    if period_rows:
        for sid, act, pid in run.session.execute(
            select(col(Slot.id), col(Slot.activity_id), col(Slot.period_id)).where(
                col(Slot.period_id).in_([pid for _, pid in period_rows])
            )
        ).all():
            slot_ids[(act, None, pid)] = sid
    return slot_ids


def _period_of(run: _Run, line: CartLine) -> PeriodRule:
    """The period of an accepted period line (`_check` made sure it exists)."""
    assert line.period_id is not None
    return run.periods[line.period_id]


def _reserve(run: _Run, accepted: list[_Accepted]) -> list[tuple[_Accepted, str]]:
    """Take one place per accepted line (B2): confirmed, waiting list, or refused full."""
    if not accepted:
        return []
    slot_ids = _slot_ids(run, accepted)
    taken: list[tuple[_Accepted, str]] = []
    for a in accepted:
        line = run.lines[a.index]
        if take_place(run.session, slot_ids[(a.rule.id, line.day, line.period_id)]):
            taken.append((a, "confirmed"))
        elif a.rule.waiting_list:
            taken.append((a, "waiting"))
        else:
            run.refuse(a.index, "complet")
    return taken


# ------------------------------------------------------------------- 4. insert

_I_BOOKING = insert(B).returning(B.c.id, sort_by_parameter_order=True)


def _booking_row(run: _Run, a: _Accepted, status: str) -> dict[str, Any]:
    line = run.lines[a.index]
    return {
        "regie_id": run.setup.regie_id, "family_id": run.family_id, "child_id": line.child_id,
        "activity_id": a.rule.id, "day": line.day, "period_id": line.period_id, "status": status,
        # A waiting booking carries today's price as an estimate (R7 coût estimé);
        # it is computed again and frozen when the place is given (B1).
        "price_cents": a.price, "quotient_used": a.quotient, "created_at": run.now,
        "created_by": run.actor_tag, "confirmed_at": run.now if status == "confirmed" else None,
        "cancelled_at": None, "cancelled_by": None,
    }


def _audit_row(run: _Run, a: _Accepted, status: str, booking_id: int) -> dict[str, Any]:
    line = run.lines[a.index]
    return audit.row(
        at=run.now, actor=run.actor_tag, entity="booking", entity_id=booking_id,
        action="booking.create" if status == "confirmed" else "booking.waiting",
        family_id=run.family_id, child_id=line.child_id, activity=a.rule.code, day=line.day,
        period_id=line.period_id, price_cents=a.price, quotient=a.quotient,
    )


def _insert(run: _Run, taken: list[tuple[_Accepted, str]]) -> None:
    if not taken:
        return
    conn = run.session.connection()
    ids = conn.execute(_I_BOOKING, [_booking_row(run, a, status) for a, status in taken]).scalars().all()
    audit.record_many(run.session, [_audit_row(run, a, status, bid)
                                    for (a, status), bid in zip(taken, ids, strict=True)])
    for (a, status), booking_id in zip(taken, ids, strict=True):
        run.outcomes[a.index] = LineOutcome(run.lines[a.index], status, booking_id=booking_id, price_cents=a.price,
                                            reason="complet : liste d'attente" if status == "waiting" else "")
