"""Day journal and closing (arrêté de caisse) on both engines (B4)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portail_tui.models import AuditLog, CashDay
from portail_tui.services import cashdesk, payments
from portail_tui.services.context import Context, PermissionDenied, ServiceError
from tests.support.payments_town import TODAY, add_family, seed

CHEQUE = {"cheque_bank": "Crédit Agricole", "cheque_drawer": "Jean Dupont"}


@pytest.fixture
def day(ctx: Context):  # type: ignore[no-untyped-def]
    """A morning at the desk: cash, cheques, a card, a reversal and a refund."""
    sd = seed(ctx.db)
    agent, reg = ctx.as_actor(sd.agent), ctx.as_actor(sd.regisseur)
    other = ctx.db.write(lambda s: add_family(s, sd.regie_id, 200, name="MARTIN")[0])
    pay = payments.take_payment
    pay(agent, sd.family_id, amount_cents=4000, mode="especes")  # 1
    ctx.clock.advance(timedelta(minutes=5))  # type: ignore[attr-defined]
    c1 = pay(agent, other, amount_cents=6500, mode="cheque", cheque_number="1111111", **CHEQUE)  # 2
    pay(agent, sd.family_id, amount_cents=2500, mode="cheque", cheque_number="2222222", **CHEQUE)  # 3
    pay(agent, other, amount_cents=1990, mode="cb")  # 4
    cash = pay(agent, other, amount_cents=1500, mode="especes")  # 5
    ctx.clock.advance(timedelta(minutes=30))  # type: ignore[attr-defined]
    payments.reverse_payment(reg, c1.payment_id, reason="Chèque non signé")  # 6
    payments.reverse_payment(reg, cash.payment_id, reason="Erreur de famille")  # 7
    payments.refund(reg, sd.family_id, amount_cents=1000, mode="especes", reason="Trop-perçu")  # 8
    return sd


def test_journal_of_the_day(ctx: Context, day) -> None:  # type: ignore[no-untyped-def]
    j = cashdesk.day_journal(ctx.as_actor(day.agent))
    assert j.day == TODAY and j.regie_name == "SERVICES SCOLAIRES"
    assert [e.receipt_number for e in j.entries] == list(range(1, 9))
    first = j.entries[0]
    assert (first.time_text, first.family_number_text, first.family_name, first.agent) == (
        "10:00", "000123", "DUPONT", "Claire Martin")
    kinds = [(e.receipt_number, e.kind_label) for e in j.entries if e.kind != "payment"]
    assert kinds == [(6, "Annulation"), (7, "Annulation"), (8, "Remboursement")]
    assert j.entries[5].reverses_receipt == 2 and j.entries[1].reversed_by_receipt == 6
    assert j.entries[5].agent == "Paul Bernard" and j.entries[5].reason == "Chèque non signé"
    totals = {t.mode: (t.count, t.payments_cents, t.corrections_cents, t.net_cents) for t in j.totals}
    assert totals == {
        "especes": (4, 5500, -2500, 3000),
        "cheque": (3, 9000, -6500, 2500),
        "cb": (1, 1990, 0, 1990),
    }
    assert [t.mode for t in j.totals] == ["especes", "cheque", "cb"]
    # Deposit slip: cheque 2 was handed back the same day.
    assert [e.cheque_number for e in j.cheques] == ["2222222"]
    assert j.cheques_total_cents == 2500
    assert j.expected_cash_cents == 3000
    assert j.total_cents == 3000 + 2500 + 1990
    assert j.payments_cents == 5500 + 9000 + 1990 and j.corrections_cents == -9000
    assert not j.is_closed and j.difference(2950) == -50


def test_an_empty_day(ctx: Context) -> None:
    sd = seed(ctx.db)
    j = cashdesk.day_journal(ctx.as_actor(sd.agent), TODAY - timedelta(days=3))
    assert (j.entries, j.totals, j.cheques, j.expected_cash_cents) == ((), (), (), 0)


def test_closing_by_regisseur(ctx: Context, day) -> None:  # type: ignore[no-untyped-def]
    agent, reg = ctx.as_actor(day.agent), ctx.as_actor(day.regisseur)
    with pytest.raises(PermissionDenied):
        cashdesk.close_day(agent, TODAY, counted_cents=3000)
    with pytest.raises(ServiceError) as err:
        cashdesk.close_day(reg, TODAY, counted_cents=2950)
    assert err.value.field == "note" and "manque de 0,50" in err.value.message
    with pytest.raises(ServiceError, match="pas commencé"):
        cashdesk.close_day(reg, TODAY + timedelta(days=1), counted_cents=0)
    closing = cashdesk.close_day(reg, TODAY, counted_cents=2950, note="Pièce de 50 centimes égarée")
    assert (closing.expected_cash_cents, closing.counted_cash_cents, closing.difference_cents) == (3000, 2950, -50)
    assert closing.closed_by == "Paul Bernard"
    j = cashdesk.day_journal(agent)
    assert j.is_closed and j.closing.difference_cents == -50  # type: ignore[union-attr]
    assert j.closing.closed_by == "Paul Bernard"  # type: ignore[union-attr]
    with pytest.raises(ServiceError, match="déjà clôturée"):
        cashdesk.close_day(reg, TODAY, counted_cents=3000)
    # A closed day refuses new entries dated that day…
    with pytest.raises(ServiceError, match="clôturée"):
        payments.take_payment(agent, day.family_id, amount_cents=1000, mode="cb")
    assert len(cashdesk.day_journal(agent).entries) == 8
    # …and the next day is a new journal.
    ctx.clock.advance(timedelta(days=1))  # type: ignore[attr-defined]
    r = payments.take_payment(agent, day.family_id, amount_cents=1000, mode="cb")
    assert r.receipt_number == 9
    assert [e.receipt_number for e in cashdesk.day_journal(agent).entries] == [9]
    audit = ctx.db.read(lambda s: s.execute(select(AuditLog).where(AuditLog.action == "cash.close")).scalars().one())
    assert audit.actor == "agent:regisseur"
    assert ctx.db.read(lambda s: len(list(s.execute(select(CashDay)).scalars()))) == 1


def test_closing_without_difference_needs_no_note(ctx: Context, day) -> None:  # type: ignore[no-untyped-def]
    closing = cashdesk.close_day(ctx.as_actor(day.regisseur), TODAY, counted_cents=3000)
    assert closing.difference_cents == 0 and closing.note is None


def test_closing_a_day_without_any_payment(ctx: Context) -> None:
    sd = seed(ctx.db)
    closing = cashdesk.close_day(ctx.as_actor(sd.regisseur), TODAY - timedelta(days=1), counted_cents=0)
    assert closing.expected_cash_cents == 0
    # Closing created the counter; numbering still starts at 1.
    r = payments.take_payment(ctx.as_actor(sd.agent), sd.family_id, amount_cents=100, mode="cb")
    assert r.receipt_number == 1


def test_negative_count_refused(ctx: Context, day) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ServiceError) as err:
        cashdesk.close_day(ctx.as_actor(day.regisseur), TODAY, counted_cents=-1)
    assert err.value.field == "counted"


def test_regie_for_code(ctx: Context) -> None:
    sd = seed(ctx.db)
    assert cashdesk.regie_for_code(ctx) == sd.regie_id
    assert cashdesk.regie_for_code(ctx, "SCOL") == sd.regie_id
    with pytest.raises(ServiceError, match="inconnue"):
        cashdesk.regie_for_code(ctx, "NOPE")
