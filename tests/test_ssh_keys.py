"""SSH keys per agent: validation of key files, the authorized_keys lines (atomic,
other lines kept, one key per agent), and who the forced command may name."""

from __future__ import annotations

import os
import stat
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select, update

from portail_tui.clock import PARIS
from portail_tui.models import Agent, AuditLog, Regie
from portail_tui.services import auth, ssh_keys
from portail_tui.services.context import Context, ServiceError

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=PARIS)
CONFIG = Path("/srv/portail/portail.env")


def _keygen(tmp_path: Path, name: str, kind: str = "ed25519", bits: int | None = None) -> Path:
    path = tmp_path / name
    cmd = ["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", f"{name}@poste", "-f", str(path)]
    if bits:
        cmd += ["-b", str(bits)]
    subprocess.run(cmd, check=True, capture_output=True)
    return path


def _agents(ctx: Context) -> None:
    ctx.db.write(lambda s: s.add(Regie(code="R", name="RÉGIE TEST")))
    auth.add_agent(ctx, "marie", "motdepasse1", full_name="Marie Curie")
    auth.add_agent(ctx, "paul", "motdepasse1", full_name="Paul Martin")
    auth.add_agent(ctx, "ancien", "motdepasse1", full_name="Ancien Agent")
    ctx.db.write(lambda s: s.execute(update(Agent).where(Agent.login == "ancien").values(active=False)))


@pytest.fixture
def keys_ctx(ctx: Context) -> Context:
    _agents(ctx)
    return ctx


# --- key files ----------------------------------------------------------------

def test_valid_public_key_is_read_with_its_fingerprint(tmp_path: Path) -> None:
    priv = _keygen(tmp_path, "id")
    key = ssh_keys.read_public_key(priv.with_suffix(".pub"))
    expected = subprocess.run(["ssh-keygen", "-l", "-f", str(priv.with_suffix(".pub"))],
                              capture_output=True, text=True, check=True).stdout.split()[1]
    assert key.key_type == "ssh-ed25519"
    assert key.fingerprint == expected


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("bonjour\n", "n'est pas une clé publique"),
        ("", "exactement une clé"),
        ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBROKENBROKEN\n", "illisible"),
        ('command="sh" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI x\n', "n'est pas une clé publique"),
    ],
)
def test_bad_key_files_are_refused(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.pub"
    path.write_text(content)
    with pytest.raises(ServiceError, match=message):
        ssh_keys.read_public_key(path)


def test_private_key_and_two_keys_are_refused(tmp_path: Path) -> None:
    priv = _keygen(tmp_path, "id")
    with pytest.raises(ServiceError, match="PRIVÉE"):
        ssh_keys.read_public_key(priv)
    other = _keygen(tmp_path, "id2")
    both = tmp_path / "both.pub"
    both.write_text(priv.with_suffix(".pub").read_text() + other.with_suffix(".pub").read_text())
    with pytest.raises(ServiceError, match="2 trouvée"):
        ssh_keys.read_public_key(both)
    with pytest.raises(ServiceError, match="introuvable"):
        ssh_keys.read_public_key(tmp_path / "absent.pub")


def test_short_rsa_key_is_refused(tmp_path: Path) -> None:
    priv = _keygen(tmp_path, "rsa", "rsa", 1024)
    with pytest.raises(ServiceError, match="trop courte"):
        ssh_keys.read_public_key(priv.with_suffix(".pub"))


# --- authorize / revoke -------------------------------------------------------

def _authorize(ctx: Context, login: str, pub: Path, keys: Path) -> ssh_keys.AuthorizeResult:
    return ssh_keys.authorize(ctx, login, pub, keys=ssh_keys.keys_file(keys),
                              portail="/srv/portail/.venv/bin/portail", config_file=CONFIG)


def test_authorize_writes_a_restricted_forced_line_and_keeps_other_lines(
        keys_ctx: Context, tmp_path: Path) -> None:
    keys = tmp_path / "ssh" / "authorized_keys"
    keys.parent.mkdir()
    maintenance = _keygen(tmp_path, "it").with_suffix(".pub").read_text().strip()
    keys.write_text(f"# maintenance\n{maintenance}\n")
    pub = _keygen(tmp_path, "marie").with_suffix(".pub")
    result = _authorize(keys_ctx, "marie", pub, keys)
    assert result.full_name == "Marie Curie" and not result.replaced
    lines = keys.read_text().splitlines()
    assert lines[:2] == ["# maintenance", maintenance]
    line = lines[2]
    assert line.startswith('restrict,pty,command="exec env ')
    assert "portail --config /srv/portail/portail.env tui --as-agent marie" in line
    assert f"PORTAIL_AUTHORIZED_KEYS={keys}" in line
    assert line.endswith(" portail:marie")
    assert pub.read_text().split()[1] in line
    assert stat.S_IMODE(os.stat(keys).st_mode) == 0o600
    # sshd itself accepts the line (ssh-keygen parses authorized_keys syntax).
    check = subprocess.run(["ssh-keygen", "-l", "-f", str(keys)], capture_output=True, text=True)
    assert check.returncode == 0 and "marie@poste" not in check.stdout
    assert [ln.split()[2] for ln in check.stdout.strip().splitlines()] == ["it@poste", "portail:marie"]
    audit = keys_ctx.db.read(lambda s: s.execute(
        select(AuditLog).where(AuditLog.action == "ssh.authorize")).scalar_one())
    assert result.fingerprint in audit.details


def test_new_key_replaces_the_agents_previous_one(keys_ctx: Context, tmp_path: Path) -> None:
    keys = tmp_path / "authorized_keys"
    first = _keygen(tmp_path, "a").with_suffix(".pub")
    second = _keygen(tmp_path, "b").with_suffix(".pub")
    _authorize(keys_ctx, "marie", first, keys)
    _authorize(keys_ctx, "paul", second, keys)
    with pytest.raises(ServiceError, match="déjà autorisée pour l'agent paul"):
        _authorize(keys_ctx, "marie", second, keys)
    assert _authorize(keys_ctx, "marie", _keygen(tmp_path, "c").with_suffix(".pub"), keys).replaced
    owners = [k.login for k in ssh_keys.list_authorized(keys)]
    assert owners == ["paul", "marie"]
    assert first.read_text().split()[1] not in keys.read_text()


@pytest.mark.parametrize("login", ["inconnu", "ancien", "x'; rm -rf /"])
def test_unknown_or_disabled_agent_writes_nothing(keys_ctx: Context, tmp_path: Path, login: str) -> None:
    keys = tmp_path / "authorized_keys"
    keys.write_text("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMaint it@mairie\n")
    before = keys.read_bytes()
    pub = _keygen(tmp_path, "k").with_suffix(".pub")
    with pytest.raises(ServiceError, match="inconnu|désactivé"):
        _authorize(keys_ctx, login, pub, keys)
    assert keys.read_bytes() == before


def test_bad_key_writes_nothing(keys_ctx: Context, tmp_path: Path) -> None:
    keys = tmp_path / "authorized_keys"
    bad = tmp_path / "bad.pub"
    bad.write_text("pas une clé\n")
    with pytest.raises(ServiceError):
        _authorize(keys_ctx, "marie", bad, keys)
    assert not keys.exists()


def test_revoke_removes_only_that_agent(keys_ctx: Context, tmp_path: Path) -> None:
    keys = tmp_path / "authorized_keys"
    keys.write_text("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMaint it@mairie\n")
    _authorize(keys_ctx, "marie", _keygen(tmp_path, "a").with_suffix(".pub"), keys)
    _authorize(keys_ctx, "paul", _keygen(tmp_path, "b").with_suffix(".pub"), keys)
    assert ssh_keys.revoke(keys_ctx, "marie", keys=ssh_keys.keys_file(keys)) == 1
    assert [k.login for k in ssh_keys.list_authorized(keys)] == ["paul"]
    assert "it@mairie" in keys.read_text()
    with pytest.raises(ServiceError, match="Aucune clé"):
        ssh_keys.revoke(keys_ctx, "marie", keys=ssh_keys.keys_file(keys))


# --- the forced command -------------------------------------------------------

def test_forced_command_quotes_values_for_the_shell(tmp_path: Path) -> None:
    """Run the command exactly as sshd would (through the shell) with a fake portail
    that prints what it received: odd characters arrive intact, nothing runs."""
    fake = tmp_path / "fake portail"
    out = tmp_path / "out.txt"
    fake.write_text(f"#!/bin/sh\nprintf '%s\\n' \"$@\" \"$PORTAIL_AUTHORIZED_KEYS\" \"$TEXTUAL_FPS\" > '{out}'\n")
    fake.chmod(0o755)
    config = tmp_path / "réglages p'a\"ss $(touch x).env"
    keys = tmp_path / "clés `touch y`"
    cmd = ssh_keys.forced_command("marie", portail=str(fake), config_file=config, keys_path=keys)
    subprocess.run(["sh", "-c", cmd], check=True, cwd=tmp_path)
    assert out.read_text().splitlines() == ["--config", str(config), "tui", "--as-agent", "marie",
                                            str(keys), "30"]
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()
    with pytest.raises(ServiceError):
        ssh_keys.forced_command("a b", portail=str(fake), config_file=config, keys_path=keys)


def test_key_line_escapes_double_quotes_for_sshd(tmp_path: Path) -> None:
    pub = _keygen(tmp_path, "k").with_suffix(".pub")
    key = ssh_keys.read_public_key(pub)
    line = ssh_keys.key_line("marie", key, 'exec env A=\'x"y\' /bin/portail')
    assert 'command="exec env A=\'x\\"y\' /bin/portail"' in line
    assert ssh_keys._key_of(line) == (key.key_type, key.blob)


# --- who the forced command may name -------------------------------------------

def test_session_actor_needs_ssh_a_key_line_and_an_active_agent(keys_ctx: Context, tmp_path: Path) -> None:
    keys = tmp_path / "authorized_keys"
    _authorize(keys_ctx, "marie", _keygen(tmp_path, "a").with_suffix(".pub"), keys)
    ssh_env = {"SSH_CONNECTION": "192.0.2.7 50000 192.0.2.1 22"}
    with pytest.raises(ServiceError, match="connexion SSH"):
        ssh_keys.ssh_session_actor(keys_ctx, "marie", {}, keys_path=keys)
    with pytest.raises(ServiceError, match="Aucune clé SSH autorisée pour paul"):
        ssh_keys.ssh_session_actor(keys_ctx, "paul", ssh_env, keys_path=keys)
    actor = ssh_keys.ssh_session_actor(keys_ctx, "marie", ssh_env, keys_path=keys)
    assert actor.full_name == "Marie Curie" and actor.kind == "agent"
    row = keys_ctx.db.read(lambda s: s.execute(
        select(AuditLog).where(AuditLog.action == "agent.login")).scalar_one())
    assert '"via": "ssh"' in row.details and "192.0.2.7" in row.details
    # Disabled after the key was authorized: refused although the key line is there.
    keys_ctx.db.write(lambda s: s.execute(update(Agent).where(Agent.login == "marie").values(active=False)))
    with pytest.raises(ServiceError, match="désactivé"):
        ssh_keys.ssh_session_actor(keys_ctx, "marie", ssh_env, keys_path=keys)


def test_terminal_defaults_only_fill_a_missing_term() -> None:
    assert ssh_keys.terminal_defaults({}) == {"TERM": "xterm-256color"}
    assert ssh_keys.terminal_defaults({"TERM": "dumb"}) == {"TERM": "xterm-256color"}
    assert ssh_keys.terminal_defaults({"TERM": "screen-256color"}) == {}


def test_authorized_keys_path_override() -> None:
    assert ssh_keys.authorized_keys_path({"PORTAIL_AUTHORIZED_KEYS": "/tmp/k"}) == Path("/tmp/k")
    assert ssh_keys.authorized_keys_path({"HOME": "/home/portail"}) == Path(
        "/home/portail/.ssh/authorized_keys")



# --- fingerprints, the settings file, whose file ---------------------------------

def test_fingerprint_is_ssh_keygens_for_each_ed25519_key(keys_ctx: Context, tmp_path: Path) -> None:
    """Two ed25519 keys share their first 24 characters (type and length header): the
    list shows each key's own SHA256 fingerprint, exactly as `ssh-keygen -l` prints it."""
    keys = tmp_path / "authorized_keys"
    pubs = {login: _keygen(tmp_path, login).with_suffix(".pub") for login in ("marie", "paul")}
    for login, pub in pubs.items():
        _authorize(keys_ctx, login, pub, keys)
    expected = {login: subprocess.run(["ssh-keygen", "-l", "-E", "sha256", "-f", str(pub)],
                                      capture_output=True, text=True, check=True).stdout.split()[1]
                for login, pub in pubs.items()}
    listed = {k.login: k.fingerprint for k in ssh_keys.list_authorized(keys)}
    assert listed == expected and len(set(listed.values())) == 2
    assert ssh_keys.fingerprint_of("pas du base64!") == "SHA256:?"


def test_key_line_never_pins_a_setting(keys_ctx: Context, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAIL_TODAY", "2026-11-28")
    monkeypatch.setenv("PORTAIL_DATABASE_URL", "sqlite:////srv/portail/data/portail.db")
    keys = tmp_path / "authorized_keys"
    _authorize(keys_ctx, "marie", _keygen(tmp_path, "a").with_suffix(".pub"), keys)
    line = keys.read_text()
    assert "PORTAIL_TODAY" not in line and "2026-11-28" not in line
    assert "PORTAIL_DATABASE_URL" not in line and "--config /srv/portail/portail.env" in line


def test_root_must_name_the_account_or_the_file(tmp_path: Path) -> None:
    import pwd

    root_home = Path(pwd.getpwuid(0).pw_dir)
    with pytest.raises(ServiceError, match="--compte portail"):
        ssh_keys.keys_file(root_home / ".ssh" / "authorized_keys", euid=0)
    named = ssh_keys.keys_file(root_home / ".ssh" / "authorized_keys", fichier=tmp_path / "k", euid=0)
    assert named.path == tmp_path / "k" and named.account == pwd.getpwuid(os.stat(tmp_path).st_uid).pw_name
    nobody = ssh_keys.keys_file(root_home / ".ssh" / "authorized_keys", compte="nobody", euid=0)
    entry = pwd.getpwnam("nobody")
    assert (nobody.path, nobody.account, nobody.uid) == (
        Path(entry.pw_dir) / ".ssh" / "authorized_keys", "nobody", entry.pw_uid)
    with pytest.raises(ServiceError, match="Compte système inconnu"):
        ssh_keys.keys_file(tmp_path / "k", compte="personne-ici", euid=0)
    # Not root: the configured file, owned by whoever owns its folder.
    assert ssh_keys.keys_file(tmp_path / "k", euid=1000).path == tmp_path / "k"


@pytest.mark.skipif(os.geteuid() != 0, reason="root only: hands the file to another account")
def test_root_writes_the_service_accounts_file_and_hands_it_back(keys_ctx: Context, tmp_path: Path) -> None:
    import pwd

    entry = pwd.getpwnam("nobody")
    home = tmp_path / "srv-portail"
    home.mkdir()
    os.chown(home, entry.pw_uid, entry.pw_gid)
    target = home / ".ssh" / "authorized_keys"
    keys = ssh_keys.keys_file(Path("/root/.ssh/authorized_keys"), fichier=target, compte="nobody", euid=0)
    result = ssh_keys.authorize(keys_ctx, "marie", _keygen(tmp_path, "a").with_suffix(".pub"), keys=keys,
                                portail="/srv/portail/.venv/bin/portail", config_file=CONFIG)
    assert (result.path, result.account) == (target, "nobody")
    for path in (target, target.parent, target.with_name("authorized_keys.lock")):
        assert os.stat(path).st_uid == entry.pw_uid, path
    assert stat.S_IMODE(os.stat(target.parent).st_mode) == 0o700
