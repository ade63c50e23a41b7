"""PayFiP, web-service mode (R14, issue 13): the operation id from creerPaiementSecurise,
and nothing credited but what recupererDetailPaiementSecurise confirms, once. Every test
runs the real SOAP exchange against the DGFiP stand-in on loopback (tests/support/dgfip.py)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select, update

from portail_tui.models import CashDay, OutboxMessage, PayfipRequest, Payment, Regie
from portail_tui.services import payfip, payfip_ws, payments, wallet
from portail_tui.services.context import Context, ServiceError
from tests.support.dgfip import Dgfip, running_dgfip
from tests.support.payments_town import NOW, TODAY, receipt_numbers, seed

NOTIFY = "https://portail.example.fr/payfip/retour"


@pytest.fixture
def town(ctx: Context):  # type: ignore[no-untyped-def]
    return seed(ctx.db)


@pytest.fixture
def dgfip() -> Iterator[Dgfip]:
    yield from running_dgfip()


@pytest.fixture
def pctx(ctx: Context, dgfip: Dgfip) -> Context:
    return replace(ctx, settings=replace(ctx.settings, payfip_url=NOTIFY, payfip_ws_url=dgfip.url))


def _link(pctx: Context, town, amount: int = 4250, **kw) -> payfip.PayfipLink:  # type: ignore[no-untyped-def]
    return payfip.request_payment(pctx.as_actor(town.agent), town.family_id, amount_cents=amount, **kw)


def _status(pctx: Context) -> str:
    return pctx.db.read(lambda s: s.execute(select(PayfipRequest.status)).scalar())  # type: ignore[no-any-return]


def test_request_follows_the_protocol(pctx: Context, town, dgfip: Dgfip) -> None:  # type: ignore[no-untyped-def]
    link = _link(pctx, town)
    operation, fields = dgfip.calls[-1]
    assert operation == "creerPaiementSecurise"
    assert fields == {"exer": "2026", "mel": "dupont@example.fr", "montant": "4250", "numcli": "123456",
                      "objet": "Famille 000123 DUPONT SERVICES SCOLAIRES", "refdet": link.reference,
                      "saisie": "T", "urlnotif": NOTIFY, "urlredirect": NOTIFY}
    assert fields == link.params and link.is_test
    url = urlsplit(link.url)
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://www.payfip.gouv.fr/tpa/paiementws.web"
    assert parse_qs(url.query) == {"idop": [link.id_op]} and link.id_op in dgfip.operations
    mail = pctx.db.read(lambda s: s.execute(select(OutboxMessage)).scalars().one())
    assert mail.kind == "payfip_link" and link.url in mail.body_text and "42,50" in mail.body_text
    req = pctx.db.read(lambda s: s.execute(select(PayfipRequest)).scalars().one())
    assert (req.status, req.amount_cents, req.created_by, req.id_op) == ("pending", 4250, "agent:agent", link.id_op)
    other = _link(pctx, town, 100, email="autre@example.fr", send_email=False)
    assert other.reference != link.reference and other.email == "autre@example.fr"


def test_references_are_not_guessable(pctx: Context, town) -> None:  # type: ignore[no-untyped-def]
    """The probe forged `refdet=PF0010000000001`: references were "PF" + régie + row id."""
    refs = [_link(pctx, town, send_email=False).reference for _ in range(5)]
    refs += [payfip.new_reference() for _ in range(200)]
    assert len(set(refs)) == len(refs)
    assert all(payfip.REFDET_RE.fullmatch(r) and len(r) == 22 and r.startswith("PF") for r in refs)
    assert "PF0010000000001" not in refs and not any(r[2:].isdigit() for r in refs)
    # Consecutive requests share no more than chance would.
    assert len({r[2:6] for r in refs[:5]}) == 5


def test_wsdl_mode_saisie_and_redirect(pctx: Context, town, dgfip: Dgfip) -> None:  # type: ignore[no-untyped-def]
    pctx.db.write(lambda s: s.execute(update(Regie).values(payfip_mode="A")))
    ctx = replace(pctx, settings=replace(pctx.settings, payfip_redirect_url="https://portail.example.fr/merci"))
    link = _link(ctx, town)
    assert link.params["saisie"] == "W" and dgfip.calls[-1][1]["urlredirect"] == "https://portail.example.fr/merci"


def test_request_refusals(pctx: Context, town, dgfip: Dgfip) -> None:  # type: ignore[no-untyped-def]
    agent = pctx.as_actor(town.agent)
    with pytest.raises(ServiceError, match="minimum"):
        payfip.request_payment(agent, town.family_id, amount_cents=99)
    with pytest.raises(ServiceError, match="maximum"):
        payfip.request_payment(agent, town.family_id, amount_cents=1_000_000)
    with pytest.raises(ServiceError, match="courriel"):
        payfip.request_payment(agent, town.family_id, amount_cents=1000, email="pas-une-adresse")
    with pytest.raises(ServiceError, match="PORTAIL_PAYFIP_URL"):
        payfip.request_payment(replace(agent, settings=replace(agent.settings, payfip_url=None)),
                               town.family_id, amount_cents=1000)
    assert dgfip.calls == []
    dgfip.stop()
    with pytest.raises(payfip_ws.PayfipUnavailable, match="injoignable"):
        payfip.request_payment(agent, town.family_id, amount_cents=1000)
    assert pctx.db.read(lambda s: list(s.execute(select(PayfipRequest)).scalars())) == []


def test_dgfip_functional_error_is_shown(pctx: Context, town, dgfip: Dgfip) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(payfip_ws.PayfipFault, match="Adresse mél incorrecte") as err:
        payfip_ws.create_payment(dgfip.url, {**dict.fromkeys(payfip_ws.CREATE_FIELDS, "x"), "mel": "sans-arobase"})
    assert err.value.code == "A2"


def test_unconfigured_regie_is_refused(ctx: Context) -> None:
    sd = seed(ctx.db, modes="especes,cheque")
    with pytest.raises(ServiceError, match="PayFiP"):
        payfip.request_payment(ctx.as_actor(sd.agent), sd.family_id, amount_cents=1000)


@pytest.mark.parametrize("code", ["P", "V"])
def test_confirmed_payment_credits_once(pctx: Context, town, dgfip: Dgfip, code: str) -> None:  # type: ignore[no-untyped-def]
    """P (card) and V (direct debit) are both paid; a replayed notification credits nothing more."""
    link = _link(pctx, town)
    dgfip.pay(link.id_op, code)
    out = payfip.handle_result(pctx, f"idOp={link.id_op}")
    assert out.status == "paid" and not out.duplicate and out.receipt is not None
    assert out.receipt.mode == "payfip" and out.receipt.amount_cents == 4250
    assert out.receipt.receipt_number == 1 and out.receipt.reference == link.reference
    assert "quittance n° 1" in out.message
    for replay in (f"idOp={link.id_op}", f"{NOTIFY}?idop={link.id_op}", link.id_op, link.reference):
        again = payfip.handle_result(pctx, replay)
        assert again.duplicate and again.receipt is not None and again.receipt.receipt_number == 1
    assert receipt_numbers(pctx.db, town.regie_id) == [1]
    assert wallet.family_solde(pctx.as_actor(town.agent), town.family_id) == 4250
    req = pctx.db.read(lambda s: s.execute(select(PayfipRequest)).scalars().one())
    assert (req.status, req.numauto, req.dattrans, req.heurtrans) == ("paid", "112233445566-tip", "28112026", "1012")
    p = pctx.db.read(lambda s: s.execute(select(Payment)).scalars().one())
    assert req.payment_id == p.id and p.created_by == "system:payfip"
    subjects = pctx.db.read(lambda s: list(s.execute(select(OutboxMessage.subject)).scalars()))
    assert any("confirmation de votre règlement n° 1" in x for x in subjects)  # R14


def test_forged_notification_credits_nothing(pctx: Context, town, dgfip: Dgfip) -> None:  # type: ignore[no-untyped-def]
    """The probe: `?refdet=…&resultrans=P` credited 40 €. Now the DGFiP is asked, and it
    has no result for an operation nobody paid."""
    link = _link(pctx, town, 4000)
    forged = f"refdet={link.reference}&resultrans=P&montant=4000&numcli=123456&numauto=1"
    for query in (forged, f"idop={link.id_op}&resultrans=P&montant=4000"):
        out = payfip.handle_result(pctx, query)
        assert (out.status, out.receipt) == ("pending", None) and "pas encore connu" in out.message
    dgfip.pay(link.id_op, "R")
    assert payfip.handle_result(pctx, forged).status == "refused"
    assert receipt_numbers(pctx.db, town.regie_id) == []
    assert wallet.family_solde(pctx.as_actor(town.agent), town.family_id) == 0
    assert dgfip.detail_calls() == [link.id_op] * 3


@pytest.mark.parametrize("field,value,message", [
    ("montant", "425000", "montant"), ("montant", "4250.00", "montant"), ("numcli", "999999", "client"),
    ("refdet", "PFAUTREREFERENCE2345", "référence"), ("idOp", "d6e2a0b4-0000-0000-0000-000000000000", "opération"),
])
def test_answer_that_does_not_match_credits_nothing(pctx: Context, town, dgfip: Dgfip,  # type: ignore[no-untyped-def]
                                                    field: str, value: str, message: str) -> None:
    link = _link(pctx, town)
    dgfip.pay(link.id_op, "P", **{field: value})
    with pytest.raises(ServiceError, match=message):
        payfip.handle_result(pctx, f"idop={link.id_op}")
    assert receipt_numbers(pctx.db, town.regie_id) == [] and _status(pctx) == "pending"


def test_unknown_operation_credits_nothing(pctx: Context, town, dgfip: Dgfip) -> None:  # type: ignore[no-untyped-def]
    link = _link(pctx, town)
    dgfip.pay(link.id_op, "P")
    with pytest.raises(ServiceError, match="inconnue"):
        payfip.handle_result(pctx, "idop=0d6e2a0b-1cd4-11ea-8cca-0213ad91a103")
    assert dgfip.detail_calls() == []  # not ours: the DGFiP is not even asked
    # Ours, but the DGFiP does not know it (P1).
    del dgfip.operations[link.id_op]
    with pytest.raises(ServiceError, match="inconnue de la DGFiP"):
        payfip.handle_result(pctx, f"idop={link.id_op}")
    assert receipt_numbers(pctx.db, town.regie_id) == [] and _status(pctx) == "pending"


@pytest.mark.parametrize(
    "query,message",
    [("resultrans=P", "incomplète"), ("", "incomplète"), ("idop=%3Bdrop", "invalide"),
     ("refdet=PF0019999999999&resultrans=P", "inconnue")],
)
def test_bad_notifications(pctx: Context, town, query: str, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ServiceError, match=message):
        payfip.handle_result(pctx, query)


def test_dgfip_down_credits_nothing_and_is_retried(pctx: Context, town, dgfip: Dgfip) -> None:  # type: ignore[no-untyped-def]
    link = _link(pctx, town)
    dgfip.pay(link.id_op, "V")
    dgfip.stop()
    with pytest.raises(payfip_ws.PayfipUnavailable, match="injoignable"):
        payfip.handle_result(pctx, f"idOp={link.id_op}")
    assert receipt_numbers(pctx.db, town.regie_id) == [] and _status(pctx) == "pending"
    report = payfip.confirm_pending(pctx)
    assert report.credited == 0 and len(report.errors) == 1
    with pytest.raises(ServiceError, match="non vérifié"):
        payfip.nightly_confirm(pctx)
    dgfip.start()  # back, on the same port
    assert payfip.nightly_confirm(pctx) == 1
    assert payfip.confirm_pending(pctx).outcomes == ()  # nothing pending any more
    assert receipt_numbers(pctx.db, town.regie_id) == [1] and _status(pctx) == "paid"


def test_stale_requests_are_given_up(pctx: Context, town, dgfip: Dgfip, clock) -> None:  # type: ignore[no-untyped-def]
    """P5 (never paid) or P1 (forgotten by the DGFiP's night) a day later: abandoned, no
    longer asked; a later confirmed payment still counts."""
    never = _link(pctx, town, 1000, send_email=False)
    forgotten = _link(pctx, town, 2000, send_email=False)
    del dgfip.operations[forgotten.id_op]
    assert [o.status for o in payfip.confirm_pending(pctx).outcomes] == ["pending"]
    clock.advance(timedelta(days=1, minutes=1))
    assert [o.status for o in payfip.confirm_pending(pctx).outcomes] == ["abandoned", "abandoned"]
    assert payfip.confirm_pending(pctx).outcomes == ()
    dgfip.pay(never.id_op, "P")
    assert payfip.handle_result(pctx, never.id_op).status == "paid"


@pytest.mark.parametrize("code,status", [("R", "refused"), ("Z", "refused"), ("A", "abandoned")])
def test_refused_or_abandoned_records_nothing(pctx: Context, town, dgfip: Dgfip, code: str,  # type: ignore[no-untyped-def]
                                              status: str) -> None:
    link = _link(pctx, town)
    dgfip.pay(link.id_op, code)
    out = payfip.handle_result(pctx, link.id_op)
    assert out.status == status and out.receipt is None and not out.duplicate
    assert payfip.handle_result(pctx, link.id_op).duplicate
    assert receipt_numbers(pctx.db, town.regie_id) == []
    # The family tries again on the same operation and pays: recorded once.
    dgfip.pay(link.id_op, "P")
    paid = payfip.handle_result(pctx, link.id_op)
    assert paid.status == "paid" and paid.receipt.receipt_number == 1  # type: ignore[union-attr]
    # A paid request is never asked again, never undone.
    calls = len(dgfip.detail_calls())
    dgfip.pay(link.id_op, code)
    late = payfip.handle_result(pctx, link.id_op)
    assert late.duplicate and late.status == "paid" and len(dgfip.detail_calls()) == calls


def test_unknown_result_code_records_nothing(pctx: Context, town, dgfip: Dgfip) -> None:  # type: ignore[no-untyped-def]
    link = _link(pctx, town)
    dgfip.pay(link.id_op, "Q")
    with pytest.raises(ServiceError, match="inconnu"):
        payfip.handle_result(pctx, link.id_op)
    assert _status(pctx) == "pending"


def test_request_made_before_the_web_service(pctx: Context, town) -> None:  # type: ignore[no-untyped-def]
    link = _link(pctx, town)
    pctx.db.write(lambda s: s.execute(update(PayfipRequest).values(id_op=None)))
    with pytest.raises(ServiceError, match="avant le mode web-service"):
        payfip.handle_result(pctx, link.reference)


def test_result_after_closing_lands_on_next_day(pctx: Context, town, dgfip: Dgfip) -> None:  # type: ignore[no-untyped-def]
    link = _link(pctx, town)
    pctx.db.write(lambda s: s.add(CashDay(regie_id=town.regie_id, day=TODAY, expected_cash_cents=0,
                                          counted_cash_cents=0, closed_at=NOW, closed_by="agent:regisseur")))
    dgfip.pay(link.id_op)
    out = payfip.handle_result(pctx, link.id_op)
    assert out.receipt.business_day == TODAY + timedelta(days=1)  # type: ignore[union-attr]


def test_family_requests_list(pctx: Context, town, dgfip: Dgfip) -> None:  # type: ignore[no-untyped-def]
    agent = pctx.as_actor(town.agent)
    a = _link(pctx, town, 1000, send_email=False)
    b = _link(pctx, town, 2000, send_email=False)
    dgfip.pay(a.id_op)
    payfip.handle_result(pctx, a.id_op)
    lines = payfip.family_requests(agent, town.family_id)
    assert [(x.reference, x.status_label, x.receipt_number) for x in lines] == [
        (b.reference, "en attente", None), (a.reference, "payé", 1)]


def test_notification_and_desk_share_the_numbers(pctx: Context, town, dgfip: Dgfip) -> None:  # type: ignore[no-untyped-def]
    agent = pctx.as_actor(town.agent)
    payments.take_payment(agent, town.family_id, amount_cents=1000, mode="cb")
    link = _link(pctx, town, 2000)
    dgfip.pay(link.id_op)
    payfip.handle_result(pctx, link.id_op)
    payments.take_payment(agent, town.family_id, amount_cents=1000, mode="especes")
    assert receipt_numbers(pctx.db, town.regie_id) == [1, 2, 3]


def test_simultaneous_duplicates_record_once(pctx: Context, town, dgfip: Dgfip) -> None:  # type: ignore[no-untyped-def]
    from concurrent.futures import ThreadPoolExecutor

    link = _link(pctx, town)
    dgfip.pay(link.id_op)
    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(lambda _: payfip.handle_result(pctx, f"idOp={link.id_op}"), range(6)))
    assert sum(not o.duplicate for o in outcomes) == 1
    assert receipt_numbers(pctx.db, town.regie_id) == [1]
    assert wallet.family_solde(pctx.as_actor(town.agent), town.family_id) == 4250


def test_request_envelope_is_the_wsdl_one() -> None:
    """As eopayment's recorded exchange with the DGFiP (tests/data/payfip-test_get_idop_ok.json)."""
    import xml.etree.ElementTree as ET

    fields = {"exer": "2019", "mel": "john.doe@example.com", "montant": "1000", "numcli": "090909",
              "objet": "coucou", "refdet": "ABCDEFGH", "saisie": "T", "urlnotif": "https://notif.payfip.example.com/",
              "urlredirect": "https://redirect.payfip.example.com/"}
    root = ET.fromstring(payfip_ws.envelope("creerPaiementSecurise", fields))
    body = root.find("{http://schemas.xmlsoap.org/soap/envelope/}Body")
    assert body is not None
    call = body.find(f"{{{payfip_ws.NS}}}creerPaiementSecurise")
    assert call is not None
    arg0 = call.find("arg0")
    assert arg0 is not None and [(e.tag, e.text) for e in arg0] == list(fields.items())
    escaped = payfip_ws.envelope("creerPaiementSecurise", {"objet": "<a&b>"})
    assert b"<objet>&lt;a&amp;b&gt;</objet>" in escaped
