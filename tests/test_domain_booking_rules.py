"""Booking rules (R1–R4, B1, B2) to the minute, without a database."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portail_tui.clock import PARIS
from portail_tui.domain.booking_rules import (
    ActivityRule,
    PeriodRule,
    Places,
    RateRule,
    Refusal,
    blocked_by,
    check_cancel_day,
    check_cancel_period,
    check_day,
    check_day_line,
    check_period,
    check_period_line,
    conflicts,
    deadline,
    effective_quotient,
    excludes,
    period_covers,
    period_days,
    period_price,
    price_for,
    rates_in_force,
    window_wording,
)
from portail_tui.domain.school_calendar import SchoolCalendar

CAL = SchoolCalendar("A")
NOW = datetime(2026, 11, 28, 10, 0, tzinfo=PARIS)  # Saturday

RS = ActivityRule(id=1, code="RS", label="RESTAURANT SCOLAIRE", letter="R",
                  start_time=time(11, 45), end_time=time(13, 30), weekdays="1245",
                  deadline_days=2, deadline_time=time(11, 45), capacity=100)
APSM = ActivityRule(id=2, code="APSM", label="APS MATIN", letter="M", start_time=time(7, 30),
                    end_time=time(8, 30), deadline_time=time(7, 30), exclusion_group="APS",
                    combinable_in_group=True)
APSS = ActivityRule(id=3, code="APSS", label="APS SOIR", letter="S", start_time=time(16, 30),
                    end_time=time(18, 30), deadline_time=time(16, 30), exclusion_group="APS",
                    combinable_in_group=True)
APSF = ActivityRule(id=4, code="APSF", label="APS FORFAIT", letter="F", start_time=time(7, 30),
                    end_time=time(18, 30), deadline_time=time(7, 30), exclusion_group="APS")
CLM = ActivityRule(id=5, code="CLM", label="CENTRE DE LOISIRS MERCREDI", letter="W",
                   start_time=time(8, 0), end_time=time(18, 0), weekdays="3", deadline_time=time(8, 0))
CLV = ActivityRule(id=6, code="CLV", label="CENTRE DE LOISIRS VACANCES", letter="V",
                   start_time=time(8, 0), end_time=time(18, 0), weekdays="12345", runs_on="holidays",
                   booking_unit="period", capacity=40, waiting_list=False)

NOEL = PeriodRule(id=10, activity_id=6, label="Vacances de Noël", first_day=date(2026, 12, 21),
                  last_day=date(2027, 1, 1), booking_opens=date(2026, 12, 1),
                  booking_closes=date(2026, 12, 15))


def at(d: date, h: int, m: int = 0) -> datetime:
    return datetime(d.year, d.month, d.day, h, m, tzinfo=PARIS)


# --- R2 deadlines ---------------------------------------------------------------


def test_48h_deadline_minute_before_and_after() -> None:
    monday = date(2026, 11, 30)
    assert deadline(RS, monday, CAL) == at(date(2026, 11, 28), 11, 45)
    assert check_day(RS, monday, at(date(2026, 11, 28), 11, 44), CAL).ok
    assert check_day(RS, monday, at(date(2026, 11, 28), 11, 45), CAL).ok
    late = check_day(RS, monday, at(date(2026, 11, 28), 11, 46), CAL)
    assert not late.ok and late.refusal is Refusal.DEADLINE
    assert late.reason == "délai dépassé : réservable jusqu'au samedi 28 novembre à 11h45"


def test_deadline_skipping_weekends_goes_back_to_thursday() -> None:
    rule = ActivityRule(**{**_fields(RS), "deadline_skip_weekends": True})
    assert deadline(rule, date(2026, 11, 30), CAL) == at(date(2026, 11, 26), 11, 45)
    assert not check_day(rule, date(2026, 11, 30), NOW, CAL).ok
    # Without skipping, the same Monday is still open on Saturday morning.
    assert check_day(RS, date(2026, 11, 30), NOW, CAL).ok


def test_deadline_skipping_public_holidays() -> None:
    thursday = date(2026, 11, 12)  # 11 November (Wednesday) is a public holiday
    plain = deadline(RS, thursday, CAL)
    rule = ActivityRule(**{**_fields(RS), "deadline_skip_holidays": True})
    assert plain.date() == date(2026, 11, 10)
    assert deadline(rule, thursday, CAL).date() == date(2026, 11, 9)


def test_tuesday_ten_for_thursday_is_expressible() -> None:
    rule = ActivityRule(**{**_fields(RS), "deadline_time": time(10, 0)})
    assert deadline(rule, date(2026, 12, 3), CAL) == at(date(2026, 12, 1), 10, 0)


def test_cancel_obeys_the_same_deadline() -> None:
    monday = date(2026, 11, 30)
    assert check_cancel_day(RS, monday, at(date(2026, 11, 28), 11, 45), CAL).ok
    late = check_cancel_day(RS, monday, at(date(2026, 11, 28), 11, 46), CAL)
    assert late.refusal is Refusal.DEADLINE
    assert late.reason.startswith("délai dépassé : annulable jusqu'au samedi 28 novembre")
    assert check_cancel_day(RS, date(2026, 11, 27), NOW, CAL).refusal is Refusal.PAST


# --- R1 horizon -------------------------------------------------------------------


def test_horizon_day_60_open_day_61_not_yet() -> None:
    day60 = NOW.date() + timedelta(days=60)  # Wednesday 27 January 2027
    day61 = NOW.date() + timedelta(days=61)
    assert check_day(CLM, day60, NOW, CAL).ok
    refused = check_day(RS, day61, NOW, CAL)
    assert refused.refusal is Refusal.NOT_YET_OPEN
    assert refused.reason == "ouvre le 29 novembre"


def test_past_day_refused() -> None:
    assert check_day(RS, date(2026, 11, 27), NOW, CAL).refusal is Refusal.PAST


# --- days of operation ------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "rule", "refusal", "reason"),
    [
        (date(2026, 11, 29), RS, Refusal.NO_ACTIVITY, "pas d'activité le week-end"),
        (date(2026, 12, 2), RS, Refusal.NO_ACTIVITY, "pas d'activité ce jour"),  # Wednesday
        (date(2026, 12, 22), RS, Refusal.NO_ACTIVITY, "pas d'activité ce jour (vacances scolaires)"),
        (date(2026, 12, 3), CLM, Refusal.NO_ACTIVITY, "pas d'activité ce jour"),
        (date(2026, 12, 25), RS, Refusal.NO_ACTIVITY, "pas d'activité ce jour (férié : Noël)"),
    ],
)
def test_days_without_activity(day: date, rule: ActivityRule, refusal: Refusal, reason: str) -> None:
    verdict = check_day(rule, day, NOW, CAL)
    assert verdict.refusal is refusal
    assert verdict.reason == reason


def test_closure_refused_with_its_reason() -> None:
    cal = SchoolCalendar("A", closures=frozenset({date(2026, 12, 4)}))
    verdict = check_day(RS, date(2026, 12, 4), NOW, cal, closure_reasons={date(2026, 12, 4): "grève"})
    assert verdict.refusal is Refusal.CLOSED
    assert verdict.reason == "fermé ce jour (grève)"
    assert check_day(RS, date(2026, 12, 4), NOW, CAL).ok


def test_wednesday_centre_runs_on_wednesdays_only() -> None:
    assert check_day(CLM, date(2026, 12, 2), NOW, CAL).ok


# --- R3 periods --------------------------------------------------------------------


def test_period_only_by_period() -> None:
    assert check_day(CLV, date(2026, 12, 22), NOW, CAL).refusal is Refusal.PERIOD_ONLY
    assert check_period(RS, NOEL, NOW).refusal is Refusal.DAY_ONLY


def test_period_window_boundaries() -> None:
    before = check_period(CLV, NOEL, at(date(2026, 11, 30), 23, 59))
    assert before.refusal is Refusal.NOT_YET_OPEN
    assert before.reason == "période : inscription du 1er au 15 décembre"
    assert check_period(CLV, NOEL, at(date(2026, 12, 1), 0, 0)).ok
    assert check_period(CLV, NOEL, at(date(2026, 12, 15), 23, 59)).ok
    after = check_period(CLV, NOEL, at(date(2026, 12, 16), 0, 0))
    assert after.refusal is Refusal.WINDOW


def test_period_full_without_waiting_list() -> None:
    now = at(date(2026, 12, 5), 9)
    assert check_period(CLV, NOEL, now, places=Places(40, 40)).refusal is Refusal.FULL
    assert check_period(CLV, NOEL, now, places=Places(40, 39)).ok


def test_period_cancel_until_window_closes() -> None:
    assert check_cancel_period(NOEL, at(date(2026, 12, 15), 18)).ok
    assert not check_cancel_period(NOEL, at(date(2026, 12, 16), 8)).ok


def test_window_wording_across_months() -> None:
    assert window_wording(date(2026, 11, 20), date(2026, 12, 15)) == (
        "inscription du 20 novembre au 15 décembre"
    )


def test_period_days_skip_public_holidays() -> None:
    days = period_days(CLV, NOEL, CAL)
    assert date(2026, 12, 25) not in days and date(2027, 1, 1) not in days
    assert len(days) == 8


# --- B2 capacity ---------------------------------------------------------------------


def test_full_day_goes_to_waiting_list_or_is_refused() -> None:
    full = Places(capacity=10, taken=10)
    verdict = check_day(RS, date(2026, 12, 1), NOW, CAL, places=full)
    assert verdict.ok and verdict.waiting and verdict.reason == "complet : liste d'attente"
    no_list = ActivityRule(**{**_fields(RS), "waiting_list": False})
    refused = check_day(no_list, date(2026, 12, 1), NOW, CAL, places=full)
    assert refused.refusal is Refusal.FULL and refused.reason == "complet"
    assert Places(None, 500).left is None and not Places(None, 500).full
    assert Places(10, 7).left == 3


# --- R4 exclusions -----------------------------------------------------------------------


def test_exclusion_groups() -> None:
    assert not excludes(APSM, APSS)
    assert excludes(APSF, APSM) and excludes(APSM, APSF) and excludes(APSF, APSS)
    assert not excludes(RS, APSF)
    assert blocked_by(APSM, [APSF]) is APSF
    assert blocked_by(APSM, [APSS, RS]) is None
    assert blocked_by(APSF, [APSM]) is None  # the forfait removes the others instead
    assert conflicts(APSF, [RS, APSM, APSS]) == [APSM, APSS]


# --- B1 prices -------------------------------------------------------------------------------


RATES = [
    RateRule(0, 500, 150, date(2026, 9, 1)),
    RateRule(501, 1000, 300, date(2026, 9, 1)),
    RateRule(1001, None, 450, date(2026, 9, 1)),
]


@pytest.mark.parametrize(("qf", "price"), [(0, 150), (500, 150), (501, 300), (1000, 300),
                                           (1001, 450), (5000, 450), (None, 450)])
def test_price_from_quotient_bracket(qf: int | None, price: int) -> None:
    assert price_for(RATES, qf, date(2026, 12, 1)) == price


def test_price_respects_rate_validity() -> None:
    rates = [RateRule(0, None, 300, date(2026, 9, 1), date(2026, 12, 31)),
             RateRule(0, None, 320, date(2027, 1, 1))]
    assert price_for(rates, 400, date(2026, 12, 31)) == 300
    assert price_for(rates, 400, date(2027, 1, 4)) == 320
    assert price_for(rates, 400, date(2026, 8, 31)) is None


def test_effective_quotient_validity() -> None:
    assert effective_quotient(600, date(2026, 1, 1), date(2026, 12, 31), date(2026, 12, 1)) == 600
    assert effective_quotient(600, date(2026, 1, 1), date(2026, 12, 31), date(2027, 1, 4)) is None
    assert effective_quotient(None, None, None, date(2027, 1, 4)) is None


def test_period_price_is_day_rate_times_open_days() -> None:
    assert period_price(CLV, NOEL, RATES, 700, CAL) == 8 * 300


def test_no_rate_refuses() -> None:
    assert check_day(RS, date(2026, 12, 1), NOW, CAL, has_rate=False).refusal is Refusal.NO_RATE


@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=0, max_value=10_000))
def test_price_is_monotonic_in_quotient(a: int, b: int) -> None:
    lo, hi = sorted((a, b))
    assert price_for(RATES, lo, date(2026, 12, 1)) <= price_for(RATES, hi, date(2026, 12, 1))


@given(st.integers(min_value=0, max_value=6 * 24 * 60))
def test_deadline_is_a_threshold(minutes: int) -> None:
    """Whatever the instant, a day is bookable exactly when now <= its deadline."""
    now = at(date(2026, 11, 26), 0) + timedelta(minutes=minutes)
    day = date(2026, 12, 1)
    assert check_day(RS, day, now, CAL).ok == (now <= deadline(RS, day, CAL))


def _fields(rule: ActivityRule) -> dict[str, object]:
    return {name: getattr(rule, name) for name in rule.__slots__}


# --- one rule per question (issue 11) ------------------------------------------------

TOUSSAINT_2027 = PeriodRule(id=11, activity_id=6, label="Vacances de la Toussaint 2027",
                            first_day=date(2027, 10, 25), last_day=date(2027, 11, 5),
                            booking_opens=date(2027, 9, 1), booking_closes=date(2027, 10, 15))


def test_a_period_covers_its_days_but_not_a_public_holiday() -> None:
    """1 Nov 2027 is a Monday inside the Toussaint holidays: the price never counted
    it, and now the calendar and the pending mark read the same `period_covers`."""
    all_saints = date(2027, 11, 1)
    assert not period_covers(CLV, TOUSSAINT_2027, all_saints, CAL)
    assert period_covers(CLV, TOUSSAINT_2027, date(2027, 11, 2), CAL)
    assert not period_covers(CLV, TOUSSAINT_2027, date(2027, 10, 30), CAL)  # Saturday
    days = period_days(CLV, TOUSSAINT_2027, CAL)
    assert all_saints not in days and len(days) == 9
    assert period_price(CLV, TOUSSAINT_2027, RATES, 700, CAL) == 9 * 300  # unchanged


def test_rate_in_force_is_one_rule_for_price_and_calendar() -> None:
    rates = [RateRule(0, None, 300, date(2026, 9, 1), date(2026, 12, 31))]
    assert rates_in_force(rates, date(2026, 12, 31)) == rates
    assert rates_in_force(rates, date(2027, 1, 1)) == []
    assert price_for(rates, None, date(2027, 1, 1)) is None


def test_line_bookability_already_then_rules_then_exclusions() -> None:
    tue = date(2026, 12, 1)
    assert check_day_line(APSM, tue, NOW, CAL).ok
    already = check_day_line(APSM, tue, NOW, CAL, booked=True, others=[APSF])
    assert already.refusal is Refusal.ALREADY and already.reason == "déjà réservé"
    excluded = check_day_line(APSM, tue, NOW, CAL, others=[RS, APSF])
    assert excluded.refusal is Refusal.EXCLUDED and excluded.reason == "incompatible avec APS FORFAIT"
    assert check_day_line(APSM, tue, NOW, CAL, others=[APSS]).ok  # combinable
    late = check_day_line(APSM, date(2026, 11, 30), NOW, CAL, others=[APSF])
    assert late.refusal is Refusal.DEADLINE  # the day's own rules come before R4


def test_period_line_refuses_an_overlapping_period() -> None:
    week = PeriodRule(id=12, activity_id=6, label="Semaine du 21 décembre", first_day=date(2026, 12, 21),
                      last_day=date(2026, 12, 25), booking_opens=date(2026, 12, 1),
                      booking_closes=date(2026, 12, 15), parent_id=NOEL.id)
    now = datetime(2026, 12, 5, 9, tzinfo=PARIS)
    assert check_period_line(CLV, week, now).ok
    verdict = check_period_line(CLV, week, now, others=[NOEL])
    assert not verdict.ok and verdict.reason == "déjà inscrit : Vacances de Noël"
    assert check_period_line(CLV, week, now, booked=True).refusal is Refusal.ALREADY
