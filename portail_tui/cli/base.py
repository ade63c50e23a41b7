"""Shared pieces of the `portail` CLI: the typer apps, global options and one way to
turn refusals into one French line and a non-zero exit (never a traceback)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import typer
from rich.console import Console

from portail_tui.clock import Clock
from portail_tui.config import ConfigError, Settings

if TYPE_CHECKING:  # imported when a command runs: `portail --help` stays quick
    from portail_tui.db import Database
    from portail_tui.services.context import Context

F = TypeVar("F", bound=Callable[..., Any])

HELP_OPTION_TEXT = "Affiche cette aide et quitte."
# What typer (and the click it carries) says in English, as `portail … --help` and its
# errors show it. typer reads these module constants when it prints, so setting them
# once here is enough; the rest are fixed strings, translated by the wrappers below.
TYPER_TEXTS = {
    "DEPRECATED_STRING": "(obsolète) ",
    "DEFAULT_STRING": "[défaut : {}]",
    "ENVVAR_STRING": "[variable d'environnement : {}]",
    "REQUIRED_LONG_STRING": "[obligatoire]",
    "ARGUMENTS_PANEL_TITLE": "Arguments",
    "OPTIONS_PANEL_TITLE": "Options",
    "COMMANDS_PANEL_TITLE": "Commandes",
    "ERRORS_PANEL_TITLE": "Erreur",
    "ABORTED_TEXT": "Abandon.",
    "RICH_HELP": "Essayez [blue]« {command_path} {help_option} »[/] pour l'aide.",
}
GETTEXT_TEXTS = {
    "No such command {name!r}.": "Commande inconnue : {name!r}.",
    "Aborted!": "Abandon.",
    "(dynamic)": "(calculé)",
    "default: {default}": "défaut : {default}",
    "required": "obligatoire",
    "env var: {var}": "variable d'environnement : {var}",
    "Arguments": "Arguments",
    "Options": "Options",
}
ERROR_PREFIXES = (
    ("Missing argument", "Argument manquant"),
    ("Missing option", "Option manquante"),
    ("Missing parameter", "Paramètre manquant"),
    ("No such option", "Option inconnue"),
    ("Invalid value for", "Valeur invalide pour"),
    ("Invalid value", "Valeur invalide"),
    ("Got unexpected extra argument(s)", "Argument(s) en trop"),
    ("Got unexpected extra argument", "Argument en trop"),
)
USAGE_PREFIX = "Utilisation : "


def _french(message: str) -> str:
    for english, french in ERROR_PREFIXES:
        if message.startswith(english):
            rest = message[len(english):].lstrip(":").strip()
            return f"{french} : {rest}" if rest else french
    return message


def _french_rich_utils() -> None:
    """typer imports its rich printer only to print help or an error (67 ms, not paid by
    `portail tui`): the French texts go in once it is loaded, before it prints."""
    rich_utils = sys.modules.get("typer.rich_utils")
    if rich_utils is not None and getattr(rich_utils, "REQUIRED_LONG_STRING", None) != TYPER_TEXTS[
            "REQUIRED_LONG_STRING"]:
        for name, text in TYPER_TEXTS.items():
            setattr(rich_utils, name, text)


def speak_french() -> None:
    """Every piece of `--help` and of a usage error in French (« [obligatoire] », « Affiche
    cette aide et quitte. », « Utilisation : »). typer carries its own copy of click
    (typer._click) with these strings fixed: the help option's text, the usage prefix and
    the error messages are set where typer builds them; the rich printer's texts when it
    prints (help and errors start with the usage line). Idempotent."""
    import typer.core
    from typer._click import core as click_core
    from typer._click import exceptions as click_exceptions
    from typer._click import formatting as click_formatting

    if getattr(click_core.Command.get_help_option, "_portail_french", False):
        return
    _french_rich_utils()
    typer.core._ = lambda message: GETTEXT_TEXTS.get(message, message)  # type: ignore[attr-defined]

    english_help_option = click_core.Command.get_help_option

    def get_help_option(self: Any, ctx: Any) -> Any:
        _french_rich_utils()
        option = english_help_option(self, ctx)
        if option is not None:
            option.help = HELP_OPTION_TEXT
        return option

    get_help_option._portail_french = True  # type: ignore[attr-defined]
    click_core.Command.get_help_option = get_help_option  # type: ignore[method-assign]

    english_usage = click_formatting.HelpFormatter.write_usage

    def write_usage(self: Any, prog: str, args: str = "", prefix: str | None = None) -> None:
        _french_rich_utils()
        args = args.replace("COMMAND [ARGS]", "COMMANDE [ARGS]")
        english_usage(self, prog, args, USAGE_PREFIX if prefix is None else prefix)

    click_formatting.HelpFormatter.write_usage = write_usage  # type: ignore[method-assign]

    for cls in (click_exceptions.ClickException, click_exceptions.UsageError, click_exceptions.BadParameter,
                click_exceptions.MissingParameter, click_exceptions.NoSuchOption):
        english_format = cls.__dict__.get("format_message")
        if english_format is None:
            continue

        def format_message(self: Any, _english: Any = english_format) -> str:
            return _french(_english(self))

        cls.format_message = format_message  # type: ignore[method-assign]


speak_french()

# Outside a terminal (cron logs, pipes) rich would wrap tables at 80 columns.
console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 160)

app = typer.Typer(
    name="portail",
    help="Portail Familles, édition guichet : application des agents de la régie et tâches de nuit.",
    no_args_is_help=False,
    add_completion=False,
    rich_markup_mode="rich",
)
db_app = typer.Typer(help="Base de données : migrations, sauvegarde, vérification.", no_args_is_help=True)
agent_app = typer.Typer(help="Comptes des agents.", no_args_is_help=True)
export_app = typer.Typer(help="Exports CSV et PDF (mêmes fichiers que depuis l'écran).", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(agent_app, name="agent")
app.add_typer(export_app, name="export")


@dataclass
class CliState:
    settings: Settings = field(default_factory=Settings)


state = CliState()


class CliError(Exception):
    """Stop the command with one French line on stderr and exit code 1 (or `code`)."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(f"[bold red]Erreur :[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def friendly(fn: F) -> F:
    """Decorator for commands: refusals (service, config, database, I/O) become one line."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from portail_tui.db import DatabaseError
        from portail_tui.services.context import ServiceError

        try:
            return fn(*args, **kwargs)
        except CliError as exc:
            raise fail(exc.message, exc.code) from None
        except ServiceError as exc:
            raise fail(exc.message) from None
        except (ConfigError, DatabaseError) as exc:
            raise fail(str(exc)) from None
        except OSError as exc:
            raise fail(f"{exc.strerror or exc} : {exc.filename or ''}".strip(" :")) from None
        except KeyboardInterrupt:
            raise fail("Interrompu.", 130) from None
        except Exception as exc:
            from portail_tui.db import privilege_refusal

            refusal = privilege_refusal(exc)
            if refusal is None:
                raise
            raise fail(refusal) from None

    return cast(F, wrapper)


def open_database(*, require_head: bool = True) -> Database:
    from portail_tui.db import Database, ensure_at_head

    db = Database(state.settings.database_url)
    if require_head:
        ensure_at_head(db)
    else:
        db.ping()
    return db


@contextmanager
def system_context(*, require_head: bool = True) -> Iterator[Context]:
    """A Context for commands run by the system (cron, an administrator's shell)."""
    from portail_tui.services.context import Context

    db = open_database(require_head=require_head)
    try:
        yield Context(db=db, clock=Clock(state.settings.today), settings=state.settings,
                      operator=operator_identity())
    finally:
        db.dispose()


def operator_identity(environ: Mapping[str, str] | None = None) -> str:
    """Who runs this command, for the audit (B5): the operating-system user, and the SSH
    client's address when the command came over SSH — a change made at 2 a.m. by
    « root, ssh 192.0.2.7 » is not the same as one made by cron."""
    import getpass

    env = os.environ if environ is None else environ
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers): the number is still someone
        user = f"uid {os.getuid()}"
    ssh = (env.get("SSH_CONNECTION") or env.get("SSH_CLIENT") or "").split()
    where = f"ssh {ssh[0]}" if ssh else "terminal" if sys.stdin.isatty() else "sans terminal"
    return f"{user[:40]}, {where[:60]}"


def parse_day(text: str | None, option: str) -> date | None:
    """A day given on the command line, None when absent. Every command reads days the
    same way: what a person types (« 28/11/2026 », « 28/11/26 ») and what a script
    writes (ISO « 2026-11-28 », also « 20261128 »)."""
    if not text:
        return None
    from portail_tui.domain.frdates import DateError, parse_date_fr

    try:
        return parse_date_fr(text)
    except DateError as exc:
        try:
            return date.fromisoformat(text.strip())
        except ValueError:
            raise CliError(f"Date invalide pour {option} : {text!r} ({exc}).") from None


def read_secret(prompt: str, *, confirm: bool = False) -> str:
    """A password from the terminal (hidden) or from standard input when piped —
    never from an argument, where it would end up in shell history and `ps`."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt(prompt, hide_input=True, confirmation_prompt=confirm))


# --- where an export command writes: --format and --sortie, the same for every command ----

STDOUT = "-"
"""--sortie - : the CSV on standard output (for a pipe), without the BOM a spreadsheet wants."""


def output_format(fmt: str | None, sortie: str | None, *, default: str = "pdf") -> str:
    """--format if given, else the extension of --sortie (CSV for standard output),
    else `default`; standard output takes CSV only."""
    if fmt:
        value = fmt.strip().lower()
        if value not in ("csv", "pdf"):
            raise CliError(f"Format inconnu : « {fmt} » (csv ou pdf).")
    elif sortie == STDOUT:
        value = "csv"
    elif sortie and Path(sortie).suffix.lower() in (".csv", ".pdf"):
        value = Path(sortie).suffix.lower()[1:]
    else:
        value = default
    if sortie == STDOUT and value != "csv":
        raise CliError("La sortie standard (--sortie -) n'accepte que le CSV : ajoutez --format csv.")
    return value


def output_path(sortie: str | None, filename: str) -> Path:
    """--sortie as given (a folder means "this file name in that folder"), else the
    configured exports folder; a missing or read-only folder is refused (ExportError)."""
    from portail_tui.exports.files import ExportError, export_path

    if not sortie:
        return export_path(state.settings, filename)
    path = Path(sortie).expanduser()
    if path.is_dir():
        return path / filename
    if path.is_char_device() or path.is_fifo():
        # Written through, never replaced (/dev/null, a pipe): its folder's rights don't matter.
        if not os.access(path, os.W_OK):
            raise ExportError(f"Impossible d'écrire {path} : accès refusé.")
        return path
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise ExportError(f"Impossible d'écrire {path} : le dossier {parent} n'existe pas.")
    if not os.access(parent, os.W_OK):
        raise ExportError(f"Impossible d'écrire {path} : accès refusé.")
    return path


def precheck_output(sortie: str | None) -> None:
    """Refuse an unusable --sortie before any work (the file name is not known yet), so a
    long export never ends on "cannot write"."""
    if sortie and sortie != STDOUT:
        output_path(sortie, "verification")


def write_output(sortie: str | None, filename: str, data: bytes) -> Path | None:
    """Standard output for "-" (returns None), else the file written atomically (never
    left half-written) at `output_path`, returned for the command's closing line."""
    from portail_tui.exports.files import write_atomic

    if sortie == STDOUT:
        sys.stdout.buffer.write(data.removeprefix(b"\xef\xbb\xbf"))
        sys.stdout.buffer.flush()
        return None
    return write_atomic(output_path(sortie, filename), data)
