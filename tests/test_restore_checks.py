"""`db restore` (issue 13): a damaged or tampered backup is refused before anything is
touched; after a restore the receipt numbers never go back and open sessions can tell
the database was replaced."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select, text

from portail_tui.db import Database
from portail_tui.models import AuditLog, Family, ReceiptCounter
from portail_tui.services import backup, payments
from portail_tui.services.context import Actor, Context, ServiceError
from portail_tui.services.integrity import run_checks
from portail_tui.services.payment_guards import install_guards
from portail_tui.services.restore_marks import database_generation
from tests.test_backup import snapshot

EVIL = ("CREATE TRIGGER promote_agent AFTER INSERT ON payment"
        " BEGIN UPDATE agent SET role = 'admin' WHERE login = 'agent'; END")
EVIL_PG = ("CREATE FUNCTION promote_agent() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
           " UPDATE agent SET role = 'admin' WHERE login = 'agent'; RETURN NULL; END $$;"
           " CREATE TRIGGER promote_agent AFTER INSERT ON payment FOR EACH STATEMENT"
           " EXECUTE FUNCTION promote_agent()")


@pytest.fixture
def octx(demo_ctx: Context, db_owner: Database) -> Context:
    """The administrator's restore runs as the schema's owner (PostgreSQL: the application's
    role may not recreate tables); on SQLite the same database handle."""
    return dataclasses.replace(demo_ctx, db=db_owner)


@pytest.fixture
def bdir(tmp_path: Path) -> Path:
    path = tmp_path / "sauvegardes"
    path.mkdir()
    return path


def _target(ctx: Context, bdir: Path) -> Path:
    return bdir / ("b.sqlite" if ctx.db.is_sqlite else "b.pgdump")


def _refused(ctx: Context, path: Path, words: str) -> None:
    before = snapshot(ctx.db)
    with pytest.raises(ServiceError, match=words):
        backup.restore(ctx, path)
    assert snapshot(ctx.db) == before
    assert not list(path.parent.glob("avant-restauration-*"))
    assert database_generation(ctx) == 0


def _tampered_backup(ctx: Context, bdir: Path, tamper: str, repair: str) -> Path:
    """A backup taken while the live database was tampered with, then the live one repaired."""
    with ctx.db.engine.begin() as conn:
        conn.exec_driver_sql(tamper)
    target = backup.backup(ctx, _target(ctx, bdir)).path
    with ctx.db.engine.begin() as conn:
        if repair == "guards":
            install_guards(conn)
        else:
            conn.exec_driver_sql(repair)
    assert run_checks(ctx).ok
    return target


def test_a_backup_without_the_payment_guard_is_refused(octx: Context, bdir: Path) -> None:
    sqlite = octx.db.is_sqlite
    drop = "DROP TRIGGER payment_no_update" if sqlite else "DROP TRIGGER payment_immutable ON payment"
    path = _tampered_backup(octx, bdir, drop, "guards")
    _refused(octx, path, "garde-fou des règlements a été retiré")


def test_a_backup_with_a_foreign_trigger_is_refused(octx: Context, bdir: Path) -> None:
    sqlite = octx.db.is_sqlite
    drop = "DROP TRIGGER promote_agent" if sqlite else \
        "DROP TRIGGER promote_agent ON payment; DROP FUNCTION promote_agent()"
    path = _tampered_backup(octx, bdir, EVIL if sqlite else EVIL_PG, drop)
    _refused(octx, path, r"Déclencheur\(s\) inconnu\(s\).*promote_agent")


def test_a_backup_breaking_an_invariant_is_refused(octx: Context, bdir: Path) -> None:
    path = _tampered_backup(octx, bdir, "UPDATE receipt_counter SET last_number = 1",
                            "UPDATE receipt_counter SET last_number = (SELECT MAX(receipt_number) FROM payment)")
    _refused(octx, path, "compteur de quittances est à 1")


def _damage_a_booking_page(path: Path) -> None:
    """14 bytes inside a booking record: the file still passes quick_check (what restore
    ran), not integrity_check."""
    conn = sqlite3.connect(path)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    pages = [r[0] for r in conn.execute(
        "SELECT pageno FROM dbstat WHERE name = 'booking' AND pagetype = 'leaf' ORDER BY pageno")]
    conn.close()
    original = path.read_bytes()
    for page in pages[len(pages) // 2:]:
        for back in range(60, page_size // 2, 37):
            data = bytearray(original)
            at = page * page_size - back
            data[at:at + 14] = bytes((b ^ 0x5A) for b in data[at:at + 14])
            path.write_bytes(bytes(data))
            check = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
            try:
                quick = check.execute("PRAGMA quick_check").fetchone()[0]
                full = check.execute("PRAGMA integrity_check").fetchone()[0]
            except sqlite3.DatabaseError:
                continue
            finally:
                check.close()
            if quick == "ok" and full != "ok":
                return
    raise AssertionError("no damage found that quick_check misses")


def test_a_backup_with_a_damaged_booking_page_is_refused(sqlite_demo_ctx: Context, bdir: Path) -> None:
    path = backup.backup(sqlite_demo_ctx, bdir / "b.sqlite").path
    _damage_a_booking_page(path)
    _refused(sqlite_demo_ctx, path, "endommagé")


# --- receipts and generation -------------------------------------------------------------

def _families(ctx: Context) -> list[int]:
    return ctx.db.read(lambda s: list(s.execute(select(Family.id).where(Family.regie_id == 1)
                                                .order_by(Family.id).limit(3)).scalars()))


def test_receipts_never_go_back_and_sessions_are_told(octx: Context, agent: Actor, bdir: Path) -> None:
    fam = _families(octx)
    desk = octx.as_actor(agent)
    path = backup.backup(octx, _target(octx, bdir)).path
    in_backup = octx.db.read(lambda s: s.get(ReceiptCounter, agent.regie_id)).last_number
    printed = [payments.take_payment(desk, fam[0], amount_cents=1000, mode="cb").receipt_number for _ in range(2)]
    assert printed == [in_backup + 1, in_backup + 2]
    other_session = Database(octx.db.url)  # an agent's session, opened before the restore
    try:
        seen = database_generation(Context(db=other_session, clock=octx.clock))
        result = backup.restore(octx, path)
        assert database_generation(Context(db=other_session, clock=octx.clock)) != seen
    finally:
        other_session.dispose()
    assert result.generation == database_generation(octx) == seen + 1
    floor = next(f for f in result.receipts if f.regie_id == agent.regie_id)
    assert (floor.in_backup, floor.highest_issued) == (in_backup, in_backup + 2)
    # A different payment never gets a number already printed.
    after = payments.take_payment(desk, fam[1], amount_cents=700, mode="cb").receipt_number
    assert after == in_backup + 3
    # The skipped numbers are not "missing" for db check, and the audit has both numbers.
    assert run_checks(octx).problems == []
    details = octx.db.read(lambda s: s.execute(select(AuditLog.details).where(
        AuditLog.action == "database.restored")).scalar_one())
    assert json.loads(details or "{}")["receipts"][str(agent.regie_id)] == {
        "dans_la_sauvegarde": in_backup, "plus_haut_emis": in_backup + 2}
    # Restoring the safety copy, then the old backup again: still never below.
    backup.restore(octx, result.safety_copy)
    again = backup.restore(octx, path)
    assert next(f for f in again.receipts if f.regie_id == agent.regie_id).highest_issued == in_backup + 3
    assert run_checks(octx).problems == []
    with octx.db.engine.connect() as conn:
        assert conn.execute(text("SELECT generation FROM database_generation")).scalar_one() == seen + 3


@pytest.mark.postgres
def test_postgresql_without_createdb_vets_in_place_and_puts_the_data_back(
        octx: Context, bdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An account that may not create a scratch database: the dump is checked right
    after pg_restore, and the safety copy restored when it is refused."""
    import contextlib

    if octx.db.is_sqlite:
        pytest.skip("PostgreSQL only")
    monkeypatch.setattr(backup, "_pg_scratch", lambda db: contextlib.nullcontext(None))
    path = _tampered_backup(octx, bdir, EVIL_PG, "DROP TRIGGER promote_agent ON payment;"
                            " DROP FUNCTION promote_agent()")
    before = snapshot(octx.db)
    with pytest.raises(ServiceError, match="promote_agent"):
        backup.restore(octx, path)
    assert snapshot(octx.db) == before
    assert run_checks(octx).ok
