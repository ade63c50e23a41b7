"""The day dialog and the period dialog (R3, R10): what can be booked, at what price,
with how many places left, and the verdict of `check_day_line` / `check_period_line`
for each line — the same decisions validation makes again later."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, select

from portail_tui.domain.booking_cart import DayOption, DayOptions, PeriodOption
from portail_tui.domain.booking_rules import (
    PeriodRule,
    Places,
    check_cancel_day,
    check_cancel_period,
    check_day_line,
    check_period_line,
    deadline,
    operation_refusal,
    overlapping,
    period_days,
    window_wording,
)
from portail_tui.domain.frdates import format_date_long
from portail_tui.domain.school_calendar import DayKind
from portail_tui.models import Booking, Period
from portail_tui.services.booking.children import load_child, load_family
from portail_tui.services.booking.facts import (
    day_places,
    day_price,
    day_slots,
    period_capacity,
    period_line_price,
    period_slots,
    rank_of,
)
from portail_tui.services.booking.setup import (
    LIVE,
    RegieSetup,
    load_setup,
    period_rule,
    when_period,
)
from portail_tui.services.context import Context


def _day_note(setup: RegieSetup, day: date) -> str:
    kind = setup.calendar.day_kind(day)
    if kind is DayKind.SCHOOL_HOLIDAY and any(a.by_period for a in setup.activities.values()):
        return "Vacances scolaires : le centre de loisirs se réserve par période (touche P)."
    if kind is DayKind.CLOSURE:
        return f"Fermé ce jour ({setup.closure_reasons.get(day, 'fermeture')})."
    if kind is DayKind.PUBLIC_HOLIDAY:
        return f"Jour férié ({setup.calendar.public_holiday_name(day) or ''})."
    if kind is DayKind.WEEKEND:
        return "Week-end : aucune activité."
    if kind is DayKind.SCHOOL_HOLIDAY:
        return "Vacances scolaires."
    return _closed_note(setup, day)


def _closed_note(setup: RegieSetup, day: date) -> str:
    """Activities the régisseur closed that day alone (G6) are left out of the day's
    list: say which and why."""
    closed = [f"{a.label} ({a.closed_days[day]})" for a in setup.ordered() if day in a.closed_days]
    return f"Fermé ce jour : {', '.join(closed)}." if closed else ""


def day_options(ctx: Context, family_id: int, child_id: int, day: date) -> DayOptions:
    """The day dialog: every activity running that day with hours, this family's
    price, places left, deadline, and whether the child is booked (R10). Exclusions
    (R4) are applied live by the cart as the agent ticks."""

    def work(session: Session) -> DayOptions:
        family = load_family(session, ctx, family_id)
        child = load_child(session, family_id, child_id)
        setup = load_setup(session, family.regie_id)
        now = ctx.clock.now()
        running = [
            a for a in setup.ordered()
            if not a.by_period and operation_refusal(a, day, setup.calendar, setup.closure_reasons) is None
        ]
        slots = day_slots(session, [a.id for a in running], day, day)
        bookings = {
            b.activity_id: b
            for b in session.exec(
                select(Booking).where(
                    col(Booking.child_id) == child_id, col(Booking.day) == day, col(Booking.status).in_(LIVE)
                )
            )
        }
        options = []
        for rule in running:
            places = day_places(rule, slots.get((rule.id, day)))
            price, _quotient = day_price(setup, rule, family, day)
            b = bookings.get(rule.id)
            options.append(
                DayOption(
                    rule=rule,
                    price_cents=b.price_cents if b is not None and b.status == "confirmed" else price,
                    places=places,
                    deadline=deadline(rule, day, setup.calendar),
                    book=check_day_line(rule, day, now, setup.calendar, places=places,
                                        has_rate=price is not None, closure_reasons=setup.closure_reasons,
                                        child=child.facts),
                    cancel=check_cancel_day(rule, day, now, setup.calendar),
                    booking_id=b.id if b else None,
                    booked_status=b.status if b else None,
                    waiting_rank=rank_of(session, b),
                    other_family=b is not None and b.family_id != family_id,
                )
            )
        return DayOptions(
            family_id=family_id,
            child_id=child_id,
            child_name=child.first_name,
            day=day,
            when=format_date_long(day),
            options=tuple(options),
            note=_day_note(setup, day) if not running else _closed_note(setup, day),
            by_period=not running and setup.calendar.day_kind(day) is DayKind.SCHOOL_HOLIDAY
            and any(a.by_period and a.runs_on_weekday(day) for a in setup.activities.values()),
            most_in_a_day=setup.most_in_a_day(),
        )

    return ctx.db.read(work)


def _sorted_periods(periods: list[PeriodRule]) -> list[PeriodRule]:
    """Whole holidays first, each followed by its weeks."""
    order = {p.id: (p.first_day, p.id) for p in periods if p.parent_id is None}
    return sorted(periods, key=lambda p: (order.get(p.parent_id or p.id, (p.first_day, p.id)),
                                          p.parent_id is not None, p.first_day))


def period_options(ctx: Context, family_id: int, child_id: int) -> list[PeriodOption]:
    """Holiday periods (and their weeks) not yet over, for the period dialog (R3)."""

    def work(session: Session) -> list[PeriodOption]:
        family = load_family(session, ctx, family_id)
        child = load_child(session, family_id, child_id)
        setup = load_setup(session, family.regie_id)
        now = ctx.clock.now()
        ids = [a.id for a in setup.ordered() if a.by_period]
        if not ids:
            return []
        periods = _sorted_periods([
            period_rule(p)
            for p in session.exec(
                select(Period).where(col(Period.activity_id).in_(ids), col(Period.last_day) >= now.date())
            )
        ])
        if not periods:
            return []
        pplaces = period_slots(session, [p.id for p in periods])
        live = {
            b.period_id: b
            for b in session.exec(
                select(Booking).where(
                    col(Booking.child_id) == child_id,
                    col(Booking.period_id).in_([p.id for p in periods]),
                    col(Booking.status).in_(LIVE),
                )
            )
        }
        by_id = {p.id: p for p in periods}
        result = []
        for p in periods:
            rule = setup.activities[p.activity_id]
            places = pplaces.get(p.id, _free(period_capacity(rule, p)))
            price, _quotient = period_line_price(setup, rule, family, p)
            b = live.get(p.id)
            others = [by_id[i] for i in live if i is not None and i != p.id] if b is None else []
            covered = overlapping(rule, p, others)
            result.append(
                PeriodOption(
                    rule=rule,
                    period=p,
                    when=when_period(p),
                    price_cents=b.price_cents if b is not None and b.status == "confirmed" else price,
                    places=places,
                    book=check_period_line(rule, p, now, places=places, has_rate=price is not None,
                                           child=child.facts),
                    cancel=check_cancel_period(p, now),
                    window=window_wording(p.booking_opens, p.booking_closes),
                    booking_id=b.id if b else None,
                    booked_status=b.status if b else None,
                    waiting_rank=rank_of(session, b),
                    covered_by=covered.label if covered is not None else None,
                    days=tuple(period_days(rule, p, setup.calendar)),
                )
            )
        return result

    return ctx.db.read(work)


def _free(capacity: int | None) -> Places:
    return Places(capacity, 0)
