"""A change counter per family, so a screen can tell cheaply whether what it shows is stale."""

from __future__ import annotations

from sqlmodel import Field, SQLModel

import portail_tui.models.base  # noqa: F401  (naming convention before any table)


class FamilyChange(SQLModel, table=True):
    """`seq` grows in the same transaction as any change to the family's bookings or
    wallet entries. Database triggers (migration 0007) bump it, not the services, so no
    writer (desk, portal, PayFiP return, nightly jobs, demo, CLI) can forget to. No row
    means nothing changed since the counter exists: read it as 0."""

    __tablename__ = "family_change"
    family_id: int = Field(foreign_key="family.id", primary_key=True)
    seq: int = Field(default=0)


class DatabaseGeneration(SQLModel, table=True):
    """One row (id 1): bumped by every `portail db restore`, in the restored data itself,
    so a session opened before the restore sees a number other than the one it started
    with and knows the data under it was replaced (services/restore_marks.py). No row
    reads as 0."""

    __tablename__ = "database_generation"
    id: int = Field(primary_key=True)
    generation: int = Field(default=0)
