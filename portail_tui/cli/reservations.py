"""`portail export reservations`: the Suivi des réservations (R8) of one family, the
very CSV or PDF file the Réservations tab writes (same service, same report).

    portail export reservations --famille 123 [--enfant Léa] [--activite APS] \\
        --format csv|pdf --sortie PATH

Every check (family, child, format, destination) happens before anything is written,
and the file is written under a temporary name then renamed: an error never leaves a
partial file behind.
"""

from __future__ import annotations

import typer

from portail_tui.cli.base import (
    console,
    export_app,
    friendly,
    output_format,
    precheck_output,
    system_context,
    write_output,
)


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
    from portail_tui.services.booking import suivi, suivi_file
    from portail_tui.services.families import family_by_number

    value = output_format(fmt, sortie)
    precheck_output(sortie)
    with system_context() as ctx:
        family_id = family_by_number(ctx, famille)
        result = suivi(ctx, family_id, child_name=enfant, activity_text=activite)
        out = suivi_file(result, value)
    path = write_output(sortie, out.filename, out.data)
    if path is None:
        return
    n = len(result.lines)
    console.print(f"Fichier écrit : {path} ({n} réservation{'s' if n > 1 else ''}).", highlight=False,
                  soft_wrap=True)
