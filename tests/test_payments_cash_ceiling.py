"""The cash ceiling per family and day (CGI art. 1680) on both engines: a sum split into
several cash payments the same day is refused past 300 €, cheques and other days do
not count, reversals free the allowance and refunds do not; a régisseur may exceed
it with a reason (audited), an agent may not; two desks at the same moment cannot
both pass the check."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from portail_tui.models import AuditLog, Payment
from portail_tui.services import payments
from portail_tui.services.context import Context, PermissionDenied, ServiceError
from tests.support.payments_town import receipt_numbers, seed

CHEQUE = {"cheque_number": "1234567", "cheque_bank": "La Banque Postale", "cheque_drawer": "Jean Dupont"}


@pytest.fixture
def town(ctx: Context):  # type: ignore[no-untyped-def]
    return seed(ctx.db)


def _payments(ctx: Context) -> list[Payment]:
    return ctx.db.read(lambda s: list(s.execute(select(Payment).order_by(Payment.id)).scalars()))


def _audit(ctx: Context, action: str) -> list[AuditLog]:
    return ctx.db.read(lambda s: list(s.execute(select(AuditLog).where(AuditLog.action == action)).scalars()))


def test_two_cash_payments_of_200_the_same_day(ctx: Context, town) -> None:  # type: ignore[no-untyped-def]
    agent = ctx.as_actor(town.agent)
    payments.take_payment(agent, town.family_id, amount_cents=20000, mode="especes")
    with pytest.raises(ServiceError) as err:
        payments.take_payment(agent, town.family_id, amount_cents=20000, mode="especes")
    message = err.value.message.replace("\u00a0", " ")  # amounts use a no-break space
    assert err.value.field == "montant"
    assert "déjà réglé 200,00 € en espèces aujourd'hui" in message
    assert "Encore possible en espèces aujourd'hui : 100,00 €" in message
    assert "300,00" in message and "1680" in message
    assert receipt_numbers(ctx.db, town.regie_id) == [1]  # nothing recorded, no number used
    assert payments.take_payment(agent, town.family_id, amount_cents=10000, mode="especes").receipt_number == 2
    with pytest.raises(ServiceError, match="Plus aucun paiement en espèces"):
        payments.take_payment(agent, town.family_id, amount_cents=1, mode="especes")
    assert payments.payment_setup(agent, town.family_id).cash_paid_today_cents == 30000


def test_next_day_starts_afresh(ctx: Context, town) -> None:  # type: ignore[no-untyped-def]
    agent = ctx.as_actor(town.agent)
    payments.take_payment(agent, town.family_id, amount_cents=20000, mode="especes")
    ctx.clock.advance(timedelta(days=1))  # type: ignore[attr-defined]
    assert payments.take_payment(agent, town.family_id, amount_cents=20000, mode="especes").receipt_number == 2


def test_cheque_and_other_families_do_not_count(ctx: Context, town) -> None:  # type: ignore[no-untyped-def]
    agent = ctx.as_actor(town.agent)
    payments.take_payment(agent, town.family_id, amount_cents=45000, mode="cheque", **CHEQUE)
    payments.take_payment(agent, town.family_id, amount_cents=20000, mode="especes")
    payments.take_payment(agent, town.family_id, amount_cents=20000, mode="cb")
    from tests.support.payments_town import add_family

    other, _ = ctx.db.write(lambda s: add_family(s, town.regie_id, 124, name="MARTIN"))
    payments.take_payment(agent, other, amount_cents=30000, mode="especes")
    assert payments.take_payment(agent, town.family_id, amount_cents=10000, mode="especes").receipt_number == 5


def test_reversal_frees_the_allowance_and_refund_does_not(ctx: Context, town) -> None:  # type: ignore[no-untyped-def]
    agent, reg = ctx.as_actor(town.agent), ctx.as_actor(town.regisseur)
    first = payments.take_payment(agent, town.family_id, amount_cents=20000, mode="especes")
    payments.refund(reg, town.family_id, amount_cents=5000, mode="especes", reason="Trop-perçu")
    with pytest.raises(ServiceError, match="déjà réglé 200,00.€"):
        payments.take_payment(agent, town.family_id, amount_cents=15000, mode="especes")
    payments.reverse_payment(reg, first.payment_id, reason="Erreur de famille")
    assert payments.take_payment(agent, town.family_id, amount_cents=30000, mode="especes").receipt_number == 4


def test_reversing_yesterdays_cash_does_not_free_today(ctx: Context, town) -> None:  # type: ignore[no-untyped-def]
    agent, reg = ctx.as_actor(town.agent), ctx.as_actor(town.regisseur)
    yesterday = payments.take_payment(agent, town.family_id, amount_cents=20000, mode="especes")
    ctx.clock.advance(timedelta(days=1))  # type: ignore[attr-defined]
    payments.take_payment(agent, town.family_id, amount_cents=30000, mode="especes")
    payments.reverse_payment(reg, yesterday.payment_id, reason="Erreur")
    with pytest.raises(ServiceError, match="déjà réglé 300,00.€"):
        payments.take_payment(agent, town.family_id, amount_cents=100, mode="especes")


def test_regisseur_override_is_accepted_and_audited(ctx: Context, town) -> None:  # type: ignore[no-untyped-def]
    agent, reg = ctx.as_actor(town.agent), ctx.as_actor(town.regisseur)
    payments.take_payment(agent, town.family_id, amount_cents=20000, mode="especes")
    r = payments.take_payment(reg, town.family_id, amount_cents=15000, mode="especes",
                              override_reason="Famille sans compte bancaire, accord du comptable public")
    assert r.receipt_number == 2 and r.amount_cents == 15000
    (row,) = _audit(ctx, "cash.ceiling_override")
    details = json.loads(row.details)
    assert row.actor == "agent:regisseur" and row.entity == "payment" and row.entity_id == r.payment_id
    assert row.family_id == town.family_id
    assert details == {
        "ceiling_exceeded": True, "already_cents": 20000, "amount_cents": 15000, "total_cents": 35000,
        "limit_cents": 30000, "excess_cents": 5000, "receipt_number": 2,
        "reason": "Famille sans compte bancaire, accord du comptable public",
    }
    # A single payment over the ceiling too; an override that is not needed leaves no trace.
    ctx.clock.advance(timedelta(days=1))  # type: ignore[attr-defined]
    payments.take_payment(reg, town.family_id, amount_cents=40000, mode="especes", override_reason="Accord")
    payments.take_payment(reg, town.family_id, amount_cents=1000, mode="cb", override_reason="Sans objet")
    assert len(_audit(ctx, "cash.ceiling_override")) == 2


def test_override_needs_a_regisseur_and_a_reason(ctx: Context, town) -> None:  # type: ignore[no-untyped-def]
    agent, reg = ctx.as_actor(town.agent), ctx.as_actor(town.regisseur)
    payments.take_payment(agent, town.family_id, amount_cents=20000, mode="especes")
    with pytest.raises(PermissionDenied, match="seul un régisseur"):
        payments.take_payment(agent, town.family_id, amount_cents=20000, mode="especes",
                              override_reason="Je le veux")
    with pytest.raises(ServiceError, match="motif est obligatoire"):
        payments.take_payment(reg, town.family_id, amount_cents=20000, mode="especes", override_reason="  ")
    assert receipt_numbers(ctx.db, town.regie_id) == [1]
    assert _audit(ctx, "cash.ceiling_override") == []


def test_two_desks_at_the_same_moment_cannot_both_pass(ctx: Context, town, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Each desk holds its transaction open for a while after its check: without the
    receipt counter's lock around the check, both would read 0 € and both pass."""
    agent = ctx.as_actor(town.agent)
    real = payments.record_entry

    def slow_record(*args: Any, **kwargs: Any) -> Payment:
        time.sleep(0.4)
        return real(*args, **kwargs)

    monkeypatch.setattr(payments, "record_entry", slow_record)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def desk() -> None:
        barrier.wait()
        try:
            payments.take_payment(agent, town.family_id, amount_cents=20000, mode="especes")
        except ServiceError as exc:
            outcomes.append(exc.message.replace("\u00a0", " "))
        else:
            outcomes.append("ok")

    threads = [threading.Thread(target=desk) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes, key=lambda o: o != "ok")[0] == "ok"
    assert outcomes.count("ok") == 1 and "déjà réglé 200,00 €" in next(o for o in outcomes if o != "ok")
    assert [p.amount_cents for p in _payments(ctx)] == [20000]
