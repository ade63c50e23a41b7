"""The set-up file as typed values (G1): what a régisseur decides once a year, in the
units the database keeps (cents, ISO weekday digits, times), so that the checks, the
plan and the row builders never read TOML again.

Identities: a school and an activity by their code, a class by its name in its school,
a rate by (activity, unit, start date, bracket floor or « sans quotient »), a period by
(activity, label). Two set-ups are compared by these keys (plan.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time

WEEKDAY_WORDS = ("lun", "mar", "mer", "jeu", "ven", "sam", "dim")


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the file, where the person will look for it."""

    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = f"ligne {self.line}, " if self.line is not None else ""
        return f"{where}clé {self.key} : {self.message}"


@dataclass
class RegieSpec:
    code: str
    name: str
    address: str | None = None
    regisseur_name: str | None = None
    email: str | None = None
    payment_modes: tuple[str, ...] = ()
    cash_limit_cents: int = 30000
    payfip_numcli: str | None = None
    school_zone: str = "A"
    school_year_start: date | None = None
    attendance_deadline_days: int = 7
    justification_delay_days: int = 7
    bill_first_sick_day: bool = False


@dataclass
class SchoolSpec:
    code: str
    name: str
    kitchen_email: str | None = None
    classes: tuple[str, ...] = ()
    closed_from: date | None = None


@dataclass
class RateSpec:
    valid_from: date
    price_cents: int
    qf_min: int = 0
    qf_max: int | None = None
    no_quotient: bool = False
    key: str = ""  # where it sits in the file, for problems
    unit: str = "day"  # day | week | period (Rate.unit)

    def identity(self) -> tuple[str, date, bool, int]:
        return (self.unit, self.valid_from, self.no_quotient, 0 if self.no_quotient else self.qf_min)


@dataclass
class ActivitySpec:
    code: str
    label: str
    letter: str
    start_time: time
    end_time: time
    weekdays: str = "1245"
    booking_unit: str = "day"  # day | period
    runs_on: str = "school"  # school | holidays
    deadline_days: int = 2
    deadline_time: time = time(0, 0)
    deadline_skip_weekends: bool = False
    deadline_skip_holidays: bool = False
    horizon_days: int = 60
    capacity: int | None = None
    waiting_list: bool = True
    exclusion_group: str | None = None
    combinable_in_group: bool = False
    eligible_schools: tuple[str, ...] | None = None
    min_age: int | None = None
    max_age: int | None = None
    surcharge_cents: int = 0
    serves_meal: bool = False
    caf_declared: bool = False
    closed_from: date | None = None
    rates: list[RateSpec] = field(default_factory=list)


@dataclass
class PeriodSpec:
    activity: str
    label: str
    first_day: date
    last_day: date
    booking_opens: date
    booking_closes: date
    capacity: int | None = None
    within: str | None = None  # label of the whole holiday this week belongs to
    key: str = ""


@dataclass
class SetupFile:
    regie: RegieSpec
    schools: list[SchoolSpec] = field(default_factory=list)
    activities: list[ActivitySpec] = field(default_factory=list)
    periods: list[PeriodSpec] = field(default_factory=list)


# What a rate's price buys, as the file writes it (`unite`), and in the plan's words.
RATE_UNIT_WORDS = {"day": "jour", "week": "semaine", "period": "periode"}
RATE_UNIT_NAMES = {"day": "", "week": "à la semaine", "period": "à la période"}


def weekdays_text(digits: str) -> str:
    """"1245" → "lun mar jeu ven", the way the file writes weekdays."""
    return " ".join(WEEKDAY_WORDS[int(d) - 1] for d in sorted(set(digits)))


def hm(t: time) -> str:
    return f"{t.hour:02d}:{t.minute:02d}"


def deadline_text(days: int, at: time) -> str:
    unit = "jour" if days <= 1 else "jours"
    return f"{days} {unit} avant à {hm(at)}"


def cents_text(cents: int) -> str:
    """1250 → "12,50": amounts are written as French strings, never as floats."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100},{cents % 100:02d}"
