"""`portail serve` started for real on loopback, and a reader of the terminal stream a
browser session receives (tests/test_serve*.py)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import aiohttp

PORTAIL = str(Path(sys.executable).parent / "portail")
ANSI = re.compile(r"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>]|\x1b\][^\x07]*\x07")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running_server(db_url: str, log_path: Path, *, env: Mapping[str, str] | None = None,
                   args: tuple[str, ...] = ()) -> Iterator[int]:
    """Start `portail serve` on a free loopback port; yields the port once it listens."""
    port = free_port()
    log = open(log_path, "wb")  # noqa: SIM115 - closed below
    full_env = {**os.environ, "COLUMNS": "200", "SSH_CONNECTION": "192.0.2.1 1 192.0.2.2 22", **(env or {})}
    proc = subprocess.Popen([PORTAIL, "--db", db_url, "--today", "2026-11-28", "serve",
                             "--port", str(port), *args], stdout=log, stderr=subprocess.STDOUT, env=full_env,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert proc.poll() is None, log_path.read_text()
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            time.sleep(0.1)
        yield port
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


# A loaded machine (the whole suite on two cores) makes the application slow, never wrong:
# every step waits for what it needs to see, up to this long.
PATIENCE = 180.0


async def screen_until(ws: aiohttp.ClientWebSocketResponse, wanted: str, seen: list[str],
                       timeout: float = PATIENCE, since: int = 0, times: int = 1) -> str:
    """Read the terminal stream until `wanted` has been painted `times` times (escapes
    removed) from message `since` on."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        try:
            msg = await asyncio.wait_for(ws.receive(), timeout=max(0.1, deadline - loop.time()))
        except TimeoutError:
            break
        if msg.type == aiohttp.WSMsgType.BINARY:
            seen.append(msg.data.decode("utf-8", "replace"))
        elif msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
            break
        text = ANSI.sub("", "".join(seen[since:]))
        if text.count(wanted) >= times:
            return text
    raise AssertionError(f"« {wanted} » absent de l'écran : {ANSI.sub('', ''.join(seen))[-2000:]!r}")
