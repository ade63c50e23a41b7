"""Opening balances (« reprise de solde », G8): the balance a family had in the town's
previous software, brought in once when the town goes live.

Its own kind of wallet entry: no receipt number, no cash desk, so never in a cash
journal (cashdesk.py and exports/journal.py read payments only) and never a Payment.
The wallet's solde adds it (wallet.py); the histories show it as « Reprise de solde au
JJ/MM/AAAA » (history/payments.py). Imported by an administrator only, once per
family: a second import skips the families that already have one and says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from portail_tui.domain.frdates import format_date_short
from portail_tui.models import AuditLog, OpeningBalance, table_of
from portail_tui.services import audit
from portail_tui.services.bulk_insert import insert_rows

LABEL = "Reprise de solde"


def opening_label(as_of: date) -> str:
    """« Reprise de solde au 31/08/2026 », as every history and statement words it."""
    return f"{LABEL} au {format_date_short(as_of)}"


@dataclass(frozen=True)
class OpeningEntry:
    family_id: int
    amount_cents: int
    as_of: date
    created_at: datetime

    @property
    def label(self) -> str:
        return opening_label(self.as_of)


@dataclass(frozen=True)
class OpeningResult:
    added: int
    skipped: tuple[int, ...]  # family ids that already had theirs


def existing_openings(session: Session, family_ids: Sequence[int]) -> set[int]:
    """Which of these families already have their opening balance."""
    have: set[int] = set()
    for start in range(0, len(family_ids), 5000):
        have |= set(session.execute(select(col(OpeningBalance.family_id)).where(
            col(OpeningBalance.family_id).in_(family_ids[start:start + 5000]))).scalars())
    return have


def record_opening_balances(session: Session, regie_id: int, items: Sequence[tuple[int, int, date]], *,
                            now: datetime, actor: str) -> OpeningResult:
    """(family id, signed cents, as-of date) for each family, inside the caller's
    transaction; the caller has checked the « opening_balance.import » permission.
    Families that already have an opening balance keep it (never changed, never twice)."""
    ids = [fid for fid, _, _ in items]
    have = existing_openings(session, ids)
    rows: list[dict[str, Any]] = [{"regie_id": regie_id, "family_id": fid, "amount_cents": cents, "as_of": as_of, "created_at": now,
             "created_by": actor} for fid, cents, as_of in items if fid not in have]
    if rows:
        insert_rows(session, table_of(OpeningBalance), rows)
        insert_rows(session, table_of(AuditLog), [
            audit.row(at=now, actor=actor, action="opening_balance.import", entity="family", entity_id=r["family_id"],
                      family_id=r["family_id"], amount_cents=r["amount_cents"], as_of=r["as_of"]) for r in rows])
    return OpeningResult(len(rows), tuple(fid for fid in ids if fid in have))


def opening_entry(session: Session, family_id: int) -> OpeningEntry | None:
    row = session.execute(select(OpeningBalance).where(col(OpeningBalance.family_id) == family_id)).scalar_one_or_none()
    if row is None:
        return None
    return OpeningEntry(row.family_id, row.amount_cents, row.as_of, row.created_at)
