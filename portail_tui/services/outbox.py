"""Queue e-mails in the outbox, inside the caller's transaction.

Delivery is a separate job (`portail mail send`); queuing with the business change
means a message exists if and only if the change committed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from portail_tui.models import OutboxMessage


def queue(
    session: Session,
    *,
    now: datetime,
    kind: str,
    to_addr: str,
    subject: str,
    body_text: str,
    body_html: str | None = None,
    family_id: int | None = None,
    dedup_key: str | None = None,
) -> OutboxMessage | None:
    """Queue one message; with `dedup_key`, a second call for the same key does nothing
    and returns None (idempotent nightly jobs)."""
    if dedup_key is not None:
        existing = session.execute(
            select(col(OutboxMessage.id)).where(col(OutboxMessage.dedup_key) == dedup_key)
        ).first()
        if existing is not None:
            return None
    message = OutboxMessage(
        kind=kind,
        family_id=family_id,
        to_addr=to_addr,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        dedup_key=dedup_key,
        created_at=now,
        next_attempt_at=now,
    )
    session.add(message)
    session.flush()
    return message
