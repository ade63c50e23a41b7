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
