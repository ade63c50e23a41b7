"""Settings from the environment (and the CLI's global options, which override it).

Every setting has a default that works on a fresh machine: an SQLite file under
``data/`` next to the package, exports under ``data/exports``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("PORTAIL_DATA_DIR", PROJECT_DIR / "data"))


class ConfigError(ValueError):
    """A setting a person gave is unusable; the message is French and shown as is."""


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


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=default_database_url)
    today: date | None = None
    exports_dir: Path = DATA_DIR / "exports"
    printer: str | None = None
    school_zone: str = "A"
    # School-year rollover (forms "à mettre à jour"), as MM-DD.
    rollover: str = "09-01"
    # Public address of `portail payfip serve` (PayFiP's "urlcl" notification URL).
    payfip_url: str | None = None

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        return cls(
            database_url=env.get("PORTAIL_DATABASE_URL") or default_database_url(),
            today=parse_today(env.get("PORTAIL_TODAY")),
            exports_dir=Path(env.get("PORTAIL_EXPORTS_DIR") or DATA_DIR / "exports"),
            printer=env.get("PORTAIL_PRINTER") or None,
            school_zone=(env.get("PORTAIL_ZONE") or "A").upper(),
            rollover=env.get("PORTAIL_ROLLOVER") or "09-01",
            payfip_url=env.get("PORTAIL_PAYFIP_URL") or None,
        )

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})
