"""PDF rendering of a `Report` with fpdf2 and the embedded DejaVu font (accents, €, œ).

Speed matters (a statement is printed while the family waits at the desk, and the
night batch prints the whole town): loading and subsetting the full DejaVu font costs
~100 ms per document, so a Latin-only copy of the font (≈ 1 000 glyphs instead of
6 000) is made once per machine in a cache folder and used whenever the report's text
fits in it; any other character falls back to the full font.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from fpdf import FPDF

from portail_tui.config import PROJECT_DIR
from portail_tui.domain.frdates import format_date_short
from portail_tui.exports.tables import Column, Report, ReportTable, format_cell

FONT_DIR = PROJECT_DIR / "data" / "fonts"
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
FAMILY = "DejaVu"

# What French statements need, and then some: Latin-1, Latin Extended-A (names from
# most of Europe), the usual punctuation (spaces incl. the narrow no-break space,
# dashes, quotes, ellipsis, per mille, guillemets), €, №, ™, minus sign. Fewer glyphs
# make each document's subsetting faster; anything else uses the full font.
LATIN_RANGES: tuple[tuple[int, int], ...] = (
    (0x20, 0x7E), (0xA0, 0x17F), (0x2000, 0x200B), (0x2010, 0x2027), (0x202F, 0x2030),
    (0x2039, 0x203A), (0x20AC, 0x20AC), (0x2116, 0x2116), (0x2122, 0x2122), (0x2212, 0x2212),
)
_LATIN_CODEPOINTS = frozenset(cp for lo, hi in LATIN_RANGES for cp in range(lo, hi + 1))
_CACHE_VERSION = "2"

# Page geometry (mm, A4 portrait).
MARGIN = 15.0
FOOTER_SPACE = 16.0
ROW_H = 5.6
HEADER_H = 6.4
SECTION_GAP = 4.0

# fontTools reports every table it drops while subsetting; nothing a person can act on.
logging.getLogger("fontTools").setLevel(logging.ERROR)
logging.getLogger("fpdf").setLevel(logging.ERROR)


# --- fonts -------------------------------------------------------------------------


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "portail-tui" / "fonts"


def _reduce_font(source: Path, target: Path) -> None:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    # fpdf2 does no shaping without HarfBuzz and drops layout tables when it embeds:
    # keep only outlines and metrics.
    options.layout_features = []
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.hinting = False
    options.drop_tables += ["FFTM", "GDEF", "GPOS", "GSUB", "kern", "hdmx", "LTSH", "VDMX"]
    font = TTFont(str(source))
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(_LATIN_CODEPOINTS))
    subsetter.subset(font)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            font.save(fh)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@lru_cache(maxsize=1)
def latin_font_files() -> dict[str, Path] | None:
    """Paths of the Latin-only fonts, made on first use; None if they cannot be made
    (read-only home…), in which case the full fonts are used."""
    out: dict[str, Path] = {}
    try:
        for style, name in FONT_FILES.items():
            source = FONT_DIR / name
            st = source.stat()
            key = hashlib.sha1(f"{_CACHE_VERSION}:{name}:{st.st_size}:{st.st_mtime_ns}".encode()).hexdigest()[:12]
            target = _cache_dir() / f"{source.stem}-latin-{key}.ttf"
            if not target.exists():
                _reduce_font(source, target)
            out[style] = target
    except Exception:  # noqa: BLE001 - any failure just means "use the full font"
        return None
    return out


def full_font_files() -> dict[str, Path]:
    return {style: FONT_DIR / name for style, name in FONT_FILES.items()}


def _report_strings(report: Report) -> Iterator[str]:
    yield from (report.title, report.regie, report.subtitle, report.period_label, *report.notes)
    for title, table in report.tables:
        yield title
        yield from (c.title for c in table.columns)
        for row in (*table.rows, *table.totals):
            for cell in row:
                if isinstance(cell, str):
                    yield cell


def _fonts_for(report: Report) -> dict[str, Path]:
    latin = latin_font_files()
    if latin is None:
        return full_font_files()
    for text in _report_strings(report):
        if not all(ord(ch) in _LATIN_CODEPOINTS for ch in text if ch >= " "):
            return full_font_files()
    return latin


# --- layout --------------------------------------------------------------------------


class _ReportPDF(FPDF):
    def __init__(self, report: Report) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.report = report
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(False)
        self.c_margin = 1.2
        for style, path in _fonts_for(report).items():
            self.add_font(FAMILY, style, str(path))
            # Outlines are embedded unchanged: recomputing every glyph's bounding box
            # when the subset is saved only costs time (a third of the document's).
            self.fonts[f"{FAMILY.lower()}{style}"].ttfont.recalcBBoxes = False
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

    # Called by fpdf2 on every page.
    def header(self) -> None:
        r = self.report
        if self.page_no() == 1:
            self.set_font(FAMILY, "B", 12)
            self.cell(self.epw * 0.6, 6, _fit(self, r.regie, self.epw * 0.6))
            self.set_font(FAMILY, "", 10)
            self.cell(self.epw * 0.4, 6, _fit(self, r.subtitle, self.epw * 0.4), align="R",
                      new_x="LMARGIN", new_y="NEXT")
            self.ln(4)
            self.set_font(FAMILY, "B", 15)
            self.cell(self.epw, 8, _fit(self, r.title, self.epw), new_x="LMARGIN", new_y="NEXT")
            if r.period_label:
                self.set_font(FAMILY, "", 11)
                self.cell(self.epw, 6, _fit(self, r.period_label, self.epw), new_x="LMARGIN", new_y="NEXT")
            self.ln(3)
        else:
            self.set_font(FAMILY, "", 8.5)
            left = " — ".join(p for p in (r.regie, r.subtitle) if p)
            self.cell(self.epw * 0.55, 5, _fit(self, left, self.epw * 0.55))
            right = " — ".join(p for p in (r.title, r.period_label) if p)
            self.cell(self.epw * 0.45, 5, _fit(self, right, self.epw * 0.45), align="R",
                      new_x="LMARGIN", new_y="NEXT")
            self.ln(2)
        self.set_draw_color(150, 150, 150)
        self.line(MARGIN, self.get_y(), self.w - MARGIN, self.get_y())
        self.ln(2)

    def footer(self) -> None:
        self.set_y(-MARGIN - 4)
        self.set_font(FAMILY, "", 8)
        self.set_draw_color(150, 150, 150)
        self.line(MARGIN, self.get_y() - 1, self.w - MARGIN, self.get_y() - 1)
        self.cell(self.epw * 0.7, 5, self.edition_text)
        self.set_x(self.w - MARGIN - 22)
        self.cell(22, 5, f"page {self.page_no()}/{{nb}}", align="L")


def _fit(pdf: FPDF, text: str, width: float) -> str:
    """Cut `text` with an ellipsis so it holds on one line of `width` mm."""
    room = width - 2 * pdf.c_margin
    if pdf.get_string_width(text) <= room:
        return text
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if pdf.get_string_width(text[:mid].rstrip() + "…") <= room:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + "…"


def _widths(pdf: FPDF, columns: list[Column]) -> list[float]:
    total = sum(c.weight for c in columns) or 1.0
    return [pdf.epw * c.weight / total for c in columns]


def _table_header(pdf: _ReportPDF, columns: list[Column], widths: list[float]) -> None:
    pdf.set_font(FAMILY, "B", 8.5)
    pdf.set_fill_color(225, 230, 238)
    for col, w in zip(columns, widths, strict=True):
        pdf.cell(w, HEADER_H, _fit(pdf, col.title, w), align=col.alignment, fill=True)
    pdf.ln(HEADER_H)


def _row(pdf: _ReportPDF, table: ReportTable, widths: list[float], row: list[object], *, fill: bool) -> None:
    """One line; a text cell followed by empty cells runs over them ("Total général")."""
    columns = table.columns
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
        if value is None:
            pdf.cell(w, ROW_H, "", fill=fill)
        else:
            text = format_cell(value, col.kind, plain=False)
            pdf.cell(w, ROW_H, _fit(pdf, text, w), align=align, fill=fill)
        i = j
    pdf.ln(ROW_H)


def _section(pdf: _ReportPDF, title: str, table: ReportTable) -> None:
    widths = _widths(pdf, table.columns)
    # Keep the section title with its header and at least one row.
    needed = (7 if title else 0) + HEADER_H + ROW_H
    if pdf.get_y() + needed > pdf.bottom_limit:
        pdf.add_page()
    if title:
        pdf.set_font(FAMILY, "B", 11)
        pdf.cell(pdf.epw, 7, _fit(pdf, title, pdf.epw), new_x="LMARGIN", new_y="NEXT")
    _table_header(pdf, table.columns, widths)
    pdf.set_fill_color(244, 246, 249)
    pdf.set_font(FAMILY, "", 8.5)
    if not table.rows:
        pdf.set_font(FAMILY, "", 8.5)
        pdf.cell(pdf.epw, ROW_H, "Aucune ligne.", new_x="LMARGIN", new_y="NEXT")
    for i, row in enumerate(table.rows):
        if pdf.get_y() + ROW_H > pdf.bottom_limit:
            pdf.add_page()
            if title:
                pdf.set_font(FAMILY, "B", 9.5)
                pdf.cell(pdf.epw, 6, _fit(pdf, f"{title} (suite)", pdf.epw), new_x="LMARGIN", new_y="NEXT")
            _table_header(pdf, table.columns, widths)
            pdf.set_fill_color(244, 246, 249)
            pdf.set_font(FAMILY, "", 8.5)
        _row(pdf, table, widths, row, fill=i % 2 == 1)
    if table.totals:
        if pdf.get_y() + ROW_H * len(table.totals) + 1 > pdf.bottom_limit:
            pdf.add_page()
            _table_header(pdf, table.columns, widths)
        pdf.set_draw_color(90, 90, 90)
        pdf.line(MARGIN, pdf.get_y(), pdf.w - MARGIN, pdf.get_y())
        pdf.ln(0.6)
        pdf.set_font(FAMILY, "B", 8.5)
        for row in table.totals:
            _row(pdf, table, widths, row, fill=False)
    pdf.ln(SECTION_GAP)


def _notes(pdf: _ReportPDF, notes: list[str]) -> None:
    pdf.set_font(FAMILY, "", 9)
    for note in notes:
        lines = pdf.multi_cell(pdf.epw, 5, note, dry_run=True, output="LINES")
        if pdf.get_y() + 5 * len(lines) > pdf.bottom_limit:
            pdf.add_page()
            pdf.set_font(FAMILY, "", 9)
        pdf.multi_cell(pdf.epw, 5, note, new_x="LMARGIN", new_y="NEXT")


def render_pdf(report: Report) -> bytes:
    """The report as a PDF document (A4 portrait)."""
    pdf = _ReportPDF(report)
    pdf.add_page()
    for title, table in report.tables:
        _section(pdf, title, table)
    if report.notes:
        _notes(pdf, report.notes)
    return bytes(pdf.output())
