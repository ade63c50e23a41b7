"""Every `portail` command imports the whole CLI at start-up (`portail_tui.cli` registers
the commands): the command modules must leave the database layer, the services and the
stress engine to the commands that use them, or `portail --help` and the application's
start-up pay for them."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("sqlalchemy", "sqlmodel", "portail_tui.db", "portail_tui.models", "portail_tui.services.context",
         "portail_tui.cli.stress.worker", "portail_tui.cli.stress.verify", "portail_tui.cli.stress.town")


def test_importing_the_cli_stays_light() -> None:
    code = ("import sys, portail_tui.cli\n"
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == ""


def test_every_command_is_registered() -> None:
    from typer.main import get_command

    from portail_tui.cli import app

    names = set(get_command(app).commands)  # type: ignore[attr-defined]
    assert {"tui", "demo", "db", "agent", "export", "payfip", "ssh", "mail", "audit", "nightly", "serve",
            "stress"} <= names
