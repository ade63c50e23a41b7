"""French school calendar rules: public holidays, school holidays, closures, day kinds.

Pure domain code: no database, no clock, no network. School holidays come from the
offline CSV shipped with ``vacances_scolaires_france``; public holidays from
``holidays``. Per-régie closures are handed in as data by the service layer.

Lookups are called thousands of times per calendar render, so every source is
turned once into plain dicts (per zone for school holidays, per year for public
holidays) held in module-level LRU caches; after the first load each lookup is a
dict/set membership test.

Data range: the CSV covers whole school years from 1990-1991 to 2027-2028 (see
``SCHOOL_DATA_FIRST_DAY`` / ``SCHOOL_DATA_LAST_DAY``). Outside that range school
holidays are *unknown*: they are reported as "not a school holiday" rather than
raising, so the calendar keeps rendering; ``has_school_holiday_data`` lets a
caller warn the agent that the data needs updating.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache, lru_cache

import holidays
from vacances_scolaires_france import SchoolHolidayDates

SUPPORTED_ZONES: tuple[str, ...] = ("A", "B", "C")

TOUSSAINT = "Vacances de la Toussaint"
NOEL = "Vacances de Noël"
HIVER = "Vacances d'hiver"
PRINTEMPS = "Vacances de printemps"
ETE = "Vacances d'été"
PONT_ASCENSION = "Pont de l'Ascension"

# The five holidays that delimit the school "periods" (booking patterns run to the
# end of one, the holiday leisure centre is booked per one). Bridges such as the
# Ascension one are short interruptions, not period boundaries.
MAJOR_HOLIDAY_NAMES: frozenset[str] = frozenset({TOUSSAINT, NOEL, HIVER, PRINTEMPS, ETE})

_ONE_DAY = timedelta(days=1)


class DayKind(enum.Enum):
    """What a calendar day is, for the régie; members are listed by priority."""

    WEEKEND = "weekend"
    PUBLIC_HOLIDAY = "public_holiday"
    CLOSURE = "closure"
    SCHOOL_HOLIDAY = "school_holiday"
    # A day listed in ``SchoolCalendar.no_school_days`` (local bridge, strike day
    # decided in advance...): not a holiday in the national data, yet no school.
    NO_SCHOOL = "no_school"
    WEDNESDAY = "wednesday"
    SCHOOL_DAY = "school_day"

    @property
    def label(self) -> str:
        return day_kind_label(self)


_DAY_KIND_LABELS: dict[DayKind, str] = {
    DayKind.WEEKEND: "week-end",
    DayKind.PUBLIC_HOLIDAY: "jour férié",
    DayKind.CLOSURE: "fermeture",
    DayKind.SCHOOL_HOLIDAY: "vacances scolaires",
    DayKind.NO_SCHOOL: "pas d'école",
    DayKind.WEDNESDAY: "mercredi",
    DayKind.SCHOOL_DAY: "jour d'école",
}


def day_kind_label(kind: DayKind) -> str:
    """French wording shown to the agent for a day kind."""
    return _DAY_KIND_LABELS[kind]


@dataclass(frozen=True, slots=True)
class HolidayPeriod:
    """A school-holiday span, trimmed to the weekdays actually off.

    ``first_day``/``last_day`` are Monday–Friday dates (the surrounding weekends are
    dropped) because that is what the leisure centre opens and families book.
    """

    name: str
    first_day: date
    last_day: date

    def weeks(self) -> list[tuple[date, date]]:
        return holiday_weeks(self)

    def __contains__(self, d: object) -> bool:
        return isinstance(d, date) and self.first_day <= d <= self.last_day


def holiday_weeks(period: HolidayPeriod) -> list[tuple[date, date]]:
    """Monday–Friday weeks inside a period; the first and last may be partial.

    The holiday leisure centre can be booked a week at a time (R3), so each tuple is
    a bookable unit (first weekday, last weekday) clipped to the period.
    """
    weeks: list[tuple[date, date]] = []
    monday = period.first_day - timedelta(days=period.first_day.weekday())
    while monday <= period.last_day:
        start = max(monday, period.first_day)
        end = min(monday + timedelta(days=4), period.last_day)
        if start <= end:
            weeks.append((start, end))
        monday += timedelta(days=7)
    return weeks


def school_year_of(d: date) -> int:
    """Year of the September that opens the school year containing ``d``."""
    return d.year if d.month >= 9 else d.year - 1


def school_year_bounds(year: int) -> tuple[date, date]:
    """A school year runs from 1 September to 31 August (summer included)."""
    return date(year, 9, 1), date(year + 1, 8, 31)


# --------------------------------------------------------------------------- data


@lru_cache(maxsize=1)
def _school_holiday_source() -> SchoolHolidayDates:
    # Parsing the CSV takes a noticeable moment: do it once per process.
    return SchoolHolidayDates()


@cache
def _zone_holiday_names(zone: str) -> Mapping[date, str]:
    source = _school_holiday_source()
    names: dict[date, str] = {}
    for year in range(source.min_year, source.max_year + 1):
        for day, row in source.holidays_for_year_and_zone(year, zone).items():
            names[day] = row["nom_vacances"]
    return names


@lru_cache(maxsize=1)
def _school_data_range() -> tuple[date, date]:
    """Whole school years covered by the CSV.

    The CSV has rows up to 31 December of its last year but stops listing holidays
    after the last summer it knows, so a later date would silently look like a
    school day; the covered range is therefore cut at whole school years.
    """
    known = _school_holiday_source().data.keys()
    first = min(known)
    last = max(known)
    first_year = school_year_of(first)
    # Start at the first school year whose autumn is present.
    start = school_year_bounds(first_year)[0]
    if first > date(first_year, 11, 30):
        start = school_year_bounds(first_year + 1)[0]
    end = school_year_bounds(school_year_of(last))[1]
    if last < date(last.year, 8, 1):
        end = school_year_bounds(school_year_of(last) - 1)[1]
    return start, end


@cache
def _public_holidays(year: int, subdivision: str | None) -> Mapping[date, str]:
    return dict(holidays.country_holidays("FR", years=year, subdiv=subdivision, language="fr"))


@cache
def _zone_periods(
    zone: str, school_year_start: int, include_bridges: bool
) -> tuple[HolidayPeriod, ...]:
    names = _zone_holiday_names(zone)
    first, last = school_year_bounds(school_year_start)
    periods: list[HolidayPeriod] = []
    run_name: str | None = None
    run_days: list[date] = []

    def flush() -> None:
        weekdays = [d for d in run_days if d.weekday() < 5]
        wanted = include_bridges or run_name in MAJOR_HOLIDAY_NAMES
        if run_name is not None and weekdays and wanted:
            periods.append(HolidayPeriod(run_name, weekdays[0], weekdays[-1]))

    day = first
    while day <= last:
        name = names.get(day)
        if name != run_name:
            flush()
            run_name, run_days = name, []
        if name is not None:
            run_days.append(day)
        day += _ONE_DAY
    flush()
    return tuple(periods)


def _last_weekday_of_school_year(year: int) -> date:
    day = school_year_bounds(year)[1]
    while day.weekday() >= 5:
        day -= _ONE_DAY
    return day


# ----------------------------------------------------------------------- calendar


@dataclass(frozen=True, slots=True)
class SchoolCalendar:
    """The school calendar of one régie: zone, local closures, local no-school days.

    Immutable and hashable so it can be shared between screens and used as a cache
    key. ``closures`` are days the régie's services are shut (from the database);
    ``no_school_days`` are days without school that the national data ignores.
    ``subdivision`` is passed to ``holidays`` (e.g. "57" for Alsace-Moselle, which
    adds Vendredi saint and Saint-Étienne).
    """

    zone: str = "A"
    closures: frozenset[date] = field(default_factory=frozenset)
    no_school_days: frozenset[date] = field(default_factory=frozenset)
    subdivision: str | None = None

    def __post_init__(self) -> None:
        if self.zone not in SUPPORTED_ZONES:
            raise ValueError(f"Zone scolaire inconnue : {self.zone!r} (attendu A, B ou C)")
        # Accept any iterable from callers but keep the frozen, hashable type.
        object.__setattr__(self, "closures", frozenset(self.closures))
        object.__setattr__(self, "no_school_days", frozenset(self.no_school_days))

    # -- public holidays

    def is_public_holiday(self, d: date) -> bool:
        return d in _public_holidays(d.year, self.subdivision)

    def public_holiday_name(self, d: date) -> str | None:
        return _public_holidays(d.year, self.subdivision).get(d)

    # -- school holidays

    def has_school_holiday_data(self, d: date) -> bool:
        """False when ``d`` is outside the CSV range, where holidays are unknown."""
        start, end = _school_data_range()
        return start <= d <= end

    def school_holiday_name(self, d: date) -> str | None:
        """Holiday name for the zone, or None (also None when the data has no answer)."""
        if not self.has_school_holiday_data(d):
            return None
        return _zone_holiday_names(self.zone).get(d)

    def is_school_holiday(self, d: date) -> bool:
        return self.school_holiday_name(d) is not None

    # -- other day facts

    @staticmethod
    def is_weekend(d: date) -> bool:
        return d.weekday() >= 5

    @staticmethod
    def is_wednesday(d: date) -> bool:
        """Most French schools have no class on Wednesday: the leisure centre runs."""
        return d.weekday() == 2

    def is_closed(self, d: date) -> bool:
        return d in self.closures

    def is_school_day(self, d: date) -> bool:
        """Monday–Friday calendar slot during school time (Wednesday included)."""
        return (
            d.weekday() < 5
            and d not in self.closures
            and d not in self.no_school_days
            and not self.is_public_holiday(d)
            and not self.is_school_holiday(d)
        )

    def day_kind(self, d: date) -> DayKind:
        """Single classification for colouring a day; the first matching rule wins."""
        if d.weekday() >= 5:
            return DayKind.WEEKEND
        if self.is_public_holiday(d):
            return DayKind.PUBLIC_HOLIDAY
        if d in self.closures:
            return DayKind.CLOSURE
        if self.is_school_holiday(d):
            return DayKind.SCHOOL_HOLIDAY
        if d in self.no_school_days:
            return DayKind.NO_SCHOOL
        if d.weekday() == 2:
            return DayKind.WEDNESDAY
        return DayKind.SCHOOL_DAY

    # -- periods

    def holiday_periods(
        self, school_year_start: int, *, include_bridges: bool = False
    ) -> list[HolidayPeriod]:
        """Holiday spans of the school year opening in September ``school_year_start``.

        Normally Toussaint, Noël, Hiver, Printemps, Été in that order; bridges (Pont
        de l'Ascension) only on request since they are not bookable periods. Empty
        for school years the data does not cover.
        """
        start, end = school_year_bounds(school_year_start)
        data_start, data_end = _school_data_range()
        if start < data_start or end > data_end:
            return []
        return list(_zone_periods(self.zone, school_year_start, include_bridges))

    @staticmethod
    def holiday_weeks(period: HolidayPeriod) -> list[tuple[date, date]]:
        return holiday_weeks(period)

    def current_school_period_end(self, d: date) -> date:
        """Last school day before the next major holiday (default end of patterns).

        If ``d`` falls in a major holiday, the answer is the end of the school period
        that follows it. Bridges do not end a period. When the data does not reach
        the next holiday, falls back to the last weekday of the school year.
        """
        if not self.has_school_holiday_data(d):
            return _last_weekday_of_school_year(school_year_of(d))
        names = _zone_holiday_names(self.zone)
        _, data_end = _school_data_range()
        day = d
        # Step over the holiday d is in, if any.
        while day <= data_end and names.get(day) in MAJOR_HOLIDAY_NAMES:
            day += _ONE_DAY
        period_start = day
        while day <= data_end and names.get(day) not in MAJOR_HOLIDAY_NAMES:
            day += _ONE_DAY
        if day > data_end:
            return _last_weekday_of_school_year(school_year_of(period_start))
        candidate = day - _ONE_DAY
        while candidate >= period_start:
            if self.is_school_day(candidate):
                return candidate
            candidate -= _ONE_DAY
        # A period without a single school day (closures everywhere): give its last day.
        return day - _ONE_DAY

    # -- deadlines

    def business_days_before(
        self,
        d: date,
        n: int,
        skip_weekends: bool = True,
        skip_public_holidays: bool = False,
    ) -> date:
        """Date ``n`` counted days before ``d``; skipped days are not counted.

        Used for deadlines "N days before at HH:MM" (R2): with skip_weekends a
        Monday activity with n=2 has its deadline on the Thursday before. The
        returned date is itself always a counted day (unless n == 0: ``d``).
        """
        if n < 0:
            raise ValueError("n must be >= 0")
        day = d
        remaining = n
        while remaining > 0:
            day -= _ONE_DAY
            if skip_weekends and day.weekday() >= 5:
                continue
            if skip_public_holidays and self.is_public_holiday(day):
                continue
            remaining -= 1
        return day
