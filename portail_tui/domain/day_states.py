"""Day states of the booking calendar (R5), for one child and one month.

The calendar widget only draws what this module decides: a state (open, pending,
waiting, closed, nothing, not yet open), the letters of what is booked, and a sentence in
words. Colour is never the only signal: every state also has a symbol and a word,
booked activities a letter, waiting-list ones a letter in parentheses.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from portail_tui.domain.booking_rules import (
    ActivityRule,
    PeriodRule,
    Places,
    RateRule,
    Refusal,
    Verdict,
    check_day,
    check_period,
    period_covers,
    rates_in_force,
)
from portail_tui.domain.frdates import capitalize_first, format_date_long
from portail_tui.domain.school_calendar import SchoolCalendar


class DayState(enum.Enum):
    OPEN = "open"  # green: at least one activity can be booked or changed
    PENDING = "pending"  # orange: changes in the cart, not yet validated
    WAITING = "waiting"  # orange too: a request on the waiting list (the guide's « demandes en cours »)
    CLOSED = "closed"  # red: no longer possible (deadline passed, full, past)
    NOTHING = "nothing"  # beige: no activity (week-end, holiday, closure…)
    NOT_YET_OPEN = "not_yet_open"  # grey: beyond the booking horizon (R1)


STATE_WORDS: dict[DayState, str] = {
    DayState.OPEN: "ouvert",
    DayState.PENDING: "en cours",
    DayState.WAITING: "demande en attente",
    DayState.CLOSED: "fermé",
    DayState.NOTHING: "aucune activité",
    DayState.NOT_YET_OPEN: "pas encore ouvert",
}

# One character per state, printed in the cell next to the day number.
STATE_SYMBOLS: dict[DayState, str] = {
    DayState.OPEN: "+",
    DayState.PENDING: "●",
    DayState.WAITING: "◐",
    DayState.CLOSED: "×",
    DayState.NOTHING: "·",
    DayState.NOT_YET_OPEN: "…",
}


@dataclass(frozen=True, slots=True)
class BookedMark:
    """A live booking shown in a cell: its activity's letter; waiting = en attente."""

    activity_id: int
    letter: str
    label: str
    waiting: bool = False
    sort_order: int = 0

    @property
    def text(self) -> str:
        return f"({self.letter})" if self.waiting else self.letter


@dataclass(frozen=True, slots=True)
class DayCell:
    day: date
    state: DayState
    booked: tuple[BookedMark, ...] = ()
    in_month: bool = True
    is_today: bool = False
    detail: str = ""

    @property
    def symbol(self) -> str:
        return STATE_SYMBOLS[self.state]

    @property
    def word(self) -> str:
        return STATE_WORDS[self.state]

    @property
    def letters(self) -> str:
        return " ".join(m.text for m in self.booked)

    @property
    def words(self) -> str:
        """The focused day in a sentence, shown under the grid."""
        parts = [f"{capitalize_first(format_date_long(self.day))} : {self.word}"]
        if self.detail:
            parts[0] += f" ({self.detail})"
        confirmed = [m.label for m in self.booked if not m.waiting]
        waiting = [m.label for m in self.booked if m.waiting]
        if confirmed:
            parts.append("réservé : " + ", ".join(confirmed))
        if waiting:
            parts.append("en liste d'attente : " + ", ".join(waiting))
        if self.is_today:
            parts.append("aujourd'hui")
        return " — ".join(parts)


def month_grid(year: int, month: int) -> list[list[date]]:
    """Monday-to-Friday weeks covering the month; the first and last weeks may show
    days of the neighbouring months (as the guide's grid does). A week whose five
    weekdays all fall outside the month is left out."""
    first = date(year, month, 1)
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    monday = first - timedelta(days=first.weekday())
    weeks: list[list[date]] = []
    while monday < nxt:
        week = [monday + timedelta(days=i) for i in range(5)]
        if any(d.month == month and d.year == year for d in week):
            weeks.append(week)
        monday += timedelta(days=7)
    return weeks


_CLOSED_PRIORITY = (Refusal.FULL, Refusal.DEADLINE, Refusal.WINDOW, Refusal.NO_RATE, Refusal.PAST)


def day_state(
    day: date,
    *,
    now: datetime,
    cal: SchoolCalendar,
    activities: Sequence[ActivityRule],
    booked: Sequence[BookedMark] = (),
    places: Mapping[int, Places] | None = None,
    rates: Mapping[int, Sequence[RateRule]] | None = None,
    periods: Sequence[PeriodRule] = (),
    period_places: Mapping[int, Places] | None = None,
    pending: bool = False,
    closure_reasons: Mapping[date, str] | None = None,
    in_month: bool = True,
) -> DayCell:
    """State of one day for one child.

    `places` maps activity id to that day's counter, `periods` are the periods
    covering the day (for period-booked activities), `booked` the child's live
    bookings that day (day or period ones)."""
    places = places or {}
    period_places = period_places or {}
    reasons = closure_reasons or {}
    booked_sorted = tuple(sorted(booked, key=lambda m: (m.sort_order, m.letter)))

    def cell(state: DayState, detail: str) -> DayCell:
        return DayCell(day, state, booked_sorted, in_month=in_month, is_today=day == now.date(), detail=detail)

    if pending:
        return cell(DayState.PENDING, "modifications à valider")

    verdicts: list[Verdict] = []
    first_refusal: Verdict | None = None
    closed_notes: list[str] = []  # activities closed that day while others run (G6)
    by_id = {a.id: a for a in activities}
    kind = cal.day_kind(day)  # once per day, not once per activity
    for act in activities:
        if act.by_period:
            continue
        has_rate = rates is None or bool(rates_in_force(rates.get(act.id, ()), day))
        verdict = check_day(act, day, now, cal, places=places.get(act.id), has_rate=has_rate,
                            closure_reasons=reasons, kind=kind)
        if verdict.refusal in (Refusal.NO_ACTIVITY, Refusal.CLOSED):
            if verdict.refusal is Refusal.CLOSED and act.closed_days.get(day) is not None:
                closed_notes.append(f"{act.label} {verdict.reason}")
            # A closure's reason says more than « pas d'activité ce jour »: it wins.
            if first_refusal is None or (verdict.refusal is Refusal.CLOSED
                                         and first_refusal.refusal is not Refusal.CLOSED):
                first_refusal = verdict
            continue
        verdicts.append(verdict)
    for period in periods:
        by_period = by_id.get(period.activity_id)
        if by_period is None or not period_covers(by_period, period, day, cal, kind):
            continue
        has_rate = rates is None or bool(rates_in_force(rates.get(by_period.id, ()), period.first_day))
        verdicts.append(check_period(by_period, period, now, places=period_places.get(period.id),
                                     has_rate=has_rate))

    if not verdicts:
        return cell(DayState.NOTHING, _nothing_detail(first_refusal))
    accepted = [v for v in verdicts if v.ok]
    if accepted:
        state, detail = DayState.OPEN, "complet : liste d'attente" if all(v.waiting for v in accepted) else ""
    else:
        state, detail = _refused(verdicts)
    if state is not DayState.NOT_YET_OPEN and day >= now.date() and any(m.waiting for m in booked_sorted):
        # A request still waiting for a place: orange, as the guide's « demandes en cours »
        # (a past day's request is over: that day stays closed).
        return cell(DayState.WAITING, "")
    return cell(state, detail or "; ".join(closed_notes))


def _nothing_detail(first_refusal: Verdict | None) -> str:
    """Why no activity runs: a closure's reason, or the kind of day (« férié : … »)."""
    if first_refusal is None:
        return ""
    if first_refusal.refusal is Refusal.CLOSED:
        return first_refusal.reason
    detail = first_refusal.reason.replace("pas d'activité ce jour (", "").rstrip(")")
    return "" if detail == "pas d'activité ce jour" else detail


def _refused(verdicts: list[Verdict]) -> tuple[DayState, str]:
    """Every activity refused: not yet open (R1) wins, then the most telling reason."""
    refusals = {v.refusal: v for v in verdicts}
    if Refusal.NOT_YET_OPEN in refusals:
        return DayState.NOT_YET_OPEN, refusals[Refusal.NOT_YET_OPEN].reason
    for code in _CLOSED_PRIORITY:
        if code in refusals:
            return DayState.CLOSED, "délai dépassé" if code is Refusal.DEADLINE else refusals[code].reason
    return DayState.CLOSED, verdicts[0].reason


def month_states(
    year: int,
    month: int,
    *,
    now: datetime,
    cal: SchoolCalendar,
    activities: Sequence[ActivityRule],
    booked: Mapping[date, Sequence[BookedMark]] | None = None,
    places: Mapping[tuple[int, date], Places] | None = None,
    rates: Mapping[int, Sequence[RateRule]] | None = None,
    periods: Sequence[PeriodRule] = (),
    period_places: Mapping[int, Places] | None = None,
    period_booked: Sequence[tuple[PeriodRule, BookedMark]] = (),
    pending_days: frozenset[date] | set[date] = frozenset(),
    closure_reasons: Mapping[date, str] | None = None,
) -> list[list[DayCell]]:
    """Every cell of the month grid (weeks × Monday–Friday), from data the service
    loaded in a handful of queries: the child's bookings of the month, the slots of
    the month, the periods overlapping it."""
    booked = booked or {}
    places = places or {}
    by_day_places: dict[date, dict[int, Places]] = {}
    for (activity_id, d), p in places.items():
        by_day_places.setdefault(d, {})[activity_id] = p
    by_id = {a.id: a for a in activities}
    weeks = []
    for week in month_grid(year, month):
        row = []
        for d in week:
            marks = list(booked.get(d, ()))
            for period, mark in period_booked:
                # The letter shows on the days the booking gives the child (the days
                # its price counts), not on a public holiday inside the period.
                act = by_id.get(mark.activity_id)
                if act is None or period_covers(act, period, d, cal):
                    marks.append(mark)
            covering = [p for p in periods if p.covers(d)]
            row.append(
                day_state(
                    d,
                    now=now,
                    cal=cal,
                    activities=activities,
                    booked=marks,
                    places=by_day_places.get(d),
                    rates=rates,
                    periods=covering,
                    period_places=period_places,
                    pending=d in pending_days,
                    closure_reasons=closure_reasons,
                    in_month=d.month == month,
                )
            )
        weeks.append(row)
    return weeks
