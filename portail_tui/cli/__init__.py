"""The `portail` command. Each module below registers its commands on the typer apps
of `portail_tui.cli.base`; importing them here is what makes them exist. They are
imported directly: a module that fails to import breaks the command (and the tests)
at once rather than making its commands quietly disappear."""

from __future__ import annotations

# The import order is the order of the commands in --help.
# isort: off
from portail_tui.cli import core  # noqa: F401
from portail_tui.cli import agent_rights  # noqa: F401
from portail_tui.cli import reservations  # noqa: F401
from portail_tui.cli import cash  # noqa: F401
from portail_tui.cli import exports  # noqa: F401
from portail_tui.cli import dossier  # noqa: F401
from portail_tui.cli import ops  # noqa: F401
from portail_tui.cli import regie  # noqa: F401
from portail_tui.cli import imports  # noqa: F401
from portail_tui.cli import stress  # noqa: F401
# isort: on
from portail_tui.cli.base import app


def main() -> None:
    app()
