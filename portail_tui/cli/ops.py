"""Operations commands (issue 7): SSH keys, browser access, mail, nightly jobs, backups,
integrity check and the audit log. docs/OPERATIONS.md explains how a town uses them."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import typer
from rich.table import Table

from portail_tui.cli.base import CliError, app, console, friendly, state, system_context

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


def _settings_env() -> dict[str, str]:
    """The settings the forced command must carry (sshd gives it an empty environment)."""
    from portail_tui.services.ssh_keys import FORWARDED_SETTINGS

    env = {"PORTAIL_DATABASE_URL": state.settings.database_url}
    if state.settings.today is not None:
        env["PORTAIL_TODAY"] = state.settings.today.isoformat()
    for name in FORWARDED_SETTINGS:
        if os.environ.get(name):
            env[name] = os.environ[name]
    return env


@ssh_app.command("authorize")
@friendly
def ssh_authorize(
    login: str = typer.Argument(..., help="Identifiant de l'agent."),
    key: Path = typer.Option(..., "--key", help="Fichier de clé PUBLIQUE de l'agent (.pub)."),
    portail: str | None = typer.Option(None, "--portail", help="Chemin du programme portail "
                                       "(par défaut celui de cette installation)."),
) -> None:
    """Autorise la clé d'un agent : elle n'ouvre que l'application, en son nom."""
    from portail_tui.services import ssh_keys

    keys_path = ssh_keys.authorized_keys_path()
    executable = _portail_executable(portail)
    with system_context() as ctx:
        result = ssh_keys.authorize(ctx, login, key, keys_path=keys_path, portail=executable,
                                    settings_env=_settings_env())
    verb = "remplacée" if result.replaced else "autorisée"
    console.print(f"Clé {result.fingerprint} {verb} pour {result.full_name} ({result.login})"
                  f" dans {result.path}.", highlight=False)


@ssh_app.command("revoke")
@friendly
def ssh_revoke(login: str = typer.Argument(..., help="Identifiant de l'agent.")) -> None:
    """Retire la clé SSH d'un agent (les connexions suivantes sont refusées)."""
    from portail_tui.services import ssh_keys

    keys_path = ssh_keys.authorized_keys_path()
    with system_context() as ctx:
        ssh_keys.revoke(ctx, login, keys_path=keys_path)
    console.print(f"Clé SSH de {login} retirée de {keys_path}.", highlight=False)


@ssh_app.command("list")
@friendly
def ssh_list() -> None:
    """Liste les agents qui ont une clé SSH autorisée."""
    from portail_tui.services import ssh_keys

    keys_path = ssh_keys.authorized_keys_path()
    keys = ssh_keys.list_authorized(keys_path)
    if not keys:
        console.print(f"Aucune clé d'agent dans {keys_path}.", highlight=False)
        return
    table = Table("Agent", "Type de clé", "Début de la clé")
    for k in keys:
        table.add_row(k.login, k.key_type, k.blob[:24] + "…")
    console.print(table)
