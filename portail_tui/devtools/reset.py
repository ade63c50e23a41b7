"""Emptying a database before `portail demo --force` regenerates it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, text

from portail_tui.db import Database


def database_has_data(db: Database) -> bool:
    insp = inspect(db.engine)
    if "family" not in insp.get_table_names():
        return False
    with db.engine.connect() as conn:
        return conn.execute(text("SELECT 1 FROM family LIMIT 1")).first() is not None


def wipe_database(db: Database) -> None:
    """Drop everything, including the payment triggers that refuse deletions. An SQLite
    file is simply removed; on PostgreSQL the public schema is recreated."""
    if db.is_sqlite:
        path = Path(db.engine.url.database or "")
        db.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    with db.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    db.dispose()
