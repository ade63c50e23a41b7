"""P2, the billing of a justified absence: delay after the illness, jour de carence."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from portail_tui.domain.attendance import (
    WAIVED_LABEL,
    justification_billing,
    late_reason,
    split_illnesses,
    state_label,
)

MON = date(2026, 11, 9)
WEEK = [MON + timedelta(days=i) for i in range(5)]  # Monday 9 to Friday 13 November 2026

days_st = st.lists(st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31)), min_size=1,
                   max_size=12, unique=True)


def test_one_day_in_time_is_waived() -> None:
    b = justification_billing([MON], date(2026, 11, 16), 7, False)
    assert b.accepted and b.billed == () and b.waived == (MON,)


def test_the_delay_day_itself_is_still_in_time_the_next_is_not() -> None:
    assert justification_billing([MON], MON + timedelta(days=7), 7, False).accepted
    late = justification_billing([MON], MON + timedelta(days=8), 7, False)
    assert not late.accepted and late.waived == () and late.billed == (MON,)


def test_refusal_in_french_names_the_absence_and_the_delay() -> None:
    assert late_reason([date(2026, 11, 10)], date(2026, 11, 20), 7) == (
        "justificatif reçu le 20/11/2026 : le délai de 7 jours après l'absence du 10/11/2026 est dépassé")
    assert late_reason(WEEK[:3], date(2026, 11, 30), 1) == (
        "justificatif reçu le 30/11/2026 : le délai de 1 jour après l'absence du 09/11/2026 au 11/11/2026"
        " est dépassé")


def test_the_delay_runs_from_the_last_day_of_the_illness() -> None:
    # Five days of illness, certificate brought 7 days after the Friday: in time.
    assert justification_billing(WEEK, WEEK[-1] + timedelta(days=7), 7, False).accepted


def test_jour_de_carence_bills_the_first_day_only() -> None:
    b = justification_billing(list(reversed(WEEK)), date(2026, 11, 13), 7, True)
    assert b.billed == (MON,) and b.waived == tuple(WEEK[1:])


def test_carence_on_a_one_day_illness_bills_it() -> None:
    b = justification_billing([MON], MON, 7, True)
    assert b.accepted and b.billed == (MON,) and b.waived == ()


def test_a_certificate_before_the_absence_is_in_time() -> None:
    # A planned hospitalisation is announced before it happens.
    assert justification_billing(WEEK, MON - timedelta(days=10), 7, False).accepted


def test_illnesses_are_split_by_a_booked_day_not_among_the_absences() -> None:
    # Booked Mon, Tue, Thu, Fri (no Wednesday): Mon-Tue and Thu-Fri absent are one illness...
    booked = [WEEK[0], WEEK[1], WEEK[3], WEEK[4]]
    assert split_illnesses([WEEK[0], WEEK[1], WEEK[3], WEEK[4]], booked) == [booked]
    # ...but back at school on Tuesday: two illnesses, each with its carence day.
    assert split_illnesses([WEEK[0], WEEK[3]], booked) == [[WEEK[0]], [WEEK[3]]]
    # A week-end does not end an illness.
    nxt = WEEK[0] + timedelta(days=7)
    assert split_illnesses([WEEK[4], nxt], [WEEK[4], nxt]) == [[WEEK[4], nxt]]


def test_state_labels() -> None:
    assert state_label(None) == "réservé"
    assert state_label("present") == "présent"
    assert state_label("absent") == "absent"
    assert state_label("absent_justifie", billed=True) == "absence justifiée"
    assert state_label("absent_justifie", billed=False) == WAIVED_LABEL == "absence justifiée — non facturée"
    assert state_label("present_non_inscrit") == "présent non inscrit"


@given(days_st, st.dates(min_value=date(2025, 12, 1), max_value=date(2027, 2, 1)),
       st.integers(min_value=0, max_value=30), st.booleans())
def test_every_day_is_billed_or_waived_exactly_once(days: list[date], received: date, delay: int,
                                                     carence: bool) -> None:
    b = justification_billing(days, received, delay, carence)
    assert sorted(b.billed + b.waived) == sorted(days)
    assert not set(b.billed) & set(b.waived)


@given(days_st, st.dates(min_value=date(2025, 12, 1), max_value=date(2027, 2, 1)),
       st.integers(min_value=0, max_value=30), st.booleans())
def test_in_time_iff_received_by_last_day_plus_delay(days: list[date], received: date, delay: int,
                                                      carence: bool) -> None:
    b = justification_billing(days, received, delay, carence)
    assert b.accepted == (received <= max(days) + timedelta(days=delay))
    if not b.accepted:
        assert b.waived == () and b.refusal is not None and "est dépassé" in b.refusal
    elif carence:
        assert b.billed == (min(days),)
    else:
        assert b.billed == ()


@given(days_st, st.integers(min_value=0, max_value=30))
def test_carence_never_waives_more_than_without(days: list[date], delay: int) -> None:
    received = max(days)
    with_carence = justification_billing(days, received, delay, True)
    without = justification_billing(days, received, delay, False)
    assert len(with_carence.waived) == len(without.waived) - 1


@given(days_st, st.lists(st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31)), max_size=20))
def test_illnesses_partition_the_days_in_order(days: list[date], booked: list[date]) -> None:
    runs = split_illnesses(days, booked)
    flat = [d for run in runs for d in run]
    assert flat == sorted(days)
    for a, b in zip(runs, runs[1:], strict=False):
        # Two illnesses are separated by a booked day the child was not absent.
        assert any(a[-1] < x < b[0] and x not in days for x in booked)


def test_an_illness_that_goes_on_has_no_second_carence_day() -> None:
    b = justification_billing(WEEK[3:], WEEK[4], 7, True, continues=True)
    assert b.billed == () and b.waived == tuple(WEEK[3:])
