"""Outbox delivery against a real SMTP server on loopback (aiosmtpd), on both engines:
delivered once, temporary refusals retried later with backoff, given up after the limit,
permanent refusals failed at once, server down → nothing lost and nothing sent twice,
a run killed between hand-over and confirmation never re-sends by itself."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from portail_tui.clock import FixedClock
from portail_tui.config import ConfigError
from portail_tui.models import OutboxMessage
from portail_tui.services import mail, outbox
from portail_tui.services.context import Context, ServiceError
from tests.support.smtp import SmtpServer
from tests.support.strict import unavailable


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


def _queue(ctx: Context, to: str, subject: str = "Réservations du 27 novembre",
           html: str | None = None, key: str | None = None) -> int:
    now = ctx.clock.now()
    row = ctx.db.write(lambda s: outbox.queue(
        s, now=now, kind="test", to_addr=to, subject=subject,
        body_text="Bonjour,\n\nVoici vos réservations : cantine le lundi.\n\nCordialement,\nLa régie",
        body_html=html, dedup_key=key))
    return row.id if row is not None else 0


def _row(ctx: Context, message_id: int) -> OutboxMessage:
    return ctx.db.read(lambda s: s.get(OutboxMessage, message_id))


def _settings(smtp: SmtpServer, **extra: str) -> mail.SmtpSettings:
    return mail.SmtpSettings.from_env(smtp.env(**extra))


def test_messages_are_delivered_once_as_french_multipart(ctx: Context, smtp: SmtpServer) -> None:
    first = _queue(ctx, "famille.dupont@example.org")
    second = _queue(ctx, "famille.martin@example.org", subject="Fiche validée",
                    html="<html><body><p>Votre fiche <b>santé</b> est validée.</p></body></html>")
    report = mail.deliver_outbox(ctx, _settings(smtp))
    assert (report.sent, report.failed, report.retry_later) == (2, 0, 0) and report.ok
    received = smtp.to("famille.dupont@example.org")
    assert len(received) == 1
    msg = received[0].message
    assert received[0].mail_from == "regie@mairie.example"
    assert msg["Subject"] == "Réservations du 27 novembre"
    assert msg["From"] == "Régie scolaire <regie@mairie.example>"
    assert msg["Message-ID"].startswith(f"<portail.{first}.")
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "cantine le lundi" in text and "merci de ne pas y répondre" in text
    assert "<p>Voici vos réservations : cantine le lundi.</p>" in html
    html2 = smtp.to("famille.martin@example.org")[0].message.get_body(("html",)).get_content()
    assert "<b>santé</b>" in html2 and "merci de ne pas y répondre" in html2
    for mid in (first, second):
        row = _row(ctx, mid)
        assert row.status == "sent" and row.attempts == 1 and row.sent_at == ctx.clock.now()
    again = mail.deliver_outbox(ctx, _settings(smtp))
    assert again.sent == 0 and len(smtp.handler.received) == 2


def test_temporary_refusal_is_retried_later_with_backoff(
        ctx: Context, clock: FixedClock, smtp: SmtpServer) -> None:
    mid = _queue(ctx, "plein@example.org")
    smtp.handler.replies["plein@example.org"] = "452 4.2.2 Boîte pleine, réessayez"
    report = mail.deliver_outbox(ctx, _settings(smtp))
    assert (report.sent, report.retry_later, report.failed) == (0, 1, 0)
    row = _row(ctx, mid)
    assert row.status == "pending" and row.attempts == 1
    assert row.next_attempt_at == clock.now() + timedelta(minutes=5)
    assert "452" in row.last_error and "temporaire" in row.last_error
    # Not due yet: left alone.
    clock.advance(timedelta(minutes=4))
    assert mail.deliver_outbox(ctx, _settings(smtp)).retry_later == 0
    assert _row(ctx, mid).attempts == 1
    # Second refusal doubles the delay.
    clock.advance(timedelta(minutes=1))
    mail.deliver_outbox(ctx, _settings(smtp))
    assert _row(ctx, mid).next_attempt_at == clock.now() + timedelta(minutes=10)
    # The mailbox has room again.
    del smtp.handler.replies["plein@example.org"]
    clock.advance(timedelta(minutes=10))
    assert mail.deliver_outbox(ctx, _settings(smtp)).sent == 1
    row = _row(ctx, mid)
    assert row.status == "sent" and row.attempts == 3 and row.last_error is None
    assert len(smtp.to("plein@example.org")) == 1


def test_gives_up_after_the_limit(ctx: Context, clock: FixedClock, smtp: SmtpServer) -> None:
    mid = _queue(ctx, "jamais@example.org")
    smtp.handler.replies["jamais@example.org"] = "451 4.3.0 Plus tard"
    for _ in range(3):
        mail.deliver_outbox(ctx, _settings(smtp), max_attempts=3)
        clock.advance(timedelta(hours=7))
    row = _row(ctx, mid)
    assert row.status == "failed" and row.attempts == 3 and "451" in row.last_error
    assert mail.deliver_outbox(ctx, _settings(smtp), max_attempts=3).failures == []
    assert _row(ctx, mid).attempts == 3


def test_permanent_refusal_and_bad_address_fail_at_once(ctx: Context, smtp: SmtpServer) -> None:
    unknown = _queue(ctx, "inconnu@example.org")
    broken = _queue(ctx, "pas-une-adresse")
    fine = _queue(ctx, "ok@example.org")
    smtp.handler.replies["inconnu@example.org"] = "550 5.1.1 Utilisateur inconnu"
    report = mail.deliver_outbox(ctx, _settings(smtp))
    assert (report.sent, report.failed) == (1, 2) and not report.ok
    assert {f.message_id for f in report.failures if f.final} == {unknown, broken}
    assert _row(ctx, unknown).status == "failed" and "550" in _row(ctx, unknown).last_error
    assert "invalide" in _row(ctx, broken).last_error
    assert _row(ctx, fine).status == "sent"


def test_server_down_loses_nothing_and_sends_nothing_twice(
        ctx: Context, clock: FixedClock, smtp: SmtpServer) -> None:
    ids = [_queue(ctx, f"f{i}@example.org") for i in range(3)]
    smtp.stop()
    report = mail.deliver_outbox(ctx, _settings(smtp))
    assert report.connection_error and "injoignable" in report.connection_error
    assert report.sent == 0 and report.retry_later == 3 and not report.ok
    for mid in ids:
        row = _row(ctx, mid)
        assert row.status == "pending" and row.attempts == 1 and "injoignable" in row.last_error
    smtp.start()
    clock.advance(timedelta(minutes=5))
    assert mail.deliver_outbox(ctx, _settings(smtp)).sent == 3
    clock.advance(timedelta(hours=1))
    assert mail.deliver_outbox(ctx, _settings(smtp)).sent == 0
    for i in range(3):
        assert len(smtp.to(f"f{i}@example.org")) == 1


def test_run_killed_after_handing_over_never_resends_by_itself(
        ctx: Context, clock: FixedClock, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> None:
    mid = _queue(ctx, "une.fois@example.org")
    original = mail._Transport.send

    def send_then_die(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        original(self, *args, **kwargs)
        raise SystemExit("tué entre l'envoi et la confirmation")

    monkeypatch.setattr(mail._Transport, "send", send_then_die)
    with pytest.raises(SystemExit):
        mail.deliver_outbox(ctx, _settings(smtp))
    monkeypatch.undo()
    assert _row(ctx, mid).status == "sending"
    assert mail.deliver_outbox(ctx, _settings(smtp)).sent == 0
    clock.advance(timedelta(hours=1))
    report = mail.deliver_outbox(ctx, _settings(smtp))
    assert report.interrupted == [mid] and not report.ok
    row = _row(ctx, mid)
    assert row.status == "failed" and f"portail mail retry {mid}" in row.last_error
    assert len(smtp.to("une.fois@example.org")) == 1
    # The administrator checked: send it again, deliberately.
    assert mail.requeue(ctx, [mid]) == 1
    assert mail.deliver_outbox(ctx, _settings(smtp)).sent == 1
    assert len(smtp.to("une.fois@example.org")) == 2
    with pytest.raises(ServiceError, match="pas en échec"):
        mail.requeue(ctx, [mid])


def test_two_overlapping_runs_cannot_take_the_same_message(ctx: Context) -> None:
    mid = _queue(ctx, "a@example.org")
    assert mail._claim(ctx, mid) is not None
    assert mail._claim(ctx, mid) is None
    assert _row(ctx, mid).attempts == 1


def test_authenticated_delivery_with_password_file(ctx: Context, tmp_path: Path) -> None:
    from aiosmtpd.smtp import AuthResult

    def authenticator(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
        ok = auth_data.login == b"regie" and auth_data.password == b"s3cret\xc3\xa9"
        return AuthResult(success=ok, handled=False)

    server = SmtpServer(authenticator=authenticator, auth_require_tls=False).start()
    try:
        secret = tmp_path / "smtp.pass"
        secret.write_text("s3cretébis\n")
        _queue(ctx, "a@example.org")
        wrong = mail.SmtpSettings.from_env(server.env(PORTAIL_SMTP_USER="regie",
                                                      PORTAIL_SMTP_PASSWORD_FILE=str(secret)))
        report = mail.deliver_outbox(ctx, wrong)
        assert report.connection_error and "identifiants" in report.connection_error
        secret.write_text("s3cretébis"[:-3] + "\n")
        right = mail.SmtpSettings.from_env(server.env(PORTAIL_SMTP_USER="regie",
                                                      PORTAIL_SMTP_PASSWORD_FILE=str(secret)))
        ctx.clock.advance(timedelta(minutes=5))  # type: ignore[attr-defined]
        assert mail.deliver_outbox(ctx, right).sent == 1
    finally:
        server.stop()


def test_starttls_with_the_towns_certificate(ctx: Context, tmp_path: Path) -> None:
    import shutil
    import ssl
    import subprocess

    if shutil.which("openssl") is None:
        unavailable("openssl absent : lancez .ci/install-system-deps.sh")

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    server = SmtpServer(tls_context=tls, require_starttls=True).start()
    try:
        _queue(ctx, "a@example.org")
        untrusted = mail.SmtpSettings.from_env(server.env(PORTAIL_SMTP_STARTTLS="oui"))
        report = mail.deliver_outbox(ctx, untrusted)
        assert report.connection_error and "TLS" in report.connection_error
        trusted = mail.SmtpSettings.from_env(server.env(PORTAIL_SMTP_STARTTLS="oui",
                                                        PORTAIL_SMTP_CAFILE=str(cert)))
        ctx.clock.advance(timedelta(minutes=5))  # type: ignore[attr-defined]
        assert mail.deliver_outbox(ctx, trusted).sent == 1
        assert len(server.to("a@example.org")) == 1
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "PORTAIL_SMTP_HOST"),
        ({"PORTAIL_SMTP_HOST": "smtp.example", "PORTAIL_SMTP_FROM": "regie@x.example",
          "PORTAIL_SMTP_PORT": "soixante"}, "PORTAIL_SMTP_PORT"),
        ({"PORTAIL_SMTP_HOST": "smtp.example"}, "PORTAIL_SMTP_FROM"),
        ({"PORTAIL_SMTP_HOST": "smtp.example", "PORTAIL_SMTP_FROM": "regie@x.example",
          "PORTAIL_SMTP_SSL": "oui", "PORTAIL_SMTP_STARTTLS": "oui"}, "s'excluent"),
        ({"PORTAIL_SMTP_HOST": "smtp.example", "PORTAIL_SMTP_FROM": "regie@x.example",
          "PORTAIL_SMTP_USER": "u", "PORTAIL_SMTP_PASSWORD": "p"}, "sans chiffrement"),
        ({"PORTAIL_SMTP_HOST": "smtp.example", "PORTAIL_SMTP_FROM": "regie@x.example",
          "PORTAIL_SMTP_USER": "u", "PORTAIL_SMTP_STARTTLS": "oui"}, "sans mot de passe"),
        ({"PORTAIL_SMTP_HOST": "smtp.example", "PORTAIL_SMTP_FROM": "regie@x.example",
          "PORTAIL_SMTP_STARTTLS": "peut-être"}, "oui ou non"),
        ({"PORTAIL_SMTP_HOST": "smtp.example", "PORTAIL_SMTP_FROM": "regie@x.example",
          "PORTAIL_SMTP_USER": "u", "PORTAIL_SMTP_SSL": "1",
          "PORTAIL_SMTP_PASSWORD_FILE": "/nulle/part"}, "illisible"),
    ],
)
def test_settings_mistakes_are_one_french_line(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as err:
        mail.SmtpSettings.from_env(env)
    assert "\n" not in err.value.message


def test_settings_defaults() -> None:
    s = mail.SmtpSettings.from_env({"PORTAIL_SMTP_HOST": "smtp.example", "PORTAIL_SMTP_FROM":
                                    "Régie <regie@x.example>", "PORTAIL_SMTP_STARTTLS": "oui",
                                    "PORTAIL_SMTP_USER": "u", "PORTAIL_SMTP_PASSWORD": "Tr0p-s3cret"})
    assert (s.port, s.starttls, s.ssl, s.sender_address) == (587, True, False, "regie@x.example")
    assert "Tr0p-s3cret" not in repr(s)
    assert mail.SmtpSettings.from_env({"PORTAIL_SMTP_HOST": "h", "PORTAIL_SMTP_FROM": "a@b.c",
                                       "PORTAIL_SMTP_SSL": "oui"}).port == 465


def test_backoff_doubles_and_is_capped() -> None:
    assert [mail.backoff(n).total_seconds() / 60 for n in (1, 2, 3, 4)] == [5, 10, 20, 40]
    assert mail.backoff(20) == timedelta(hours=6)


def test_dedup_key_queues_once(ctx: Context) -> None:
    _queue(ctx, "a@example.org", key="digest:1:2026-11-27")
    _queue(ctx, "a@example.org", key="digest:1:2026-11-27")
    count = ctx.db.read(lambda s: len(list(s.execute(select(OutboxMessage.id)).scalars())))
    assert count == 1


# --- secrets sent once, then erased ---------------------------------------------------------

@pytest.fixture
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    from argon2 import PasswordHasher

    from portail_tui.services import portal_accounts

    monkeypatch.setattr(portal_accounts, "hash_password",
                        PasswordHasher(time_cost=1, memory_cost=64, parallelism=1).hash)


def _portal_mails(ctx: Context) -> tuple[str, str, int, int]:
    """A portal account (provisional password) and a reset request (code) for the seed
    family: the password, the code and their two outbox rows."""
    from portail_tui.services import portal_accounts
    from tests.support.dossier_town import GUARDIAN, seed

    town = seed(ctx)
    created = portal_accounts.create_account(town.agent, town.family_id)
    public = Context(db=ctx.db, clock=ctx.clock, settings=ctx.settings)
    portal_accounts.request_reset(public, created.identifier, GUARDIAN["email"])
    rows = ctx.db.read(lambda s: list(s.execute(
        select(OutboxMessage).where(OutboxMessage.kind.in_(("portal.account", "portal.reset")))
        .order_by(OutboxMessage.id)).scalars()))
    assert [r.kind for r in rows] == ["portal.account", "portal.reset"]
    code = re.search(r"Code de réinitialisation : (\S+)", rows[1].body_text)
    assert code and created.provisional_password in rows[0].body_text
    return created.provisional_password, code.group(1), int(rows[0].id), int(rows[1].id)


def test_portal_secrets_are_erased_once_delivered(ctx: Context, smtp: SmtpServer, cheap_argon2: None) -> None:
    password, code, account_mail, reset_mail = _portal_mails(ctx)
    other = _queue(ctx, "famille.dupont@example.org")
    report = mail.deliver_outbox(ctx, _settings(smtp))
    assert report.sent == 3 and report.ok
    # The family received the secrets…
    received = "\n".join(r.message.get_body(("plain",)).get_content()
                         for r in smtp.to("helene.lefevre@example.fr"))
    assert password in received and code in received
    # …the rows stay as a trace, without them.
    account, reset = _row(ctx, account_mail), _row(ctx, reset_mail)
    assert account.status == reset.status == "sent"
    assert password not in account.body_text and code not in reset.body_text
    assert f"Mot de passe provisoire : {mail.REDACTED}" in account.body_text
    assert "Identifiant : 000001" in account.body_text
    assert f"Code de réinitialisation : {mail.REDACTED}" in reset.body_text
    assert "cantine le lundi" in _row(ctx, other).body_text  # other messages are kept whole


def test_portal_secret_kept_while_retried_erased_when_given_up(
        ctx: Context, clock: FixedClock, smtp: SmtpServer, cheap_argon2: None) -> None:
    password, code, account_mail, reset_mail = _portal_mails(ctx)
    smtp.handler.replies["helene.lefevre@example.fr"] = "452 4.2.2 Boîte pleine, réessayez"
    mail.deliver_outbox(ctx, _settings(smtp), max_attempts=2)
    assert _row(ctx, account_mail).status == "pending"
    assert password in _row(ctx, account_mail).body_text  # the next try must still carry it
    clock.advance(timedelta(hours=1))
    mail.deliver_outbox(ctx, _settings(smtp), max_attempts=2)
    account, reset = _row(ctx, account_mail), _row(ctx, reset_mail)
    assert account.status == reset.status == "failed"
    assert password not in account.body_text and code not in reset.body_text
    with pytest.raises(ServiceError, match="ne peut pas être renvoyé"):
        mail.requeue(ctx, [account_mail])
    assert _row(ctx, account_mail).status == "failed"
