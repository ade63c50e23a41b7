"""The core CLI through typer's runner: db upgrade, demo (asks before replacing),
agent add/list (password never from an argument), and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from portail_tui.cli import app

runner = CliRunner()


def _invoke(url: str, *args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["--db", url, "--today", "2026-11-28", *args], input=input)


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/cli.db"


def test_db_upgrade_then_agent_add_and_list(url: str) -> None:
    result = _invoke(url, "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert "Base à jour" in result.output
    # No régie yet: the agent cannot be attached to anything.
    result = _invoke(url, "agent", "add", "marie", input="motdepasse1\n")
    assert result.exit_code == 1 and "Aucune régie" in result.output


def test_demo_creates_a_town_and_agents(url: str) -> None:
    result = _invoke(url, "demo", "--families", "8", "--seed", "3")
    assert result.exit_code == 0, result.output
    assert "8 familles" in result.output
    result = _invoke(url, "agent", "add", "marie", "--role", "regisseur", "--nom", "Marie Dupont",
                     input="motdepasse1\n")
    assert result.exit_code == 0, result.output
    result = _invoke(url, "agent", "list")
    assert result.exit_code == 0
    assert "marie" in result.output and "regisseur" in result.output and "agent" in result.output


def test_demo_asks_before_replacing(url: str) -> None:
    assert _invoke(url, "demo", "--families", "5").exit_code == 0
    result = _invoke(url, "demo", "--families", "6", input="n\n")
    assert result.exit_code == 1
    assert "Rien n'a été modifié" in result.output
    result = _invoke(url, "demo", "--families", "6", "--force")
    assert result.exit_code == 0, result.output
    assert "6 familles" in result.output


def test_agent_add_refuses_short_password(url: str) -> None:
    _invoke(url, "demo", "--families", "3")
    result = _invoke(url, "agent", "add", "paul", input="court\n")
    assert result.exit_code == 1
    assert "trop court" in result.output
    assert "Traceback" not in result.output


def test_unreachable_database_is_one_clear_line() -> None:
    result = _invoke("postgresql+psycopg://x@127.0.0.1:1/none?connect_timeout=2", "agent", "list")
    assert result.exit_code == 1
    assert "injoignable" in result.output
    assert "Traceback" not in result.output


def test_database_not_at_head_is_refused(tmp_path: Path) -> None:
    result = _invoke(f"sqlite:///{tmp_path}/vide.db", "agent", "list")
    assert result.exit_code == 1
    assert "portail db upgrade" in result.output


def test_bad_today_is_refused(url: str) -> None:
    result = runner.invoke(app, ["--db", url, "--today", "2026-13-45", "agent", "list"])
    assert result.exit_code != 0
    assert "Date invalide" in result.output


def test_help_is_french() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "Lance l'application" in result.output


def _health_of(url: str, login: str) -> bool:
    from sqlalchemy import select

    from portail_tui.db import Database
    from portail_tui.models import Agent

    db = Database(url)
    try:
        return bool(db.read(lambda s: s.execute(select(Agent.can_see_health)
                                                .where(Agent.login == login)).scalar_one()))
    finally:
        db.dispose()


def test_agent_add_grants_health_only_with_sante(url: str) -> None:
    """B6: `--sante` opts in; without it a new account, even a régisseur, sees no health
    form; the old `--sans-sante` is refused by the option parser."""
    assert _invoke(url, "demo", "--families", "3").exit_code == 0
    result = _invoke(url, "agent", "add", "marie", "--role", "regisseur", input="motdepasse1\n")
    assert result.exit_code == 0, result.output
    result = _invoke(url, "agent", "add", "lina", "--sante", input="motdepasse1\n")
    assert result.exit_code == 0, result.output
    assert _health_of(url, "marie") is False
    assert _health_of(url, "lina") is True
    result = _invoke(url, "agent", "add", "paul", "--sans-sante", input="motdepasse1\n")
    assert result.exit_code != 0
    assert "--sans-sante" in result.output
    result = _invoke(url, "agent", "list")
    assert "lina" in result.output and "paul" not in result.output


def test_administrator_handles_a_waiting_or_departed_agent(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The login screen tells a waiting agent to ask an administrator: these commands are
    what the administrator does (unlock, new password, disable, enable), each audited."""
    from datetime import datetime, timedelta

    from portail_tui.cli import base
    from portail_tui.clock import PARIS, FixedClock
    from portail_tui.db import Database
    from portail_tui.services import auth
    from portail_tui.services.context import Context, ServiceError

    monkeypatch.setattr(base.console, "width", 200)  # table cells unwrapped
    assert _invoke(url, "demo", "--families", "3").exit_code == 0
    db = Database(url)
    # Last minute of the pinned day: the wait ends on the 29th, after any time of day
    # the CLI's clock (pinned date, running time) can show.
    clock = FixedClock(datetime(2026, 11, 28, 23, 59, tzinfo=PARIS))
    ctx = Context(db=db, clock=clock)
    for _ in range(6):
        with pytest.raises(ServiceError):
            auth.login(ctx, "agent", "mauvais1", source="terminal")
    with pytest.raises(ServiceError):  # waiting: even the right password is refused
        auth.login(ctx, "agent", "agent1234", source="terminal")
    listed = _invoke(url, "agent", "list")
    assert "en attente jusqu'à" in listed.output

    assert _invoke(url, "agent", "unlock", "agent").exit_code == 0
    assert auth.login(ctx, "agent", "agent1234", source="terminal").login == "agent"

    changed = _invoke(url, "agent", "password", "agent", input="nouveau-mdp-1\nnouveau-mdp-1\n")
    assert changed.exit_code == 0, changed.output
    assert auth.login(ctx, "agent", "nouveau-mdp-1", source="terminal").login == "agent"

    assert _invoke(url, "agent", "disable", "agent").exit_code == 0
    with pytest.raises(ServiceError):
        auth.login(ctx, "agent", "nouveau-mdp-1", source="terminal")
    assert _invoke(url, "agent", "enable", "agent").exit_code == 0
    clock.advance(timedelta(minutes=1))
    assert auth.login(ctx, "agent", "nouveau-mdp-1", source="terminal").login == "agent"

    unknown = _invoke(url, "agent", "unlock", "personne")
    assert unknown.exit_code == 1 and "Agent inconnu : personne" in unknown.output
    audit = _invoke(url, "audit", "--action", "agent")
    for label in ("Attente après échecs levée", "Mot de passe d'agent changé",
                  "Compte d'agent désactivé", "Compte d'agent réactivé"):
        assert label in audit.output, audit.output
    db.dispose()



def test_cli_changes_are_audited_with_the_os_user_and_ssh_client(
        url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A change made from the command line names who ran it and from where (B5), not
    just « système »; `portail audit --agent system` still finds it."""
    import getpass

    from sqlalchemy import select

    from portail_tui.cli import base
    from portail_tui.db import Database
    from portail_tui.models import AuditLog

    monkeypatch.setattr(base.console, "width", 200)
    assert _invoke(url, "demo", "--families", "3").exit_code == 0
    monkeypatch.setenv("SSH_CONNECTION", "192.0.2.7 50122 127.0.0.1 22")
    added = _invoke(url, "agent", "add", "marie", input="motdepasse1\n")
    assert added.exit_code == 0, added.output
    db = Database(url)
    actor = db.read(lambda s: s.execute(select(AuditLog.actor).where(AuditLog.action == "agent.create")
                                        .order_by(AuditLog.id.desc())).scalars().first())
    db.dispose()
    assert actor == f"system:{getpass.getuser()}, ssh 192.0.2.7"
    listed = _invoke(url, "audit", "--agent", "system", "--action", "agent.create")
    assert "Système (" in listed.output and "ssh 192.0.2.7" in listed.output


def test_operator_identity_without_ssh() -> None:
    from portail_tui.cli.base import operator_identity

    who = operator_identity({})
    assert who.endswith(", sans terminal") or who.endswith(", terminal")
    assert operator_identity({"SSH_CLIENT": "198.51.100.4 4000 22"}).endswith(", ssh 198.51.100.4")


def _command_paths() -> list[list[str]]:
    import typer

    paths: list[list[str]] = []

    def walk(command, path: list[str]) -> None:  # type: ignore[no-untyped-def]
        paths.append(path)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return paths


ENGLISH = ("Show this message and exit", "[required]", "[default:", "Usage:", "Commands", "COMMAND [ARGS]",
           "Error", "for help")


def test_every_help_is_french() -> None:
    paths = _command_paths()
    assert len(paths) > 20
    for path in paths:
        result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, (path, result.output)
        out = result.output
        assert "Affiche cette aide et quitte." in out and "Utilisation : " in out, (path, out)
        assert not [w for w in ENGLISH if w in out], (path, out)
    add = runner.invoke(app, ["agent", "add", "--help"], env={"COLUMNS": "200"}).output
    assert "[obligatoire]" in add and "[défaut : agent]" in add


@pytest.mark.parametrize("args,french", [
    (["agent", "add"], "Argument manquant : 'login'."),
    (["agent", "create"], "Commande inconnue : 'create'."),
    (["agent", "add", "x", "--bogus"], "Option inconnue : --bogus"),
])
def test_usage_errors_are_french(args: list[str], french: str) -> None:
    result = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 2
    assert french in result.output and "Erreur" in result.output
    assert "Essayez « " in result.output and not [w for w in ENGLISH if w in result.output]
