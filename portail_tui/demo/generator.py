"""The demo town: a deterministic, realistic fictional régie filled in one transaction.

Why it is written this way:

- *Deterministic*: everything is drawn from one ``random.Random(seed)`` in a fixed
  order, and dates derive from ``today``, so two runs with the same arguments give
  the same town (tests and benchmarks rely on it). The parts (``setup``,
  ``families``, ``forms``, ``bookings``, ``payments``) share that one source through
  ``spec.TownContext``; ``_Town.run`` below fixes the order in which they draw.
- *Fast*: ``--families 20000`` means tens of thousands of children and millions of
  bookings. Rows are plain tuples with primary keys assigned here, inserted in chunks
  with the driver's own bulk path (``loader.BulkLoader``); the booking table's
  secondary indexes are dropped during the load and rebuilt afterwards.
- *Consistent*: all of it is one transaction; capacity counters (``Slot.taken``) are
  counted while bookings are drawn, so no slot is ever overbooked and surplus demand
  goes to the waiting list; receipt numbers are given in chronological order with no
  gap, and the receipt counter ends at the last one.
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import Connection, func, insert, select

from portail_tui.db import Database
from portail_tui.demo.attendance import AttendanceMaker
from portail_tui.demo.bookings import BookingMaker
from portail_tui.demo.families import FamilyDraft, FamilyMaker
from portail_tui.demo.forms import FormMaker
from portail_tui.demo.loader import (
    BOOKING_COLS,
    CHILD_COLS,
    CONTACT_COLS,
    FAMILY_COLS,
    FORM_COLS,
    GUARDIAN_COLS,
    MEMBER_COLS,
    PAYMENT_COLS,
    SLOT_COLS,
    BulkLoader,
)
from portail_tui.demo.payments import PaymentMaker
from portail_tui.demo.setup import DemoDays, TownSetup
from portail_tui.demo.spec import (
    DEMO_ACCOUNTS,
    QF_BRACKETS,
    SHARED_RESIDENCE,
    DemoAccount,
    DemoError,
    DemoReport,
    TownContext,
    bracket_index,
)
from portail_tui.models import (
    Activity,
    Agent,
    Attendance,
    AuditLog,
    Booking,
    Child,
    Closure,
    Contact,
    Family,
    FamilyMember,
    Form,
    Guardian,
    News,
    Payment,
    Period,
    Rate,
    ReceiptCounter,
    Regie,
    School,
    SchoolClass,
    Slot,
    table_of,
)
from portail_tui.services import audit
from portail_tui.services.auth import hash_password
from portail_tui.services.payment_chain import seal_rows

# `generate` is imported from here by the CLI, devtools and conftest; the rest are
# re-exports of `spec` for callers written before the split.
__all__ = ["DEMO_ACCOUNTS", "QF_BRACKETS", "SHARED_RESIDENCE", "DemoAccount", "DemoError",
           "DemoReport", "bracket_index", "generate"]

Progress = Callable[[str, int, int], None]

CHUNK_FAMILIES = 500


class _Town:
    """Runs the parts in their fixed order and loads their rows chunk by chunk."""

    def __init__(self, families: int, seed: int, today: date, progress: Progress | None) -> None:
        self.ctx = TownContext(families, seed, today)
        self.seed = seed
        self.progress: Progress = progress or (lambda _s, _d, _t: None)

    def run(self, conn: Connection, hashes: dict[str, str]) -> tuple[int, int, int, int]:
        ctx = self.ctx
        n_families = ctx.n_families
        loader = BulkLoader(conn)
        town = TownSetup(ctx)
        town.write(conn, hashes)
        bookings = BookingMaker(ctx, DemoDays(ctx, town.cal), town.periods, loader)
        marks = AttendanceMaker(ctx, self.seed, bookings, loader)
        town.write_news(conn)
        bulk_tables = [table_of(m) for m in (Family, Guardian, Child, FamilyMember, Contact, Form,
                                           Booking, Slot, Payment, Attendance)]
        indexes = [sql for table in bulk_tables for sql in loader.drop_indexes(table)]
        families = FamilyMaker(ctx)
        forms = FormMaker(ctx)
        pay_families: list[tuple[int, str, str]] = []
        n_bookings = n_children = 0
        self.progress("Familles", 0, n_families)
        while not families.done():
            families.start_chunk()
            forms.rows = []
            chunk: list[FamilyDraft] = []
            while not families.done() and len(chunk) < CHUNK_FAMILIES:
                chunk += families.household()
            booking_rows: list[tuple[Any, ...]] = []
            child_rows = []
            for kid in families.kids:
                child_rows.append(families.child_row(kid))
                forms.forms(kid)
                bookings.bookings_for(kid, booking_rows)
            for fam in chunk:
                families.contacts(fam)
                pay_families.append((fam.id, fam.tag, fam.payer))
            loader.insert(table_of(Family), FAMILY_COLS, [f.row for f in chunk])
            loader.insert(table_of(Guardian), GUARDIAN_COLS, [g for f in chunk for g in f.guardian_rows])
            loader.insert(table_of(Child), CHILD_COLS, child_rows)
            loader.insert(table_of(FamilyMember), MEMBER_COLS, families.members)
            loader.insert(table_of(Contact), CONTACT_COLS, families.contact_rows)
            loader.insert(table_of(Form), FORM_COLS, forms.rows)
            marks.mark_chunk(booking_rows)  # may add bookings (présents non inscrits)
            loader.insert(table_of(Booking), BOOKING_COLS, booking_rows, convert=False)
            marks.insert_pending()
            n_bookings += len(booking_rows)
            n_children += len(families.kids)
            self.progress("Familles", families.family_id, n_families)

        extra = bookings.fill_targets()
        loader.insert(table_of(Booking), BOOKING_COLS, extra, convert=False)
        n_bookings += len(extra)

        self.progress("Pointages", 0, 1)
        marks.mark_the_rest(conn)
        self.progress("Pointages", 1, 1)

        self.progress("Places", 0, 1)
        loader.insert(table_of(Slot), SLOT_COLS, bookings.slot_rows())
        self.progress("Places", 1, 1)

        self.progress("Règlements", 0, 1)
        payments = PaymentMaker(ctx, town.cal, bookings.consumed).payments(pay_families)
        # Sealed into the régie's hash chain as `record_entry` would (db check verifies it).
        loader.insert(table_of(Payment), (*PAYMENT_COLS, "chain_digest"), seal_rows(PAYMENT_COLS, payments))
        receipts = table_of(ReceiptCounter)
        conn.execute(
            receipts.update()
            .where(receipts.c.regie_id == ctx.regie_id)
            .values(last_number=len(payments))
        )
        self.progress("Règlements", 1, 1)

        self.progress("Index", 0, 1)
        loader.create_indexes(indexes)
        loader.fix_sequences(
            table_of(m)
            for m in (Regie, Agent, School, SchoolClass, Activity, Rate, Closure, Period, News, Family,
                      Guardian, Child, FamilyMember, Contact, Form, Booking, Slot, Payment, Attendance)
        )
        conn.execute(insert(table_of(AuditLog)), [audit.row(
            at=ctx.now, actor="system", action="demo.generate", entity="regie", entity_id=ctx.regie_id,
            families=n_families, today=ctx.today.isoformat(), bookings=n_bookings, payments=len(payments),
            attendance=marks.rows,
        )])
        self.progress("Index", 1, 1)
        return n_families, n_children, n_bookings, len(payments)


def _refuse_if_not_empty(conn: Connection) -> None:
    families = conn.execute(select(func.count()).select_from(table_of(Family))).scalar_one()
    if families:
        raise DemoError(
            f"La base contient déjà {families} famille(s) : la commune de démonstration ne peut"
            " être créée que dans une base vide."
        )
    if conn.execute(select(func.count()).select_from(table_of(Regie))).scalar_one():
        raise DemoError(
            "La base contient déjà une régie : la commune de démonstration ne peut être créée"
            " que dans une base vide."
        )


def generate(
    db: Database,
    *,
    families: int = 150,
    seed: int = 1,
    today: date,
    progress: Progress | None = None,
) -> DemoReport:
    """Fill an empty, migrated database with the demo town, in one transaction.

    Refuses (DemoError) a database that already has families or a régie. `progress`
    is called as ``progress(stage, done, total)`` with French stage names.
    """
    if families < 1 or families > 999_999:
        raise DemoError("Le nombre de familles doit être compris entre 1 et 999 999.")
    started = _time.perf_counter()
    hashes = {a.password: hash_password(a.password) for a in DEMO_ACCOUNTS}
    town = _Town(families, seed, today, progress)
    engine = db.engine.execution_options(portail_write=True)
    with engine.connect() as conn:
        raw: Any = conn.connection.driver_connection
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            # A bulk load into an empty database, in one transaction: page writes need no
            # durability before the final commit; a cache as big as the town keeps every
            # page in memory until then (no spill into the WAL, index rebuilds read from
            # memory); ids are assigned here, so foreign keys are consistent by
            # construction and are not checked row by row (the tests run
            # `PRAGMA foreign_key_check`, and PostgreSQL checks them anyway).
            raw.execute("PRAGMA synchronous=OFF")
            raw.execute(f"PRAGMA cache_size=-{min(1_048_576, max(65_536, families * 48))}")
            raw.execute("PRAGMA temp_store=MEMORY")
            raw.execute("PRAGMA foreign_keys=OFF")
            # CHECK constraints with IN lists cost SQLite an ephemeral table per row (half
            # of the insert time); the rows are valid by construction, PostgreSQL checks
            # them, and the tests run `PRAGMA integrity_check`, which checks them too.
            raw.execute("PRAGMA ignore_check_constraints=ON")
        try:
            with conn.begin():
                _refuse_if_not_empty(conn)
                counts = town.run(conn, hashes)
        finally:
            if sqlite:
                raw.execute("PRAGMA foreign_keys=ON")
                raw.execute("PRAGMA ignore_check_constraints=OFF")
                raw.execute("PRAGMA synchronous=NORMAL")
                raw.execute("PRAGMA cache_size=-2000")
                raw.execute("PRAGMA temp_store=DEFAULT")
        # Planner statistics for the freshly loaded tables; then fold the WAL into the
        # main file so the database is one self-contained file (benchmarks copy it).
        if sqlite:
            raw.execute("PRAGMA analysis_limit=1000")
            raw.execute("ANALYZE")
            raw.execute("PRAGMA analysis_limit=0")
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            conn.commit()
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    return DemoReport(*counts, seconds=_time.perf_counter() - started)
