"""The months a history covers (R9): the current month and the two before it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from portail_tui.domain.frdates import DateError, format_month, parse_month
from portail_tui.services.context import ServiceError

HISTORY_MONTHS = 3  # the current month and the two before it (R9)


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @property
    def key(self) -> str:
        """"2026-11": file names and the CLI's --mois."""
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        """"novembre 2026"."""
        return format_month(self.year, self.month)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def next_first_day(self) -> date:
        return date(self.year + 1, 1, 1) if self.month == 12 else date(self.year, self.month + 1, 1)

    def shifted(self, months: int) -> Month:
        index = self.year * 12 + (self.month - 1) + months
        return Month(index // 12, index % 12 + 1)

    @classmethod
    def of(cls, d: date) -> Month:
        return cls(d.year, d.month)


def history_months(today: date) -> list[Month]:
    """The months an agent may consult, newest first."""
    current = Month.of(today)
    return [current.shifted(-i) for i in range(HISTORY_MONTHS)]


def check_month(month: Month, today: date) -> Month:
    allowed = history_months(today)
    if month not in allowed:
        oldest, newest = allowed[-1], allowed[0]
        raise ServiceError(
            f"Mois non consultable : {month.label}. Les historiques couvrent le mois en cours et les "
            f"deux précédents ({oldest.label} à {newest.label}).",
            field="mois",
        )
    return month


def parse_history_month(text: str, today: date) -> Month:
    """A month typed by a person ("2026-11", "11/2026"), checked against R9's window."""
    try:
        year, month = parse_month(text)
    except DateError:
        raise ServiceError(
            f"Mois invalide : « {text} ». Utilisez AAAA-MM (par exemple {Month.of(today).key}).",
            field="mois",
        ) from None
    return check_month(Month(year, month), today)
