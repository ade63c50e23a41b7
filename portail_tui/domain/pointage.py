"""Marking the service day (P1, P3): when a day may be marked and by whom, what a mark
does to `billed`, the times of a late arrival or an early departure, the day whose
unmarked bookings the régisseur is told about the next morning (P6).

Pure: the services hand in today, the régie's deadline and the rows they read. Whether
a justified absence is billed is not decided here (that rule belongs to the
justification's module); a mark only keeps what the justification decided.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, time, timedelta

from portail_tui.domain.booking_rules import ActivityRule, operation_refusal
from portail_tui.domain.frdates import format_date_long, format_date_short
from portail_tui.domain.school_calendar import SchoolCalendar

PRESENT = "present"
ABSENT = "absent"
JUSTIFIED = "absent_justifie"
UNBOOKED = "present_non_inscrit"
#: The states a key of the Pointage screen sets on a booked child (« présent non
#: inscrit » is given by adding a child without booking, never by a key on a row).
MARKABLE_STATES = (PRESENT, ABSENT, JUSTIFIED)

RESERVED_LABEL = "réservé"
STATE_LABELS: dict[str | None, str] = {
    None: RESERVED_LABEL,
    PRESENT: "présent",
    ABSENT: "absent",
    JUSTIFIED: "absent justifié",
    UNBOOKED: "présent non inscrit",
}


def state_label(state: str | None) -> str:
    return STATE_LABELS.get(state, state or RESERVED_LABEL)


# ------------------------------------------------------------------ P3 window


class Window(enum.Enum):
    EARLY = "early"  # before the day: nothing happened yet
    OPEN = "open"  # from the day until the deadline: every agent
    LATE = "late"  # after the deadline: régisseur only


def marking_window(day: date, today: date, deadline_days: int) -> Window:
    """P3: marking opens on the day itself and stays open to every agent until
    `deadline_days` days after it (the seventh day after included for 7)."""
    if today < day:
        return Window.EARLY
    if today <= last_open_day(day, deadline_days):
        return Window.OPEN
    return Window.LATE


def last_open_day(day: date, deadline_days: int) -> date:
    return day + timedelta(days=max(0, deadline_days))


def early_refusal(day: date) -> str:
    return f"Le pointage du {format_date_long(day)} n'est possible qu'à partir de ce jour."


def late_refusal(day: date, deadline_days: int) -> str:
    return (f"Le délai de pointage du {format_date_long(day)} est passé (jusqu'au "
            f"{format_date_short(last_open_day(day, deadline_days))}, {deadline_days} jours après) : "
            "seul un régisseur peut encore le modifier.")


# ------------------------------------------------------------------ billed


def billed_after_mark(state: str, *, previous_billed: bool | None, justification_received_on: date | None) -> bool:
    """What a mark leaves in `billed` (P2). Présent, absent and présent non inscrit are
    billed. A justified absence stays as its justification decided when one was
    received (the justification's rule set `billed` then); without one it is billed
    until the justification arrives."""
    if state != JUSTIFIED:
        return True
    if justification_received_on is not None and previous_billed is not None:
        return previous_billed
    return True


# ------------------------------------------------------------------ times

_TIME_RE = re.compile(r"^\s*(\d{1,2})\s*(?:[:hH.]\s*(\d{2})?)?\s*$")
_COMPACT_RE = re.compile(r"^\s*(\d{3,4})\s*$")
TIME_MESSAGE = "Heure invalide : utilisez HH:MM (par exemple 17:30)."


class TimeError(ValueError):
    def __init__(self, message: str = TIME_MESSAGE) -> None:
        super().__init__(message)
        self.message = message


def parse_clock_time(text: str) -> time:
    """« 17:30 », « 17h30 », « 17h », « 1730 », « 8.05 » — as agents type a time."""
    compact = _COMPACT_RE.match(text or "")
    if compact:
        digits = compact.group(1).rjust(4, "0")
        hour, minute = int(digits[:2]), int(digits[2:])
    else:
        match = _TIME_RE.match(text or "")
        if not match:
            raise TimeError()
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if hour > 23 or minute > 59:
        raise TimeError()
    return time(hour, minute)


def hhmm(t: time | None) -> str:
    return "" if t is None else f"{t.hour:02d}:{t.minute:02d}"


def times_refusal(state: str, arrived_at: time | None, left_at: time | None,
                  start: time, end: time) -> str | None:
    """Why the times of a mark cannot be (French), None when they can: only a present
    child has them, inside the activity's hours, the arrival before the departure."""
    if arrived_at is None and left_at is None:
        return None
    if state not in (PRESENT, UNBOOKED):
        return "Une heure d'arrivée ou de départ ne se note que pour un enfant présent."
    hours = f"{hhmm(start)}–{hhmm(end)}"
    if arrived_at is not None and not start <= arrived_at <= end:
        return f"Arrivée à {hhmm(arrived_at)} : hors des horaires de l'activité ({hours})."
    if left_at is not None and not start <= left_at <= end:
        return f"Départ à {hhmm(left_at)} : hors des horaires de l'activité ({hours})."
    if arrived_at is not None and left_at is not None and left_at <= arrived_at:
        return f"Départ à {hhmm(left_at)} avant l'arrivée à {hhmm(arrived_at)}."
    return None


def times_label(arrived_at: time | None, left_at: time | None) -> str:
    """The Arrivée/Départ column: « arrivé 08:10 », « parti 17:05 », both, or nothing."""
    parts = []
    if arrived_at is not None:
        parts.append(f"arrivé {hhmm(arrived_at)}")
    if left_at is not None:
        parts.append(f"parti {hhmm(left_at)}")
    return " · ".join(parts)


# ------------------------------------------------------------------ P6


def previous_service_day(activities: Iterable[ActivityRule], today: date, cal: SchoolCalendar,
                         closure_reasons: Mapping[date, str] | None = None, *, look_back: int = 31) -> date | None:
    """The last day before today on which at least one activity ran: what « hier »
    means on a Monday morning (Friday) or after a holiday."""
    rules = list(activities)
    d = today - timedelta(days=1)
    for _ in range(look_back):
        if any(operation_refusal(r, d, cal, closure_reasons) is None for r in rules):
            return d
        d -= timedelta(days=1)
    return None


@dataclass(frozen=True)
class UnmarkedCount:
    activity_id: int
    label: str
    count: int


def unmarked_wording(day: date, today: date, counts: Iterable[UnmarkedCount]) -> str | None:
    """« 3 pointages non faits hier (RESTAURANT SCOLAIRE : 2, APS SOIR : 1) », None when
    every booking of the day was marked."""
    shown = [c for c in counts if c.count > 0]
    total = sum(c.count for c in shown)
    if total == 0:
        return None
    when = "hier" if day == today - timedelta(days=1) else f"le {format_date_long(day, year=False)}"
    noun = "pointage non fait" if total == 1 else "pointages non faits"
    detail = ", ".join(f"{c.label} : {c.count}" for c in shown)
    return f"{total} {noun} {when} ({detail})"
