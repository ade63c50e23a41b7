"""Cash-desk commands: the day journal export, and PayFiP (notification endpoint,
pasted result, payment link).

- ``portail export journal --date 2026-11-28 --format csv|pdf --sortie PATH``
- ``portail payfip serve --host 127.0.0.1 --port 8085``: the address the DGFiP notifies
  (``urlnotif``, set in PORTAIL_PAYFIP_URL); put it behind the town hall's reverse
  proxy, reachable from the DGFiP only (a warning says so for any other address). The
  server itself is `portail_tui.services.payfip_server`; the command only reads its options.
- ``portail payfip resultat [IDOP|REFERENCE]``: ask the DGFiP for a result (a notification
  that could not reach the endpoint, or the DGFiP unreachable when it came); without
  argument, every pending request.
- ``portail payfip lien --famille 123 --montant 40``: a payment link e-mailed to a family.
"""

from __future__ import annotations

from typing import Any

import typer

from portail_tui.cli.base import (
    CliError,
    app,
    console,
    err_console,
    export_app,
    friendly,
    output_format,
    parse_day,
    precheck_output,
    system_context,
    write_output,
)

payfip_app = typer.Typer(help="Paiement en ligne PayFiP (DGFiP, anciennement TIPI).", no_args_is_help=True)
app.add_typer(payfip_app, name="payfip")

def _system_ctx(ctx: Any, regie: str | None) -> Any:
    from portail_tui.services.cashdesk import regie_for_code
    from portail_tui.services.permissions import system_actor

    return ctx.as_actor(system_actor(regie_for_code(ctx, regie), ctx.operator))


@export_app.command("journal")
@friendly
def export_journal(
    jour: str | None = typer.Option(None, "--date", help="Journée de caisse JJ/MM/AAAA ou AAAA-MM-JJ (par défaut : aujourd'hui)."),
    fmt: str | None = typer.Option(None, "--format", help="csv ou pdf (par défaut : d'après --sortie, sinon pdf)."),
    sortie: str | None = typer.Option(None, "--sortie",
                                      help="Fichier ou dossier ; « - » : CSV sur la sortie standard. "
                                           "Par défaut : dossier d'exports."),
    compte: str | None = typer.Option(None, "--compte",
                                      help="Espèces comptées (ex. 152,50) : montre l'écart d'une journée non clôturée."),
    regie: str | None = typer.Option(None, "--regie", help="Code de la régie (s'il y en a plusieurs)."),
) -> None:
    """Journal de caisse d'une journée : écritures, totaux par mode, chèques à remettre, contrôle des espèces."""
    from portail_tui.domain.money import AmountError, parse_amount
    from portail_tui.services.cashdesk import journal_file

    value = output_format(fmt, sortie)
    counted = None
    if compte is not None:
        try:
            counted = parse_amount(compte, allow_zero=True)
        except AmountError as exc:
            raise CliError(f"--compte : {exc.message}") from None
    precheck_output(sortie)
    with system_context() as base:
        ctx = _system_ctx(base, regie)
        day = parse_day(jour, "--date") or ctx.clock.today()
        out = journal_file(ctx, day, value, counted_cents=counted)
    path = write_output(sortie, out.filename, out.data)
    if path is None:
        return
    state_text = "clôturée" if out.journal.is_closed else "non clôturée"
    console.print(f"Fichier écrit : {path} ({out.lines} écriture(s), journée {state_text}).",
                  highlight=False, soft_wrap=True)


# --- PayFiP ---------------------------------------------------------------------------

def _print_line(line: str) -> None:
    console.print(line, highlight=False, soft_wrap=True)


@payfip_app.command("serve")
@friendly
def payfip_serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Adresse d'écoute (derrière le proxy de la mairie)."),
    port: int = typer.Option(8085, "--port", help="Port d'écoute (1 à 65535)."),
) -> None:
    """Reçoit les notifications PayFiP (urlnotif) ; chaque résultat est vérifié auprès de la DGFiP avant d'être enregistré."""
    from portail_tui.services.payfip_server import check_port, exposure_warning, make_payfip_server

    check_port(port)
    warning = exposure_warning(host)
    if warning:
        err_console.print(warning, highlight=False, soft_wrap=True)
    with system_context() as ctx:
        try:
            server = make_payfip_server(ctx, host, port, log=_print_line)
        except (OSError, OverflowError) as exc:
            reason = getattr(exc, "strerror", None) or exc
            raise CliError(f"Impossible d'écouter sur {host}:{port} : {reason}.") from None
        bound_host, bound_port = server.server_address[:2]
        console.print(f"Notifications PayFiP attendues sur http://{bound_host!s}:{bound_port}/ (Ctrl+C pour arrêter).",
                      highlight=False, soft_wrap=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            err_console.print("Arrêté.")
        finally:
            server.server_close()


@payfip_app.command("resultat")
@friendly
def payfip_resultat(
    query: str | None = typer.Argument(
        None, help="L'identifiant d'opération (idop), la référence, ou l'adresse reçue. "
                   "Sans argument : toutes les demandes en attente."),
) -> None:
    """Demande à la DGFiP le résultat d'un paiement en ligne (ou de tous ceux en attente) et l'enregistre une fois."""
    from portail_tui.services.payfip import confirm_pending, handle_result

    with system_context() as ctx:
        if query is not None:
            outcome = handle_result(ctx, query)
            console.print(outcome.message, highlight=False, soft_wrap=True)
            return
        report = confirm_pending(ctx)
    for outcome in report.outcomes:
        console.print(outcome.message, highlight=False, soft_wrap=True)
    for error in report.errors:
        err_console.print(error, highlight=False, soft_wrap=True)
    console.print(f"{len(report.outcomes) + len(report.errors)} demande(s) en attente vérifiée(s), "
                  f"{report.credited} paiement(s) enregistré(s).", highlight=False)
    if report.errors:
        raise CliError(f"{len(report.errors)} demande(s) non vérifiée(s) : à reprendre plus tard.")


@payfip_app.command("lien")
@friendly
def payfip_lien(
    famille: str = typer.Option(..., "--famille", help="Numéro de la famille."),
    montant: str = typer.Option(..., "--montant", help="Montant (ex. 40 ou 40,50)."),
    courriel: str | None = typer.Option(None, "--courriel", help="Adresse du payeur (par défaut : celle de la famille)."),
    regie: str | None = typer.Option(None, "--regie", help="Code de la régie (s'il y en a plusieurs)."),
) -> None:
    """Crée une demande de paiement en ligne et envoie le lien à la famille par courriel."""
    from portail_tui.domain.money import AmountError, parse_amount
    from portail_tui.services.families import family_by_number
    from portail_tui.services.payfip import request_payment

    try:
        cents = parse_amount(montant)
    except AmountError as exc:
        raise CliError(f"--montant : {exc.message}") from None
    with system_context() as base:
        ctx = _system_ctx(base, regie)
        link = request_payment(ctx, family_by_number(ctx, famille), amount_cents=cents, email=courriel)
    console.print(f"Demande {link.reference} ({'test' if link.is_test else 'production'}) envoyée à {link.email} :",
                  highlight=False)
    console.print(link.url, highlight=False, soft_wrap=True)
