"""SQLite's WAL checkpoints run off the agent's path (issue 12: one 40-line cart in four
paid for a checkpoint of 1,000 pages, and the first one on a freshly written town for
fsyncing all of it). A unit of work commits into the WAL and returns; a background
thread folds the WAL into the database file right after."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

import portail_tui.db as dbmod
from portail_tui.db import WAL_AUTOCHECKPOINT_PAGES, Database

PAGE = 4096
#: More WAL pages than SQLite's default autocheckpoint (1,000) in ONE commit: with the
#: default, that commit would copy them into the database file before returning.
ROWS = 1_500


def _wait(predicate, timeout: float = 20.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def test_connections_keep_the_backstop_and_durable_settings(sqlite_db: Database) -> None:
    """Read back from a real connection: WAL, synchronous NORMAL (durable across an
    application crash; docs/OPERATIONS.md for a power cut), and an autocheckpoint far
    above SQLite's 1,000 pages, so commits leave checkpoints to the background."""
    with sqlite_db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == WAL_AUTOCHECKPOINT_PAGES
    assert WAL_AUTOCHECKPOINT_PAGES > 2 * ROWS
    assert sqlite_db.checkpointer is not None


def test_no_checkpointer_without_a_wal_file() -> None:
    db = Database("sqlite://")
    assert db.checkpointer is None
    db.dispose()


def test_a_commit_leaves_the_checkpoint_to_the_background(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "wal.db"
    db = Database(f"sqlite:///{path}")
    with db.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE filler (id INTEGER PRIMARY KEY, data BLOB NOT NULL)")
    assert db.checkpointer is not None
    real = dbmod.checkpoint
    release = threading.Event()
    started = threading.Event()

    def held(engine):  # type: ignore[no-untyped-def]
        started.set()
        release.wait(timeout=20)
        return real(engine)

    monkeypatch.setattr(dbmod, "checkpoint", held)
    before = path.stat().st_size

    def fill(session):  # type: ignore[no-untyped-def]
        session.connection().exec_driver_sql(
            "INSERT INTO filler (data) VALUES (?)", [(bytes(PAGE - 200),) for _ in range(ROWS)])

    db.write(fill)
    # The commit returned with every page still in the WAL: it checkpointed nothing.
    assert path.stat().st_size == before
    assert Path(f"{path}-wal").stat().st_size >= ROWS * PAGE
    assert started.wait(timeout=20), "the background checkpoint was not asked for"
    release.set()
    assert _wait(lambda: db.checkpointer is not None and db.checkpointer.runs >= 1)
    assert path.stat().st_size >= ROWS * PAGE  # folded into the database file
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM filler")).scalar() == ROWS
    thread = db.checkpointer._thread
    assert thread is not None and thread.is_alive()
    db.dispose()
    assert not thread.is_alive()


def test_a_failing_checkpoint_never_reaches_the_agent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = Database(f"sqlite:///{tmp_path / 'fail.db'}")
    calls: list[int] = []

    def broken(engine):  # type: ignore[no-untyped-def]
        calls.append(1)
        raise OSError("disque indisponible")

    monkeypatch.setattr(dbmod, "checkpoint", broken)
    for _ in range(2):
        assert db.write(lambda s: s.connection().exec_driver_sql("SELECT 1").scalar()) == 1
    assert _wait(lambda: bool(calls))
    thread = db.checkpointer._thread if db.checkpointer else None
    assert thread is not None and thread.is_alive()  # still there for the next one
    db.dispose()
    assert not thread.is_alive()
