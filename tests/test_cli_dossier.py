"""`portail export famille --famille NUM --sortie PATH` (right of access, B6)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from portail_tui.cli import app
from portail_tui.clock import FixedClock
from portail_tui.config import Settings
from portail_tui.db import Database, upgrade
from portail_tui.services import forms
from portail_tui.services.context import Context
from tests.support.dossier_town import SANTE, seed

runner = CliRunner()


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/cli.db"
    db = Database(url)
    upgrade(db)
    town = seed(Context(db=db, clock=FixedClock(), settings=Settings(database_url=url)))
    forms.submit(town.regisseur, town.lea, "sante", SANTE)
    db.dispose()
    return url


def _invoke(url: str, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["--db", url, "--today", "2026-11-28", "export", "famille", *args])


def test_export_writes_everything_as_json(url: str, tmp_path: Path) -> None:
    out = tmp_path / "famille.json"
    result = _invoke(url, "--famille", "1", "--sortie", str(out))
    assert result.exit_code == 0, result.output
    assert "000001" in result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["famille"]["name"] == "Lefèvre"
    assert {c["first_name"] for c in data["child"]} == {"Léa", "Noé"}
    sante = [f for f in data["form"] if f["kind"] == "sante" and f["status"] == "en_validation"]
    assert sante and sante[0]["data"]["medecin_traitant"] == "Dr Amélie Chassagne"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert any(a["action"] == "form.submit" for a in data["audit_log"])


def test_export_to_a_folder_and_to_stdout(url: str, tmp_path: Path) -> None:
    result = _invoke(url, "--famille", "000001", "--sortie", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "donnees-famille-000001.json").exists()
    result = _invoke(url, "--famille", "1", "--sortie", "-")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["famille"]["number"] == 1


def test_export_errors_are_one_french_line(url: str, tmp_path: Path) -> None:
    result = _invoke(url, "--famille", "42", "--sortie", str(tmp_path / "x.json"))
    assert result.exit_code == 1 and "Famille inconnue" in result.output
    result = _invoke(url, "--famille", "abc", "--sortie", str(tmp_path / "x.json"))
    assert result.exit_code == 1 and "invalide" in result.output
    result = _invoke(url, "--famille", "1", "--sortie", str(tmp_path / "nulle-part" / "x.json"))
    assert result.exit_code == 1 and "n'existe pas" in result.output
    assert "Traceback" not in result.output
