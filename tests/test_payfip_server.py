"""`portail payfip serve`'s endpoint under the probes of issue 13, over raw sockets on
loopback: bounded bodies, lengths that are not numbers, silent clients, one log line per
request with time, address, operation and verdict; and a forged success credits nothing."""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace

import pytest

from portail_tui.db import Database
from portail_tui.services import payfip
from portail_tui.services.context import Context
from portail_tui.services.payfip_server import (
    MAX_BODY,
    PayfipServer,
    exposure_warning,
    make_payfip_server,
)
from tests.support.dgfip import Dgfip, running_dgfip
from tests.support.payments_town import Seed, receipt_numbers, seed

LINE_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d 127\.0\.0\.1 (\S+) (\S+) (\S+) (.+)$")


@dataclass
class Endpoint:
    server: PayfipServer
    ctx: Context
    sd: Seed
    dgfip: Dgfip
    lines: list[str]

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def link(self, amount: int = 4000) -> payfip.PayfipLink:
        return payfip.request_payment(self.ctx.as_actor(self.sd.agent), self.sd.family_id, amount_cents=amount,
                                      send_email=False)

    def wait_lines(self, count: int) -> list[str]:
        deadline = time.monotonic() + 5
        while len(self.lines) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.lines


@pytest.fixture
def endpoint(sqlite_db: Database, clock, settings) -> Iterator[Endpoint]:  # type: ignore[no-untyped-def]
    standin = running_dgfip()
    dgfip = next(standin)
    sd = seed(sqlite_db)
    ctx = Context(db=sqlite_db, clock=clock, settings=replace(
        settings, payfip_url="https://portail.example.fr/payfip/retour", payfip_ws_url=dgfip.url))
    lines: list[str] = []
    server = make_payfip_server(ctx, "127.0.0.1", 0, log=lines.append, timeout_seconds=0.5)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield Endpoint(server, ctx, sd, dgfip, lines)
    finally:
        server.shutdown()
        server.server_close()
        standin.close()


def _exchange(port: int, data: bytes, *, then: bytes = b"", wait: float = 5.0) -> tuple[int | None, bytes, float]:
    """Send `data` (and `then`, best effort), read the answer until the server closes:
    (status or None when closed without one, body, seconds taken)."""
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
        sock.sendall(data)
        if then:
            with contextlib.suppress(OSError):  # the server may have answered and closed already
                sock.sendall(then)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except ConnectionResetError:
            pass
    answer = b"".join(chunks)
    elapsed = time.monotonic() - start
    if not answer:
        return None, b"", elapsed
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body, elapsed


def _post(length: str | None, body: bytes = b"", extra: str = "") -> bytes:
    head = "POST /payfip/retour HTTP/1.1\r\nHost: portail\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    if length is not None:
        head += f"Content-Length: {length}\r\n"
    return (head + extra + "\r\n").encode() + body


def test_negative_length_is_refused_without_reading(endpoint: Endpoint, capfd: pytest.CaptureFixture[str]) -> None:
    """The probe: `Content-Length: -1` read a 200 MB body and answered 200."""
    status, body, elapsed = _exchange(endpoint.port, _post("-1"), then=b"x" * 2_000_000)
    assert status == 400 and "Content-Length invalide" in body.decode() and elapsed < 3
    (line,) = endpoint.wait_lines(1)
    match = LINE_RE.match(line)
    assert match and match.group(1, 3) == ("POST", "400") and "Content-Length invalide : -1" in line
    assert "Traceback" not in capfd.readouterr().err


@pytest.mark.parametrize("length", ["abc", "1e3", "+5", " ", "99999999999999999999"])
def test_length_that_is_not_a_number_is_a_400(endpoint: Endpoint, length: str,
                                             capfd: pytest.CaptureFixture[str]) -> None:
    """The probe: `Content-Length: abc` left a traceback and no answer."""
    status, body, _ = _exchange(endpoint.port, _post(length, b"idOp=x"))
    assert status == 400 and "Content-Length invalide" in body.decode()
    assert len(endpoint.wait_lines(1)) == 1
    assert "Traceback" not in capfd.readouterr().err


def test_bodies_are_bounded(endpoint: Endpoint) -> None:
    status, body, elapsed = _exchange(endpoint.port, _post(str(10**9)), then=b"x" * 100_000)
    assert status == 413 and elapsed < 3
    status, _, _ = _exchange(endpoint.port, _post(str(MAX_BODY + 1), b"x" * (MAX_BODY + 1)))
    assert status == 413
    status, _, _ = _exchange(endpoint.port, _post("5", b"idOp=", extra="Content-Length: 900\r\n"))
    assert status == 400
    status, _, _ = _exchange(endpoint.port, _post(None, b"5\r\nidOp=\r\n0\r\n\r\n",
                                                   extra="Transfer-Encoding: chunked\r\n"))
    assert status == 400
    assert [LINE_RE.match(x).group(3) for x in endpoint.wait_lines(4)] == ["413", "413", "400", "400"]  # type: ignore[union-attr]


def test_silent_clients_are_cut_off(endpoint: Endpoint) -> None:
    """The probe: connections never timed out (a thread held for ever per connection)."""
    status, _, elapsed = _exchange(endpoint.port, b"")
    assert status is None and elapsed < 3
    status, _, elapsed = _exchange(endpoint.port, _post("100", b"idOp=abc"))  # promises more than it sends
    assert status is None and elapsed < 3
    status, _, elapsed = _exchange(endpoint.port, b"GET /?idop=abc HTTP/1.1\r\nHost: x\r\n")  # headers never end
    assert status is None and elapsed < 3
    lines = endpoint.wait_lines(3)
    assert len(lines) == 3 and all(LINE_RE.match(x) and "timed out" in x for x in lines), lines


def test_garbage_is_answered_and_logged(endpoint: Endpoint, capfd: pytest.CaptureFixture[str]) -> None:
    status, _, _ = _exchange(endpoint.port, b"GET / HTTP/x.y\r\n\r\n")
    assert status == 400
    status, _, _ = _exchange(endpoint.port, b"GET /?" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n")
    assert status == 414
    status, _, _ = _exchange(endpoint.port, b"DELETE / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status == 501
    lines = endpoint.wait_lines(3)
    assert len(lines) == 3 and all(LINE_RE.match(x) for x in lines), lines
    assert "Traceback" not in capfd.readouterr().err


def test_forged_success_credits_nothing_and_each_request_is_logged(endpoint: Endpoint) -> None:
    """The probe: `GET /?refdet=<reference>&resultrans=P` credited 40 €."""
    link = endpoint.link()
    forged = f"GET /?refdet={link.reference}&resultrans=P&montant=4000 HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    status, body, _ = _exchange(endpoint.port, forged)
    assert status == 202 and receipt_numbers(endpoint.ctx.db, endpoint.sd.regie_id) == []
    # The DGFiP notifies once the family has paid (V: direct debit).
    endpoint.dgfip.pay(link.id_op, "V")
    notify = _post(str(len(f"idOp={link.id_op}")), f"idOp={link.id_op}".encode())
    assert _exchange(endpoint.port, notify)[0] == 200
    assert _exchange(endpoint.port, notify)[0] == 200  # replayed: answered, not credited again
    unknown = b"GET /?idop=0d6e2a0b-1cd4-11ea-8cca-0213ad91a103 HTTP/1.1\r\nHost: x\r\n\r\n"
    assert _exchange(endpoint.port, unknown)[0] == 400
    assert receipt_numbers(endpoint.ctx.db, endpoint.sd.regie_id) == [1]
    lines = endpoint.wait_lines(4)
    fields = [LINE_RE.match(x).groups() for x in lines]  # type: ignore[union-attr]
    assert [(m, k, s) for m, k, s, _ in fields] == [
        ("GET", link.reference, "202"), ("POST", link.reference, "200"), ("POST", link.reference, "200"),
        ("GET", "0d6e2a0b-1cd4-11ea-8cca-0213ad91a103", "400")]
    assert "pas encore connu" in fields[0][3] and "quittance n° 1" in fields[1][3]
    assert "déjà traitée" in fields[2][3] and "inconnue" in fields[3][3]


def test_dgfip_down_answers_503_and_is_retried(endpoint: Endpoint) -> None:
    link = endpoint.link()
    endpoint.dgfip.pay(link.id_op, "P")
    endpoint.dgfip.stop()
    request = f"GET /?idop={link.id_op} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    assert _exchange(endpoint.port, request)[0] == 503
    (line,) = endpoint.wait_lines(1)
    assert " 503 non vérifié, à reprendre : Service PayFiP (DGFiP) injoignable" in line
    assert receipt_numbers(endpoint.ctx.db, endpoint.sd.regie_id) == []
    endpoint.dgfip.start()
    assert payfip.confirm_pending(endpoint.ctx).credited == 1
    assert receipt_numbers(endpoint.ctx.db, endpoint.sd.regie_id) == [1]


@pytest.mark.parametrize("host,warned", [("127.0.0.1", False), ("localhost", False), ("::1", False),
                                         ("0.0.0.0", True), ("::", True), ("192.168.1.10", True),
                                         ("portail.mairie.fr", True)])
def test_exposure_warning(host: str, warned: bool) -> None:
    assert (exposure_warning(host) is not None) == warned
