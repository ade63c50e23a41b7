"""Booking rules (R1–R4, B1, B2): may this child be booked on this activity, this day
(or period), at this instant — and if not, why, in words an agent reads to a family.

Pure functions over plain values: the service layer turns database rows into the
frozen dataclasses below and hands in `now`, the school calendar and the slot counts,
so every rule is testable to the minute without a database.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from portail_tui.clock import paris
from portail_tui.domain.frdates import MONTHS, format_deadline
from portail_tui.domain.school_calendar import DayKind, SchoolCalendar

_ONE_DAY = timedelta(days=1)


# --------------------------------------------------------------------------- data


@dataclass(frozen=True, slots=True)
class ActivityRule:
    """What the rules need to know about an activity (a plain copy of the row)."""

    id: int
    code: str
    label: str
    letter: str
    start_time: time
    end_time: time
    weekdays: str = "1245"
    runs_on: str = "school"  # "school" | "holidays"
    booking_unit: str = "day"  # "day" | "period"
    deadline_days: int = 2
    deadline_time: time = time(0, 0)
    deadline_skip_weekends: bool = False
    deadline_skip_holidays: bool = False
    horizon_days: int = 60
    capacity: int | None = None
    waiting_list: bool = True
    exclusion_group: str | None = None
    combinable_in_group: bool = False
    sort_order: int = 0
    # Who may book (G2): names of the schools whose children may (None: every school),
    # an age range in whole years on the day booked, and the day it closes (G4).
    eligible_schools: frozenset[str] | None = None
    min_age: int | None = None
    max_age: int | None = None
    closed_from: date | None = None
    # Days the régisseur closed for this activity only (G6), with the reason families
    # were told; a régie-wide closure is the calendar's, not this.
    closed_days: Mapping[date, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def by_period(self) -> bool:
        return self.booking_unit == "period"

    @property
    def hours(self) -> str:
        """"11h45–13h30", the way the guide shows hours next to an activity."""
        return f"{_hm(self.start_time)}–{_hm(self.end_time)}"

    def runs_on_weekday(self, d: date) -> bool:
        return str(d.isoweekday()) in self.weekdays


@dataclass(frozen=True, slots=True)
class RateRule:
    """One quotient-familial bracket (B1): qf_min <= QF <= qf_max (None: no ceiling)."""

    qf_min: int
    qf_max: int | None
    price_cents: int
    valid_from: date
    valid_to: date | None = None
    no_quotient: bool = False  # the price of a family without a known quotient (G3)
    unit: str = "day"  # what the price buys: a day, or flat a holiday week / a whole period

    def applies(self, quotient: int, on: date) -> bool:
        if self.no_quotient:
            return False
        if on < self.valid_from or (self.valid_to is not None and on > self.valid_to):
            return False
        return self.qf_min <= quotient and (self.qf_max is None or quotient <= self.qf_max)


@dataclass(frozen=True, slots=True)
class PeriodRule:
    """A holiday session (or one week of it) booked as a whole (R3)."""

    id: int
    activity_id: int
    label: str
    first_day: date
    last_day: date
    booking_opens: date
    booking_closes: date
    capacity: int | None = None
    parent_id: int | None = None

    def covers(self, d: date) -> bool:
        return self.first_day <= d <= self.last_day

    def overlaps(self, other: PeriodRule) -> bool:
        return self.first_day <= other.last_day and other.first_day <= self.last_day

    @property
    def pricing_unit(self) -> str:
        """Which flat rate it takes: 'week' for a week of a whole holiday and for a period
        of its own lasting at most seven days (a summer week booked alone), 'period' for
        a longer one (the whole holiday): a one-week holiday and its week cost the same."""
        return "week" if self.parent_id is not None or (self.last_day - self.first_day).days < 7 else "period"


@dataclass(frozen=True, slots=True)
class ChildRule:
    """What the rules need to know about the child booked (G2): birth date and the
    name of its school, as the child's file gives them."""

    birth_date: date | None = None
    school: str | None = None


@dataclass(frozen=True, slots=True)
class Places:
    """The counter of one slot: `capacity` None means unlimited."""

    capacity: int | None
    taken: int = 0

    @property
    def left(self) -> int | None:
        return None if self.capacity is None else max(self.capacity - self.taken, 0)

    @property
    def full(self) -> bool:
        return self.capacity is not None and self.taken >= self.capacity


class Refusal(enum.StrEnum):
    """Why something cannot be booked (or cancelled); the screen words it via Verdict."""

    PERIOD_ONLY = "period_only"
    DAY_ONLY = "day_only"
    NO_ACTIVITY = "no_activity"
    CLOSED = "closed"
    PAST = "past"
    NOT_YET_OPEN = "not_yet_open"
    DEADLINE = "deadline"
    WINDOW = "window"
    NO_RATE = "no_rate"
    FULL = "full"
    EXCLUDED = "excluded"
    ALREADY = "already"
    NOT_BOOKED = "not_booked"
    NOT_ELIGIBLE = "not_eligible"
    ACTIVITY_CLOSED = "activity_closed"


@dataclass(frozen=True, slots=True)
class Verdict:
    """The answer of a rule: `ok`, or a `refusal` code with its French `reason`.
    `waiting` is an accepted booking that will go on the waiting list (B2)."""

    ok: bool
    refusal: Refusal | None = None
    reason: str = ""
    waiting: bool = False

    @staticmethod
    def yes(*, waiting: bool = False) -> Verdict:
        return Verdict(True, None, "complet : liste d'attente" if waiting else "", waiting)

    @staticmethod
    def no(refusal: Refusal, reason: str) -> Verdict:
        return Verdict(False, refusal, reason)


# ----------------------------------------------------------------------- wording


def _hm(t: time) -> str:
    return f"{t.hour}h{t.minute:02d}"


def _day_month(d: date) -> str:
    """"1er décembre", "27 janvier": short dates inside sentences."""
    return f"{'1er' if d.day == 1 else d.day} {MONTHS[d.month - 1]}"


def window_wording(opens: date, closes: date) -> str:
    """"inscription du 1er au 15 décembre" (months repeated only when they differ)."""
    if opens.year == closes.year and opens.month == closes.month:
        start = "1er" if opens.day == 1 else str(opens.day)
    else:
        start = _day_month(opens)
    return f"inscription du {start} au {_day_month(closes)}"


# ---------------------------------------------------------------------- deadlines


def deadline(rule: ActivityRule, day: date, cal: SchoolCalendar) -> datetime:
    """Last instant to book or cancel `day` (R2): N counted days before, at HH:MM.

    "48 h" is deadline_days=2 at the activity's start time; "Tuesday 10:00 for
    Thursday" is 2 days at 10:00; skipping weekends turns a Monday's 2 days into the
    Thursday before."""
    counted = cal.business_days_before(
        day,
        rule.deadline_days,
        skip_weekends=rule.deadline_skip_weekends,
        skip_public_holidays=rule.deadline_skip_holidays,
    )
    return paris(counted, rule.deadline_time)


def deadline_wording(when: datetime, *, cancel: bool = False) -> str:
    verb = "annulable" if cancel else "réservable"
    return f"délai dépassé : {verb} jusqu'au {format_deadline(when)}"


def opening_day(rule: ActivityRule, day: date) -> date:
    """First calendar day on which `day` can be booked (R1 horizon)."""
    return day - timedelta(days=rule.horizon_days)


def within_horizon(rule: ActivityRule, day: date, today: date) -> bool:
    """R1: at most `horizon_days` ahead (day 60 yes, day 61 not yet)."""
    return (day - today).days <= rule.horizon_days


# ------------------------------------------------------------------ days of operation


def _no_activity_reason(kind: DayKind, cal: SchoolCalendar, d: date) -> str:
    if kind is DayKind.WEEKEND:
        return "pas d'activité le week-end"
    if kind is DayKind.PUBLIC_HOLIDAY:
        name = cal.public_holiday_name(d)
        return f"pas d'activité ce jour (férié : {name})" if name else "pas d'activité ce jour (férié)"
    if kind is DayKind.SCHOOL_HOLIDAY:
        return "pas d'activité ce jour (vacances scolaires)"
    if kind is DayKind.NO_SCHOOL:
        return "pas d'activité ce jour (pas d'école)"
    return "pas d'activité ce jour"


def operation_refusal(
    rule: ActivityRule,
    day: date,
    cal: SchoolCalendar,
    closure_reasons: Mapping[date, str] | None = None,
    kind: DayKind | None = None,
) -> Verdict | None:
    """None when the activity runs on `day`; otherwise why not (closed, holiday…).
    `kind` may be given when the caller already classified the day (month grids)."""
    if kind is None:
        kind = cal.day_kind(day)
    if kind is DayKind.CLOSURE:
        why = (closure_reasons or {}).get(day)
        return Verdict.no(Refusal.CLOSED, f"fermé ce jour ({why})" if why else "fermé ce jour")
    if kind in (DayKind.WEEKEND, DayKind.PUBLIC_HOLIDAY):
        return Verdict.no(Refusal.NO_ACTIVITY, _no_activity_reason(kind, cal, day))
    if rule.runs_on == "holidays":
        runs = kind is DayKind.SCHOOL_HOLIDAY
    else:
        runs = kind in (DayKind.SCHOOL_DAY, DayKind.WEDNESDAY)
    if not runs:
        return Verdict.no(Refusal.NO_ACTIVITY, _no_activity_reason(kind, cal, day))
    if not rule.runs_on_weekday(day):
        return Verdict.no(Refusal.NO_ACTIVITY, "pas d'activité ce jour")
    closed = rule.closed_days.get(day)
    if closed is not None:
        return Verdict.no(Refusal.CLOSED, f"fermé ce jour ({closed})")
    return None


_NOT_A_PERIOD_DAY = (DayKind.WEEKEND, DayKind.PUBLIC_HOLIDAY, DayKind.CLOSURE)


def period_covers(
    rule: ActivityRule, period: PeriodRule, d: date, cal: SchoolCalendar, kind: DayKind | None = None
) -> bool:
    """Does a booking on `period` give the child `d`? The guide's reading, and the one
    rule for the price, the calendar letter and the pending mark: every day of the
    period the activity runs on, except weekends, public holidays and closed days.
    `kind` may be given when the caller already classified the day (month grids)."""
    if not period.covers(d) or not rule.runs_on_weekday(d):
        return False
    return (cal.day_kind(d) if kind is None else kind) not in _NOT_A_PERIOD_DAY


def period_days(rule: ActivityRule, period: PeriodRule, cal: SchoolCalendar) -> list[date]:
    """Days the activity actually opens inside a period (price = rate × these days)."""
    days = []
    d = period.first_day
    while d <= period.last_day:
        if period_covers(rule, period, d, cal):
            days.append(d)
        d += _ONE_DAY
    return days


# ------------------------------------------------------------------------- prices


def effective_quotient(
    quotient: int | None, valid_from: date | None, valid_to: date | None, on: date
) -> int | None:
    """The family's QF if it is known and valid on `on`; None otherwise (full price)."""
    if quotient is None:
        return None
    if valid_from is not None and on < valid_from:
        return None
    if valid_to is not None and on > valid_to:
        return None
    return quotient


def rates_in_force(rates: Sequence[RateRule], on: date) -> list[RateRule]:
    """The brackets valid on `on`: the one reading of « rate in force on a date » for
    prices (`price_for`) and for the calendar's « aucun tarif » state."""
    return [r for r in rates if r.valid_from <= on and (r.valid_to is None or on <= r.valid_to)]


def price_for(rates: Sequence[RateRule], quotient: int | None, on: date, unit: str = "day") -> int | None:
    """Price of one `unit` (a day by default) from the QF bracket (B1). Without a known
    quotient the family pays the régie's « sans quotient » rate when it set one (G3),
    else the top bracket (the one with the highest floor), as régies do when no
    attestation was supplied. Brackets of other units are not looked at.
    None: no rate of that unit in force that day."""
    valid = [r for r in rates_in_force(rates, on) if r.unit == unit]
    if not valid:
        return None
    brackets = [r for r in valid if not r.no_quotient]
    if quotient is None:
        unknown = [r for r in valid if r.no_quotient]
        if unknown:
            return unknown[0].price_cents
        if not brackets:
            return None
        return max(brackets, key=lambda r: (r.qf_min, r.price_cents)).price_cents
    if not brackets:
        return None
    for r in sorted(brackets, key=lambda r: r.qf_min):
        if r.applies(quotient, on):
            return r.price_cents
    # A QF above every ceiling (badly set brackets): the top bracket again.
    return max(brackets, key=lambda r: r.qf_min).price_cents


def period_price(rule: ActivityRule, period: PeriodRule, rates: Sequence[RateRule], quotient: int | None,
                 cal: SchoolCalendar) -> int | None:
    """A week or a whole holiday costs its flat rate ('week' / 'period': `pricing_unit`)
    in force on its first day; without one, the day rate for each day it opens (B1)."""
    days = period_days(rule, period, cal)
    if not days:
        return None
    flat = price_for(rates, quotient, period.first_day, period.pricing_unit)
    if flat is not None:
        return flat
    prices = [price_for(rates, quotient, d) for d in days]
    return None if None in prices else sum(p for p in prices if p is not None)


# ---------------------------------------------------------------------- exclusions


def excludes(a: ActivityRule, b: ActivityRule) -> bool:
    """R4: two activities of one exclusion group exclude each other on the same day,
    unless both are combinable (APS MATIN + APS SOIR yes, APS FORFAIT + either no)."""
    if a.id == b.id or a.exclusion_group is None or a.exclusion_group != b.exclusion_group:
        return False
    return not (a.combinable_in_group and b.combinable_in_group)


def blocked_by(candidate: ActivityRule, chosen: Iterable[ActivityRule]) -> ActivityRule | None:
    """The chosen activity that makes `candidate` unavailable, shown greyed out: a
    combinable activity (APS MATIN) while a non-combinable one of its group (APS
    FORFAIT) is chosen. Choosing the forfait instead removes the others (R4)."""
    if not candidate.combinable_in_group:
        return None
    for other in chosen:
        if excludes(candidate, other) and not other.combinable_in_group:
            return other
    return None


def conflicts(candidate: ActivityRule, chosen: Iterable[ActivityRule]) -> list[ActivityRule]:
    return [other for other in chosen if excludes(candidate, other)]


def exclusion_wording(other: ActivityRule) -> str:
    return f"incompatible avec {other.label}"


# -------------------------------------------------------------------- who may book


def age_on(birth: date, day: date) -> int:
    """Age in whole years on `day`."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def eligibility_refusal(rule: ActivityRule, day: date, child: ChildRule | None) -> Verdict | None:
    """G2, G4: the activity closed from a date, the child's school, its age on the day.
    None when nothing stops this child; an unknown child (None) is checked for the
    closure only."""
    if rule.closed_from is not None and day >= rule.closed_from:
        return Verdict.no(Refusal.ACTIVITY_CLOSED,
                          f"activité fermée à partir du {_day_month(rule.closed_from)}")
    if child is None:
        return None
    if rule.eligible_schools is not None and child.school not in rule.eligible_schools:
        if not child.school:
            return Verdict.no(Refusal.NOT_ELIGIBLE, "réservée à certaines écoles : école de l'enfant"
                                                    " non renseignée")
        return Verdict.no(Refusal.NOT_ELIGIBLE, f"réservée à d'autres écoles que « {child.school} »")
    if child.birth_date is not None and (rule.min_age is not None or rule.max_age is not None):
        age = age_on(child.birth_date, day)
        if rule.min_age is not None and age < rule.min_age:
            return Verdict.no(Refusal.NOT_ELIGIBLE, f"à partir de {rule.min_age} ans (l'enfant a {age} ans)")
        if rule.max_age is not None and age > rule.max_age:
            return Verdict.no(Refusal.NOT_ELIGIBLE, f"jusqu'à {rule.max_age} ans (l'enfant a {age} ans)")
    return None


# --------------------------------------------------------------------- bookability


def check_day(
    rule: ActivityRule,
    day: date,
    now: datetime,
    cal: SchoolCalendar,
    *,
    places: Places | None = None,
    has_rate: bool = True,
    closure_reasons: Mapping[date, str] | None = None,
    kind: DayKind | None = None,
) -> Verdict:
    """May `day` be booked on this activity at `now`? Checked in the order an agent
    would explain it: no activity that day, past, not yet open, too late, no price,
    full. Exclusions and duplicates depend on the child's other bookings: see
    `excludes` and the service."""
    if rule.by_period:
        return Verdict.no(Refusal.PERIOD_ONLY, "inscription par période uniquement")
    refused = operation_refusal(rule, day, cal, closure_reasons, kind)
    if refused is not None:
        return refused
    today = now.date()
    if day < today:
        return Verdict.no(Refusal.PAST, "jour passé")
    if not within_horizon(rule, day, today):
        return Verdict.no(Refusal.NOT_YET_OPEN, f"ouvre le {_day_month(opening_day(rule, day))}")
    limit = deadline(rule, day, cal)
    if now > limit:
        return Verdict.no(Refusal.DEADLINE, deadline_wording(limit))
    if not has_rate:
        return Verdict.no(Refusal.NO_RATE, "aucun tarif en vigueur ce jour")
    if places is not None and places.full:
        if not rule.waiting_list:
            return Verdict.no(Refusal.FULL, "complet")
        return Verdict.yes(waiting=True)
    return Verdict.yes()


def check_cancel_day(rule: ActivityRule, day: date, now: datetime, cal: SchoolCalendar) -> Verdict:
    """Cancelling obeys the booking deadline (R2)."""
    if day < now.date():
        return Verdict.no(Refusal.PAST, "jour passé")
    limit = deadline(rule, day, cal)
    if now > limit:
        return Verdict.no(Refusal.DEADLINE, deadline_wording(limit, cancel=True))
    return Verdict.yes()


def check_period(
    rule: ActivityRule,
    period: PeriodRule,
    now: datetime,
    *,
    places: Places | None = None,
    has_rate: bool = True,
) -> Verdict:
    """R3: a holiday period is booked as a whole, inside its booking window."""
    if not rule.by_period:
        return Verdict.no(Refusal.DAY_ONLY, "inscription à la journée uniquement")
    today = now.date()
    if period.last_day < today:
        return Verdict.no(Refusal.PAST, "période passée")
    if not period.booking_opens <= today <= period.booking_closes:
        refusal = Refusal.NOT_YET_OPEN if today < period.booking_opens else Refusal.WINDOW
        return Verdict.no(
            refusal, f"période : {window_wording(period.booking_opens, period.booking_closes)}"
        )
    if not has_rate:
        return Verdict.no(Refusal.NO_RATE, "aucun tarif en vigueur pour cette période")
    if places is not None and places.full:
        if not rule.waiting_list:
            return Verdict.no(Refusal.FULL, "complet")
        return Verdict.yes(waiting=True)
    return Verdict.yes()


def check_cancel_period(period: PeriodRule, now: datetime) -> Verdict:
    """A period can be cancelled while its booking window is open."""
    today = now.date()
    if today > period.booking_closes or period.first_day <= today:
        return Verdict.no(
            Refusal.DEADLINE,
            f"délai dépassé : annulable jusqu'au {_day_month(min(period.booking_closes, period.first_day - _ONE_DAY))}",
        )
    return Verdict.yes()


# ------------------------------------------------------------ one line of a booking


def already_booked() -> Verdict:
    return Verdict.no(Refusal.ALREADY, "déjà réservé")


def check_day_line(
    rule: ActivityRule,
    day: date,
    now: datetime,
    cal: SchoolCalendar,
    *,
    places: Places | None = None,
    has_rate: bool = True,
    closure_reasons: Mapping[date, str] | None = None,
    kind: DayKind | None = None,
    booked: bool = False,
    others: Iterable[ActivityRule] = (),
    child: ChildRule | None = None,
) -> Verdict:
    """« Can this child have this activity on this day now? » — the one decision the
    day dialog, the pattern (B3) and validation (R10) share. The service gathers the
    facts: whether the child already has it (`booked`), the activities the child will
    have that day besides it (`others`, for R4), the slot's places and whether a rate
    is in force, and who the child is (`child`, G2). Already booked first, then the
    day's own rules, then who may book, then exclusions."""
    if booked:
        return already_booked()
    verdict = check_day(rule, day, now, cal, places=places, has_rate=has_rate,
                        closure_reasons=closure_reasons, kind=kind)
    if not verdict.ok:
        return verdict
    refused = eligibility_refusal(rule, day, child)
    if refused is not None:
        return refused
    blocker = next((o for o in others if excludes(rule, o)), None)
    if blocker is not None:
        return Verdict.no(Refusal.EXCLUDED, exclusion_wording(blocker))
    return verdict


def overlapping(rule: ActivityRule, period: PeriodRule, others: Iterable[PeriodRule]) -> PeriodRule | None:
    """The first of `others` (periods the child has) that already covers part of
    `period` on the same activity: a child is booked once per holiday day (R3)."""
    return next((p for p in others if p.activity_id == rule.id and p.overlaps(period)), None)


def check_period_line(
    rule: ActivityRule,
    period: PeriodRule,
    now: datetime,
    *,
    places: Places | None = None,
    has_rate: bool = True,
    booked: bool = False,
    others: Iterable[PeriodRule] = (),
    child: ChildRule | None = None,
) -> Verdict:
    """The same question for a holiday period (R3): `others` are the periods the child
    is (or will be) booked on; an overlapping one of the same activity refuses it. Who
    may book (G2) is judged on the period's first day; a closure on any of its days."""
    if booked:
        return already_booked()
    verdict = check_period(rule, period, now, places=places, has_rate=has_rate)
    if not verdict.ok:
        return verdict
    closed = eligibility_refusal(rule, period.last_day, None)
    refused = closed or eligibility_refusal(rule, period.first_day, child)
    if refused is not None:
        return refused
    overlap = overlapping(rule, period, others)
    if overlap is not None:
        return Verdict.no(Refusal.ALREADY, f"déjà inscrit : {overlap.label}")
    return verdict
