"""The `portail` command. Each module below registers its commands on the typer apps
of `portail_tui.cli.base`; importing them here is what makes them exist."""

from __future__ import annotations

from portail_tui.cli import core  # noqa: F401
from portail_tui.cli.base import app


def _load_optional() -> None:
    """Feature modules register themselves; one failing to import must not take the
    whole CLI down with it (the error is reported when that command is used)."""
    import importlib

    for name in ("reservations", "cash", "exports", "dossier", "ops", "stress"):
        try:
            importlib.import_module(f"portail_tui.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"portail_tui.cli.{name}":
                raise


_load_optional()


def main() -> None:
    app()
