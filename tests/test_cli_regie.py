"""`portail regie init | check | apply | export` through typer's runner: exit codes,
one French line on a refusal, nothing changed by check or --dry-run."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from portail_tui.cli import app
from portail_tui.services.regie_setup import example_text

runner = CliRunner()


def _invoke(url: str, *args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["--db", url, "--today", "2026-11-28", *args], input=input)


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/cli.db"


@pytest.fixture
def example(tmp_path: Path) -> Path:
    path = tmp_path / "regie.toml"
    path.write_text(example_text(), encoding="utf-8")
    return path


def _digest(url: str) -> str:
    return hashlib.sha256(Path(url.removeprefix("sqlite:///")).read_bytes()).hexdigest()


def test_init_on_an_empty_database_then_refused_on_a_second_run(url: str) -> None:
    result = _invoke(url, "regie", "init", "--nom", "Régie scolaire", "--admin", "chef",
                     input="motdepasse1\n")
    assert result.exit_code == 0, result.output
    assert "Régie « Régie scolaire » créée, administrateur « chef »" in result.output
    listed = _invoke(url, "agent", "list")
    assert "chef" in listed.output and "admin" in listed.output
    again = _invoke(url, "regie", "init", "--nom", "Autre", "--admin", "autre", input="motdepasse1\n")
    assert again.exit_code == 1
    assert "La base contient déjà une régie" in again.output


def test_init_refuses_a_demo_database(url: str) -> None:
    assert _invoke(url, "demo", "--families", "3").exit_code == 0
    result = _invoke(url, "regie", "init", "--nom", "Régie", "--admin", "chef", input="motdepasse1\n")
    assert result.exit_code == 1 and "déjà une régie" in result.output


def test_init_refuses_a_short_password(url: str) -> None:
    result = _invoke(url, "regie", "init", "--nom", "Régie", "--admin", "chef", input="court\n")
    assert result.exit_code == 1 and "trop court" in result.output
    # Nothing was left behind: a second try works.
    result = _invoke(url, "regie", "init", "--nom", "Régie", "--admin", "chef", input="motdepasse1\n")
    assert result.exit_code == 0, result.output


def test_check_lists_problems_and_exits_1(url: str, example: Path) -> None:
    ok = _invoke(url, "regie", "check", str(example))
    assert ok.exit_code == 0 and "aucun problème" in ok.output
    example.write_text(example_text().replace('debut = "11:45"', 'debut = "25:00"')
                       .replace('lettre = "S"', 'lettre = "M"'), encoding="utf-8")
    bad = _invoke(url, "regie", "check", str(example))
    assert bad.exit_code == 1
    assert "clé activites.RS.debut : heure invalide « 25:00 »" in bad.output
    assert "clé activites.APSS.lettre" in bad.output
    assert "2 problème(s) dans regie.toml : rien n'a été modifié." in bad.output


def test_apply_dry_run_then_apply_then_export_round_trip(url: str, example: Path, tmp_path: Path) -> None:
    assert _invoke(url, "regie", "init", "--nom", "Régie", "--admin", "chef",
                   input="motdepasse1\n").exit_code == 0
    before = _digest(url)
    dry = _invoke(url, "regie", "apply", str(example), "--dry-run")
    assert dry.exit_code == 0, dry.output
    # 51: schools, classes, activities, day rates, periods, and the holiday centre's three
    # week and three whole-holiday rates.
    assert "Ajouts : 51" in dry.output and "activité RS" in dry.output
    assert "Simulation (--dry-run) : rien n'a été modifié." in dry.output
    assert _digest(url) == before
    done = _invoke(url, "regie", "apply", str(example))
    assert done.exit_code == 0 and "Paramétrage appliqué." in done.output
    again = _invoke(url, "regie", "apply", str(example))
    assert "Ajouts : 0" in again.output and "Rien à changer" in again.output
    out = tmp_path / "export.toml"
    exported = _invoke(url, "regie", "export", str(out))
    assert exported.exit_code == 0 and out.exists()
    round_trip = _invoke(url, "regie", "apply", str(out))
    assert "Modifications : 0" in round_trip.output and "Rien à changer" in round_trip.output


def test_apply_refusal_is_exit_1_and_changes_nothing(url: str, example: Path) -> None:
    assert _invoke(url, "regie", "init", "--nom", "Régie", "--admin", "chef",
                   input="motdepasse1\n").exit_code == 0
    assert _invoke(url, "regie", "apply", str(example)).exit_code == 0
    example.write_text(example_text().replace('prix = "2,10"', 'prix = "2,30"'), encoding="utf-8")
    before = _digest(url)
    result = _invoke(url, "regie", "apply", str(example))
    assert result.exit_code == 1
    assert "en vigueur depuis le 01/09/2026" in result.output
    assert _digest(url) == before


def test_apply_without_a_regie(url: str, example: Path) -> None:
    assert _invoke(url, "db", "upgrade").exit_code == 0
    result = _invoke(url, "regie", "apply", str(example))
    assert result.exit_code == 1 and "regie init" in result.output


def test_check_reads_a_file_saved_with_a_bom_and_refuses_a_missing_file(url: str, example: Path) -> None:
    example.write_bytes(b"\xef\xbb\xbf" + example_text().replace("\n", "\r\n").encode("utf-8"))
    assert _invoke(url, "regie", "check", str(example)).exit_code == 0
    missing = _invoke(url, "regie", "check", str(example.with_name("absent.toml")))
    assert missing.exit_code == 1 and "Fichier introuvable" in missing.output


def test_exemple_writes_the_example_once(url: str, tmp_path: Path) -> None:
    target = tmp_path / "ma-commune.toml"
    assert _invoke(url, "regie", "exemple", str(target)).exit_code == 0
    assert target.read_text(encoding="utf-8") == example_text()
    again = _invoke(url, "regie", "exemple", str(target))
    assert again.exit_code == 1 and "existe déjà" in again.output
