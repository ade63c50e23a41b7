"""`portail serve`: the page is served on loopback, a browser session (WebSocket)
starts the application on the login screen, and logging in shows the agent."""

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
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from portail_tui.cli.web import is_loopback, served_command
from portail_tui.db import Database
from portail_tui.widgets.download import offer_download

pytestmark = pytest.mark.slow

PORTAIL = str(Path(sys.executable).parent / "portail")
ANSI = re.compile(r"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>]|\x1b\][^\x07]*\x07")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(sqlite_demo_db: Database, tmp_path: Path) -> Iterator[int]:
    port = _free_port()
    log = open(tmp_path / "serve.log", "wb")  # noqa: SIM115 - closed below
    env = {**os.environ, "COLUMNS": "200", "SSH_CONNECTION": "192.0.2.1 1 192.0.2.2 22"}
    proc = subprocess.Popen([PORTAIL, "--db", sqlite_demo_db.url, "--today", "2026-11-28", "serve",
                             "--port", str(port)], stdout=log, stderr=subprocess.STDOUT, env=env,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
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


async def _screen_until(ws: aiohttp.ClientWebSocketResponse, wanted: str, seen: list[str],
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


async def test_page_is_served_and_a_session_starts_on_the_login_screen(server: int) -> None:
    base = f"http://127.0.0.1:{server}"
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/") as page:
            assert page.status == 200
            html = await page.text()
        assert f"ws://127.0.0.1:{server}/ws" in html
        assert "Portail Familles" in html
        async with http.ws_connect(f"{base}/ws?width=120&height=40") as ws:
            seen: list[str] = []
            await ws.send_json(["resize", {"width": 120, "height": 40}])
            await _screen_until(ws, "Mot de passe", seen)
            # The browser types like a keyboard: login, then password — each once the
            # application has shown it is ready for it, however slow it is today.
            await ws.send_json(["stdin", "admin"])
            await _screen_until(ws, "admin", seen, since=len(seen))
            mark = len(seen)
            await ws.send_json(["stdin", "\r"])
            # Enter moves the focus to the password field — later than it repaints it
            # (Textual focuses in a callback): only the focused field's cursor blinks, so
            # the field painted again and again is the proof that the password goes there.
            await _screen_until(ws, "mot de passe", seen, since=mark, times=6)
            await ws.send_json(["stdin", "admin1234\r"])
            # The header names the connected agent and role only once logged in.
            await _screen_until(ws, "administrateur", seen)


def test_served_command_never_names_an_agent() -> None:
    assert served_command("/srv/portail/.venv/bin/portail") == "exec /srv/portail/.venv/bin/portail tui"
    assert "--as-agent" not in served_command("/x y/portail")
    assert served_command("/x y/portail") == "exec '/x y/portail' tui"


def test_loopback_detection() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("10.0.0.5") and not is_loopback("mairie.local")


def test_offer_download_only_in_a_browser(tmp_path: Path) -> None:
    delivered: list[Path] = []

    class FakeApp:
        def __init__(self, web: bool) -> None:
            self.is_web = web

        def deliver_binary(self, path: Path, *, open_method: str) -> None:
            assert open_method == "download"
            delivered.append(path)

    export = tmp_path / "releve.pdf"
    export.write_bytes(b"%PDF")
    assert offer_download(FakeApp(web=False), export) is False and delivered == []
    assert offer_download(FakeApp(web=True), export) is True and delivered == [export]
