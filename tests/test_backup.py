"""Backup and restore on both engines: a round trip gives back exactly the data; a file
that is not a backup of this application is refused before anything is touched; a
backup that cannot be written leaves the previous one as it was."""

from __future__ import annotations

import dataclasses
import errno
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select, text

from portail_tui.db import Database, head_revision
from portail_tui.models import Agent, News, metadata
from portail_tui.services import auth, backup
from portail_tui.services.context import Context, ServiceError
from portail_tui.services.integrity import run_checks


def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with db.engine.connect() as conn:
        for table in metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            out[table.name] = [tuple(r) for r in conn.execute(select(table).order_by(*order))]
    return out


@pytest.fixture
def bdir(tmp_path: Path) -> Path:
    """Backups apart from the test database (which lives in tmp_path)."""
    path = tmp_path / "sauvegardes"
    path.mkdir()
    return path


def _ext(db: Database) -> str:
    return "sqlite" if db.is_sqlite else "pgdump"


def _change_things(ctx: Context) -> None:
    auth.add_agent(ctx, "intrus", "motdepasse1", full_name="Après Sauvegarde")
    ctx.db.write(lambda s: s.execute(insert(News).values(
        regie_id=1, title="Ajoutée après la sauvegarde", body="", published_on=ctx.clock.today(),
        created_by="system", updated_at=ctx.clock.now())))


def test_round_trip_gives_back_exactly_the_data(demo_ctx: Context, bdir: Path, db_owner: Database) -> None:
    db = demo_ctx.db
    owner_ctx = dataclasses.replace(demo_ctx, db=db_owner)  # PostgreSQL: restore as the schema owner
    before = snapshot(db)
    target = bdir / f"sauvegarde.{_ext(db)}"
    result = backup.backup(demo_ctx, target)
    assert result.path == target and target.stat().st_size == result.size > 0
    assert target.stat().st_mode & 0o077 == 0  # personal data: owner only
    assert backup.inspect_backup(target) == (("sqlite" if db.is_sqlite else "postgresql"), head_revision())

    _change_things(demo_ctx)
    assert snapshot(db) != before
    restored = backup.restore(owner_ctx, target)
    after = snapshot(db)
    # The restore itself is marked in the restored data: a new generation, an audit row.
    assert after.pop("database_generation") == [(1, before.pop("database_generation")[0][1] + 1)]
    assert [r[3] for r in after["audit_log"][len(before["audit_log"]):]] == ["database.restored"]
    after["audit_log"] = after["audit_log"][:len(before["audit_log"])]
    assert after == before
    assert run_checks(demo_ctx).problems == []  # the payment guard came back with the data
    # The replaced database was kept beside the backup, and is itself restorable.
    assert restored.safety_copy.exists()
    assert backup.inspect_backup(restored.safety_copy)[1] == head_revision()
    # Sequences follow the data: the next row gets a fresh id.
    auth.add_agent(demo_ctx, "apres", "motdepasse1")
    logins = db.read(lambda s: set(s.execute(select(Agent.login)).scalars()))
    assert "apres" in logins and "intrus" not in logins
    # And the safety copy brings the other state back.
    backup.restore(owner_ctx, restored.safety_copy)
    assert "intrus" in db.read(lambda s: set(s.execute(select(Agent.login)).scalars()))


def test_directory_target_gets_a_dated_name(demo_ctx: Context, bdir: Path) -> None:
    result = backup.backup(demo_ctx, bdir)
    assert result.path.parent == bdir
    assert result.path.name == f"portail-20261128-100000.{_ext(demo_ctx.db)}"


def _refused_untouched(ctx: Context, path: Path, message: str) -> None:
    before = snapshot(ctx.db)
    listing = sorted(p.name for p in path.parent.iterdir())
    with pytest.raises(ServiceError, match=message) as err:
        backup.restore(ctx, path)
    assert "\n" not in err.value.message
    assert snapshot(ctx.db) == before
    assert sorted(p.name for p in path.parent.iterdir()) == listing  # not even a safety copy


def test_restore_refuses_files_that_are_not_our_backups(demo_ctx: Context, bdir: Path) -> None:
    text_file = bdir / "notes.txt"
    text_file.write_text("Liste des courses\n")
    _refused_untouched(demo_ctx, text_file, "n'est pas une sauvegarde")
    empty = bdir / "vide.sqlite"
    empty.write_bytes(b"")
    _refused_untouched(demo_ctx, empty, "n'est pas une sauvegarde")
    other = bdir / "autre.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE clients (id INTEGER PRIMARY KEY, nom TEXT)")
    _refused_untouched(demo_ctx, other, "tables absentes")
    fake_dump = bdir / "faux.pgdump"
    fake_dump.write_bytes(b"PGDMP" + b"\x00" * 200)
    _refused_untouched(demo_ctx, fake_dump, "sauvegarde|Lecture")
    with pytest.raises(ServiceError, match="introuvable"):
        backup.restore(demo_ctx, bdir / "absent.sqlite")


def test_restore_refuses_unknown_schema_damaged_file_and_other_engine(
        demo_ctx: Context, bdir: Path) -> None:
    good = backup.backup(demo_ctx, bdir / f"bonne.{_ext(demo_ctx.db)}").path
    if demo_ctx.db.is_sqlite:
        future = bdir / "future.sqlite"
        future.write_bytes(good.read_bytes())
        with sqlite3.connect(future) as conn:
            conn.execute("UPDATE alembic_version SET version_num = '0099_futur'")
        _refused_untouched(demo_ctx, future, "version du programme")
        damaged = bdir / "abimee.sqlite"
        data = bytearray(good.read_bytes())
        for i in range(8192, len(data), 4096):  # scribble over every page after the first two
            data[i + 100:i + 140] = b"\xff" * 40
        damaged.write_bytes(bytes(data))
        _refused_untouched(demo_ctx, damaged, "endommagé|illisible|tables absentes")
        dump = bdir / "pg.pgdump"
        dump.write_bytes(b"PGDMP\x01\x0e\x00" + b"\x00" * 100)
        _refused_untouched(demo_ctx, dump, ".")
    else:
        truncated = bdir / "tronquee.pgdump"
        truncated.write_bytes(good.read_bytes()[:4000])
        _refused_untouched(demo_ctx, truncated, "a échoué|tables absentes|sauvegarde")
        sqlite_file = bdir / "locale.sqlite"
        src = Database(f"sqlite:///{sqlite_file}")
        from portail_tui.db import upgrade

        upgrade(src)
        src.dispose()
        _refused_untouched(demo_ctx, sqlite_file, "sauvegarde SQLite ; la base configurée est PostgreSQL")


def test_unwritable_target_leaves_previous_backup_untouched(
        demo_ctx: Context, bdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = bdir / f"chaque-soir.{_ext(demo_ctx.db)}"
    backup.backup(demo_ctx, target)
    previous = target.read_bytes()

    def disk_full(*args: object) -> None:
        partial = args[-1]
        assert isinstance(partial, Path)
        partial.write_bytes(b"debut de copie")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(backup, "_sqlite_copy" if demo_ctx.db.is_sqlite else "_pg_dump", disk_full)
    with pytest.raises(ServiceError, match="disque plein.*précédente n'a pas été modifiée"):
        backup.backup(demo_ctx, target)
    assert target.read_bytes() == previous
    assert sorted(p.name for p in bdir.iterdir()) == [target.name]  # no debris
    monkeypatch.undo()

    with pytest.raises(ServiceError, match="n'existe pas"):
        backup.backup(demo_ctx, bdir / "absent" / "x.bak")
    blocker = bdir / "fichier"
    blocker.write_text("")
    with pytest.raises(ServiceError, match="n'est pas un dossier|n'existe pas"):
        backup.backup(demo_ctx, blocker / "x.bak")


def test_sqlite_backup_is_consistent_while_someone_writes(sqlite_demo_ctx: Context, bdir: Path) -> None:
    """The online backup copies a committed state even with a write transaction open."""
    db = sqlite_demo_ctx.db
    with db.session(write=True) as session:  # BEGIN IMMEDIATE: holds the write lock
        session.execute(text("UPDATE agent SET full_name = 'En cours' WHERE login = 'agent'"))
        result = backup.backup(sqlite_demo_ctx, bdir / "pendant.sqlite")
        session.rollback()
    with sqlite3.connect(result.path) as copy:
        names = [r[0] for r in copy.execute("SELECT full_name FROM agent WHERE login = 'agent'")]
    assert names and names != ["En cours"]


def test_backup_of_an_older_version_is_upgraded_after_restore(sqlite_demo_ctx: Context, bdir: Path) -> None:
    from portail_tui.db import current_revision, upgrade

    old_file = bdir / "ancienne.sqlite"
    old = Database(f"sqlite:///{old_file}")
    upgrade(old, "0001_initial")
    old.dispose()
    result = backup.restore(sqlite_demo_ctx, old_file)
    assert result.revision == "0001_initial" and result.upgraded_to == head_revision()
    assert current_revision(sqlite_demo_ctx.db) == head_revision()
    assert _count_agents(sqlite_demo_ctx.db) == 0  # the old (empty) data is what is there now


def _count_agents(db: Database) -> int:
    return len(db.read(lambda s: list(s.execute(select(Agent.id)).scalars())))
