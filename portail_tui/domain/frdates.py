"""French date and time wording, independent of the machine locale.

The counter machines may run with an English or C locale; agents and families
must still read "lundi 25 juillet 2022". ``strftime("%A")`` would follow the
locale, so names come from the tables below. Lower case is the French norm;
use ``capitalize_first`` at the start of a sentence or a title.
"""

from __future__ import annotations

import re
from datetime import date, datetime

__all__ = [
    "MONTHS",
    "WEEKDAYS",
    "WEEKDAYS_SHORT",
    "DateError",
    "capitalize_first",
    "format_date_long",
    "format_date_short",
    "format_datetime_short",
    "format_deadline",
    "format_month",
    "parse_date_fr",
    "parse_month",
]

MONTHS: tuple[str, ...] = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)
# Indexed by ``date.weekday()`` (Monday is 0), as French weeks start on Monday.
WEEKDAYS: tuple[str, ...] = (
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
)
# Calendar column headers, capitalised as in the guide's planning grid.
WEEKDAYS_SHORT: tuple[str, ...] = ("Lun", "Mar", "Mer", "Jeu", "Ven", "Sam", "Dim")

_DATE_MESSAGE = "Date invalide : utilisez JJ/MM/AAAA."
_MONTH_MESSAGE = "Mois invalide : utilisez AAAA-MM ou MM/AAAA."


class DateError(ValueError):
    """A refused date; ``str(error)`` is French and fit to show by the field."""

    def __init__(self, message: str = _DATE_MESSAGE) -> None:
        super().__init__(message)
        self.message = message


def _day_number(day: int) -> str:
    # French writes the first day of a month as an ordinal: "1er décembre".
    return "1er" if day == 1 else str(day)


def format_date_long(d: date, *, year: bool = True) -> str:
    """"lundi 25 juillet 2022"; without the year when context makes it obvious."""
    text = f"{WEEKDAYS[d.weekday()]} {_day_number(d.day)} {MONTHS[d.month - 1]}"
    return f"{text} {d.year}" if year else text


def format_date_short(d: date) -> str:
    """"25/07/2022": the form agents type and read on forms."""
    return f"{d.day:02d}/{d.month:02d}/{d.year:04d}"


def format_datetime_short(dt: datetime) -> str:
    """"25/07/2022 14:05" for logs and payment lists."""
    return f"{format_date_short(dt)} {dt.hour:02d}:{dt.minute:02d}"


def format_deadline(dt: datetime) -> str:
    """"mardi 24 novembre à 11h45": deadlines are told to families in words.

    Minutes are always written ("10h00") so deadlines line up in lists.
    """
    return f"{format_date_long(dt, year=False)} à {dt.hour}h{dt.minute:02d}"


def format_month(year: int, month: int) -> str:
    """"novembre 2026" for month headers and statements."""
    if not 1 <= month <= 12:
        raise DateError(_MONTH_MESSAGE)
    return f"{MONTHS[month - 1]} {year}"


def capitalize_first(s: str) -> str:
    """Upper-case only the first letter: ``str.capitalize`` would lower the rest."""
    return s[:1].upper() + s[1:]


_DMY_RE = re.compile(r"([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4}|[0-9]{2})")
_ISO_RE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")


def parse_date_fr(text: str) -> date:
    """Read "28/11/2026", "28/11/26" or "2026-11-28".

    Two-digit years are taken in 2000-2099: the application deals with
    school bookings, never with dates in the last century (birth dates of
    children included).
    """
    s = (text or "").strip()
    if m := _ISO_RE.fullmatch(s):
        y, mo, d = (int(g) for g in m.groups())
    elif m := _DMY_RE.fullmatch(s):
        d, mo = int(m.group(1)), int(m.group(2))
        y = int(m.group(3))
        if len(m.group(3)) == 2:
            y += 2000
    else:
        raise DateError(_DATE_MESSAGE)
    try:
        return date(y, mo, d)
    except ValueError:
        raise DateError(_DATE_MESSAGE) from None


_MONTH_ISO_RE = re.compile(r"([0-9]{4})-([0-9]{1,2})")
_MONTH_FR_RE = re.compile(r"([0-9]{1,2})/([0-9]{4})")


def parse_month(text: str) -> tuple[int, int]:
    """Read "2026-11" or "11/2026" as (year, month)."""
    s = (text or "").strip()
    if m := _MONTH_ISO_RE.fullmatch(s):
        y, mo = int(m.group(1)), int(m.group(2))
    elif m := _MONTH_FR_RE.fullmatch(s):
        mo, y = int(m.group(1)), int(m.group(2))
    else:
        raise DateError(_MONTH_MESSAGE)
    if not 1 <= mo <= 12 or y < 1:
        raise DateError(_MONTH_MESSAGE)
    return y, mo
