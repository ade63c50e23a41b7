"""`portail export consommations --etat`: the statement of one attendance state, the
waived absence at 0,00 € (P2); a refusal in one French line."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import portail_tui.cli  # noqa: F401  (registers every command)
from portail_tui.cli.base import app
from portail_tui.clock import PARIS, FixedClock
from portail_tui.db import Database
from portail_tui.services.attendance_justify import record_justification
from portail_tui.services.context import Context
from tests.support.history_town import build

runner = CliRunner()


@pytest.fixture
def town(sqlite_db: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    data = build(sqlite_db)
    clock = FixedClock(datetime.combine(date(2026, 11, 28), time(10, 0), tzinfo=PARIS))
    record_justification(Context(db=sqlite_db, clock=clock).as_actor(data.actor), data.family_id, data.chloe_id,
                         [date(2026, 11, 5), date(2026, 11, 6)], "certificat", date(2026, 11, 9))
    monkeypatch.setenv("PORTAIL_EXPORTS_DIR", str(tmp_path / "exports"))
    monkeypatch.delenv("PORTAIL_DATABASE_URL", raising=False)
    return sqlite_db.url


def run(url: str, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["--db", url, "--today", "2026-11-28", "export", "consommations", *args])


def test_the_justified_absences_of_a_month(town: str) -> None:
    res = run(town, "--famille", "123", "--mois", "2026-11", "--etat", "absent_justifie", "--sortie", "-")
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines()[1:] == [
        "05/11/2026;Chloé;RESTAURANT SCOLAIRE;absence justifiée — non facturée;0,00",
        "06/11/2026;Chloé;RESTAURANT SCOLAIRE;absence justifiée — non facturée;0,00",
        "Total des consommations;;;;0,00",
    ]


def test_the_whole_statement_bills_what_is_left(town: str) -> None:
    res = run(town, "--famille", "123", "--mois", "2026-11", "--sortie", "-")
    assert res.exit_code == 0, res.output
    assert "05/11/2026;Chloé;RESTAURANT SCOLAIRE;absence justifiée — non facturée;0,00" in res.stdout
    assert res.stdout.splitlines()[-1] == "Total des consommations;;;;17,00"  # 24,00 − 2 × 3,50


@pytest.mark.parametrize(("args", "message"), [
    (("--famille", "123", "--etat", "malade"), "État inconnu"),
    (("--etat", "absent"), "--etat demande --famille."),
])
def test_refusals_in_one_french_line(town: str, args: tuple[str, ...], message: str) -> None:
    res = run(town, "--mois", "2026-11", *args)
    assert res.exit_code == 1
    assert message in res.output
