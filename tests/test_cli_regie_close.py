"""`portail regie fermer`: the counts first, a confirmation (or --oui), one French line
on a refusal, idempotent."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

import portail_tui.cli  # noqa: F401  (registers every command)
from portail_tui.cli.base import app
from portail_tui.clock import PARIS, FixedClock
from portail_tui.db import Database
from portail_tui.models import OutboxMessage
from portail_tui.services.booking import CartLine, validate_cart
from portail_tui.services.context import Context
from tests.support.booking_town import Town, bookings, build_town

runner = CliRunner()
TUE = date(2026, 12, 1)


@pytest.fixture
def town(sqlite_db: Database, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Town]:
    t = build_town(sqlite_db)
    ctx = Context(db=sqlite_db, clock=FixedClock(datetime(2026, 11, 28, 10, 0, tzinfo=PARIS)), actor=t.agent)
    validate_cart(ctx, t.families["MARTIN"], [CartLine("book", t.children["Léa"], t.activities["RS"], TUE),
                                              CartLine("book", t.children["Noé"], t.activities["APSS"], TUE)])
    validate_cart(ctx, t.families["DURAND"], [CartLine("book", t.children["Jade"], t.activities["RS"], TUE)])
    monkeypatch.delenv("PORTAIL_DATABASE_URL", raising=False)
    return sqlite_db.url, t


def run(url: str, *args: str, input: str | None = None):  # type: ignore[no-untyped-def]  # noqa: A002
    return runner.invoke(app, ["--db", url, "--today", "2026-11-28", "regie", "fermer", *args], input=input)


ARGS = ("--date", "01/12/2026", "--activite", "RS", "--activite", "apss", "--motif", "Grève du personnel")


def test_counts_then_confirmation(town: tuple[str, Town], sqlite_db: Database) -> None:
    url, _t = town
    res = run(url, *ARGS, input="n\n")
    assert res.exit_code == 1
    assert "3 réservations et 0 demande en liste d'attente annulées, 2 familles" in res.output
    assert "rien n'a changé" in res.output
    assert {b.status for b in bookings(sqlite_db, day=TUE)} == {"confirmed"}
    res = run(url, *ARGS, input="o\n")
    assert res.exit_code == 0, res.output
    assert "Jour fermé : 3 réservation(s) annulée(s), 2 courriel(s)" in res.output
    assert {b.cancel_reason for b in bookings(sqlite_db, day=TUE)} == {"Grève du personnel"}
    again = run(url, *ARGS, "--oui")
    assert again.exit_code == 0 and "Déjà fermé" in again.output
    mails = sqlite_db.read(lambda s: list(s.execute(select(OutboxMessage)).scalars()))
    assert len(mails) == 2


def test_refusals_are_one_french_line(town: tuple[str, Town]) -> None:
    url, _t = town
    res = run(url, "--date", "01/12/2026", "--activite", "XX", "--motif", "Grève", "--oui")
    assert res.exit_code == 1 and "Activité inconnue : XX" in res.output
    res = run(url, "--date", "02/12/2026", "--activite", "RS", "--motif", "Grève", "--oui")
    assert res.exit_code == 1 and "n'a pas lieu" in res.output
    res = run(url, "--date", "31/02/2026", "--activite", "RS", "--motif", "Grève", "--oui")
    assert res.exit_code == 1 and "Date invalide" in res.output


def test_help_is_french(town: tuple[str, Town], tmp_path: Path) -> None:
    res = runner.invoke(app, ["regie", "fermer", "--help"])
    assert res.exit_code == 0 and "Motif annoncé aux familles" in res.output


def test_agent_rights_are_given_explicitly(town: tuple[str, Town], sqlite_db: Database) -> None:
    """G7 from a shell: the health right and the role, each its own audited command."""
    from portail_tui.models import Agent, AuditLog
    from portail_tui.services import auth

    url, t = town
    auth.add_agent(Context(db=sqlite_db, clock=FixedClock(datetime(2026, 11, 28, 10, 0, tzinfo=PARIS))),
                   "lina", "motdepasse1", regie_id=t.regie_id)
    res = runner.invoke(app, ["--db", url, "agent", "sante", "lina"])
    assert res.exit_code == 0 and "fiches santé visibles" in res.output
    res = runner.invoke(app, ["--db", url, "agent", "role", "lina", "regisseur"])
    assert res.exit_code == 0 and "rôle régisseur" in res.output
    res = runner.invoke(app, ["--db", url, "agent", "role", "lina", "chef"])
    assert res.exit_code == 1 and "Rôle inconnu" in res.output
    res = runner.invoke(app, ["--db", url, "agent", "sante", "lina", "--retirer"])
    assert res.exit_code == 0 and "masquées" in res.output
    lina = sqlite_db.read(lambda s: s.execute(select(Agent).where(Agent.login == "lina")).scalars().one())
    assert (lina.role, lina.can_see_health) == ("regisseur", False)
    audited = sqlite_db.read(lambda s: [a.action for a in s.execute(select(AuditLog)).scalars()])
    assert audited.count("agent.health") == 2 and audited.count("agent.role") == 1
