"""`portail serve` against the browser-mode probes of issue 13: a page of another site
cannot open sessions, sessions are capped, the server refuses to listen on the network
without TLS in front unless forced, and each session knows its browser's address."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select
from sqlmodel import col

from portail_tui.cli.web import allowed_origins, client_address, exposure_warnings
from portail_tui.config import ConfigError, Settings
from portail_tui.db import Database
from portail_tui.models import AuditLog
from tests.support.serve import PORTAIL, running_server, screen_until


def test_origins_are_the_served_address_never_the_host_header() -> None:
    assert allowed_origins("http://127.0.0.1:8000", "127.0.0.1", 8000) == {
        "http://127.0.0.1:8000", "http://localhost:8000", "http://[::1]:8000"}
    assert allowed_origins("https://guichet.mairie.example", "127.0.0.1", 8000) == {
        "https://guichet.mairie.example", "http://127.0.0.1:8000", "http://localhost:8000",
        "http://[::1]:8000"}
    assert allowed_origins("https://guichet.mairie.example/", "10.0.0.5", 8000) == {
        "https://guichet.mairie.example"}
    assert allowed_origins("http://::1:8000", "::1", 8000) == {
        "http://127.0.0.1:8000", "http://localhost:8000", "http://[::1]:8000"}


def test_forwarded_for_is_believed_only_from_the_configured_proxy() -> None:
    assert client_address("127.0.0.1", None, None) == "127.0.0.1"
    assert client_address("198.51.100.4", "203.0.113.9", None) == "198.51.100.4"
    assert client_address("198.51.100.4", "203.0.113.9", "127.0.0.1") == "198.51.100.4"
    # The proxy appends what it saw; what comes before is the client's own claim.
    assert client_address("127.0.0.1", "6.6.6.6, 203.0.113.9", "127.0.0.1") == "203.0.113.9"
    assert client_address(None, None, None) == "adresse inconnue"


def test_network_host_needs_tls_in_front_or_force() -> None:
    assert exposure_warnings("127.0.0.1", 8000, None, force=False) == []
    with pytest.raises(ConfigError, match="--force-hote-public"):
        exposure_warnings("0.0.0.0", 8000, None, force=False)
    with pytest.raises(ConfigError):
        exposure_warnings("10.0.0.5", 8000, "http://10.0.0.5:8000", force=False)
    forced = exposure_warnings("0.0.0.0", 8000, None, force=True)
    assert any("en clair" in w for w in forced)
    behind = exposure_warnings("0.0.0.0", 8000, "https://guichet.mairie.example", force=False)
    assert len(behind) == 1 and "--url-publique ne masque rien" in behind[0]


def test_settings_for_sessions() -> None:
    settings = Settings.from_env({"PORTAIL_SESSIONS_NAVIGATEUR_MAX": "3", "PORTAIL_VERROUILLAGE_MINUTES": "0",
                                  "PORTAIL_PROXY_DE_CONFIANCE": "127.0.0.1"})
    assert (settings.serve_max_sessions, settings.idle_lock_minutes, settings.trusted_proxy) == (3, 0, "127.0.0.1")
    assert (Settings.from_env({}).serve_max_sessions, Settings.from_env({}).idle_lock_minutes) == (8, 15)
    with pytest.raises(ConfigError, match="PORTAIL_SESSIONS_NAVIGATEUR_MAX"):
        Settings.from_env({"PORTAIL_SESSIONS_NAVIGATEUR_MAX": "0"})
    with pytest.raises(ConfigError, match="PORTAIL_VERROUILLAGE_MINUTES"):
        Settings.from_env({"PORTAIL_VERROUILLAGE_MINUTES": "bientôt"})


@pytest.mark.slow
def test_serve_refuses_a_network_host_without_force(sqlite_demo_db: Database) -> None:
    done = subprocess.run([PORTAIL, "--db", sqlite_demo_db.url, "serve", "--host", "0.0.0.0", "--port", "1"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "--force-hote-public" in done.stdout + done.stderr


@pytest.mark.slow
async def test_foreign_origin_refused_same_origin_accepted_and_sessions_capped(
        sqlite_demo_db: Database, tmp_path: Path) -> None:
    with running_server(sqlite_demo_db.url, tmp_path / "serve.log",
                        env={"PORTAIL_SESSIONS_NAVIGATEUR_MAX": "1"}) as port:
        base = f"http://127.0.0.1:{port}"
        url = f"{base}/ws?width=100&height=30"
        async with aiohttp.ClientSession() as http:
            for origin in ("http://evil.example", f"http://127.0.0.1:{port + 1}", "http://a:99999", "null", None):
                with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                    async with http.ws_connect(url, origin=origin):
                        pass
                assert refused.value.status == 403
            async with http.ws_connect(url, origin=base) as first:
                seen: list[str] = []
                await screen_until(first, "Mot de passe", seen)
                async with http.ws_connect(url, origin=f"http://localhost:{port}") as second:
                    text = await screen_until(second, "Trop de sessions", [])
                    assert "(1)" in text
                    msg = await second.receive(timeout=10)
                    assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
            # The first session closed: its place is free again once its process ended.
            for _ in range(100):
                if await _session_opens(http, url, base):
                    break
                await asyncio.sleep(0.2)
            else:
                raise AssertionError("la place de la session fermée n'est pas libérée")


async def _session_opens(http: aiohttp.ClientSession, url: str, origin: str) -> bool:
    """A session reaching the login screen (False: the server turned it away)."""
    async with http.ws_connect(url, origin=origin) as ws:
        first = await ws.receive(timeout=20)
        assert first.type == aiohttp.WSMsgType.BINARY
        if b"Trop de sessions" in first.data:
            return False
        await screen_until(ws, "Mot de passe", [first.data.decode("utf-8", "replace")])
        return True


def _failed_sources(db: Database) -> list[str]:
    rows = db.read(lambda s: list(s.execute(
        select(AuditLog).where(col(AuditLog.action) == "agent.login_failed")).scalars()))
    return [json.loads(r.details)["source"] for r in rows]


@pytest.mark.slow
@pytest.mark.parametrize(("env", "headers", "expected"), [
    ({}, {"X-Forwarded-For": "203.0.113.9"}, "navigateur 127.0.0.1"),
    ({"PORTAIL_PROXY_DE_CONFIANCE": "127.0.0.1"}, {"X-Forwarded-For": "203.0.113.9"}, "navigateur 203.0.113.9"),
])
async def test_the_browser_address_reaches_the_audit(sqlite_demo_db: Database, tmp_path: Path,
                                                     env: dict[str, str], headers: dict[str, str],
                                                     expected: str) -> None:
    with running_server(sqlite_demo_db.url, tmp_path / "serve.log", env=env) as port:
        base = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as http, \
                http.ws_connect(f"{base}/ws?width=120&height=40", origin=base, headers=headers) as ws:
            seen: list[str] = []
            await ws.send_json(["resize", {"width": 120, "height": 40}])
            await screen_until(ws, "Mot de passe", seen)
            await ws.send_json(["stdin", "admin\r"])
            await asyncio.sleep(0.5)
            await ws.send_json(["stdin", "pas-le-bon\r"])
            await screen_until(ws, "Identifiant ou mot de passe incorrect", seen)
    assert _failed_sources(sqlite_demo_db) == [expected]
