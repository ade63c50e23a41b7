"""Patterns (B3): « every Mon/Tue/Thu/Fri from date to date » becomes cart lines, each
day decided by `check_day_line` like a line ticked in the day dialog, every other day
listed with its reason."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from portail_tui.domain.booking_cart import BOOK, CANCEL, Cart, CartLine
from portail_tui.domain.booking_rules import ActivityRule, check_day_line, excludes
from portail_tui.domain.frdates import format_date_long
from portail_tui.models import Booking
from portail_tui.services.booking.children import load_child, load_family
from portail_tui.services.booking.facts import day_places, day_price, day_slots
from portail_tui.services.booking.setup import LIVE, RegieSetup, load_setup
from portail_tui.services.context import Context, ServiceError

MAX_PATTERN_DAYS = 366
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class SkippedDay:
    day: date
    activity_label: str
    reason: str

    @property
    def text(self) -> str:
        return f"{format_date_long(self.day)} — {self.activity_label} : {self.reason}"


@dataclass(frozen=True)
class PatternResult:
    lines: tuple[CartLine, ...]
    skipped: tuple[SkippedDay, ...]

    @property
    def summary(self) -> str:
        n, s = len(self.lines), len(self.skipped)
        text = f"{n} jour{'s' if n > 1 else ''}-activité ajouté{'s' if n > 1 else ''} au panier"
        if s:
            text += f", {s} non retenu{'s' if s > 1 else ''}"
        return text + "."


def default_pattern_range(ctx: Context) -> tuple[date, date]:
    """From today to the end of the current school period (B3's default)."""
    today = ctx.clock.today()
    cal = ctx.school_calendar
    return today, cal.current_school_period_end(today)


def _check_request(activity_ids: Sequence[int], weekdays: list[int], start: date, end: date) -> None:
    if not activity_ids:
        raise ServiceError("Choisissez au moins une activité.", field="activites")
    if not weekdays or any(d not in (1, 2, 3, 4, 5) for d in weekdays):
        raise ServiceError("Choisissez au moins un jour de la semaine (lundi à vendredi).", field="jours")
    if end < start:
        raise ServiceError("La date de fin est avant la date de début.", field="fin")
    if (end - start).days > MAX_PATTERN_DAYS:
        raise ServiceError("Une semaine type couvre au plus un an.", field="fin")


def _chosen_rules(setup: RegieSetup, activity_ids: Sequence[int]) -> list[ActivityRule]:
    """The activities of the pattern: day activities that do not exclude each other."""
    rules = sorted((setup.activity(a) for a in set(activity_ids)), key=lambda a: (a.sort_order, a.code))
    for rule in rules:
        if rule.by_period:
            raise ServiceError(f"{rule.label} se réserve par période (touche P).", field="activites")
    for i, a in enumerate(rules):
        for b in rules[i + 1:]:
            if excludes(a, b):
                raise ServiceError(f"{a.label} et {b.label} ne peuvent pas être choisies ensemble.",
                                   field="activites")
    return rules


def _live_days(session: Session, child_id: int, start: date, end: date) -> dict[date, dict[int, str]]:
    """The child's live bookings by day: activity id -> status."""
    live: dict[date, dict[int, str]] = {}
    for r in session.execute(
        select(col(Booking.activity_id), col(Booking.day), col(Booking.status)).where(
            col(Booking.child_id) == child_id, col(Booking.day) >= start, col(Booking.day) <= end,
            col(Booking.status).in_(LIVE),
        )
    ).all():
        live.setdefault(r.day, {})[r.activity_id] = r.status
    return live


def _cart_actions(cart: Cart | None, setup: RegieSetup, child_id: int, d: date) -> dict[int, str]:
    """What the cart already says for this child and day: activity id -> action."""
    in_cart: dict[int, str] = {}
    if cart is not None:
        for rule in setup.activities.values():
            line = cart.get((child_id, rule.id, d, None))
            if line is not None:
                in_cart[rule.id] = line.action
    return in_cart


def pattern_lines(
    ctx: Context,
    family_id: int,
    child_id: int,
    activity_ids: Sequence[int],
    weekdays: Iterable[int],
    start: date,
    end: date,
    cart: Cart | None = None,
) -> PatternResult:
    """B3: every chosen weekday (ISO 1–5) from `start` to `end`, for each chosen
    activity, becomes a cart line when it can be booked; every other day is listed
    with its reason (closed, holiday, too late, full, already booked…)."""
    wd = sorted(set(weekdays))
    _check_request(activity_ids, wd, start, end)

    def work(session: Session) -> PatternResult:
        family = load_family(session, ctx, family_id)
        child = load_child(session, family_id, child_id)
        setup = load_setup(session, family.regie_id)
        rules = _chosen_rules(setup, activity_ids)
        now = ctx.clock.now()
        slots = day_slots(session, [r.id for r in rules], start, end)
        live = _live_days(session, child_id, start, end)
        lines: list[CartLine] = []
        skipped: list[SkippedDay] = []
        d = start
        while d <= end:
            if d.isoweekday() not in wd:
                d += _ONE_DAY
                continue
            day_live = live.get(d, {})
            in_cart = _cart_actions(cart, setup, child_id, d)
            # What the child will have that day besides the pattern (R4).
            others = [
                setup.activities[a] for a in day_live
                if a in setup.activities and in_cart.get(a) != CANCEL
            ] + [setup.activities[a] for a, act in in_cart.items() if act == BOOK]
            for rule in rules:
                action = in_cart.get(rule.id) if rule.id not in day_live else None
                if action == BOOK:
                    continue
                if action == CANCEL:
                    skipped.append(SkippedDay(d, rule.label, "annulation en cours dans le panier"))
                    continue
                price, _quotient = day_price(setup, rule, family, d)
                verdict = check_day_line(rule, d, now, setup.calendar,
                                         places=day_places(rule, slots.get((rule.id, d))),
                                         has_rate=price is not None, closure_reasons=setup.closure_reasons,
                                         booked=rule.id in day_live, others=others,
                                         child=child.facts)
                if not verdict.ok:
                    skipped.append(SkippedDay(d, rule.label, verdict.reason))
                    continue
                lines.append(CartLine(
                    action=BOOK, child_id=child_id, activity_id=rule.id, day=d,
                    child_name=child.first_name, activity_label=rule.label, when=format_date_long(d),
                    price_cents=price, note="complet : liste d'attente" if verdict.waiting else "",
                ))
            d += _ONE_DAY
        return PatternResult(tuple(lines), tuple(skipped))

    return ctx.db.read(work)
