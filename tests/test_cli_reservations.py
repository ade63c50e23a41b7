"""`portail export reservations`: the suivi file from a shell, identical to the screen's."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

import portail_tui.cli  # noqa: F401  (registers every command)
from portail_tui.cli.base import app
from portail_tui.clock import PARIS, FixedClock
from portail_tui.db import Database
from portail_tui.services.booking import CartLine, suivi, suivi_file, validate_cart
from portail_tui.services.context import Context
from tests.support.booking_town import Town, build_town

runner = CliRunner()
FAR = date(2026, 12, 17)


@pytest.fixture
def town(sqlite_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Town]:
    t = build_town(sqlite_db)
    ctx = Context(db=sqlite_db, clock=FixedClock(datetime(2026, 11, 28, 10, 0, tzinfo=PARIS)), actor=t.agent)
    lines = [CartLine("book", t.children[c], t.activities[a], FAR) for c, a in
             (("Léa", "RS"), ("Léa", "APSS"), ("Noé", "RS"), ("Noé", "APSM"))]
    lines.append(CartLine("book", t.children["Léa"], t.activities["RS"], date(2026, 12, 1)))  # within 15 days
    validate_cart(ctx, t.families["MARTIN"], lines)
    monkeypatch.setenv("PORTAIL_EXPORTS_DIR", str(tmp_path / "exports"))
    monkeypatch.delenv("PORTAIL_DATABASE_URL", raising=False)
    return sqlite_db.url, t


def run(url: str, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["--db", url, "--today", "2026-11-28", "export", "reservations", *args])


def test_csv_to_a_file_equals_the_screen_export(town: tuple[str, Town], tmp_path: Path,
                                                sqlite_db: Database) -> None:
    url, t = town
    out = tmp_path / "suivi.csv"
    res = run(url, "--famille", "1", "--format", "csv", "--sortie", str(out))
    assert res.exit_code == 0, res.output
    assert "Fichier écrit" in res.output and "4 réservations" in res.output
    text = out.read_bytes().decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0] == "Date;Jour ou période;Enfant;Activité;Horaires;Statut;Tarif"
    assert "17/12/2026;jeudi;Léa;RESTAURANT SCOLAIRE;11h45–13h30;Confirmée;2,10" in lines
    assert lines[-1] == "Total;;;;;confirmées;7,20"
    assert "01/12/2026" not in text  # within the next 15 days: not in the suivi
    # The screen renders the same service result: byte for byte the same CSV.
    ctx = Context(db=sqlite_db, clock=FixedClock(datetime(2026, 11, 28, 15, 0, tzinfo=PARIS)), actor=t.agent)
    assert suivi_file(suivi(ctx, t.families["MARTIN"]), "csv").data == out.read_bytes()


def test_filters_to_stdout(town: tuple[str, Town]) -> None:
    url, _ = town
    res = run(url, "--famille", "000001", "--enfant", "noe", "--activite", "aps", "--sortie", "-")
    assert res.exit_code == 0, res.output
    rows = res.output.strip().splitlines()
    assert rows[1:] == ["17/12/2026;jeudi;Noé;APS MATIN;7h30–8h30;Confirmée;1,20", "Total;;;;;confirmées;1,20"]


def test_pdf_in_the_exports_folder(town: tuple[str, Town], tmp_path: Path) -> None:
    url, _ = town
    res = run(url, "--famille", "1")
    assert res.exit_code == 0, res.output
    path = tmp_path / "exports" / "suivi-reservations-000001-2026-11-28.pdf"
    text = PdfReader(io.BytesIO(path.read_bytes())).pages[0].extract_text()
    assert "Suivi des réservations" in text and "Famille MARTIN" in text
    assert "Réservations à partir du 14/12/2026" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--famille", "999"], "Famille inconnue"),
        (["--famille", "1", "--enfant", "Zoé"], "Aucun enfant « Zoé »"),
        (["--famille", "1", "--format", "xls"], "Format inconnu"),
        (["--famille", "1", "--format", "pdf", "--sortie", "-"], "n'accepte que le CSV"),
        (["--famille", "1", "--sortie", "/nulle/part/x.pdf"], "n'existe pas"),
    ],
)
def test_refusals_are_one_french_line(town: tuple[str, Town], args: list[str], message: str,
                                      tmp_path: Path) -> None:
    url, _ = town
    res = run(url, *args)
    assert res.exit_code == 1
    assert message in res.output
    assert not (tmp_path / "exports").exists() or not list((tmp_path / "exports").iterdir())
