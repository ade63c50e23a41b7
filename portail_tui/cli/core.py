"""Core commands: tui (default), demo, db upgrade, agent add/list."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from portail_tui.cli.base import (
    CliError,
    agent_app,
    app,
    console,
    db_app,
    friendly,
    read_secret,
    state,
    system_context,
)
from portail_tui.config import ConfigError, Settings, default_database_url, parse_today

if TYPE_CHECKING:  # imported when a command runs: `portail --help` stays quick
    from rich.progress import Progress, TaskID

    from portail_tui.app import PortailApp
    from portail_tui.clock import Clock
    from portail_tui.db import Database
    from portail_tui.services.context import Context


@app.callback(invoke_without_command=True)
def main_callback(
    ctx: typer.Context,
    db: str | None = typer.Option(None, "--db", help="URL de la base (sinon PORTAIL_DATABASE_URL, "
                                  "sinon fichier SQLite sous data/).", envvar=None),
    today: str | None = typer.Option(None, "--today", help="Fige la date du jour (AAAA-MM-JJ) pour une démo."),
    config: Path | None = typer.Option(None, "--config", help="Fichier de réglages (lignes NOM=valeur, "
                                       "sinon PORTAIL_CONFIG) ; l'environnement l'emporte sur le fichier."),
) -> None:
    """Sans commande : lance l'application (comme « portail tui »)."""
    from portail_tui.config import Settings

    try:
        settings = Settings.from_env(config_file=config)
        state.settings = settings.with_overrides(database_url=db, today=parse_today(today))
    except ConfigError as exc:
        from portail_tui.cli.base import fail

        raise fail(str(exc)) from None
    if ctx.invoked_subcommand is None:
        tui(as_agent=None)


def _is_default_sqlite() -> bool:
    return state.settings.database_url == default_database_url()


def _demo_progress() -> Progress:
    # Imported here: the application's start-up doesn't need progress bars.
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console, transient=False)


def _generate(db: Database, families: int, seed: int, today: date) -> None:
    from portail_tui.demo.generator import generate

    with _demo_progress() as progress:
        tasks: dict[str, TaskID] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=total)
            progress.update(tasks[stage], completed=done, total=total)

        result = generate(db, families=families, seed=seed, today=today, progress=report)
    console.print(
        f"Commune de démonstration créée : {result.families} familles, {result.children} enfants, "
        f"{result.bookings} réservations, {result.payments} règlements ({result.seconds:.1f} s)."
    )


@app.command("tui")
@friendly
def tui(
    as_agent: str | None = typer.Option(None, "--as-agent", hidden=True,
                                        help="Réservé à la commande forcée SSH (voir README)."),
) -> None:
    """Lance l'application des agents (base de démonstration créée au premier lancement)."""
    from portail_tui.cli import terminal

    # Refusals first, before Textual is even imported: a connection without terminal
    # ends at once.
    if as_agent is not None:  # said first: --as-agent outside SSH is the graver mistake
        from portail_tui.cli.ssh_login import require_ssh_session

        require_ssh_session()
    refusal = terminal.refusal_here()
    if refusal is not None:
        raise CliError(refusal)
    app: PortailApp | None = None
    terminal.HangupGuard(lambda: app.exit() if app is not None else None).install()
    from portail_tui.app import PortailApp
    from portail_tui.clock import Clock

    settings = state.settings
    clock = Clock(settings.today)
    default_file = Path(default_database_url().removeprefix("sqlite:///"))
    if _is_default_sqlite() and not default_file.exists():
        from portail_tui.db import Database, upgrade

        console.print("Première utilisation : création de la base de démonstration…")
        db = Database(settings.database_url)
        upgrade(db)
        _generate(db, 150, 1, clock.today())
        db.dispose()
    if as_agent is not None:
        from portail_tui.cli.ssh_login import ssh_actor

        ctx = open_app_context(settings, clock)
        app = PortailApp(ctx, actor=ssh_actor(ctx, as_agent))
    else:
        app = PortailApp(open_context=lambda: open_app_context(settings, clock))
    app.run()


def open_app_context(settings: Settings, clock: Clock) -> Context:
    """Open the database and refuse one that is unreachable or not at head."""
    from portail_tui.db import Database, ensure_at_head
    from portail_tui.services.context import Context

    db = Database(settings.database_url)
    ensure_at_head(db)
    return Context(db=db, clock=clock, settings=settings)


@app.command("demo")
@friendly
def demo(
    families: int = typer.Option(150, "--families", min=1, max=200_000, help="Nombre de familles."),
    seed: int = typer.Option(1, "--seed", help="Graine (même graine, même commune)."),
    force: bool = typer.Option(False, "--force", help="Remplace une base existante sans demander."),
) -> None:
    """Crée une commune de démonstration réaliste (noms fictifs) dans la base configurée."""
    from portail_tui.clock import Clock
    from portail_tui.db import Database, database_has_data, upgrade, wipe_database

    db = Database(state.settings.database_url)
    db.ping()
    if database_has_data(db):
        if not force and not typer.confirm("La base contient déjà des données. Les remplacer ?",
                                           default=False):
            raise CliError("Rien n'a été modifié.")
        wipe_database(db)
        db = Database(state.settings.database_url)
    upgrade(db)
    _generate(db, families, seed, Clock(state.settings.today).today())


@db_app.command("upgrade")
@friendly
def db_upgrade(
    role_application: str | None = typer.Option(
        None, "--role-application", metavar="NOM",
        help="PostgreSQL : rôle de connexion de l'application, qui reçoit seulement les droits"
             " dont elle a besoin (commande lancée avec l'URL du propriétaire de la base)."),
) -> None:
    """Applique les migrations (crée la base si elle est vide) ; sur PostgreSQL, accorde
    ensuite ses droits au rôle de l'application (et les tient à jour aux mises à jour suivantes)."""
    from portail_tui.db import (
        application_roles,
        current_revision,
        grant_application_role,
        head_revision,
        upgrade,
    )

    with system_context(require_head=False) as ctx:
        if role_application is not None and ctx.db.is_sqlite:
            raise CliError("--role-application ne concerne que PostgreSQL.")
        before = current_revision(ctx.db)
        upgrade(ctx.db)  # also refreshes the rights of the roles already set up
        console.print(f"Base à jour : {before or 'vide'} → {head_revision()}.")
        if role_application is not None:
            grant_application_role(ctx.db, role_application)
        for role in application_roles(ctx.db):
            console.print(f"Droits de l'application accordés au rôle « {role} » : lire et écrire les"
                          " lignes ; règlements et journal d'audit en ajout seul ; ni ALTER, ni DROP,"
                          " ni TRUNCATE.")


@agent_app.command("add")
@friendly
def agent_add(
    login: str = typer.Argument(..., help="Identifiant de l'agent."),
    role: str = typer.Option("agent", "--role", help="agent, regisseur ou admin."),
    name: str | None = typer.Option(None, "--nom", help="Nom complet affiché."),
    health: bool = typer.Option(False, "--sante",
                                help="Voit les fiches santé (par défaut, un agent ne les voit pas)."),
) -> None:
    """Crée un compte agent ; le mot de passe est demandé (ou lu sur l'entrée standard)."""
    from portail_tui.services import auth

    password = read_secret("Mot de passe", confirm=True)
    with system_context() as ctx:
        agent = auth.add_agent(ctx, login, password, role=role, full_name=name,
                               can_see_health=health)
    console.print(f"Agent « {agent.login} » créé (rôle {agent.role}).")


LOGIN_ARG = typer.Argument(..., help="Identifiant de l'agent.")


def _change_agent(change: Callable[[Any], Any], said: str) -> None:
    """Run one administrator change of an agent account (services.auth) and say it;
    `said` names the agent as « {login} »."""
    with system_context() as ctx:
        agent = change(ctx)
    console.print(said.format(login=f"« {agent.login} »"))


@agent_app.command("disable")
@friendly
def agent_disable(login: str = LOGIN_ARG) -> None:
    """Désactive un compte (départ) : connexion et clé SSH refusées ; rien de son travail n'est effacé."""
    from portail_tui.services import auth

    _change_agent(lambda ctx: auth.set_agent_active(ctx, login, False), "Agent {login} désactivé.")


@agent_app.command("enable")
@friendly
def agent_enable(login: str = LOGIN_ARG) -> None:
    """Réactive un compte désactivé."""
    from portail_tui.services import auth

    _change_agent(lambda ctx: auth.set_agent_active(ctx, login, True), "Agent {login} réactivé.")


@agent_app.command("unlock")
@friendly
def agent_unlock(login: str = LOGIN_ARG) -> None:
    """Lève l'attente imposée après des mots de passe erronés."""
    from portail_tui.services import auth

    _change_agent(lambda ctx: auth.unlock_agent(ctx, login),
                  "Agent {login} : attente levée, il peut se connecter.")


@agent_app.command("password")
@friendly
def agent_password(login: str = LOGIN_ARG) -> None:
    """Donne un nouveau mot de passe (demandé, ou lu sur l'entrée standard) et lève l'attente."""
    from portail_tui.services import auth

    password = read_secret("Nouveau mot de passe", confirm=True)
    _change_agent(lambda ctx: auth.set_agent_password(ctx, login, password), "Mot de passe de {login} changé.")


@agent_app.command("list")
@friendly
def agent_list() -> None:
    """Liste les agents."""
    from portail_tui.services import auth

    with system_context() as ctx:
        agents = auth.list_agents(ctx)
    from rich.table import Table

    from portail_tui.clock import PARIS

    now = ctx.clock.now()
    table = Table("Identifiant", "Nom", "Rôle", "Santé", "Actif", "Dernière connexion")
    for a in agents:
        active = "oui" if a.active else "non"
        if a.active and a.locked_until is not None and a.locked_until > now:
            active = f"en attente jusqu'à {a.locked_until.astimezone(PARIS).strftime('%H:%M')}"
        table.add_row(a.login, a.full_name, a.role, "oui" if a.can_see_health else "non", active,
                      a.last_login_at.strftime("%d/%m/%Y %H:%M") if a.last_login_at else "—")
    console.print(table)
