"""What a restore leaves in the restored data (issue 13): receipt numbers that never go
back, and a generation number that tells open sessions the data under them changed.

A backup is older than the receipts already handed to families. After a restore the
next payment must not reuse a printed number, so each régie's receipt counter is
raised to the highest number ever issued: read from the database being replaced (its
counter and its entries), from the backup itself, and from the restores it records.
The numbers between are skipped: `db check` reads them from the restore's audit row
(`skipped_receipts`) instead of calling them missing.

`database_generation` is what a screen polls: a session keeps the number it started
with; any other number means the database was restored under it — its figures, its
open family, its next receipt are those of another database: it must stop writing and
be restarted.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from portail_tui.db import Database
from portail_tui.models import ReceiptCounter
from portail_tui.models.changes import DatabaseGeneration
from portail_tui.services import audit
from portail_tui.services.context import Context
from portail_tui.services.payment_chain import Executor

RESTORED_ACTION = "database.restored"


@dataclass(frozen=True)
class LiveState:
    """What the database about to be replaced had issued, read just before the swap."""

    highest: dict[int, int]  # régie id -> highest receipt number ever issued
    generation: int


@dataclass(frozen=True)
class ReceiptFloor:
    regie_id: int
    in_backup: int  # the restored counter
    highest_issued: int  # the counter after the restore


def highest_receipts(db: Executor) -> dict[int, int]:
    """Per régie, the highest receipt number the counters or the entries know, and
    those restores recorded as issued (a restored counter may be above its entries)."""
    highest: dict[int, int] = {}

    def _keep(rows: Iterable[tuple[int, int | None]]) -> None:
        for regie_id, number in rows:
            if number is not None:
                highest[int(regie_id)] = max(highest.get(int(regie_id), 0), int(number))

    _keep(db.execute(text("SELECT regie_id, last_number FROM receipt_counter")).all())
    _keep(db.execute(text("SELECT regie_id, MAX(receipt_number) FROM payment GROUP BY regie_id")).all())
    _keep((int(k), hi) for k, (_lo, hi) in recorded_skips(db).items())
    return highest


def recorded_skips(db: Executor) -> dict[int, tuple[int, int]]:
    """Per régie, the widest span of receipt numbers restores skipped: (first, last)
    issued by a database that was replaced, never present in this one."""
    spans: dict[int, tuple[int, int]] = {}
    for (details,) in db.execute(text("SELECT details FROM audit_log WHERE action = :a"),
                                 {"a": RESTORED_ACTION}).all():
        try:
            skipped = json.loads(details or "{}").get("skipped_receipts", {})
        except (ValueError, AttributeError):
            continue
        for regie, span in skipped.items():
            lo, hi = int(span[0]), int(span[1])
            old = spans.get(int(regie))
            spans[int(regie)] = (min(lo, old[0]), max(hi, old[1])) if old else (lo, hi)
    return spans


def _generation(db: Executor) -> int:
    value = db.execute(text("SELECT MAX(generation) FROM database_generation")).scalar()
    return int(value or 0)


def read_live_state(db: Database) -> LiveState:
    """The replaced database's numbers; a database too damaged (or too old) to say
    gives what it can: the backup's own numbers still apply."""
    highest: dict[int, int] = {}
    generation = 0
    try:
        with db.engine.connect() as conn:
            highest = highest_receipts(conn)
            generation = _read_generation(conn)
    except DBAPIError:
        pass
    return LiveState(highest=highest, generation=generation)


def _read_generation(conn: Connection) -> int:
    try:
        with conn.begin_nested():
            return _generation(conn)
    except DBAPIError:  # a database from before migration 0010
        return 0


def mark_restored(ctx: Context, live: LiveState, backup_path: Path) -> tuple[list[ReceiptFloor], int]:
    """In the candidate (`ctx.db`, not yet swapped in): raise each régie's receipt
    counter to the highest number ever issued, bump the generation past both
    databases', and audit the restore with both numbers of each régie."""
    now = ctx.clock.now()

    def _work(session: Session) -> tuple[list[ReceiptFloor], int]:
        own = highest_receipts(session)
        floors: list[ReceiptFloor] = []
        for counter in session.exec(select(ReceiptCounter).order_by(col(ReceiptCounter.regie_id))):
            target = max(own.get(counter.regie_id, 0), live.highest.get(counter.regie_id, 0))
            floors.append(ReceiptFloor(counter.regie_id, counter.last_number, target))
            if target > counter.last_number:
                counter.last_number = target
                session.add(counter)
        generation = max(_generation(session), live.generation) + 1
        row = session.get(DatabaseGeneration, 1) or DatabaseGeneration(id=1)
        row.generation = generation
        session.add(row)
        audit.record(session, at=now, actor=ctx.actor_tag, action=RESTORED_ACTION, entity="database",
                     backup=str(backup_path), generation=generation,
                     receipts={str(f.regie_id): {"dans_la_sauvegarde": f.in_backup,
                                                 "plus_haut_emis": f.highest_issued} for f in floors},
                     skipped_receipts={str(f.regie_id): [f.in_backup + 1, f.highest_issued]
                                       for f in floors if f.highest_issued > f.in_backup})
        return floors, generation

    return ctx.db.write(_work)


def database_generation(ctx: Context) -> int:
    """The number a session compares with the one it started with (see module doc)."""
    return ctx.db.read(read_generation)


def read_generation(session: Session) -> int:
    """`database_generation` inside a read already open."""
    row = session.get(DatabaseGeneration, 1)
    return row.generation if row is not None else 0
