"""The throwaway PostgreSQL server really starts, serves both drivers and leaves no trace."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from portail_tui.pgcluster import ENV_URL, PgCluster, PgClusterError
from tests.support.strict import unavailable

pytestmark = [pytest.mark.postgres]
if not PgCluster.available():
    unavailable("binaires du serveur PostgreSQL introuvables : lancez .ci/install-system-deps.sh", module=True)

_own_server = pytest.mark.skipif(
    bool(os.environ.get(ENV_URL)), reason=f"{ENV_URL} set: no server of our own is started"
)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A reaped child cannot linger as a zombie, but check /proc in case it did.
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_cluster_round_trip() -> None:
    with PgCluster() as pg:
        pid, base = pg.pid, pg.base_dir
        url = pg.create_database("pgcluster_rt")
        assert url == pg.url("pgcluster_rt")
        assert url.startswith("postgresql+psycopg://")
        assert "pgcluster_rt" in pg.databases()

        with psycopg.connect(pg.conninfo("pgcluster_rt")) as conn:
            conn.execute("CREATE TABLE wallet (id serial PRIMARY KEY, label text, cents bigint)")
            conn.execute(
                "INSERT INTO wallet (label, cents) VALUES (%s, %s), (%s, %s)",
                ("Cantine", 1250, "Périscolaire", -300),
            )
            conn.commit()
            rows = conn.execute("SELECT label, cents FROM wallet ORDER BY id").fetchall()
        assert rows == [("Cantine", 1250), ("Périscolaire", -300)]

        engine = sa.create_engine(url)
        try:
            with engine.begin() as conn:
                conn.execute(sa.text("INSERT INTO wallet (label, cents) VALUES ('Été', 5)"))
            with engine.connect() as conn:
                total = conn.execute(sa.text("SELECT sum(cents) FROM wallet")).scalar_one()
                encoding = conn.execute(sa.text("SHOW server_encoding")).scalar_one()
            assert total == 1250 - 300 + 5
            assert encoding == "UTF8"

            # A pooled connection is still open: dropping must disconnect it, not hang.
            pooled = engine.connect()
            pooled.execute(sa.text("SELECT 1"))
            pg.drop_database("pgcluster_rt")
            assert "pgcluster_rt" not in pg.databases()
            pooled.invalidate()
            pooled.close()
        finally:
            engine.dispose()

    if pid is not None:  # None when PORTAIL_TEST_PG_URL points at an existing server
        deadline = time.monotonic() + 5
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(pid)
        assert base is not None and not base.exists()
        with pytest.raises(PgClusterError):
            pg.url()


def test_template_copy_keeps_rows() -> None:
    with PgCluster() as pg:
        pg.create_database("pgcluster_tpl")
        with psycopg.connect(pg.conninfo("pgcluster_tpl")) as conn:
            conn.execute("CREATE TABLE t (n int)")
            conn.execute("INSERT INTO t VALUES (42)")
            conn.commit()
            # Left open on purpose: create_database must disconnect template users.
            pg.create_database("pgcluster_copy", template="pgcluster_tpl")
        with psycopg.connect(pg.conninfo("pgcluster_copy")) as conn:
            assert conn.execute("SELECT n FROM t").fetchall() == [(42,)]
        pg.drop_database("pgcluster_copy")
        pg.drop_database("pgcluster_tpl")
        assert {"pgcluster_copy", "pgcluster_tpl"}.isdisjoint(pg.databases())


@_own_server
def test_server_runs_unprivileged_with_test_settings() -> None:
    with PgCluster() as pg, pg.connect() as conn:
        settings = dict(
            conn.execute(
                "SELECT name, setting FROM pg_settings WHERE name = ANY(%s)",
                (["fsync", "full_page_writes", "max_connections", "listen_addresses"],),
            ).fetchall()
        )
        assert settings == {
            "fsync": "off",
            "full_page_writes": "off",
            "max_connections": "200",
            "listen_addresses": "127.0.0.1",
        }
        assert pg.pid is not None
        owner = os.stat(f"/proc/{pg.pid}").st_uid
        assert owner != 0
        if os.geteuid() != 0:
            assert owner == os.geteuid()


@_own_server
def test_stop_is_idempotent_and_start_failure_cleans_up() -> None:
    pg = PgCluster()
    pg.stop()  # never started: nothing to do
    pg.start()
    base = pg.base_dir
    pg.stop()
    pg.stop()
    assert base is not None and not base.exists()

    # An impossible setting makes postgres exit at once: the error carries the server log
    # and the temporary directory is still removed.
    # (pytest's tmp_path is private to root, unreachable for the server user: make our own.)
    parent = Path(tempfile.mkdtemp(prefix="pgcluster-test-", dir="/tmp"))
    try:
        parent.chmod(0o755)
        broken = PgCluster(base_dir=parent, settings={"shared_buffers": "no-such-size"})
        with pytest.raises(PgClusterError, match="shared_buffers"):
            broken.start()
        assert list(parent.iterdir()) == []
    finally:
        shutil.rmtree(parent, ignore_errors=True)
