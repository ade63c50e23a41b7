"""One clock for the whole program.

Every rule takes `today`/`now` as input; the only place that reads the real clock is
here, so demos and tests can pin the date (``PORTAIL_TODAY``) while the time of day
keeps running, or fix the instant completely.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


class Clock:
    """Real clock in Europe/Paris, optionally with a pinned calendar date."""

    def __init__(self, pinned_today: date | None = None) -> None:
        self.pinned_today = pinned_today

    def now(self) -> datetime:
        real = datetime.now(PARIS)
        if self.pinned_today is None:
            return real
        return datetime.combine(self.pinned_today, real.timetz()).replace(tzinfo=PARIS)

    def today(self) -> date:
        return self.now().date()


@dataclass
class FixedClock(Clock):
    """A clock that only moves when told to: tests and benchmarks."""

    instant: datetime = field(default_factory=lambda: datetime(2026, 11, 28, 10, 0, tzinfo=PARIS))

    def __post_init__(self) -> None:
        if self.instant.tzinfo is None:
            self.instant = self.instant.replace(tzinfo=PARIS)
        self.pinned_today = None

    def now(self) -> datetime:
        return self.instant

    def advance(self, delta: timedelta) -> None:
        self.instant = self.instant + delta

    def set(self, when: datetime) -> None:
        self.instant = when if when.tzinfo else when.replace(tzinfo=PARIS)


def paris(d: date, t: time = time(0, 0)) -> datetime:
    """An aware Paris datetime for a calendar day and a wall-clock time."""
    return datetime.combine(d, t).replace(tzinfo=PARIS)
