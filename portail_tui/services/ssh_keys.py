"""One SSH key per agent: lines of the service account's ``authorized_keys`` that force
the application as that agent (issue 7, docs/OPERATIONS.md).

Each managed line looks like::

    restrict,pty,command="exec env … /srv/portail/.venv/bin/portail --config /srv/portail/portail.env tui --as-agent marie" ssh-ed25519 AAAA… portail:marie

`restrict` turns off every forwarding (ports, agent, X11) and user rc files, `pty` gives
back the terminal the application needs, `command=` makes sshd run the application
whatever the client asked for; it names the settings file the session reads (never a
setting's value: a date pinned in the shell that authorized the key would stay pinned
for every session). The trailing comment ``portail:LOGIN`` is how this module
recognises its own lines; every other line of the file (an IT person's maintenance key…)
is kept as it is.

Threat model, honestly: the forced command names the agent, and the application trusts
it because only sshd runs it after checking the key. Someone who can run commands as the
service account could also type ``portail tui --as-agent …`` — but that person can read
and change the database directly anyway (SQLite file, or the PostgreSQL URL in the same
environment), so no check inside the program can stop them. What the checks here do stop:
an agent's key opening anything but the application, a revoked or unknown key, a disabled
agent, and `--as-agent` used by mistake outside an SSH session (`SSH_CONNECTION`, set by
sshd, is required, and the login must have a managed line in the file).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import hashlib
import os
import pwd
import re
import shlex
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlmodel import Session, col

# The variable and the rule for the file are read with the other settings
# (portail_tui.config): re-exported, callers use ctx.settings.
from portail_tui.config import ENV_AUTHORIZED_KEYS as ENV_AUTHORIZED_KEYS
from portail_tui.config import authorized_keys_path as authorized_keys_path
from portail_tui.models import Agent
from portail_tui.services import audit
from portail_tui.services.auth import actor_for
from portail_tui.services.context import Actor, Context, ServiceError

COMMENT_PREFIX = "portail:"
KEY_OPTIONS = "restrict,pty"

# Terminal defaults for a session arriving over a network: UTF-8 whatever the server's
# locale, no animations and a lower frame rate (less traffic on a slow link).
SSH_TEXTUAL_DEFAULTS = {
    "LANG": "C.UTF-8",
    "TEXTUAL_ANIMATIONS": "none",
    "TEXTUAL_FPS": "30",
}

KEY_TYPES = (
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
)
_LOGIN_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_BLOB_RE = re.compile(r"^[A-Za-z0-9+/]+={0,3}$")


@dataclass(frozen=True)
class PublicKey:
    key_type: str
    blob: str
    fingerprint: str  # SHA256:…, as ssh-keygen prints it
    bits: int

    @property
    def key_text(self) -> str:
        return f"{self.key_type} {self.blob}"


@dataclass(frozen=True)
class AuthorizedKey:
    """A line of the file managed by this module."""

    login: str
    key_type: str
    blob: str
    line: str

    @property
    def fingerprint(self) -> str:
        return fingerprint_of(self.blob)


@dataclass(frozen=True)
class KeysFile:
    """The authorized_keys file to change and the system account it belongs to (whose
    sessions it opens); root writing it hands it back to that account."""

    path: Path
    account: str
    uid: int = field(default=-1, compare=False)
    gid: int = field(default=-1, compare=False)


@dataclass(frozen=True)
class AuthorizeResult:
    login: str
    full_name: str
    fingerprint: str
    replaced: bool
    path: Path
    account: str = ""


# --- public key files ---------------------------------------------------------

def read_public_key(path: Path) -> PublicKey:
    """Validate a public key file: exactly one OpenSSH public key, checked by ssh-keygen
    itself (not only by its look), never a private key."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ServiceError(f"Fichier de clé introuvable : {path}.", field="key") from None
    except IsADirectoryError:
        raise ServiceError(f"{path} est un dossier, pas un fichier de clé.", field="key") from None
    if len(raw) > 20_000:
        raise ServiceError(f"{path} n'est pas une clé publique SSH (fichier trop gros).", field="key")
    text = raw.decode("utf-8", errors="replace")
    if "PRIVATE KEY" in text:
        raise ServiceError(
            f"{path} est une clé PRIVÉE : elle ne doit jamais quitter le poste de l'agent."
            " Donnez le fichier .pub.", field="key")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if len(lines) != 1:
        raise ServiceError(
            f"{path} doit contenir exactement une clé publique SSH ({len(lines)} trouvée(s)).",
            field="key")
    parts = lines[0].split()
    if len(parts) < 2 or parts[0] not in KEY_TYPES or not _BLOB_RE.match(parts[1]):
        raise ServiceError(
            f"{path} n'est pas une clé publique SSH (attendu : « ssh-ed25519 AAAA… »,"
            " sans options devant).", field="key")
    fingerprint, bits = _fingerprint(f"{parts[0]} {parts[1]}")
    return PublicKey(key_type=parts[0], blob=parts[1], fingerprint=fingerprint, bits=bits)


def fingerprint_of(blob: str) -> str:
    """The SHA256 fingerprint `ssh-keygen -l` prints: unpadded base64 of the SHA-256 of
    the decoded key blob. Computed here: `portail ssh list` reads many lines."""
    try:
        raw = base64.b64decode(blob, validate=True)
    except (binascii.Error, ValueError):
        return "SHA256:?"
    return "SHA256:" + base64.b64encode(hashlib.sha256(raw).digest()).decode("ascii").rstrip("=")


def _fingerprint(key_text: str) -> tuple[str, int]:
    """Ask ssh-keygen: it decodes the key, so a corrupted blob is refused here."""
    with tempfile.TemporaryDirectory(prefix="portail-key-") as tmp:
        probe = Path(tmp) / "key.pub"
        probe.write_text(key_text + "\n", encoding="ascii")
        try:
            result = subprocess.run(["ssh-keygen", "-l", "-E", "sha256", "-f", str(probe)],
                                    capture_output=True, text=True, timeout=20, check=False)
        except FileNotFoundError:
            raise ServiceError("ssh-keygen est introuvable : installez le paquet openssh-client.") from None
    fields = result.stdout.split()
    if result.returncode != 0 or len(fields) < 2 or not fields[1].startswith("SHA256:"):
        raise ServiceError("La clé publique est illisible (refusée par ssh-keygen).", field="key")
    bits = int(fields[0]) if fields[0].isdigit() else 0
    if key_text.startswith("ssh-rsa ") and bits < 2048:
        raise ServiceError(f"Clé RSA trop courte ({bits} bits) : 3072 bits au moins, ou ed25519.",
                           field="key")
    return fields[1], bits


# --- whose file ----------------------------------------------------------------

def keys_file(configured: Path, *, fichier: Path | None = None, compte: str | None = None,
              euid: int | None = None) -> KeysFile:
    """The file `portail ssh` changes: --fichier, else --compte's ~/.ssh/authorized_keys,
    else the configured one (PORTAIL_AUTHORIZED_KEYS, else ~/.ssh/authorized_keys). Root's
    own file is refused unless named: keys authorized there would open root's account,
    not the service account's (an administrator who forgot `sudo -u portail`)."""
    euid = os.geteuid() if euid is None else euid
    if compte is not None:
        try:
            entry = pwd.getpwnam(compte)
        except KeyError:
            raise ServiceError(f"Compte système inconnu : {compte}.", field="compte") from None
        path = fichier or Path(entry.pw_dir) / ".ssh" / "authorized_keys"
        return KeysFile(path=path, account=entry.pw_name, uid=entry.pw_uid, gid=entry.pw_gid)
    if fichier is None and euid == 0 and configured.absolute() == _own_keys(euid):
        raise ServiceError(
            "Lancée par root, cette commande écrirait dans les clés de root : indiquez le compte"
            " de service (--compte portail) ou le fichier (--fichier /chemin/authorized_keys).",
            field="compte")
    path = fichier or configured
    owner = path
    while not owner.exists() and owner != owner.parent:  # a file still to create: its folder's owner
        owner = owner.parent
    info = owner.stat()
    try:
        account = pwd.getpwuid(info.st_uid).pw_name
    except KeyError:
        account = str(info.st_uid)
    return KeysFile(path=path, account=account, uid=info.st_uid, gid=info.st_gid)


def _own_keys(uid: int) -> Path | None:
    try:
        return Path(pwd.getpwuid(uid).pw_dir) / ".ssh" / "authorized_keys"
    except KeyError:
        return None


def _hand_over(path: Path, keys: KeysFile) -> None:
    """Root writing another account's file gives it back to that account: sshd and the
    next `portail ssh` run under the service account must be able to use it."""
    if os.geteuid() == 0 and keys.uid > 0:
        os.chown(path, keys.uid, keys.gid)


# --- the authorized_keys file -------------------------------------------------

def _is_managed(line: str) -> str | None:
    """The login of a line this module wrote, or None for any other line."""
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return None
    tail = stripped.rsplit(" ", 1)
    if len(tail) == 2 and tail[1].startswith(COMMENT_PREFIX):
        login = tail[1][len(COMMENT_PREFIX):]
        if _LOGIN_RE.match(login):
            return login
    return None


def _key_of(line: str) -> tuple[str, str] | None:
    """(type, blob) of any authorized_keys line, whatever its options."""
    tokens = _split_keeping_quotes(line.strip())
    for i, tok in enumerate(tokens[:-1]):
        if tok in KEY_TYPES:
            return tok, tokens[i + 1]
    return None


def _split_keeping_quotes(line: str) -> list[str]:
    """Split on blanks outside double quotes (options like command="a b")."""
    out: list[str] = []
    current: list[str] = []
    quoted = False
    i = 0
    while i < len(line):
        ch = line[i]
        if ch == "\\" and quoted and i + 1 < len(line) and line[i + 1] == '"':
            current.append('\\"')
            i += 2
            continue
        if ch == '"':
            quoted = not quoted
        if ch in " \t" and not quoted:
            if current:
                out.append("".join(current))
                current = []
        else:
            current.append(ch)
        i += 1
    if current:
        out.append("".join(current))
    return out


def list_authorized(path: Path) -> list[AuthorizedKey]:
    """The agents' lines of the file, in file order."""
    out: list[AuthorizedKey] = []
    for line in _read_lines(path):
        login = _is_managed(line)
        key = _key_of(line) if login else None
        if login and key:
            out.append(AuthorizedKey(login=login, key_type=key[0], blob=key[1], line=line))
    return out


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []


@contextlib.contextmanager
def _locked(keys: KeysFile) -> Iterator[None]:
    """Serialise two administrators editing the file at the same time."""
    path = keys.path
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
        _hand_over(path.parent, keys)
    lock_path = path.with_name(path.name + ".lock")
    with open(lock_path, "a") as lock:
        _hand_over(lock_path, keys)
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _write_atomically(keys: KeysFile, lines: list[str]) -> None:
    """Write a sibling file, flush it to disk, then rename over the old one: sshd sees
    either the old file or the new one, never half of it."""
    path = keys.path
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write("".join(f"{ln}\n" for ln in lines))
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o600)
        _hand_over(Path(tmp), keys)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


# --- the forced command -------------------------------------------------------

def forced_command(login: str, *, portail: str, config_file: Path, keys_path: Path) -> str:
    """The shell command sshd runs for this key. It names the settings file (read at each
    connection, so a changed setting needs no new key line) and the keys file just
    written (the session checks the file sshd read, whatever the settings say). Values
    are single-quoted for the shell; nothing in it expands anything the client sends
    (TERM is handled in Python)."""
    if not _LOGIN_RE.match(login):
        raise ServiceError(f"Identifiant invalide : {login}.", field="login")
    env = {**SSH_TEXTUAL_DEFAULTS, ENV_AUTHORIZED_KEYS: str(keys_path)}
    words = ["exec", "env"]
    for name, value in env.items():
        words.append(f"{name}={shlex.quote(value)}")
    for path in (portail, str(config_file), str(keys_path)):
        if "\n" in path or "\0" in path:
            raise ServiceError(f"Chemin inutilisable dans une commande forcée : {path!r}.")
    words += [shlex.quote(portail), "--config", shlex.quote(str(config_file)), "tui",
              "--as-agent", shlex.quote(login)]
    return " ".join(words)


def key_line(login: str, key: PublicKey, command: str) -> str:
    # Inside an authorized_keys option only \" is an escape (sshd's opt_dequote).
    escaped = command.replace('"', '\\"')
    return f'{KEY_OPTIONS},command="{escaped}" {key.key_text} {COMMENT_PREFIX}{login}'


# --- use cases ----------------------------------------------------------------

def _agent_row(ctx: Context, login: str) -> Agent | None:
    return ctx.db.read(
        lambda s: s.execute(select(Agent).where(col(Agent.login) == login)).scalar_one_or_none()
    )


def authorize(
    ctx: Context,
    login: str,
    key_file: Path,
    *,
    keys: KeysFile,
    portail: str,
    config_file: Path,
) -> AuthorizeResult:
    """Give an agent SSH access with one key (a new key replaces the agent's previous
    one). Every check happens before the file is touched."""
    login = (login or "").strip()
    agent = _agent_row(ctx, login) if _LOGIN_RE.match(login) else None
    if agent is None:
        raise ServiceError(f"Agent inconnu : {login}.", field="login")
    if not agent.active:
        raise ServiceError(f"L'agent {login} est désactivé : réactivez son compte d'abord.",
                           field="login")
    key = read_public_key(key_file)
    command = forced_command(login, portail=portail, config_file=config_file, keys_path=keys.path)
    line = key_line(login, key, command)
    with _locked(keys):
        lines = _read_lines(keys.path)
        kept: list[str] = []
        replaced = False
        for existing in lines:
            owner = _is_managed(existing)
            if owner == login:
                replaced = True
                continue
            if _key_of(existing) == (key.key_type, key.blob):
                who = f"l'agent {owner}" if owner else "une ligne non gérée par portail"
                raise ServiceError(f"Cette clé est déjà autorisée pour {who} : une clé par agent.",
                                   field="key")
            kept.append(existing)
        kept.append(line)
        _write_atomically(keys, kept)
    now = ctx.clock.now()
    actor = ctx.actor_tag
    ctx.db.write(lambda s: audit.record(s, at=now, actor=actor, action="ssh.authorize", entity="agent",
                                        entity_id=agent.id, fingerprint=key.fingerprint,
                                        replaced=replaced, file=str(keys.path),
                                        account=keys.account))
    return AuthorizeResult(login=login, full_name=agent.full_name, fingerprint=key.fingerprint,
                           replaced=replaced, path=keys.path, account=keys.account)


def revoke(ctx: Context, login: str, *, keys: KeysFile) -> int:
    """Remove the agent's line(s); works for an agent deleted or disabled since."""
    login = (login or "").strip()
    with _locked(keys):
        lines = _read_lines(keys.path)
        kept = [ln for ln in lines if _is_managed(ln) != login]
        removed = len(lines) - len(kept)
        if removed == 0:
            raise ServiceError(f"Aucune clé SSH autorisée pour {login}.", field="login")
        _write_atomically(keys, kept)
    agent = _agent_row(ctx, login) if _LOGIN_RE.match(login) else None
    now = ctx.clock.now()
    actor = ctx.actor_tag
    ctx.db.write(lambda s: audit.record(s, at=now, actor=actor, action="ssh.revoke", entity="agent",
                                        entity_id=agent.id if agent else None, login=login))
    return removed


def ssh_client(environ: Mapping[str, str]) -> str:
    """The client's address from SSH_CONNECTION (set by sshd), or the refusal of
    --as-agent outside an SSH session."""
    connection = environ.get("SSH_CONNECTION", "").strip()
    if not connection:
        raise ServiceError("--as-agent n'est accepté que depuis une connexion SSH autorisée :"
                           " lancez « portail » et connectez-vous avec votre mot de passe.")
    return connection.split()[0]


def ssh_session_actor(ctx: Context, login: str, environ: Mapping[str, str],
                      *, keys_path: Path) -> Actor:
    """The agent of a session opened by the forced command, after the checks described
    in the module docstring; records the login like a password login does."""
    client = ssh_client(environ)
    if not any(k.login == login for k in list_authorized(keys_path)):
        raise ServiceError(f"Aucune clé SSH autorisée pour {login} : accès refusé.")
    now = ctx.clock.now()

    def _work(session: Session) -> Actor | None:
        agent = session.execute(select(Agent).where(col(Agent.login) == login)).scalar_one_or_none()
        if agent is None or not agent.active:
            return None
        agent.last_login_at = now
        session.add(agent)
        audit.record(session, at=now, actor=f"agent:{agent.login}", action="agent.login",
                     entity="agent", entity_id=agent.id, via="ssh", client=client)
        return actor_for(agent)

    actor = ctx.db.write(_work)
    if actor is None:
        raise ServiceError(f"Agent inconnu ou désactivé : {login}. Accès refusé.")
    return actor


def terminal_defaults(environ: Mapping[str, str]) -> dict[str, str]:
    """Variables to set before Textual starts in an SSH session: a usable TERM when the
    client sent none. COLORTERM is left to the client (`SendEnv COLORTERM`), since
    claiming true colour to a terminal without it garbles the screen."""
    out: dict[str, str] = {}
    term = environ.get("TERM", "")
    if term in ("", "dumb", "unknown", "network"):
        out["TERM"] = "xterm-256color"
    return out
