"""School calendar rules, pinned on real zone A/B/C dates of 2026-2027.

Expected dates were read from the vacances_scolaires_france CSV and the official
2026-2027 calendar: Toussaint 17 Oct–1 Nov 2026, Noël 19 Dec 2026–3 Jan 2027 (all
zones); hiver A 13–28 Feb, B 20 Feb–7 Mar, C 6–21 Feb 2027.
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portail_tui.domain.school_calendar import (
    ETE,
    HIVER,
    NOEL,
    PONT_ASCENSION,
    PRINTEMPS,
    TOUSSAINT,
    DayKind,
    HolidayPeriod,
    SchoolCalendar,
    day_kind_label,
    holiday_weeks,
    school_year_bounds,
    school_year_of,
)

CAL_A = SchoolCalendar()


# ----------------------------------------------------------------- public holidays


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2026, 1, 1), "Jour de l'an"),
        (date(2026, 5, 1), "Fête du Travail"),
        (date(2026, 7, 14), "Fête nationale"),
        (date(2026, 11, 1), "Toussaint"),
        (date(2026, 11, 11), "Armistice"),
        (date(2026, 12, 25), "Noël"),
        (date(2027, 3, 29), "Lundi de Pâques"),
        (date(2027, 5, 6), "Ascension"),
        (date(2027, 5, 8), "Fête de la Victoire"),
        (date(2027, 5, 17), "Lundi de Pentecôte"),
    ],
)
def test_public_holidays_in_french(day: date, name: str) -> None:
    assert CAL_A.is_public_holiday(day)
    assert CAL_A.public_holiday_name(day) == name


def test_ordinary_days_are_not_public_holidays() -> None:
    for day in (date(2026, 11, 12), date(2027, 3, 28), date(2027, 3, 26), date(2026, 12, 26)):
        assert not CAL_A.is_public_holiday(day)
        assert CAL_A.public_holiday_name(day) is None


def test_alsace_moselle_subdivision_adds_good_friday() -> None:
    moselle = SchoolCalendar(subdivision="57")
    assert moselle.public_holiday_name(date(2027, 3, 26)) == "Vendredi saint"
    assert moselle.public_holiday_name(date(2026, 12, 26)) == "Saint-Étienne"


# ----------------------------------------------------------------- school holidays


def test_toussaint_2026_zone_a() -> None:
    assert not CAL_A.is_school_holiday(date(2026, 10, 16))
    assert CAL_A.school_holiday_name(date(2026, 10, 17)) == TOUSSAINT
    assert CAL_A.school_holiday_name(date(2026, 10, 19)) == TOUSSAINT
    assert CAL_A.school_holiday_name(date(2026, 11, 1)) == TOUSSAINT
    assert not CAL_A.is_school_holiday(date(2026, 11, 2))
    assert CAL_A.school_holiday_name(date(2026, 11, 2)) is None


def test_noel_2026_spans_the_new_year() -> None:
    assert not CAL_A.is_school_holiday(date(2026, 12, 18))
    assert CAL_A.school_holiday_name(date(2026, 12, 19)) == NOEL
    assert CAL_A.school_holiday_name(date(2027, 1, 3)) == NOEL
    assert not CAL_A.is_school_holiday(date(2027, 1, 4))


def test_summer_holidays_are_covered() -> None:
    assert CAL_A.school_holiday_name(date(2027, 7, 3)) == ETE
    assert CAL_A.school_holiday_name(date(2027, 8, 31)) == ETE
    assert not CAL_A.is_school_holiday(date(2027, 7, 2))


def test_winter_holidays_differ_between_zones() -> None:
    cal_b = SchoolCalendar(zone="B")
    cal_c = SchoolCalendar(zone="C")
    # Monday 8 Feb 2027: only zone C is off.
    assert cal_c.is_school_holiday(date(2027, 2, 8))
    assert not CAL_A.is_school_holiday(date(2027, 2, 8))
    assert not cal_b.is_school_holiday(date(2027, 2, 8))
    # Monday 1 March 2027: only zone B is off.
    assert cal_b.school_holiday_name(date(2027, 3, 1)) == HIVER
    assert not CAL_A.is_school_holiday(date(2027, 3, 1))
    assert not cal_c.is_school_holiday(date(2027, 3, 1))
    winter = {
        cal.zone: next(p for p in cal.holiday_periods(2026) if p.name == HIVER)
        for cal in (CAL_A, cal_b, cal_c)
    }
    assert winter["A"] == HolidayPeriod(HIVER, date(2027, 2, 15), date(2027, 2, 26))
    assert winter["B"] == HolidayPeriod(HIVER, date(2027, 2, 22), date(2027, 3, 5))
    assert winter["C"] == HolidayPeriod(HIVER, date(2027, 2, 8), date(2027, 2, 19))


def test_unknown_zone_is_rejected() -> None:
    with pytest.raises(ValueError):
        SchoolCalendar(zone="D")


@pytest.mark.parametrize(
    "day",
    [date(1985, 2, 14), date(2028, 12, 25), date(2031, 2, 20), date(2099, 7, 14)],
)
def test_dates_outside_school_data_do_not_crash(day: date) -> None:
    assert not CAL_A.has_school_holiday_data(day)
    assert not CAL_A.is_school_holiday(day)
    assert CAL_A.school_holiday_name(day) is None
    assert isinstance(CAL_A.day_kind(day), DayKind)
    assert CAL_A.holiday_periods(school_year_of(day)) == []
    end = CAL_A.current_school_period_end(day)
    assert end >= day
    assert end.weekday() < 5


def test_data_range_edges() -> None:
    assert CAL_A.has_school_holiday_data(date(2028, 8, 31))
    assert not CAL_A.has_school_holiday_data(date(2028, 9, 1))
    assert CAL_A.holiday_periods(2027) != []


# ----------------------------------------------------------------- day kinds


def test_day_kind_plain_days() -> None:
    assert CAL_A.day_kind(date(2026, 11, 9)) is DayKind.SCHOOL_DAY  # Monday
    assert CAL_A.day_kind(date(2026, 11, 4)) is DayKind.WEDNESDAY
    assert CAL_A.day_kind(date(2026, 11, 7)) is DayKind.WEEKEND  # Saturday
    assert CAL_A.day_kind(date(2026, 11, 11)) is DayKind.PUBLIC_HOLIDAY  # Wednesday
    assert CAL_A.day_kind(date(2026, 10, 21)) is DayKind.SCHOOL_HOLIDAY  # Wednesday


def test_day_kind_priorities() -> None:
    fri_25_dec = date(2026, 12, 25)  # public holiday inside Noël holidays
    mon_9_nov = date(2026, 11, 9)
    tue_20_oct = date(2026, 10, 20)  # Toussaint holidays
    sat_14_nov = date(2026, 11, 14)
    cal = SchoolCalendar(
        closures=frozenset({fri_25_dec, mon_9_nov, tue_20_oct, sat_14_nov}),
        no_school_days=frozenset({mon_9_nov, date(2026, 11, 10), date(2026, 10, 22)}),
    )
    assert cal.day_kind(sat_14_nov) is DayKind.WEEKEND  # weekend beats closure
    assert cal.day_kind(fri_25_dec) is DayKind.PUBLIC_HOLIDAY  # holiday beats closure
    assert cal.day_kind(tue_20_oct) is DayKind.CLOSURE  # closure beats school holiday
    assert cal.day_kind(mon_9_nov) is DayKind.CLOSURE  # closure beats no-school day
    assert cal.day_kind(date(2026, 10, 22)) is DayKind.SCHOOL_HOLIDAY
    assert cal.day_kind(date(2026, 11, 10)) is DayKind.NO_SCHOOL
    assert cal.day_kind(date(2026, 11, 12)) is DayKind.SCHOOL_DAY


def test_day_kind_labels_are_french() -> None:
    assert day_kind_label(DayKind.WEEKEND) == "week-end"
    assert day_kind_label(DayKind.PUBLIC_HOLIDAY) == "jour férié"
    assert day_kind_label(DayKind.CLOSURE) == "fermeture"
    assert day_kind_label(DayKind.SCHOOL_HOLIDAY) == "vacances scolaires"
    assert day_kind_label(DayKind.WEDNESDAY) == "mercredi"
    assert day_kind_label(DayKind.SCHOOL_DAY) == "jour d'école"
    assert DayKind.NO_SCHOOL.label == "pas d'école"
    assert all(day_kind_label(k) for k in DayKind)


def test_closures_and_school_days() -> None:
    thu = date(2026, 11, 12)
    cal = SchoolCalendar(closures=frozenset({thu}))
    assert cal.is_closed(thu)
    assert not cal.is_school_day(thu)
    assert CAL_A.is_school_day(thu)
    assert not CAL_A.is_closed(thu)
    assert CAL_A.is_school_day(date(2026, 11, 4))  # Wednesday is a calendar slot
    assert CAL_A.is_wednesday(date(2026, 11, 4))
    assert not CAL_A.is_wednesday(thu)
    assert not CAL_A.is_school_day(date(2026, 11, 11))  # Armistice
    assert not CAL_A.is_school_day(date(2026, 10, 20))  # Toussaint holidays
    assert not CAL_A.is_school_day(date(2026, 11, 8))  # Sunday
    assert CAL_A.is_weekend(date(2026, 11, 8))
    assert not CAL_A.is_weekend(thu)
    assert not SchoolCalendar(no_school_days=frozenset({thu})).is_school_day(thu)


def test_calendar_is_hashable_and_accepts_sets() -> None:
    cal = SchoolCalendar(closures={date(2026, 11, 12)})  # type: ignore[arg-type]
    assert isinstance(cal.closures, frozenset)
    assert cal == SchoolCalendar(closures=frozenset({date(2026, 11, 12)}))
    assert hash(cal) == hash(SchoolCalendar(closures=frozenset({date(2026, 11, 12)})))


# ----------------------------------------------------------------- periods


def test_holiday_periods_2026_zone_a() -> None:
    assert CAL_A.holiday_periods(2026) == [
        HolidayPeriod(TOUSSAINT, date(2026, 10, 19), date(2026, 10, 30)),
        HolidayPeriod(NOEL, date(2026, 12, 21), date(2027, 1, 1)),
        HolidayPeriod(HIVER, date(2027, 2, 15), date(2027, 2, 26)),
        HolidayPeriod(PRINTEMPS, date(2027, 4, 12), date(2027, 4, 23)),
        HolidayPeriod(ETE, date(2027, 7, 5), date(2027, 8, 31)),
    ]


def test_bridges_only_on_request() -> None:
    periods = CAL_A.holiday_periods(2026, include_bridges=True)
    assert HolidayPeriod(PONT_ASCENSION, date(2027, 5, 6), date(2027, 5, 7)) in periods
    assert len(periods) == 6
    assert [p.first_day for p in periods] == sorted(p.first_day for p in periods)


def test_summer_belongs_to_the_school_year_it_closes() -> None:
    periods_2025 = CAL_A.holiday_periods(2025)
    assert periods_2025[-1] == HolidayPeriod(ETE, date(2026, 7, 6), date(2026, 8, 31))
    assert all(p.first_day >= date(2025, 9, 1) for p in periods_2025)


def test_holiday_weeks() -> None:
    noel = HolidayPeriod(NOEL, date(2026, 12, 21), date(2027, 1, 1))
    assert holiday_weeks(noel) == [
        (date(2026, 12, 21), date(2026, 12, 25)),
        (date(2026, 12, 28), date(2027, 1, 1)),
    ]
    summer = HolidayPeriod(ETE, date(2027, 7, 5), date(2027, 8, 31))
    weeks = CAL_A.holiday_weeks(summer)
    assert len(weeks) == 9
    assert weeks[-1] == (date(2027, 8, 30), date(2027, 8, 31))  # partial last week
    partial_start = HolidayPeriod("x", date(2027, 5, 6), date(2027, 5, 12))
    assert partial_start.weeks() == [
        (date(2027, 5, 6), date(2027, 5, 7)),
        (date(2027, 5, 10), date(2027, 5, 12)),
    ]
    assert date(2027, 5, 8) in partial_start
    assert date(2027, 5, 13) not in partial_start


# ----------------------------------------------------------------- school years


@pytest.mark.parametrize(
    ("day", "year"),
    [
        (date(2026, 9, 1), 2026),
        (date(2026, 8, 31), 2025),
        (date(2027, 1, 15), 2026),
        (date(2027, 7, 14), 2026),
    ],
)
def test_school_year_of(day: date, year: int) -> None:
    assert school_year_of(day) == year


def test_school_year_bounds() -> None:
    assert school_year_bounds(2026) == (date(2026, 9, 1), date(2027, 8, 31))


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)))
def test_every_date_is_inside_its_school_year(day: date) -> None:
    start, end = school_year_bounds(school_year_of(day))
    assert start <= day <= end


# ----------------------------------------------------------------- period end


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 9, 1), date(2026, 10, 16)),  # rentrée -> Friday before Toussaint
        (date(2026, 10, 16), date(2026, 10, 16)),  # last day itself
        (date(2026, 10, 10), date(2026, 10, 16)),  # a Saturday in the period
        (date(2026, 10, 20), date(2026, 12, 18)),  # inside Toussaint -> next period
        (date(2026, 11, 2), date(2026, 12, 18)),
        (date(2027, 1, 4), date(2027, 2, 12)),
        (date(2027, 4, 27), date(2027, 7, 2)),  # the Ascension bridge is not an end
        (date(2027, 5, 7), date(2027, 7, 2)),  # inside the bridge
        (date(2027, 7, 20), date(2027, 10, 22)),  # summer -> Toussaint 2027
    ],
)
def test_current_school_period_end(day: date, expected: date) -> None:
    assert CAL_A.current_school_period_end(day) == expected


def test_period_end_skips_closures_and_zone_matters() -> None:
    cal = SchoolCalendar(closures=frozenset({date(2026, 10, 16), date(2026, 10, 15)}))
    assert cal.current_school_period_end(date(2026, 9, 1)) == date(2026, 10, 14)
    # Winter: zone C leaves on 6 Feb, zone B on 20 Feb.
    assert SchoolCalendar(zone="C").current_school_period_end(date(2027, 1, 4)) == date(2027, 2, 5)
    assert SchoolCalendar(zone="B").current_school_period_end(date(2027, 1, 4)) == date(2027, 2, 19)


# ----------------------------------------------------------------- deadlines


def test_business_days_before_plain_week() -> None:
    thu = date(2026, 11, 19)
    assert CAL_A.business_days_before(thu, 2) == date(2026, 11, 17)  # Tuesday
    assert CAL_A.business_days_before(thu, 0) == thu


def test_business_days_before_across_weekend() -> None:
    mon = date(2026, 11, 23)
    assert CAL_A.business_days_before(mon, 2) == date(2026, 11, 19)  # Thursday
    assert CAL_A.business_days_before(mon, 2, skip_weekends=False) == date(2026, 11, 21)
    assert CAL_A.business_days_before(mon, 1) == date(2026, 11, 20)  # Friday


def test_business_days_before_across_public_holiday() -> None:
    fri = date(2026, 11, 13)  # Wednesday 11 Nov is Armistice
    assert CAL_A.business_days_before(fri, 2) == date(2026, 11, 11)
    assert CAL_A.business_days_before(fri, 2, skip_public_holidays=True) == date(2026, 11, 10)
    # Tuesday after Easter Monday 2027, with both skips: Mon 29 Mar and the weekend skipped.
    tue = date(2027, 3, 30)
    assert CAL_A.business_days_before(tue, 1, skip_public_holidays=True) == date(2027, 3, 26)
    assert CAL_A.business_days_before(
        tue, 1, skip_weekends=False, skip_public_holidays=True
    ) == date(2027, 3, 28)


def test_business_days_before_rejects_negative() -> None:
    with pytest.raises(ValueError):
        CAL_A.business_days_before(date(2026, 11, 13), -1)
