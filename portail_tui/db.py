"""Engine, sessions and units of work.

SQLite is the embedded default: WAL, foreign keys on, busy timeout, and write
transactions opened with ``BEGIN IMMEDIATE`` so two agents never deadlock on a
read-then-write upgrade. The WAL is folded back into the database file by a
background thread after each unit of work, not by the commit of the agent who
happened to cross SQLite's threshold (`WalCheckpointer`). Any unit of work that still meets "database is locked"
(SQLite) or a serialization failure / deadlock (PostgreSQL) is rolled back and run
again from the start: services are written as functions of a session so the whole
unit can be replayed.
"""

from __future__ import annotations

import contextlib
import os
import random
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session

import portail_tui.models  # noqa: F401  (registers every table)

T = TypeVar("T")

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class DatabaseError(RuntimeError):
    """A database problem explained in one French line for a person."""


class DatabaseNotReady(DatabaseError):
    pass


class ReplayUnitOfWork(Exception):  # noqa: N818 - a signal, not an error a person sees
    """Raised inside a unit of work that lost a race it can only see after reading
    (a conditional UPDATE matched no row because another agent changed it first):
    `Database.write` rolls back and runs the whole unit again on fresh data."""


def _is_retryable(exc: BaseException) -> bool:
    orig = getattr(exc, "orig", None)
    msg = str(orig or exc).lower()
    if "database is locked" in msg or "database table is locked" in msg or "busy" in msg:
        return True
    return _sqlstate(exc) in {"40001", "40P01", "55P03"}


def _sqlstate(exc: BaseException) -> str | None:
    orig = getattr(exc, "orig", None)
    return getattr(orig, "sqlstate", None) or getattr(getattr(orig, "diag", None), "sqlstate", None)


PRIVATE_UMASK = 0o077


def private_files(sqlite_file: Path | None = None) -> None:
    """Files this process creates are for the service account only: the umask is
    narrowed (never widened) at the start of the application, and a new SQLite database
    is created 0600 before SQLite opens it — SQLite gives its -wal and -shm files the
    database file's own mode, whatever the umask. An existing file keeps its mode:
    `portail db check` says when it is readable by others."""
    current = os.umask(PRIVATE_UMASK)
    os.umask(current | PRIVATE_UMASK)
    if sqlite_file is not None:
        sqlite_file.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            os.close(os.open(sqlite_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def make_engine(url: str, *, echo: bool = False) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        memory = not parsed.database or parsed.database == ":memory:" or parsed.database.startswith("file:")
        private_files(None if memory else Path(parsed.database or ""))
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"timeout": 15, "check_same_thread": False},
        )
        _configure_sqlite(engine)
        return engine
    private_files()
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=5, max_overflow=10)


#: WAL pages after which a commit checkpoints on its own connection, with the agent
#: waiting (SQLite's default is 1,000: every fourth 40-line cart paid 8-10 ms here, and
#: a slow disk much more). Only a backstop: `WalCheckpointer` folds the WAL into the
#: database in the background after each unit of work, long before this (and the WAL
#: file stays under about 40 MB even when nothing runs it, a bulk CLI command say).
WAL_AUTOCHECKPOINT_PAGES = 10_000
#: The least time between two background checkpoints: a burst of writes (a stress run,
#: an import through `write`) is folded in a few large checkpoints, not one per commit.
CHECKPOINT_PAUSE_S = 0.2


def _sqlite_file(engine: Engine) -> Path | None:
    """The database file behind a SQLite engine; None for an in-memory one (no WAL)."""
    if engine.dialect.name != "sqlite":
        return None
    name = engine.url.database
    if not name or name == ":memory:" or name.startswith("file:") or engine.url.query.get("mode") == "memory":
        return None
    return Path(name)


def checkpoint(engine: Engine) -> tuple[int, int, int]:
    """One PASSIVE checkpoint on a connection of the pool: the frames that no reader
    still needs are copied into the database file, without waiting for readers or
    writers (SQLite never calls the busy handler in this mode). SQLite's answer:
    (busy, frames in the WAL, frames checkpointed)."""
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("PRAGMA wal_checkpoint(PASSIVE)")
        row = cur.fetchone()
        cur.close()
    finally:
        raw.close()
    return (int(row[0]), int(row[1]), int(row[2])) if row else (0, 0, 0)


class WalCheckpointer:
    """Keeps SQLite's WAL checkpoints off the agent's path.

    With the default autocheckpoint, the commit that takes the WAL past 1,000 pages
    copies them into the database file and fsyncs it before `validate_cart` (or a
    payment) returns: the agent waits for the disk. Here each `Database.write` only
    pokes this thread, which checkpoints right after, while the agent reads the
    result; `WAL_AUTOCHECKPOINT_PAGES` remains as a backstop. A checkpoint that fails
    (the file removed under us, a disk error) is left to the next one or to the
    backstop: it never reaches the agent. Started lazily (a process that only reads
    never starts it), again in a forked child, stopped by `Database.dispose`."""

    def __init__(self, engine: Engine, pause: float = CHECKPOINT_PAUSE_S) -> None:
        self._engine = engine
        self._pause = pause
        self._wanted = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self.runs = 0  # checkpoints done (read by the tests)

    def poke(self) -> None:
        self._wanted.set()
        if self._alive():
            return
        with self._lock:
            if not self._alive():
                self._stop.clear()
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._loop, name="portail-wal-checkpoint", daemon=True)
                self._thread.start()

    def _alive(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive() and self._pid == os.getpid()

    def _loop(self) -> None:
        while True:
            self._wanted.wait()
            if self._stop.is_set():
                return
            self._wanted.clear()
            with contextlib.suppress(Exception):
                checkpoint(self._engine)
                self.runs += 1
            if self._stop.wait(self._pause):
                return

    def stop(self) -> None:
        """End the thread (a checkpoint under way finishes first)."""
        with self._lock:
            thread = self._thread
            self._stop.set()
            self._wanted.set()
            if thread is not None and self._pid == os.getpid():
                thread.join(timeout=30)
            self._thread = None


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        # Let SQLAlchemy (not the driver) decide when transactions begin.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=15000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        immediate = conn.get_execution_options().get("portail_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Database:
    """The application's handle on its database: one engine, units of work with retry."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine = make_engine(url, echo=echo)
        self._write_engine = self.engine.execution_options(portail_write=True)
        self.checkpointer = WalCheckpointer(self.engine) if _sqlite_file(self.engine) else None

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def session(self, *, write: bool = False) -> Session:
        """A bare session (no retry): prefer `read`/`write`."""
        bind = self._write_engine if write else self.engine
        return Session(bind=bind, expire_on_commit=False)

    def read(self, fn: Callable[[Session], T]) -> T:
        """Run a read-only unit of work; results must be plain data or detached rows."""
        # close() (not rollback()) ends the transaction without expiring the rows read,
        # so callers can use them after the unit of work.
        with self.session() as session:
            return fn(session)

    def write(self, fn: Callable[[Session], T], *, attempts: int = 8) -> T:
        """Run `fn` in one transaction and commit; replay it whole when the engine
        reports a transient lock or serialization conflict."""
        delay = 0.01
        for attempt in range(1, attempts + 1):
            session = self.session(write=True)
            try:
                result = fn(session)
                session.commit()
                if self.checkpointer is not None:
                    self.checkpointer.poke()
                return result
            except (OperationalError, DBAPIError) as exc:
                session.rollback()
                if attempt == attempts or not _is_retryable(exc):
                    raise
                time.sleep(delay * (1 + random.random()))
                delay = min(delay * 2, 0.5)
            except ReplayUnitOfWork:
                session.rollback()
                if attempt == attempts:
                    raise DatabaseError(
                        "Trop de modifications simultanées sur les mêmes données : réessayez."
                    ) from None
                time.sleep(delay * (1 + random.random()))
                delay = min(delay * 2, 0.5)
            except BaseException:
                session.rollback()
                raise
            finally:
                session.close()
        raise AssertionError("unreachable")

    def ping(self) -> None:
        """Connect once, turning any failure into one French line."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:  # noqa: BLE001 - every driver error means the same to a person
            raise DatabaseError(
                f"Base de données injoignable ({_safe_url(self.url)}) : {_first_line(exc)}"
            ) from exc

    def dispose(self) -> None:
        if self.checkpointer is not None:
            self.checkpointer.stop()
        self.engine.dispose()


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return (str(orig).strip().splitlines() or [type(orig).__name__])[0]


def privilege_refusal(exc: BaseException) -> str | None:
    """The French line for a statement PostgreSQL refused to the application's role (a
    command that needs the owner: restore, repair, demo…), None for any other error."""
    if _sqlstate(exc) != INSUFFICIENT_PRIVILEGE:
        return None
    return (f"Droits insuffisants sur la base ({_first_line(exc)}) : cette commande se lance avec"
            " l'URL du propriétaire de la base, pas celle de l'application (README, section PostgreSQL).")


def _safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


# --- migrations -------------------------------------------------------------

def alembic_config(url: str):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    heads = script.get_heads()
    if len(heads) != 1:
        raise DatabaseError(f"Migrations incohérentes : plusieurs têtes {heads}.")
    return heads[0]


def current_revision(db: Database) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(db: Database, revision: str = "head") -> None:
    """Migrate, then (PostgreSQL, as the owner) bring the application's rights up to date
    on the tables the migrations added (`refresh_application_grants`)."""
    from alembic import command

    cfg = alembic_config(db.url)
    try:
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    except DBAPIError as exc:
        if _sqlstate(exc) == INSUFFICIENT_PRIVILEGE:
            raise DatabaseError(
                f"Droits insuffisants pour modifier le schéma ({_first_line(exc)}) : lancez"
                " « portail db upgrade » avec l'URL du propriétaire de la base, pas celle de"
                " l'application (README, section PostgreSQL)."
            ) from exc
        raise
    refresh_application_grants(db)


# --- PostgreSQL: the application's role --------------------------------------------
#
# The schema belongs to an owner role that runs the migrations; the application connects
# with a role that can only read and write rows. An owner can disable or drop the payment
# guard (B4), so the application must not be one. Grants cover every table present after
# the migrations (whatever their number): `upgrade` re-applies them for the roles already
# set up, and default privileges let tables created some other way (a restore) be used at
# once. `grant_application_role` is idempotent.

INSUFFICIENT_PRIVILEGE = "42501"

#: Tables whose rows are never changed nor removed once written: the application may only
#: add and read them (payments are corrected by reversal entries, the audit is a journal).
APPEND_ONLY_TABLES = ("payment", "audit_log", "opening_balance")
#: Alembic's bookkeeping: the application reads it to refuse a database not at head.
READ_ONLY_TABLES = ("alembic_version",)


def application_roles(db: Database) -> list[str]:
    """Roles already given the application's rights by the connected owner (read back
    from its default privileges), so a plain `db upgrade` keeps them up to date."""
    if db.is_sqlite:
        return []
    with db.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT DISTINCT r.rolname FROM pg_default_acl d"
            " JOIN pg_namespace n ON n.oid = d.defaclnamespace"
            " CROSS JOIN LATERAL aclexplode(d.defaclacl) a"
            " JOIN pg_roles r ON r.oid = a.grantee"
            " WHERE n.nspname = current_schema()"
            " AND d.defaclrole = (SELECT oid FROM pg_roles WHERE rolname = current_user)"
            " ORDER BY r.rolname")).all()
    return [str(row[0]) for row in rows]


def refresh_application_grants(db: Database) -> list[str]:
    """Re-apply the application's rights for every role already set up (after a migration,
    a restore, a recreated schema: tables made since then get only the broad default
    privileges, not the append-only restrictions). The roles done; nothing on SQLite or
    when the connected role set up none (the application's own role, typically)."""
    roles = application_roles(db)
    for role in roles:
        grant_application_role(db, role)
    return roles


def grant_application_role(db: Database, role: str) -> None:
    """Give `role` exactly what the application needs on the connected database, as its
    owner: connect, use the schema, read and write rows (only add and read them in the
    append-only tables), use the sequences. No ownership, so no ALTER, DROP, TRUNCATE or
    DISABLE TRIGGER. Everything is revoked first, so running it again converges."""
    if db.is_sqlite:
        raise DatabaseError("Le rôle de l'application ne concerne que PostgreSQL.")
    with db.engine.begin() as conn:
        q = conn.dialect.identifier_preparer.quote_identifier
        me, dbname, schema = conn.execute(
            text("SELECT current_user, current_database(), current_schema()")).one()
        found = conn.execute(
            text("SELECT rolsuper, pg_has_role(rolname, current_user, 'MEMBER') FROM pg_roles"
                 " WHERE rolname = :r"), {"r": role}).first()
        if found is None:
            raise DatabaseError(f"Le rôle PostgreSQL « {role} » n'existe pas : créez-le d'abord"
                                " (README, section PostgreSQL).")
        if found[0]:
            raise DatabaseError(f"Le rôle de l'application « {role} » est superutilisateur : il passerait"
                                " outre tous les droits. Créez un rôle ordinaire.")
        if role == me or found[1]:
            raise DatabaseError(f"Le rôle de l'application « {role} » doit être distinct du propriétaire"
                                f" du schéma « {me} » (et ne pas en hériter les droits).")
        owned = conn.execute(text(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = :s AND pg_get_userbyid(c.relowner) = :r ORDER BY 1 LIMIT 3"),
            {"s": schema, "r": role}).scalars().all()
        if owned:
            raise DatabaseError(
                f"Le rôle de l'application « {role} » possède des tables ({', '.join(owned)}) : il pourrait"
                f" lever le garde-fou des règlements. En tant que postgres : REASSIGN OWNED BY {q(role)}"
                f" TO {q(me)}; puis relancez « portail db upgrade --role-application {role} »."
            )
        present = set(conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = :s"),
                                   {"s": schema}).scalars())
        r, s = q(role), q(schema)
        for statement in (
            f"GRANT CONNECT ON DATABASE {q(dbname)} TO {r}",
            f"REVOKE CREATE ON SCHEMA {s} FROM PUBLIC, {r}",
            f"GRANT USAGE ON SCHEMA {s} TO {r}",
            f"REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM {r}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} TO {r}",
            *(f"REVOKE UPDATE, DELETE ON {s}.{q(t)} FROM {r}" for t in APPEND_ONLY_TABLES if t in present),
            *(f"REVOKE INSERT, UPDATE, DELETE ON {s}.{q(t)} FROM {r}" for t in READ_ONLY_TABLES if t in present),
            f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {s} FROM {r}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {r}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT USAGE, SELECT ON SEQUENCES TO {r}",
        ):
            conn.exec_driver_sql(statement)  # names are quoted; no bind parameters in them


def ensure_at_head(db: Database) -> None:
    """Refuse to work on a database whose schema is not the one this code expects."""
    db.ping()
    current = current_revision(db)
    head = head_revision()
    if current != head:
        if current is None:
            raise DatabaseNotReady(
                "La base de données est vide ou n'a pas été initialisée : lancez « portail db upgrade »"
                " (ou « portail demo » pour une commune de démonstration)."
            )
        raise DatabaseNotReady(
            f"La base de données n'est pas à jour (version {current}, attendue {head}) :"
            " lancez « portail db upgrade »."
        )


def database_has_data(db: Database) -> bool:
    """Whether the database already holds a town: `portail demo` asks before replacing
    it and `portail stress` refuses to write fictitious entries into it."""
    from sqlalchemy import inspect

    if "family" not in inspect(db.engine).get_table_names():
        return False
    with db.engine.connect() as conn:
        return conn.execute(text("SELECT 1 FROM family LIMIT 1")).first() is not None


def wipe_database(db: Database) -> None:
    """Drop everything, including the payment triggers that refuse deletions, before
    `portail demo --force` regenerates the town. An SQLite file is simply removed; on
    PostgreSQL the public schema is recreated. `db` is disposed: open a new one."""
    if db.is_sqlite:
        path = Path(db.engine.url.database or "")
        db.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    roles = application_roles(db)  # the schema's default privileges go with it
    with db.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    for role in roles:
        grant_application_role(db, role)
    db.dispose()
