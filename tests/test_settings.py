"""One typed Settings object for everything read from the environment: the variable
names and defaults the README documents, the mail server's settings among them, and no
service reading the environment by itself (they get `ctx.settings`)."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import os
import re
from datetime import date
from pathlib import Path

import pytest

from portail_tui import config
from portail_tui.config import DATA_DIR, ConfigError, Settings, SmtpSettings

PACKAGE = Path(config.__file__).resolve().parent


def test_defaults_on_a_fresh_machine() -> None:
    s = Settings.from_env({"HOME": "/home/portail"})
    assert s.database_url == f"sqlite:///{DATA_DIR / 'portail.db'}"
    assert (s.today, s.exports_dir, s.printer, s.school_zone, s.rollover, s.payfip_url) == (
        None, DATA_DIR / "exports", None, "A", "09-01", None)
    assert (s.smtp, s.smtp_error, s.pg_bindir, s.config_file) == (None, None, None, None)
    assert s.authorized_keys == Path("/home/portail/.ssh/authorized_keys")


def test_every_variable_is_read() -> None:
    env = {
        "PORTAIL_DATABASE_URL": "postgresql+psycopg://regie@db/portail",
        "PORTAIL_TODAY": "2026-11-28",
        "PORTAIL_EXPORTS_DIR": "/srv/exports",
        "PORTAIL_PRINTER": "accueil",
        "PORTAIL_ZONE": "c",
        "PORTAIL_ROLLOVER": "08-25",
        "PORTAIL_PAYFIP_URL": "https://mairie.example/payfip",
        "PORTAIL_SMTP_HOST": "127.0.0.1",
        "PORTAIL_SMTP_FROM": "Régie <regie@mairie.example>",
        "PORTAIL_PG_BINDIR": "/opt/pg/bin",
        "PORTAIL_AUTHORIZED_KEYS": "/srv/keys",
    }
    s = Settings.from_env(env)
    assert s.database_url == env["PORTAIL_DATABASE_URL"] and s.today == date(2026, 11, 28)
    assert (s.exports_dir, s.printer, s.school_zone, s.rollover) == (Path("/srv/exports"), "accueil", "C", "08-25")
    assert s.payfip_url == "https://mairie.example/payfip"
    assert s.smtp == SmtpSettings(host="127.0.0.1", port=25, sender="Régie <regie@mairie.example>")
    assert s.pg_bindir == Path("/opt/pg/bin") and s.authorized_keys == Path("/srv/keys")
    assert s.database_env() == {"PORTAIL_DATABASE_URL": env["PORTAIL_DATABASE_URL"], "PORTAIL_TODAY": "2026-11-28"}


def test_a_mail_mistake_stops_the_sending_not_the_program() -> None:
    s = Settings.from_env({"PORTAIL_SMTP_HOST": "smtp.example", "PORTAIL_SMTP_PORT": "soixante",
                           "PORTAIL_SMTP_FROM": "regie@x.example"})
    assert s.smtp is None and s.smtp_error == "PORTAIL_SMTP_PORT invalide : 'soixante'."
    with pytest.raises(ConfigError, match="PORTAIL_SMTP_PORT invalide"):
        s.require_smtp()
    with pytest.raises(ConfigError, match="définissez PORTAIL_SMTP_HOST"):
        Settings.from_env({}).require_smtp()


def test_the_mail_settings_are_the_settings_ones() -> None:
    from portail_tui.services import mail

    assert mail.SmtpSettings is SmtpSettings


def test_pg_tools_come_from_the_configured_folder(tmp_path: Path) -> None:
    from portail_tui.services.backup import pg_tool

    tool = tmp_path / "pg_dump"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    assert pg_tool("pg_dump", tmp_path) == str(tool)


def _field_docstrings(cls: type) -> set[str]:
    tree = ast.parse(inspect.getsource(cls))
    body = tree.body[0].body  # type: ignore[attr-defined]
    documented = set()
    for node, following in zip(body, body[1:], strict=False):
        if (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
                and isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)):
            documented.add(node.target.id)
    return documented


@pytest.mark.parametrize("cls", [Settings, SmtpSettings])
def test_every_setting_has_a_docstring(cls: type) -> None:
    names = {f.name for f in dataclasses.fields(cls)}
    assert names - _field_docstrings(cls) == set()


def test_no_service_reads_the_environment() -> None:
    """services/context.py promises it: settings reach a service through its Context."""
    offenders = []
    for path in sorted((PACKAGE / "services").rglob("*.py")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if re.search(r"\bos\.environ\b|\bgetenv\(", line):  # a Mapping handed in is fine
                offenders.append(f"{path.relative_to(PACKAGE)}:{n}: {line.strip()}")
    assert offenders == []


def test_the_process_environment_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAIL_PRINTER", "bureau")
    assert Settings.from_env().printer == "bureau"
    assert "PORTAIL_PRINTER" in os.environ


def test_a_blank_mail_host_is_an_error_as_before() -> None:
    """`portail nightly` reported PORTAIL_SMTP_HOST set but blank as a mistake, not a skip."""
    s = Settings.from_env({"PORTAIL_SMTP_HOST": "  "})
    assert s.smtp is None and s.smtp_error is not None and "PORTAIL_SMTP_HOST" in s.smtp_error
