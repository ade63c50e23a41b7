"""Cash-desk payments on both engines (B4, B5): receipts with gapless numbers, mode
rules, the 300 € cash limit, cheques, reversals and refunds by the régisseur, closed
days, e-mail and audit — and refusals that record nothing."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from portail_tui.domain.money import AmountError, parse_amount
from portail_tui.models import AuditLog, CashDay, OutboxMessage, Payment, ReceiptCounter
from portail_tui.services import payments
from portail_tui.services.context import Context, PermissionDenied, ServiceError
from tests.support.payments_town import NOW, TODAY, add_family, book, receipt_numbers, seed


@pytest.fixture
def town(ctx: Context):  # type: ignore[no-untyped-def]
    return seed(ctx.db)


def _count(ctx: Context, model) -> int:  # type: ignore[no-untyped-def]
    return len(ctx.db.read(lambda s: list(s.execute(select(model)).scalars())))


def test_cash_payment_gets_receipt_mail_and_audit(ctx: Context, town) -> None:  # type: ignore[no-untyped-def]
    agent = ctx.as_actor(town.agent)
    book(ctx.db, town, TODAY, 350)
    r = payments.take_payment(agent, town.family_id, amount_cents=4000, mode="especes")
    assert r.receipt_number == 1
    assert r.amount_cents == 4000 and r.kind == "payment" and r.mode_label == "Espèces"
    assert r.payer_name == "M. Jean DUPONT"  # main guardian by default
    assert r.agent_name == "Claire Martin"
    assert r.family_number_text == "000123" and r.regie_name == "SERVICES SCOLAIRES"
    assert r.solde_after_cents == 4000 - 350
    assert r.business_day == TODAY and r.created_at == NOW
    mails = ctx.db.read(lambda s: list(s.execute(select(OutboxMessage)).scalars()))
    assert len(mails) == 1
    assert mails[0].to_addr == "dupont@example.fr"
    assert "n° 1" in mails[0].subject and "40,00" in mails[0].body_text
    audit = ctx.db.read(lambda s: s.execute(select(AuditLog)).scalars().one())
    assert audit.action == "payment.payment" and audit.actor == "agent:agent"
    assert json.loads(audit.details)["amount_cents"] == 4000
    r2 = payments.take_payment(agent, town.family_id, amount_cents=1250, mode="cb", payer_name="Mme Anne DUPONT")
    assert r2.receipt_number == 2 and r2.payer_name == "Mme Anne DUPONT"


def test_cash_limit_is_300_euros(ctx: Context, town) -> None:  # type: ignore[no-untyped-def]
    agent = ctx.as_actor(town.agent)
    with pytest.raises(ServiceError) as err:
        payments.take_payment(agent, town.family_id, amount_cents=30001, mode="especes")
    assert err.value.field == "montant"
    assert "1680" in err.value.message and "300,00" in err.value.message
    assert _count(ctx, Payment) == 0
    assert payments.take_payment(agent, town.family_id, amount_cents=30000, mode="especes").receipt_number == 1
    # The limit is for cash only.
    assert payments.take_payment(agent, town.family_id, amount_cents=45000, mode="cheque",
                                 cheque_number="1234567", cheque_bank="La Banque Postale",
                                 cheque_drawer="Jean Dupont").receipt_number == 2


@pytest.mark.parametrize("amount", [0, -100, payments.MAX_PAYMENT_CENTS + 1])
def test_amount_bounds(ctx: Context, town, amount: int) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ServiceError) as err:
        payments.take_payment(ctx.as_actor(town.agent), town.family_id, amount_cents=amount, mode="cb")
    assert err.value.field == "montant"
    assert _count(ctx, Payment) == 0


def test_cheque_needs_number_bank_and_drawer(ctx: Context, town) -> None:  # type: ignore[no-untyped-def]
    agent = ctx.as_actor(town.agent)
    base = {"cheque_number": "0012345", "cheque_bank": "Crédit Agricole", "cheque_drawer": "Jean Dupont"}
    for missing, field in (("cheque_number", "cheque_number"), ("cheque_bank", "cheque_bank"),
                           ("cheque_drawer", "cheque_drawer")):
        with pytest.raises(ServiceError) as err:
            payments.take_payment(agent, town.family_id, amount_cents=5000, mode="cheque",
                                  **{**base, missing: "  "})
        assert err.value.field == field
    with pytest.raises(ServiceError, match="chiffres"):
        payments.take_payment(agent, town.family_id, amount_cents=5000, mode="cheque",
                              **{**base, "cheque_number": "12A45"})
    assert _count(ctx, Payment) == 0
    r = payments.take_payment(agent, town.family_id, amount_cents=5000, mode="cheque",
                              **{**base, "cheque_number": "001 2345"})
    assert (r.cheque_number, r.cheque_bank, r.cheque_drawer) == ("0012345", "Crédit Agricole", "Jean Dupont")
    assert r.receipt_number == 1  # refusals used no number


def test_modes_follow_the_regie(ctx: Context) -> None:
    sd = seed(ctx.db, modes="especes,cheque")
    agent = ctx.as_actor(sd.agent)
    with pytest.raises(ServiceError, match="n'accepte pas") as err:
        payments.take_payment(agent, sd.family_id, amount_cents=1000, mode="cb")
    assert err.value.field == "mode"
    with pytest.raises(ServiceError, match="inconnu"):
        payments.take_payment(agent, sd.family_id, amount_cents=1000, mode="bitcoin")
    setup = payments.payment_setup(agent, sd.family_id)
    assert setup.modes == (("especes", "Espèces"), ("cheque", "Chèque"))
    assert setup.default_payer == "M. Jean DUPONT" and setup.email == "dupont@example.fr"
    assert not setup.payfip_enabled and not setup.day_closed


def test_payfip_is_never_typed_at_the_desk(ctx: Context, town) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ServiceError, match="PayFiP"):
        payments.take_payment(ctx.as_actor(town.agent), town.family_id, amount_cents=1000, mode="payfip")
    setup = payments.payment_setup(ctx.as_actor(town.agent), town.family_id)
    assert "payfip" not in dict(setup.modes) and setup.payfip_enabled


def test_other_regie_family_is_not_found(ctx: Context, town) -> None:  # type: ignore[no-untyped-def]
    from portail_tui.models import Regie

    def other(s):  # type: ignore[no-untyped-def]
        r = Regie(code="AUTRE", name="AUTRE RÉGIE")
        s.add(r)
        s.flush()
        return add_family(s, r.id, 1, name="AUTRE")[0]

    fid = ctx.db.write(other)
    with pytest.raises(ServiceError, match="introuvable"):
        payments.take_payment(ctx.as_actor(town.agent), fid, amount_cents=1000, mode="cb")


def test_no_mail_without_address(ctx: Context, town) -> None:  # type: ignore[no-untyped-def]
    fid = ctx.db.write(lambda s: add_family(s, town.regie_id, 124, name="SANSMAIL", email=None)[0])
    payments.take_payment(ctx.as_actor(town.agent), fid, amount_cents=1000, mode="cb")
    assert _count(ctx, OutboxMessage) == 0


def test_reversal_by_regisseur_only_with_reason(ctx: Context, town) -> None:  # type: ignore[no-untyped-def]
    agent, reg = ctx.as_actor(town.agent), ctx.as_actor(town.regisseur)
    p = payments.take_payment(agent, town.family_id, amount_cents=4000, mode="especes")
    with pytest.raises(PermissionDenied):
        payments.reverse_payment(agent, p.payment_id, reason="Erreur")
    with pytest.raises(ServiceError) as err:
        payments.reverse_payment(reg, p.payment_id, reason="   ")
    assert err.value.field == "motif"
    rev = payments.reverse_payment(reg, p.payment_id, reason="Erreur de montant")
    assert rev.kind == "reversal" and rev.amount_cents == -4000 and rev.mode == "especes"
    assert rev.receipt_number == 2 and rev.reverses_receipt == 1
    assert rev.reason == "Erreur de montant" and rev.agent_name == "Paul Bernard"
    assert rev.solde_after_cents == 0
    with pytest.raises(ServiceError, match="déjà été annulée"):
        payments.reverse_payment(reg, p.payment_id, reason="Encore")
    with pytest.raises(ServiceError, match="annulation ne peut pas"):
        payments.reverse_payment(reg, rev.payment_id, reason="Annuler l'annulation")
    entries = payments.family_entries(agent, town.family_id)
    assert [(e.kind, e.is_reversed) for e in entries] == [("reversal", False), ("payment", True)]
    assert receipt_numbers(ctx.db, town.regie_id) == [1, 2]


def test_reversal_tells_the_family(ctx: Context, town) -> None:  # type: ignore[no-untyped-def]
    """Their confirmation (« solde 36,50 € ») would otherwise stand: the reversal queues a
    French notice in the same outbox, naming the reversed receipt, its amount and the new
    solde, without the régisseur's internal motive."""
    agent, reg = ctx.as_actor(town.agent), ctx.as_actor(town.regisseur)
    book(ctx.db, town, TODAY, 350)
    p = payments.take_payment(agent, town.family_id, amount_cents=4000, mode="cheque",
                              cheque_number="1234567", cheque_bank="Banque", cheque_drawer="J. Dupont")
    rev = payments.reverse_payment(reg, p.payment_id, reason="Chèque sans provision, vu au téléphone")
    mails = ctx.db.read(lambda s: list(s.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars()))
    assert [m.kind for m in mails] == ["payment_confirmation", "payment_reversal"]
    notice = mails[1]
    assert notice.to_addr == "dupont@example.fr" and notice.family_id == town.family_id
    assert f"annulation de votre règlement n° {p.receipt_number}" in notice.subject
    body = notice.body_text
    assert f"quittance n° {p.receipt_number}, a été annulé" in body
    assert f"quittance d'annulation n° {rev.receipt_number}" in body
    assert "40,00" in body and "chèque" in body
    assert "après cette annulation : -3,50" in body
    assert "téléphone" not in body
    # Without an address, the reversal is still recorded and nothing is queued.
    fid = ctx.db.write(lambda s: add_family(s, town.regie_id, 124, name="SANSMAIL", email=None)[0])
    q = payments.take_payment(agent, fid, amount_cents=1000, mode="cb")
    payments.reverse_payment(reg, q.payment_id, reason="Erreur")
    assert _count(ctx, OutboxMessage) == 2


def test_refund_by_regisseur_within_solde(ctx: Context, town) -> None:  # type: ignore[no-untyped-def]
    agent, reg = ctx.as_actor(town.agent), ctx.as_actor(town.regisseur)
    with pytest.raises(PermissionDenied):
        payments.refund(agent, town.family_id, amount_cents=100, mode="especes", reason="x")
    with pytest.raises(ServiceError, match="Rien à rembourser"):
        payments.refund(reg, town.family_id, amount_cents=100, mode="especes", reason="Départ")
    payments.take_payment(agent, town.family_id, amount_cents=5000, mode="cb")
    book(ctx.db, town, TODAY, 1000)
    with pytest.raises(ServiceError, match="40,00"):
        payments.refund(reg, town.family_id, amount_cents=4001, mode="virement", reason="Départ")
    with pytest.raises(ServiceError) as err:
        payments.refund(reg, town.family_id, amount_cents=1000, mode="cb", reason="Départ")
    assert err.value.field == "mode"
    r = payments.refund(reg, town.family_id, amount_cents=4000, mode="virement", reason="Départ de la commune")
    assert r.kind == "refund" and r.amount_cents == -4000 and r.solde_after_cents == 0
    assert r.receipt_number == 2  # the refused ones used no number
    mails = ctx.db.read(lambda s: list(s.execute(select(OutboxMessage.subject)).scalars()))
    assert any("remboursement n° 2" in m for m in mails)


def test_closed_day_refuses_entries_and_corrections_land_later(ctx: Context, town) -> None:  # type: ignore[no-untyped-def]
    agent, reg = ctx.as_actor(town.agent), ctx.as_actor(town.regisseur)
    p = payments.take_payment(agent, town.family_id, amount_cents=2000, mode="especes")
    ctx.db.write(lambda s: s.add(CashDay(regie_id=town.regie_id, day=TODAY, expected_cash_cents=2000,
                                         counted_cash_cents=2000, closed_at=NOW, closed_by="agent:regisseur")))
    with pytest.raises(ServiceError, match="clôturée"):
        payments.take_payment(agent, town.family_id, amount_cents=1000, mode="cb")
    with pytest.raises(ServiceError, match="clôturée"):
        payments.reverse_payment(reg, p.payment_id, reason="Erreur")
    assert payments.payment_setup(agent, town.family_id).day_closed
    assert ctx.db.read(lambda s: s.get(ReceiptCounter, town.regie_id).last_number) == 1  # type: ignore[union-attr]
    ctx.clock.advance(timedelta(days=1))  # type: ignore[attr-defined]
    rev = payments.reverse_payment(reg, p.payment_id, reason="Erreur")
    assert rev.business_day == TODAY + timedelta(days=1) and rev.receipt_number == 2


def test_service_level_update_and_delete_are_refused(ctx: Context, town) -> None:  # type: ignore[no-untyped-def]
    p = payments.take_payment(ctx.as_actor(town.agent), town.family_id, amount_cents=4000, mode="especes")

    def change(s):  # type: ignore[no-untyped-def]
        row = s.get(Payment, p.payment_id)
        row.amount_cents = 1
        s.add(row)
        s.flush()

    def delete(s):  # type: ignore[no-untyped-def]
        s.delete(s.get(Payment, p.payment_id))
        s.flush()

    for fn in (change, delete):
        # SQLite: the trigger; PostgreSQL: the application's role has no UPDATE/DELETE right
        # on payments (and the trigger stops the schema owner: test_db.py).
        with pytest.raises(DBAPIError, match="ni modifié ni supprimé|permission denied for table payment"):
            ctx.db.write(fn)
    assert ctx.db.read(lambda s: s.get(Payment, p.payment_id).amount_cents) == 4000  # type: ignore[union-attr]


def test_receipt_reprint(ctx: Context, town) -> None:  # type: ignore[no-untyped-def]
    p = payments.take_payment(ctx.as_actor(town.agent), town.family_id, amount_cents=4000, mode="especes")
    again = payments.receipt_for(ctx.as_actor(town.regisseur), p.payment_id)
    assert again.receipt_number == p.receipt_number and again.agent_name == "Claire Martin"
    with pytest.raises(ServiceError):
        payments.receipt_for(ctx.as_actor(town.regisseur), 99_999)


def test_counter_created_after_existing_numbers(ctx: Context, town) -> None:  # type: ignore[no-untyped-def]
    """A régie whose counter row is missing starts after the highest number used."""
    ctx.db.write(lambda s: s.add(Payment(
        regie_id=town.regie_id, family_id=town.family_id, receipt_number=41, mode="cb",
        amount_cents=100, business_day=TODAY, created_at=NOW, created_by="agent:agent")))
    r = payments.take_payment(ctx.as_actor(town.agent), town.family_id, amount_cents=1000, mode="cb")
    assert r.receipt_number == 42


@pytest.mark.parametrize("text,cents", [("12,5", 1250), ("12.50", 1250), ("12,50 €", 1250), (" 40 ", 4000)])
def test_amounts_accepted(text: str, cents: int) -> None:
    assert parse_amount(text, maximum_cents=payments.MAX_PAYMENT_CENTS) == cents


@pytest.mark.parametrize("text", ["abc", "-3", "1e3", "12,345", ""])
def test_amounts_refused(text: str) -> None:
    with pytest.raises(AmountError):
        parse_amount(text, maximum_cents=payments.MAX_PAYMENT_CENTS)
