"""Histories (R6, R9) on both engines, against small explicit data."""

from __future__ import annotations

from datetime import date

import pytest

from portail_tui.services import history as h
from portail_tui.services.context import Actor, Context, ServiceError
from tests.support.history_town import NOV_PAYMENTS_TOTAL, NOV_TOTAL_CENTS, build

NOV = h.Month(2026, 11)


@pytest.fixture
def data(ctx: Context):  # type: ignore[no-untyped-def]
    return build(ctx.db)


@pytest.fixture
def actx(ctx: Context, data) -> Context:  # type: ignore[no-untyped-def]
    return ctx.as_actor(data.actor)


def test_months_are_current_and_two_before() -> None:
    assert h.history_months(date(2026, 1, 15)) == [h.Month(2026, 1), h.Month(2025, 12), h.Month(2025, 11)]
    assert h.parse_history_month("11/2026", date(2026, 11, 28)) == NOV
    with pytest.raises(ServiceError, match="août 2026"):
        h.parse_history_month("2026-08", date(2026, 11, 28))
    with pytest.raises(ServiceError, match="Mois invalide"):
        h.parse_history_month("2026-13", date(2026, 11, 28))
    with pytest.raises(ServiceError, match="non consultable"):
        h.parse_history_month("2026-12", date(2026, 11, 28))


def test_consumptions_of_the_month_follow_r6(actx: Context, data) -> None:  # type: ignore[no-untyped-def]
    hist = h.consumption_history(actx, data.family_id, NOV)
    states = [(ln.day.day, ln.child_name, ln.activity_label, ln.state) for ln in hist.lines]
    assert states == [
        (2, "Chloé", "RESTAURANT SCOLAIRE", "consommé"),
        (3, "Chloé", "RESTAURANT SCOLAIRE", "consommé"),
        (3, "Noé", "APS MATIN", "consommé"),
        (3, "Noé", "APS SOIR", "consommé"),
        (5, "Chloé", "RESTAURANT SCOLAIRE", "consommé"),
        (5, "Noé", "APS FORFAIT", "consommé"),
        (6, "Chloé", "RESTAURANT SCOLAIRE", "consommé"),
        (10, "Chloé", "RESTAURANT SCOLAIRE", "annulé"),
        (30, "Chloé", "RESTAURANT SCOLAIRE", "à venir"),
    ]
    assert hist.total_cents == NOV_TOTAL_CENTS == 2400
    assert hist.upcoming_cents == 350
    assert [(t.label, t.count, t.total_cents) for t in hist.totals] == [
        ("RESTAURANT SCOLAIRE", 5, 1750), ("APS MATIN", 1, 150), ("APS SOIR", 1, 200), ("APS FORFAIT", 1, 300),
    ]
    assert hist.children == ((data.chloe_id, "Chloé"), (data.noe_id, "Noé"))


def test_window_stops_at_today_plus_15_days(actx: Context, data) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ServiceError):  # December is a future month on 28/11
        h.consumption_history(actx, data.family_id, h.Month(2026, 12))
    # On 1 December the window ends on 16/12: the 14th is « à venir », the 1st consumed.
    actx.clock.set(actx.clock.now().replace(month=12, day=1))  # type: ignore[attr-defined]
    hist = h.consumption_history(actx, data.family_id, h.Month(2026, 12))
    assert [(ln.day, ln.state) for ln in hist.lines] == [(date(2026, 12, 1), "consommé"),
                                                        (date(2026, 12, 14), "à venir")]
    # On 10 November the window ends on 25/11: the 30th is not a consumption yet.
    actx.clock.set(actx.clock.now().replace(month=11, day=10))  # type: ignore[attr-defined]
    hist = h.consumption_history(actx, data.family_id, NOV)
    assert date(2026, 11, 30) not in {ln.day for ln in hist.lines}
    assert hist.total_cents == 2400 - 350
    assert hist.upcoming_cents == 0


def test_period_booking_counts_from_its_first_day(actx: Context, data) -> None:  # type: ignore[no-untyped-def]
    hist = h.consumption_history(actx, data.family_id, h.Month(2026, 10))
    assert [(ln.day, ln.label, ln.price_cents) for ln in hist.lines] == [
        (date(2026, 10, 5), "RESTAURANT SCOLAIRE", 340),
        (date(2026, 10, 19), "CENTRE DE LOISIRS — Toussaint — semaine 1", 1250),
    ]
    assert hist.total_cents == 1590


@pytest.mark.parametrize(
    ("text", "expected"),
    [("APS", {"APS MATIN", "APS SOIR", "APS FORFAIT"}), ("aps soir", {"APS SOIR"}),
     ("restau", {"RESTAURANT SCOLAIRE"}), ("cantine", {"RESTAURANT SCOLAIRE"}), ("forfait", {"APS FORFAIT"}),
     ("xyz", set())],
)
def test_activity_text_filter(actx: Context, data, text: str, expected: set[str]) -> None:  # type: ignore[no-untyped-def]
    hist = h.consumption_history(actx, data.family_id, NOV, activity_text=text)
    assert {ln.activity_label for ln in hist.lines} == expected
    assert hist.unfiltered_count == 9


def test_child_and_activity_filters_combine(actx: Context, data) -> None:  # type: ignore[no-untyped-def]
    hist = h.consumption_history(actx, data.family_id, NOV, child_id=data.noe_id, activity_text="aps")
    assert hist.total_cents == 650
    assert hist.filter.describe() == "enfant Noé, activité « aps »"
    only_chloe = h.consumption_history(actx, data.family_id, NOV, child_id=data.chloe_id)
    assert {ln.child_name for ln in only_chloe.lines} == {"Chloé"}
    assert only_chloe.total_cents == 1750
    with pytest.raises(ServiceError, match="pas rattaché"):
        h.consumption_history(actx, data.family_id, NOV, child_id=data.noe_id + 1000)


def test_payments_of_the_month_with_reversal_marks(actx: Context, data) -> None:  # type: ignore[no-untyped-def]
    hist = h.payment_history(actx, data.family_id, NOV)
    assert [(ln.receipt_number, ln.kind_label, ln.mode_label, ln.amount_cents, ln.mark) for ln in hist.lines] == [
        (41, "Règlement", "Espèces", 4000, ""),
        (42, "Règlement", "Chèque", 6000, "annulé par la quittance n° 43"),
        (43, "Annulation", "Chèque", -6000, "annule la quittance n° 42"),
        (44, "Règlement", "CB au guichet", 2500, ""),
    ]
    assert hist.total_cents == NOV_PAYMENTS_TOTAL == 6500
    assert hist.lines[1].mode_text == "Chèque n° 1234567"
    assert hist.lines[1].observation == "annulé par la quittance n° 43"
    assert hist.lines[0].at.hour == 10


def test_other_regie_cannot_read_the_family(ctx: Context, data) -> None:  # type: ignore[no-untyped-def]
    stranger = ctx.as_actor(Actor(kind="agent", login="x", regie_id=data.regie_id + 99))
    with pytest.raises(ServiceError, match="introuvable"):
        h.payment_history(stranger, data.family_id, NOV)


def test_find_child_by_first_name() -> None:
    kids = [(1, "Chloé"), (2, "Noé"), (3, "Noémie")]
    assert h.find_child(kids, "chloe") == 1
    assert h.find_child(kids, "NOÉ") == 2
    assert h.find_child(kids, "noem") == 3
    with pytest.raises(ServiceError, match="Aucun enfant « Léa »"):
        h.find_child(kids, "Léa")


def test_batch_statements_and_town_rows(actx: Context, data) -> None:  # type: ignore[no-untyped-def]
    sys_ctx = actx.as_actor(Actor(kind="system", login="nuit", regie_id=data.regie_id, role="admin"))
    ids = h.family_ids_by_number(sys_ctx)
    assert ids == [data.family_id, data.other_family_id]
    statements = h.monthly_statements(sys_ctx, ids, NOV)
    assert [s.consumptions.total_cents for s in statements] == [2400, 350]
    assert [s.payments.total_cents for s in statements] == [6500, 1000]
    rows = list(h.town_consumption_rows(sys_ctx, NOV))
    assert len(rows) == 10
    assert rows[-1][:2] == ["000124", "DURAND"]
    assert sum(r[-1] or 0 for r in rows) == 2750
    aps = list(h.town_consumption_rows(sys_ctx, NOV, activity_text="APS"))
    assert {r[4] for r in aps} == {"APS MATIN", "APS SOIR", "APS FORFAIT"}


def test_statement_reports(actx: Context, data) -> None:  # type: ignore[no-untyped-def]
    cons = h.consumption_history(actx, data.family_id, NOV, activity_text="APS")
    report = h.consumptions_report(cons, actx.clock.now())
    assert report.subtitle == "Famille LEFÈVRE — n° 000123"
    assert report.period_label == "Novembre 2026 — activité « APS »"
    table = report.tables[0][1]
    assert table.totals[-1] == ["Total des consommations", None, None, None, 650]
    assert h.statement_filename_parts("releve-consommations", cons) == ("releve-consommations", 123, "2026-11-APS")


def test_month_boundaries_are_paris_midnight(actx: Context, data) -> None:  # type: ignore[no-untyped-def]
    """A payment at 00:30 on 1 November (Paris) is November's, though it is still
    31 October in UTC; one at 23:30 on 31 October is October's."""
    from datetime import datetime

    from portail_tui.clock import PARIS
    from portail_tui.models import Payment

    def _add(s):  # type: ignore[no-untyped-def]
        for number, when in ((90, datetime(2026, 11, 1, 0, 30, tzinfo=PARIS)),
                             (91, datetime(2026, 10, 31, 23, 30, tzinfo=PARIS))):
            s.add(Payment(regie_id=data.regie_id, family_id=data.family_id, receipt_number=number, kind="payment",
                          mode="cb", amount_cents=100, business_day=when.date(), created_at=when,
                          created_by="agent:agent"))

    actx.db.write(_add)
    assert 90 in [ln.receipt_number for ln in h.payment_history(actx, data.family_id, NOV).lines]
    october = [ln.receipt_number for ln in h.payment_history(actx, data.family_id, h.Month(2026, 10)).lines]
    assert october == [40, 91]
