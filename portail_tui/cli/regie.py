"""`portail regie …`: the régie's set-up and the changes of the year.

Minimal group written by lane h4 (closing a day); the set-up commands (init, check,
apply, export) join it from their own lane — the integrator merges both."""

from __future__ import annotations

import typer

from portail_tui.cli import regie_close
from portail_tui.cli.base import app

regie_app = typer.Typer(help="Régie : mise en service, paramétrage, fermeture d'un jour.", no_args_is_help=True)
app.add_typer(regie_app, name="regie")
regie_close.register(regie_app)
