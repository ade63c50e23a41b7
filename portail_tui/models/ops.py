"""News, audit log and the e-mail outbox."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, Text
from sqlmodel import Field, SQLModel

import portail_tui.models.base  # noqa: F401  (naming convention before any table)
from portail_tui.models.types import AwareDateTime


class News(SQLModel, table=True):
    """Actualité shown on Accueil (R15) between `published_on` and withdrawal."""

    __tablename__ = "news"
    id: int | None = Field(default=None, primary_key=True)
    regie_id: int = Field(foreign_key="regie.id", index=True)
    title: str = Field(max_length=200)
    body: str = Field(default="", sa_type=Text)
    published_on: date
    withdrawn_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    created_by: str = Field(max_length=80)
    updated_at: datetime = Field(sa_type=AwareDateTime)


class AuditLog(SQLModel, table=True):
    """Who changed what, and when (B5). `details` is JSON."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_family_at", "family_id", "at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=AwareDateTime)
    actor: str = Field(max_length=80)  # "agent:login", "famille:identifiant", "system"
    action: str = Field(max_length=60)
    entity: str = Field(max_length=40)
    entity_id: int | None = None
    family_id: int | None = Field(default=None)
    details: str = Field(default="{}", sa_type=Text)


class OutboxMessage(SQLModel, table=True):
    """An e-mail waiting to be delivered. `dedup_key` makes queuing idempotent
    (the nightly digest of a family and day is queued once)."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=30)
    family_id: int | None = Field(default=None, foreign_key="family.id")
    to_addr: str = Field(max_length=254)
    subject: str = Field(max_length=200)
    body_text: str = Field(sa_type=Text)
    body_html: str | None = Field(default=None, sa_type=Text)
    dedup_key: str | None = Field(default=None, max_length=120, unique=True)
    status: str = Field(default="pending", max_length=10)  # pending, sending, sent, failed
    attempts: int = Field(default=0)
    next_attempt_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(sa_type=AwareDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
