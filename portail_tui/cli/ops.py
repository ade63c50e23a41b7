"""Operations commands (issue 7): SSH keys, browser access, mail, nightly jobs, backups,
integrity check and the audit log. docs/OPERATIONS.md explains how a town uses them."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

if TYPE_CHECKING:
    from portail_tui.services.mail import DeliveryReport
    from portail_tui.services.ssh_keys import KeysFile

from portail_tui.cli.base import (
    CliError,
    app,
    console,
    db_app,
    friendly,
    parse_day,
    state,
    system_context,
)

ssh_app = typer.Typer(help="Accès SSH des agents : une clé par agent.", no_args_is_help=True)
app.add_typer(ssh_app, name="ssh")


def _portail_executable(explicit: str | None) -> str:
    """The `portail` of this installation (the venv's), as an absolute path: sshd starts
    the forced command with a bare PATH."""
    if explicit:
        path = Path(explicit).expanduser()
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise CliError(f"Programme introuvable ou non exécutable : {explicit}.")
        return str(path.absolute())
    beside = Path(sys.executable).parent / "portail"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside.absolute())
    found = shutil.which("portail")
    if found:
        return str(Path(found).absolute())
    raise CliError("Programme « portail » introuvable : indiquez-le avec --portail.")


_FICHIER_HELP = "Fichier authorized_keys à modifier (sinon celui du compte, ou PORTAIL_AUTHORIZED_KEYS)."
_COMPTE_HELP = "Compte système dont les clés sont modifiées (le compte de service, ex. portail)."


def _keys_file(fichier: Path | None, compte: str | None) -> KeysFile:
    from portail_tui.services import ssh_keys

    return ssh_keys.keys_file(state.settings.authorized_keys, fichier=fichier, compte=compte)


def _session_settings_file() -> Path:
    """The settings file the forced command names. sshd starts it with an almost empty
    environment, so the session's settings are the file's alone: it must exist and name
    the database this command works on."""
    from portail_tui.config import Settings

    settings = state.settings
    if settings.config_file is None:
        raise CliError("Indiquez le fichier de réglages que liront les sessions SSH :"
                       " portail --config /srv/portail/portail.env ssh authorize … (ou PORTAIL_CONFIG).")
    session = Settings.from_env({}, config_file=settings.config_file)
    if session.database_url != settings.database_url:
        raise CliError(f"Le fichier de réglages {settings.config_file} désigne une autre base que"
                       " celle de cette commande (--db ou PORTAIL_DATABASE_URL) : mettez la bonne"
                       " PORTAIL_DATABASE_URL dans le fichier.")
    return settings.config_file


@ssh_app.command("authorize")
@friendly
def ssh_authorize(
    login: str = typer.Argument(..., help="Identifiant de l'agent."),
    key: Path = typer.Option(..., "--key", help="Fichier de clé PUBLIQUE de l'agent (.pub)."),
    portail: str | None = typer.Option(None, "--portail", help="Chemin du programme portail "
                                       "(par défaut celui de cette installation)."),
    fichier: Path | None = typer.Option(None, "--fichier", help=_FICHIER_HELP),
    compte: str | None = typer.Option(None, "--compte", help=_COMPTE_HELP),
) -> None:
    """Autorise la clé d'un agent : elle n'ouvre que l'application, en son nom."""
    from portail_tui.services import ssh_keys

    keys = _keys_file(fichier, compte)
    config_file = _session_settings_file()
    executable = _portail_executable(portail)
    with system_context() as ctx:
        result = ssh_keys.authorize(ctx, login, key, keys=keys, portail=executable,
                                    config_file=config_file)
    verb = "remplacée" if result.replaced else "ajoutée"
    console.print(f"Clé {result.fingerprint} {verb} pour {result.full_name} ({result.login})"
                  f" dans {result.path} (compte {result.account}).", highlight=False)


@ssh_app.command("revoke")
@friendly
def ssh_revoke(
    login: str = typer.Argument(..., help="Identifiant de l'agent."),
    fichier: Path | None = typer.Option(None, "--fichier", help=_FICHIER_HELP),
    compte: str | None = typer.Option(None, "--compte", help=_COMPTE_HELP),
) -> None:
    """Retire la clé SSH d'un agent (les connexions suivantes sont refusées)."""
    from portail_tui.services import ssh_keys

    keys = _keys_file(fichier, compte)
    with system_context() as ctx:
        ssh_keys.revoke(ctx, login, keys=keys)
    console.print(f"Clé SSH de {login} retirée de {keys.path} (compte {keys.account}).",
                  highlight=False)


@ssh_app.command("list")
@friendly
def ssh_list(
    fichier: Path | None = typer.Option(None, "--fichier", help=_FICHIER_HELP),
    compte: str | None = typer.Option(None, "--compte", help=_COMPTE_HELP),
) -> None:
    """Liste les agents qui ont une clé SSH autorisée, avec l'empreinte de chaque clé."""
    from portail_tui.services import ssh_keys

    keys_path = fichier or (_keys_file(None, compte).path if compte else state.settings.authorized_keys)
    keys = ssh_keys.list_authorized(keys_path)
    if not keys:
        console.print(f"Aucune clé d'agent dans {keys_path}.", highlight=False)
        return
    table = Table("Agent", "Type de clé", "Empreinte (SHA256)")
    for k in keys:
        table.add_row(k.login, k.key_type, k.fingerprint)
    console.print(table)


# --- mail ---------------------------------------------------------------------------

mail_app = typer.Typer(help="Courriels aux familles : envoi de la file d'attente.", no_args_is_help=True)
app.add_typer(mail_app, name="mail")


def print_delivery(report: DeliveryReport) -> None:
    """The outcome of a delivery run, in French, failures listed."""
    from portail_tui.domain.frdates import format_datetime_short

    parts = [f"{report.sent} envoyé(s)"]
    if report.retry_later:
        parts.append(f"{report.retry_later} à réessayer plus tard")
    if report.failed:
        parts.append(f"{report.failed} en échec")
    if report.pending_not_due:
        parts.append(f"{report.pending_not_due} en attente d'un nouvel essai")
    console.print("Courriels : " + ", ".join(parts) + ".", highlight=False)
    if report.connection_error:
        console.print(f"[bold red]Serveur :[/] {report.connection_error} — les messages restent"
                      " dans la file.", highlight=False)
    if report.failures:
        table = Table("N°", "Destinataire", "Objet", "Erreur", "Suite")
        for f in report.failures:
            suite = "abandonné" if f.final else (
                f"nouvel essai {format_datetime_short(f.next_attempt_at)}" if f.next_attempt_at else "")
            table.add_row(str(f.message_id), f.to_addr, f.subject, f.error, suite)
        console.print(table)
    for mid in report.interrupted:
        console.print(f"[bold yellow]À vérifier :[/] le message n° {mid} était en cours d'envoi lors"
                      f" d'une interruption ; « portail mail retry {mid} » pour le renvoyer.",
                      highlight=False)


@mail_app.command("send")
@friendly
def mail_send(
    limit: int | None = typer.Option(None, "--limite", min=1, help="Nombre maximal de messages."),
) -> None:
    """Envoie les courriels en attente (chaque message une seule fois)."""
    from portail_tui.services.mail import deliver_outbox

    settings = state.settings.require_smtp()
    with system_context() as ctx:
        report = deliver_outbox(ctx, settings, limit=limit)
    print_delivery(report)
    if not report.ok:
        raise typer.Exit(1)


@mail_app.command("list")
@friendly
def mail_list(
    all_: bool = typer.Option(False, "--tous", help="Inclut les messages déjà envoyés."),
) -> None:
    """Liste la file d'attente (en attente, en cours, en échec)."""
    from portail_tui.domain.frdates import format_datetime_short
    from portail_tui.services.mail import list_outbox, status_label

    statuses = ("pending", "sending", "failed", "sent") if all_ else ("pending", "sending", "failed")
    with system_context() as ctx:
        lines = list_outbox(ctx, statuses=statuses)
    if not lines:
        console.print("File d'attente vide.")
        return
    table = Table("N°", "État", "Destinataire", "Objet", "Essais", "Prochain essai", "Dernière erreur")
    for m in lines:
        table.add_row(str(m.id), status_label(m.status), m.to_addr, m.subject, str(m.attempts),
                      format_datetime_short(m.next_attempt_at) if m.next_attempt_at and m.status == "pending"
                      else "", m.last_error or "")
    console.print(table)


@mail_app.command("retry")
@friendly
def mail_retry(ids: list[int] = typer.Argument(..., help="Numéros des messages en échec.")) -> None:
    """Remet en file des messages en échec (après vérification)."""
    from portail_tui.services.mail import requeue

    with system_context() as ctx:
        count = requeue(ctx, ids)
    console.print(f"{count} message(s) remis dans la file d'attente.")


# --- database: backup, restore, check -------------------------------------------------

def _size(n: int) -> str:
    size = float(n)
    for unit in ("o", "Ko", "Mo", "Go"):
        if size < 1024 or unit == "Go":
            return f"{size:.0f} {unit}" if unit == "o" else f"{size:.1f} {unit}".replace(".", ",")
        size /= 1024
    return str(size)  # pragma: no cover


@db_app.command("backup")
@friendly
def db_backup(
    path: Path = typer.Argument(..., help="Fichier de sauvegarde, ou dossier (nom daté automatique)."),
) -> None:
    """Sauvegarde la base (SQLite : copie à chaud ; PostgreSQL : pg_dump)."""
    from portail_tui.services.backup import backup

    with system_context() as ctx:
        result = backup(ctx, path)
    console.print(f"Sauvegarde écrite : {result.path} ({_size(result.size)}, schéma {result.revision},"
                  f" {result.seconds:.1f} s).", highlight=False)


@db_app.command("restore")
@friendly
def db_restore(
    path: Path = typer.Argument(..., help="Fichier produit par « portail db backup »."),
    yes: bool = typer.Option(False, "--oui", help="Ne pas demander de confirmation."),
) -> None:
    """Remplace la base par une sauvegarde (la base actuelle est d'abord sauvegardée à côté)."""
    from portail_tui.services.backup import inspect_backup, restore

    engine, revision = inspect_backup(path)  # refuse a wrong file before asking anything
    if not yes and not typer.confirm(
            f"Remplacer TOUTES les données de la base par la sauvegarde {path} ?", default=False):
        raise CliError("Rien n'a été modifié.")
    with system_context(require_head=False) as ctx:
        result = restore(ctx, path)
    console.print(f"Base restaurée depuis {result.path} (schéma {result.revision}).", highlight=False)
    if result.upgraded_to:
        console.print(f"Schéma mis à jour ensuite : {result.upgraded_to}.", highlight=False)
    console.print(f"La base remplacée a été sauvegardée dans {result.safety_copy}.", highlight=False)
    for floor in result.receipts:
        if floor.highest_issued > floor.in_backup:
            console.print(f"Régie n° {floor.regie_id} : quittances n° {floor.in_backup + 1} à {floor.highest_issued}"
                          " émises après la sauvegarde ; la prochaine portera le n°"
                          f" {floor.highest_issued + 1}.", highlight=False)
    console.print("Les sessions ouvertes avant la restauration doivent être quittées et relancées"
                  " (elles en sont averties et n'enregistrent plus rien).", highlight=False)


@db_app.command("check")
@friendly
def db_check(
    reparer: bool = typer.Option(False, "--reparer",
                                 help="Rétablit d'abord le garde-fou des règlements s'il manque ou a été modifié."),
) -> None:
    """Vérifie l'intégrité et les invariants de l'argent et des places ; code 1 si problème."""
    from portail_tui.services.integrity import run_checks
    from portail_tui.services.payment_guards import restore_guards

    with system_context() as ctx:
        if reparer:
            from portail_tui.services.cashdesk import regie_for_code
            from portail_tui.services.permissions import system_actor

            restored = restore_guards(ctx.as_actor(system_actor(regie_for_code(ctx), ctx.operator)))
            console.print(f"Garde-fou des règlements rétabli : {', '.join(restored)}." if restored
                          else "Garde-fou des règlements : déjà en place.", highlight=False)
        report = run_checks(ctx)
    for label in report.checks:
        console.print(f"  · {label}", highlight=False)
    for warning in report.warnings:
        console.print(f"  [bold yellow]⚠[/] {warning.message}", highlight=False, soft_wrap=True)
    examined = ", ".join(f"{n} {what}" for what, n in report.examined.items())
    if report.ok:
        console.print(f"[bold green]Aucun problème[/] ({examined}).", highlight=False)
        return
    console.print(f"[bold red]{len(report.problems)} problème(s) :[/]", highlight=False)
    for problem in report.problems:
        console.print(f"  ✗ {problem.message}", highlight=False, soft_wrap=True)
    raise typer.Exit(1)


# --- audit -------------------------------------------------------------------------------

@app.command("audit")
@friendly
def audit_list(
    famille: str | None = typer.Option(None, "--famille", help="Numéro de la famille."),
    agent: str | None = typer.Option(None, "--agent", help="Identifiant de l'agent (ou system)."),
    depuis: str | None = typer.Option(None, "--depuis", help="Date de début (JJ/MM/AAAA ou AAAA-MM-JJ)."),
    jusqu: str | None = typer.Option(None, "--jusqu-au", help="Date de fin incluse."),
    action: str | None = typer.Option(None, "--action", help="Type d'action, ex. payment ou payment.refund."),
    limit: int = typer.Option(200, "--limite", min=1, max=100_000, help="Nombre de lignes au plus."),
) -> None:
    """Journal d'audit : qui a fait quoi, quand."""
    from portail_tui.domain.frdates import format_datetime_short
    from portail_tui.services.audit_query import list_audit

    with system_context() as ctx:
        page = list_audit(ctx, family_number=famille, agent_login=agent, since=parse_day(depuis, "--depuis"),
                          until=parse_day(jusqu, "--jusqu-au"), action=action, limit=limit)
    if not page.lines:
        console.print("Aucune entrée ne correspond.")
        return
    table = Table("Date", "Qui", "Action", "Famille", "Détails")
    for line in page.lines:
        family = f"{line.family_number} {line.family_name}" if line.family_number else ""
        table.add_row(format_datetime_short(line.at), line.actor_name, line.action_label, family,
                      line.details_text)
    console.print(table)
    if page.truncated:
        console.print(f"(les {limit} entrées les plus récentes ; précisez les filtres ou --limite)")


# --- nightly ---------------------------------------------------------------------------

@app.command("nightly")
@friendly
def nightly(
    day: str | None = typer.Option(None, "--date", help="Jour de la tâche (par défaut aujourd'hui) :"
                                   " les récapitulatifs portent sur la veille."),
) -> None:
    """Tâches de nuit : récapitulatifs de la veille, listes d'attente, fiches échues, courriels."""
    from dataclasses import replace

    from portail_tui.clock import Clock
    from portail_tui.services.nightly import run_nightly

    smtp, smtp_error = state.settings.smtp, state.settings.smtp_error
    with system_context() as ctx:
        today = parse_day(day, "--date") or ctx.clock.today()
        ctx = replace(ctx, clock=Clock(today))
        report = run_nightly(ctx, today, smtp=smtp, smtp_error=smtp_error)
    console.print(f"Tâches de nuit du {today:%d/%m/%Y} :", highlight=False)
    for step in report.steps:
        if step.error:
            console.print(f"  [bold red]✗[/] {step.label} : {step.error}", highlight=False)
        elif step.skipped:
            console.print(f"  – {step.label} : ignoré ({step.note})", highlight=False)
        else:
            note = f" ({step.note})" if step.note else ""
            console.print(f"  ✓ {step.label} : {step.count}{note}", highlight=False)
    if report.delivery is not None:
        print_delivery(report.delivery)
    if not report.ok:
        raise typer.Exit(1)


# --- browser ---------------------------------------------------------------------------

@app.command("serve")
@friendly
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Adresse d'écoute (127.0.0.1 : ce poste seulement)."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port HTTP."),
    public_url: str | None = typer.Option(None, "--url-publique",
                                          help="Adresse vue par les navigateurs (derrière un proxy https)."),
    portail: str | None = typer.Option(None, "--portail", help="Chemin du programme portail."),
    force_public: bool = typer.Option(False, "--force-hote-public",
                                      help="Écouter sur le réseau sans proxy https (déconseillé)."),
) -> None:
    """Sert l'application aux navigateurs (textual-serve) ; chaque onglet commence par la connexion."""
    from portail_tui.cli import web

    executable = _portail_executable(portail)
    with system_context():  # refuse now a database that the served sessions could not open
        pass
    for warning in web.exposure_warnings(host, port, public_url, force=force_public):
        console.print(f"[bold yellow]Attention :[/] {warning}", highlight=False)
    web.prepare_environment(state.settings.database_env())
    server = web.make_server(portail=executable, host=host, port=port, public_url=public_url,
                             settings=state.settings)
    server.serve()
