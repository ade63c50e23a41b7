"""Browser access (`portail serve`): the same application, one process per browser tab,
through textual-serve. Every tab starts on the login screen — the served command is
fixed here and never names an agent.

textual-serve speaks plain HTTP and WebSocket: on anything but the machine itself, put
it behind a TLS reverse proxy and give the public https address with --url-publique
(docs/OPERATIONS.md), or passwords travel in clear.

What a screen calls to hand a file to the browser is `portail_tui.widgets.download`.

Why the server is a subclass of textual-serve's (issue 13): textual-serve accepts a
WebSocket from any page (a page on another site could open sessions in the agent's
browser), starts a process for every one (about 60 MB each, without limit) and gives
them all the same environment. `PortailServer` checks the Origin against the address
it serves, caps the sessions it runs at once, and tells each process its browser's
address (PORTAIL_CLIENT_ADDRESS), which the login throttle and the audit use.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from portail_tui.config import ConfigError, Settings, is_loopback

if TYPE_CHECKING:
    from aiohttp import web

__all__ = ["CLIENT_ADDRESS_ENV", "SESSIONS_FULL", "TITLE", "allowed_origins", "client_address",
           "exposure_warnings", "french_page", "is_loopback", "make_server", "prepare_environment", "served_command"]

log = logging.getLogger("textual-serve")

TITLE = "Portail Familles — guichet"
# The served app must not believe it runs in an SSH session because `portail serve`
# itself was started from one.
_DROPPED = ("SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY", "SSH_AUTH_SOCK", "SSH_ORIGINAL_COMMAND",
            "PORTAIL_CLIENT_ADDRESS")
CLIENT_ADDRESS_ENV = "PORTAIL_CLIENT_ADDRESS"
SESSIONS_FULL = ("Trop de sessions ouvertes sur ce serveur ({max}). Fermez un onglet inutilisé"
                 " ou réessayez dans quelques minutes.")


def served_command(portail: str) -> str:
    """The shell command textual-serve starts for each browser tab."""
    return f"exec {shlex.quote(portail)} tui"


def prepare_environment(settings_env: Mapping[str, str]) -> None:
    """Settings reach the served processes through the environment (not the command
    line, where a database password would show in `ps`)."""
    for name in _DROPPED:
        os.environ.pop(name, None)
    os.environ.update(settings_env)
    os.environ.setdefault("LANG", "C.UTF-8")


# The words of textual-serve's page (templates/app_index.html), in French. Each must be
# found in the page: a textual-serve that words it otherwise fails `french_page` (and
# its test) instead of showing English again.
PAGE_WORDS = (
    ("<html>", '<html lang="fr">'),
    ('id="start">Start</button>', 'id="start">Commencer</button>'),
    ('<div class="message">Session ended.</div>', '<div class="message">Session terminée.</div>'),
    ('onClick="refresh()">Restart</button>', 'onClick="refresh()">Recommencer</button>'),
    ("'Textual Application'", "'Portail Familles'"),
)
PAGE = "app_index.html"


def french_page(template: str) -> str:
    for english, french in PAGE_WORDS:
        if english not in template:
            raise ValueError(f"textual-serve page changed: {english!r} not found")
        template = template.replace(english, french)
    return template


def exposure_warnings(host: str, port: int, public_url: str | None, *, force: bool) -> list[str]:
    """Refuse (ConfigError) to listen beyond the machine without TLS in front, unless
    forced; the warnings to print otherwise. --url-publique only changes the address
    the page names: the plain HTTP port stays open to whoever reaches the host."""
    if is_loopback(host):
        return []
    https = (public_url or "").startswith("https://")
    if not https and not force:
        raise ConfigError(f"Refusé : --host {host} sert l'application en HTTP sans chiffrement sur le"
                          " réseau (mots de passe en clair). Écoutez sur 127.0.0.1 derrière un proxy"
                          " https avec --url-publique https://…, ou forcez avec --force-hote-public"
                          " (voir docs/OPERATIONS.md).")
    warnings = [f"--url-publique ne masque rien : le port HTTP {host}:{port} reste joignable en clair"
                " par quiconque atteint cette machine. Préférez --host 127.0.0.1 derrière le proxy,"
                " ou filtrez ce port pour que seul le proxy l'atteigne."]
    if not https:
        warnings.insert(0, "HTTP sans chiffrement sur le réseau (forcé) — les mots de passe circulent"
                           " en clair.")
    return warnings


def _origin(url: str) -> str | None:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    default = 443 if parts.scheme == "https" else 80
    try:
        port = parts.port or default
    except ValueError:  # a port out of range: no page has that origin
        return None
    return f"{parts.scheme}://{host}" + ("" if port == default else f":{port}")


def allowed_origins(public_url: str, host: str, port: int) -> frozenset[str]:
    """The pages allowed to open a session: the one this server serves (its public
    address), and on loopback the machine's own names for it. Never the request's Host
    header, which a DNS-rebinding page controls."""
    origins = {_origin(public_url)}
    if is_loopback(host):
        origins |= {_origin(f"http://{name}:{port}") for name in ("127.0.0.1", "localhost", "[::1]")}
    return frozenset(o for o in origins if o)


def client_address(remote: str | None, forwarded_for: str | None, trusted_proxy: str | None) -> str:
    """The browser's address: the peer's, or — only when the peer is the configured
    proxy — the last address that proxy appended to X-Forwarded-For (earlier ones are
    whatever the client claimed)."""
    address = (remote or "").strip()
    if trusted_proxy and address == trusted_proxy and forwarded_for:
        last = forwarded_for.split(",")[-1].strip()
        if last:
            address = last
    return address[:64] or "adresse inconnue"


def make_server(*, portail: str, host: str, port: int, public_url: str | None = None,
                settings: Settings | None = None) -> Any:
    from textual_serve.server import Server

    settings = settings or Settings()
    server_class = _server_class(Server)
    return server_class(served_command(portail), host=host, port=port, title=TITLE, public_url=public_url,
                        max_sessions=settings.serve_max_sessions, trusted_proxy=settings.trusted_proxy)


def _server_class(server_base: type[Any]) -> type[Any]:
    """Built on first use: textual-serve (aiohttp) is imported only by `portail serve`."""
    from aiohttp import WSCloseCode, web
    from textual_serve.app_service import AppService
    from textual_serve.server import to_int

    class SessionService(AppService):
        def __init__(self, *args: Any, client: str, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.client = client

        def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
            environment: dict[str, str] = super()._build_environment(width=width, height=height)
            environment[CLIENT_ADDRESS_ENV] = self.client
            return environment

    import aiohttp_jinja2
    import jinja2
    import textual_serve

    page = french_page((Path(textual_serve.__file__).parent / "templates" / PAGE).read_text(encoding="utf-8"))

    class PortailServer(server_base):
        """textual-serve with its page in French, held in memory (no template file on disk
        that a cleaner of /tmp or a redeploy could take away from a running server), the
        Origin checked, sessions capped, and each session told its browser's address."""

        def __init__(self, command: str, *, max_sessions: int, trusted_proxy: str | None,
                     **kwargs: Any) -> None:
            super().__init__(command, **kwargs)
            self.max_sessions = max_sessions
            self.trusted_proxy = trusted_proxy
            self.origins = allowed_origins(self.public_url, self.host, self.port)
            self.sessions = 0

        async def _make_app(self) -> Any:
            app = await super()._make_app()
            aiohttp_jinja2.setup(app, loader=jinja2.DictLoader({PAGE: page}))
            return app

        async def handle_websocket(self, request: web.Request) -> web.StreamResponse:
            origin = request.headers.get("Origin", "")
            if _origin(origin) not in self.origins:
                log.warning("Session refusée : origine %r (attendue : %s)", origin, ", ".join(sorted(self.origins)))
                raise web.HTTPForbidden(text="Origine refusée.")
            if self.sessions >= self.max_sessions:
                return await self._refuse_full(request)
            self.sessions += 1  # one event loop: no lock needed
            try:
                client = client_address(request.remote, request.headers.get("X-Forwarded-For"),
                                        self.trusted_proxy)
                return await self._run_session(request, client)
            finally:
                self.sessions -= 1

        async def _refuse_full(self, request: web.Request) -> web.WebSocketResponse:
            """The browser shows what the terminal receives: say why, then close."""
            websocket = web.WebSocketResponse()
            await websocket.prepare(request)
            text = SESSIONS_FULL.format(max=self.max_sessions)
            await websocket.send_bytes(f"\r\n  {text}\r\n".encode())
            await websocket.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"sessions")
            return websocket

        async def _run_session(self, request: web.Request, client: str) -> web.WebSocketResponse:
            # textual-serve 1.1.3's handle_websocket, with our AppService.
            websocket = web.WebSocketResponse(heartbeat=15)
            width = to_int(request.query.get("width", "80"), 80)
            height = to_int(request.query.get("height", "24"), 24)
            app_service: SessionService | None = None
            try:
                await websocket.prepare(request)
                app_service = SessionService(self.command, write_bytes=websocket.send_bytes,
                                             write_str=websocket.send_str, close=websocket.close,
                                             download_manager=self.download_manager, debug=self.debug,
                                             client=client)
                await app_service.start(width, height)
                await self._process_messages(websocket, app_service)
            except asyncio.CancelledError:
                await websocket.close()
            except Exception as error:
                log.exception(error)
            finally:
                if app_service is not None:
                    await app_service.stop()
            return websocket

    return PortailServer

