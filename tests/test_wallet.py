"""Wallet figures (R6, R7) on both engines: solde, coût estimé by date and types,
proposed amount, nouveau solde, and the lists behind the Solde screen."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from portail_tui.services import payments, wallet
from portail_tui.services.context import Context, ServiceError
from tests.support.payments_town import TODAY, book, book_period, seed


@pytest.fixture
def town(ctx: Context):  # type: ignore[no-untyped-def]
    sd = seed(ctx.db)
    book(ctx.db, sd, date(2026, 11, 20), 350)  # past: consumed
    book(ctx.db, sd, date(2026, 12, 13), 400)  # last day of the 15-day window: consumed
    book(ctx.db, sd, date(2026, 12, 14), 500)  # first day after it: estimated
    book(ctx.db, sd, date(2026, 12, 15), 450, status="waiting")  # estimated only if asked
    book(ctx.db, sd, date(2026, 12, 16), 999, status="cancelled")  # never
    book(ctx.db, sd, date(2027, 1, 30), 700)  # beyond the default "jusqu'au" (27/01/2027)
    book(ctx.db, sd, date(2026, 11, 10), 820, status="waiting")  # past waiting: never consumed
    return sd


def test_window_and_default_dates() -> None:
    assert wallet.consumption_limit(TODAY) == date(2026, 12, 13)
    assert wallet.default_until(TODAY) == date(2027, 1, 27)


def test_solde_is_paid_minus_consumed(ctx: Context, town) -> None:  # type: ignore[no-untyped-def]
    agent = ctx.as_actor(town.agent)
    payments.take_payment(agent, town.family_id, amount_cents=2000, mode="especes")
    fig = wallet.wallet_figures(agent, town.family_id)
    assert fig.paid_cents == 2000
    assert fig.consumed_cents == 350 + 400
    assert fig.solde_cents == 2000 - 750
    assert wallet.family_solde(agent, town.family_id) == 1250
    assert fig.wallet_label == "SERVICES SCOLAIRES"


def test_estimated_cost_by_date_and_types(ctx: Context, town) -> None:  # type: ignore[no-untyped-def]
    agent = ctx.as_actor(town.agent)
    assert wallet.wallet_figures(agent, town.family_id).estimated_cents == 500
    both = wallet.wallet_figures(agent, town.family_id, types=("confirmed", "waiting"))
    assert both.estimated_cents == 950
    assert wallet.wallet_figures(agent, town.family_id, types=("waiting",)).estimated_cents == 450
    assert wallet.wallet_figures(agent, town.family_id, types=()).estimated_cents == 0
    later = wallet.wallet_figures(agent, town.family_id, until=date(2027, 1, 30))
    assert later.estimated_cents == 1200  # until is included
    short = wallet.wallet_figures(agent, town.family_id, until=date(2026, 12, 13))
    assert short.estimated_cents == 0


def test_proposed_amount_brings_new_balance_to_zero(ctx: Context, town) -> None:  # type: ignore[no-untyped-def]
    agent = ctx.as_actor(town.agent)
    fig = wallet.wallet_figures(agent, town.family_id)
    # solde -750, estimated 500: 1250 brings it back to zero.
    assert fig.proposed_cents == 1250
    assert fig.new_balance_cents() == 0
    assert fig.new_balance_cents(4000) == -750 - 500 + 4000
    payments.take_payment(agent, town.family_id, amount_cents=5000, mode="cb")
    fig = wallet.wallet_figures(agent, town.family_id)
    assert fig.proposed_cents == 0  # enough money: nothing proposed
    assert fig.new_balance_cents() == 5000 - 750 - 500


def test_payment_outlook_is_what_the_receipt_and_the_wallet_say_after(ctx: Context, town) -> None:  # type: ignore[no-untyped-def]
    """Before paying, one service call gives both figures a payment leads to: the solde
    once the money is in (the receipt's) and R7's nouveau solde (solde − coût estimé +
    montant). After paying, the receipt and the recomputed wallet say the same."""
    agent = ctx.as_actor(town.agent)
    before = wallet.wallet_figures(agent, town.family_id)
    outlook = wallet.payment_outlook(before, 4000)
    assert outlook.solde_after_cents == -750 + 4000
    assert outlook.new_balance_cents == -750 - 500 + 4000 == before.new_balance_cents(4000)
    receipt = payments.take_payment(agent, town.family_id, amount_cents=4000, mode="especes")
    assert receipt.solde_after_cents == outlook.solde_after_cents
    after = wallet.wallet_figures(agent, town.family_id)
    assert after.solde_cents == outlook.solde_after_cents
    assert after.new_balance_cents(0) == outlook.new_balance_cents


def test_formula_is_pure() -> None:
    assert wallet.proposed_amount(-300, 200) == 500
    assert wallet.proposed_amount(300, 200) == 0
    assert wallet.proposed_amount(200, 200) == 0
    assert wallet.new_balance(-300, 200, 500) == 0
    assert wallet.solde_after(-300, 500) == 200


def test_period_booking_counts_from_its_first_day(ctx: Context, town) -> None:  # type: ignore[no-untyped-def]
    agent = ctx.as_actor(town.agent)
    book_period(ctx.db, town, date(2026, 12, 21), 5, 2500)  # after the window: estimated
    fig = wallet.wallet_figures(agent, town.family_id)
    assert fig.estimated_cents == 500 + 2500
    book_period(ctx.db, town, date(2026, 12, 1), 3, 1000)  # starts inside the window: consumed
    fig = wallet.wallet_figures(agent, town.family_id)
    assert fig.consumed_cents == 750 + 1000


def test_refunds_and_reversals_count_in_paid(ctx: Context, town) -> None:  # type: ignore[no-untyped-def]
    agent, reg = ctx.as_actor(town.agent), ctx.as_actor(town.regisseur)
    first = payments.take_payment(agent, town.family_id, amount_cents=3000, mode="especes")
    payments.take_payment(agent, town.family_id, amount_cents=1000, mode="cb")
    payments.reverse_payment(reg, first.payment_id, reason="Erreur de saisie")
    assert wallet.wallet_figures(agent, town.family_id).paid_cents == 1000
    payments.refund(reg, town.family_id, amount_cents=200, mode="virement", reason="Déménagement")
    assert wallet.wallet_figures(agent, town.family_id).paid_cents == 800


def test_until_in_the_past_is_refused(ctx: Context, town) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ServiceError) as err:
        wallet.wallet_figures(ctx.as_actor(town.agent), town.family_id, until=TODAY - timedelta(days=1))
    assert err.value.field == "until"
    with pytest.raises(ServiceError):
        wallet.wallet_figures(ctx.as_actor(town.agent), town.family_id, types=("annulées",))


def test_solde_details_lists(ctx: Context, town) -> None:  # type: ignore[no-untyped-def]
    agent, reg = ctx.as_actor(town.agent), ctx.as_actor(town.regisseur)
    p1 = payments.take_payment(agent, town.family_id, amount_cents=3000, mode="especes")
    payments.reverse_payment(reg, p1.payment_id, reason="Erreur de montant")
    details = wallet.solde_details(agent, town.family_id)
    assert details.figures.solde_cents == -750
    assert [line.amount_cents for line in details.paid] == [-3000, 3000]
    reversal, original = details.paid
    assert original.is_reversed and original.reversed_by_receipt == reversal.receipt_number
    assert reversal.reverses_receipt == original.receipt_number
    # Consumed, newest first; waiting and cancelled never appear.
    assert [(b.day, b.price_cents) for b in details.consumed] == [
        (date(2026, 12, 13), 400), (date(2026, 11, 20), 350)]
    assert sum(b.price_cents for b in details.consumed) == details.figures.consumed_cents
    # Entering the window within two weeks: 14/12 (confirmed) and 15/12 (waiting), not 30/01.
    assert [(b.day, b.status) for b in details.upcoming] == [
        (date(2026, 12, 14), "confirmed"), (date(2026, 12, 15), "waiting")]
    assert details.upcoming[0].enters_on == date(2026, 11, 29)
    assert details.upcoming_cents == 500
    assert details.consumed[0].child == "Léa DUPONT"
    assert details.consumed[0].activity == "RESTAURANT SCOLAIRE"


def test_unknown_family(ctx: Context, town) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ServiceError, match="introuvable"):
        wallet.wallet_figures(ctx.as_actor(town.agent), 999_999)


def test_family_without_anything_has_zero(ctx: Context) -> None:
    sd = seed(ctx.db)
    fig = wallet.wallet_figures(ctx.as_actor(sd.agent), sd.family_id)
    assert (fig.paid_cents, fig.consumed_cents, fig.estimated_cents, fig.proposed_cents) == (0, 0, 0, 0)
