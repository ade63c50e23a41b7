"""PDF rendering of a `Report` with fpdf2 and the embedded DejaVu font (accents, €, œ).

Speed matters (a statement is printed while the family waits at the desk, and the
night batch prints the whole town): the font is read and parsed once per process,
and a Latin-only copy is embedded whole when the text fits in it (`exports.fonts`).
"""

from __future__ import annotations

from collections.abc import Iterator

from fpdf import FPDF
from fpdf.enums import TextMode

from portail_tui.domain.frdates import format_date_short
from portail_tui.exports.fonts import FAMILY, install_font, latin_font_files
from portail_tui.exports.tables import Column, Report, ReportTable, format_cell

# `latin_font_files` is imported from here by the CLI's batch (it preloads the font).
__all__ = ["latin_font_files", "render_pdf"]

# Page geometry (mm, A4 portrait).
MARGIN = 15.0
FOOTER_SPACE = 16.0
ROW_H = 5.0
HEADER_H = 6.0
SECTION_GAP = 4.0


def _report_strings(report: Report) -> Iterator[str]:
    yield from (report.title, report.regie, report.subtitle, report.period_label, *report.notes)
    for title, table in report.tables:
        yield title
        yield from (c.title for c in table.columns)
        for row in (*table.rows, *table.totals):
            for cell in row:
                if isinstance(cell, str):
                    yield cell


# --- layout --------------------------------------------------------------------------

LINE_W = 0.2  # mm, rules under the header and above totals
# Bold is drawn by stroking the regular font's outlines (PDF text render mode 2): one
# embedded font instead of two halves the per-document font work, the costliest part
# of a statement. The stroke, in points, grows with the size like DejaVu Bold's stems.
BOLD_STROKE_PER_PT = 0.045
# Text is near-black, never the fill colour: fpdf2 then wraps every text in q … Q, so
# the render mode and stroke width of a bold text never leak into the next one.
TEXT_GREY = 25


class _ReportPDF(FPDF):
    def __init__(self, report: Report) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.report = report
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(False)
        self.c_margin = 1.2
        install_font(self, _report_strings(report))
        self.set_font(FAMILY, "", 9)
        self.set_text_color(TEXT_GREY, TEXT_GREY, TEXT_GREY)
        self.set_fill_color(255, 255, 255)
        self.set_creation_date(report.edited_at)
        self.set_title(report.title)
        self.set_author(report.regie)
        self.set_creator("Portail Familles")
        self.set_producer("Portail Familles")
        edited = report.edited_at
        self.edition_text = (
            f"Édité le {format_date_short(edited)} à {edited.hour:02d}:{edited.minute:02d}"
        )

    @property
    def bottom_limit(self) -> float:
        return self.h - MARGIN - FOOTER_SPACE + 6

    def style(self, size: float, *, bold: bool = False) -> None:
        if size != self.font_size_pt:
            self.set_font(FAMILY, "", size)
        if bold:
            # fpdf2 writes line_width as is inside the text object, where it means points.
            self.set_line_width(round(BOLD_STROKE_PER_PT * size, 2))
            self.text_mode = TextMode.FILL_STROKE
        else:
            self.text_mode = TextMode.FILL

    def rule(self, y: float, grey: int) -> None:
        self.set_line_width(LINE_W)
        self.set_draw_color(grey, grey, grey)
        self.line(MARGIN, y, self.w - MARGIN, y)

    def put(self, x: float, y: float, w: float, h: float, text: str, align: str = "L") -> None:
        """Text in the box (x, y, w, h), cut to fit, vertically centred."""
        if not text:
            return
        text = _fit(self, text, w)
        if align == "L":
            tx = x + self.c_margin
        else:
            tw = _text_width(self, text)
            tx = x + w - self.c_margin - tw if align == "R" else x + (w - tw) / 2
        self.text(tx, y + 0.5 * h + 0.3 * self.font_size, text)

    # Called by fpdf2 on every page.
    def header(self) -> None:
        r = self.report
        x, y, epw = MARGIN, MARGIN, self.epw
        if self.page_no() == 1:
            self.style(12, bold=True)
            self.put(x, y, epw * 0.6, 6, r.regie)
            self.style(10)
            self.put(x + epw * 0.6, y, epw * 0.4, 6, r.subtitle, "R")
            y += 10
            self.style(15, bold=True)
            self.put(x, y, epw, 8, r.title)
            y += 8
            if r.period_label:
                self.style(11)
                self.put(x, y, epw, 6, r.period_label)
                y += 6
            y += 3
        else:
            self.style(8.5)
            left = " — ".join(p for p in (r.regie, r.subtitle) if p)
            self.put(x, y, epw * 0.55, 5, left)
            right = " — ".join(p for p in (r.title, r.period_label) if p)
            self.put(x + epw * 0.55, y, epw * 0.45, 5, right, "R")
            y += 7
        self.rule(y, 150)
        self.set_y(y + 2)

    def footer(self) -> None:
        y = self.h - MARGIN - 4
        self.rule(y - 1, 150)
        self.style(8)
        self.put(MARGIN, y, self.epw * 0.7, 5, self.edition_text)
        # `cell` (not `text`) is what substitutes the total page count for {nb}.
        self.set_xy(self.w - MARGIN - 22, y)
        self.cell(22, 5, f"page {self.page_no()}/{{nb}}")


def _text_width(pdf: FPDF, text: str) -> float:
    """Width in mm of `text` in the current font: the font's own advance widths, without
    the markdown and bidi machinery of `get_string_width` (tables measure every cell)."""
    font = pdf.current_font
    if font is None:  # pragma: no cover - a font is always set before drawing
        return pdf.get_string_width(text)
    return font.get_text_width(text, pdf.font_size_pt, None)[1] / pdf.k


def _fit(pdf: FPDF, text: str, width: float) -> str:
    """Cut `text` with an ellipsis so it holds on one line of `width` mm."""
    room = width - 2 * pdf.c_margin
    if _text_width(pdf, text) <= room:
        return text
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if _text_width(pdf, text[:mid].rstrip() + "…") <= room:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + "…"


def _wrap(pdf: FPDF, text: str, width: float) -> list[str]:
    """Greedy word wrap to `width` mm (a word longer than a line is cut by `_fit`)."""
    room = width - 2 * pdf.c_margin
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if current and _text_width(pdf, candidate) > room:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


def _widths(pdf: FPDF, columns: list[Column]) -> list[float]:
    total = sum(c.weight for c in columns) or 1.0
    return [pdf.epw * c.weight / total for c in columns]


def _table_header(pdf: _ReportPDF, columns: list[Column], widths: list[float]) -> None:
    pdf.style(8.5, bold=True)
    pdf.set_fill_color(225, 230, 238)
    x, y = pdf.l_margin, pdf.get_y()
    pdf.rect(x, y, sum(widths), HEADER_H, style="F")
    for col, w in zip(columns, widths, strict=True):
        pdf.put(x, y, w, HEADER_H, col.title, col.alignment)
        x += w
    pdf.set_y(y + HEADER_H)
    pdf.set_fill_color(244, 246, 249)
    pdf.style(8.5)


def _row(pdf: _ReportPDF, table: ReportTable, widths: list[float], row: list[object], *, fill: bool) -> None:
    """One line; a text cell followed by empty cells runs over them ("Total général")."""
    columns = table.columns
    x, y = pdf.l_margin, pdf.get_y()
    if fill:
        pdf.rect(x, y, sum(widths), ROW_H, style="F")
    i, n = 0, len(columns)
    while i < n:
        value, col, w = row[i], columns[i], widths[i]
        j = i + 1
        align = col.alignment
        if isinstance(value, str):
            while j < n and row[j] is None:
                w += widths[j]
                j += 1
            if j > i + 1:
                align = "L"
        if value is not None:
            pdf.put(x, y, w, ROW_H, format_cell(value, col.kind, plain=False), align)
        x += w
        i = j
    pdf.set_y(y + ROW_H)


def _section_title(pdf: _ReportPDF, text: str, size: float, height: float) -> None:
    pdf.style(size, bold=True)
    y = pdf.get_y()
    pdf.put(pdf.l_margin, y, pdf.epw, height, text)
    pdf.set_y(y + height)


def _section(pdf: _ReportPDF, title: str, table: ReportTable) -> None:
    widths = _widths(pdf, table.columns)
    # Keep the section title with its header and at least one row.
    needed = (7 if title else 0) + HEADER_H + ROW_H
    if pdf.get_y() + needed > pdf.bottom_limit:
        pdf.add_page()
    if title:
        _section_title(pdf, title, 11, 7)
    _table_header(pdf, table.columns, widths)
    if not table.rows:
        y = pdf.get_y()
        pdf.put(pdf.l_margin, y, pdf.epw, ROW_H, "Aucune ligne.")
        pdf.set_y(y + ROW_H)
    for i, row in enumerate(table.rows):
        if pdf.get_y() + ROW_H > pdf.bottom_limit:
            pdf.add_page()
            if title:
                _section_title(pdf, f"{title} (suite)", 9.5, 6)
            _table_header(pdf, table.columns, widths)
        _row(pdf, table, widths, row, fill=i % 2 == 1)
    if table.totals:
        if pdf.get_y() + ROW_H * len(table.totals) + 1 > pdf.bottom_limit:
            pdf.add_page()
            _table_header(pdf, table.columns, widths)
        pdf.rule(pdf.get_y(), 90)
        pdf.set_y(pdf.get_y() + 0.6)
        pdf.style(8.5, bold=True)
        for row in table.totals:
            _row(pdf, table, widths, row, fill=False)
        pdf.style(8.5)
    pdf.set_y(pdf.get_y() + SECTION_GAP)


def _notes(pdf: _ReportPDF, notes: list[str]) -> None:
    pdf.style(9)
    for note in notes:
        lines = _wrap(pdf, note, pdf.epw)
        if pdf.get_y() + 5 * len(lines) > pdf.bottom_limit:
            pdf.add_page()
            pdf.style(9)
        for line in lines:
            y = pdf.get_y()
            pdf.put(pdf.l_margin, y, pdf.epw, 5, line)
            pdf.set_y(y + 5)


def render_pdf(report: Report) -> bytes:
    """The report as a PDF document (A4 portrait)."""
    pdf = _ReportPDF(report)
    pdf.add_page()
    for title, table in report.tables:
        _section(pdf, title, table)
    if report.notes:
        _notes(pdf, report.notes)
    return bytes(pdf.output())
