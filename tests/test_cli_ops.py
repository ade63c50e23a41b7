"""The operations commands as an administrator or cron runs them: exit codes, one French
line for a refusal, the lists shown (in-process with typer's runner)."""

from __future__ import annotations

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
    assert len(smtp.handler.received) == 18


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


def test_ssh_list_shows_authorized_agents(sqlite_demo_db: Database, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess

    keys = tmp_path / "authorized_keys"
    monkeypatch.setenv("PORTAIL_AUTHORIZED_KEYS", str(keys))
    assert "Aucune clé" in run(sqlite_demo_db, "ssh", "list").output
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "k")], check=True)
    done = run(sqlite_demo_db, "ssh", "authorize", "agent", "--key", str(tmp_path / "k.pub"))
    assert done.exit_code == 0, done.output
    listed = run(sqlite_demo_db, "ssh", "list")
    assert "agent" in listed.output and "ssh-ed25519" in listed.output
    assert run(sqlite_demo_db, "ssh", "revoke", "agent").exit_code == 0
    again = run(sqlite_demo_db, "ssh", "revoke", "agent")
    assert again.exit_code == 1 and "Aucune clé SSH autorisée pour agent" in again.output
