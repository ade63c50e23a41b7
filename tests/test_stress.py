"""Concurrent agents, short version of `portail stress`: eight processes search, book
the same scarce places, cancel and take payments on one database (SQLite, then
PostgreSQL) for a few seconds; afterwards no place is over capacity, waiting lists are
consistent, receipts gapless, soldes equal to their entries, every journalled write
present, and no lock or "try again" error reached an agent.

The verification itself is tested too: it must notice a lost write, a counter that
drifted and an error kind that a retry would have hidden."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from typer.testing import CliRunner

from portail_tui.cli import app
from portail_tui.cli.stress.town import prepare_town
from portail_tui.cli.stress.verify import StressReport, failure_lines, run_stress, verify
from portail_tui.cli.stress.worker import RetryExposed, classify
from portail_tui.db import Database
from portail_tui.services.context import ServiceError

PROCESSES = 8
SECONDS = 4.0


@pytest.mark.slow
def test_eight_agents_at_once_break_nothing(db: Database, db_owner: Database, tmp_path: Path) -> None:
    # Loaded like `portail demo`, by the schema owner; the desks use the application's role.
    town = prepare_town(db_owner, families=40, hot_slots=6, hot_capacity=2)
    report = run_stress(db.url, town, processes=PROCESSES, seconds=SECONDS, folder=tmp_path / "j")
    assert failure_lines(report) == []
    assert report.ok
    # The load really happened, and really fought over the places.
    book = report.outcomes["book"]
    assert report.outcomes["pay"]["ok"] >= 5
    assert book["confirmed"] >= 1 and book["waiting"] >= 1, book
    assert report.outcomes["cancel"]["cancelled"] >= 1
    assert sum(report.outcomes["search"].values()) >= 5
    assert report.checked["quittances"] > 0 and report.checked["soldes"] == len(town.family_ids)
    assert not report.missing_summaries


@pytest.mark.slow
def test_cli_stress_on_a_throwaway_sqlite_file(tmp_path: Path) -> None:
    journals = tmp_path / "journaux"
    result = CliRunner().invoke(app, ["stress", "--processes", "3", "--seconds", "2", "--familles", "30",
                                      "--journaux", str(journals)])
    assert result.exit_code == 0, result.output
    assert "Aucune violation" in result.output
    assert "Erreurs montrées aux agents : aucune" in result.output
    assert len(list(journals.glob("poste*.summary.json"))) == 3


def test_cli_stress_refuses_a_database_with_data(sqlite_demo_db: Database) -> None:
    result = CliRunner().invoke(app, ["stress", "--db", sqlite_demo_db.url, "--seconds", "1"])
    assert result.exit_code == 1
    assert "contient déjà des données" in result.output


def test_errors_a_retry_would_have_hidden_are_failures() -> None:
    locked = OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked"))
    assert classify(locked) == "lock"
    assert classify(IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed"))) == "integrity"
    assert classify(ServiceError("Réservation modifiée en même temps par un autre poste : réessayez."))\
        == "retry_exposed"
    assert classify(RetryExposed("annulation : réservation modifiée entre-temps")) == "retry_exposed"
    assert classify(ServiceError("Le montant doit être supérieur à zéro.")) == "refusal"
    assert classify(KeyError("x")) == "crash"
    report = StressReport(engine="sqlite", processes=1, seconds=1)
    report.errors.update({"refusal": 4})
    assert report.ok
    report.errors.update({"lock": 1})
    assert not report.ok and "verrou" in failure_lines(report)[0]


def test_verification_notices_lost_writes_and_drifted_counters(sqlite_db: Database, tmp_path: Path) -> None:
    town = prepare_town(sqlite_db, families=15, hot_slots=2, hot_capacity=2)
    folder = tmp_path / "j"
    report = run_stress(sqlite_db.url, town, processes=2, seconds=1.0, folder=folder)
    assert report.ok, failure_lines(report)

    # A journalled payment that the database does not have, and a counter moved by hand.
    with open(folder / "poste1.journal", "a", encoding="utf-8") as journal:
        journal.write(json.dumps({"op": "pay", "payment": 999_999, "receipt": 1, "family": town.family_ids[0],
                                  "amount": 100}) + "\n")
        journal.write('{"op": "pay", "payment": 12')  # torn last line of a killed worker: ignored
    sqlite_db.write(lambda s: s.execute(text(
        "UPDATE slot SET taken = taken - 1 WHERE id = (SELECT MIN(id) FROM slot WHERE taken > 0)")))
    again = StressReport(engine="sqlite", processes=2, seconds=1.0)
    verify(sqlite_db, town, folder, again, complete=False)
    lines = "\n".join(again.violations)
    assert "999999" in lines and "absente de la base" in lines
    assert "compteur" in lines
