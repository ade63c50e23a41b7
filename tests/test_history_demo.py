"""Histories on the 30-family demo town (both engines): the batch and town paths agree
with the per-family services, and the month histories agree with the wallet (R6)."""

from __future__ import annotations

from sqlalchemy import func, select

from portail_tui.domain.money import format_amount
from portail_tui.models import Booking
from portail_tui.services import history as h
from portail_tui.services.context import Actor, Context
from portail_tui.services.permissions import system_actor
from portail_tui.services.wallet import consumed_cents, consumption_limit

NOV = h.Month(2026, 11)


def test_batch_equals_per_family_services(demo_ctx: Context, agent: Actor) -> None:
    ctx = demo_ctx.as_actor(agent)
    ids = h.family_ids_by_number(ctx)
    assert len(ids) == 30
    statements = h.monthly_statements(ctx, ids, NOV)
    assert [s.family.id for s in statements] == ids
    active = 0
    for st in statements:
        single = h.consumption_history(ctx, st.family.id, NOV)
        assert st.consumptions.lines == single.lines
        assert st.consumptions.total_cents == single.total_cents
        assert st.payments.lines == h.payment_history(ctx, st.family.id, NOV).lines
        active += not st.empty
    assert active > 10  # the demo town books most families in November


def test_town_rows_are_the_families_lines_in_number_order(demo_ctx: Context, agent: Actor) -> None:
    ctx = demo_ctx.as_actor(agent)
    expected = []
    for fid in h.family_ids_by_number(ctx):
        hist = h.consumption_history(ctx, fid, NOV)
        expected += [[hist.family.number_text, hist.family.name, ln.day, ln.child_name, ln.label, ln.state,
                      ln.shown_price] for ln in hist.lines]
    assert list(h.town_consumption_rows(ctx, NOV)) == expected
    aps = list(h.town_consumption_rows(ctx, NOV, activity_text="APS"))
    assert aps and all(r[4].startswith("APS") for r in aps)


def test_month_histories_add_up_to_the_wallet(demo_ctx: Context) -> None:
    """Consumed money per the wallet (R6, all time) = the sum of every month's counted
    lines in the histories; so a statement can never disagree with the solde."""
    today = demo_ctx.clock.today()
    regie_id = demo_ctx.db.read(lambda s: s.execute(select(func.min(Booking.regie_id))).scalar_one())
    ctx = demo_ctx.as_actor(system_actor(regie_id))
    first_day = demo_ctx.db.read(lambda s: s.execute(select(func.min(Booking.day))).scalar_one())
    months = []
    month = h.Month.of(first_day)
    while month.first_day <= consumption_limit(today):
        months.append(month)
        month = month.shifted(1)
    ids = h.family_ids_by_number(ctx)

    def _totals(session):  # type: ignore[no-untyped-def]
        totals = dict.fromkeys(ids, 0)
        for m in months:
            for fid, lines in h.consumption_lines_for(session, ids, m, today).items():
                totals[fid] += sum(ln.price_cents for ln in lines if ln.counted)
        wallet = {fid: consumed_cents(session, fid, today) for fid in ids}
        return totals, wallet

    totals, wallet = demo_ctx.db.read(_totals)
    assert totals == wallet
    assert sum(wallet.values()) > 0


def test_demo_statement_pdf_fits_one_page(sqlite_demo_ctx: Context, agent: Actor) -> None:
    import io

    from pypdf import PdfReader

    ctx = sqlite_demo_ctx.as_actor(agent)
    busiest = max(h.monthly_statements(ctx, h.family_ids_by_number(ctx), NOV),
                  key=lambda s: len(s.consumptions.lines))
    hist = h.consumption_history(ctx, busiest.family.id, NOV)
    reader = PdfReader(io.BytesIO(h.consumptions_file(ctx, hist, "pdf").data))
    text = "\n".join(p.extract_text() for p in reader.pages).replace("\xa0", " ").replace("\u202f", " ")
    total = format_amount(hist.total_cents).replace("\xa0", " ").replace("\u202f", " ")
    assert f"Total des consommations {total}" in text
    if len(hist.lines) <= 30:
        assert len(reader.pages) == 1
