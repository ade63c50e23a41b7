"""End to end over a real OpenSSH server: an agent's key authorized with
`portail ssh authorize` opens the application as that agent inside tmux; an unknown key,
a revoked key and a disabled agent are refused; the key opens nothing else; a connection
without a terminal is refused at once, and a dropped client leaves no process behind.

The sshd runs as the current user on a free loopback port with a throwaway host key and
its own configuration (StrictModes off, no PAM, keys only), and reads the
authorized_keys file named by PORTAIL_AUTHORIZED_KEYS — the same file the CLI writes.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import update

import portail_tui
from portail_tui.db import Database
from portail_tui.models import Agent
from tests.support.strict import INSTALL, unavailable

pytestmark = pytest.mark.slow

SSHD = "/usr/sbin/sshd"
PORTAIL = str(Path(sys.executable).parent / "portail")
TODAY = "2026-11-28"

if not (os.access(SSHD, os.X_OK) and shutil.which("ssh") and shutil.which("tmux")):
    unavailable(f"sshd, ssh ou tmux absent : {INSTALL}", module=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _keygen(path: Path) -> Path:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", path.name, "-f", str(path)],
                   check=True, capture_output=True)
    return path


@dataclass
class Sshd:
    port: int
    user: str
    keys_file: Path
    log: Path
    proc: subprocess.Popen[bytes]

    def ssh_args(self, key: Path) -> list[str]:
        return ["ssh", "-F", "/dev/null", "-i", str(key), "-p", str(self.port),
                "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none", "-o", "BatchMode=yes",
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "PreferredAuthentications=publickey", "-o", "ConnectTimeout=10",
                "-o", "LogLevel=ERROR", f"{self.user}@127.0.0.1"]


@pytest.fixture
def sshd(tmp_path: Path) -> Iterator[Sshd]:
    base = tmp_path / "sshd"
    base.mkdir()
    host_key = _keygen(base / "host_ed25519")
    keys_file = base / "authorized_keys"
    user = getpass.getuser()
    if os.geteuid() == 0:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # privilege separation directory
    log = base / "sshd.log"
    proc = None
    for _attempt in range(3):  # the free port may be taken between probe and bind
        port = _free_port()
        config = base / "sshd_config"
        config.write_text(
            f"Port {port}\nListenAddress 127.0.0.1\nHostKey {host_key}\nPidFile none\n"
            f"AuthorizedKeysFile {keys_file}\nStrictModes no\nUsePAM no\n"
            "PasswordAuthentication no\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\n"
            f"PermitRootLogin prohibit-password\nAllowUsers {user}\nPrintMotd no\nPrintLastLog no\n"
            "LogLevel VERBOSE\n"
        )
        subprocess.run([SSHD, "-t", "-f", str(config)], check=True, capture_output=True)
        with open(log, "ab") as out:
            proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and proc.poll() is None:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            time.sleep(0.05)
        if proc.poll() is None:
            break
    assert proc is not None and proc.poll() is None, log.read_text()
    server = Sshd(port=port, user=user, keys_file=keys_file, log=log, proc=proc)
    try:
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass
class Tmux:
    socket: Path

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["tmux", "-S", str(self.socket), "-f", "/dev/null", *args],
                              capture_output=True, text=True, check=check, timeout=20)

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "e2e").stdout

    def wait_for(self, text: str, timeout: float = 40) -> str:
        deadline = time.monotonic() + timeout
        shown = ""
        while time.monotonic() < deadline:
            shown = self.screen()
            if text in shown:
                return shown
            time.sleep(0.25)
        raise AssertionError(f"« {text} » n'apparaît pas à l'écran :\n{shown}")


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    mux = Tmux(tmp_path / "tmux.sock")
    try:
        yield mux
    finally:
        mux.run("kill-server", check=False)


def _settings_file(db: Database, sshd: Sshd) -> Path:
    """The installation's settings file, named by the key lines. Its path, unique to the
    test, is on the command line of every `portail` process a session starts: the marker
    `pgrep -f` looks for."""
    path = sshd.keys_file.parent / "portail-e2e.env"
    if not path.exists():
        path.write_text(f"PORTAIL_DATABASE_URL={db.url}\n")
    return path


def _tested_portail(sshd: Sshd) -> str:
    """`portail` running the code under test: sshd starts sessions with an empty
    environment, where the venv's script would import whichever checkout it was
    installed from."""
    path = sshd.keys_file.parent / "portail"
    if not path.exists():
        root = Path(portail_tui.__file__).resolve().parent.parent
        path.write_text(f"#!/bin/sh\nexec env PYTHONPATH={shlex.quote(str(root))} {shlex.quote(PORTAIL)} \"$@\"\n")
        path.chmod(0o755)
    return str(path)


def _cli(db: Database, sshd: Sshd, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PORTAIL_AUTHORIZED_KEYS": str(sshd.keys_file), "COLUMNS": "200"}
    env.pop("PORTAIL_DATABASE_URL", None)
    if args[:2] == ("ssh", "authorize"):
        args = (*args, "--portail", _tested_portail(sshd))
    return subprocess.run([PORTAIL, "--config", str(_settings_file(db, sshd)), "--db", db.url,
                           "--today", TODAY, *args], env=env, capture_output=True, text=True, timeout=60)


def _left_running(marker: str, timeout: float = 8) -> list[str]:
    """The processes whose command line holds `marker`, once `timeout` has passed
    without them all being gone."""
    deadline = time.monotonic() + timeout
    while True:
        found = subprocess.run(["pgrep", "-a", "-f", "--", marker], capture_output=True, text=True)
        lines = [ln for ln in found.stdout.splitlines() if "pgrep" not in ln]
        if not lines or time.monotonic() > deadline:
            return lines
        time.sleep(0.2)


def _full_name(db: Database, login: str) -> str:
    from sqlalchemy import select

    return db.read(lambda s: s.execute(select(Agent.full_name).where(Agent.login == login)).scalar_one())


def test_agent_key_opens_the_application_as_that_agent(
        sqlite_demo_db: Database, sshd: Sshd, tmux: Tmux, tmp_path: Path) -> None:
    key = _keygen(tmp_path / "agent_key")
    done = _cli(sqlite_demo_db, sshd, "ssh", "authorize", "agent", "--key", f"{key}.pub")
    assert done.returncode == 0, done.stderr
    assert "ajoutée pour" in done.stdout
    name = _full_name(sqlite_demo_db, "agent")

    # A command asked by the client is ignored: the forced command runs instead.
    ssh = " ".join(sshd.ssh_args(key))
    tmux.run("new-session", "-d", "-s", "e2e", "-x", "120", "-y", "40",
             f"{ssh} -tt 'id; sh'; echo FIN-SSH:$?; sleep 600")
    screen = tmux.wait_for(name)
    assert "Mot de passe" not in screen  # no password screen: the key is the proof
    assert "uid=" not in screen
    tmux.run("send-keys", "-t", "e2e", "C-q")
    screen = tmux.wait_for("FIN-SSH:")
    assert "FIN-SSH:0" in screen, screen

    # Then the key is revoked: refused by sshd itself.
    done = _cli(sqlite_demo_db, sshd, "ssh", "revoke", "agent")
    assert done.returncode == 0, done.stderr
    refused = subprocess.run([*sshd.ssh_args(key), "true"], capture_output=True, text=True, timeout=30)
    assert refused.returncode == 255
    assert "Permission denied" in refused.stderr


def test_unknown_key_is_refused(sqlite_demo_db: Database, sshd: Sshd, tmp_path: Path) -> None:
    known = _keygen(tmp_path / "known")
    stranger = _keygen(tmp_path / "stranger")
    assert _cli(sqlite_demo_db, sshd, "ssh", "authorize", "agent", "--key", f"{known}.pub").returncode == 0
    refused = subprocess.run([*sshd.ssh_args(stranger), "true"], capture_output=True, text=True, timeout=30)
    assert refused.returncode == 255
    assert "Permission denied" in refused.stderr


def test_disabled_agent_is_refused_even_with_a_valid_key(
        sqlite_demo_db: Database, sshd: Sshd, tmp_path: Path) -> None:
    key = _keygen(tmp_path / "regisseur_key")
    assert _cli(sqlite_demo_db, sshd, "ssh", "authorize", "regisseur", "--key", f"{key}.pub").returncode == 0
    sqlite_demo_db.write(lambda s: s.execute(
        update(Agent).where(Agent.login == "regisseur").values(active=False)))
    done = subprocess.run([*sshd.ssh_args(key), "-tt"], capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "désactivé" in done.stdout
    assert _full_name(sqlite_demo_db, "regisseur") not in done.stdout


def test_agent_key_opens_no_tunnel(sqlite_demo_db: Database, sshd: Sshd, tmp_path: Path) -> None:
    """`restrict`: the key gives a terminal for the application and nothing else."""
    key = _keygen(tmp_path / "k")
    assert _cli(sqlite_demo_db, sshd, "ssh", "authorize", "agent", "--key", f"{key}.pub").returncode == 0
    tunnel = subprocess.run([*sshd.ssh_args(key), "-W", f"127.0.0.1:{sshd.port}"],
                            capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert tunnel.returncode != 0
    assert "prohibited" in tunnel.stderr or "failed" in tunnel.stderr


def test_cli_refuses_bad_key_and_unknown_agent_in_one_line(
        sqlite_demo_db: Database, sshd: Sshd, tmp_path: Path) -> None:
    bad = tmp_path / "bad.pub"
    bad.write_text("n'importe quoi\n")
    done = _cli(sqlite_demo_db, sshd, "ssh", "authorize", "agent", "--key", str(bad))
    assert done.returncode == 1
    assert done.stderr.strip().count("\n") == 0 and "clé publique" in done.stderr
    key = _keygen(tmp_path / "k")
    done = _cli(sqlite_demo_db, sshd, "ssh", "authorize", "personne", "--key", f"{key}.pub")
    assert done.returncode == 1 and "Agent inconnu" in done.stderr
    assert not sshd.keys_file.exists()


def test_as_agent_outside_ssh_is_refused(sqlite_demo_db: Database, sshd: Sshd) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SSH_")}
    done = subprocess.run([PORTAIL, "--db", sqlite_demo_db.url, "tui", "--as-agent", "admin"],
                          capture_output=True, text=True, timeout=60, env=env,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 1
    assert "connexion SSH" in done.stderr


# --- no terminal, no process left (issue 12) ------------------------------------------

@pytest.mark.parametrize("how", ["commande", "sans-terminal", "scp"])
def test_a_connection_without_terminal_is_refused_at_once(
        sqlite_demo_db: Database, sshd: Sshd, tmp_path: Path, how: str) -> None:
    """`ssh host cmd`, `ssh -T host` and `scp -O` used to start the application headless,
    left running at full CPU after the client went away."""
    key = _keygen(tmp_path / "k")
    assert _cli(sqlite_demo_db, sshd, "ssh", "authorize", "agent", "--key", f"{key}.pub").returncode == 0
    marker = str(_settings_file(sqlite_demo_db, sshd))
    args = sshd.ssh_args(key)
    if how == "commande":
        argv = [*args, "id"]
    elif how == "sans-terminal":
        argv = [*args[:1], "-T", *args[1:]]
    else:
        (tmp_path / "f.txt").write_text("x")
        options = [a for a in args[1:-1] if a not in ("-p", str(sshd.port))]
        argv = ["scp", "-O", "-P", str(sshd.port), *options, str(tmp_path / "f.txt"),
                f"{sshd.user}@127.0.0.1:{tmp_path / 'copie.txt'}"]
    started = time.monotonic()
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode != 0
    assert time.monotonic() - started < 20
    refusal = [ln for ln in done.stderr.splitlines() if "Pas de terminal" in ln]
    assert len(refusal) == 1, done.stderr
    if how == "commande":
        assert "« id » est refusée" in refusal[0]
    assert "uid=" not in done.stdout
    assert not (tmp_path / "copie.txt").exists()
    assert _left_running(marker) == []


@pytest.mark.parametrize("drop", ["client-tue", "tmux-ferme"])
def test_a_dropped_client_leaves_no_process(
        sqlite_demo_db: Database, sshd: Sshd, tmux: Tmux, tmp_path: Path, drop: str) -> None:
    key = _keygen(tmp_path / "k")
    assert _cli(sqlite_demo_db, sshd, "ssh", "authorize", "agent", "--key", f"{key}.pub").returncode == 0
    marker = str(_settings_file(sqlite_demo_db, sshd))
    ssh = " ".join(sshd.ssh_args(key))
    tmux.run("new-session", "-d", "-s", "e2e", "-x", "120", "-y", "40", f"exec {ssh} -tt")
    tmux.wait_for(_full_name(sqlite_demo_db, "agent"))
    assert _left_running(marker, timeout=0), "the session's process should be running"
    if drop == "client-tue":
        client = int(tmux.run("display-message", "-p", "-t", "e2e", "#{pane_pid}").stdout.strip())
        os.kill(client, signal.SIGKILL)
    else:
        tmux.run("kill-server")
    assert _left_running(marker) == []


def test_a_local_session_ends_with_its_terminal(sqlite_demo_db: Database, sshd: Sshd, tmux: Tmux) -> None:
    """The same without SSH: the tmux window of a local `portail` closed."""
    marker = str(_settings_file(sqlite_demo_db, sshd))
    env = "env -u SSH_CONNECTION -u PORTAIL_DATABASE_URL TERM=xterm-256color"
    tmux.run("new-session", "-d", "-s", "e2e", "-x", "120", "-y", "40",
             f"exec {env} {_tested_portail(sshd)} --config {marker} tui")
    tmux.wait_for("Mot de passe")
    assert _left_running(marker, timeout=0)
    tmux.run("kill-server")
    assert _left_running(marker) == []
