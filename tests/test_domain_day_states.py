"""Day states of the calendar (R5): each state, its word and symbol, booked letters."""

from __future__ import annotations

from datetime import date, datetime

from portail_tui.clock import PARIS
from portail_tui.domain.booking_rules import Places, RateRule
from portail_tui.domain.day_states import (
    STATE_SYMBOLS,
    STATE_WORDS,
    BookedMark,
    DayState,
    day_state,
    month_grid,
    month_states,
)
from portail_tui.domain.school_calendar import SchoolCalendar
from tests.test_domain_booking_rules import APSF, APSM, APSS, CLM, CLV, NOEL, RS

CAL = SchoolCalendar("A")
NOW = datetime(2026, 11, 28, 10, 0, tzinfo=PARIS)
ALL = [RS, APSM, APSS, APSF, CLM, CLV]


def state(d: date, **kw):  # type: ignore[no-untyped-def]
    kw.setdefault("now", NOW)
    kw.setdefault("cal", CAL)
    kw.setdefault("activities", ALL)
    return day_state(d, **kw)


def test_every_state_has_a_word_and_a_distinct_symbol() -> None:
    assert set(STATE_WORDS) == set(DayState) == set(STATE_SYMBOLS)
    assert len(set(STATE_SYMBOLS.values())) == len(DayState)


def test_open_day() -> None:
    cell = state(date(2026, 12, 1))
    assert cell.state is DayState.OPEN and cell.symbol == "+"
    assert cell.words == "Mardi 1er décembre 2026 : ouvert"


def test_pending_wins() -> None:
    assert state(date(2026, 12, 1), pending=True).state is DayState.PENDING


def test_weekend_and_holiday_are_nothing() -> None:
    sat = state(date(2026, 11, 28))
    assert sat.state is DayState.NOTHING and sat.is_today
    xmas = state(date(2026, 12, 25))
    assert xmas.state is DayState.NOTHING and "Noël" in xmas.detail


def test_closure_is_nothing_with_reason() -> None:
    cal = SchoolCalendar("A", closures=frozenset({date(2026, 12, 4)}))
    cell = state(date(2026, 12, 4), cal=cal, closure_reasons={date(2026, 12, 4): "grève"})
    assert cell.state is DayState.NOTHING and cell.detail == "fermé ce jour (grève)"


def test_deadline_passed_is_closed_past_is_closed() -> None:
    friday = state(date(2026, 11, 27))
    assert friday.state is DayState.CLOSED and friday.detail == "jour passé"
    late = state(date(2026, 11, 30), now=datetime(2026, 11, 28, 18, 0, tzinfo=PARIS))
    assert late.state is DayState.CLOSED and late.detail == "délai dépassé"


def test_beyond_horizon_not_yet_open() -> None:
    cell = state(date(2027, 1, 29))
    assert cell.state is DayState.NOT_YET_OPEN and cell.detail.startswith("ouvre le")


def test_full_everywhere_without_waiting_list_is_closed() -> None:
    only = [RS.__class__(**{**{n: getattr(RS, n) for n in RS.__slots__}, "waiting_list": False})]
    cell = state(date(2026, 12, 1), activities=only, places={RS.id: Places(10, 10)})
    assert cell.state is DayState.CLOSED and cell.detail == "complet"
    waiting = state(date(2026, 12, 1), activities=[RS], places={RS.id: Places(10, 10)})
    assert waiting.state is DayState.OPEN and waiting.detail == "complet : liste d'attente"


def test_booked_letters_and_waiting_in_parentheses() -> None:
    marks = [BookedMark(3, "S", "APS SOIR", waiting=True, sort_order=3),
             BookedMark(1, "R", "RESTAURANT SCOLAIRE", sort_order=1)]
    cell = state(date(2026, 12, 1), booked=marks)
    assert cell.letters == "R (S)"
    assert "réservé : RESTAURANT SCOLAIRE" in cell.words
    assert "en liste d'attente : APS SOIR" in cell.words


def test_a_waiting_list_request_is_orange_until_the_day() -> None:
    """R5: orange = pending changes or requests; a waiting-list booking is a request."""
    marks = [BookedMark(3, "S", "APS SOIR", waiting=True)]
    cell = state(date(2026, 12, 1), booked=marks)
    assert cell.state is DayState.WAITING
    assert cell.words.endswith(": demande en attente — en liste d'attente : APS SOIR")
    late = state(date(2026, 11, 30), booked=marks, now=datetime(2026, 11, 28, 18, 0, tzinfo=PARIS))
    assert late.state is DayState.WAITING  # deadline passed: the request still stands
    assert state(date(2026, 11, 27), booked=marks).state is DayState.CLOSED  # a past day is over
    confirmed = state(date(2026, 12, 1), booked=[BookedMark(1, "R", "RESTAURANT SCOLAIRE")])
    assert confirmed.state is DayState.OPEN
    assert state(date(2026, 12, 1), booked=marks, pending=True).state is DayState.PENDING


def test_no_rate_makes_day_closed() -> None:
    cell = state(date(2026, 12, 1), activities=[RS], rates={RS.id: []})
    assert cell.state is DayState.CLOSED
    rated = state(date(2026, 12, 1), activities=[RS],
                  rates={RS.id: [RateRule(0, None, 300, date(2026, 9, 1))]})
    assert rated.state is DayState.OPEN


def test_holiday_days_follow_the_period_window() -> None:
    before = state(date(2026, 12, 22), periods=[NOEL])
    assert before.state is DayState.NOT_YET_OPEN
    during = state(date(2026, 12, 22), periods=[NOEL], now=datetime(2026, 12, 5, 9, tzinfo=PARIS))
    assert during.state is DayState.OPEN
    full = state(date(2026, 12, 22), periods=[NOEL], period_places={NOEL.id: Places(40, 40)},
                 now=datetime(2026, 12, 5, 9, tzinfo=PARIS))
    assert full.state is DayState.CLOSED


def test_month_grid_is_monday_to_friday() -> None:
    weeks = month_grid(2026, 12)
    assert weeks[0][0] == date(2026, 11, 30) and weeks[-1][-1] == date(2027, 1, 1)
    assert all(len(w) == 5 and all(d.weekday() < 5 for d in w) for w in weeks)
    # A month starting on a Saturday has no leading week of the previous month only.
    assert month_grid(2026, 8)[0][0] == date(2026, 8, 3)


def test_month_states_puts_period_letters_on_its_days() -> None:
    mark = BookedMark(CLV.id, "V", CLV.label)
    weeks = month_states(2026, 12, now=NOW, cal=CAL, activities=ALL, periods=[NOEL],
                         period_booked=[(NOEL, mark)], pending_days={date(2026, 12, 3)})
    cells = {c.day: c for w in weeks for c in w}
    assert cells[date(2026, 12, 22)].letters == "V"
    assert cells[date(2026, 12, 18)].letters == ""
    assert cells[date(2026, 12, 3)].state is DayState.PENDING
    assert not cells[date(2026, 11, 30)].in_month
    assert cells[date(2026, 12, 2)].state is DayState.OPEN  # Wednesday centre


def test_no_period_letter_on_a_public_holiday_inside_the_period() -> None:
    """The calendar showed « V » booked on 1 Nov 2027, a day the period's price does
    not count (issue 11): the letter now follows `period_covers`, like the price."""
    from tests.test_domain_booking_rules import TOUSSAINT_2027

    mark = BookedMark(CLV.id, "V", CLV.label)
    weeks = month_states(2027, 11, now=NOW, cal=CAL, activities=ALL, periods=[TOUSSAINT_2027],
                         period_booked=[(TOUSSAINT_2027, mark)])
    cells = {c.day: c for w in weeks for c in w}
    assert cells[date(2027, 11, 1)].letters == ""
    assert cells[date(2027, 11, 1)].state is DayState.NOTHING
    assert cells[date(2027, 11, 2)].letters == "V"
    assert cells[date(2027, 11, 8)].letters == ""  # back to school
