"""Money in and out of family wallets (R7, R14, B4). Rows here are never updated or
deleted (the database refuses it): corrections are new rows pointing at the original."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

import portail_tui.models.base  # noqa: F401  (naming convention before any table)
from portail_tui.models.types import AwareDateTime

PAYMENT_KINDS = ("payment", "reversal", "refund")


class Payment(SQLModel, table=True):
    """A règlement. `amount_cents` is signed: payments are positive, refunds and
    reversals of payments negative. `receipt_number` is the régie's gapless quittance
    number, taken from ReceiptCounter in the same transaction. `chain_digest` links the
    régie's entries in receipt order, so a row rewritten behind the guard is found."""

    __tablename__ = "payment"
    __table_args__ = (
        UniqueConstraint("regie_id", "receipt_number"),
        UniqueConstraint("reverses_id"),  # a payment can be reversed once only
        CheckConstraint("amount_cents <> 0", name="amount_not_zero"),
        CheckConstraint("kind IN ('payment','reversal','refund')", name="kind"),
        CheckConstraint(
            "(kind = 'payment' AND amount_cents > 0) OR (kind = 'refund' AND amount_cents < 0)"
            " OR kind = 'reversal'",
            name="kind_sign",
        ),
        CheckConstraint("(kind = 'reversal') = (reverses_id IS NOT NULL)", name="reversal_link"),
        Index("ix_payment_family_created", "family_id", "created_at"),
        Index("ix_payment_regie_day", "regie_id", "business_day"),
    )
    id: int | None = Field(default=None, primary_key=True)
    regie_id: int = Field(foreign_key="regie.id")
    family_id: int = Field(foreign_key="family.id")
    receipt_number: int
    kind: str = Field(default="payment", max_length=10)
    mode: str = Field(max_length=10)
    amount_cents: int
    payer_name: str = Field(default="", max_length=120)
    cheque_number: str | None = Field(default=None, max_length=20)
    cheque_bank: str | None = Field(default=None, max_length=80)
    cheque_drawer: str | None = Field(default=None, max_length=120)
    reference: str | None = Field(default=None, max_length=80)  # PayFiP ref, transfer ref…
    reverses_id: int | None = Field(default=None, foreign_key="payment.id")
    reason: str | None = Field(default=None, max_length=300)
    business_day: date  # the cash day (journal) this entry belongs to
    created_at: datetime = Field(sa_type=AwareDateTime)
    created_by: str = Field(max_length=80)
    # sha256 of this entry's fields and of the régie's previous entry's digest
    # (domain/payment_chain.py): set once at insert, verified by `db check`.
    chain_digest: str | None = Field(default=None, max_length=64)


class ReceiptCounter(SQLModel, table=True):
    """Last receipt number per régie; incremented by a conditional UPDATE inside the
    payment's transaction so numbers stay gapless and unique across processes."""

    __tablename__ = "receipt_counter"
    regie_id: int = Field(foreign_key="regie.id", primary_key=True)
    last_number: int = Field(default=0)


class CashDay(SQLModel, table=True):
    """Arrêté de caisse of one day; once closed, no entry may be dated that day."""

    __tablename__ = "cash_day"
    __table_args__ = (UniqueConstraint("regie_id", "day"),)
    id: int | None = Field(default=None, primary_key=True)
    regie_id: int = Field(foreign_key="regie.id")
    day: date
    expected_cash_cents: int
    counted_cash_cents: int
    note: str | None = Field(default=None, max_length=500)
    closed_at: datetime = Field(sa_type=AwareDateTime)
    closed_by: str = Field(max_length=80)


class PayfipRequest(SQLModel, table=True):
    """One online card payment request sent to PayFiP (R14) and its outcome."""

    __tablename__ = "payfip_request"
    id: int | None = Field(default=None, primary_key=True)
    regie_id: int = Field(foreign_key="regie.id")
    family_id: int = Field(foreign_key="family.id", index=True)
    reference: str = Field(max_length=40, unique=True)
    amount_cents: int
    object: str = Field(max_length=100)
    email: str = Field(max_length=254)
    status: str = Field(default="pending", max_length=10)  # pending, paid, refused, abandoned
    numauto: str | None = Field(default=None, max_length=20)
    dattrans: str | None = Field(default=None, max_length=8)
    heurtrans: str | None = Field(default=None, max_length=4)
    payment_id: int | None = Field(default=None, foreign_key="payment.id")
    created_at: datetime = Field(sa_type=AwareDateTime)
    created_by: str = Field(max_length=80)
    result_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
