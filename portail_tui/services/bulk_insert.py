"""Bulk inserts for an import: rows as dicts, in the caller's transaction, through the
driver's own bulk path as the demo loader does — `executemany` on SQLite, `COPY` on
PostgreSQL (psycopg would otherwise send an executemany row by row, and SQLAlchemy's
per-row parameter handling costs more than SQLite's insert: 20,000 families are
300,000 rows with their forms and audit). Values go through the columns' own bind
processors first, so what is stored is exactly what SQLAlchemy would have stored
(aware instants as naive UTC, dates as SQLite text…)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, cast

from sqlalchemy import Table, func, select, text
from sqlmodel import Session


def _converter(table: Table, name: str, dialect: Any) -> Callable[[Any], Any] | None:
    proc = cast("Callable[[Any], Any] | None", table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
    if proc is None:
        return None
    seen: dict[Any, Any] = {}  # one instant for the whole import, birth dates shared by many

    def convert(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, date):
            out = seen.get(value)
            if out is None:
                out = seen[value] = proc(value)
            return out
        return proc(value)

    return convert


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows` (dicts with the same keys) into `table`."""
    if not rows:
        return
    conn = session.connection()
    dialect = conn.dialect
    names = list(rows[0])
    procs = [_converter(table, n, dialect) for n in names]
    converted = ([v if p is None else p(v) for p, v in zip(procs, (row[n] for n in names), strict=True)]
                 for row in rows)
    quote = dialect.identifier_preparer.quote
    columns = ", ".join(quote(n) for n in names)
    raw: Any = conn.connection.driver_connection
    if dialect.name == "postgresql":
        with raw.cursor() as cur, cur.copy(f"COPY {quote(table.name)} ({columns}) FROM STDIN") as copy:
            for values in converted:
                copy.write_row(values)
        return
    marks = ", ".join("?" for _ in names)
    raw.executemany(f"INSERT INTO {quote(table.name)} ({columns}) VALUES ({marks})", converted)


def allocate_ids(session: Session, table: Table, count: int) -> list[int]:
    """`count` fresh primary keys for `table`, so that rows can point at each other before
    they are written (no RETURNING: a statement of thousands of VALUES costs PostgreSQL's
    driver more to parse than the rows cost to copy). PostgreSQL: from the table's own
    sequence, safe beside other writers; SQLite: past the highest id, the write
    transaction (BEGIN IMMEDIATE, db.py) holding the database's only write lock."""
    if count <= 0:
        return []
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        return [int(v) for v in conn.execute(
            text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
            {"t": table.name, "n": count}).scalars()]
    top = conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
    return list(range(int(top) + 1, int(top) + count + 1))
