"""The application's terminal (issue 12): `portail tui` refuses to start without one, in
one French line and at once, and a running application leaves when its terminal goes
away — SIGHUP, or a hang-up on standard input even when SIGHUP never arrives (Textual's
input thread would otherwise read end-of-file in a loop, one core at 100 %, forever)."""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import portail_tui
from portail_tui.cli.terminal import HANGUP_EXIT, refusal
from portail_tui.db import Database

PORTAIL = str(Path(sys.executable).parent / "portail")
ROOT = str(Path(portail_tui.__file__).resolve().parent.parent)


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SSH_", "PORTAIL_"))}
    return {**env, "PYTHONPATH": ROOT, **extra}


def test_refusal_says_why_in_one_line() -> None:
    assert refusal({}, stdin_tty=True, stdout_tty=True) is None
    assert refusal({"TEXTUAL_DRIVER": "textual.drivers.web_driver:WebDriver"},
                   stdin_tty=False, stdout_tty=False) is None  # `portail serve`
    local = refusal({}, stdin_tty=False, stdout_tty=True)
    ssh_t = refusal({"SSH_CONNECTION": "1 2 3 4"}, stdin_tty=True, stdout_tty=False)
    scp = refusal({"SSH_CONNECTION": "1 2 3 4", "SSH_ORIGINAL_COMMAND": "scp -t /tmp/x"},
                  stdin_tty=False, stdout_tty=False)
    assert local and "tube" in local
    assert ssh_t and "ssh -t" in ssh_t
    assert scp and "« scp -t /tmp/x » est refusée" in scp
    for line in (local, ssh_t, scp):
        assert "\n" not in line and line.startswith("Pas de terminal")


def test_tui_without_terminal_stops_at_once_and_touches_nothing(tmp_path: Path) -> None:
    db = tmp_path / "jamais.db"
    started = time.monotonic()
    done = subprocess.run([PORTAIL, "--db", f"sqlite:///{db}", "tui"], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=60, env=_env(COLUMNS="300"))
    assert done.returncode == 1
    assert done.stderr.strip().count("\n") == 0 and "Pas de terminal" in done.stderr
    assert time.monotonic() - started < 20 and not db.exists()


GUARD = textwrap.dedent("""
    import asyncio, sys
    from portail_tui.cli.terminal import HangupGuard

    async def main(stuck):
        done = asyncio.Event()
        HangupGuard((lambda: None) if stuck else done.set, grace=1.0).install()
        print("prêt", flush=True)
        await done.wait()
        print("sortie propre", flush=True)

    asyncio.run(main(sys.argv[1] == "bloquée"))
""")


@pytest.mark.parametrize(("app_state", "code", "said"), [("répond", 0, "sortie propre"),
                                                         ("bloquée", HANGUP_EXIT, "")])
def test_a_closed_standard_input_ends_the_application(app_state: str, code: int, said: str) -> None:
    proc = subprocess.Popen([sys.executable, "-c", GUARD, app_state], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env=_env())
    assert proc.stdout is not None and proc.stdin is not None
    assert proc.stdout.readline().strip() == "prêt"
    proc.stdin.close()  # the client went away
    try:
        assert proc.wait(timeout=10) == code
    finally:
        proc.kill()
    assert proc.stdout.read().strip() == said


def test_the_application_leaves_a_hung_up_terminal_even_without_sighup(sqlite_demo_db: Database) -> None:
    """The real application on a terminal that closes, SIGHUP ignored (nohup, or a
    process that is not the terminal's session leader): it still leaves."""
    pid, master = pty.fork()
    if pid == 0:  # the child: the application on the pty's other end
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        os.execve(PORTAIL, [PORTAIL, "--db", sqlite_demo_db.url, "tui"],
                  _env(TERM="xterm-256color", TEXTUAL_ANIMATIONS="none"))
    ended = 0
    try:
        shown = b""
        deadline = time.monotonic() + 40
        while b"Mot de passe" not in shown and time.monotonic() < deadline:
            try:
                shown += os.read(master, 65536)
            except OSError:
                break
        assert b"Mot de passe" in shown, shown[-2000:]
        os.close(master)  # the terminal goes away
        deadline = time.monotonic() + 10
        while not ended and time.monotonic() < deadline:
            ended, _status = os.waitpid(pid, os.WNOHANG)
            time.sleep(0.1)
        assert ended == pid, "the application kept running on a hung-up terminal"
    finally:
        if not ended:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
