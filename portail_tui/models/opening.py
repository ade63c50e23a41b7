"""Opening balances (« reprise de solde », G8): what a family owed or had in credit in
the town's previous software on the day it went live."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, SQLModel

import portail_tui.models.base  # noqa: F401  (naming convention before any table)
from portail_tui.models.types import AwareDateTime


class OpeningBalance(SQLModel, table=True):
    """One per family, written once and never changed (append-only on PostgreSQL). It is
    a wallet entry of its own kind, not a Payment: no receipt number, no money taken at
    a cash desk, so no cash journal ever counts it; the solde adds it (wallet.py).
    Signed: positive is credit the family had, negative what it still owed."""

    __tablename__ = "opening_balance"
    id: int | None = Field(default=None, primary_key=True)
    regie_id: int = Field(foreign_key="regie.id", index=True)
    family_id: int = Field(foreign_key="family.id", unique=True)
    amount_cents: int
    as_of: date
    created_at: datetime = Field(sa_type=AwareDateTime)
    created_by: str = Field(max_length=80)
