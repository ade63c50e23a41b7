"""Bulk inserts for the demo town, through the driver's own bulk path.

No ORM object is built per row: rows are plain tuples with primary keys assigned by
the generator (so rows link without round-trips), inserted with ``executemany`` on
SQLite and ``COPY`` on PostgreSQL. Values that need conversion (dates, aware
datetimes) go through the column types' own bind processors, so what is stored is
exactly what SQLAlchemy would have stored. Secondary indexes can be dropped during the
load and rebuilt from their own definitions afterwards (one sort instead of millions
of B-tree insertions).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, cast

from sqlalchemy import Connection, Table, text

FAMILY_COLS = ("id", "regie_id", "number", "name", "email", "quotient", "quotient_valid_from",
               "quotient_valid_to", "allocataire_type", "allocataire_number", "search_text",
               "created_at", "updated_at")
GUARDIAN_COLS = ("id", "family_id", "rank", "civility", "last_name", "first_name",
                 "address_complement", "street_number", "street_name", "locality", "postal_code",
                 "city", "phone_home", "phone_mobile", "phone_work", "email")
CHILD_COLS = ("id", "last_name", "first_name", "birth_date", "sex", "school", "school_class",
              "created_at")
MEMBER_COLS = ("id", "family_id", "child_id", "relationship", "parents_situation",
               "emergency_contact", "residence", "parental_authority", "caf_affiliation")
CONTACT_COLS = ("id", "family_id", "child_id", "name", "phone", "relationship", "may_pick_up",
                "emergency")
FORM_COLS = ("id", "child_id", "kind", "status", "data", "validated_data", "reject_reason",
             "expires_on", "school_year", "submitted_at", "decided_at", "decided_by", "updated_at",
             "updated_by")
BOOKING_COLS = ("id", "regie_id", "family_id", "child_id", "activity_id", "day", "period_id",
                "status", "price_cents", "quotient_used", "created_at", "created_by",
                "confirmed_at", "cancelled_at", "cancelled_by")
SLOT_COLS = ("id", "activity_id", "day", "period_id", "capacity", "taken")
PAYMENT_COLS = ("id", "regie_id", "family_id", "receipt_number", "kind", "mode", "amount_cents",
                "payer_name", "cheque_number", "cheque_bank", "cheque_drawer", "reference",
                "reverses_id", "reason", "business_day", "created_at", "created_by")


class BulkLoader:
    """Bulk inserts through the driver, inside the caller's transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dialect = conn.dialect
        self.sqlite = self.dialect.name == "sqlite"
        self.raw: Any = conn.connection.driver_connection

    def processor(self, table: Table, column: str) -> Callable[[Any], Any] | None:
        col_type = table.c[column].type
        return cast(
            "Callable[[Any], Any] | None",
            col_type.dialect_impl(self.dialect).bind_processor(self.dialect),
        )

    def insert(
        self, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]], *, convert: bool = True
    ) -> None:
        """Insert `rows` (tuples in `columns` order). With `convert`, values go through the
        columns' bind processors first; the booking loader pre-converts instead."""
        if not rows:
            return
        if convert:
            procs = [(i, p) for i, c in enumerate(columns) if (p := self.processor(table, c))]
            if procs:
                converted = []
                for row in rows:
                    lst = list(row)
                    for i, p in procs:
                        if lst[i] is not None:
                            lst[i] = p(lst[i])
                    converted.append(tuple(lst))
                rows = converted
        quote = self.dialect.identifier_preparer.quote
        cols = ", ".join(quote(c) for c in columns)
        name = quote(table.name)
        if self.sqlite:
            marks = ", ".join("?" for _ in columns)
            self.raw.executemany(f"INSERT INTO {name} ({cols}) VALUES ({marks})", rows)
            return
        with self.raw.cursor() as cur, cur.copy(f"COPY {name} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def drop_indexes(self, table: Table) -> list[str]:
        """Drop the table's secondary indexes (not those backing constraints) and return
        the SQL that recreates them exactly."""
        if self.sqlite:
            rows = self.raw.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?"
                " AND sql IS NOT NULL",
                (table.name,),
            ).fetchall()
        else:
            rows = self.conn.execute(
                text(
                    "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x"
                    " JOIN pg_class i ON i.oid = x.indexrelid"
                    " JOIN pg_class t ON t.oid = x.indrelid"
                    " WHERE t.relname = :t AND t.relnamespace = current_schema()::regnamespace"
                    " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)"
                ),
                {"t": table.name},
            ).all()
        quote = self.dialect.identifier_preparer.quote
        for name, _sql in rows:
            self.conn.exec_driver_sql(f"DROP INDEX {quote(name)}")
        return [sql for _name, sql in rows]

    def create_indexes(self, statements: Iterable[str]) -> None:
        for sql in statements:
            self.conn.exec_driver_sql(sql)

    def fix_sequences(self, tables: Iterable[Table]) -> None:
        """Explicit ids do not move PostgreSQL's sequences: move them past the data."""
        if self.sqlite:
            return
        for table in tables:
            self.conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence(:t, 'id'),"
                    f" COALESCE((SELECT MAX(id) FROM {self.dialect.identifier_preparer.quote(table.name)}), 1),"
                    f" (SELECT COUNT(*) > 0 FROM {self.dialect.identifier_preparer.quote(table.name)}))"
                ),
                {"t": table.name},
            )
