"""Bulk inserts for an import: rows as dicts, in the caller's transaction. On SQLite one
`executemany`; on PostgreSQL `COPY`, as the demo loader does (psycopg would otherwise
send an executemany row by row: 20,000 families are 300,000 rows with their forms and
audit). Values go through the columns' own bind processors first, so what is stored is
exactly what SQLAlchemy would have stored (aware instants as naive UTC…)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

from sqlalchemy import Table, func, insert, select, text
from sqlmodel import Session


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        conn.execute(insert(table), list(rows))
        return
    names = list(rows[0])
    dialect = conn.dialect
    procs: list[Callable[[Any], Any] | None] = [
        cast("Callable[[Any], Any] | None", table.c[n].type.dialect_impl(dialect).bind_processor(dialect))
        for n in names]
    quote = dialect.identifier_preparer.quote
    columns = ", ".join(quote(n) for n in names)
    raw: Any = conn.connection.driver_connection
    with raw.cursor() as cur, cur.copy(f"COPY {quote(table.name)} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([v if p is None or v is None else p(v)
                            for p, v in zip(procs, (row[n] for n in names), strict=True)])


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
