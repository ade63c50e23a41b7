"""CSV that French spreadsheets open correctly: semicolons, UTF-8 with a BOM (so Excel
detects the encoding), amounts "12,50", dates "28/11/2026", CRLF line ends."""

from __future__ import annotations

import csv as _csv
import io
from collections.abc import Callable, Iterable, Iterator

from portail_tui.domain.money import format_amount_plain
from portail_tui.exports.tables import Column, Report, ReportTable, format_cell

BOM = b"\xef\xbb\xbf"

# Text starting with these would be run as a formula by a spreadsheet (CSV injection);
# a leading apostrophe keeps it text. Amounts are never touched ("-12,50" stays a number).
_FORMULA_START = frozenset("=+-@\t\r")


def _safe_text(text: str) -> str:
    return "'" + text if text and text[0] in _FORMULA_START else text


def _formatter(col: Column) -> Callable[[object], str]:
    """The cell formatter of one column, chosen once per table: a town-size CSV formats
    millions of cells. Same results as `format_cell(..., plain=True)` plus the formula
    guard on text."""
    kind = col.kind

    def generic(value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, str):
            return _safe_text(value)
        text = format_cell(value, kind, plain=True)
        return _safe_text(text) if kind == "text" else text

    if kind == "amount":
        def amount(value: object) -> str:
            if type(value) is int:
                return format_amount_plain(value)
            return generic(value)
        return amount
    if kind == "date":
        seen: dict[object, str] = {}  # a month has 31 dates, formatted once each

        def day(value: object) -> str:
            text = seen.get(value)
            if text is None:
                text = seen[value] = generic(value)
            return text
        return day
    if kind == "text":
        def text_cell(value: object) -> str:
            if type(value) is str:
                return "'" + value if value and value[0] in _FORMULA_START else value
            return generic(value)
        return text_cell
    return generic


def _cells(columns: list[Column], row: list[object]) -> list[str]:
    return [_formatter(col)(value) for col, value in zip(columns, row, strict=True)]


def _table_lines(table: ReportTable) -> list[list[str]]:
    lines = [[c.title for c in table.columns]]
    lines.extend(_cells(table.columns, row) for row in (*table.rows, *table.totals))
    return lines


def iter_csv(columns: list[Column], rows: Iterable[list[object]], *, bom: bool = True,
             batch: int = 5000) -> Iterator[bytes]:
    """The CSV of a table too big to hold in memory (a whole town's month), in chunks
    of `batch` rows: same format as `render_csv` of a one-table report."""
    out = io.StringIO()
    writer = _csv.writer(out, delimiter=";", lineterminator="\r\n", quoting=_csv.QUOTE_MINIMAL)
    writer.writerow([c.title for c in columns])
    formatters = [_formatter(col) for col in columns]
    pending = 0
    first = True
    for row in rows:
        writer.writerow([f(v) for f, v in zip(formatters, row, strict=True)])
        pending += 1
        if pending >= batch:
            data = out.getvalue().encode("utf-8")
            yield (BOM + data) if (first and bom) else data
            first = False
            out.seek(0)
            out.truncate()
            pending = 0
    data = out.getvalue().encode("utf-8")
    yield (BOM + data) if (first and bom) else data


def csv_text(data: Report | ReportTable) -> str:
    """The CSV as text without BOM (standard output, scripts).

    A report with one table gives just that table (header, rows, totals). With several
    tables, each is preceded by a line holding its section title and followed by an
    empty line, so a person can still read it in a spreadsheet."""
    out = io.StringIO()
    writer = _csv.writer(out, delimiter=";", lineterminator="\r\n", quoting=_csv.QUOTE_MINIMAL)
    if isinstance(data, ReportTable):
        writer.writerows(_table_lines(data))
        return out.getvalue()
    sections = data.tables
    if len(sections) == 1:
        writer.writerows(_table_lines(sections[0][1]))
        return out.getvalue()
    for i, (title, table) in enumerate(sections):
        if i:
            writer.writerow([])
        writer.writerow([_safe_text(title)])
        writer.writerows(_table_lines(table))
    return out.getvalue()


def render_csv(data: Report | ReportTable) -> bytes:
    """The CSV file content: UTF-8 with BOM."""
    return BOM + csv_text(data).encode("utf-8")
