"""The README's PostgreSQL commands work as written (issue 16): this reads the block the
README marks, and runs it against the throwaway cluster. Only the cluster start is not
run (the suite's cluster is already up): it is checked to be well-formed. The server's
address is the one thing substituted; everything else — the role creation through
psql, `portail db upgrade --role-application` with the owner's URL, the application's
URL in the environment, an agent created through it — runs verbatim. Then the
application's role is checked to work (that agent takes a payment) and to be refused
the payment guard, and its password to be checked."""

from __future__ import annotations

import os
import pwd
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from portail_tui.clock import PARIS, FixedClock
from portail_tui.db import Database
from portail_tui.models import Agent, Family
from portail_tui.services import payments
from portail_tui.services.auth import actor_for
from portail_tui.services.context import Context

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
MARKER = "<!-- test_readme_postgres:"
START_LINE = re.compile(r"^pg_ctlcluster (\d+) main start(\s+#.*)?$")
#: PostgreSQL's major version on Debian 12 (bookworm), whose commands the README gives.
DEBIAN_12_POSTGRESQL = "15"
DEFAULT_ADDRESS = "127.0.0.1:5432"
ROLES = ("portail_proprietaire", "portail")
DATABASE = "portail"


def readme_block() -> str:
    """The fenced block right after the marker comment in the README."""
    readme = README.read_text(encoding="utf-8")
    assert readme.count(MARKER) == 1, f"the README must hold one {MARKER} marker"
    after = readme[readme.index(MARKER):]
    found = re.search(r"^```sh\n(.*?)^```$", after, re.S | re.M)
    assert found is not None, "no ```sh block after the README's PostgreSQL marker"
    return found.group(1)


def runnable(block: str, port: int) -> str:
    """The block as the test runs it: the cluster start left out (checked instead),
    the server's address replaced by the throwaway cluster's."""
    lines = block.splitlines()
    starts = [line for line in lines if line.startswith("pg_ctlcluster")]
    assert len(starts) == 1, "the README starts the cluster once, with pg_ctlcluster"
    match = START_LINE.match(starts[0])
    assert match is not None, f"not a cluster start: {starts[0]!r}"
    assert match.group(1) == DEBIAN_12_POSTGRESQL, "Debian 12's PostgreSQL is version 15"
    assert any(line.startswith("pg_lsclusters") for line in lines), "say how to find the version"
    assert DEFAULT_ADDRESS in block, "the URLs name the server Debian starts (127.0.0.1:5432)"
    kept = [line for line in lines if not line.startswith(("pg_ctlcluster", "pg_lsclusters"))]
    script = "\n".join(kept).replace(DEFAULT_ADDRESS, f"127.0.0.1:{port}")
    if not _can_become_postgres():
        # Not root here (a developer's machine): psql runs as ourselves, as the
        # cluster's superuser through PGUSER.
        script = script.replace("runuser -u postgres -- ", "")
    return script + '\necho "APPLICATION_URL=$PORTAIL_DATABASE_URL"\n'


def _can_become_postgres() -> bool:
    if os.geteuid() != 0 or shutil.which("runuser") is None:
        return False
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return False
    return True


def test_the_block_is_found_and_well_formed() -> None:
    script = runnable(readme_block(), 6543)
    assert "pg_ctlcluster" not in script and "127.0.0.1:6543" in script
    assert "--role-application portail" in script
    assert "export PORTAIL_DATABASE_URL=" in script


@pytest.fixture
def cluster(pg_cluster) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """The session's cluster, without the README's roles and database (dropped after)."""
    if pg_cluster.external:
        pytest.skip("the README's roles are created only on the throwaway cluster, not on a shared server")

    def clean() -> None:
        pg_cluster.drop_database(DATABASE)
        for role in ROLES:
            pg_cluster.drop_role(role)

    clean()
    yield pg_cluster
    clean()


@pytest.mark.postgres
def test_readme_postgresql_commands_work_verbatim(cluster, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bindir = tmp_path / "bin"
    bindir.mkdir()
    shim = bindir / "portail"  # the README's `portail`, whichever way it got on the PATH
    shim.write_text(f'#!/bin/sh\nexec {sys.executable} -m portail_tui "$@"\n')
    shim.chmod(0o755)
    psql = shutil.which("psql") or next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin/psql"))), None)
    assert psql is not None, "psql not found (package postgresql-client)"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "PORTAIL_"))}
    env.update(
        PATH=f"{bindir}{os.pathsep}{Path(psql).parent}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}",
        PYTHONPATH=str(ROOT), PGHOST="127.0.0.1", PGPORT=str(cluster.port), PGUSER="postgres",
        PORTAIL_DATA_DIR=str(tmp_path / "data"), HOME=str(tmp_path),
    )
    script = runnable(readme_block(), cluster.port)
    # `portail agent add` reads the new agent's password from standard input when piped.
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", script], input="Motdepasse-2026\n",
                            capture_output=True, text=True, env=env, cwd="/", timeout=300)
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    assert "Droits de l'application accordés au rôle « portail »" in result.stdout
    assert "Agent « marie » créé" in result.stdout
    app_url = re.search(r"^APPLICATION_URL=(\S+)$", result.stdout, re.M)
    assert app_url is not None and app_url.group(1).startswith("postgresql+psycopg://portail:")

    app = Database(app_url.group(1))
    try:
        assert app.read(lambda s: s.execute(text("SELECT current_user")).scalar_one()) == "portail"
        marie = app.read(lambda s: s.execute(select(Agent).where(Agent.login == "marie")).scalar_one())
        ctx = Context(db=app, clock=FixedClock(datetime(2026, 11, 28, 10, 0, tzinfo=PARIS)))
        family = app.read(lambda s: s.execute(select(Family.id).order_by(Family.id)).scalars().first())
        receipt = payments.take_payment(ctx.as_actor(actor_for(marie)), family, amount_cents=1500, mode="cb")
        assert receipt.amount_cents == 1500
        for statement in ("ALTER TABLE payment DISABLE TRIGGER ALL", "UPDATE payment SET amount_cents = 1",
                          "DROP TABLE payment", "TRUNCATE payment"):
            with pytest.raises(DBAPIError) as caught:
                app.write(lambda s, q=statement: s.execute(text(q)))  # type: ignore[misc]
            assert getattr(caught.value.orig, "sqlstate", None) == "42501", statement
    finally:
        app.dispose()
    wrong = Database(re.sub(r"portail:[^@]+@", "portail:mauvais@", app_url.group(1)))
    try:
        with pytest.raises(DBAPIError, match="password authentication failed"):
            wrong.read(lambda s: s.execute(text("SELECT 1")))
    finally:
        wrong.dispose()
