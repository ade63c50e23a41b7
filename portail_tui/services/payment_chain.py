"""The hash chain of payment rows (B4), on the database side: sealing a new entry,
sealing rows loaded in bulk or written before the chain existed, and verifying it.

An entry's digest (domain/payment_chain.py) covers its fields and the régie's previous
entry's digest, in receipt-number order. It is computed by `record_entry` after the
receipt number is taken, i.e. under the receipt counter's lock, so the previous entry
it reads is the one that really precedes it. The id is allocated before the INSERT
(the digest covers it), which also lets SQLite's guard refuse any insert that reuses
an existing id — the way `REPLACE INTO` rewrites a row.

The chain is not keyed: someone who can write the file and knows this code can forge
a consistent chain. What it closes is rewriting a row behind the triggers without
recomputing everything after it, which `db check` would otherwise not see.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Connection, RowMapping, Table, select, text
from sqlmodel import Session

from portail_tui.clock import PARIS
from portail_tui.domain.payment_chain import CHAIN_FIELDS, GENESIS, entry_digest
from portail_tui.models import Payment

Executor = Session | Connection


def dialect_name(db: Executor) -> str:
    return db.dialect.name if isinstance(db, Connection) else db.get_bind().dialect.name


def _table() -> Table:
    return cast(Table, Payment.__table__)  # type: ignore[attr-defined]


def stored_instant(value: datetime) -> datetime:
    """The instant as AwareDateTime stores it (naive UTC; a naive value is Paris time),
    so a digest computed before the INSERT equals the one recomputed from the row."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=PARIS)
    return value.astimezone(UTC).replace(tzinfo=None)


def previous_digest(db: Executor, regie_id: int, receipt_number: int) -> str:
    """The digest of the régie's entry just before `receipt_number` (the chain's start
    for its first entry). Read after taking the receipt number, inside its lock."""
    found = db.execute(
        text("SELECT chain_digest FROM payment WHERE regie_id = :r AND receipt_number < :n"
             " ORDER BY receipt_number DESC LIMIT 1"),
        {"r": regie_id, "n": receipt_number},
    ).first()
    return str(found[0]) if found is not None and found[0] is not None else GENESIS


def next_payment_id(db: Executor) -> int:
    """The id the next entry will carry, taken before its INSERT so its digest covers
    it (SQLite: the write lock is held; PostgreSQL: the table's own sequence)."""
    if dialect_name(db) == "sqlite":
        return int(db.execute(text("SELECT COALESCE(MAX(id), 0) + 1 FROM payment")).scalar_one())
    return int(db.execute(text("SELECT nextval(pg_get_serial_sequence('payment', 'id'))")).scalar_one())


def seal(session: Session, payment: Payment) -> None:
    """Give a new, not yet inserted entry its id and digest. Call it once the receipt
    number is taken (so the régie's counter lock is held)."""
    payment.id = next_payment_id(session)
    previous = previous_digest(session, payment.regie_id, payment.receipt_number)
    row: dict[str, object] = {name: getattr(payment, name) for name in CHAIN_FIELDS}
    row["created_at"] = stored_instant(payment.created_at)
    payment.chain_digest = entry_digest(previous, row)


def seal_rows(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
    """Rows for a bulk load into an empty payment table (the demo town), each with its
    digest appended as a last column, chained per régie in receipt order."""
    index = {name: i for i, name in enumerate(columns)}
    missing = [name for name in CHAIN_FIELDS if name not in index]
    if missing:
        raise ValueError(f"payment rows lack {missing}")
    order = sorted(range(len(rows)), key=lambda i: (rows[i][index["regie_id"]], rows[i][index["receipt_number"]]))
    digests: dict[int, str] = {}
    last: dict[int, str] = {}
    for i in order:
        row = {name: rows[i][index[name]] for name in CHAIN_FIELDS}
        created = row["created_at"]
        if isinstance(created, datetime):
            row["created_at"] = stored_instant(created)
        regie = cast(int, row["regie_id"])
        digests[i] = last[regie] = entry_digest(last.get(regie, GENESIS), row)
    return [(*row, digests[i]) for i, row in enumerate(rows)]


def _rows_in_chain_order(db: Executor) -> list[RowMapping]:
    table = _table()
    cols = [table.c[name] for name in (*CHAIN_FIELDS, "chain_digest")]
    stmt = select(*cols).order_by(table.c.regie_id, table.c.receipt_number, table.c.id)
    return [row._mapping for row in db.execute(stmt)]


def _fields(row: RowMapping) -> dict[str, object]:
    return {name: row[name] for name in CHAIN_FIELDS}


def seal_unsealed(conn: Executor) -> int:
    """Write the digest of every entry that has none, in chain order (migration 0005
    for rows made before the chain existed). The payment guard must be lifted by the
    caller around this: it is the only UPDATE of a payment row there is."""
    sealed = 0
    last: dict[int, str] = {}
    for row in _rows_in_chain_order(conn):
        regie = int(row["regie_id"])
        digest = row["chain_digest"]
        if digest is None:
            digest = entry_digest(last.get(regie, GENESIS), _fields(row))
            conn.execute(text("UPDATE payment SET chain_digest = :d WHERE id = :i"),
                         {"d": digest, "i": row["id"]})
            sealed += 1
        last[regie] = str(digest)
    return sealed


@dataclass(frozen=True)
class BrokenLink:
    """The first entry of a régie whose digest is not what its fields and the previous
    entry give: that entry or one before it was changed, replaced, removed or added
    outside the application."""

    regie_id: int
    receipt_number: int
    payment_id: int
    unsealed: bool  # no digest at all (written by raw SQL)


def verify_chain(db: Executor) -> list[BrokenLink]:
    """The first broken link of each régie's chain (empty when every chain holds)."""
    broken: dict[int, BrokenLink] = {}
    last: dict[int, str] = {}
    for row in _rows_in_chain_order(db):
        regie = int(row["regie_id"])
        if regie in broken:
            continue
        expected = entry_digest(last.get(regie, GENESIS), _fields(row))
        stored = row["chain_digest"]
        if stored != expected:
            broken[regie] = BrokenLink(regie, int(row["receipt_number"]), int(row["id"]), stored is None)
            continue
        last[regie] = expected
    return [broken[r] for r in sorted(broken)]
