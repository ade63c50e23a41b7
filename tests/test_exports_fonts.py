"""The PDF fonts: shipped in the package, read once per process, never a cache on disk."""

from __future__ import annotations

import io
import shutil
import tomllib
from datetime import datetime
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader

import portail_tui
from portail_tui.clock import PARIS
from portail_tui.devtools.latin_font import reduce_font
from portail_tui.domain.cash_entries import Receipt
from portail_tui.exports import fonts
from portail_tui.exports.errors import ExportError
from portail_tui.exports.pdf import render_pdf
from portail_tui.exports.receipt import render_receipt
from portail_tui.exports.tables import Column, Report, ReportTable

ROOT = Path(__file__).resolve().parent.parent
EDITED = datetime(2026, 11, 28, 10, 5, tzinfo=PARIS)


def _report(name: str) -> Report:
    table = ReportTable([Column("Enfant"), Column("Prix", "amount")], [[name, 350]])
    return Report(title="Relevé des consommations", regie="Régie", edited_at=EDITED, tables=[("", table)])


def _receipt(payer: str) -> Receipt:
    return Receipt(payment_id=1, regie_name="SERVICES SCOLAIRES", regie_address="", receipt_number=7,
                   created_at=EDITED, business_day=EDITED.date(), family_id=1, family_number=123,
                   family_name="DUPONT", payer_name=payer, kind="payment", mode="especes", amount_cents=4050,
                   agent_name="Claire Martin")


def _text(pdf: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def test_fonts_ship_inside_the_package() -> None:
    package = Path(portail_tui.__file__).resolve().parent
    assert package / "fonts" == fonts.FONT_DIR
    for name in (fonts.FULL_FONT, fonts.LATIN_FONT, "LICENSE-DejaVu.txt"):
        assert (fonts.FONT_DIR / name).is_file(), name
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "fonts/*" in package_data["portail_tui"]


def test_shipped_latin_font_covers_exactly_the_latin_ranges_and_is_what_the_script_makes() -> None:
    shipped = (fonts.FONT_DIR / fonts.LATIN_FONT).read_bytes()
    assert set(TTFont(io.BytesIO(shipped)).getBestCmap()) == fonts.LATIN_CODEPOINTS
    # Regenerate with `python -m portail_tui.devtools.latin_font` when this fails.
    assert reduce_font(fonts.FONT_DIR / fonts.FULL_FONT) == shipped


def test_no_font_cache_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert "Chloé" in _text(render_pdf(_report("Chloé")))
    assert "Ἀλέξανδρος" in _text(render_receipt(_receipt("Ἀλέξανδρος")))
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def font_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The fonts in a folder of their own, as another installation's would be."""
    folder = tmp_path / "fonts"
    shutil.copytree(fonts.FONT_DIR, folder)
    monkeypatch.setattr(fonts, "FONT_DIR", folder)
    for cache in ("_BYTES", "_PROTOTYPES", "_EMBEDDED"):  # this process's, restored afterwards
        monkeypatch.setattr(fonts, cache, {})
    return folder


def test_documents_survive_the_font_files_going_away(font_copy: Path) -> None:
    """A redeploy deletes the files under a running session: the fonts were read once,
    later documents are made from memory."""
    assert "Chloé" in _text(render_pdf(_report("Chloé")))
    assert "Παπαδόπουλος" in _text(render_receipt(_receipt("Παπαδόπουλος")))
    shutil.rmtree(font_copy)
    for _ in range(2):
        assert "Zoé" in _text(render_pdf(_report("Zoé")))
        assert "Zoé" in _text(render_receipt(_receipt("Zoé")))
        assert "Ἀλέξανδρος" in _text(render_pdf(_report("Ἀλέξανδρος")))
        assert "Ἀλέξανδρος" in _text(render_receipt(_receipt("Ἀλέξανδρος")))


def test_a_missing_font_is_a_french_export_error(font_copy: Path) -> None:
    (font_copy / fonts.LATIN_FONT).unlink()
    with pytest.raises(ExportError, match="PDF impossible : la police DejaVuSans-Latin.ttf est illisible "
                                          r"\(dossier introuvable\)"):
        render_receipt(_receipt("Zoé"))
    with pytest.raises(ExportError, match="PDF impossible"):
        render_pdf(_report("Zoé"))
    # The full font was still there: a document that needs it is made.
    assert "Ἀλέξανδρος" in _text(render_pdf(_report("Ἀλέξανδρος")))
