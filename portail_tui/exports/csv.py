"""CSV that French spreadsheets open correctly: semicolons, UTF-8 with a BOM (so Excel
detects the encoding), amounts "12,50", dates "28/11/2026", CRLF line ends."""

from __future__ import annotations

import csv as _csv
import io
from collections.abc import Iterable, Iterator

from portail_tui.exports.tables import Column, Report, ReportTable, format_cell

BOM = b"\xef\xbb\xbf"

# Text starting with these would be run as a formula by a spreadsheet (CSV injection);
# a leading apostrophe keeps it text. Amounts are never touched ("-12,50" stays a number).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe_text(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def _cells(columns: list[Column], row: list[object]) -> list[str]:
    cells = []
    for col, value in zip(columns, row, strict=True):
        text = format_cell(value, col.kind, plain=True)
        if col.kind == "text" or isinstance(value, str):
            text = _safe_text(text)
        cells.append(text)
    return cells


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
    pending = 0
    first = True
    for row in rows:
        writer.writerow(_cells(columns, row))
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
