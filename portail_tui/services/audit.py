"""Audit trail (B5): the one writer of audit rows, so every service records changes
the same way and `portail audit` (services/audit_query.py) can read every row.

The stored format: who (`actor`, an `Actor.tag` or "system"), what (`action`, a key of
audit_query.ACTION_LABELS), on which row (`entity`, `entity_id`), for which family,
and the details as a JSON object with sorted keys (dates and other values as text).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session

from portail_tui.models import AuditLog


def encode_details(details: Mapping[str, Any]) -> str:
    """The details column: a JSON object that audit_query.list_audit parses back."""
    return json.dumps(dict(details), ensure_ascii=False, default=str, sort_keys=True)


def row(
    *,
    at: datetime,
    actor: str,
    action: str,
    entity: str,
    entity_id: int | None = None,
    family_id: int | None = None,
    **details: Any,
) -> dict[str, Any]:
    """One audit row as column values, for `record_many` (bulk writers such as a cart)."""
    return {"at": at, "actor": actor, "action": action, "entity": entity, "entity_id": entity_id,
            "family_id": family_id, "details": encode_details(details)}


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
    session.add(AuditLog(**row(at=at, actor=actor, action=action, entity=entity, entity_id=entity_id,
                               family_id=family_id, **details)))


def record_for_families(
    session: Session,
    family_ids: Iterable[int],
    *,
    at: datetime,
    actor: str,
    action: str,
    entity: str,
    entity_id: int | None = None,
    **details: Any,
) -> None:
    """One row per family a change concerns (a child of two households), so each
    family's audit shows it; a row without family when there is none."""
    families: list[int | None] = list(family_ids) or [None]
    for family_id in families:
        record(session, at=at, actor=actor, action=action, entity=entity, entity_id=entity_id,
               family_id=family_id, **details)


def record_many(session: Session, rows: Iterable[Mapping[str, Any]]) -> None:
    """Rows built with `row`, written in one executemany inside the caller's transaction."""
    values = [dict(r) for r in rows]
    if values:
        session.connection().execute(insert(AuditLog), values)
