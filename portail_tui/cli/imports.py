"""`portail import` (the template and the import of the families a town already has,
G8) and `portail comptes envoyer` (portal accounts for the imported families, R13)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from portail_tui.cli.base import CliError, app, console, err_console, friendly, system_context

import_app = typer.Typer(help="Reprise des données d'un autre logiciel : modèle de fichier, import des familles.",
                         no_args_is_help=True)
comptes_app = typer.Typer(help="Comptes du Portail Familles.", no_args_is_help=True)
app.add_typer(import_app, name="import")
app.add_typer(comptes_app, name="comptes")

REGIE_OPTION = typer.Option(None, "--regie", help="Code de la régie (s'il y en a plusieurs).")


def _admin_ctx(ctx: Any, regie: str | None) -> Any:
    from portail_tui.services.cashdesk import regie_for_code
    from portail_tui.services.permissions import system_actor

    return ctx.as_actor(system_actor(regie_for_code(ctx, regie), ctx.operator))


@contextmanager
def _progress(enabled: bool) -> Iterator[Any]:
    """A rich progress bar on a terminal; nothing when the output is a file or a pipe."""
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=err_console, transient=True) as bar:
        yield bar


@import_app.command("modele")
@friendly
def import_modele(
    fmt: str = typer.Option("xlsx", "--format", help="xlsx (feuilles « Familles » et « Soldes ») ou csv"
                            " (FICHIER et FICHIER-soldes.csv)."),
    sortie: Path = typer.Option(..., "--sortie", help="Fichier à écrire."),
) -> None:
    """Écrit le modèle du fichier d'import : une ligne par enfant, et les soldes de reprise."""
    from portail_tui.exports.files import write_atomic
    from portail_tui.services.imports.template import template_files

    files = template_files(fmt)
    suffix = "." + fmt.strip().lower()
    base = sortie if sortie.suffix.lower() == suffix else sortie.with_suffix(suffix)
    for extra, data in files.items():
        path = base.with_name(f"{base.stem}{extra}{base.suffix}")
        if not path.parent.is_dir():
            raise CliError(f"Le dossier {path.parent} n'existe pas.")
        written = write_atomic(path, data, durable=False)
        console.print(f"Modèle écrit : {written}", highlight=False, soft_wrap=True)


@import_app.command("familles")
@friendly
def import_familles(
    fichier: Path = typer.Argument(..., help="Fichier CSV ou XLSX (modèle : « portail import modele »)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Vérifie et compte sans rien écrire."),
    partiel: bool = typer.Option(False, "--partiel", help="Importe les familles valides et écrit les lignes"
                                 " rejetées dans FICHIER-rejets.csv."),
    regie: str | None = REGIE_OPTION,
) -> None:
    """Importe les familles (et les soldes de reprise) ; une erreur refuse tout le fichier, sauf avec --partiel."""
    from portail_tui.services.imports import ImportRefused, import_families

    with system_context() as base, _progress(sys.stderr.isatty()) as bar:
        ctx = _admin_ctx(base, regie)
        task = bar.add_task("Import", total=3) if bar is not None else None

        def step(what: str, done: int, total: int) -> None:
            if bar is not None:
                bar.update(task, description=what, completed=done, total=total)

        try:
            report = import_families(ctx, fichier, dry_run=dry_run, partial=partiel, progress=step)
        except ImportRefused as exc:
            if bar is not None:
                bar.stop()
            for line in exc.errors:
                err_console.print(line, highlight=False, soft_wrap=True, markup=False)
            raise CliError(exc.message) from None
    prefix = "Vérification (rien n'est écrit) — " if dry_run else ""
    console.print(prefix + report.summary, highlight=False, soft_wrap=True)
    if dry_run and report.children_added:
        # The forms and contacts are counted as they are written: a check has no figure for
        # them (it used to say « fiches créées : 0 » for an import that then made 25).
        console.print(f"Enfants à ajouter : {report.children_added}.", highlight=False)
    elif report.children_added or report.forms_created:
        console.print(f"Enfants ajoutés : {report.children_added} ; fiches créées « à saisir » : "
                      f"{report.forms_created} ; contacts : {report.contacts_added}.", highlight=False)
    if report.balances_added or report.balances_skipped:
        text = f"Soldes de reprise : {report.balances_added} {'à importer' if dry_run else 'importé(s)'}"
        if report.balances_skipped:
            text += f", {report.balances_skipped} ignoré(s) (famille déjà reprise : une seule reprise par famille)"
        console.print(text + ".", highlight=False)
    if report.errors:
        err_console.print(f"{len(report.errors)} erreur(s) :", highlight=False)
        for line in report.errors:
            err_console.print(line, highlight=False, soft_wrap=True, markup=False)
    if report.rejects_path is not None:
        console.print(f"Lignes rejetées écrites dans {report.rejects_path}.", highlight=False, soft_wrap=True)


@comptes_app.command("envoyer")
@friendly
def comptes_envoyer(regie: str | None = REGIE_OPTION) -> None:
    """Crée les comptes du portail des familles qui ont un courriel et pas encore de compte ;
    les courriels de bienvenue partent avec « portail mail send »."""
    from portail_tui.services.portal_accounts import create_missing_accounts

    with system_context() as base, _progress(sys.stderr.isatty()) as bar:
        ctx = _admin_ctx(base, regie)
        task = bar.add_task("Comptes du portail", total=None) if bar is not None else None

        def step(done: int, total: int) -> None:
            if bar is not None:
                bar.update(task, completed=done, total=total)

        batch = create_missing_accounts(ctx, progress=step)
    console.print(f"Comptes créés : {batch.created} (courriels en file d'attente : lancez « portail mail send »).",
                  highlight=False)
    for line in batch.refused:
        err_console.print(line, highlight=False, soft_wrap=True, markup=False)
