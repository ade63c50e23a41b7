"""Dossier famille: the right-of-access export (B6), everything the régie holds on a family."""

from __future__ import annotations

import json
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import RowMapping
from sqlmodel import Session, col

from portail_tui.domain import forms as F
from portail_tui.models import AuditLog, Child, Family, Form, PasswordReset, metadata, table_of
from portail_tui.services import audit, permissions
from portail_tui.services.context import Context
from portail_tui.services.dossier_fields import load_family
from portail_tui.services.families import family_in_regie

_SECRET_MARKERS = ("hash", "token", "secret")


def _jsonable(value: object) -> object:
    if isinstance(value, datetime | date | time):  # time: an attendance mark's arrival
        return value.isoformat()
    return value


def _row(mapping: RowMapping) -> dict[str, object]:
    """One row as JSON-ready data, without the columns that hold secrets."""
    named = {str(k): v for k, v in mapping.items()}
    return {k: _jsonable(v) for k, v in named.items() if not any(m in k for m in _SECRET_MARKERS)}


def _loads(text: str | None) -> object:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def family_regie_id(ctx: Context, family_id: int) -> int:
    """The régie of a family: the CLI acts as that régie's system actor."""
    return ctx.db.read(lambda s: family_in_regie(s, ctx.actor, family_id).regie_id)


def export_family(ctx: Context, family_id: int) -> dict[str, Any]:
    """Everything the régie holds on a family (right of access), as JSON-ready data.

    Every table with a `family_id` column is included, so data added by later
    features is not forgotten; the children (and their forms) attached to the
    family come along. Password hashes and reset codes are never exported; health
    forms are exported only to an actor allowed to see them. The export is audited."""
    actor = permissions.require(ctx, "export.family")
    now = ctx.clock.now()
    health = permissions.can_see_health(actor)

    def _work(session: Session) -> dict[str, Any]:
        load_family(session, actor, family_id)
        out: dict[str, Any] = {
            "format": "portail-familles/droit-d-acces/1",
            "genere_le": now.isoformat(),
            "famille": _row(session.execute(select(table_of(Family)).where(col(Family.id) == family_id))
                            .mappings().one()),
        }
        for table in metadata.sorted_tables:
            if table.name in ("family", "audit_log") or "family_id" not in table.c:
                continue
            rows = [_row(m) for m in session.execute(
                select(table).where(table.c.family_id == family_id).order_by(*table.primary_key.columns)
            ).mappings()]
            if table.name == "outbox":
                for r in rows:
                    # Messages that carried a provisional password or a reset code.
                    if str(r.get("kind", "")).startswith("portal"):
                        r["body_text"] = r["body_html"] = "(contenu confidentiel non exporté)"
            out[table.name] = rows
        child_ids = [link["child_id"] for link in out.get("family_member", [])]
        out["child"] = [_row(m) for m in session.execute(
            select(table_of(Child)).where(table_of(Child).c.id.in_(child_ids)).order_by(table_of(Child).c.id)
        ).mappings()] if child_ids else []
        forms = []
        if child_ids:
            for m in session.execute(
                select(table_of(Form)).where(table_of(Form).c.child_id.in_(child_ids))
                .order_by(table_of(Form).c.child_id, table_of(Form).c.id)
            ).mappings():
                r = _row(m)
                r["data"], r["validated_data"] = _loads(m["data"]), _loads(m["validated_data"])
                if m["kind"] == F.HEALTH_KIND and not health:
                    r["data"] = r["validated_data"] = "(données de santé non visibles pour votre rôle)"
                forms.append(r)
        out["form"] = forms
        account_ids = [a["id"] for a in out.get("portal_account", [])]
        out["password_reset"] = [
            _row(m) for m in session.execute(
                select(table_of(PasswordReset)).where(table_of(PasswordReset).c.account_id.in_(account_ids))
            ).mappings()
        ] if account_ids else []
        out["audit_log"] = [
            {**_row(m), "details": _loads(m["details"])}
            for m in session.execute(
                select(table_of(AuditLog)).where(table_of(AuditLog).c.family_id == family_id)
                .order_by(table_of(AuditLog).c.at, table_of(AuditLog).c.id)
            ).mappings()
        ]
        audit.record(session, at=now, actor=actor.tag, action="family.export", entity="family",
                     entity_id=family_id, family_id=family_id, health_included=health)
        return out

    return ctx.db.write(_work)
