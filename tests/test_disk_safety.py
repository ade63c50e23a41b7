"""Data on disk (issue 13): devices and FIFOs are written through, never replaced; the
database, its WAL and every export or backup are for the service account only; `db
check` says when the database file is readable by others."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from portail_tui.cli import app
from portail_tui.db import Database, upgrade
from portail_tui.exports.files import ExportError, write_atomic
from portail_tui.services import backup
from portail_tui.services.context import Context

runner = CliRunner()


class FifoReader:
    """Reads a FIFO to its end in a thread, as the program at the other end of a pipe."""

    def __init__(self, path: Path) -> None:
        os.mkfifo(path, 0o600)
        self.path = path
        self.data = b""
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        with open(self.path, "rb") as fh:
            self.data = fh.read()

    def join(self) -> bytes:
        self.thread.join(timeout=30)
        assert not self.thread.is_alive()
        assert stat.S_ISFIFO(os.stat(self.path).st_mode), "the FIFO was replaced by a file"
        return self.data


def _is_devnull_intact() -> bool:
    return stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_an_export_to_a_fifo_is_written_through(tmp_path: Path) -> None:
    reader = FifoReader(tmp_path / "tube")
    write_atomic(tmp_path / "tube", [b"famille;", b"solde\n"])
    assert reader.join() == b"famille;solde\n"
    assert os.listdir(tmp_path) == ["tube"]  # no temporary debris either


def test_an_export_to_dev_null_leaves_dev_null_a_device() -> None:
    before = os.stat("/dev/null")
    write_atomic(Path("/dev/null"), b"rien")
    after = os.stat("/dev/null")
    assert _is_devnull_intact() and after.st_mode == before.st_mode and after.st_rdev == before.st_rdev


def test_a_socket_is_refused_in_french(tmp_path: Path) -> None:
    import socket

    path = tmp_path / "s"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
        with pytest.raises(ExportError, match="ni un fichier ordinaire"):
            write_atomic(path, b"x")
        assert stat.S_ISSOCK(os.stat(path).st_mode)


def test_a_backup_to_a_fifo_streams_a_valid_backup(sqlite_demo_ctx: Context, tmp_path: Path) -> None:
    reader = FifoReader(tmp_path / "tube")
    result = backup.backup(sqlite_demo_ctx, tmp_path / "tube")
    data = reader.join()
    assert data.startswith(backup.SQLITE_MAGIC) and len(data) == result.size
    copy = tmp_path / "copie.sqlite"
    copy.write_bytes(data)
    assert backup.inspect_backup(copy)[0] == "sqlite"


def test_db_backup_and_export_famille_to_dev_null(sqlite_demo_db: Database) -> None:
    base = ["--db", sqlite_demo_db.url, "--today", "2026-11-28"]
    done = runner.invoke(app, [*base, "db", "backup", "/dev/null"])
    assert done.exit_code == 0, done.output
    assert _is_devnull_intact()
    exported = runner.invoke(app, [*base, "export", "famille", "--famille", "1", "--sortie", "/dev/null"])
    assert exported.exit_code == 0, exported.output
    assert _is_devnull_intact() and stat.S_IMODE(os.stat("/dev/null").st_mode) == 0o666


# --- modes -------------------------------------------------------------------------------

def _mode(path: Path | str) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_database_and_its_wal_are_for_the_service_account_only(tmp_path: Path) -> None:
    old = os.umask(0o022)  # a usual login shell's umask
    try:
        path = tmp_path / "portail.db"
        db = Database(f"sqlite:///{path}")
        upgrade(db)
        with db.engine.connect() as conn:  # keeps the WAL open
            conn.exec_driver_sql("SELECT count(*) FROM family")
            assert _mode(path) == 0o600
            assert _mode(f"{path}-wal") == 0o600 and _mode(f"{path}-shm") == 0o600
        db.dispose()
        assert os.umask(0o022) & 0o077 == 0o077  # files the application writes next: private too
    finally:
        os.umask(old)


def test_backup_and_exports_are_private_whatever_the_umask(sqlite_demo_ctx: Context, tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        saved = backup.backup(sqlite_demo_ctx, tmp_path / "b.sqlite").path
        exported = write_atomic(tmp_path / "e.csv", b"x")
    finally:
        os.umask(old)
    assert _mode(saved) == 0o600 and _mode(exported) == 0o600


def test_db_check_warns_about_a_database_readable_by_others(sqlite_demo_db: Database) -> None:
    path = sqlite_demo_db.engine.url.database
    assert path is not None
    base = ["--db", sqlite_demo_db.url, "--today", "2026-11-28"]
    quiet = runner.invoke(app, [*base, "db", "check"])
    assert quiet.exit_code == 0 and "⚠" not in quiet.output
    os.chmod(path, 0o644)
    warned = runner.invoke(app, [*base, "db", "check"])
    assert warned.exit_code == 0, warned.output  # a warning, not a broken invariant
    assert "lisible(s) par d'autres comptes" in warned.output and f"chmod 600 {path}" in warned.output
