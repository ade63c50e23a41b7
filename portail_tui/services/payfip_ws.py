"""The DGFiP's PayFiP web service (SOAP 1.1, document/literal): the two calls the régie
makes, `creerPaiementSecurise` and `recupererDetailPaiementSecurise`.

Written by hand, with the standard library, on the envelopes of the DGFiP's WSDL as the
`eopayment` library ships it (eopayment/resource/PaiementSecuriseService*.wsdl|xsd) and as
its recorded exchanges with the platform show them: eopayment itself would bring zeep,
lxml, requests and click for two requests of a dozen fields each.

Only the answer of `recupererDetailPaiementSecurise` says whether a payment was made: the
notification and the family's return carry nothing but the operation id.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from xml.sax.saxutils import escape

from portail_tui.services.context import ServiceError

__all__ = ["NS", "PaymentDetail", "PayfipFault", "PayfipUnavailable", "create_payment", "envelope",
           "payment_detail"]

NS = ("http://securite.service.tpa.cp.finances.gouv.fr/services/mas_securite/"
      "contrat_paiement_securise/PaiementSecuriseService")
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
TIMEOUT = 15.0  # seconds, as eopayment
MAX_ANSWER = 65_536  # an answer is a few hundred bytes; more is not the DGFiP
IDOP_RE = re.compile(r"[A-Za-z0-9-]{8,64}")
DETAIL_FIELDS = ("dattrans", "exer", "heurtrans", "idOp", "mel", "montant", "numauto", "numcli", "objet",
                 "refdet", "resultrans", "saisie")


class PayfipUnavailable(ServiceError):
    """The DGFiP could not be asked or did not answer usably: nothing is decided, the
    request stays pending and is asked again later."""


class PayfipFault(ServiceError):
    """A functional error of the DGFiP (FonctionnelleErreur): `code` is its code, e.g. P1
    (unknown operation), P5 (result not known yet), A2 (bad e-mail address)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class PaymentDetail:
    """`recupererDetailPaiementSecurise`'s answer, fields as the DGFiP names them."""

    idop: str
    refdet: str
    montant: str
    numcli: str
    resultrans: str
    numauto: str = ""
    dattrans: str = ""
    heurtrans: str = ""
    exer: str = ""
    mel: str = ""
    objet: str = ""
    saisie: str = ""


def envelope(operation: str, fields: Mapping[str, str]) -> bytes:
    """The request envelope: one `arg0` holding the fields, in the WSDL's order as given."""
    inner = "".join(f"<{name}>{escape(value)}</{name}>" for name, value in fields.items())
    text = (f'<?xml version="1.0" encoding="utf-8"?>'
            f'<soap-env:Envelope xmlns:soap-env="{SOAP_ENV}"><soap-env:Body>'
            f'<ns0:{operation} xmlns:ns0="{NS}"><arg0>{inner}</arg0></ns0:{operation}>'
            f"</soap-env:Body></soap-env:Envelope>")
    return text.encode("utf-8")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child_text(element: ET.Element, name: str) -> str:
    for child in element:
        if _local(child.tag) == name:
            return (child.text or "").strip()
    return ""


def _body(data: bytes) -> ET.Element:
    try:
        root = ET.fromstring(data)
    except ET.ParseError:
        raise PayfipUnavailable("Réponse illisible du service PayFiP (DGFiP).") from None
    for element in root:
        if _local(element.tag) == "Body" and len(element):
            return element[0]
    raise PayfipUnavailable("Réponse du service PayFiP (DGFiP) sans contenu.")


def _raise_fault(fault: ET.Element) -> None:
    faultstring = _child_text(fault, "faultstring")
    error = next((e for d in fault if _local(d.tag) == "detail" for e in d), None)
    code = _child_text(error, "code") if error is not None else ""
    label = (_child_text(error, "libelle") or _child_text(error, "descriptif")) if error is not None else ""
    if faultstring.endswith("FonctionnelleErreur") and code:
        raise PayfipFault(code, f"PayFiP (DGFiP) : {label or 'erreur'} (code {code}).")
    raise PayfipUnavailable(f"Service PayFiP (DGFiP) en erreur : {label or faultstring or 'sans détail'}"
                            f"{f' (code {code})' if code else ''}.")


def _call(url: str, operation: str, fields: Mapping[str, str], timeout: float) -> ET.Element:
    """POST the envelope, return the answer's `return` element; a SOAP fault is raised."""
    if not url.startswith(("https://", "http://")):
        raise PayfipUnavailable(f"Adresse du service PayFiP invalide (PORTAIL_PAYFIP_WS_URL) : {url!r}.")
    request = urllib.request.Request(url, data=envelope(operation, fields), method="POST", headers={
        "Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 - scheme checked above
            data = answer.read(MAX_ANSWER + 1)
    except urllib.error.HTTPError as err:  # a SOAP fault comes with status 500
        data = err.read(MAX_ANSWER + 1)
        if not data:
            raise PayfipUnavailable(f"Service PayFiP (DGFiP) en erreur : HTTP {err.code}.") from None
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise PayfipUnavailable(f"Service PayFiP (DGFiP) injoignable : {reason}.") from None
    if len(data) > MAX_ANSWER:
        raise PayfipUnavailable("Réponse trop grande du service PayFiP (DGFiP).")
    body = _body(data)
    if _local(body.tag) == "Fault":
        _raise_fault(body)
    if _local(body.tag) != f"{operation}Response":
        raise PayfipUnavailable(f"Réponse inattendue du service PayFiP (DGFiP) : {_local(body.tag)[:60]}.")
    result = next((e for e in body if _local(e.tag) == "return"), None)
    if result is None:
        raise PayfipUnavailable("Réponse du service PayFiP (DGFiP) sans résultat.")
    return result


CREATE_FIELDS = ("exer", "mel", "montant", "numcli", "objet", "refdet", "saisie", "urlnotif", "urlredirect")


def create_payment(url: str, fields: Mapping[str, str], *, timeout: float = TIMEOUT) -> str:
    """`creerPaiementSecurise` with the CREATE_FIELDS: the operation id (idOp) the
    payment page and the notification will carry."""
    fields = {name: fields[name] for name in CREATE_FIELDS}
    idop = _child_text(_call(url, "creerPaiementSecurise", fields, timeout), "idOp")
    if not IDOP_RE.fullmatch(idop):
        raise PayfipUnavailable("Le service PayFiP (DGFiP) n'a pas donné d'identifiant d'opération valable.")
    return idop


def payment_detail(url: str, idop: str, *, timeout: float = TIMEOUT) -> PaymentDetail:
    """`recupererDetailPaiementSecurise`: the DGFiP's own account of the operation."""
    result = _call(url, "recupererDetailPaiementSecurise", {"idOp": idop}, timeout)
    values = {name: _child_text(result, name) for name in DETAIL_FIELDS}
    values["idop"] = values.pop("idOp")
    return PaymentDetail(**values)
