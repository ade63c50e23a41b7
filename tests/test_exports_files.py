"""Export files: readable names, the exports folder, atomic writes that leave nothing partial."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from portail_tui.config import Settings
from portail_tui.exports.files import (
    ExportError,
    SavedFile,
    export_filename,
    export_path,
    save_for_agent,
    write_atomic,
)
from portail_tui.exports.printing import PrintError


def test_file_names_are_readable_and_portable() -> None:
    assert export_filename("releve-consommations", 123, "2026-11", "pdf") == "releve-consommations-000123-2026-11.pdf"
    assert export_filename("Relevé consommations", 7, "2026-11-Noé APS", ".CSV") == \
        "releve-consommations-000007-2026-11-noe-aps.csv"
    assert export_filename("journal", None, "2026-11-28", "pdf") == "journal-2026-11-28.pdf"
    assert export_filename("x", 1, "../../etc/passwd", "pdf") == "x-000001-etc-passwd.pdf"


def test_export_path_creates_the_folder(tmp_path: Path) -> None:
    settings = Settings(database_url="sqlite://", exports_dir=tmp_path / "a" / "b")
    path = export_path(settings, "f.csv")
    assert path == tmp_path / "a" / "b" / "f.csv"
    assert path.parent.is_dir()


def test_write_atomic_replaces_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_bytes(b"old")
    assert write_atomic(target, b"new") == target
    assert target.read_bytes() == b"new"
    write_atomic(target, iter([b"a", b"b", b"c"]))
    assert target.read_bytes() == b"abc"
    assert os.listdir(tmp_path) == ["out.csv"]



def test_exports_are_for_the_service_account_only(tmp_path: Path) -> None:
    """Exports and receipts name families, children and amounts: mode 0600 whatever the
    umask, also when an older, world-readable file of that name is replaced."""
    target = tmp_path / "releve.pdf"
    target.write_bytes(b"old")
    target.chmod(0o644)
    old_mask = os.umask(0o022)
    try:
        write_atomic(target, b"%PDF")
        write_atomic(tmp_path / "new.csv", iter([b"a", b"b"]), durable=False)
    finally:
        os.umask(old_mask)
    assert target.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "new.csv").stat().st_mode & 0o777 == 0o600


def test_failing_producer_leaves_nothing_and_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_bytes(b"old")

    def chunks():  # type: ignore[no-untyped-def]
        yield b"half"
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_atomic(target, chunks())
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["out.csv"]


def test_unwritable_destinations_give_french_errors(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="n'existe pas"):
        write_atomic(tmp_path / "missing" / "f.pdf", b"x")
    with pytest.raises(ExportError, match="c'est un dossier"):
        write_atomic(tmp_path, b"x")
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        with pytest.raises(ExportError, match="accès refusé") as info:
            write_atomic(locked / "f.pdf", b"x")
        assert str(info.value).startswith("Impossible d'écrire")
        assert list(locked.iterdir()) == []
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ExportError, match="dossier d'exports"):
        export_path(Settings(database_url="sqlite://", exports_dir=blocker / "sub"), "f.csv")


def test_permission_refused_is_explained_even_as_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno
    import tempfile

    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(ExportError, match=r"^Impossible d'écrire .*f\.pdf : accès refusé\.$"):
        write_atomic(tmp_path / "f.pdf", b"x")
    assert os.listdir(tmp_path) == []


def test_full_disk_while_writing_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(ExportError, match="disque plein"):
        write_atomic(tmp_path / "f.pdf", b"x")
    assert os.listdir(tmp_path) == []


def test_save_for_agent_says_where_the_file_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(database_url="sqlite://", exports_dir=tmp_path / "exports")
    saved = save_for_agent(settings, "releve.csv", b"a;b\r\n")
    path = tmp_path / "exports" / "releve.csv"
    assert saved == SavedFile(path, f"Fichier enregistré : {path}")
    assert path.read_bytes() == b"a;b\r\n"
    monkeypatch.setenv("SSH_CONNECTION", "10.0.0.2 5555 10.0.0.1 22")
    saved = save_for_agent(settings, "quittance-1.pdf", iter([b"%PDF", b"-1.4"]), label="Quittance enregistrée")
    assert saved.message == f"Quittance enregistrée sur le serveur : {tmp_path / 'exports' / 'quittance-1.pdf'}"


def test_save_for_agent_prints_after_writing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY"):
        monkeypatch.delenv(name, raising=False)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    lp = bin_dir / "lp"
    lp.write_text(f'#!/bin/sh\necho "$@" > {tmp_path}/args\necho "request id is accueil-3 (1 file(s))"\n')
    lp.chmod(lp.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(bin_dir))
    settings = Settings(database_url="sqlite://", exports_dir=tmp_path / "exports", printer="accueil")
    saved = save_for_agent(settings, "journal.pdf", b"%PDF-1.4\n", print_title="Journal de caisse")
    assert saved.message == f"Envoyé à l'imprimante accueil (travail accueil-3). Fichier enregistré : {saved.path}"
    assert "Journal de caisse" in (tmp_path / "args").read_text()
    # No lp: the file is still written, and the error says so.
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    with pytest.raises(PrintError, match="Le fichier est enregistré"):
        save_for_agent(settings, "journal-2.pdf", b"%PDF-1.4\n", print_title="Journal de caisse")
    assert (tmp_path / "exports" / "journal-2.pdf").exists()
