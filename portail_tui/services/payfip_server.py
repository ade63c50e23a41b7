"""The address PayFiP calls back (``urlcl``) with the result of a card payment: a small
threaded HTTP server that hands each notification to `payfip.handle_result` and answers
the platform in plain text. It lives beside the PayFiP service rather than in the CLI,
which only reads `portail payfip serve`'s options and starts it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from portail_tui.services.context import Context, ServiceError
from portail_tui.services.payfip import handle_result

__all__ = ["MAX_BODY", "PayfipHandler", "PayfipServer", "make_payfip_server"]

MAX_BODY = 16_384


class PayfipHandler(BaseHTTPRequestHandler):
    """GET or POST with the result fields; answers 200 when recorded (or already
    recorded), 400 with the French reason otherwise. Never a traceback to the caller."""

    server: PayfipServer
    server_version = "PortailPayFiP/1"

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        self._handle(self.path.partition("?")[2])

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._answer(413, "Requête trop grande.")
            return
        body = self.rfile.read(length).decode("utf-8", errors="replace") if length else ""
        query = self.path.partition("?")[2]
        self._handle("&".join(p for p in (query, body) if p))

    def _handle(self, query: str) -> None:
        try:
            outcome = handle_result(self.server.ctx, query)
        except ServiceError as exc:
            self.server.log(f"refusé : {exc.message}")
            self._answer(400, exc.message)
            return
        except Exception as exc:  # noqa: BLE001 - the platform must get an answer, the log the reason
            self.server.log(f"erreur : {exc}")
            self._answer(500, "Erreur interne : la notification sera rejouée.")
            return
        self.server.log(outcome.message)
        self._answer(200, "OK")

    def _answer(self, status: int, text: str) -> None:
        data = (text + "\n").encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return  # one line per notification is logged by _handle instead


class PayfipServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], ctx: Context, log: Callable[[str], None]) -> None:
        super().__init__(address, PayfipHandler)
        self.ctx = ctx
        self._log = log
        self._lock = threading.Lock()

    def log(self, line: str) -> None:
        with self._lock:
            self._log(line)


def make_payfip_server(ctx: Context, host: str = "127.0.0.1", port: int = 0, *,
                       log: Callable[[str], None]) -> PayfipServer:
    """The notification endpoint (port 0: any free port, see `server_address`); `log`
    receives one French line per notification (the CLI prints it)."""
    return PayfipServer((host, port), ctx, log)
