"""Database foundations on both engines: migrations at head, pragmas, retry,
the payment immutability guard, the capacity CHECK and the live-booking uniqueness."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError

from portail_tui.clock import PARIS
from portail_tui.db import Database, DatabaseError, DatabaseNotReady, ensure_at_head, upgrade
from portail_tui.models import (
    Activity,
    Booking,
    Child,
    Family,
    FamilyMember,
    Payment,
    Regie,
    Slot,
)

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=PARIS)


def _seed(db: Database) -> dict[str, int]:
    def work(s):  # type: ignore[no-untyped-def]
        regie = Regie(code="R", name="REGIE")
        s.add(regie)
        s.flush()
        fam = Family(regie_id=regie.id, number=1, name="Dupont", created_at=NOW, updated_at=NOW)
        child = Child(last_name="Dupont", first_name="Léa", created_at=NOW)
        act = Activity(regie_id=regie.id, code="RS", label="RESTAURANT SCOLAIRE", letter="R",
                       start_time=time(11, 45), end_time=time(13, 30))
        s.add_all([fam, child, act])
        s.flush()
        s.add(FamilyMember(family_id=fam.id, child_id=child.id))
        return {"regie": regie.id, "family": fam.id, "child": child.id, "activity": act.id}

    return db.write(work)


def test_schema_is_at_head_and_matches_models(db: Database) -> None:
    ensure_at_head(db)
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from portail_tui.models import metadata

    def include(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
        # Search index objects made by hand in migration 0003 (FTS5 / pg_trgm), not models.
        return not (name or "").startswith(("family_search", "ix_family_search_trgm"))

    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"include_object": include})
        diffs = compare_metadata(ctx, metadata)
    # Type differences of our AwareDateTime decorator are not schema differences.
    diffs = [d for d in diffs if not (isinstance(d, list) and d and d[0][0] == "modify_type")]
    assert diffs == []


def test_empty_database_is_refused_with_french_message(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = Database(f"sqlite:///{tmp_path}/vide.db")
    with pytest.raises(DatabaseNotReady, match="portail db upgrade"):
        ensure_at_head(db)


def test_unreachable_database_gives_one_line() -> None:
    db = Database("postgresql+psycopg://nobody@127.0.0.1:1/nothing?connect_timeout=2")
    with pytest.raises(DatabaseError) as err:
        db.ping()
    assert "injoignable" in err.value.args[0]
    assert "\n" not in err.value.args[0]


def test_sqlite_pragmas(sqlite_db: Database) -> None:
    with sqlite_db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 5000


def test_payments_cannot_be_updated_or_deleted(db: Database, db_owner: Database) -> None:
    """The trigger refuses even the schema owner (the application's role is not even
    allowed to try: tests/test_postgres_roles.py)."""
    ids = _seed(db)

    def pay(s):  # type: ignore[no-untyped-def]
        p = Payment(regie_id=ids["regie"], family_id=ids["family"], receipt_number=1, mode="especes",
                    amount_cents=4000, business_day=date(2026, 11, 28), created_at=NOW, created_by="t")
        s.add(p)
        s.flush()
        return p.id

    pid = db.write(pay)
    with pytest.raises((IntegrityError, OperationalError, Exception), match="ni modifié ni supprimé"):
        db_owner.write(lambda s: s.execute(text("UPDATE payment SET amount_cents = 1 WHERE id = :i"), {"i": pid}))
    with pytest.raises(Exception, match="ni modifié ni supprimé"):
        db_owner.write(lambda s: s.execute(text("DELETE FROM payment WHERE id = :i"), {"i": pid}))
    assert db.read(lambda s: s.execute(text("SELECT amount_cents FROM payment")).scalar()) == 4000


def test_slot_check_refuses_overbooking(db: Database) -> None:
    ids = _seed(db)
    db.write(lambda s: s.add(Slot(activity_id=ids["activity"], day=date(2026, 12, 1), capacity=1, taken=1)))
    with pytest.raises(IntegrityError):
        db.write(lambda s: s.execute(text("UPDATE slot SET taken = taken + 1")))


def test_one_live_booking_per_child_activity_day(db: Database) -> None:
    ids = _seed(db)

    def book(status: str):  # type: ignore[no-untyped-def]
        return lambda s: s.add(Booking(regie_id=ids["regie"], family_id=ids["family"], child_id=ids["child"],
                                       activity_id=ids["activity"], day=date(2026, 12, 1), status=status,
                                       created_at=NOW, created_by="t"))

    db.write(book("cancelled"))
    db.write(book("confirmed"))
    with pytest.raises(IntegrityError):
        db.write(book("waiting"))


def test_write_retries_a_locked_unit_of_work(sqlite_db: Database) -> None:
    calls = []

    def flaky(s):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError("stmt", {}, Exception("database is locked"))
        return "ok"

    assert sqlite_db.write(flaky) == "ok"
    assert len(calls) == 3


def test_aware_datetimes_round_trip_in_paris(db: Database) -> None:
    ids = _seed(db)
    fam = db.read(lambda s: s.get(Family, ids["family"]))
    assert fam.created_at == NOW
    assert fam.created_at.utcoffset().total_seconds() == 3600


def test_upgrade_is_idempotent(db: Database) -> None:
    upgrade(db)
    ensure_at_head(db)


def _downgrade(db: Database, revision: str) -> None:
    from alembic import command

    from portail_tui.db import alembic_config

    cfg = alembic_config(db.url)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def test_health_opt_in_migration_keeps_every_agent_s_access(db: Database, db_owner: Database) -> None:
    """0004 (B6) changes only the default: agents created while the default was true
    keep what they have, and a row written without the column no longer gets access."""
    db = db_owner  # migrations run as the schema owner
    regie = _seed(db)["regie"]
    _downgrade(db, "0003_family_search_index")
    insert_agent = text(
        "INSERT INTO agent (regie_id, login, full_name, role, password_hash, active,"
        " can_see_health, failed_attempts, created_at)"
        " VALUES (:r, :login, :login, :role, 'h', :t, :health, 0, :at)"
    )
    with db.engine.begin() as conn:
        for login, role, health in (("ancien", "agent", True), ("prudent", "agent", False),
                                    ("regie", "regisseur", True)):
            conn.execute(insert_agent, {"r": regie, "login": login, "role": role, "t": True,
                                        "health": health, "at": NOW})
        before = conn.execute(text("SELECT * FROM agent ORDER BY id")).all()
    upgrade(db)
    ensure_at_head(db)
    with db.engine.begin() as conn:
        assert conn.execute(text("SELECT * FROM agent ORDER BY id")).all() == before
        conn.execute(text(
            "INSERT INTO agent (regie_id, login, full_name, role, password_hash, active,"
            " failed_attempts, created_at) VALUES (:r, 'nouveau', 'nouveau', 'agent', 'h', :t, 0, :at)"
        ), {"r": regie, "t": True, "at": NOW})
        health = dict(conn.execute(text("SELECT login, can_see_health FROM agent")).all())
    assert {k: bool(v) for k, v in health.items()} == {
        "ancien": True, "prudent": False, "regie": True, "nouveau": False}
    # The table rebuilt on SQLite keeps its role CHECK.
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(insert_agent, {"r": regie, "login": "chef", "role": "chef", "t": True,
                                    "health": False, "at": NOW})
