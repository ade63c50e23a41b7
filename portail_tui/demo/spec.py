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
from portail_tui.domain.school_calendar import school_year_of
from portail_tui.domain.text import normalize

REGIE_CODE = "SCOLAIRE"
REGIE_NAME = "REGIE DES SERVICES SCOLAIRES"
SHARED_RESIDENCE = "alternée"
# Quotient familial brackets (euros), inclusive; None = no upper bound.
QF_BRACKETS: tuple[tuple[int, int | None], ...] = ((0, 700), (701, 1200), (1201, None))
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


ACTIVITY_SPECS: tuple[ActivitySpec, ...] = (
    ActivitySpec("RS", "RESTAURANT SCOLAIRE", "R", time(11, 45), time(13, 30), "1245", "school",
                 "day", 120, None, False, (210, 340, 450)),
    ActivitySpec("APSM", "APS MATIN", "M", time(7, 30), time(8, 30), "1245", "school", "day", 40,
                 "APS", True, (120, 160, 200)),
    ActivitySpec("APSS", "APS SOIR", "S", time(16, 30), time(18, 30), "1245", "school", "day", 40,
                 "APS", True, (180, 240, 300)),
    ActivitySpec("APSF", "APS FORFAIT", "F", time(7, 30), time(18, 30), "1245", "school", "day", 30,
                 "APS", False, (260, 350, 440)),
    ActivitySpec("CLM", "CENTRE DE LOISIRS MERCREDI", "W", time(8, 0), time(18, 0), "3", "school",
                 "day", 40, None, False, (800, 1200, 1600)),
    ActivitySpec("CLV", "CENTRE DE LOISIRS VACANCES", "V", time(8, 0), time(18, 0), "12345",
                 "holidays", "period", 48, None, False, (900, 1300, 1700)),
)
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
        self.rng = random.Random(seed)
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
