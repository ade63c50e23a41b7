"""The operations commands as an administrator or cron runs them: exit codes, one French
line for a refusal, the lists shown (in-process with typer's runner)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from portail_tui.cli import app
from portail_tui.db import Database
from portail_tui.models import Family, OutboxMessage, ReceiptCounter
from tests.support.smtp import SmtpServer

runner = CliRunner()
SMTP_VARS = ("PORTAIL_SMTP_HOST", "PORTAIL_SMTP_PORT", "PORTAIL_SMTP_FROM", "PORTAIL_SMTP_STARTTLS",
             "PORTAIL_SMTP_SSL", "PORTAIL_SMTP_USER", "PORTAIL_SMTP_PASSWORD",
             "PORTAIL_SMTP_PASSWORD_FILE", "PORTAIL_SMTP_TIMEOUT")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    from portail_tui.cli import base

    for name in (*SMTP_VARS, "PORTAIL_DATABASE_URL", "PORTAIL_TODAY"):
        monkeypatch.delenv(name, raising=False)
    # Wide enough that table cells are not wrapped (the console is created at import).
    monkeypatch.setattr(base.console, "width", 200)


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    for name, value in server.env().items():
        monkeypatch.setenv(name, value)
    yield server
    server.stop()


def run(db: Database, *args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["--db", db.url, "--today", "2026-11-28", *args], input=input)


def test_db_check_exit_codes(sqlite_demo_db: Database) -> None:
    ok = run(sqlite_demo_db, "db", "check")
    assert ok.exit_code == 0, ok.output
    assert "Aucun problème" in ok.output and "Numéros de quittance" in ok.output
    sqlite_demo_db.write(lambda s: s.execute(update(ReceiptCounter).values(last_number=1)))
    bad = run(sqlite_demo_db, "db", "check")
    assert bad.exit_code == 1
    assert "1 problème(s)" in bad.output and "compteur de quittances est à 1" in bad.output


def test_db_check_names_a_repair_that_works(sqlite_demo_db: Database) -> None:
    """A dropped payment guard: db check says how to put it back, and that command does."""
    with sqlite_demo_db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER payment_no_update")
    bad = run(sqlite_demo_db, "db", "check")
    assert bad.exit_code == 1 and "portail db check --reparer" in bad.output
    fixed = run(sqlite_demo_db, "db", "check", "--reparer")
    assert fixed.exit_code == 0, fixed.output
    assert "Garde-fou des règlements rétabli : payment_no_update" in fixed.output
    assert "Aucun problème" in fixed.output
    again = run(sqlite_demo_db, "db", "check", "--reparer")
    assert again.exit_code == 0 and "déjà en place" in again.output


def test_backup_and_restore_commands(sqlite_demo_db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "sauvegardes"
    folder.mkdir()
    done = run(sqlite_demo_db, "db", "backup", str(folder))
    assert done.exit_code == 0, done.output
    assert "Sauvegarde écrite" in done.output
    (saved,) = folder.iterdir()
    sqlite_demo_db.write(lambda s: s.execute(update(Family).values(name="MODIFIÉ")))
    no = run(sqlite_demo_db, "db", "restore", str(saved), input="n\n")
    assert no.exit_code == 1 and "Rien n'a été modifié" in no.output
    yes = run(sqlite_demo_db, "db", "restore", "--oui", str(saved))
    assert yes.exit_code == 0, yes.output
    assert "Base restaurée" in yes.output and "avant-restauration" in yes.output
    assert "doivent être quittées et relancées" in yes.output
    names = sqlite_demo_db.read(lambda s: set(s.execute(select(Family.name)).scalars()))
    assert "MODIFIÉ" not in names


def test_restore_of_a_foreign_file_asks_nothing_and_says_why(sqlite_demo_db: Database, tmp_path: Path) -> None:
    foreign = tmp_path / "photo.jpg"
    foreign.write_bytes(b"\xff\xd8\xff\xe0 pas une base")
    result = run(sqlite_demo_db, "db", "restore", str(foreign))
    assert result.exit_code == 1
    assert "n'est pas une sauvegarde de Portail Familles" in result.output
    assert "Remplacer" not in result.output


def test_backup_to_a_missing_folder_is_one_line(sqlite_demo_db: Database, tmp_path: Path) -> None:
    result = run(sqlite_demo_db, "db", "backup", str(tmp_path / "nulle-part" / "x.sqlite"))
    assert result.exit_code == 1
    assert result.output.count("Erreur") == 1 and "n'existe pas" in result.output


def _queue(db: Database, to: str) -> None:
    from datetime import datetime

    from portail_tui.clock import PARIS
    from portail_tui.services import outbox

    now = datetime(2026, 11, 28, 0, 0, tzinfo=PARIS)  # due whatever the time of day
    db.write(lambda s: outbox.queue(s, now=now, kind="test", to_addr=to, subject="Essai",
                                    body_text="Bonjour."))


def test_mail_send_list_and_retry(sqlite_demo_db: Database, smtp: SmtpServer) -> None:
    _queue(sqlite_demo_db, "bon@example.org")
    _queue(sqlite_demo_db, "refuse@example.org")
    smtp.handler.replies["refuse@example.org"] = "550 5.1.1 Inconnu"
    sent = run(sqlite_demo_db, "mail", "send")
    assert sent.exit_code == 1, sent.output  # one message failed: cron must hear about it
    assert "1 envoyé(s)" in sent.output and "1 en échec" in sent.output and "550" in sent.output
    listed = run(sqlite_demo_db, "mail", "list")
    assert "en échec" in listed.output and "refuse@example.org" in listed.output
    failed_id = sqlite_demo_db.read(lambda s: s.execute(
        select(OutboxMessage.id).where(OutboxMessage.status == "failed")).scalar_one())
    del smtp.handler.replies["refuse@example.org"]
    assert run(sqlite_demo_db, "mail", "retry", str(failed_id)).exit_code == 0
    again = run(sqlite_demo_db, "mail", "send")
    assert again.exit_code == 0 and "1 envoyé(s)" in again.output
    assert run(sqlite_demo_db, "mail", "list").output.strip() == "File d'attente vide."


def test_mail_send_server_down_and_not_configured(sqlite_demo_db: Database, smtp: SmtpServer,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    _queue(sqlite_demo_db, "bon@example.org")
    smtp.stop()
    down = run(sqlite_demo_db, "mail", "send")
    assert down.exit_code == 1 and "injoignable" in down.output and "restent dans la file" in down.output
    monkeypatch.delenv("PORTAIL_SMTP_HOST")
    unset = run(sqlite_demo_db, "mail", "send")
    assert unset.exit_code == 1 and "PORTAIL_SMTP_HOST" in unset.output


def test_nightly_twice(sqlite_demo_db: Database, smtp: SmtpServer) -> None:
    first = run(sqlite_demo_db, "nightly", "--date", "28/11/2026")
    assert first.exit_code == 0, first.output
    assert "Tâches de nuit du 28/11/2026" in first.output
    assert "✓ Récapitulatifs des réservations : 18 (journée du 27/11/2026)" in first.output
    second = run(sqlite_demo_db, "nightly", "--date", "2026-11-28")
    assert second.exit_code == 0
    assert "✓ Récapitulatifs des réservations : 0" in second.output
    assert "Courriels : 0 envoyé(s)" in second.output
    # 18 families' booking digests and the two school kitchens' meal lists, once.
    assert len(smtp.handler.received) == 18 + 2


def test_nightly_without_mail_settings_still_runs(sqlite_demo_db: Database) -> None:
    result = run(sqlite_demo_db, "nightly")
    assert result.exit_code == 0, result.output
    assert "Envoi des courriels : ignoré (envoi non configuré" in result.output


def test_audit_command(sqlite_demo_db: Database) -> None:
    number = sqlite_demo_db.read(lambda s: s.execute(select(Family.number).order_by(Family.id)).scalars().first())
    everything = run(sqlite_demo_db, "audit")
    assert everything.exit_code == 0 and "Création de la commune de démonstration" in everything.output
    none = run(sqlite_demo_db, "audit", "--famille", str(number), "--depuis", "01/11/2026")
    assert none.exit_code == 0 and "Aucune entrée" in none.output
    bad = run(sqlite_demo_db, "audit", "--depuis", "hier")
    assert bad.exit_code == 1 and "Date invalide pour --depuis" in bad.output
    unknown = run(sqlite_demo_db, "audit", "--agent", "personne")
    assert unknown.exit_code == 1 and "Agent inconnu" in unknown.output


def _keygen(path: Path) -> Path:
    import subprocess

    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
    return path.with_suffix(".pub")


@pytest.fixture
def ssh_setup(sqlite_demo_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The settings file of the installation (what the key line names) and the keys file."""
    keys = tmp_path / "authorized_keys"
    monkeypatch.setenv("PORTAIL_AUTHORIZED_KEYS", str(keys))
    config = tmp_path / "portail.env"
    config.write_text(f"PORTAIL_DATABASE_URL={sqlite_demo_db.url}\n"
                      "PORTAIL_PAYFIP_URL=https://paiement.mairie.example/retour\n")
    monkeypatch.setenv("PORTAIL_CONFIG", str(config))
    return keys


def test_ssh_list_shows_authorized_agents(sqlite_demo_db: Database, ssh_setup: Path, tmp_path: Path) -> None:
    assert "Aucune clé" in run(sqlite_demo_db, "ssh", "list").output
    done = run(sqlite_demo_db, "ssh", "authorize", "agent", "--key", str(_keygen(tmp_path / "k")))
    assert done.exit_code == 0, done.output
    listed = run(sqlite_demo_db, "ssh", "list")
    assert "agent" in listed.output and "ssh-ed25519" in listed.output
    assert run(sqlite_demo_db, "ssh", "revoke", "agent").exit_code == 0
    again = run(sqlite_demo_db, "ssh", "revoke", "agent")
    assert again.exit_code == 1 and "Aucune clé SSH autorisée pour agent" in again.output


def test_ssh_list_shows_each_keys_sha256_fingerprint(sqlite_demo_db: Database, ssh_setup: Path,
                                                     tmp_path: Path) -> None:
    import subprocess

    expected = []
    for login in ("agent", "regisseur"):
        pub = _keygen(tmp_path / login)
        assert run(sqlite_demo_db, "ssh", "authorize", login, "--key", str(pub)).exit_code == 0
        expected.append(subprocess.run(["ssh-keygen", "-lf", str(pub)], capture_output=True, text=True,
                                       check=True).stdout.split()[1])
    listed = run(sqlite_demo_db, "ssh", "list").output
    assert "Empreinte (SHA256)" in listed
    assert expected[0] != expected[1] and all(fp in listed for fp in expected), listed


def test_ssh_authorize_says_whose_file_and_never_pins_the_date(
        sqlite_demo_db: Database, ssh_setup: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import getpass

    monkeypatch.setenv("PORTAIL_TODAY", "2026-11-28")
    done = run(sqlite_demo_db, "ssh", "authorize", "agent", "--key", str(_keygen(tmp_path / "k")))
    assert done.exit_code == 0, done.output
    assert "Clé SHA256:" in done.output and "ajoutée pour" in done.output
    assert f"dans {ssh_setup} (compte {getpass.getuser()})." in done.output.replace("\n", "")
    line = ssh_setup.read_text()
    assert "PORTAIL_TODAY" not in line and "2026-11-28" not in line
    assert "PORTAIL_DATABASE_URL" not in line and f"--config {tmp_path / 'portail.env'} tui" in line


def test_ssh_authorize_needs_the_settings_file_of_the_same_database(
        sqlite_demo_db: Database, ssh_setup: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pub = str(_keygen(tmp_path / "k"))
    monkeypatch.delenv("PORTAIL_CONFIG")
    done = run(sqlite_demo_db, "ssh", "authorize", "agent", "--key", pub)
    assert done.exit_code == 1 and "fichier de réglages que liront les sessions SSH" in done.output
    other = tmp_path / "autre.env"
    other.write_text("PORTAIL_DATABASE_URL=sqlite:////srv/ailleurs.db\n")
    done = run(sqlite_demo_db, "--config", str(other), "ssh", "authorize", "agent", "--key", pub)
    assert done.exit_code == 1 and "désigne une autre base" in done.output
    assert not ssh_setup.exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="the refusal is for root")
def test_ssh_authorize_as_root_names_the_account_or_the_file(
        sqlite_demo_db: Database, ssh_setup: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pwd

    pub = str(_keygen(tmp_path / "k"))
    root_keys = Path(pwd.getpwuid(0).pw_dir) / ".ssh" / "authorized_keys"
    before = root_keys.read_bytes() if root_keys.exists() else None
    monkeypatch.delenv("PORTAIL_AUTHORIZED_KEYS")
    monkeypatch.setenv("HOME", pwd.getpwuid(0).pw_dir)
    refused = run(sqlite_demo_db, "ssh", "authorize", "agent", "--key", pub)
    assert refused.exit_code == 1 and "--compte portail" in refused.output
    assert (root_keys.read_bytes() if root_keys.exists() else None) == before
    home = tmp_path / "service"
    home.mkdir()
    nobody = pwd.getpwnam("nobody")
    os.chown(home, nobody.pw_uid, nobody.pw_gid)
    target = home / ".ssh" / "authorized_keys"
    done = run(sqlite_demo_db, "ssh", "authorize", "agent", "--key", pub, "--compte", "nobody",
               "--fichier", str(target))
    assert done.exit_code == 0, done.output
    assert f"dans {target} (compte nobody)." in done.output.replace("\n", "")
    assert os.stat(target).st_uid == nobody.pw_uid
    listed = run(sqlite_demo_db, "ssh", "list", "--fichier", str(target))
    assert "agent" in listed.output


def test_a_session_through_the_key_line_reads_the_settings_file(
        sqlite_demo_db: Database, ssh_setup: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run the forced command's own words (as sshd would, with an environment holding no
    PORTAIL_* setting): the session sees the file's settings, not the authorizing shell's."""
    import shlex

    from portail_tui.cli import terminal
    from portail_tui.services import ssh_keys

    monkeypatch.setenv("PORTAIL_TODAY", "2026-11-28")
    assert run(sqlite_demo_db, "ssh", "authorize", "agent", "--key", str(_keygen(tmp_path / "k"))).exit_code == 0
    (key,) = ssh_keys.list_authorized(ssh_setup)
    command = key.line.split('command="', 1)[1].split('" ssh-ed25519', 1)[0]
    words = shlex.split(command)
    assert words[:2] == ["exec", "env"]
    assignments = [w for w in words[2:] if "=" in w and not w.startswith("/")]
    args = words[2 + len(assignments) + 1:]
    for name in ("PORTAIL_TODAY", "PORTAIL_CONFIG", "PORTAIL_AUTHORIZED_KEYS", "PORTAIL_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("SSH_CONNECTION", "192.0.2.7 50000 192.0.2.1 22")
    monkeypatch.setattr(terminal, "refusal_here", lambda: None)
    monkeypatch.setattr(terminal.HangupGuard, "install", lambda self: None)
    seen: list[object] = []

    class FakeApp:
        def __init__(self, ctx: object = None, actor: object = None, **_: object) -> None:
            seen.append((ctx, actor))

        def run(self) -> None:
            pass

    monkeypatch.setattr("portail_tui.app.PortailApp", FakeApp)
    done = runner.invoke(app, args, env=dict(a.split("=", 1) for a in assignments))
    assert done.exit_code == 0, done.output
    ((ctx, actor),) = seen
    assert ctx.settings.payfip_url == "https://paiement.mairie.example/retour"  # type: ignore[attr-defined]
    assert ctx.settings.today is None  # type: ignore[attr-defined]
    assert actor.login == "agent"  # type: ignore[attr-defined]
