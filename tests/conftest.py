"""Shared fixtures: real databases (SQLite file and a throwaway PostgreSQL cluster),
migrated once per test session and cloned per test, a pinned clock, and a small
demo town.

- `db`       : parametrized over SQLite and PostgreSQL, empty migrated schema.
- `demo_db`  : parametrized over both engines, with a 30-family demo town.
- `sqlite_db`, `sqlite_demo_db`: SQLite only (screens, slow end-to-end tests).
- `clock`    : FixedClock at Saturday 28 November 2026 10:00 Paris; tests move it.
- `ctx`, `demo_ctx`, `sqlite_demo_ctx`: Context objects (no actor; use `as_actor`).
- `agent`, `regisseur`, `admin`: demo actors (need a demo database in the test).
- `db_owner`: the same database as the test's `db`/`demo_db`/`sqlite_db`/`sqlite_demo_db`,
  connected as the schema owner (the same handle on SQLite): for tests that tamper with
  the schema (drop or disable a trigger, rewrite a payment) or migrate.

On PostgreSQL, as in production (README, section PostgreSQL), the schema belongs to an
owner role that runs the migrations, and the services get a Database connected as the
application's role, which can read and write rows but not alter the schema nor rewrite
a payment.

PostgreSQL is required: a missing server fails the run. PORTAIL_TEST_SKIP_PG=1 skips
the PostgreSQL tests on a developer's machine, except in `make test` (PORTAIL_TEST_STRICT=1,
see tests/support/strict.py), where it fails them.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest

from portail_tui.clock import PARIS, FixedClock
from portail_tui.config import Settings
from portail_tui.db import Database, grant_application_role, upgrade
from portail_tui.services.context import Actor, Context
from tests.support.strict import SKIP_PG_ENV, pg_disabled, unavailable

TODAY = date(2026, 11, 28)
DEMO_FAMILIES = 30
DEMO_SEED = 1
#: PostgreSQL roles of the test databases: (name, password).
PG_OWNER = ("portail_test_proprietaire", "proprietaire-secret")
PG_APP = ("portail_test_application", "application-secret")


def _sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def _checkpointed_copy(src: Path, dst: Path) -> None:
    shutil.copyfile(src, dst)


@pytest.fixture(scope="session")
def _sqlite_templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("sqlite-templates")
    return {"dir": base}


def _sqlite_template(store: dict[str, Path], kind: str) -> Path:
    if kind in store:
        return store[kind]
    path = store["dir"] / f"{kind}.db"
    db = Database(_sqlite_url(path))
    upgrade(db)
    if kind == "demo":
        _fill_demo(db)
    db.dispose()
    store[kind] = path
    return path


def _fill_demo(db: Database) -> None:
    from portail_tui.demo.generator import generate

    generate(db, families=DEMO_FAMILIES, seed=DEMO_SEED, today=TODAY)


@pytest.fixture(scope="session")
def pg_cluster():  # type: ignore[no-untyped-def]
    if pg_disabled():
        unavailable(f"PostgreSQL désactivé ({SKIP_PG_ENV}=1)")
    from portail_tui.pgcluster import PgCluster

    if not PgCluster.available():
        pytest.fail("Serveur PostgreSQL introuvable : lancez .ci/install-system-deps.sh")
    cluster = PgCluster().start()
    cluster._portail_templates = {}  # type: ignore[attr-defined]
    cluster.create_role(*PG_OWNER, createdb=True)  # as the README's owner: db restore vets in a scratch base
    cluster.create_role(*PG_APP)
    yield cluster
    cluster.stop()


def _pg_template(cluster, kind: str) -> str:  # type: ignore[no-untyped-def]
    templates = cluster._portail_templates
    if kind not in templates:
        name = f"tmpl_{kind}"
        cluster.create_database(name, owner=PG_OWNER[0])
        db = _pg_database(cluster, name, PG_OWNER)
        upgrade(db)
        grant_application_role(db, PG_APP[0])
        if kind == "demo":
            _fill_demo(db)
        db.dispose()
        templates[kind] = name
    return templates[kind]


def _pg_database_url(cluster, name: str, role: tuple[str, str]) -> str:  # type: ignore[no-untyped-def]
    user, password = role
    return cluster.url(name, user=user, password=password)


def _pg_database(cluster, name: str, role: tuple[str, str]) -> Database:  # type: ignore[no-untyped-def]
    return Database(_pg_database_url(cluster, name, role))


def _make_db(request: pytest.FixtureRequest, engine: str, kind: str, tmp_path: Path) -> Iterator[Database]:
    if engine == "sqlite":
        store = request.getfixturevalue("_sqlite_templates")
        path = tmp_path / f"{kind}.db"
        _checkpointed_copy(_sqlite_template(store, kind), path)
        db = Database(_sqlite_url(path))
        yield db
        db.dispose()
    else:
        cluster = request.getfixturevalue("pg_cluster")
        template = _pg_template(cluster, kind)
        name = f"t_{uuid.uuid4().hex[:12]}"
        cluster.create_database(name, template=template, owner=PG_OWNER[0])
        db = _pg_database(cluster, name, PG_APP)
        db._portail_owner_url = _pg_database_url(cluster, name, PG_OWNER)  # type: ignore[attr-defined]
        yield db
        db.dispose()
        cluster.drop_database(name)


ENGINES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


@pytest.fixture(params=ENGINES)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    yield from _make_db(request, request.param, "empty", tmp_path)


@pytest.fixture(params=ENGINES)
def demo_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    yield from _make_db(request, request.param, "demo", tmp_path)


@pytest.fixture
def sqlite_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    yield from _make_db(request, "sqlite", "empty", tmp_path)


@pytest.fixture
def sqlite_demo_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    yield from _make_db(request, "sqlite", "demo", tmp_path)


@pytest.fixture
def db_owner(request: pytest.FixtureRequest) -> Iterator[Database]:
    for name in ("db", "demo_db", "sqlite_db", "sqlite_demo_db"):
        if name in request.fixturenames:
            app_db: Database = request.getfixturevalue(name)
            break
    else:
        raise RuntimeError("db_owner needs db, demo_db, sqlite_db or sqlite_demo_db in the test")
    owner_url = getattr(app_db, "_portail_owner_url", None)
    if owner_url is None:  # SQLite: one file, no roles
        yield app_db
        return
    owner = Database(owner_url)
    yield owner
    owner.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 28, 10, 0, tzinfo=PARIS))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(database_url="sqlite://", exports_dir=tmp_path / "exports", today=TODAY)


@pytest.fixture
def ctx(db: Database, clock: FixedClock, settings: Settings) -> Context:
    return Context(db=db, clock=clock, settings=settings)


@pytest.fixture
def demo_ctx(demo_db: Database, clock: FixedClock, settings: Settings) -> Context:
    return Context(db=demo_db, clock=clock, settings=settings)


@pytest.fixture
def sqlite_demo_ctx(sqlite_demo_db: Database, clock: FixedClock, settings: Settings) -> Context:
    return Context(db=sqlite_demo_db, clock=clock, settings=settings)


def demo_actor(db: Database, login: str) -> Actor:
    from sqlalchemy import select

    from portail_tui.models import Agent
    from portail_tui.services.auth import actor_for

    agent = db.read(lambda s: s.execute(select(Agent).where(Agent.login == login)).scalar_one())
    return actor_for(agent)


def _any_demo_db(request: pytest.FixtureRequest) -> Database:
    for name in ("demo_db", "sqlite_demo_db"):
        if name in request.fixturenames:
            return request.getfixturevalue(name)
    raise RuntimeError("the actor fixtures need demo_db or sqlite_demo_db in the test")


@pytest.fixture
def agent(request: pytest.FixtureRequest) -> Actor:
    return demo_actor(_any_demo_db(request), "agent")


@pytest.fixture
def regisseur(request: pytest.FixtureRequest) -> Actor:
    return demo_actor(_any_demo_db(request), "regisseur")


@pytest.fixture
def admin(request: pytest.FixtureRequest) -> Actor:
    return demo_actor(_any_demo_db(request), "admin")
