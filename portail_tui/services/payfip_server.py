"""The address the DGFiP notifies (``urlnotif``) and the family's browser comes back to
(``urlredirect``): a small threaded HTTP server that reads the operation id of each call
and has `payfip.handle_result` ask the DGFiP for the verdict. It lives beside the PayFiP
service rather than in the CLI, which only reads `portail payfip serve`'s options.

It is reachable from outside, so it believes nothing it is sent and bounds everything:
a body of at most MAX_BODY bytes with a valid Content-Length (400 otherwise, never a
read of what was not announced), TIMEOUT seconds for a client to send its request, and
one log line per request (time, client address, operation, status, verdict)."""

from __future__ import annotations

import ipaddress
import re
import threading
from collections.abc import Callable
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from portail_tui.services.context import Context, ServiceError
from portail_tui.services.payfip import handle_result, notified_key
from portail_tui.services.payfip_ws import PayfipUnavailable

__all__ = ["MAX_BODY", "TIMEOUT", "PayfipHandler", "PayfipServer", "check_port", "exposure_warning",
           "make_payfip_server"]

MAX_BODY = 8_192  # a notification is one field; a form with every field is well under 1 KiB
TIMEOUT = 10.0  # seconds: a slow or silent client is cut off, its thread freed
_LENGTH_RE = re.compile(r"[0-9]{1,18}")
_SAFE_RE = re.compile(r"[^A-Za-z0-9._:-]")


def _clean(text: str, limit: int = 64) -> str:
    """What a caller sent, made safe for one log line (no spaces, no control characters)."""
    return _SAFE_RE.sub("?", text[:limit]) or "-"


class PayfipHandler(BaseHTTPRequestHandler):
    """GET or POST with the operation id; answers 200 when the DGFiP's verdict is
    recorded (or already was), 202 when the DGFiP does not know it yet, 503 when the
    DGFiP cannot be asked (asked again later), 400 with the French reason otherwise.
    Never a traceback to the caller."""

    server: PayfipServer
    server_version = "PortailPayFiP/1"
    default_request_version = "HTTP/1.0"  # http.server's own refusals get a status line too

    def setup(self) -> None:
        self._logged = False
        super().setup()
        self.connection.settimeout(self.server.timeout_seconds)

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        self._handle(self.path.partition("?")[2])

    def do_POST(self) -> None:  # noqa: N802
        body = self._read_body()
        if body is not None:
            query = self.path.partition("?")[2]
            self._handle("&".join(p for p in (query, body) if p))

    def _read_body(self) -> str | None:
        """The announced body, or None once refused: no length read beyond MAX_BODY,
        no chunked body, a length that is not a plain number is a 400."""
        if self.headers.get("Transfer-Encoding"):
            self._finish(400, "Transfer-Encoding refusé : indiquez Content-Length.", "corps sans longueur")
            return None
        values = self.headers.get_all("Content-Length") or []
        if not values:
            return ""
        raw = values[0].strip()
        if len(values) > 1 or not _LENGTH_RE.fullmatch(raw):
            self._finish(400, "Content-Length invalide.", f"Content-Length invalide : {_clean(raw, 20)}")
            return None
        length = int(raw)
        if length > MAX_BODY:
            self._finish(413, "Requête trop grande.", f"corps de {length} octets refusé")
            return None
        data = self.rfile.read(length) if length else b""
        if len(data) < length:
            self._finish(400, "Corps incomplet.", f"corps incomplet ({len(data)}/{length} octets)")
            return None
        return data.decode("utf-8", errors="replace")

    def _handle(self, query: str) -> None:
        key = notified_key(query)
        try:
            outcome = handle_result(self.server.ctx, query)
        except PayfipUnavailable as exc:
            self._finish(503, "Résultat non vérifié : il le sera plus tard.",
                         f"non vérifié, à reprendre : {exc.message}", key)
            return
        except ServiceError as exc:
            self._finish(400, exc.message, f"refusé : {exc.message}", key)
            return
        except Exception as exc:  # noqa: BLE001 - the caller must get an answer, the log the reason
            self._finish(500, "Erreur interne : la notification sera revérifiée.",
                         f"erreur : {type(exc).__name__} : {exc}", key)
            return
        status = 202 if outcome.status == "pending" else 200
        self._finish(status, "OK", outcome.message, outcome.reference)

    def _finish(self, status: int, text: str, verdict: str, key: str = "") -> None:
        self._log(status, verdict, key)
        data = (text + "\n").encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)
        self.close_connection = True

    def _log(self, status: int | str, verdict: str, key: str = "") -> None:
        if self._logged:
            return
        self._logged = True
        when = datetime.now().astimezone().isoformat(timespec="seconds")
        method = _clean(getattr(self, "command", None) or "-", 8)
        self.server.log(f"{when} {self.client_address[0]} {method} {_clean(key)} {status} {verdict}")

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return  # _finish logs the request with its verdict

    def log_error(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        # http.server's own refusals (bad request line, headers too long, unknown
        # method) and timeouts: still one line with time and address.
        self._log("-", f"refusé : {format % args}")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        self._log("-", format % args)


class PayfipServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], ctx: Context, log: Callable[[str], None],
                 timeout_seconds: float = TIMEOUT) -> None:
        super().__init__(address, PayfipHandler)
        self.ctx = ctx
        self.timeout_seconds = timeout_seconds
        self._log = log
        self._lock = threading.Lock()

    def log(self, line: str) -> None:
        with self._lock:
            self._log(line)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A connection that broke (reset, timeout while answering): one line, no traceback."""
        when = datetime.now().astimezone().isoformat(timespec="seconds")
        host = client_address[0] if isinstance(client_address, tuple) and client_address else "-"
        self.log(f"{when} {host} - - - connexion interrompue")


def check_port(port: int) -> int:
    """A listening port, or a French refusal (not an OverflowError from bind)."""
    if not isinstance(port, int) or not 1 <= port <= 65535:
        raise ServiceError(f"Port invalide : {port} (un nombre de 1 à 65535).", field="port")
    return port


def exposure_warning(host: str) -> str | None:
    """A French warning when the endpoint listens beyond this machine: it should sit
    behind the town hall's reverse proxy (TLS, reachable by the DGFiP only)."""
    if host.strip().lower() == "localhost":
        return None
    try:
        if ipaddress.ip_address(host.strip("[]")).is_loopback:
            return None
    except ValueError:
        pass
    return (f"Attention : écoute sur {host}, joignable depuis le réseau. Placez ce service derrière le "
            "mandataire inverse (proxy HTTPS) de la mairie et écoutez sur 127.0.0.1.")


def make_payfip_server(ctx: Context, host: str = "127.0.0.1", port: int = 0, *,
                       log: Callable[[str], None], timeout_seconds: float = TIMEOUT) -> PayfipServer:
    """The notification endpoint (port 0: any free port, see `server_address`); `log`
    receives one line per request (the CLI prints it)."""
    return PayfipServer((host, check_port(port) if port else 0), ctx, log, timeout_seconds)
