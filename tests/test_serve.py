"""`portail serve`: the page is served on loopback, a browser session (WebSocket)
starts the application on the login screen, and logging in shows the agent."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from portail_tui.cli.web import is_loopback, served_command
from portail_tui.db import Database
from portail_tui.widgets.download import offer_download
from tests.support.serve import running_server, screen_until

pytestmark = pytest.mark.slow


@pytest.fixture
def server(sqlite_demo_db: Database, tmp_path: Path) -> Iterator[int]:
    with running_server(sqlite_demo_db.url, tmp_path / "serve.log") as port:
        yield port


async def test_page_is_served_and_a_session_starts_on_the_login_screen(server: int) -> None:
    base = f"http://127.0.0.1:{server}"
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/") as page:
            assert page.status == 200
            html = await page.text()
        assert f"ws://127.0.0.1:{server}/ws" in html
        assert "Portail Familles" in html
        async with http.ws_connect(f"{base}/ws?width=120&height=40", origin=base) as ws:
            seen: list[str] = []
            await ws.send_json(["resize", {"width": 120, "height": 40}])
            await screen_until(ws, "Mot de passe", seen)
            # The browser types like a keyboard: login, then password — each once the
            # application has shown it is ready for it, however slow it is today.
            await ws.send_json(["stdin", "admin"])
            await screen_until(ws, "admin", seen, since=len(seen))
            mark = len(seen)
            await ws.send_json(["stdin", "\r"])
            # Enter moves the focus to the password field — later than it repaints it
            # (Textual focuses in a callback): only the focused field's cursor blinks, so
            # the field painted again and again is the proof that the password goes there.
            await screen_until(ws, "mot de passe", seen, since=mark, times=6)
            await ws.send_json(["stdin", "admin1234\r"])
            # The header names the connected agent and role only once logged in.
            await screen_until(ws, "administrateur", seen)


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


async def test_the_browser_page_is_french(server: int) -> None:
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{server}/") as page:
        html = await page.text()
    assert '<html lang="fr">' in html
    assert ">Commencer</button>" in html and "Session terminée." in html and ">Recommencer</button>" in html
    for english in (">Start<", "Session ended", ">Restart<"):
        assert english not in html


def test_french_page_refuses_a_page_worded_otherwise() -> None:
    from portail_tui.cli.web import french_page

    with pytest.raises(ValueError, match="textual-serve page changed"):
        french_page("<html><button>Launch</button></html>")
