"""PDF statements: text read back with pypdf (totals, accents, €, œ), pages, headers."""

from __future__ import annotations

import io
from datetime import date, datetime

from pypdf import PdfReader

from portail_tui.clock import PARIS
from portail_tui.exports import fonts
from portail_tui.exports import pdf as pdf_mod
from portail_tui.exports.pdf import render_pdf
from portail_tui.exports.tables import Column, Report, ReportTable
from portail_tui.services import history as h
from portail_tui.services.context import Context
from tests.support.history_town import REGIE_NAME, build

EDITED = datetime(2026, 11, 28, 10, 5, tzinfo=PARIS)
NOV = h.Month(2026, 11)


def _pages(data: bytes) -> list[str]:
    assert data.startswith(b"%PDF-")
    # Amounts use no-break spaces ("1 234,50 €"): compare with plain spaces.
    return [p.extract_text().replace("\xa0", " ").replace("\u202f", " ")
            for p in PdfReader(io.BytesIO(data)).pages]


def _report(rows: int, *, name: str = "Chloé") -> Report:
    table = ReportTable(
        [Column("Date", "date"), Column("Enfant"), Column("Activité", width=3.5), Column("Prix", "amount")],
        [[date(2026, 11, 1 + i % 28), name, f"RESTAURANT SCOLAIRE n°{i}", 350] for i in range(rows)],
        totals=[["Total général", None, None, 350 * rows]],
    )
    return Report(title="Relevé des consommations", regie=REGIE_NAME, subtitle="Famille LEFÈVRE — n° 000123",
                  period_label="Novembre 2026", tables=[("Consommations", table)],
                  notes=["Cœur de l'œuvre : 12,50 € déjà réglés."], edited_at=EDITED)


def test_one_page_statement_with_accents_totals_and_footer() -> None:
    [page] = _pages(render_pdf(_report(12)))
    for expected in (REGIE_NAME, "Famille LEFÈVRE — n° 000123", "Relevé des consommations", "Novembre 2026",
                     "Chloé", "Total général", "42,00 €", "Cœur de l'œuvre : 12,50 €",
                     "Édité le 28/11/2026 à 10:05", "page 1/1"):
        assert expected in page, expected


def test_long_table_repeats_its_header_on_every_page() -> None:
    pages = _pages(render_pdf(_report(130)))
    total = len(pages)
    assert total >= 3
    for number, text in enumerate(pages, start=1):
        assert "Date Enfant Activité Prix" in text
        assert f"page {number}/{total}" in text
    assert "Consommations (suite)" in pages[1]
    assert "RESTAURANT SCOLAIRE n°129" in pages[-1] and "455,00 €" in pages[-1]
    # Every row is printed exactly once across the pages.
    joined = "\n".join(pages)
    assert all(joined.count(f"SCOLAIRE n°{i} ") + joined.count(f"SCOLAIRE n°{i}\n") == 1 for i in range(130))


def test_same_report_gives_the_same_bytes() -> None:
    assert render_pdf(_report(5)) == render_pdf(_report(5))


def test_long_cells_are_cut_with_an_ellipsis() -> None:
    [page] = _pages(render_pdf(_report(1, name="Marie-Bérénice-Anne-Sophie-Clémentine de la Tour d'Auvergne")))
    assert "…" in page
    assert "Auvergne" not in page


def test_non_latin_text_falls_back_to_the_full_font() -> None:
    report = _report(2, name="Ἀλέξανδρος")  # Greek is not in the Latin subset
    assert not fonts.fits_latin(pdf_mod._report_strings(report))
    data = render_pdf(report)
    assert "Ἀλέξανδρος" in _pages(data)[0]
    assert len(data) < 80_000  # the full font is subset to the glyphs used, not embedded whole
    assert fonts.fits_latin(pdf_mod._report_strings(_report(2)))


def test_latin_font_is_embedded_whole_once_per_process() -> None:
    assert fonts._SHIM  # fpdf2 is laid out as expected: embedding skips fontTools
    first, second = render_pdf(_report(1)), render_pdf(_report(3, name="Zoé-Œdipe"))
    assert "Zoé-Œdipe" in _pages(second)[0]
    assert list(fonts._EMBEDDED) == [fonts.FONT_DIR / fonts.LATIN_FONT]
    # Other fonts still go through fontTools: a core-font free fpdf2 document is unaffected.
    from fpdf import FPDF

    other = FPDF()
    other.add_font("Plain", "", str(fonts.full_font_files()[""]))
    other.add_page()
    other.set_font("Plain", "", 12)
    other.cell(text="Bonjour œ €")
    assert "Bonjour œ €" in PdfReader(io.BytesIO(bytes(other.output()))).pages[0].extract_text()
    assert first != second


def test_consumption_statement_pdf(ctx: Context) -> None:
    data = build(ctx.db)
    actx = ctx.as_actor(data.actor)
    hist = h.consumption_history(actx, data.family_id, NOV)
    out = h.consumptions_file(actx, hist, "pdf")
    assert out.filename == "releve-consommations-000123-2026-11.pdf"
    [page] = _pages(out.data)  # a month of one family fits on one page
    assert "Total RESTAURANT SCOLAIRE (5) 17,50 €" in page
    assert "Total des consommations 24,00 €" in page
    assert "à venir" in page and "annulé" in page
    assert "(aujourd'hui + 15 jours), dont 3,50 € à venir ;" in page


def test_payment_history_pdf(ctx: Context) -> None:
    data = build(ctx.db)
    actx = ctx.as_actor(data.actor)
    hist = h.payment_history(actx, data.family_id, NOV)
    [page] = _pages(h.payments_file(actx, hist, "pdf").data)
    assert "Historique des règlements" in page
    assert "annulé par la quittance n° 43" in page
    assert "-60,00 €" in page
    assert "Total du mois (4 opérations) 65,00 €" in page
