"""PayFiP (formerly TIPI, R14): the payment request as the protocol publishes it, and
the result notification recorded once, whatever arrives and however often. Recorded
parameter sets only; no network."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from portail_tui.models import CashDay, OutboxMessage, PayfipRequest, Payment
from portail_tui.services import payfip, payments, wallet
from portail_tui.services.context import Context, ServiceError
from tests.support.payments_town import NOW, TODAY, receipt_numbers, seed

NOTIFY = "https://portail.example.fr/payfip/retour"


@pytest.fixture
def town(ctx: Context):  # type: ignore[no-untyped-def]
    return seed(ctx.db)


@pytest.fixture
def pctx(ctx: Context) -> Context:
    return replace(ctx, settings=replace(ctx.settings, payfip_url=NOTIFY))


def _notification(link: payfip.PayfipLink, resultrans: str, **extra: str) -> str:
    """A result as PayFiP sends it back to urlcl (the request fields plus the outcome)."""
    fields = {**link.params, "resultrans": resultrans, "numauto": "A12345", "dattrans": "28112026",
              "heurtrans": "1012", **extra}
    fields.pop("urlcl", None)
    from urllib.parse import urlencode

    return urlencode(fields)


def test_request_follows_the_protocol(pctx: Context, town) -> None:  # type: ignore[no-untyped-def]
    link = payfip.request_payment(pctx.as_actor(town.agent), town.family_id, amount_cents=4250)
    url = urlsplit(link.url)
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://www.payfip.gouv.fr/tpa/paiement.web"
    params = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert params == link.params
    assert params["numcli"] == "123456"
    assert params["exer"] == "2026"
    assert params["montant"] == "4250"  # cents
    assert params["mel"] == "dupont@example.fr"
    assert params["saisie"] == "T" and link.is_test
    assert params["urlcl"] == NOTIFY
    assert payfip.REFDET_RE.fullmatch(params["refdet"]) and params["refdet"] == link.reference
    assert params["objet"] == "Famille 000123 DUPONT SERVICES SCOLAIRES"
    assert params["objet"].isascii()
    mail = pctx.db.read(lambda s: s.execute(select(OutboxMessage)).scalars().one())
    assert mail.kind == "payfip_link" and link.url in mail.body_text and "42,50" in mail.body_text
    req = pctx.db.read(lambda s: s.execute(select(PayfipRequest)).scalars().one())
    assert (req.status, req.amount_cents, req.created_by) == ("pending", 4250, "agent:agent")
    # Each request has its own reference.
    other = payfip.request_payment(pctx.as_actor(town.agent), town.family_id, amount_cents=100,
                                   email="autre@example.fr", send_email=False)
    assert other.reference != link.reference and other.email == "autre@example.fr"


def test_request_refusals(pctx: Context, town) -> None:  # type: ignore[no-untyped-def]
    agent = pctx.as_actor(town.agent)
    with pytest.raises(ServiceError, match="minimum"):
        payfip.request_payment(agent, town.family_id, amount_cents=99)
    with pytest.raises(ServiceError, match="maximum"):
        payfip.request_payment(agent, town.family_id, amount_cents=1_000_000)
    with pytest.raises(ServiceError, match="courriel"):
        payfip.request_payment(agent, town.family_id, amount_cents=1000, email="pas-une-adresse")
    assert pctx.db.read(lambda s: list(s.execute(select(PayfipRequest)).scalars())) == []


def test_unconfigured_regie_is_refused(ctx: Context) -> None:
    sd = seed(ctx.db, modes="especes,cheque")
    with pytest.raises(ServiceError, match="PayFiP"):
        payfip.request_payment(ctx.as_actor(sd.agent), sd.family_id, amount_cents=1000)


def test_paid_result_records_one_payment(pctx: Context, town) -> None:  # type: ignore[no-untyped-def]
    link = payfip.request_payment(pctx.as_actor(town.agent), town.family_id, amount_cents=4250)
    query = _notification(link, "P")
    out = payfip.handle_result(pctx, query)
    assert out.status == "paid" and not out.duplicate and out.receipt is not None
    assert out.receipt.mode == "payfip" and out.receipt.amount_cents == 4250
    assert out.receipt.receipt_number == 1 and out.receipt.reference == link.reference
    assert "quittance n° 1" in out.message
    again = payfip.handle_result(pctx, query)
    assert again.duplicate and again.receipt is not None and again.receipt.receipt_number == 1
    assert "déjà traitée" in again.message
    assert receipt_numbers(pctx.db, town.regie_id) == [1]
    assert wallet.family_solde(pctx.as_actor(town.agent), town.family_id) == 4250
    req = pctx.db.read(lambda s: s.execute(select(PayfipRequest)).scalars().one())
    assert (req.status, req.numauto, req.dattrans, req.heurtrans) == ("paid", "A12345", "28112026", "1012")
    p = pctx.db.read(lambda s: s.execute(select(Payment)).scalars().one())
    assert req.payment_id == p.id and p.created_by == "system:payfip"
    subjects = pctx.db.read(lambda s: list(s.execute(select(OutboxMessage.subject)).scalars()))
    assert any("confirmation de votre règlement n° 1" in x for x in subjects)  # R14


def test_recorded_parameter_set(pctx: Context, town) -> None:  # type: ignore[no-untyped-def]
    """A notification exactly as the platform sends it, field order and all."""
    link = payfip.request_payment(pctx.as_actor(town.agent), town.family_id, amount_cents=12312)
    recorded = (
        f"numcli=123456&exer=2026&refdet={link.reference}&objet=Famille+000123+DUPONT+SERVICES+SCOLAIRES"
        "&montant=12312&mel=dupont%40example.fr&saisie=T&resultrans=P&numauto=112233"
        "&dattrans=28112026&heurtrans=1047"
    )
    out = payfip.handle_result(pctx, recorded)
    assert out.status == "paid" and out.receipt.amount_cents == 12312  # type: ignore[union-attr]
    # The CLI accepts the whole return address too.
    again = payfip.handle_result(pctx, f"{NOTIFY}?{recorded}")
    assert again.duplicate


@pytest.mark.parametrize("code,status", [("R", "refused"), ("A", "abandoned")])
def test_refused_or_abandoned_records_nothing(pctx: Context, town, code: str, status: str) -> None:  # type: ignore[no-untyped-def]
    link = payfip.request_payment(pctx.as_actor(town.agent), town.family_id, amount_cents=4250)
    out = payfip.handle_result(pctx, _notification(link, code))
    assert out.status == status and out.receipt is None and not out.duplicate
    assert payfip.handle_result(pctx, _notification(link, code)).duplicate
    assert receipt_numbers(pctx.db, town.regie_id) == []
    # The family tries again with the same link and pays: recorded once.
    paid = payfip.handle_result(pctx, _notification(link, "P"))
    assert paid.status == "paid" and paid.receipt.receipt_number == 1  # type: ignore[union-attr]
    # A late "abandoned" never undoes a payment.
    late = payfip.handle_result(pctx, _notification(link, code))
    assert late.duplicate and late.status == "paid"


@pytest.mark.parametrize(
    "query,message",
    [
        ("resultrans=P", "incomplète"),
        ("refdet=PF0010000000001", "incomplète"),
        ("refdet=PF0019999999999&resultrans=P", "inconnue"),
        ("refdet=PF00100000%3B&resultrans=P", "invalide"),
        ("refdet=PF0010000000001&resultrans=Z", "inconnu"),
        ("", "incomplète"),
    ],
)
def test_bad_notifications(pctx: Context, town, query: str, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ServiceError, match=message):
        payfip.handle_result(pctx, query)


def test_tampered_amount_or_client_is_refused(pctx: Context, town) -> None:  # type: ignore[no-untyped-def]
    link = payfip.request_payment(pctx.as_actor(town.agent), town.family_id, amount_cents=4250)
    with pytest.raises(ServiceError, match="montant"):
        payfip.handle_result(pctx, _notification(link, "P", montant="425000"))
    with pytest.raises(ServiceError, match="client"):
        payfip.handle_result(pctx, _notification(link, "P", numcli="999999"))
    assert receipt_numbers(pctx.db, town.regie_id) == []
    assert pctx.db.read(lambda s: s.execute(select(PayfipRequest.status)).scalar()) == "pending"


def test_result_after_closing_lands_on_next_day(pctx: Context, town) -> None:  # type: ignore[no-untyped-def]
    link = payfip.request_payment(pctx.as_actor(town.agent), town.family_id, amount_cents=4250)
    pctx.db.write(lambda s: s.add(CashDay(regie_id=town.regie_id, day=TODAY, expected_cash_cents=0,
                                          counted_cash_cents=0, closed_at=NOW, closed_by="agent:regisseur")))
    out = payfip.handle_result(pctx, _notification(link, "P"))
    assert out.receipt.business_day == TODAY + timedelta(days=1)  # type: ignore[union-attr]


def test_family_requests_list(pctx: Context, town) -> None:  # type: ignore[no-untyped-def]
    agent = pctx.as_actor(town.agent)
    a = payfip.request_payment(agent, town.family_id, amount_cents=1000, send_email=False)
    b = payfip.request_payment(agent, town.family_id, amount_cents=2000, send_email=False)
    payfip.handle_result(pctx, _notification(a, "P"))
    lines = payfip.family_requests(agent, town.family_id)
    assert [(x.reference, x.status_label, x.receipt_number) for x in lines] == [
        (b.reference, "en attente", None), (a.reference, "payé", 1)]


def test_notification_and_desk_share_the_numbers(pctx: Context, town) -> None:  # type: ignore[no-untyped-def]
    agent = pctx.as_actor(town.agent)
    payments.take_payment(agent, town.family_id, amount_cents=1000, mode="cb")
    link = payfip.request_payment(agent, town.family_id, amount_cents=2000)
    payfip.handle_result(pctx, _notification(link, "P"))
    payments.take_payment(agent, town.family_id, amount_cents=1000, mode="especes")
    assert receipt_numbers(pctx.db, town.regie_id) == [1, 2, 3]


def test_simultaneous_duplicates_record_once(pctx: Context, town) -> None:  # type: ignore[no-untyped-def]
    from concurrent.futures import ThreadPoolExecutor

    link = payfip.request_payment(pctx.as_actor(town.agent), town.family_id, amount_cents=4250)
    query = _notification(link, "P")
    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(lambda _: payfip.handle_result(pctx, query), range(6)))
    assert sum(not o.duplicate for o in outcomes) == 1
    assert receipt_numbers(pctx.db, town.regie_id) == [1]
