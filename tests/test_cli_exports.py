"""`portail export reglements|consommations|releves`: files, standard output and errors."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

import portail_tui.cli  # noqa: F401  (registers every command)
from portail_tui.cli.base import app
from portail_tui.db import Database
from tests.support.history_town import build

runner = CliRunner()


@pytest.fixture
def town(sqlite_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    build(sqlite_db)
    monkeypatch.setenv("PORTAIL_EXPORTS_DIR", str(tmp_path / "exports"))
    monkeypatch.delenv("PORTAIL_DATABASE_URL", raising=False)
    return sqlite_db.url


def run(url: str, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["--db", url, "--today", "2026-11-28", "export", *args])


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_reglements_csv_to_a_file(town: str, tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    res = run(town, "reglements", "--famille", "123", "--mois", "2026-11", "--sortie", str(out))
    assert res.exit_code == 0, res.output
    text = out.read_bytes().decode("utf-8-sig")
    assert text.splitlines()[0] == "Quittance;Date;Opération;Mode;Observation;Montant"
    assert "43;13/11/2026 09:00;Annulation;Chèque;annule la quittance n° 42;-60,00" in text
    assert text.rstrip().endswith("Total du mois (4 opérations);;;;;65,00")
    assert "Fichier écrit" in res.output


def test_reglements_pdf_in_the_exports_folder(town: str, tmp_path: Path) -> None:
    res = run(town, "reglements", "--famille", "000123", "--mois", "2026-11", "--format", "pdf")
    assert res.exit_code == 0, res.output
    path = tmp_path / "exports" / "historique-reglements-000123-2026-11.pdf"
    text = PdfReader(io.BytesIO(path.read_bytes())).pages[0].extract_text()
    assert "Historique des règlements" in text
    assert "65,00" in text


def test_consommations_filtered_to_stdout(town: str) -> None:
    res = run(town, "consommations", "--famille", "123", "--mois", "2026-11", "--enfant", "noe",
              "--activite", "APS", "--sortie", "-")
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert lines[0] == "Date;Enfant;Activité;État;Prix"  # no BOM on standard output
    assert lines[1:4] == ["03/11/2026;Noé;APS MATIN;consommé;1,50", "03/11/2026;Noé;APS SOIR;consommé;2,00",
                          "05/11/2026;Noé;APS FORFAIT;consommé;3,00"]
    assert lines[-1] == "Total des consommations;;;;6,50"


def test_consommations_pdf_file_name_carries_the_filter(town: str, tmp_path: Path) -> None:
    res = run(town, "consommations", "--famille", "123", "--mois", "2026-11", "--activite", "APS")
    assert res.exit_code == 0, res.output
    assert _files(tmp_path / "exports") == ["releve-consommations-000123-2026-11-aps.pdf"]


def test_town_consumptions_csv(town: str, tmp_path: Path) -> None:
    out = tmp_path / "commune.csv"
    res = run(town, "consommations", "--mois", "2026-11", "--sortie", str(out))
    assert res.exit_code == 0, res.output
    lines = out.read_bytes().decode("utf-8-sig").splitlines()
    assert lines[0] == "Famille;Nom;Date;Enfant;Activité;État;Prix"
    assert len(lines) == 11
    assert lines[-1] == "000124;DURAND;02/11/2026;Zoé;RESTAURANT SCOLAIRE;consommé;3,50"


@pytest.mark.parametrize("fmt", ["pdf", "csv"])
def test_releves_writes_one_file_per_active_family(town: str, tmp_path: Path, fmt: str) -> None:
    folder = tmp_path / "releves"
    res = run(town, "releves", "--mois", "2026-11", "--dossier", str(folder), "--format", fmt, "--processus", "1")
    assert res.exit_code == 0, res.output
    assert _files(folder) == [f"releve-mensuel-000123-2026-11.{fmt}", f"releve-mensuel-000124-2026-11.{fmt}"]
    assert "2 relevés écrits" in res.output
    assert "0 famille sans activité" in res.output


def test_releves_skips_and_counts_families_without_activity(town: str, tmp_path: Path) -> None:
    # September: no booking and no payment for anybody.
    folder = tmp_path / "sept"
    res = run(town, "releves", "--mois", "2026-09", "--dossier", str(folder), "--processus", "1")
    assert res.exit_code == 0, res.output
    assert _files(folder) == []
    assert "2 familles sans activité en septembre 2026 ignorées" in res.output


def test_releves_with_two_processes(town: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import portail_tui.cli.exports as cli_exports

    monkeypatch.setattr(cli_exports, "CHUNK", 1)  # two chunks, so two workers really run
    folder = tmp_path / "par2"
    res = run(town, "releves", "--mois", "2026-10", "--dossier", str(folder), "--processus", "2")
    assert res.exit_code == 0, res.output
    assert _files(folder) == ["releve-mensuel-000123-2026-10.pdf"]
    assert "1 famille sans activité" in res.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["reglements", "--famille", "123", "--mois", "2026-13"], "Mois invalide"),
        (["reglements", "--famille", "999", "--mois", "2026-11"], "Famille inconnue : n° 999"),
        (["reglements", "--famille", "123", "--mois", "2026-06"], "Mois non consultable"),
        (["consommations", "--famille", "123", "--mois", "2026-11", "--activite", "piscine"],
         "Aucune consommation ne correspond"),
        (["consommations", "--famille", "123", "--mois", "2026-11", "--enfant", "Léa"], "Aucun enfant « Léa »"),
        (["consommations", "--famille", "123", "--mois", "2026-11", "--format", "pdf", "--sortie", "-"],
         "sortie standard"),
        (["consommations", "--famille", "123", "--mois", "2026-11", "--format", "odt"], "Format inconnu"),
        (["consommations", "--mois", "2026-11", "--activite", "piscine", "--sortie", "-"], "Aucune consommation"),
        (["releves", "--mois", "2026-13", "--dossier", "."], "Mois invalide"),
        (["consommations", "--mois", "2026-11", "--format", "pdf"], "toute la commune s'exportent en CSV"),
        (["consommations", "--mois", "2026-11", "--enfant", "Noé"], "--enfant demande --famille"),
    ],
)
def test_errors_are_one_french_line(town: str, tmp_path: Path, args: list[str], message: str) -> None:
    os.chdir(tmp_path)
    res = run(town, *args)
    assert res.exit_code == 1
    assert message in res.output
    assert "Traceback" not in res.output
    assert _files(tmp_path / "exports") == []


def test_unwritable_sortie_leaves_nothing(town: str, tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        res = run(town, "reglements", "--famille", "123", "--mois", "2026-11", "--sortie", str(locked / "r.pdf"))
        missing = run(town, "reglements", "--famille", "123", "--mois", "2026-11",
                      "--sortie", str(tmp_path / "nope" / "r.pdf"))
    finally:
        locked.chmod(0o700)
    if os.geteuid() != 0:  # root writes anywhere
        assert res.exit_code == 1
        assert "accès refusé" in res.output
        assert list(locked.iterdir()) == []
    assert missing.exit_code == 1
    assert "n'existe pas" in missing.output
    assert not (tmp_path / "nope").exists()


def test_screen_and_cli_files_are_identical(town: str, tmp_path: Path) -> None:
    """The CLI renders the Report the screen renders: same bytes for the same minute."""
    from portail_tui.clock import FixedClock
    from portail_tui.config import Settings
    from portail_tui.services import history as h
    from portail_tui.services.context import Context

    out = tmp_path / "c.csv"
    res = run(town, "consommations", "--famille", "123", "--mois", "2026-11", "--sortie", str(out))
    assert res.exit_code == 0, res.output
    db = Database(town)
    try:
        ctx = Context(db=db, clock=FixedClock(), settings=Settings(database_url=town))
        hist = h.consumption_history(ctx, 1, h.Month(2026, 11))
        assert h.consumptions_file(ctx, hist, "csv").data == out.read_bytes()
    finally:
        db.dispose()


def test_sortie_may_be_a_folder(town: str, tmp_path: Path) -> None:
    folder = tmp_path / "ici"
    folder.mkdir()
    res = run(town, "consommations", "--famille", "123", "--mois", "2026-10", "--sortie", str(folder),
              "--format", "csv")
    assert res.exit_code == 0, res.output
    assert _files(folder) == ["releve-consommations-000123-2026-10.csv"]


def test_releves_dossier_that_is_a_file(town: str, tmp_path: Path) -> None:
    blocker = tmp_path / "fichier"
    blocker.write_text("x")
    res = run(town, "releves", "--mois", "2026-11", "--dossier", str(blocker))
    assert res.exit_code == 1
    assert "Impossible de créer le dossier" in res.output
    assert "un fichier de ce nom existe déjà" in res.output
