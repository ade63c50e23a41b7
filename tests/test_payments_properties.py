"""Property: for any sequence of payments, reversals, refunds and bookings, the solde
is the sum of the wallet's entries minus the consumed bookings, every refusal the model
predicts happens (and records nothing), and the régie's receipt numbers have no gap."""

from __future__ import annotations

from datetime import timedelta
from itertools import count

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portail_tui.services import payments, wallet
from portail_tui.services.context import Context, ServiceError
from tests.support.payments_town import TODAY, add_family, book, receipt_numbers, seed

ops = st.lists(
    st.one_of(
        st.tuples(st.just("pay"), st.integers(1, 40_000), st.sampled_from(["especes", "cb", "cheque"])),
        st.tuples(st.just("reverse"), st.integers(0, 50)),
        st.tuples(st.just("refund"), st.integers(1, 20_000)),
        st.tuples(st.just("book"), st.integers(-30, 40), st.integers(0, 2_000),
                  st.sampled_from(["confirmed", "waiting", "cancelled"])),
    ),
    max_size=14,
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=ops)
def test_solde_is_sum_of_entries_and_numbers_have_no_gap(ctx: Context, sequence) -> None:  # type: ignore[no-untyped-def]
    sd = _seeded(ctx)
    agent, reg = ctx.as_actor(sd.agent), ctx.as_actor(sd.regisseur)
    fid, cid = ctx.db.write(lambda s: add_family(s, sd.regie_id, next(_numbers), name="PROP"))
    entries: list[dict] = []  # the model: amount, kind, reversed
    consumed = 0
    limit = wallet.consumption_limit(TODAY)
    used_days: set = set()
    for op in sequence:
        paid = sum(e["amount"] for e in entries)
        if op[0] == "pay":
            _, amount, mode = op
            extra = {"cheque_number": "1234567", "cheque_bank": "Banque", "cheque_drawer": "Prop"} \
                if mode == "cheque" else {}
            # The cash ceiling is per family and day (net of reversals; the clock does not move).
            cash_today = sum(e["amount"] for e in entries
                             if e["kind"] == "payment" and e.get("mode") == "especes" and not e["reversed"])
            refused = mode == "especes" and cash_today + amount > 30_000
            try:
                r = payments.take_payment(agent, fid, amount_cents=amount, mode=mode, **extra)
            except ServiceError:
                assert refused
            else:
                assert not refused
                entries.append({"id": r.payment_id, "amount": amount, "kind": "payment", "reversed": False,
                                "mode": mode})
        elif op[0] == "reverse":
            if not entries:
                continue
            target = entries[op[1] % len(entries)]
            refused = target["kind"] == "reversal" or target["reversed"]
            try:
                rev = payments.reverse_payment(reg, target["id"], reason="Propriété")
            except ServiceError:
                assert refused
            else:
                assert not refused
                target["reversed"] = True
                entries.append({"id": rev.payment_id, "amount": -target["amount"], "kind": "reversal", "reversed": False})
        elif op[0] == "refund":
            amount = op[1]
            solde = paid - consumed
            refused = solde <= 0 or amount > solde
            try:
                r = payments.refund(reg, fid, amount_cents=amount, mode="virement", reason="Propriété")
            except ServiceError:
                assert refused
            else:
                assert not refused
                entries.append({"id": r.payment_id, "amount": -amount, "kind": "refund", "reversed": False})
        else:
            _, offset, price, status = op
            day = TODAY + timedelta(days=offset)
            if status != "cancelled":
                if day in used_days:
                    continue
                used_days.add(day)
            book(ctx.db, sd, day, price, status=status, family_id=fid, child_id=cid)
            if status == "confirmed" and day <= limit:
                consumed += price
        fig = wallet.wallet_figures(agent, fid)
        assert fig.paid_cents == sum(e["amount"] for e in entries)
        assert fig.consumed_cents == consumed
        assert fig.solde_cents == fig.paid_cents - consumed
    numbers = receipt_numbers(ctx.db, sd.regie_id)
    assert numbers == list(range(1, len(numbers) + 1))


_numbers = count(1000)
_seeds: dict[str, object] = {}


def _seeded(ctx: Context):  # type: ignore[no-untyped-def]
    """One régie per database: hypothesis runs every example on the same fixture."""
    key = ctx.db.url
    if key not in _seeds:
        _seeds.clear()
        _seeds[key] = seed(ctx.db)
    return _seeds[key]


@given(cents=st.integers(0, 1_000_000))
def test_prefilled_amount_reads_back(cents: int) -> None:
    """The Paiement screen pre-fills the amount as format_amount_plain and reads it with
    parse_amount: what it proposes is exactly what it takes."""
    from portail_tui.domain.money import format_amount, format_amount_plain, parse_amount

    assert parse_amount(format_amount_plain(cents), allow_zero=True) == cents
    assert parse_amount(format_amount(cents), allow_zero=True) == cents
