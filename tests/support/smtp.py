"""A real SMTP server on loopback for the mail and nightly tests (aiosmtpd), whose
answers a test can script per recipient: accept, refuse for now (4xx), refuse (5xx)."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class Handler:
    received: list[Received] = field(default_factory=list)
    replies: dict[str, str] = field(default_factory=dict)  # recipient -> SMTP reply

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        reply = self.replies.get(address)
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), msg))  # type: ignore[arg-type]
        return "250 Message accepté"


class SmtpServer:
    """Start/stop around a test; `port` stays the same across restarts (server down, then
    back)."""

    def __init__(self, **smtp_kwargs: Any) -> None:
        self.handler = Handler()
        self.port = free_port()
        self.smtp_kwargs = smtp_kwargs
        self.controller: Controller | None = None

    def start(self) -> SmtpServer:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port,
                                     **self.smtp_kwargs)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def env(self, **extra: str) -> dict[str, str]:
        return {"PORTAIL_SMTP_HOST": "127.0.0.1", "PORTAIL_SMTP_PORT": str(self.port),
                "PORTAIL_SMTP_FROM": "Régie scolaire <regie@mairie.example>",
                "PORTAIL_SMTP_TIMEOUT": "5", **extra}

    def to(self, addr: str) -> list[Received]:
        return [r for r in self.handler.received if addr in r.rcpt_tos]
