"""Audit trail (B5): one helper so every service records changes the same way."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlmodel import Session

from portail_tui.models import AuditLog


def record(
    session: Session,
    *,
    at: datetime,
    actor: str,
    action: str,
    entity: str,
    entity_id: int | None = None,
    family_id: int | None = None,
    **details: Any,
) -> None:
    """Add an audit row inside the caller's transaction (so it commits or rolls back with it)."""
    session.add(
        AuditLog(
            at=at,
            actor=actor,
            action=action,
            entity=entity,
            entity_id=entity_id,
            family_id=family_id,
            details=json.dumps(details, ensure_ascii=False, default=str, sort_keys=True),
        )
    )
