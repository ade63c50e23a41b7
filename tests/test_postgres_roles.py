"""PostgreSQL: the application connects with a role that reads and writes rows and
nothing else (B4). The schema owner runs the migrations (`portail db upgrade
--role-application NOM`); the application's role cannot disable the payment guard,
rewrite or remove a payment, nor alter, drop or truncate anything."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from portail_tui.cli import app
from portail_tui.db import APPEND_ONLY_TABLES, READ_ONLY_TABLES, Database, application_roles
from portail_tui.services import payments
from portail_tui.services.booking import BOOK, CartLine, validate_cart
from portail_tui.services.context import Context
from portail_tui.services.payment_guards import guard_faults
from tests.conftest import PG_APP, PG_OWNER
from tests.support import booking_town, payments_town

ONLY_PG = pytest.mark.parametrize(
    "db", [pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres)], indirect=True
)
TUE = date(2026, 12, 1)
runner = CliRunner()


def _current_user(db: Database) -> str:
    return str(db.read(lambda s: s.execute(text("SELECT current_user")).scalar_one()))


def _refused(db: Database, statement: str) -> None:
    with pytest.raises(DBAPIError) as caught:
        db.write(lambda s: s.execute(text(statement)))
    assert getattr(caught.value.orig, "sqlstate", None) == "42501", f"{statement}: {caught.value}"


@ONLY_PG
def test_the_services_work_as_the_application_role(ctx: Context) -> None:
    assert _current_user(ctx.db) == PG_APP[0]
    town = booking_town.build_town(ctx.db)
    line = CartLine(action=BOOK, child_id=town.children["Léa"], activity_id=town.activities["RS"], day=TUE,
                    period_id=None, child_name="Léa", activity_label="RS")
    booked = validate_cart(ctx.as_actor(town.agent), town.families["MARTIN"], [line])
    assert len(booked.confirmed) == 1
    sd = payments_town.seed(ctx.db)  # a second régie, with its own agents and family
    receipt = payments.take_payment(ctx.as_actor(sd.agent), sd.family_id, amount_cents=4000, mode="especes")
    reversal = payments.reverse_payment(ctx.as_actor(sd.regisseur), receipt.payment_id, reason="erreur de saisie")
    assert (receipt.receipt_number, reversal.receipt_number) == (1, 2)


@ONLY_PG
def test_the_application_role_cannot_lift_the_guard_nor_rewrite_a_payment(
    ctx: Context, db_owner: Database
) -> None:
    sd = payments_town.seed(ctx.db)
    receipt = payments.take_payment(ctx.as_actor(sd.agent), sd.family_id, amount_cents=4000, mode="especes")
    for statement in (
        "ALTER TABLE payment DISABLE TRIGGER ALL",
        "ALTER TABLE payment DISABLE TRIGGER payment_immutable",
        "DROP TRIGGER payment_immutable ON payment",
        "CREATE OR REPLACE FUNCTION payment_immutable() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
        "UPDATE payment SET amount_cents = 1",
        "DELETE FROM payment",
        "TRUNCATE payment",
        "DROP TABLE payment",
        "DROP TABLE booking",
        "TRUNCATE booking",
        "ALTER TABLE family ADD COLUMN x integer",
        "UPDATE audit_log SET action = 'x'",
        "DELETE FROM audit_log",
        "UPDATE alembic_version SET version_num = '0001_initial'",
        "CREATE TABLE intrus (i integer)",
    ):
        _refused(ctx.db, statement)
    amount = ctx.db.read(lambda s: s.execute(
        text("SELECT amount_cents FROM payment WHERE id = :i"), {"i": receipt.payment_id}).scalar_one())
    assert amount == 4000
    with db_owner.engine.connect() as conn:
        assert guard_faults(conn) == ([], [])


@ONLY_PG
def test_every_table_is_granted_by_kind(db: Database, db_owner: Database) -> None:
    """Whatever migrations add, every table gets the application's rights: rows
    read and written, except the append-only and read-only tables."""
    with db_owner.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT tablename, has_table_privilege(:r, quote_ident(tablename), 'SELECT'),"
            " has_table_privilege(:r, quote_ident(tablename), 'INSERT'),"
            " has_table_privilege(:r, quote_ident(tablename), 'UPDATE'),"
            " has_table_privilege(:r, quote_ident(tablename), 'DELETE'),"
            " has_table_privilege(:r, quote_ident(tablename), 'TRUNCATE'),"
            " has_table_privilege(:r, quote_ident(tablename), 'TRIGGER')"
            " FROM pg_tables WHERE schemaname = current_schema()"), {"r": PG_APP[0]}).all()
    assert {"payment", "audit_log", "booking", "receipt_counter"} <= {r[0] for r in rows}
    for name, *rights in rows:
        if name in APPEND_ONLY_TABLES:
            expected = [True, True, False, False, False, False]
        elif name in READ_ONLY_TABLES:
            expected = [True, False, False, False, False, False]
        else:
            expected = [True, True, True, True, False, False]
        assert rights == expected, name


@pytest.fixture
def fresh(pg_cluster) -> Iterator[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """An empty database owned by the schema owner: (owner URL, application URL)."""
    name = f"r_{uuid.uuid4().hex[:12]}"
    pg_cluster.create_database(name, owner=PG_OWNER[0])
    yield (pg_cluster.url(name, user=PG_OWNER[0], password=PG_OWNER[1]),
           pg_cluster.url(name, user=PG_APP[0], password=PG_APP[1]))
    pg_cluster.drop_database(name)


def _portail(url: str, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["--db", url, "--today", "2026-11-28", *args])


@pytest.mark.postgres
def test_postgresql_db_upgrade_grants_the_application_role_and_keeps_it(fresh: tuple[str, str]) -> None:
    owner_url, app_url = fresh
    result = _portail(owner_url, "db", "upgrade", "--role-application", PG_APP[0])
    assert result.exit_code == 0, result.output
    assert f"rôle « {PG_APP[0]} »" in result.output
    again = _portail(owner_url, "db", "upgrade")  # idempotent, and remembers the role
    assert again.exit_code == 0 and f"rôle « {PG_APP[0]} »" in again.output, again.output
    owner = Database(owner_url)
    try:
        assert application_roles(owner) == [PG_APP[0]]
        # A table a later migration adds is covered by the default privileges.
        with owner.engine.begin() as conn:
            conn.execute(text("CREATE TABLE later_table (id serial PRIMARY KEY, v integer)"))
    finally:
        owner.dispose()
    application = Database(app_url)
    try:
        application.write(lambda s: s.execute(text("INSERT INTO later_table (v) VALUES (1)")))
        _refused(application, "ALTER TABLE later_table DISABLE TRIGGER ALL")
        _refused(application, "ALTER TABLE payment DISABLE TRIGGER ALL")
        listed = _portail(app_url, "agent", "list")
        assert listed.exit_code == 0, listed.output
        # `portail demo --force` recreates the schema: the application's role stays set up.
        application.dispose()
        demo = _portail(owner_url, "demo", "--families", "10", "--force")
        assert demo.exit_code == 0, demo.output
        listed = _portail(app_url, "agent", "list")
        assert listed.exit_code == 0 and "regisseur" in listed.output, listed.output
        # A command that needs the owner, run with the application's URL: one French line.
        wipe = _portail(app_url, "demo", "--families", "3", "--force")
        assert wipe.exit_code == 1 and isinstance(wipe.exception, SystemExit), wipe.output
        assert "Droits insuffisants sur la base" in wipe.output, wipe.output
        _refused(application, "UPDATE audit_log SET action = 'x'")
        _refused(application, "DROP TABLE family")
    finally:
        application.dispose()


def test_role_application_is_refused_on_sqlite(tmp_path: Path) -> None:
    result = _portail(f"sqlite:///{tmp_path / 'p.db'}", "db", "upgrade", "--role-application", "portail")
    assert result.exit_code == 1 and "ne concerne que PostgreSQL" in result.output, result.output


@pytest.mark.postgres
def test_postgresql_db_upgrade_refuses_what_would_defeat_the_split(fresh: tuple[str, str]) -> None:
    owner_url, app_url = fresh
    as_app = _portail(app_url, "db", "upgrade")
    assert as_app.exit_code == 1 and "propriétaire" in as_app.output, as_app.output
    assert "Traceback" not in as_app.output
    for role, reason in ((PG_OWNER[0], "distinct"), ("postgres", "superutilisateur"),
                         ("personne_de_ce_nom", "n'existe pas")):
        result = _portail(owner_url, "db", "upgrade", "--role-application", role)
        assert result.exit_code == 1 and reason in result.output, result.output


@ONLY_PG
def test_a_restore_keeps_the_application_role_append_only(
    ctx: Context, db_owner: Database, tmp_path: Path
) -> None:
    from portail_tui.services import backup

    owner_ctx = dataclasses.replace(ctx, db=db_owner)
    dump = backup.backup(owner_ctx, tmp_path / "sauvegarde.pgdump").path
    backup.restore(owner_ctx, dump)
    _refused(ctx.db, "UPDATE audit_log SET action = 'x'")
