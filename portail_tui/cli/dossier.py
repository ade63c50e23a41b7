"""`portail export famille`: everything the régie holds on one family, as JSON, to
answer a right-of-access request (B6). Run by an administrator at the server's
shell, so it includes the health forms; the export itself is audited."""

from __future__ import annotations

import json
import sys

import typer

from portail_tui.cli.base import STDOUT, console, export_app, friendly, output_path, system_context


@export_app.command("famille")
@friendly
def export_famille(
    famille: str = typer.Option(..., "--famille", help="Numéro de la famille (ex. 123 ou 000123)."),
    sortie: str = typer.Option(..., "--sortie", help="Fichier JSON à écrire (un dossier : nom automatique ; "
                               "« - » : sortie standard)."),
) -> None:
    """Exporte toutes les données détenues sur une famille (droit d'accès), en JSON."""
    from portail_tui.exports.files import export_filename, write_atomic
    from portail_tui.services.dossier import export_family, family_regie_id
    from portail_tui.services.families import family_by_number
    from portail_tui.services.permissions import system_actor

    with system_context() as ctx:
        family_id = family_by_number(ctx, famille)
        sys_ctx = ctx.as_actor(system_actor(family_regie_id(ctx, family_id), ctx.operator))
        number = int(famille.strip())
        filename = export_filename("donnees-famille", number, "", "json")
        path = None if sortie == STDOUT else output_path(sortie, filename)
        data = export_family(sys_ctx, family_id)
    text = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n"
    if path is None:
        sys.stdout.write(text)
        return
    write_atomic(path, text.encode("utf-8"))  # 0600 (a device or FIFO is written through, mode untouched)
    sections = sum(1 for v in data.values() if isinstance(v, list))
    console.print(f"Données de la famille n° {number:06d} écrites dans {path} "
                  f"({sections} rubriques, {len(data.get('form', []))} fiches).", highlight=False)
