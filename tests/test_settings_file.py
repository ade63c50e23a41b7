"""The settings file (--config / PORTAIL_CONFIG): the KEY=VALUE file cron sources, read
without a shell so that an SSH session, started by sshd with an almost empty
environment, gets the same settings; the environment wins over it, --db and --today
over both."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from portail_tui.config import ConfigError, Settings, read_settings_file


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "portail.env"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_file_is_read_as_the_shell_would(tmp_path: Path) -> None:
    path = _file(tmp_path, "# réglages\n\nPORTAIL_PAYFIP_URL=https://mairie.example/payfip\n"
                           "export PORTAIL_ZONE=c\nPORTAIL_SMTP_FROM='Régie scolaire <regie@mairie.example>'\n"
                           'PORTAIL_PRINTER="accueil $HOME"\n')
    assert read_settings_file(path) == {
        "PORTAIL_PAYFIP_URL": "https://mairie.example/payfip", "PORTAIL_ZONE": "c",
        "PORTAIL_SMTP_FROM": "Régie scolaire <regie@mairie.example>", "PORTAIL_PRINTER": "accueil $HOME"}
    s = Settings.from_env({}, config_file=path)
    assert (s.payfip_url, s.school_zone, s.config_file) == ("https://mairie.example/payfip", "C", path)


def test_the_environment_wins_over_the_file(tmp_path: Path) -> None:
    path = _file(tmp_path, "PORTAIL_PRINTER=accueil\nPORTAIL_ZONE=B\nPORTAIL_DATA_DIR=/srv/portail/data\n")
    s = Settings.from_env({"PORTAIL_CONFIG": str(path), "PORTAIL_PRINTER": "bureau", "PORTAIL_ZONE": ""})
    assert (s.printer, s.school_zone) == ("bureau", "B")  # a blank variable does not hide the file
    assert s.database_url == "sqlite:////srv/portail/data/portail.db"
    assert s.exports_dir == Path("/srv/portail/data/exports")


@pytest.mark.parametrize("text", ["PORTAIL_ZONE\n", "2X=1\n", "PORTAIL ZONE=A\n"])
def test_a_bad_line_is_one_french_line(tmp_path: Path, text: str) -> None:
    with pytest.raises(ConfigError, match="ligne 1 : attendu NOM=valeur"):
        read_settings_file(_file(tmp_path, text))
    with pytest.raises(ConfigError, match="Fichier de réglages illisible"):
        read_settings_file(tmp_path / "absent.env")


def test_the_cli_reads_the_file_and_its_options_win(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from portail_tui.cli import app, base, core

    for name in ("PORTAIL_DATABASE_URL", "PORTAIL_TODAY", "PORTAIL_CONFIG", "PORTAIL_PAYFIP_URL"):
        monkeypatch.delenv(name, raising=False)
    path = _file(tmp_path, "PORTAIL_TODAY=2026-01-05\nPORTAIL_PAYFIP_URL=https://paiement.example/\n")
    seen: list[Settings] = []
    monkeypatch.setattr(core, "tui", lambda as_agent=None: seen.append(base.state.settings))
    result = CliRunner().invoke(app, ["--config", str(path), "--today", "2026-11-28"])
    assert result.exit_code == 0, result.output
    assert seen[0].today == date(2026, 11, 28) and seen[0].payfip_url == "https://paiement.example/"
    bad = CliRunner().invoke(app, ["--config", str(tmp_path / "absent.env"), "agent", "list"])
    assert bad.exit_code == 1 and "Fichier de réglages illisible" in bad.output
