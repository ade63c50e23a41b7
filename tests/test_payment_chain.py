"""Payments that REPLACE cannot rewrite: the REPLACE guard on SQLite, the hash chain of
payment rows verified by `db check` (both engines), the demo town's chain, migration
0005's sealing of existing rows, and `restore_guards`, the repair `db check` names."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import func, insert, select, text, update

from portail_tui.clock import PARIS, FixedClock
from portail_tui.db import Database, alembic_config, upgrade
from portail_tui.models import AuditLog, Family, Payment, ReceiptCounter
from portail_tui.services import payments
from portail_tui.services.context import Actor, Context, PermissionDenied
from portail_tui.services.integrity import run_checks
from portail_tui.services.payment_chain import verify_chain
from portail_tui.services.payment_guards import REPAIR_COMMAND, guard_faults, restore_guards
from portail_tui.services.permissions import system_actor

TODAY = date(2026, 11, 28)


def _raw(db: Database, *statements: object) -> None:
    with db.engine.begin() as conn:
        for stmt in statements:
            conn.execute(text(stmt) if isinstance(stmt, str) else stmt)  # type: ignore[arg-type]


def _problems(ctx: Context, check: str) -> list[str]:
    return [p.message for p in run_checks(ctx).problems if p.check == check]


def _first_family(db: Database) -> int:
    return db.read(lambda s: s.execute(select(Family.id).order_by(Family.id)).scalars().first())


def _drop_update_guard(db: Database) -> None:
    if db.is_sqlite:
        _raw(db, "DROP TRIGGER payment_no_update")
    else:
        _raw(db, "ALTER TABLE payment DISABLE TRIGGER payment_immutable")


def _system(ctx: Context, owner: Database) -> Context:
    """The administrator's command line, run with the schema owner's URL (on PostgreSQL
    the application's role may not touch triggers)."""
    return dataclasses.replace(ctx, db=owner).as_actor(system_actor(1))


# --- the chain ---------------------------------------------------------------------------

def test_demo_payments_form_a_valid_chain(demo_ctx: Context, agent: Actor, regisseur: Actor) -> None:
    db = demo_ctx.db
    assert db.read(lambda s: s.execute(select(func.count()).where(Payment.chain_digest.is_(None))).scalar()) == 0
    assert db.read(verify_chain) == []
    family = _first_family(db)
    r = payments.take_payment(demo_ctx.as_actor(agent), family, amount_cents=4000, mode="especes")
    payments.reverse_payment(demo_ctx.as_actor(regisseur), r.payment_id, reason="Erreur")
    assert db.read(verify_chain) == []
    assert run_checks(demo_ctx).ok


def test_amount_rewritten_behind_the_guard_breaks_the_chain(demo_ctx: Context, agent: Actor,
                                                           db_owner: Database) -> None:
    """The audit comparison would miss a bulk-loaded entry (no audit row): the chain does not."""
    db = demo_ctx.db
    target = db.read(lambda s: s.execute(
        select(Payment).where(Payment.kind == "payment").order_by(Payment.id).offset(5)).scalars().first())
    _drop_update_guard(db_owner)
    _raw(db_owner, update(Payment).where(Payment.id == target.id).values(amount_cents=1))
    (line,) = _problems(demo_ctx, "chain")
    assert f"chaîne des règlements rompue à la quittance n° {target.receipt_number}" in line
    assert "ne correspond plus à son empreinte" in line
    assert _problems(demo_ctx, "audit") == []  # demo entries have no audit row: only the chain sees it


def test_entry_inserted_by_hand_is_unsealed(demo_ctx: Context) -> None:
    db = demo_ctx.db
    regie_id, last = db.read(lambda s: s.execute(select(ReceiptCounter.regie_id, ReceiptCounter.last_number)).one())
    _raw(db, insert(Payment).values(
        regie_id=regie_id, family_id=_first_family(db), receipt_number=last + 1, kind="payment", mode="cb",
        amount_cents=9000, payer_name="X", business_day=TODAY, created_at=datetime(2026, 11, 28, 9, tzinfo=PARIS),
        created_by="agent:intrus"), update(ReceiptCounter).values(last_number=last + 1))
    (line,) = _problems(demo_ctx, "chain")
    assert f"quittance n° {last + 1}" in line and "n'a pas d'empreinte" in line


# --- REPLACE on SQLite -----------------------------------------------------------------------

def _replace_statement(db: Database, payment_id: int, *, with_id: bool) -> str:
    row = db.read(lambda s: s.execute(text("SELECT * FROM payment WHERE id = :i"), {"i": payment_id}).mappings().one())
    values = dict(row)
    values["amount_cents"] = 1
    if not with_id:
        values.pop("id")
    cols = ", ".join(values)
    literals = ", ".join("NULL" if v is None else str(v) if isinstance(v, int) else "'" + str(v).replace("'", "''") + "'"
                         for v in values.values())
    return f"REPLACE INTO payment ({cols}) VALUES ({literals})"


@pytest.mark.parametrize("with_id", [True, False], ids=["same-id", "same-receipt-number"])
def test_replace_into_payment_is_refused(sqlite_demo_ctx: Context, agent: Actor, with_id: bool) -> None:
    db = sqlite_demo_ctx.db
    r = payments.take_payment(sqlite_demo_ctx.as_actor(agent), _first_family(db), amount_cents=9000, mode="cheque",
                              cheque_number="123", cheque_bank="Banque", cheque_drawer="Tireur")
    statement = _replace_statement(db, r.payment_id, with_id=with_id)
    with pytest.raises(Exception, match="ne peut pas être remplacé"):
        _raw(db, statement)
    amounts = db.read(lambda s: s.execute(
        select(Payment.amount_cents).where(Payment.receipt_number == r.receipt_number)).scalars().all())
    assert amounts == [9000]
    assert run_checks(sqlite_demo_ctx).ok


def test_replace_without_the_guard_is_found_by_db_check(sqlite_demo_ctx: Context, agent: Actor) -> None:
    db = sqlite_demo_ctx.db
    r = payments.take_payment(sqlite_demo_ctx.as_actor(agent), _first_family(db), amount_cents=9000, mode="cb")
    _raw(db, "DROP TRIGGER payment_no_replace", _replace_statement(db, r.payment_id, with_id=True))
    assert db.read(lambda s: s.get(Payment, r.payment_id).amount_cents) == 1  # the rewrite went through
    report = run_checks(sqlite_demo_ctx)
    assert not report.ok
    chain = [p.message for p in report.problems if p.check == "chain"]
    assert len(chain) == 1 and f"quittance n° {r.receipt_number}" in chain[0]
    guard = [p.message for p in report.problems if p.check == "guard"]
    assert len(guard) == 1 and "payment_no_replace" in guard[0] and REPAIR_COMMAND in guard[0]


def test_ordinary_inserts_still_pass_the_replace_guard(sqlite_db: Database) -> None:
    """An insert without an id (the ORM's way) is not taken for a REPLACE."""
    from tests.support.payments_town import seed

    sd = seed(sqlite_db)
    now = datetime(2026, 11, 28, 10, tzinfo=PARIS)
    for number in (1, 2):
        sqlite_db.write(lambda s, n=number: s.add(Payment(  # type: ignore[misc]
            regie_id=sd.regie_id, family_id=sd.family_id, receipt_number=n, mode="cb", amount_cents=100,
            business_day=TODAY, created_at=now, created_by="t")))
    assert sqlite_db.read(lambda s: s.execute(select(func.count()).select_from(Payment)).scalar()) == 2


# --- the guard and its repair ------------------------------------------------------------------

def test_missing_guard_is_named_and_repaired(demo_ctx: Context, agent: Actor, db_owner: Database) -> None:
    db = demo_ctx.db
    _drop_update_guard(db_owner)
    (line,) = _problems(demo_ctx, "guard")
    assert f"« {REPAIR_COMMAND} »" in line and "portail db upgrade" not in line
    with pytest.raises(PermissionDenied):
        restore_guards(demo_ctx.as_actor(agent))
    repaired = restore_guards(_system(demo_ctx, db_owner))
    assert repaired == (["payment_no_update"] if db.is_sqlite else ["payment_immutable"])
    assert run_checks(demo_ctx).ok
    assert restore_guards(_system(demo_ctx, db_owner)) == []  # idempotent
    logged = db.read(lambda s: s.execute(select(AuditLog.details).where(
        AuditLog.action == "database.guard_restored")).scalars().all())
    assert logged == [json.dumps({"triggers": repaired})]
    family = _first_family(db)
    r = payments.take_payment(demo_ctx.as_actor(agent), family, amount_cents=1000, mode="cb")
    with pytest.raises(Exception, match="ni modifié ni supprimé"):
        _raw(db_owner, update(Payment).where(Payment.id == r.payment_id).values(amount_cents=1))


def test_neutered_or_foreign_trigger_is_reported(demo_ctx: Context, db_owner: Database) -> None:
    db = demo_ctx.db
    if db.is_sqlite:
        _raw(db_owner, "DROP TRIGGER payment_no_delete",
             "CREATE TRIGGER payment_no_delete BEFORE DELETE ON payment BEGIN SELECT 1; END",
             "CREATE TRIGGER promote AFTER INSERT ON payment BEGIN UPDATE agent SET role = 'admin'; END")
        neutered = "payment_no_delete"
    else:
        _raw(db_owner, "CREATE OR REPLACE FUNCTION payment_immutable() RETURNS trigger LANGUAGE plpgsql AS"
                 " $$ BEGIN RETURN OLD; END $$",
             "CREATE FUNCTION promote() RETURNS trigger LANGUAGE plpgsql AS"
             " $$ BEGIN UPDATE agent SET role = 'admin'; RETURN NEW; END $$",
             "CREATE TRIGGER promote AFTER INSERT ON payment FOR EACH ROW EXECUTE FUNCTION promote()")
        neutered = "payment_immutable, payment_no_truncate"
    missing, foreign = db.read(guard_faults)
    assert ", ".join(missing) == neutered and foreign == ["promote"]
    lines = _problems(demo_ctx, "guard")
    assert len(lines) == 2 and neutered in lines[0] and "promote" in lines[1]
    restore_guards(_system(demo_ctx, db_owner))
    assert db.read(guard_faults) == ([], ["promote"])  # a foreign trigger is left to the administrator


# --- migration 0005 -----------------------------------------------------------------------------

def _fresh_database(request: pytest.FixtureRequest, engine: str, tmp_path: Path) -> Database:
    if engine == "sqlite":
        return Database(f"sqlite:///{tmp_path / 'old.db'}")
    cluster = request.getfixturevalue("pg_cluster")
    name = f"m5_{tmp_path.name[-20:].lower().replace('-', '_')}"
    cluster.create_database(name)
    request.addfinalizer(lambda: cluster.drop_database(name))
    return Database(cluster.url(name))


@pytest.mark.parametrize("engine", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_migration_seals_existing_payments(request: pytest.FixtureRequest, engine: str, tmp_path: Path) -> None:
    from tests.support.payments_town import seed

    db = _fresh_database(request, engine, tmp_path)
    try:
        # The town is seeded through today's models, then the schema goes back to before
        # the chain (0005): every later migration's downgrade runs with rows in place.
        upgrade(db)
        sd = seed(db)
        cfg = alembic_config(db.url)
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0004_health_opt_in")
        now = datetime(2026, 11, 28, 10, 0, 0, 123456, tzinfo=PARIS)
        rows = [dict(regie_id=sd.regie_id, family_id=sd.family_id, receipt_number=n, kind="payment", mode="cb",
                     amount_cents=1000 * n, payer_name="Jean Dupont", business_day=TODAY, created_at=now,
                     created_by="agent:agent") for n in (1, 2, 3)]
        _raw(db, "INSERT INTO receipt_counter (regie_id, last_number) VALUES (1, 3)",
             *(text("INSERT INTO payment (regie_id, family_id, receipt_number, kind, mode, amount_cents, payer_name,"
                    " business_day, created_at, created_by) VALUES (:regie_id, :family_id, :receipt_number, :kind,"
                    " :mode, :amount_cents, :payer_name, :business_day, :created_at, :created_by)")
               .bindparams(**{**r, "created_at": now.replace(tzinfo=None)}) for r in rows))
        upgrade(db)
        assert db.read(verify_chain) == []
        assert db.read(guard_faults) == ([], [])
        digests = db.read(lambda s: s.execute(select(Payment.chain_digest).order_by(Payment.id)).scalars().all())
        assert len(set(digests)) == 3 and all(d and len(d) == 64 for d in digests)
        ctx = Context(db=db, clock=FixedClock(now))
        r = payments.take_payment(ctx.as_actor(sd.agent), sd.family_id, amount_cents=500, mode="especes")
        assert r.receipt_number == 4 and db.read(verify_chain) == []
        with pytest.raises(Exception, match="ni modifié ni supprimé"):
            _raw(db, "UPDATE payment SET amount_cents = 1")
    finally:
        db.dispose()


def test_upsert_over_a_payment_is_refused(demo_ctx: Context, db_owner: Database) -> None:
    """PostgreSQL has no REPLACE; its upsert runs the UPDATE trigger (even for the schema
    owner; the application's role may not even try). SQLite's is caught by the REPLACE
    guard before it."""
    db = demo_ctx.db
    payment_id, amount = db.read(lambda s: s.execute(
        select(Payment.id, Payment.amount_cents).order_by(Payment.id)).first())
    with pytest.raises(Exception, match="ni modifié ni supprimé|ne peut pas être remplacé"):
        _raw(db_owner, text("INSERT INTO payment SELECT * FROM payment WHERE id = :i"
                      " ON CONFLICT (id) DO UPDATE SET amount_cents = 1").bindparams(i=payment_id))
    assert db.read(lambda s: s.get(Payment, payment_id).amount_cents) == amount
