"""The régie's set-up from the command line (G1): `portail regie init | check | apply |
export | fermer`.

- ``portail regie init --nom "Régie scolaire" --admin LOGIN``: an empty database gets one
  régie and one administrator (password asked twice, or read on standard input).
- ``portail regie check FICHIER``: every problem with its line and key; exit 1, nothing changed.
- ``portail regie apply FICHIER [--dry-run]``: the grouped plan, then (without --dry-run)
  the changes in one audited transaction.
- ``portail regie export FICHIER``: the current set-up in the same format.
- ``portail regie exemple FICHIER``: the commented example file, to start from.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from portail_tui.cli import regie_close
from portail_tui.cli.base import (
    CliError,
    app,
    console,
    err_console,
    friendly,
    read_secret,
    state,
    system_context,
)

if TYPE_CHECKING:
    from portail_tui.services.regie_setup import SetupFile

regie_app = typer.Typer(help="Paramétrage de la régie : création, fichier de paramétrage.",
                        no_args_is_help=True)
app.add_typer(regie_app, name="regie")
regie_close.register(regie_app)  # `portail regie fermer` (G6)

FILE_ARG = typer.Argument(..., help="Fichier de paramétrage (TOML).", metavar="FICHIER")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")  # a BOM from a Windows editor is fine
    except UnicodeDecodeError:
        raise CliError(f"{path} n'est pas un fichier texte UTF-8.") from None
    except FileNotFoundError:
        raise CliError(f"Fichier introuvable : {path}.") from None
    except IsADirectoryError:
        raise CliError(f"{path} est un dossier, pas un fichier.") from None


def _parsed(path: Path) -> SetupFile:
    from portail_tui.services.regie_setup import parse

    setup, problems = parse(_read(path))
    if problems or setup is None:
        for p in problems:
            err_console.print(f"{path.name} : {p}", highlight=False, soft_wrap=True)
        raise CliError(f"{len(problems)} problème(s) dans {path.name} : rien n'a été modifié.")
    return setup


@regie_app.command("init")
@friendly
def regie_init(
    nom: str = typer.Option(..., "--nom", help="Nom de la régie (« Régie des services scolaires »)."),
    admin: str = typer.Option(..., "--admin", metavar="LOGIN", help="Identifiant de l'administrateur."),
    code: str = typer.Option("REGIE", "--code", help="Code court de la régie."),
    admin_nom: str | None = typer.Option(None, "--admin-nom", help="Nom complet de l'administrateur."),
) -> None:
    """Crée la régie et son administrateur dans une base vide (schéma mis à jour d'abord)."""
    from portail_tui.db import Database, upgrade
    from portail_tui.services.regie_setup.init import init_regie

    db = Database(state.settings.database_url)
    try:
        db.ping()
        upgrade(db)
    finally:
        db.dispose()
    with system_context() as ctx:
        from sqlalchemy import func, select

        from portail_tui.models import Regie

        if ctx.db.read(lambda s: s.execute(select(func.count()).select_from(Regie)).scalar_one()):
            raise CliError("La base contient déjà une régie : « regie init » ne s'utilise que sur une"
                           " base vide.")
        password = read_secret("Mot de passe de l'administrateur", confirm=True)
        regie = init_regie(ctx, name=nom, code=code, admin_login=admin, password=password,
                           admin_name=admin_nom)
    console.print(f"Régie « {regie.name} » créée, administrateur « {admin} ». Décrivez-la ensuite"
                  " dans un fichier : portail regie apply FICHIER --dry-run.", highlight=False)


@regie_app.command("check")
@friendly
def regie_check(fichier: Path = FILE_ARG) -> None:
    """Vérifie le fichier de paramétrage : chaque problème avec sa ligne et sa clé."""
    _parsed(fichier)
    console.print(f"{fichier.name} : aucun problème.", highlight=False)


@regie_app.command("apply")
@friendly
def regie_apply(
    fichier: Path = FILE_ARG,
    dry_run: bool = typer.Option(False, "--dry-run", help="Affiche ce qui changerait, sans rien modifier."),
) -> None:
    """Applique le fichier de paramétrage en une transaction (ou montre ce qui changerait)."""
    from portail_tui.services.regie_setup import apply

    setup = _parsed(fichier)
    with system_context() as ctx:
        plan = apply(ctx, setup, dry_run=dry_run)
    title = ("Simulation (--dry-run) : rien n'a été modifié." if dry_run
             else "Rien à changer : la régie est déjà ainsi paramétrée." if plan.is_noop
             else "Paramétrage appliqué.")
    for line in plan.lines():
        console.print(line, highlight=False, soft_wrap=True)
    console.print(title, highlight=False)


@regie_app.command("export")
@friendly
def regie_export(fichier: Path = typer.Argument(..., help="Fichier à écrire (TOML).", metavar="FICHIER")) -> None:
    """Écrit le paramétrage actuel de la régie dans un fichier (même format que apply)."""
    from portail_tui.exports.files import write_atomic
    from portail_tui.services.regie_setup import export, the_regie

    with system_context() as ctx:
        text = ctx.db.read(lambda s: export(s, the_regie(s, ctx)))
    path = write_atomic(fichier, text.encode("utf-8"))
    console.print(f"Paramétrage écrit dans {path}.", highlight=False)


@regie_app.command("exemple")
@friendly
def regie_exemple(fichier: Path = typer.Argument(..., help="Fichier à écrire (TOML).", metavar="FICHIER")) -> None:
    """Écrit le fichier d'exemple commenté (la commune du guide), point de départ d'une commune."""
    from portail_tui.exports.files import write_atomic
    from portail_tui.services.regie_setup import example_text

    if fichier.exists():
        raise CliError(f"{fichier} existe déjà : choisissez un autre nom.")
    path = write_atomic(fichier, example_text().encode("utf-8"))
    console.print(f"Exemple écrit dans {path} : adaptez-le, puis portail regie check {path}.", highlight=False)
