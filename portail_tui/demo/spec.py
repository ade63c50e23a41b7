"""What the demo town is made of: its régie, accounts, activities, prices, and the one
random source every part of the generator draws from.

Every module of the generator shares one ``TownContext``: all draws come from its
``random.Random(seed)`` in a fixed order, which is what makes two runs with the same
arguments give the same town.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time

from portail_tui.clock import PARIS
from portail_tui.demo import names as N
from portail_tui.demo.schools import town_groups
from portail_tui.domain.school_calendar import school_year_of
from portail_tui.domain.text import normalize
from portail_tui.services.regie_setup import SetupFile, example_text, parse
from portail_tui.services.regie_setup.model import ActivitySpec as ExampleActivity

SHARED_RESIDENCE = "alternée"
# Capacities are those of a 150-family town; a bigger town gets proportionally more
# places (more schools, more staff), otherwise a 20,000-family town would be one
# endless waiting list.
CAPACITY_BASE_FAMILIES = 150


@dataclass(frozen=True)
class DemoAccount:
    """A demo login, as the README's table lists it."""

    login: str
    password: str
    role: str
    full_name: str
    can_see_health: bool  # health forms are opt-in (B6): the front-desk agent has no access


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("agent", "agent1234", "agent", "Sylvie Marchand", can_see_health=False),
    DemoAccount("regisseur", "regie1234", "regisseur", "Jean-Marc Delage", can_see_health=True),
    DemoAccount("admin", "admin1234", "admin", "Administrateur", can_see_health=True),
)


@dataclass(frozen=True)
class DemoReport:
    families: int
    children: int
    bookings: int
    payments: int
    seconds: float


class DemoError(RuntimeError):
    """The demo town cannot be created; the message is French and shown as is."""


@dataclass(frozen=True)
class ActivitySpec:
    code: str
    label: str
    letter: str
    start: time
    end: time
    weekdays: str
    runs_on: str
    unit: str
    capacity: int
    group: str | None
    combinable: bool
    prices: tuple[int, int, int]  # cents, per QF bracket (per day for a period activity)
    # Flat prices of a period activity by unit ('week', 'period'), per QF bracket.
    flat: tuple[tuple[str, tuple[int, int, int]], ...] = ()

    def period_price(self, unit: str, bracket: int, open_days: int) -> int:
        """What the booking service charges for a period (domain.booking_rules.period_price):
        the flat price of its unit when the file sets one, else the day price × open days."""
        flat = dict(self.flat)
        return flat[unit][bracket] if unit in flat else self.prices[bracket] * open_days


def _example() -> SetupFile:
    """The town's set-up: the example file shipped with the application (G1), read by
    the same parser a real town's file goes through."""
    setup, problems = parse(example_text())
    if setup is None or problems:
        raise DemoError("Fichier d'exemple invalide : " + "; ".join(map(str, problems)))
    return setup


EXAMPLE = _example()
REGIE_CODE = EXAMPLE.regie.code
REGIE_NAME = EXAMPLE.regie.name
# Quotient familial brackets (euros), inclusive; None = no upper bound: those of the
# file's first activity, which every activity of the example shares.
QF_BRACKETS: tuple[tuple[int, int | None], ...] = tuple(
    (r.qf_min, r.qf_max) for r in sorted(EXAMPLE.activities[0].rates, key=lambda r: r.qf_min)
    if not r.no_quotient and r.unit == "day"
)


def _activity_spec(a: ExampleActivity) -> ActivitySpec:
    def of(unit: str) -> tuple[int, int, int] | None:
        p = [r.price_cents for r in sorted(a.rates, key=lambda r: r.qf_min) if not r.no_quotient and r.unit == unit]
        return (p[0], p[1], p[2]) if p else None

    prices = of("day")
    if prices is None:
        raise DemoError(f"Fichier d'exemple : {a.code} n'a pas de tarif à la journée.")
    flat = tuple((unit, p) for unit in ("week", "period") if (p := of(unit)) is not None)
    return ActivitySpec(a.code, a.label, a.letter, a.start_time, a.end_time, a.weekdays, a.runs_on,
                        a.booking_unit, a.capacity or 0, a.exclusion_group, a.combinable_in_group,
                        prices, flat)


ACTIVITY_SPECS: tuple[ActivitySpec, ...] = tuple(_activity_spec(a) for a in EXAMPLE.activities)
# Activity indexes in ACTIVITY_SPECS; the activity's id is its index + 1.
RS, APSM, APSS, APSF, CLM, CLV = range(6)
DAY_ACTIVITIES = (RS, APSM, APSS, APSF, CLM)


def bracket_index(quotient: int | None) -> int:
    """Which QF bracket a family's quotient falls in; no quotient means the full price."""
    if quotient is None:
        return len(QF_BRACKETS) - 1
    for i, (lo, hi) in enumerate(QF_BRACKETS):
        if quotient >= lo and (hi is None or quotient <= hi):
            return i
    return len(QF_BRACKETS) - 1


def capacity_scale(families: int) -> int:
    return max(1, -(-families // CAPACITY_BASE_FAMILIES))


class TownContext:
    """The town's size, its dates and its single random source, shared by every part
    of the generator so that the draws keep one fixed order."""

    def __init__(self, families: int, seed: int, today: date) -> None:
        self.n_families = families
        self.seed = seed
        self.rng = random.Random(seed)
        email = EXAMPLE.regie.email or ""
        self.school_groups = town_groups(families, email.partition("@")[2] or "example.org")
        self.today = today
        self.sy = school_year_of(today)
        self.sy_start = date(self.sy, 9, 1)
        self.caps = [spec.capacity * capacity_scale(families) for spec in ACTIVITY_SPECS]
        self.now = datetime.combine(today, time(8, 0), tzinfo=PARIS)
        self.regie_id = 1

    def at(self, d: date, minutes: int) -> datetime:
        return datetime(d.year, d.month, d.day, minutes // 60, minutes % 60, tzinfo=PARIS)

    def phone(self, prefix: str) -> str:
        r = self.rng.randrange(10**8)
        digits = f"{prefix}{r:08d}"[:10]
        return " ".join(digits[i:i + 2] for i in range(0, 10, 2))

    def email(self, first: str, last: str) -> str:
        local = f"{normalize(first)}.{normalize(last)}".replace(" ", "-")
        if self.rng.random() < 0.35:
            local += str(self.rng.randint(2, 99))
        return f"{local}@{self.rng.choice(N.EMAIL_DOMAINS)}"
