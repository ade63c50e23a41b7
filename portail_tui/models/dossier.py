"""Family file forms (R11, R12) and portal accounts (R13)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

import portail_tui.models.base  # noqa: F401  (naming convention before any table)
from portail_tui.models.types import AwareDateTime

FORM_KINDS = ("assurance", "contact", "reglement", "autorisations", "sante")
FORM_STATUSES = ("a_saisir", "en_cours", "en_validation", "validee", "rejetee", "a_mettre_a_jour")


class Form(SQLModel, table=True):
    """One of the five forms of a child. `data` is the JSON of the current entry,
    `validated_data` the JSON last validated (to show what a resubmission changed)."""

    __tablename__ = "form"
    __table_args__ = (
        UniqueConstraint("child_id", "kind"),
        CheckConstraint(
            "kind IN ('assurance','contact','reglement','autorisations','sante')", name="kind"
        ),
        CheckConstraint(
            "status IN ('a_saisir','en_cours','en_validation','validee','rejetee','a_mettre_a_jour')",
            name="status",
        ),
        # The forms awaiting validation, counted with the oldest date from the index alone
        # (Accueil's « fiches en attente », services/alerts.py).
        Index("ix_form_status_submitted", "status", "submitted_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    child_id: int = Field(foreign_key="child.id", index=True)
    kind: str = Field(max_length=16)
    status: str = Field(default="a_saisir", max_length=16)
    data: str = Field(default="{}", sa_type=Text)
    validated_data: str | None = Field(default=None, sa_type=Text)
    reject_reason: str | None = Field(default=None, max_length=500)
    expires_on: date | None = None
    school_year: int | None = None
    submitted_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    decided_by: str | None = Field(default=None, max_length=80)
    updated_at: datetime = Field(sa_type=AwareDateTime)
    updated_by: str = Field(default="system", max_length=80)


class PortalAccount(SQLModel, table=True):
    __tablename__ = "portal_account"
    id: int | None = Field(default=None, primary_key=True)
    family_id: int = Field(foreign_key="family.id", unique=True)
    identifier: str = Field(max_length=64, unique=True)
    password_hash: str = Field(max_length=200)
    must_change_password: bool = Field(default=True)
    provisional_expires_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    active: bool = Field(default=True)
    failed_attempts: int = Field(default=0)
    locked_until: datetime | None = Field(default=None, sa_type=AwareDateTime)
    created_at: datetime = Field(sa_type=AwareDateTime)
    last_login_at: datetime | None = Field(default=None, sa_type=AwareDateTime)


class PasswordReset(SQLModel, table=True):
    """A single-use reset code; only its hash is stored."""

    __tablename__ = "password_reset"
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="portal_account.id", index=True)
    token_hash: str = Field(max_length=200)
    expires_at: datetime = Field(sa_type=AwareDateTime)
    used_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    created_at: datetime = Field(sa_type=AwareDateTime)
