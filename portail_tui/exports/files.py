"""Writing export files: readable names, one exports folder, and never a half-written file."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from portail_tui.exports.errors import ExportError
from portail_tui.exports.printing import is_remote_session, print_pdf

__all__ = ["ExportError", "SavedFile", "copy_to_stream", "export_filename", "export_path", "is_stream_target",
           "os_error_reason", "save_for_agent", "write_atomic"]

if TYPE_CHECKING:
    from portail_tui.config import Settings


_SLUG_RE = re.compile(r"[^a-z0-9]+")


def _slug(text: str) -> str:
    from portail_tui.domain.text import normalize

    return _SLUG_RE.sub("-", normalize(text)).strip("-")


def export_filename(kind: str, family_number: int | None, period: str, ext: str) -> str:
    """"releve-consommations-000123-2026-11.pdf": sorts by kind, family, then month in a
    file manager, and survives any file system (ASCII, no spaces)."""
    parts = [_slug(kind) or "export"]
    if family_number is not None:
        parts.append(f"{family_number:06d}")
    if period:
        parts.append(_slug(period))
    return "-".join(parts) + "." + ext.lstrip(".").lower()


def export_path(settings: Settings, filename: str) -> Path:
    """Where a screen export goes: the configured exports folder (created if needed)."""
    folder = Path(settings.exports_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"Impossible de créer le dossier d'exports {folder} : {os_error_reason(exc)}.") from exc
    return folder / filename


def os_error_reason(exc: OSError) -> str:
    """The French words for a file-system error ("accès refusé", "disque plein"…)."""
    import errno

    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "accès refusé"
    if exc.errno == errno.ENOENT:
        return "dossier introuvable"
    if exc.errno == errno.ENOSPC:
        return "disque plein"
    if exc.errno == errno.EISDIR:
        return "c'est un dossier"
    if exc.errno == errno.ENOTDIR:
        return "un élément du chemin n'est pas un dossier"
    if exc.errno == errno.EEXIST:
        return "un fichier de ce nom existe déjà"
    return (exc.strerror or str(exc)).lower()


def is_stream_target(path: Path) -> bool:
    """Whether `path` is a character device (/dev/null, a terminal) or a FIFO: written
    through, never replaced — renaming a file over /dev/null destroys it for the whole
    machine, and a script reading a FIFO expects the data in it. Other special files
    (block devices, sockets) are refused in French rather than overwritten."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
        return True
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise ExportError(f"Impossible d'écrire {path} : ce n'est ni un fichier ordinaire, ni un tube,"
                          " ni un périphérique caractère.")
    return False


def _write_through(path: Path, data: bytes | Iterable[bytes]) -> Path:
    """Open the device or FIFO as it is (no creation, no truncation, mode untouched)."""
    try:
        fd = os.open(path, os.O_WRONLY | getattr(os, "O_NOCTTY", 0))
        with os.fdopen(fd, "wb") as fh:
            if isinstance(data, bytes | bytearray | memoryview):
                fh.write(data)
            else:
                for chunk in data:
                    fh.write(chunk)
    except OSError as exc:
        raise ExportError(f"Impossible d'écrire {path} : {os_error_reason(exc)}.") from exc
    return path


def copy_to_stream(source: Path, target: Path) -> None:
    """Send a finished file (a backup built in a temporary file) to a device or FIFO."""
    try:
        with open(source, "rb") as src:
            fd = os.open(target, os.O_WRONLY | getattr(os, "O_NOCTTY", 0))
            with os.fdopen(fd, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
    except OSError as exc:
        raise ExportError(f"Impossible d'écrire {target} : {os_error_reason(exc)}.") from exc


def write_atomic(path: Path, data: bytes | Iterable[bytes], *, durable: bool = True) -> Path:
    """Write `data` (bytes, or chunks of bytes for big exports) to `path` through a
    temporary file in the same folder and a rename, so a reader (or a crash, or a full
    disk) never sees a partial export; on failure nothing is left behind and
    ExportError says why in French. An exception raised while producing the chunks
    also leaves nothing behind, and propagates unchanged.

    `durable=False` skips the fsync: a batch writing thousands of files syncs once at
    the end instead (the rename still guarantees no reader sees a partial file).

    The file is readable by the service account only (mode 0600, mkstemp's, whatever
    the umask): exports and receipts name families, children and amounts. A character
    device or a FIFO (`--sortie /dev/null`, a pipe to another program) is written
    through instead (`is_stream_target`)."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if is_stream_target(path):
        return _write_through(path, data)
    if path.is_dir():
        raise ExportError(f"Impossible d'écrire {path} : c'est un dossier.")
    if not folder.is_dir():
        raise ExportError(f"Impossible d'écrire {path} : le dossier {folder} n'existe pas.")
    tmp_name: str | None = None
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "wb") as fh:
            if isinstance(data, bytes | bytearray | memoryview):
                fh.write(data)
            else:
                for chunk in data:
                    fh.write(chunk)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.replace(tmp_name, path)
        tmp_name = None
    except ExportError:
        raise
    except OSError as exc:
        raise ExportError(f"Impossible d'écrire {path} : {os_error_reason(exc)}.") from exc
    finally:
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
    return path


@dataclass(frozen=True)
class SavedFile:
    """A file written for the agent at the counter, and the sentence that tells where."""

    path: Path
    message: str


def save_for_agent(settings: Settings, filename: str, data: bytes | Iterable[bytes], *,
                   print_title: str | None = None, label: str = "Fichier enregistré") -> SavedFile:
    """Write an export under the exports folder, then print it when `print_title` is
    given: the one way every screen hands a file to the agent, so the wording ("… sur le
    serveur" over SSH, where the file is not on the agent's machine) and the order (file
    first, so a failed print still leaves it) are the same everywhere. `label` names
    what was written ("Quittance enregistrée"). Raises ExportError (PrintError when only
    printing failed: its message says the file is saved)."""
    path = write_atomic(export_path(settings, filename), data)
    where = " sur le serveur" if is_remote_session() else ""
    message = f"{label}{where} : {path}"
    if print_title is not None:
        message = f"{print_pdf(path, settings.printer, title=print_title)} {message}"
    return SavedFile(path, message)

