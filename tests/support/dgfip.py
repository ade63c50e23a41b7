"""A stand-in for the DGFiP's PayFiP web service, on loopback: it parses the SOAP requests
it is sent and answers with the envelopes the real service sends (as recorded by the
eopayment project: `S:` envelope, `ns2:` operation, `return`, FonctionnelleErreur faults
with HTTP 500). Results are set by the test: an operation is created without result (the
DGFiP answers P5 until the family has paid), `pay()` gives it one, an unknown id gets P1,
and `stop()` / `start()` take the service down and up again on the same port."""

from __future__ import annotations

import threading
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from xml.sax.saxutils import escape

NS = ("http://securite.service.tpa.cp.finances.gouv.fr/services/mas_securite/"
      "contrat_paiement_securise/PaiementSecuriseService")
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
CREATE_FIELDS = ("exer", "mel", "montant", "numcli", "objet", "refdet", "saisie", "urlnotif", "urlredirect")
DETAIL_FIELDS = ("dattrans", "exer", "heurtrans", "idOp", "mel", "montant", "numauto", "numcli", "objet",
                 "refdet", "resultrans", "saisie")


def _answer(operation: str, inner: str) -> bytes:
    return (f'<S:Envelope xmlns:S="{SOAP_ENV}"><S:Body><ns2:{operation}Response xmlns:ns2="{NS}">'
            f"<return>{inner}</return></ns2:{operation}Response></S:Body></S:Envelope>").encode()


def _fault(code: str, label: str) -> bytes:
    return (f'<S:Envelope xmlns:S="{SOAP_ENV}"><S:Body>'
            '<S:Fault xmlns:ns4="http://www.w3.org/2003/05/soap-envelope"><faultcode>S:Server</faultcode>'
            "<faultstring>fr.gouv.finances.cp.tpa.webservice.exceptions.FonctionnelleErreur</faultstring>"
            f'<detail><ns2:FonctionnelleErreur xmlns:ns2="{NS}"><code>{code}</code><descriptif/>'
            f"<libelle>{escape(label)}</libelle><severite>2</severite></ns2:FonctionnelleErreur></detail>"
            "</S:Fault></S:Body></S:Envelope>").encode()


@dataclass
class Dgfip:
    """The service's state; `calls` lists (operation, fields) as received."""

    operations: dict[str, dict[str, str]] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    port: int = 0
    server: ThreadingHTTPServer | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/tpa/services/securite"

    def pay(self, idop: str, resultrans: str = "P", **overrides: str) -> None:
        """The family's outcome on the payment page, as the DGFiP will report it."""
        op = self.operations[idop]
        op.update({"resultrans": resultrans, "numauto": "112233445566-tip", "dattrans": "28112026",
                   "heurtrans": "1012", **overrides})

    def detail_calls(self) -> list[str]:
        return [f["idOp"] for op, f in self.calls if op == "recupererDetailPaiementSecurise"]

    def start(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), _make_handler(self))
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def answer(self, body: bytes) -> tuple[int, bytes]:
        root = ET.fromstring(body)
        assert root.tag == f"{{{SOAP_ENV}}}Envelope", root.tag
        (soap_body,) = [e for e in root if e.tag == f"{{{SOAP_ENV}}}Body"]
        (call,) = list(soap_body)
        assert call.tag.startswith(f"{{{NS}}}"), call.tag
        operation = call.tag.split("}", 1)[1]
        (arg0,) = list(call)
        assert arg0.tag == "arg0"
        fields = {child.tag: child.text or "" for child in arg0}
        with self.lock:
            self.calls.append((operation, fields))
            if operation == "creerPaiementSecurise":
                assert tuple(fields) == CREATE_FIELDS, tuple(fields)
                if "@" not in fields["mel"]:
                    return 500, _fault("A2", "Adresse mél incorrecte. ")
                idop = str(uuid.uuid1())
                self.operations[idop] = {**{k: fields[k] for k in CREATE_FIELDS if k in DETAIL_FIELDS},
                                         "idOp": idop}
                return 200, _answer(operation, f"<idOp>{idop}</idOp>")
            if operation == "recupererDetailPaiementSecurise":
                assert tuple(fields) == ("idOp",)
                op = self.operations.get(fields["idOp"])
                if op is None:
                    return 500, _fault("P1", "IdOp incorrect.")
                if "resultrans" not in op:
                    return 500, _fault("P5", "Résultat de la transaction non connu.")
                inner = "".join(f"<{k}>{escape(op.get(k, ''))}</{k}>" for k in DETAIL_FIELDS)
                return 200, _answer(operation, inner)
        return 500, _fault("T1", "Opération inconnue.")


def _make_handler(dgfip: Dgfip) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            assert self.headers.get("Content-Type", "").startswith("text/xml")
            body = self.rfile.read(int(self.headers["Content-Length"]))
            status, data = dgfip.answer(body)
            self.send_response(status)
            self.send_header("Content-Type", "text/xml;charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return

    return Handler


def running_dgfip() -> Iterator[Dgfip]:
    """For a fixture: `yield from running_dgfip()`."""
    service = Dgfip()
    service.start()
    try:
        yield service
    finally:
        service.stop()
