"""`portail regie fermer`: close a day for some activities (G6) from a shell — the
same service as the Régie mode, with the counts shown before anything changes."""

from __future__ import annotations

import typer

from portail_tui.cli.base import CliError, console, friendly, parse_day, system_context


def register(group: typer.Typer) -> None:
    """Add `fermer` to the `regie` group (which lives in cli/regie.py)."""
    group.command("fermer")(fermer)


@friendly
def fermer(
    jour: str = typer.Option(..., "--date", help="Jour à fermer, JJ/MM/AAAA."),
    activites: list[str] = typer.Option(..., "--activite",
                                        help="Code d'une activité fermée ce jour (répétez : --activite RS "
                                             "--activite APSS)."),
    motif: str = typer.Option(..., "--motif", help="Motif annoncé aux familles (grève, formation, inondation…)."),
    oui: bool = typer.Option(False, "--oui", help="Ne pas demander de confirmation."),
    regie: str | None = typer.Option(None, "--regie", help="Code de la régie (s'il y en a plusieurs)."),
) -> None:
    """Ferme un jour pour des activités : réservations annulées avec le motif (jamais facturées), listes
    d'attente vidées, un courriel par famille. Affiche d'abord le nombre de familles et de réservations."""
    from portail_tui.services import regie_admin
    from portail_tui.services.cashdesk import regie_for_code
    from portail_tui.services.permissions import system_actor
    from portail_tui.services.regie_admin.capacities import activity_ids

    day = parse_day(jour, "--date")
    assert day is not None
    with system_context() as base:
        ctx = base.as_actor(system_actor(regie_for_code(base, regie), base.operator))
        ids = activity_ids(ctx, activites)
        preview = regie_admin.close_day(ctx, day, ids, motif, dry_run=True)
        console.print(preview.impact.summary, highlight=False)
        if not preview.impact.activities:
            return
        if not oui:
            answer = typer.prompt("Confirmer la fermeture ? (o/n)", default="n", show_default=False)
            if answer.strip().lower() not in ("o", "oui"):
                raise CliError("Fermeture abandonnée : rien n'a changé.")
        done = regie_admin.close_day(ctx, day, ids, motif)
    console.print(f"Jour fermé : {done.impact.bookings + done.impact.waiting} réservation(s) annulée(s), "
                  f"{done.mails} courriel(s) en file d'envoi (portail mail send).", highlight=False)
