"""Delivery of the outbox (`portail mail send`, and the last step of `portail nightly`).

Each message is sent at most once in normal operation: it is marked 'sending' in its own
committed transaction (a conditional UPDATE, so two overlapping runs cannot both take
it), then handed to the SMTP server, then marked 'sent'. A crash between the hand-over
and the confirmation leaves it 'sending': it is never retried automatically (it may
have gone), it is reported as "à vérifier" and an administrator decides
(`portail mail retry`).

Temporary failures (4xx replies, server down or unreachable) put the message back in
the queue with an exponential delay; after `max_attempts` tries, or at once for a
permanent refusal (5xx, malformed address), it is 'failed' with the error kept.

A message carrying a secret the family uses once (provisional password, reset code) keeps
its row as a trace, but the secret is erased from its bodies as soon as it leaves the
queue, sent or failed: the outbox must not become a list of working passwords.
"""

from __future__ import annotations

import base64
import html
import re
import smtplib
import socket
import ssl
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlmodel import Session, col

from portail_tui.config import SmtpSettings as SmtpSettings
from portail_tui.models import OutboxMessage
from portail_tui.services.context import Context, ServiceError

MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(minutes=5)
BACKOFF_CAP = timedelta(hours=6)
# A message still 'sending' after this long belongs to a run that died mid-way.
STALE_SENDING = timedelta(minutes=30)
ERROR_LENGTH = 500

# --- messages -------------------------------------------------------------------

def text_to_html(text: str) -> str:
    """An HTML part for a message queued with text only: paragraphs kept, nothing
    interpreted (the text is escaped)."""
    paragraphs = [p.strip("\n") for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    body = "\n".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)
    return ('<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8"></head>\n'
            f'<body style="font-family: sans-serif; line-height: 1.4">\n{body}\n</body></html>\n')


FOOTER = "Ce message vous est envoyé automatiquement ; merci de ne pas y répondre."


def build_message(message: OutboxMessage, settings: SmtpSettings, now: datetime) -> EmailMessage:
    """Plain text plus HTML (multipart/alternative), UTF-8, French. The Message-ID is
    derived from the outbox row, so a message re-sent by hand after an interrupted run
    carries the same identifier and mail clients can recognise the duplicate."""
    msg = EmailMessage(policy=SMTP)
    msg["From"] = settings.sender
    msg["To"] = message.to_addr
    msg["Subject"] = message.subject
    msg["Date"] = format_datetime(now)
    domain = settings.sender_address.rsplit("@", 1)[-1]
    stamp = message.created_at.strftime("%Y%m%d%H%M%S") if message.created_at else "0"
    msg["Message-ID"] = f"<portail.{message.id}.{stamp}@{domain}>"
    msg["Auto-Submitted"] = "auto-generated"
    msg["Content-Language"] = "fr"
    text = message.body_text.rstrip() + f"\n\n-- \n{FOOTER}\n"
    msg.set_content(text, charset="utf-8")
    body_html = message.body_html or text_to_html(message.body_text)
    if FOOTER not in body_html:
        foot = f'<p style="color:#666;font-size:small">{html.escape(FOOTER)}</p>'
        body_html = body_html.replace("</body>", foot + "\n</body>") if "</body>" in body_html \
            else body_html + foot
    msg.add_alternative(body_html, subtype="html", charset="utf-8")
    return msg


def _valid_recipient(addr: str) -> bool:
    try:
        parsed = Address(addr_spec=addr.strip())
    except (ValueError, IndexError, TypeError):
        return False
    return bool(parsed.username) and "." in parsed.domain


# --- secrets ------------------------------------------------------------------------

REDACTED = "[supprimé après envoi]"
# Kinds queued by services/portal_accounts.py, and the label of the line holding the
# secret ("Mot de passe provisoire : …").
SECRET_LINES = {
    "portal.account": "Mot de passe provisoire",
    "portal.reset": "Code de réinitialisation",
}


def redacted_bodies(message: OutboxMessage) -> dict[str, str | None]:
    """The column values that erase the message's secret (empty for a message without
    one): the value on its line is replaced, the rest of the text stays readable; a body
    where the line is not found (wording changed) is erased whole rather than kept."""
    label = SECRET_LINES.get(message.kind)
    if label is None:
        return {}
    line = re.compile(rf"({re.escape(label)}\s*:\s*)[^<\r\n]+")

    def scrub(body: str) -> str:
        out, found = line.subn(lambda m: m.group(1) + REDACTED, body)
        return out if found else REDACTED

    return {"body_text": scrub(message.body_text),
            "body_html": scrub(message.body_html) if message.body_html else message.body_html}


def is_redacted(message: OutboxMessage) -> bool:
    return message.kind in SECRET_LINES and REDACTED in message.body_text


# --- delivery -----------------------------------------------------------------------

class TemporaryFailure(Exception):
    pass


class PermanentFailure(Exception):
    pass


class _Transport:
    """One SMTP connection for the whole run."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self.smtp: smtplib.SMTP | None = None

    def open(self) -> None:
        s = self.settings
        context = ssl.create_default_context(cafile=s.cafile)
        try:
            if s.ssl:
                self.smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=context)
            else:
                self.smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
                if s.starttls:
                    self.smtp.starttls(context=context)
            if s.user:
                _login(self.smtp, s.user, s.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            self.close()
            raise TemporaryFailure(f"identifiants SMTP refusés ({exc.smtp_code})") from exc
        except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
            self.close()
            raise TemporaryFailure(_describe(exc, s)) from exc

    def send(self, msg: EmailMessage, sender: str, recipient: str) -> None:
        assert self.smtp is not None
        try:
            refused = self.smtp.send_message(msg, from_addr=sender, to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            raise _by_code(code, text) from exc
        except smtplib.SMTPResponseException as exc:
            raise _by_code(exc.smtp_code, exc.smtp_error) from exc
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self.close()
            raise TemporaryFailure(_describe(exc, self.settings)) from exc
        except smtplib.SMTPException as exc:
            raise TemporaryFailure(str(exc)) from exc
        if refused:  # pragma: no cover - one recipient: refusal raises above
            code, text = next(iter(refused.values()))
            raise _by_code(code, text)

    def close(self) -> None:
        smtp, self.smtp = self.smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    @property
    def connected(self) -> bool:
        return self.smtp is not None


def _login(smtp: smtplib.SMTP, user: str, password: str) -> None:
    """smtplib only sends ASCII credentials (UnicodeEncodeError otherwise); a French
    password with an accent goes as AUTH PLAIN in UTF-8 (RFC 4616)."""
    if user.isascii() and password.isascii():
        smtp.login(user, password)
        return
    smtp.ehlo_or_helo_if_needed()
    if "PLAIN" not in smtp.esmtp_features.get("auth", "").upper().split():
        raise TemporaryFailure("le serveur SMTP ne propose pas AUTH PLAIN, nécessaire pour un"
                               " identifiant ou un mot de passe accentué")
    token = base64.b64encode(f"\0{user}\0{password}".encode()).decode("ascii")
    code, reply = smtp.docmd("AUTH", f"PLAIN {token}")
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, reply)


def _by_code(code: int, text: bytes | str) -> Exception:
    reply = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    detail = f"{code} {reply}".strip()
    if 400 <= code < 500:
        return TemporaryFailure(f"refus temporaire du serveur : {detail}")
    return PermanentFailure(f"refus définitif du serveur : {detail}")


def _describe(exc: BaseException, s: SmtpSettings) -> str:
    where = f"{s.host}:{s.port}"
    if isinstance(exc, ConnectionRefusedError):
        return f"serveur SMTP {where} injoignable (connexion refusée)"
    if isinstance(exc, socket.gaierror):
        return f"serveur SMTP {s.host} inconnu (nom introuvable)"
    if isinstance(exc, TimeoutError | socket.timeout):
        return f"serveur SMTP {where} : délai dépassé"
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return f"serveur SMTP {where} : échec TLS ({exc})"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return f"serveur SMTP {where} : connexion interrompue"
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return f"serveur SMTP {where} : {exc} (STARTTLS non proposé ?)"
    return f"serveur SMTP {where} : {exc}"


def backoff(attempts: int) -> timedelta:
    """Delay before the next try after `attempts` failed tries: 5, 10, 20 min… ≤ 6 h."""
    delay: timedelta = BACKOFF_BASE * (2 ** max(0, attempts - 1))
    return min(delay, BACKOFF_CAP)


@dataclass(frozen=True)
class Failure:
    message_id: int
    to_addr: str
    subject: str
    error: str
    final: bool  # True: given up ('failed'); False: will be tried again
    next_attempt_at: datetime | None = None


@dataclass
class DeliveryReport:
    sent: int = 0
    retry_later: int = 0
    failed: int = 0
    pending_not_due: int = 0
    connection_error: str | None = None
    failures: list[Failure] = field(default_factory=list)
    interrupted: list[int] = field(default_factory=list)  # stale 'sending' rows, to check

    @property
    def ok(self) -> bool:
        return self.connection_error is None and self.failed == 0 and not self.interrupted


def _truncate(text: str) -> str:
    return text if len(text) <= ERROR_LENGTH else text[: ERROR_LENGTH - 1] + "…"


def deliver_outbox(
    ctx: Context,
    settings: SmtpSettings,
    *,
    max_attempts: int = MAX_ATTEMPTS,
    limit: int | None = None,
) -> DeliveryReport:
    """Send every due message once; see the module docstring for the guarantees."""
    report = DeliveryReport()
    report.interrupted = _flag_interrupted(ctx)
    now = ctx.clock.now()
    due = _due_ids(ctx, now, limit)
    report.pending_not_due = _count_not_due(ctx, now)
    if not due:
        return report
    transport = _Transport(settings)
    try:
        try:
            transport.open()
        except TemporaryFailure as exc:
            report.connection_error = str(exc)
            for message_id in due:
                _record_unsent_failure(ctx, message_id, str(exc), max_attempts, report)
            return report
        for message_id in due:
            if not transport.connected:
                try:
                    transport.open()
                except TemporaryFailure as exc:
                    report.connection_error = str(exc)
                    _record_unsent_failure(ctx, message_id, str(exc), max_attempts, report)
                    continue
            _deliver_one(ctx, transport, settings, message_id, max_attempts, report)
    finally:
        transport.close()
    return report


def _due_ids(ctx: Context, now: datetime, limit: int | None) -> list[int]:
    next_at = col(OutboxMessage.next_attempt_at)
    query = (select(col(OutboxMessage.id))
             .where(col(OutboxMessage.status) == "pending", next_at.is_(None) | (next_at <= now))
             .order_by(next_at, col(OutboxMessage.id)))
    if limit is not None:
        query = query.limit(limit)
    return ctx.db.read(lambda s: [int(i) for i in s.execute(query).scalars()])


def _count_not_due(ctx: Context, now: datetime) -> int:
    from sqlalchemy import func

    return ctx.db.read(lambda s: int(s.execute(
        select(func.count()).select_from(OutboxMessage)
        .where(col(OutboxMessage.status) == "pending", col(OutboxMessage.next_attempt_at) > now)).scalar_one()))


def _flag_interrupted(ctx: Context) -> list[int]:
    """Rows left 'sending' by a run that died: they may have been sent, so they are
    marked failed with an explanation instead of being sent again."""
    now = ctx.clock.now()
    limit = now - STALE_SENDING

    def _work(session: Session) -> list[int]:
        next_at = col(OutboxMessage.next_attempt_at)
        rows = list(session.execute(select(OutboxMessage).where(
            col(OutboxMessage.status) == "sending", next_at.is_(None) | (next_at < limit),
        )).scalars())
        for row in rows:
            row.status = "failed"
            secret = redacted_bodies(row)
            for column, value in secret.items():
                setattr(row, column, value)
            if secret:
                row.last_error = ("envoi interrompu : le message est peut-être parti ; son secret est effacé."
                                  " Si la famille ne l'a pas reçu, générez-en un nouveau.")
            else:
                row.last_error = ("envoi interrompu : le message est peut-être parti. Vérifiez, puis"
                                  f" « portail mail retry {row.id} » pour le renvoyer.")
            session.add(row)
        return [int(r.id) for r in rows if r.id is not None]

    return ctx.db.write(_work)


def _claim(ctx: Context, message_id: int) -> OutboxMessage | None:
    """Mark 'sending' (committed before anything leaves). The conditional UPDATE is what
    makes a second, overlapping run skip the message. While 'sending', next_attempt_at
    holds the moment it was taken, which is how an interrupted run is recognised."""
    now = ctx.clock.now()

    def _work(session: Session) -> OutboxMessage | None:
        claimed = cast("CursorResult[Any]", session.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.id) == message_id, col(OutboxMessage.status) == "pending")
            .values(status="sending", attempts=col(OutboxMessage.attempts) + 1, next_attempt_at=now)
        )).rowcount
        if claimed != 1:
            return None
        return session.get(OutboxMessage, message_id)

    return ctx.db.write(_work)


def _deliver_one(ctx: Context, transport: _Transport, settings: SmtpSettings, message_id: int,
                 max_attempts: int, report: DeliveryReport) -> None:
    message = _claim(ctx, message_id)
    if message is None:  # taken by another run meanwhile
        return
    if not _valid_recipient(message.to_addr):
        _finish_failed(ctx, message, f"adresse du destinataire invalide : {message.to_addr!r}",
                       True, max_attempts, report)
        return
    try:
        transport.send(build_message(message, settings, ctx.clock.now()), settings.sender_address,
                       message.to_addr.strip())
    except PermanentFailure as exc:
        _finish_failed(ctx, message, str(exc), True, max_attempts, report)
        return
    except TemporaryFailure as exc:
        _finish_failed(ctx, message, str(exc), False, max_attempts, report)
        return
    sent_at = ctx.clock.now()
    ctx.db.write(lambda s: s.execute(
        update(OutboxMessage).where(col(OutboxMessage.id) == message_id, col(OutboxMessage.status) == "sending")
        .values(status="sent", sent_at=sent_at, last_error=None, next_attempt_at=None,
                **redacted_bodies(message))))
    report.sent += 1


def _finish_failed(ctx: Context, message: OutboxMessage, error: str, permanent: bool,
                   max_attempts: int, report: DeliveryReport) -> None:
    """After a try that did not deliver: back to the queue later, or given up."""
    now = ctx.clock.now()
    give_up = permanent or message.attempts >= max_attempts
    next_at = None if give_up else now + backoff(message.attempts)
    error = _truncate(error)
    erase = redacted_bodies(message) if give_up else {}
    ctx.db.write(lambda s: s.execute(
        update(OutboxMessage).where(col(OutboxMessage.id) == message.id, col(OutboxMessage.status) == "sending")
        .values(status="failed" if give_up else "pending", last_error=error, next_attempt_at=next_at, **erase)))
    _count(report, message, error, give_up, next_at)


def _record_unsent_failure(ctx: Context, message_id: int, error: str, max_attempts: int,
                           report: DeliveryReport) -> None:
    """The server could not be reached: nothing left, the try still counts (so a server
    down for days ends in 'failed', shown, rather than a silent queue)."""
    now = ctx.clock.now()
    error = _truncate(error)

    def _work(session: Session) -> OutboxMessage | None:
        row = session.get(OutboxMessage, message_id)
        if row is None or row.status != "pending":
            return None
        row.attempts += 1
        give_up = row.attempts >= max_attempts
        row.status = "failed" if give_up else "pending"
        row.last_error = error
        row.next_attempt_at = None if give_up else now + backoff(row.attempts)
        if give_up:
            for column, value in redacted_bodies(row).items():
                setattr(row, column, value)
        session.add(row)
        session.flush()
        return row

    row = ctx.db.write(_work)
    if row is not None:
        _count(report, row, error, row.status == "failed", row.next_attempt_at)


def _count(report: DeliveryReport, message: OutboxMessage, error: str, final: bool,
           next_at: datetime | None) -> None:
    if final:
        report.failed += 1
    else:
        report.retry_later += 1
    report.failures.append(Failure(message_id=int(message.id or 0), to_addr=message.to_addr,
                                   subject=message.subject, error=error, final=final,
                                   next_attempt_at=next_at))


# --- administration -------------------------------------------------------------------

@dataclass(frozen=True)
class OutboxLine:
    id: int
    status: str
    to_addr: str
    subject: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


def list_outbox(ctx: Context, *, statuses: tuple[str, ...] = ("pending", "sending", "failed"),
                limit: int = 200) -> list[OutboxLine]:
    def _work(session: Session) -> list[OutboxLine]:
        rows = session.execute(select(OutboxMessage).where(col(OutboxMessage.status).in_(statuses))
                               .order_by(col(OutboxMessage.id)).limit(limit)).scalars()
        return [OutboxLine(id=int(r.id or 0), status=r.status, to_addr=r.to_addr, subject=r.subject,
                           attempts=r.attempts, next_attempt_at=r.next_attempt_at,
                           last_error=r.last_error, created_at=r.created_at, sent_at=r.sent_at)
                for r in rows]

    return ctx.db.read(_work)


def requeue(ctx: Context, message_ids: list[int]) -> int:
    """An administrator's decision to try failed (or interrupted, hence failed) messages
    again, from scratch. A message sent, or being sent by a running job, is never
    requeued."""
    now = ctx.clock.now()

    def _work(session: Session) -> int:
        done = 0
        for mid in message_ids:
            row = session.get(OutboxMessage, mid)
            if row is None:
                raise ServiceError(f"Message n° {mid} introuvable.")
            if row.status != "failed":
                raise ServiceError(f"Le message n° {mid} n'est pas en échec (état : {status_label(row.status)}).")
            if is_redacted(row):
                raise ServiceError(f"Le message n° {mid} contenait un mot de passe ou un code, effacé : il ne peut"
                                   " pas être renvoyé. Générez-en un nouveau depuis le dossier de la famille.")
            row.status = "pending"
            row.attempts = 0
            row.next_attempt_at = now
            session.add(row)
            done += 1
        return done

    return ctx.db.write(_work)


STATUS_LABELS = {"pending": "en attente", "sending": "en cours d'envoi", "sent": "envoyé",
                 "failed": "en échec"}


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)

