"""Throwaway PostgreSQL server for the test suite, the benchmarks and `portail stress
--postgres` (which is why it is not under devtools).

Why this exists: the application targets PostgreSQL in production, and a good part of its
correctness (row locks, constraints, concurrent counters) can only be checked against a real
server. Relying on a system service would make the tests depend on how a machine was set up,
so each test session starts its own private cluster in a temporary directory, on a free
loopback port, tuned for speed rather than durability, and throws it away at the end.

Usage::

    from portail_tui.pgcluster import PgCluster

    if PgCluster.available():
        with PgCluster() as pg:
            pg.create_database("t1")
            engine = sqlalchemy.create_engine(pg.url("t1"))
            ...

Environment:

``PORTAIL_TEST_PG_URL``
    URL of an existing server to use instead of starting one, for instance
    ``postgresql://postgres:secret@localhost:5432/postgres`` (a ``postgresql+psycopg://``
    SQLAlchemy URL is accepted too; the database in it is the maintenance database used for
    CREATE/DROP DATABASE). Nothing is started or stopped then; the databases created through
    :meth:`PgCluster.create_database` are dropped again when the cluster object is stopped, so
    a developer's server is left as it was found. The role needs the CREATEDB privilege.

``PORTAIL_TEST_PG_BINDIR``
    Directory holding ``initdb`` and ``postgres``, when they are neither reported by
    ``pg_config --bindir`` nor under ``/usr/lib/postgresql/*/bin`` nor on ``PATH``.

The superuser ``postgres`` is trusted; any other role (:meth:`PgCluster.create_role`) gives its
password over TCP, as on a production server, so the suite can run the application as a role
that is neither superuser nor owner of the schema (see ``tests/conftest.py``).

When the process runs as root (CI and the sandboxes do), PostgreSQL refuses to start, so
``initdb`` and ``postgres`` run as the ``postgres`` system user, or ``nobody`` when that user
does not exist, through ``subprocess``'s ``user=``/``group=`` (no dependency on ``runuser`` or
``sudo`` being installed).

This module only uses the standard library and psycopg: it must stay importable from
``conftest.py`` and from benchmark scripts without pulling the application in.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
import urllib.parse
from pathlib import Path
from types import TracebackType
from typing import Any

import psycopg
from psycopg import sql

__all__ = ["ENV_URL", "PgCluster", "PgClusterError", "find_bindir"]

ENV_URL = "PORTAIL_TEST_PG_URL"
ENV_BINDIR = "PORTAIL_TEST_PG_BINDIR"

#: Server settings trading durability for speed: a crash only loses a throwaway cluster.
TEST_SETTINGS: dict[str, str] = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "shared_buffers": "128MB",
    # JIT compilation costs more than it saves on the tiny queries of a test suite.
    "jit": "off",
    # Fewer checkpoints during bulk benchmark loads.
    "max_wal_size": "1GB",
    "logging_collector": "off",
}

_STARTUP_TIMEOUT = 30.0
_STOP_TIMEOUT = 15.0
_SHM_MIN_FREE = 1 << 30  # only put the data directory in /dev/shm when it is roomy


class PgClusterError(RuntimeError):
    """The throwaway server could not be created, started or reached."""


def _has_server(bindir: Path) -> bool:
    return all(os.access(bindir / name, os.X_OK) for name in ("initdb", "postgres"))


def _version_key(path: str) -> tuple[int, ...]:
    # /usr/lib/postgresql/15/bin -> (15,); "9.6" sorts below "10".
    name = Path(path).parent.name
    return tuple(int(part) for part in re.findall(r"\d+", name)) or (0,)


def find_bindir() -> Path | None:
    """Locate the directory holding ``initdb`` and ``postgres``, or ``None``.

    ``pg_config`` comes first because it names the build the developer chose; on Debian it
    may belong to libpq-dev of another major version than the server, hence the check that
    the server binaries really are there before trusting it.
    """
    override = os.environ.get(ENV_BINDIR)
    if override and _has_server(Path(override)):
        return Path(override)
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            out = ""
        if out and _has_server(Path(out)):
            return Path(out)
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True):
        if _has_server(Path(candidate)):
            return Path(candidate)
    initdb = shutil.which("initdb")
    if initdb:
        bindir = Path(os.path.realpath(initdb)).parent
        if _has_server(bindir):
            return bindir
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _world_traversable(path: Path) -> bool:
    """True when an unprivileged user can reach files below ``path``."""
    current = path.resolve()
    for part in (current, *current.parents):
        try:
            if not os.stat(part).st_mode & stat.S_IXOTH:
                return False
        except OSError:
            return False
    return True


def _default_base(drop_privileges: bool) -> Path:
    """Pick where the temporary directory goes: tmpfs when roomy, else the usual tmp dir."""
    shm = Path("/dev/shm")
    try:
        st = os.statvfs(shm)
        if st.f_bavail * st.f_frsize >= _SHM_MIN_FREE and os.access(shm, os.W_OK | os.X_OK):
            return shm
    except OSError:
        pass
    tmp = Path(tempfile.gettempdir())
    if drop_privileges and not _world_traversable(tmp):
        # A TMPDIR under /root would be unreachable for the postgres user.
        return Path("/tmp")
    return tmp


def _server_user() -> tuple[int, int] | None:
    """(uid, gid) to run the server as, or None to run as ourselves."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return entry.pw_uid, entry.pw_gid
    raise PgClusterError(
        "running as root, and neither the 'postgres' nor the 'nobody' user exists "
        "to run PostgreSQL (which refuses to run as root)"
    )


def _replace_dbname(
    url: str, dbname: str, scheme: str, user: str | None = None, password: str | None = None
) -> str:
    parts = urllib.parse.urlsplit(url)
    netloc = parts.netloc
    if user is not None:
        host = netloc.rpartition("@")[2]
        secret = f":{urllib.parse.quote(password, safe='')}" if password is not None else ""
        netloc = f"{urllib.parse.quote(user, safe='')}{secret}@{host}"
    return urllib.parse.urlunsplit(
        (scheme, netloc, "/" + urllib.parse.quote(dbname), parts.query, parts.fragment)
    )


#: Client authentication of the private server: the superuser and the Unix socket are
#: trusted (the fixtures need no secret), every other role proves its password over TCP,
#: like on a production server, so the roles the tests create (schema owner, application)
#: are checked the way the README's commands set them up.
PG_HBA = """\
local all all trust
host all postgres 127.0.0.1/32 trust
host all postgres ::1/128 trust
host all all 127.0.0.1/32 scram-sha-256
host all all ::1/128 scram-sha-256
"""


class PgCluster:
    """A private PostgreSQL server living as long as the ``with`` block (or start/stop).

    ``start()`` and ``stop()`` are public so a session-scoped pytest fixture can hold a
    cluster without a ``with`` block; ``stop()`` is idempotent and also runs at interpreter
    exit, so an interrupted test run does not leave a server behind.
    """

    def __init__(
        self,
        *,
        base_dir: str | os.PathLike[str] | None = None,
        settings: dict[str, str] | None = None,
        startup_timeout: float = _STARTUP_TIMEOUT,
    ) -> None:
        self._external_url = os.environ.get(ENV_URL) or None
        self._base_dir_parent = Path(base_dir) if base_dir is not None else None
        self._settings = {**TEST_SETTINGS, **(settings or {})}
        self._startup_timeout = startup_timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._tmp: Path | None = None
        self._port: int | None = None
        self._created: list[str] = []
        self._created_roles: list[str] = []
        self._started = False
        self._bindir: Path | None = None

    # ------------------------------------------------------------------ discovery

    @classmethod
    def available(cls) -> bool:
        """Whether a cluster can be had: an external server is configured or binaries exist."""
        return bool(os.environ.get(ENV_URL)) or find_bindir() is not None

    # ------------------------------------------------------------------ properties

    @property
    def external(self) -> bool:
        """True when ``PORTAIL_TEST_PG_URL`` points at a server we did not start."""
        return self._external_url is not None

    @property
    def pid(self) -> int | None:
        """PID of the postmaster we started (None for an external server or when stopped)."""
        return self._proc.pid if self._proc is not None else None

    @property
    def base_dir(self) -> Path | None:
        """Temporary directory holding the data directory, the socket and the log."""
        return self._tmp

    @property
    def data_dir(self) -> Path | None:
        return self._tmp / "data" if self._tmp is not None else None

    @property
    def port(self) -> int:
        if self._external_url is not None:
            return urllib.parse.urlsplit(self._external_url).port or 5432
        if self._port is None:
            raise PgClusterError("the cluster is not started")
        return self._port

    # ------------------------------------------------------------------ URLs

    def _base_url(self) -> str:
        if self._external_url is not None:
            return self._external_url
        if self._port is None:
            raise PgClusterError("the cluster is not started")
        return f"postgresql://postgres@127.0.0.1:{self._port}/postgres"

    def _maintenance_db(self) -> str:
        path = urllib.parse.urlsplit(self._base_url()).path.lstrip("/")
        return urllib.parse.unquote(path) or "postgres"

    def url(
        self, dbname: str = "postgres", *, user: str | None = None, password: str | None = None
    ) -> str:
        """SQLAlchemy URL (psycopg 3 driver) of ``dbname`` on this server, as the
        administrator or as ``user``."""
        return _replace_dbname(self._base_url(), dbname, "postgresql+psycopg", user, password)

    def conninfo(
        self, dbname: str = "postgres", *, user: str | None = None, password: str | None = None
    ) -> str:
        """libpq URL of ``dbname``, for ``psycopg.connect``."""
        return _replace_dbname(self._base_url(), dbname, "postgresql", user, password)

    def connect(self, dbname: str = "postgres", *, autocommit: bool = False) -> psycopg.Connection:
        """Open a psycopg connection to ``dbname``; the caller closes it."""
        return psycopg.connect(self.conninfo(dbname), autocommit=autocommit, connect_timeout=10)

    # ------------------------------------------------------------------ databases

    def _terminate(self, conn: psycopg.Connection, dbname: str) -> None:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (dbname,),
        )

    def create_database(
        self, name: str, template: str | None = None, *, owner: str | None = None
    ) -> str:
        """Create database ``name``, optionally as a copy of ``template`` and owned by
        ``owner``; returns the administrator's URL.

        Copying a template is the fast way to give each test a migrated database (the
        tables keep their owner and grants). PostgreSQL refuses to copy a database someone
        is connected to, so the template's sessions (an idle pool left open by a fixture,
        typically) are terminated first.
        """
        query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            query += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        if owner is not None:
            query += sql.SQL(" OWNER {}").format(sql.Identifier(owner))
        with self.connect(self._maintenance_db(), autocommit=True) as conn:
            if template is not None:
                self._terminate(conn, template)
            conn.execute(query)
        self._created.append(name)
        return self.url(name)

    def create_role(self, name: str, password: str, *, createdb: bool = False) -> None:
        """Create (or reset the password of) an ordinary login role; roles are cluster-wide,
        so on an external server those created here are dropped again at stop. `createdb`:
        a schema owner that may make a scratch database (`db restore` vets a dump there)."""
        with self.connect(self._maintenance_db(), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone()
            verb = sql.SQL("ALTER" if exists else "CREATE")
            conn.execute(
                sql.SQL("{} ROLE {} LOGIN NOSUPERUSER {} PASSWORD {}").format(
                    verb, sql.Identifier(name), sql.SQL("CREATEDB" if createdb else "NOCREATEDB"),
                    sql.Literal(password)
                )
            )
        if not exists:
            self._created_roles.append(name)

    def drop_role(self, name: str) -> None:
        """Drop ``name`` if it exists (its databases must be gone)."""
        with self.connect(self._maintenance_db(), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))
        with contextlib.suppress(ValueError):
            self._created_roles.remove(name)

    def drop_database(self, name: str) -> None:
        """Drop ``name`` if it exists, disconnecting whoever still uses it."""
        with self.connect(self._maintenance_db(), autocommit=True) as conn:
            self._terminate(conn, name)
            force = sql.SQL(" WITH (FORCE)") if conn.info.server_version >= 130000 else sql.SQL("")
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {}{}").format(sql.Identifier(name), force)
            )
        with contextlib.suppress(ValueError):
            self._created.remove(name)

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> PgCluster:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> PgCluster:
        """Create and start the server (or check the external one answers)."""
        if self._started:
            return self
        if self._external_url is not None:
            self._wait_ready(deadline=time.monotonic() + self._startup_timeout)
            self._started = True
            atexit.register(self.stop)
            return self
        bindir = find_bindir()
        if bindir is None:
            raise PgClusterError(
                "PostgreSQL server binaries (initdb, postgres) not found; install the "
                f"'postgresql' package (see .ci/install-system-deps.sh) or set {ENV_URL}"
            )
        self._bindir = bindir
        user = _server_user()
        parent = self._base_dir_parent or _default_base(user is not None)
        if user is not None and not _world_traversable(parent):
            raise PgClusterError(
                f"{parent} is not reachable by the unprivileged user the server runs as"
            )
        self._tmp = Path(tempfile.mkdtemp(prefix="portail-pg-", dir=parent))
        self._started = True
        atexit.register(self.stop)
        try:
            (self._tmp / "sock").mkdir()
            if user is not None:
                for path in (self._tmp, self._tmp / "sock"):
                    os.chown(path, *user)
            self._initdb(user)
            self._launch(user)
        except BaseException:
            self.stop()
            raise
        return self

    def _run_kwargs(self, user: tuple[int, int] | None) -> dict[str, Any]:
        assert self._tmp is not None
        kwargs: dict[str, Any] = {"cwd": self._tmp, "env": self._child_env()}
        if user is not None:
            kwargs.update(user=user[0], group=user[1], extra_groups=[])
        return kwargs

    def _child_env(self) -> dict[str, str]:
        # Stray PG* variables (PGDATA, PGOPTIONS...) must not reshape our private server.
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        if os.geteuid() == 0:
            env["HOME"] = str(self._tmp)
        return env

    def _initdb(self, user: tuple[int, int] | None) -> None:
        assert self._tmp is not None and self._bindir is not None
        data = self._tmp / "data"
        errors: list[str] = []
        for locale in ("C.UTF-8", "C"):
            cmd = [
                str(self._bindir / "initdb"),
                "-D", str(data),
                "-A", "trust",
                "-U", "postgres",
                "--encoding=UTF8",
                f"--locale={locale}",
                "--no-sync",
            ]  # fmt: skip
            result = subprocess.run(
                cmd, capture_output=True, text=True, timeout=120, **self._run_kwargs(user)
            )
            if result.returncode == 0:
                hba = data / "pg_hba.conf"
                hba.write_text(PG_HBA)
                if user is not None:
                    os.chown(hba, *user)
                return
            errors.append(f"$ {' '.join(cmd)}\n{result.stdout}{result.stderr}")
            shutil.rmtree(data, ignore_errors=True)
        raise PgClusterError("initdb failed:\n" + "\n".join(errors))

    def _launch(self, user: tuple[int, int] | None) -> None:
        assert self._tmp is not None and self._bindir is not None
        log_path = self._tmp / "postgres.log"
        last_log = ""
        for _attempt in range(3):  # the free port can be taken between probe and bind
            self._port = _free_port()
            cmd = [
                str(self._bindir / "postgres"),
                "-D", str(self._tmp / "data"),
                "-k", str(self._tmp / "sock"),
                "-h", "127.0.0.1",
                "-p", str(self._port),
            ]  # fmt: skip
            for key, value in self._settings.items():
                cmd += ["-c", f"{key}={value}"]
            with open(log_path, "ab") as log:
                if user is not None:
                    os.chown(log_path, *user)
                self._proc = subprocess.Popen(
                    cmd,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    # Own session: a Ctrl-C aimed at pytest must not kill the server before
                    # the fixtures get to drop their connections cleanly.
                    start_new_session=True,
                    **self._run_kwargs(user),
                )
            try:
                self._wait_ready(deadline=time.monotonic() + self._startup_timeout)
                return
            except PgClusterError:
                last_log = log_path.read_text(errors="replace")[-4000:]
                self._kill_server()
                if "could not bind" not in last_log and "in use" not in last_log:
                    break
        raise PgClusterError(f"PostgreSQL did not start; server log:\n{last_log}")

    def _wait_ready(self, deadline: float) -> None:
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                raise PgClusterError(f"postgres exited with code {self._proc.returncode}")
            try:
                with psycopg.connect(
                    self.conninfo(self._maintenance_db()), connect_timeout=2
                ) as conn:
                    conn.execute("SELECT 1")
                return
            except psycopg.OperationalError as exc:
                last_error = exc
                time.sleep(0.05)
        raise PgClusterError(f"PostgreSQL not reachable at {self._base_url()}: {last_error}")

    def _kill_server(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        # SIGQUIT is PostgreSQL's immediate shutdown: the postmaster stops its children and
        # exits without a checkpoint, which is all a throwaway cluster needs. Signalling the
        # process directly works as root too, where pg_ctl would refuse to run.
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGQUIT)
        try:
            proc.wait(timeout=_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            # The postmaster is still alive here, so its group id is still ours: kill the
            # postmaster and its backends together.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=_STOP_TIMEOUT)

    def stop(self) -> None:
        """Stop the server and delete its directory (idempotent)."""
        if not self._started:
            return
        self._started = False
        atexit.unregister(self.stop)
        if self._external_url is not None:
            for name in list(reversed(self._created)):
                with contextlib.suppress(psycopg.Error):
                    self.drop_database(name)
            for name in list(reversed(self._created_roles)):
                with contextlib.suppress(psycopg.Error):
                    self.drop_role(name)
            self._created.clear()
            self._created_roles.clear()
            return
        try:
            self._kill_server()
        finally:
            if self._tmp is not None:
                shutil.rmtree(self._tmp, ignore_errors=True)
                self._tmp = None
            self._port = None
            self._created.clear()
            self._created_roles.clear()

    def databases(self) -> list[str]:
        """Names of the non-template databases, for tests and diagnostics."""
        with self.connect(self._maintenance_db(), autocommit=True) as conn:
            rows = conn.execute(
                "SELECT datname FROM pg_database WHERE NOT datistemplate ORDER BY datname"
            ).fetchall()
        return [row[0] for row in rows]
