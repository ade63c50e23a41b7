"""Settings: everything the program reads from its environment, in one typed object
(and the CLI's global options, which override it).

This module is the only one that reads the environment for the application's
settings: the CLI builds one `Settings` at start-up (`Settings.from_env`) and every
service receives it through its `Context`. Every setting has a default that works on a
fresh machine: an SQLite file under ``data/`` next to the package, exports under
``data/exports``, no mail server, pg_dump found on the PATH. README and
docs/OPERATIONS.md document the variables.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from email.utils import parseaddr
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("PORTAIL_DATA_DIR", PROJECT_DIR / "data"))
"""PORTAIL_DATA_DIR: where the default SQLite file and exports folder live, read at import
for the defaults below (`Settings.from_env` also reads it from a settings file)."""

ENV_AUTHORIZED_KEYS = "PORTAIL_AUTHORIZED_KEYS"
ENV_CONFIG = "PORTAIL_CONFIG"
"""PORTAIL_CONFIG (or --config): the settings file, KEY=VALUE lines. An SSH forced command
carries its path, sshd starting it with an almost empty environment."""

PAYFIP_WS_URL = "https://www.payfip.gouv.fr/tpa/services/securite"

_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

_TRUE = {"1", "oui", "o", "yes", "y", "true", "vrai", "on"}
_FALSE = {"0", "non", "n", "no", "false", "faux", "off", ""}

SMTP_NOT_CONFIGURED = ("Envoi des courriels non configuré : définissez PORTAIL_SMTP_HOST"
                       " (voir docs/OPERATIONS.md).")


class ConfigError(ValueError):
    """A setting a person gave is unusable; the message is French and shown as is."""

    @property
    def message(self) -> str:
        return str(self)


def is_loopback(host: str) -> bool:
    """The machine itself: where credentials (SMTP) or a page without TLS (`portail serve`)
    may travel in clear."""
    import ipaddress  # only the commands that check a host need it (start-up time)

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def default_database_url() -> str:
    return f"sqlite:///{DATA_DIR / 'portail.db'}"


def parse_today(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise ConfigError(f"Date invalide pour PORTAIL_TODAY/--today : {text!r} (attendu AAAA-MM-JJ).") from exc


def authorized_keys_path(env: Mapping[str, str]) -> Path:
    """The file sshd reads for the service account: PORTAIL_AUTHORIZED_KEYS (tests, an
    `AuthorizedKeysFile` elsewhere than ~/.ssh), else ~/.ssh/authorized_keys."""
    override = env.get(ENV_AUTHORIZED_KEYS)
    if override:
        return Path(override)
    return Path(env.get("HOME") or Path.home()) / ".ssh" / "authorized_keys"


def tool_environment() -> dict[str, str]:
    """The environment for a PostgreSQL tool the program runs (pg_dump, pg_restore): ours
    without the PG* variables, so that only what the database URL says reaches libpq."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PG")}


def read_settings_file(path: Path) -> dict[str, str]:
    """The KEY=VALUE lines of a settings file: the file cron sources with `set -a; . file`
    (docs/OPERATIONS.md), read without a shell so that an SSH session gets the same
    settings. Blank lines and # comments are skipped, `export ` is allowed, one pair of
    surrounding quotes is removed; nothing is expanded."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigError(f"Fichier de réglages illisible : {path} ({reason}).") from None
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line.removeprefix("export ").lstrip()
        name, sep, value = line.partition("=")
        if not sep or not _NAME_RE.fullmatch(name):
            raise ConfigError(f"{path}, ligne {number} : attendu NOM=valeur, reçu {line!r}.")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[name] = value
    return values


def _flag(env: Mapping[str, str], name: str) -> bool:
    value = (env.get(name) or "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name} doit valoir oui ou non (reçu {value!r}).")


@dataclass(frozen=True)
class SmtpSettings:
    """How `portail mail send` and `portail nightly` reach the town's mail server."""

    host: str
    """PORTAIL_SMTP_HOST: the mail server; without it, nothing is sent (mail stays queued)."""
    port: int
    """PORTAIL_SMTP_PORT: default 465 with SSL, 587 with STARTTLS, else 25."""
    sender: str
    """PORTAIL_SMTP_FROM: the From header, « Régie scolaire <regie@mairie.example> »."""
    starttls: bool = False
    """PORTAIL_SMTP_STARTTLS (oui/non): upgrade the connection with STARTTLS."""
    ssl: bool = False
    """PORTAIL_SMTP_SSL (oui/non): TLS from the first byte (port 465); excludes STARTTLS."""
    user: str | None = None
    """PORTAIL_SMTP_USER: login, only over TLS unless the server is the machine itself."""
    password: str | None = field(default=None, repr=False)
    """PORTAIL_SMTP_PASSWORD_FILE (a file readable by the service account, advised) or
    PORTAIL_SMTP_PASSWORD. Never shown in a repr."""
    timeout: float = 30.0
    """PORTAIL_SMTP_TIMEOUT: seconds before a silent server counts as unreachable."""
    cafile: str | None = None
    """PORTAIL_SMTP_CAFILE: certificate authority of a server with a private certificate."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SmtpSettings:
        """Read PORTAIL_SMTP_*; every mistake is one French line naming the variable."""
        host = (env.get("PORTAIL_SMTP_HOST") or "").strip()
        if not host:
            raise ConfigError(SMTP_NOT_CONFIGURED)
        use_ssl = _flag(env, "PORTAIL_SMTP_SSL")
        starttls = _flag(env, "PORTAIL_SMTP_STARTTLS")
        if use_ssl and starttls:
            raise ConfigError("PORTAIL_SMTP_SSL et PORTAIL_SMTP_STARTTLS s'excluent : choisissez l'un"
                              " (SSL sur le port 465, STARTTLS sur le port 587).")
        port_text = (env.get("PORTAIL_SMTP_PORT") or "").strip()
        if port_text:
            if not port_text.isdigit() or not 0 < int(port_text) < 65536:
                raise ConfigError(f"PORTAIL_SMTP_PORT invalide : {port_text!r}.")
            port = int(port_text)
        else:
            port = 465 if use_ssl else 587 if starttls else 25
        sender = (env.get("PORTAIL_SMTP_FROM") or "").strip()
        if not sender or "@" not in parseaddr(sender)[1]:
            raise ConfigError("PORTAIL_SMTP_FROM manquant ou invalide : l'adresse d'expédition,"
                              " par ex. « Régie scolaire <regie@mairie.example> ».")
        user = (env.get("PORTAIL_SMTP_USER") or "").strip() or None
        password = env.get("PORTAIL_SMTP_PASSWORD") or None
        password_file = (env.get("PORTAIL_SMTP_PASSWORD_FILE") or "").strip()
        if password_file:
            try:
                password = Path(password_file).read_text(encoding="utf-8").strip("\r\n")
            except OSError as exc:
                raise ConfigError(f"PORTAIL_SMTP_PASSWORD_FILE illisible : {password_file}"
                                  f" ({exc.strerror or exc}).") from None
        if user and password is None:
            raise ConfigError("PORTAIL_SMTP_USER est défini sans mot de passe :"
                              " PORTAIL_SMTP_PASSWORD_FILE (conseillé) ou PORTAIL_SMTP_PASSWORD.")
        if user and not (use_ssl or starttls) and not is_loopback(host):
            raise ConfigError("Identifiants SMTP sans chiffrement vers un autre serveur : activez"
                              " PORTAIL_SMTP_STARTTLS ou PORTAIL_SMTP_SSL.")
        timeout_text = (env.get("PORTAIL_SMTP_TIMEOUT") or "30").strip()
        try:
            timeout = float(timeout_text)
        except ValueError:
            raise ConfigError(f"PORTAIL_SMTP_TIMEOUT invalide : {timeout_text!r}.") from None
        return cls(host=host, port=port, sender=sender, starttls=starttls, ssl=use_ssl, user=user,
                   password=password, timeout=timeout,
                   cafile=(env.get("PORTAIL_SMTP_CAFILE") or "").strip() or None)

    @property
    def sender_address(self) -> str:
        return parseaddr(self.sender)[1]


def _number(env: Mapping[str, str], name: str, default: float, *, minimum: float = 0) -> float:
    text = (env.get(name) or "").strip().replace(",", ".")
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = minimum - 1
    if not value >= minimum:  # also refuses nan
        raise ConfigError(f"{name} invalide : {text!r} (un nombre, {minimum:g} au moins).")
    return value


def _default_authorized_keys() -> Path:
    return Path.home() / ".ssh" / "authorized_keys"


def login_source_from(env: Mapping[str, str]) -> str:
    """Where the user of a process with this environment sits: « ssh ADDRESS » inside an
    SSH session, « navigateur ADDRESS » in a session served by `portail serve`
    (PORTAIL_CLIENT_ADDRESS, set by the server per browser session), else « terminal »."""
    ssh = (env.get("SSH_CONNECTION") or env.get("SSH_CLIENT") or "").split()
    if ssh:
        return f"ssh {ssh[0]}"
    if "web_driver" in env.get("TEXTUAL_DRIVER", "").lower():
        return f"navigateur {env.get('PORTAIL_CLIENT_ADDRESS', '').strip() or 'adresse inconnue'}"
    return "terminal"


@dataclass(frozen=True)
class Settings:
    """Every setting of the program. Frozen: a service cannot change what another sees."""

    database_url: str = field(default_factory=default_database_url)
    """PORTAIL_DATABASE_URL (or --db): an SQLAlchemy URL, SQLite file or PostgreSQL server;
    default an SQLite file under data/."""
    today: date | None = None
    """PORTAIL_TODAY (or --today), AAAA-MM-JJ: pins the calendar date for a demo or a test
    while the time of day keeps running; None is the real date."""
    exports_dir: Path = DATA_DIR / "exports"
    """PORTAIL_EXPORTS_DIR: the folder every screen export and receipt is written to."""
    printer: str | None = None
    """PORTAIL_PRINTER: the CUPS printer `lp` sends to; None is CUPS's default printer."""
    school_zone: str = "A"
    """PORTAIL_ZONE: the school holiday zone (A, B or C) of the town's calendar."""
    rollover: str = "09-01"
    """PORTAIL_ROLLOVER, MM-JJ: the school-year rollover from which forms are « à mettre
    à jour »."""
    payfip_url: str | None = None
    """PORTAIL_PAYFIP_URL: public address of `portail payfip serve`, the "urlcl" PayFiP
    notifies; without it no payment link can be made."""
    payfip_ws_url: str = PAYFIP_WS_URL
    """PORTAIL_PAYFIP_WS_URL: the DGFiP's PayFiP web service (SOAP), asked for every
    payment's operation id and for every result before anything is credited."""
    payfip_redirect_url: str | None = None
    """PORTAIL_PAYFIP_RETOUR_URL: where the family's browser comes back after paying
    ("urlredirect"); default PORTAIL_PAYFIP_URL. Nothing it carries is believed."""
    smtp: SmtpSettings | None = None
    """PORTAIL_SMTP_*: the mail server, None when PORTAIL_SMTP_HOST is not set (or the
    settings are wrong: see `smtp_error`)."""
    smtp_error: str | None = None
    """Why the PORTAIL_SMTP_* settings are unusable, in French; kept rather than raised so
    that a mail mistake never stops the application, only the sending."""
    pg_bindir: Path | None = None
    """PORTAIL_PG_BINDIR: folder of pg_dump/pg_restore for `portail db backup|restore`,
    when they are not on the PATH (newest /usr/lib/postgresql/*/bin otherwise)."""
    authorized_keys: Path = field(default_factory=_default_authorized_keys)
    """PORTAIL_AUTHORIZED_KEYS: the authorized_keys file `portail ssh` manages; default
    ~/.ssh/authorized_keys of the service account."""
    config_file: Path | None = None
    """PORTAIL_CONFIG (or --config): the settings file read, absolute; None without one.
    A variable set (not blank) in the environment wins over the file's, as with dotenv
    files: an explicit override for one command; the command-line options (--db,
    --today) win over both."""
    login_source: str = "terminal"
    """Where this process's user sits, for the login throttle and the audit of failed
    logins: « ssh ADDRESS » (SSH_CONNECTION), « navigateur ADDRESS » under `portail
    serve` (PORTAIL_CLIENT_ADDRESS), else « terminal » (see `login_source_from`)."""
    idle_lock_minutes: float = 15
    """PORTAIL_VERROUILLAGE_MINUTES: an agent's session with no key or mouse for this long
    hides its screen and asks for the password again; 0 never locks."""
    prebuild_tabs: bool = True
    """After the login, build the tabs not shown yet while the agent is idle (app.py
    `_prebuild_step`), so that each first F2…F5 is as quick as a later one."""
    serve_max_sessions: int = 8
    """PORTAIL_SESSIONS_NAVIGATEUR_MAX: browser sessions `portail serve` runs at once (each
    is an application process, about 60 MB); the next is refused until one closes."""
    trusted_proxy: str | None = None
    """PORTAIL_PROXY_DE_CONFIANCE: address of the reverse proxy in front of `portail serve`;
    only its X-Forwarded-For names the browser's address (otherwise the proxy's address
    is the one audited and throttled)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *,
                 config_file: Path | None = None) -> Settings:
        """The settings from `env` (the process environment by default) over those of the
        settings file, named by `config_file` or by PORTAIL_CONFIG in `env`."""
        env = dict(os.environ if env is None else env)
        if config_file is None and env.get(ENV_CONFIG):
            config_file = Path(env[ENV_CONFIG])
        if config_file is not None:
            config_file = config_file.expanduser().absolute()
            env = {**read_settings_file(config_file), **{k: v for k, v in env.items() if v}}
        data_dir = Path(env["PORTAIL_DATA_DIR"]) if env.get("PORTAIL_DATA_DIR") else DATA_DIR
        smtp: SmtpSettings | None = None
        smtp_error: str | None = None
        if env.get("PORTAIL_SMTP_HOST"):  # set but blank: an error, as before
            try:
                smtp = SmtpSettings.from_env(env)
            except ConfigError as exc:
                smtp_error = exc.message
        bindir = env.get("PORTAIL_PG_BINDIR")
        return cls(
            database_url=env.get("PORTAIL_DATABASE_URL") or f"sqlite:///{data_dir / 'portail.db'}",
            today=parse_today(env.get("PORTAIL_TODAY")),
            exports_dir=Path(env.get("PORTAIL_EXPORTS_DIR") or data_dir / "exports"),
            printer=env.get("PORTAIL_PRINTER") or None,
            school_zone=(env.get("PORTAIL_ZONE") or "A").upper(),
            rollover=env.get("PORTAIL_ROLLOVER") or "09-01",
            payfip_url=env.get("PORTAIL_PAYFIP_URL") or None,
            payfip_ws_url=env.get("PORTAIL_PAYFIP_WS_URL") or PAYFIP_WS_URL,
            payfip_redirect_url=env.get("PORTAIL_PAYFIP_RETOUR_URL") or None,
            smtp=smtp,
            smtp_error=smtp_error,
            pg_bindir=Path(bindir) if bindir else None,
            authorized_keys=authorized_keys_path(env),
            config_file=config_file,
            login_source=login_source_from(env),
            idle_lock_minutes=_number(env, "PORTAIL_VERROUILLAGE_MINUTES", 15),
            serve_max_sessions=int(_number(env, "PORTAIL_SESSIONS_NAVIGATEUR_MAX", 8, minimum=1)),
            trusted_proxy=(env.get("PORTAIL_PROXY_DE_CONFIANCE") or "").strip() or None,
        )

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def require_smtp(self) -> SmtpSettings:
        """The mail server, or the French reason there is none (ConfigError)."""
        if self.smtp is not None:
            return self.smtp
        raise ConfigError(self.smtp_error or SMTP_NOT_CONFIGURED)

    def database_env(self) -> dict[str, str]:
        """The database and the pinned date as variables: what the processes `portail
        serve` starts must see (they inherit the rest of the environment)."""
        env = {"PORTAIL_DATABASE_URL": self.database_url}
        if self.today is not None:
            env["PORTAIL_TODAY"] = self.today.isoformat()
        return env
