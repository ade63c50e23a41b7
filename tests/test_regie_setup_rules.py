"""The pure rules the set-up feeds (G2, G3): who may book an activity, and the rate of
a family without a known quotient."""

from __future__ import annotations

from datetime import date, datetime, time

from portail_tui.clock import PARIS
from portail_tui.domain.booking_rules import (
    ActivityRule,
    ChildRule,
    PeriodRule,
    RateRule,
    Refusal,
    age_on,
    check_day_line,
    check_period_line,
    price_for,
)
from portail_tui.domain.school_calendar import SchoolCalendar

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=PARIS)
CAL = SchoolCalendar(zone="A")
CLM = ActivityRule(id=5, code="CLM", label="CENTRE DE LOISIRS MERCREDI", letter="W", start_time=time(8),
                   end_time=time(18), weekdays="3", min_age=6, max_age=11,
                   eligible_schools=frozenset({"École élémentaire Jean-Moulin"}))
CLV = ActivityRule(id=6, code="CLV", label="CENTRE DE LOISIRS VACANCES", letter="V", start_time=time(8),
                   end_time=time(18), weekdays="12345", runs_on="holidays", booking_unit="period",
                   closed_from=date(2027, 2, 22))
WINTER = PeriodRule(id=1, activity_id=6, label="Hiver", first_day=date(2027, 2, 15), last_day=date(2027, 2, 26),
                    booking_opens=date(2026, 11, 1), booking_closes=date(2027, 2, 8))
WEEK1 = PeriodRule(id=2, activity_id=6, label="Hiver S1", first_day=date(2027, 2, 15), last_day=date(2027, 2, 19),
                   booking_opens=date(2026, 11, 1), booking_closes=date(2027, 2, 8), parent_id=1)
PUPIL = ChildRule(date(2018, 12, 3), "École élémentaire Jean-Moulin")
WED = date(2026, 12, 2)


def test_age_in_whole_years() -> None:
    assert age_on(date(2020, 12, 3), date(2026, 12, 2)) == 5
    assert age_on(date(2020, 12, 3), date(2026, 12, 3)) == 6


def test_school_and_age_decide_who_may_book() -> None:
    assert check_day_line(CLM, WED, NOW, CAL, child=PUPIL).ok
    young = check_day_line(CLM, WED, NOW, CAL, child=ChildRule(date(2020, 12, 3), PUPIL.school))
    assert (young.refusal, young.reason) == (Refusal.NOT_ELIGIBLE, "à partir de 6 ans (l'enfant a 5 ans)")
    old = check_day_line(CLM, WED, NOW, CAL, child=ChildRule(date(2014, 1, 1), PUPIL.school))
    assert old.reason == "jusqu'à 11 ans (l'enfant a 12 ans)"
    other = check_day_line(CLM, WED, NOW, CAL, child=ChildRule(PUPIL.birth_date, "École du Bourg"))
    assert other.reason == "réservée à d'autres écoles que « École du Bourg »"
    unknown = check_day_line(CLM, WED, NOW, CAL, child=ChildRule(PUPIL.birth_date, None))
    assert unknown.refusal is Refusal.NOT_ELIGIBLE and "non renseignée" in unknown.reason
    # No birth date: the age range cannot be judged, the school still is.
    assert check_day_line(CLM, WED, NOW, CAL, child=ChildRule(None, PUPIL.school)).ok


def test_a_period_touching_the_closure_is_refused() -> None:
    whole = check_period_line(CLV, WINTER, NOW, child=PUPIL)
    assert (whole.refusal, whole.reason) == (Refusal.ACTIVITY_CLOSED, "activité fermée à partir du 22 février")
    assert check_period_line(CLV, WEEK1, NOW, child=PUPIL).ok


def test_rate_without_quotient() -> None:
    start = date(2026, 9, 1)
    brackets = [RateRule(0, 700, 210, start), RateRule(701, None, 450, start)]
    assert price_for(brackets, None, WED) == 450  # top bracket by default
    with_unknown = [*brackets, RateRule(0, None, 600, start, no_quotient=True)]
    assert price_for(with_unknown, None, WED) == 600
    assert price_for(with_unknown, 5000, WED) == 450  # never taken for a known quotient
    assert price_for(with_unknown, 300, WED) == 210
