"""The neutral description of an export: columns, rows and totals, grouped in a report.

Every tab and every CLI command builds a `Report` (or a bare `ReportTable`) once and
hands it to the CSV and PDF renderers, so a file written from the screen is byte for
byte the one written by the CLI. Cells keep their native types (cents as `int`,
`date`, `datetime`) until a renderer formats them for its medium.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from portail_tui.domain.frdates import format_date_short, format_datetime_short
from portail_tui.domain.money import format_amount, format_amount_plain

ColumnKind = Literal["text", "amount", "date", "datetime", "int"]
Align = Literal["L", "C", "R"]

# Relative widths used when a column does not say: amounts and dates are narrow,
# free text takes the rest of the line.
_DEFAULT_WEIGHTS: dict[str, float] = {"text": 3.0, "amount": 1.5, "date": 1.4, "datetime": 2.0, "int": 1.0}


@dataclass(frozen=True)
class Column:
    """One column. `width` is a relative weight (the PDF spreads the page width over
    the weights); `align` is "L", "C" or "R" (default: numbers right, text left)."""

    title: str
    kind: ColumnKind = "text"
    width: float | None = None
    align: Align | None = None

    @property
    def weight(self) -> float:
        return self.width if self.width is not None else _DEFAULT_WEIGHTS[self.kind]

    @property
    def alignment(self) -> Align:
        if self.align is not None:
            return self.align
        return "R" if self.kind in ("amount", "int") else "L"


@dataclass
class ReportTable:
    """Rows are lists of cells in column order. A cell may be None (empty) or a str
    even in a typed column (e.g. "—"), which is then written as is. `totals` are
    rows rendered after the body, in bold in the PDF."""

    columns: list[Column]
    rows: list[list[object]]
    totals: list[list[object]] = field(default_factory=list)

    def __post_init__(self) -> None:
        width = len(self.columns)
        for row in (*self.rows, *self.totals):
            if len(row) != width:
                raise ValueError(f"row has {len(row)} cells, table has {width} columns: {row!r}")


@dataclass(kw_only=True)
class Report:
    """A printable document: who issues it (régie), about whom (subtitle, e.g.
    "Famille MARTIN — n° 000123"), what (title) and when (period_label), then
    sections (title + table) and free notes. `edited_at` is printed as the edition
    date and also fixes the PDF metadata date, so the same report gives the same bytes."""

    title: str
    regie: str
    edited_at: datetime
    subtitle: str = ""
    period_label: str = ""
    tables: list[tuple[str, ReportTable]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def format_cell(value: object, kind: ColumnKind, *, plain: bool) -> str:
    """A cell as text. `plain` is the spreadsheet form (CSV: "1234,50", no currency);
    otherwise the reading form (PDF, screen: "1 234,50 €")."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if kind == "amount" and isinstance(value, int) and not isinstance(value, bool):
        return format_amount_plain(value) if plain else format_amount(value)
    if isinstance(value, datetime):
        return format_datetime_short(value) if kind == "datetime" else format_date_short(value)
    if isinstance(value, date):
        return format_date_short(value)
    return str(value)
