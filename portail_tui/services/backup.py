"""`portail db backup` / `portail db restore` for both engines.

SQLite: the online backup API (a consistent copy while agents keep working), written to
a temporary file beside the target, checked, flushed, then renamed over it — so an
unwritable place or a full disk leaves the previous backup as it was. PostgreSQL:
`pg_dump --format=custom` with the same write-then-rename, `pg_restore` in one
transaction.

A restore refuses, before touching anything, a file that is not a backup of this
application (wrong format, another program's database, a schema revision this code does
not know, the other engine), and first saves the current database beside the file being
restored ("avant-restauration-…"), so a restore can itself be undone.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError

from portail_tui.config import tool_environment
from portail_tui.db import Database, head_revision, refresh_application_grants, upgrade
from portail_tui.exports.files import ExportError, copy_to_stream, is_stream_target
from portail_tui.services.context import Context, ServiceError
from portail_tui.services.integrity import run_checks
from portail_tui.services.restore_marks import ReceiptFloor, mark_restored, read_live_state

# Tables whose presence says "this is a Portail Familles database".
SIGNATURE_TABLES = ("alembic_version", "regie", "agent", "family", "payment", "booking", "outbox")
PGDUMP_MAGIC = b"PGDMP"
SQLITE_MAGIC = b"SQLite format 3\x00"

_ERRNO_FR = {
    errno.EACCES: "permission refusée",
    errno.EPERM: "opération non permise",
    errno.ENOENT: "dossier introuvable",
    errno.ENOTDIR: "un élément du chemin n'est pas un dossier",
    errno.ENOSPC: "disque plein",
    errno.EDQUOT: "quota disque dépassé",
    errno.EROFS: "système de fichiers en lecture seule",
    errno.EISDIR: "c'est un dossier",
}


@dataclass(frozen=True)
class BackupResult:
    path: Path
    engine: str
    revision: str
    size: int
    seconds: float


@dataclass(frozen=True)
class RestoreResult:
    path: Path
    engine: str
    revision: str
    safety_copy: Path
    upgraded_to: str | None
    receipts: list[ReceiptFloor] = field(default_factory=list)  # counter in the backup, and after
    generation: int = 0


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    from portail_tui.db import alembic_config

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return {r.revision for r in script.walk_revisions()}


def _engine_name(db: Database) -> str:
    return "sqlite" if db.is_sqlite else "postgresql"


def _sqlite_file(db: Database) -> Path:
    name = db.engine.url.database
    if not name or name == ":memory:":
        raise ServiceError("Base SQLite en mémoire : rien à sauvegarder.")
    return Path(name)


def _os_message(exc: OSError) -> str:
    return _ERRNO_FR.get(exc.errno or 0, exc.strerror or str(exc))


def default_name(engine: str, now: datetime) -> str:
    ext = "sqlite" if engine == "sqlite" else "pgdump"
    return f"portail-{now:%Y%m%d-%H%M%S}.{ext}"


def resolve_target(path: Path, engine: str, now: datetime) -> Path:
    """A directory gets a dated file name (handy in cron); a file path is used as is."""
    return path / default_name(engine, now) if path.is_dir() else path


# --- write then rename ------------------------------------------------------------------

def _write_via_temp(target: Path, produce: Callable[[Path], None],
                    inspect: Callable[[Path], str]) -> tuple[int, str]:
    """`produce(tmp)` fills a temporary file; `inspect(tmp)` proves it is a good backup
    (its schema revision). Only then does it reach `target`: renamed over a regular file
    (beside it, flushed), or streamed into a character device or FIFO, which is never
    replaced (`--sortie /dev/null` must not destroy /dev/null). Any failure leaves
    `target` as it was and no debris."""
    try:
        stream = is_stream_target(target)
    except ExportError as exc:
        raise ServiceError(str(exc)) from None
    parent = Path(tempfile.gettempdir()) if stream else target.parent
    if not parent.exists():
        raise ServiceError(f"Impossible d'écrire la sauvegarde : le dossier {parent} n'existe pas.")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partiel", dir=parent)
    except OSError as exc:
        raise ServiceError(f"Impossible d'écrire la sauvegarde dans {parent} : {_os_message(exc)}."
                           " Aucune sauvegarde existante n'a été modifiée.") from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        produce(tmp)
        os.chmod(tmp, 0o600)  # a backup holds the whole town's personal data
        revision = inspect(tmp)
        size = tmp.stat().st_size
        if stream:
            copy_to_stream(tmp, target)
            return size, revision
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        raise ServiceError(f"Échec de l'écriture de la sauvegarde {target} : {_os_message(exc)}."
                           " La sauvegarde précédente n'a pas été modifiée.") from None
    except ExportError as exc:
        raise ServiceError(str(exc)) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    with contextlib.suppress(OSError):
        dir_fd = os.open(parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return size, revision


# --- backup ---------------------------------------------------------------------------------

def backup(ctx: Context, path: Path) -> BackupResult:
    start = time.monotonic()
    db = ctx.db
    engine = _engine_name(db)
    target = resolve_target(path, engine, ctx.clock.now())
    if engine == "sqlite":
        source = _sqlite_file(db)
        with contextlib.suppress(FileNotFoundError):
            if target.resolve() == source.resolve():
                raise ServiceError("La sauvegarde ne peut pas remplacer la base elle-même.")
        size, revision = _write_via_temp(target, lambda tmp: _sqlite_copy(source, tmp), _sqlite_signature)
    else:
        bindir = ctx.settings.pg_bindir
        size, revision = _write_via_temp(target, lambda tmp: _pg_dump(db.url, bindir, tmp),
                                         lambda tmp: _pgdump_signature(tmp, bindir))
    return BackupResult(path=target, engine=engine, revision=revision, size=size,
                        seconds=time.monotonic() - start)


def _sqlite_copy(source: Path, dest: Path) -> None:
    """Online backup: pages are copied under SQLite's own locking, so agents working at
    the same time get a consistent copy. The copy is turned into a single self-contained
    file (no WAL) and checked before it may replace anything."""
    src = sqlite3.connect(source, timeout=30)
    try:
        dst = sqlite3.connect(dest)
        try:
            src.backup(dst, pages=1024)
            dst.execute("PRAGMA journal_mode=DELETE")
            result = dst.execute("PRAGMA quick_check").fetchone()
            if not result or result[0] != "ok":
                raise ServiceError(f"La copie de la base est incohérente ({result}) : sauvegarde abandonnée.")
        finally:
            dst.close()
    except sqlite3.Error as exc:
        raise ServiceError(f"Sauvegarde SQLite impossible : {exc}.") from None
    finally:
        src.close()


# --- PostgreSQL tools ---------------------------------------------------------------------

def pg_tool(name: str, bindir: Path | None = None) -> str:
    """pg_dump/pg_restore: `bindir` (PORTAIL_PG_BINDIR, Settings.pg_bindir), the PATH,
    then the newest Debian cluster binaries (a newer pg_dump reads older servers, not the
    reverse)."""
    candidates = [bindir / name] if bindir else []
    candidates += sorted((Path(p) / name for p in glob.glob("/usr/lib/postgresql/*/bin")),
                         key=lambda p: [int(x) for x in re.findall(r"\d+", p.parent.parent.name)] or [0],
                         reverse=True)
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    raise ServiceError(f"{name} introuvable : installez le paquet postgresql-client"
                       " (ou indiquez PORTAIL_PG_BINDIR).")


def _libpq(url_text: str) -> tuple[list[str], dict[str, str]]:
    """Connection arguments for the PostgreSQL tools; the password goes through the
    environment (never on a command line visible in `ps`)."""
    url: URL = make_url(url_text)
    args = ["--dbname", url.database or "postgres"]
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    env = tool_environment()
    env["PGCONNECT_TIMEOUT"] = "15"
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    for key, value in url.query.items():  # sslmode=require and friends
        if isinstance(value, str) and re.fullmatch(r"[a-z_]+", key):
            env[f"PG{key.upper()}"] = value
    return args, env


def _run(cmd: list[str], env: dict[str, str], what: str) -> subprocess.CompletedProcess[str]:
    try:
        result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=3600, check=False)
    except subprocess.TimeoutExpired:
        raise ServiceError(f"{what} : délai dépassé.") from None
    if result.returncode != 0:
        lines = [ln for ln in result.stderr.strip().splitlines() if ln.strip()]
        raise ServiceError(f"{what} a échoué : {lines[-1] if lines else result.returncode}")
    return result


def _pg_dump(url: str, bindir: Path | None, dest: Path) -> None:
    args, env = _libpq(url)
    _run([pg_tool("pg_dump", bindir), "--format=custom", "--no-owner", "--no-privileges",
          "--file", str(dest), *args], env, "pg_dump")


# --- what a file is -------------------------------------------------------------------

def _head(path: Path, size: int = 16) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(size)
    except FileNotFoundError:
        raise ServiceError(f"Fichier introuvable : {path}.") from None
    except IsADirectoryError:
        raise ServiceError(f"{path} est un dossier, pas une sauvegarde.") from None


def _check_revision(revision: str | None, path: Path) -> str:
    if not revision:
        raise ServiceError(f"{path} n'est pas une sauvegarde de Portail Familles (version du schéma absente).")
    if revision not in known_revisions():
        raise ServiceError(f"{path} vient d'une version du programme que celle-ci ne connaît pas"
                           f" (schéma {revision}) : mettez le programme à jour avant de restaurer.")
    return revision


def _sqlite_signature(path: Path) -> str:
    """The schema revision of an SQLite file that is one of ours, else ServiceError."""
    if _head(path) != SQLITE_MAGIC:
        raise ServiceError(f"{path} n'est pas une sauvegarde de Portail Familles (ce n'est pas une base SQLite"
                           " : pour PostgreSQL, restaurez un fichier .pgdump dans une base PostgreSQL).")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            missing = [t for t in SIGNATURE_TABLES if t not in tables]
            if missing:
                raise ServiceError(f"{path} n'est pas une sauvegarde de Portail Familles"
                                   f" (tables absentes : {', '.join(missing)}).")
            check = conn.execute("PRAGMA quick_check").fetchone()
            if not check or check[0] != "ok":
                raise ServiceError(f"{path} est endommagé ({check[0] if check else '?'}) : restauration refusée.")
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise ServiceError(f"{path} est illisible ou endommagé ({exc}) : restauration refusée.") from None
    return _check_revision(row[0] if row else None, path)


def _pgdump_signature(path: Path, bindir: Path | None) -> str:
    if _head(path, 5) != PGDUMP_MAGIC:
        raise ServiceError(f"{path} n'est pas une sauvegarde PostgreSQL de Portail Familles"
                           " (format pg_dump personnalisé attendu).")
    env = tool_environment()
    listing = _run([pg_tool("pg_restore", bindir), "--list", str(path)], env, "Lecture de la sauvegarde").stdout
    tables = set(re.findall(r"\bTABLE (?:public )?(\w+)\b", listing))
    missing = [t for t in SIGNATURE_TABLES if t not in tables]
    if missing:
        raise ServiceError(f"{path} n'est pas une sauvegarde de Portail Familles"
                           f" (tables absentes : {', '.join(missing)}).")
    data = _run([pg_tool("pg_restore", bindir), "--data-only", "--table=alembic_version", "--file=-", str(path)],
                env, "Lecture de la sauvegarde").stdout
    match = re.search(r"COPY [\w.\"]*alembic_version[^\n]*\n([^\n\\]+)\n", data)
    return _check_revision(match.group(1).strip() if match else None, path)


def inspect_backup(path: Path, *, pg_bindir: Path | None = None) -> tuple[str, str]:
    """(engine, schema revision) of a backup file, or ServiceError saying why it is not one.
    `pg_bindir` is Settings.pg_bindir: the CLI checks a file before opening the database."""
    head = _head(path)
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql", _pgdump_signature(path, pg_bindir)
    return "sqlite", _sqlite_signature(path)


# --- restore ----------------------------------------------------------------------------

def restore(ctx: Context, path: Path) -> RestoreResult:
    """Replace the configured database by a backup. The backup is first copied aside,
    brought to the current schema and checked like `db check` (file integrity, payment
    guard, no foreign trigger, money and places invariants): a damaged or tampered
    backup is refused before anything is touched. Then the current database is saved
    beside the file being restored, the copy gets the receipt floor and a new
    generation (services/restore_marks.py), and only then replaces the database."""
    db = ctx.db
    engine = _engine_name(db)
    file_engine, revision = inspect_backup(path, pg_bindir=ctx.settings.pg_bindir)
    if file_engine != engine:
        theirs = "SQLite" if file_engine == "sqlite" else "PostgreSQL"
        ours = "SQLite" if engine == "sqlite" else "PostgreSQL"
        raise ServiceError(f"{path} est une sauvegarde {theirs} ; la base configurée est {ours}."
                           " Restaurez-la dans une base du même type.")
    safety = _free_name(path.parent / f"avant-restauration-{default_name(engine, ctx.clock.now())}")
    if engine == "sqlite":
        floors, generation = _sqlite_restore_checked(ctx, path, revision, safety)
    else:
        floors, generation = pg_restore_checked(ctx, path, revision, safety)
    db.dispose()
    return RestoreResult(path=path, engine=engine, revision=revision, safety_copy=safety,
                         upgraded_to=head_revision() if revision != head_revision() else None,
                         receipts=floors, generation=generation)


def vet_candidate(ctx: Context, candidate: Database, revision: str, path: Path) -> None:
    """Bring the copy to the current schema and run `db check` on it; refuse it, in
    French, on the first problems found."""
    try:
        if revision != head_revision():
            upgrade(candidate)
        report = run_checks(replace(ctx, db=candidate, actor=None))
    except DBAPIError as exc:
        raise ServiceError(f"{path} est endommagé ou incohérent ({_first_line(exc)}) : restauration refusée."
                           " Rien n'a été modifié.") from None
    if not report.ok:
        shown = " ; ".join(p.message for p in report.problems[:3])
        more = f" (et {len(report.problems) - 3} autre(s))" if len(report.problems) > 3 else ""
        raise ServiceError(f"Sauvegarde {path} refusée, elle ne passe pas « portail db check » : {shown}{more}"
                           " Rien n'a été modifié.")


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return (str(orig).strip().splitlines() or [type(orig).__name__])[0]


def _sqlite_restore_checked(ctx: Context, path: Path, revision: str,
                            safety: Path) -> tuple[list[ReceiptFloor], int]:
    live = _sqlite_file(ctx.db)
    fd, name = tempfile.mkstemp(prefix=f".{live.name}.restauration-", suffix=".sqlite", dir=live.parent)
    os.close(fd)
    candidate_file = Path(name)
    try:
        _sqlite_candidate(path, candidate_file)
        candidate = Database(f"sqlite:///{candidate_file}")
        try:
            vet_candidate(ctx, candidate, revision, path)
            backup(ctx, safety)
            # Read as late as possible: a receipt issued after this read and before the
            # swap (milliseconds) would be the one number the floor misses.
            state = read_live_state(ctx.db)
            marks = mark_restored(replace(ctx, db=candidate), state, path)
        finally:
            candidate.dispose()
        ctx.db.dispose()  # no pooled connection of ours holds the old schema open
        _sqlite_restore(candidate_file, live)
        return marks
    finally:
        for suffix in ("", "-wal", "-shm", "-journal"):
            with contextlib.suppress(FileNotFoundError):
                Path(f"{candidate_file}{suffix}").unlink()


def _sqlite_candidate(source: Path, dest: Path) -> None:
    """A private copy of the backup (never the file itself: checks and the receipt
    floor write to it), whose every page SQLite's integrity_check reads — quick_check
    misses a damaged index or record inside a page."""
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro&immutable=1", uri=True)
        try:
            dst = sqlite3.connect(dest)
            try:
                src.backup(dst)
                rows = [r[0] for r in dst.execute("PRAGMA integrity_check(20)").fetchall()]
            finally:
                dst.close()
        finally:
            src.close()
    except sqlite3.DatabaseError as exc:
        raise ServiceError(f"{source} est illisible ou endommagé ({exc}) : restauration refusée.") from None
    if rows != ["ok"]:
        raise ServiceError(f"{source} est endommagé ({'; '.join(rows[:3])}) : restauration refusée."
                           " Rien n'a été modifié.")


def _free_name(wanted: Path) -> Path:
    """Never overwrite an earlier safety copy (it may be the very file being restored)."""
    candidate, n = wanted, 1
    while candidate.exists():
        n += 1
        candidate = wanted.with_name(f"{wanted.stem}-{n}{wanted.suffix}")
    return candidate


def _sqlite_restore(source: Path, live: Path) -> None:
    """The backup API in the other direction: the live file is rewritten page by page
    under an exclusive lock, which other processes' connections respect (they see the
    restored data at their next transaction), unlike a file copy under their feet.
    `source` is the vetted private copy, opened normally: its WAL, if any, counts."""
    try:
        src = sqlite3.connect(source)
        try:
            dst = sqlite3.connect(live, timeout=30)
            try:
                dst.execute("PRAGMA busy_timeout=30000")
                src.backup(dst)
                dst.execute("PRAGMA journal_mode=WAL")
            finally:
                dst.close()
        finally:
            src.close()
    except sqlite3.Error as exc:
        raise ServiceError(f"Restauration SQLite impossible : {exc}. La copie de sécurité est"
                           " intacte.") from None


def pg_restore_checked(ctx: Context, path: Path, revision: str,
                       safety: Path) -> tuple[list[ReceiptFloor], int]:
    """The dump is vetted in a scratch database on the same server when the account may
    create one (CREATEDB); otherwise it is vetted in place right after pg_restore and,
    if refused, the safety copy is restored at once — the one way to check a dump
    without a second database, at the price of a few seconds of refused data."""
    bindir = ctx.settings.pg_bindir
    with _pg_scratch(ctx.db) as scratch_url:
        if scratch_url is not None:
            _pg_restore(scratch_url, path, bindir)
            candidate = Database(scratch_url)
            try:
                vet_candidate(ctx, candidate, revision, path)
            finally:
                candidate.dispose()
    backup(ctx, safety)
    state = read_live_state(ctx.db)
    ctx.db.dispose()
    _pg_restore(ctx.db.url, path, bindir)
    ctx.db.dispose()
    # pg_restore recreates the tables with the default rights: the application's role
    # gets back exactly its own (payments and audit append-only), as after an upgrade.
    refresh_application_grants(ctx.db)
    if scratch_url is None:
        try:
            vet_candidate(ctx, ctx.db, revision, path)
        except ServiceError:
            ctx.db.dispose()
            _pg_restore(ctx.db.url, safety, bindir)
            ctx.db.dispose()
            refresh_application_grants(ctx.db)
            raise
    elif revision != head_revision():
        upgrade(ctx.db)
    return mark_restored(ctx, state, path)


@contextlib.contextmanager
def _pg_scratch(db: Database) -> Iterator[str | None]:
    """A throwaway database beside the configured one, dropped afterwards; None when
    the account may not create databases."""
    name = f"portail_verif_{uuid.uuid4().hex[:12]}"
    admin = db.engine.execution_options(isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except DBAPIError:
        yield None
        return
    try:
        yield make_url(db.url).set(database=name).render_as_string(hide_password=False)
    finally:
        with contextlib.suppress(DBAPIError), admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _pg_restore(url: str, dump: Path, bindir: Path | None) -> None:
    args, env = _libpq(url)
    _run([pg_tool("pg_restore", bindir), "--clean", "--if-exists", "--no-owner", "--no-privileges",
          "--single-transaction", "--exit-on-error", *args, str(dump)], env, "pg_restore")
