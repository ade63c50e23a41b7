"""The application's terminal: refuse to start without one, and leave when it goes away.

Started without a terminal (`ssh host cmd`, `ssh -T`, `scp`, a pipe, cron) Textual runs
headless and never notices its client left: its input thread reads end-of-file forever
(Textual 8 loops on an empty read), one core at 100 % per forgotten connection. And
when a terminal does go away (the SSH client killed, the tmux window closed) the process
must follow it whatever the mode: SIGHUP, or a hang-up seen on standard input.
"""

from __future__ import annotations

import asyncio
import os
import select
import signal
import sys
import threading
from collections.abc import Callable, Mapping
from typing import Any

HANGUP_EXIT = 129  # 128 + SIGHUP, as a shell reports a process killed by it
HANGUP_GRACE = 3.0
"""Seconds the application gets to close cleanly once its terminal is gone, before the
process ends anyway (a write to a vanished terminal may block the clean path)."""

_WEB_DRIVER = "textual.drivers.web_driver:WebDriver"


def refusal(environ: Mapping[str, str], *, stdin_tty: bool, stdout_tty: bool) -> str | None:
    """Why the application cannot start here (one French line), or None."""
    if environ.get("TEXTUAL_DRIVER") == _WEB_DRIVER:  # `portail serve`: the browser is the terminal
        return None
    if stdin_tty and stdout_tty:
        return None
    if environ.get("SSH_CONNECTION"):
        asked = " ".join((environ.get("SSH_ORIGINAL_COMMAND") or "").split())
        if asked:
            shown = asked if len(asked) <= 40 else asked[:39] + "…"
            return (f"Pas de terminal : cet accès n'ouvre que l'application, la commande « {shown} »"
                    " est refusée (connectez-vous par « ssh -t serveur », sans commande).")
        return ("Pas de terminal : l'application a besoin d'un terminal interactif"
                " (connectez-vous par « ssh -t serveur », sans -T).")
    return ("Pas de terminal : l'application se lance dans un terminal interactif,"
            " pas dans un tube ni une tâche planifiée.")


def refusal_here() -> str | None:
    return refusal(os.environ, stdin_tty=_isatty(sys.stdin), stdout_tty=_isatty(sys.stdout))


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream is not None and stream.isatty())
    except (ValueError, OSError):  # closed
        return False


class HangupGuard:
    """Ends the application when its terminal goes away: asks it to exit, and ends the
    process after HANGUP_GRACE seconds if that does not happen."""

    def __init__(self, exit_app: Callable[[], None], *, grace: float = HANGUP_GRACE) -> None:
        self._exit_app = exit_app
        self._grace = grace
        self._armed = threading.Lock()
        self._fired = False

    def install(self) -> None:
        """SIGHUP handler, and a thread that waits for a hang-up on standard input (a
        pipe whose writer left, a terminal whose other end closed): poll() with no event
        asked reports only those, so the thread costs nothing until then. Call it from
        the main thread, before the application runs."""
        signal.signal(signal.SIGHUP, self._on_signal)
        try:
            fd = sys.stdin.fileno()
        except (AttributeError, ValueError, OSError):
            return
        threading.Thread(target=self._watch, args=(fd,), name="portail-hangup", daemon=True).start()

    def _watch(self, fd: int) -> None:
        poller = select.poll()
        poller.register(fd, 0)
        while True:
            events = poller.poll()
            if any(mask & (select.POLLHUP | select.POLLERR | select.POLLNVAL) for _fd, mask in events):
                break
        self._arm()
        # The rest happens in the main thread, where the event loop runs.
        os.kill(os.getpid(), signal.SIGHUP)

    def _arm(self) -> None:
        """Start the countdown to the forced end, once."""
        with self._armed:
            if self._fired:
                return
            self._fired = True
        timer = threading.Timer(self._grace, os._exit, args=(HANGUP_EXIT,))
        timer.daemon = True
        timer.start()

    def _on_signal(self, _signum: int, _frame: object) -> None:
        self._arm()
        try:
            loop = asyncio.get_running_loop()  # the handler runs in the loop's thread
        except RuntimeError:  # before or after the application: nothing to close cleanly
            os._exit(HANGUP_EXIT)
        loop.call_soon_threadsafe(self._exit_app)
