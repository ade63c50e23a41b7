"""`portail export reservations`: the Suivi des réservations (R8) of one family, the
very CSV or PDF file the Réservations tab writes (same service, same report).

    portail export reservations --famille 123 [--enfant Léa] [--activite APS] \\
        --format csv|pdf --sortie PATH

Every check (family, child, format, destination) happens before anything is written,
and the file is written under a temporary name then renamed: an error never leaves a
partial file behind.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from portail_tui.cli.base import CliError, console, export_app, friendly, state, system_context

STDOUT = "-"


def _format(fmt: str | None, sortie: str | None) -> str:
    if fmt:
        value = fmt.strip().lower()
    elif sortie == STDOUT:
        value = "csv"
    elif sortie and Path(sortie).suffix.lower() in (".csv", ".pdf"):
        value = Path(sortie).suffix.lower()[1:]
    else:
        value = "pdf"
    if value not in ("csv", "pdf"):
        raise CliError(f"Format inconnu : « {fmt} » (csv ou pdf).")
    if sortie == STDOUT and value != "csv":
        raise CliError("La sortie standard (--sortie -) n'accepte que le CSV : ajoutez --format csv.")
    return value


def _check_destination(sortie: str | None) -> None:
    if not sortie or sortie == STDOUT:
        return
    path = Path(sortie).expanduser()
    if path.is_dir():
        folder = path
    else:
        folder = path.parent if str(path.parent) else Path(".")
        if not folder.is_dir():
            raise CliError(f"Impossible d'écrire {path} : le dossier {folder} n'existe pas.")
    if not os.access(folder, os.W_OK):
        raise CliError(f"Impossible d'écrire {path} : accès refusé.")


def _destination(sortie: str | None, filename: str) -> Path:
    from portail_tui.exports.files import export_path

    if not sortie:
        return export_path(state.settings, filename)
    path = Path(sortie).expanduser()
    return path / filename if path.is_dir() else path


@export_app.command("reservations")
@friendly
def export_reservations(
    famille: str = typer.Option(..., "--famille", help="Numéro de la famille (ex. 123 ou 000123)."),
    enfant: str | None = typer.Option(None, "--enfant", help="Prénom d'un enfant de la famille."),
    activite: str | None = typer.Option(None, "--activite",
                                        help="Texte d'activité : « APS » garde APS MATIN, SOIR et FORFAIT."),
    fmt: str | None = typer.Option(None, "--format", help="csv ou pdf (par défaut : d'après --sortie, sinon pdf)."),
    sortie: str | None = typer.Option(
        None, "--sortie", help="Fichier (ou dossier) à écrire ; « - » : CSV sur la sortie standard."
        " Par défaut : dossier d'exports."),
) -> None:
    """Suivi des réservations d'une famille (au-delà des 15 prochains jours), en CSV ou PDF."""
    from portail_tui.exports.files import write_atomic
    from portail_tui.services.booking import suivi, suivi_file
    from portail_tui.services.families import family_by_number

    value = _format(fmt, sortie)
    _check_destination(sortie)
    with system_context() as ctx:
        family_id = family_by_number(ctx, famille)
        result = suivi(ctx, family_id, child_name=enfant, activity_text=activite)
        out = suivi_file(result, value)
    if sortie == STDOUT:
        sys.stdout.buffer.write(out.data.removeprefix(b"\xef\xbb\xbf"))
        sys.stdout.buffer.flush()
        return
    path = write_atomic(_destination(sortie, out.filename), out.data)
    n = len(result.lines)
    console.print(f"Fichier écrit : {path} ({n} réservation{'s' if n > 1 else ''}).", highlight=False,
                  soft_wrap=True)
