"""`portail export repas|emargement|caf`: the service-day lists from a shell (SQLite;
the services are tested on both engines)."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

import portail_tui.cli  # noqa: F401  (registers every command)
from portail_tui.cli.base import app
from portail_tui.db import Database
from tests.support import service_day_town as sd

runner = CliRunner()
THU = date(2026, 11, 26)


@pytest.fixture
def town(sqlite_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    dt = sd.build(sqlite_db)
    for child in ("Léa", "Jade", "Hugo"):
        sd.book(sqlite_db, dt, child, "RS", THU)
        sd.book(sqlite_db, dt, child, "APSS", THU)
    monkeypatch.setenv("PORTAIL_EXPORTS_DIR", str(tmp_path / "exports"))
    monkeypatch.delenv("PORTAIL_DATABASE_URL", raising=False)
    return sqlite_db.url


def run(url: str, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["--db", url, "--today", "2026-11-28", "export", *args])


def test_repas_csv_on_stdout_and_week_pdf(town: str, tmp_path: Path) -> None:
    res = run(town, "repas", "--date", "26/11/2026", "--sortie", "-")
    assert res.exit_code == 0, res.output
    assert "26/11/2026;École Pasteur;0;0;1;1;2" in res.output
    assert "26/11/2026;École Jules Ferry;1;0;0;0;1" in res.output
    res = run(town, "repas", "--date", "24/11/2026", "--semaine")
    assert res.exit_code == 0, res.output
    path = tmp_path / "exports" / "repas-semaine-2026-11-23.pdf"
    assert "Repas à préparer" in PdfReader(io.BytesIO(path.read_bytes())).pages[0].extract_text()


def test_emargement_pdf(town: str, tmp_path: Path) -> None:
    out = tmp_path / "f.pdf"
    res = run(town, "emargement", "--date", "26/11/2026", "--activite", "APSS", "--ecole", "PA",
              "--sortie", str(out))
    assert res.exit_code == 0, res.output
    text = PdfReader(io.BytesIO(out.read_bytes())).pages[0].extract_text()
    assert "DURAND Jade" in text and "PETIT Hugo" in text and "MARTIN" not in text


def test_caf_csv(town: str, tmp_path: Path) -> None:
    res = run(town, "caf", "--mois", "2026-11")
    assert res.exit_code == 0, res.output
    text = (tmp_path / "exports" / "heures-caf-2026-11.csv").read_bytes().decode("utf-8-sig")
    assert text.splitlines()[-1] == "Total;;0;0,00;6,00"  # three APS SOIR booked, none marked


@pytest.mark.parametrize("args, message", [
    (("repas", "--date", "31/02/2026"), "Date invalide pour --date"),
    (("emargement", "--date", "26/11/2026", "--activite", "NOPE"), "Activité inconnue : « NOPE »."),
    (("emargement", "--date", "26/11/2026", "--activite", "APSS", "--ecole", "ZZ"), "École inconnue"),
    (("caf", "--mois", "13-2026"), "Mois invalide"),
])
def test_refusals_in_one_french_line(town: str, args: tuple[str, ...], message: str) -> None:
    res = run(town, *args)
    assert res.exit_code == 1
    assert message in res.output
