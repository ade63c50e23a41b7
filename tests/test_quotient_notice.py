"""A family's quotient ending (issue 12): every demo quotient ends on 31/12/2026 and
January days then cost the full tariff. The end is shown where a price is shown (day
dialog, recap, the family line of Réservations) and on Accueil (the family's alert and a
régie count)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select

from portail_tui.app import PortailApp
from portail_tui.clock import PARIS, FixedClock
from portail_tui.models import Family
from portail_tui.screens.accueil.screen import AccueilScreen
from portail_tui.screens.reservations.day import DayDialog
from portail_tui.screens.reservations.recap import RecapDialog
from portail_tui.services.alerts import family_alerts, regie_counts
from portail_tui.services.context import Actor, Context
from portail_tui.services.families import (
    family_by_number,
    family_summary,
    quotient_days_notice,
    quotient_expiry_notice,
)
from tests.test_screen_reservations import SIZE, go_to, open_tab, settle

END = date(2026, 12, 31)


def test_expiry_notice_rules() -> None:
    assert quotient_expiry_notice(650, END, date(2026, 11, 28)) is None  # 33 days left
    assert "valable jusqu'au 31/12/2026" in (quotient_expiry_notice(650, END, date(2026, 12, 1)) or "")
    assert "valable jusqu'au" in (quotient_expiry_notice(650, END, date(2026, 11, 28), until=date(2027, 1, 31))
                                  or "")
    assert "expiré le 31/12/2026" in (quotient_expiry_notice(650, END, date(2027, 1, 4)) or "")
    assert quotient_expiry_notice(None, END, date(2027, 1, 4)) is None  # no quotient: nothing ends
    assert quotient_expiry_notice(650, None, date(2027, 1, 4)) is None
    assert quotient_days_notice(650, END, [date(2026, 12, 18)]) is None
    assert "ce jour au plein tarif" in (quotient_days_notice(650, END, [date(2027, 1, 4)]) or "")
    assert "2 jour(s) après cette date" in (
        quotient_days_notice(650, END, [date(2026, 12, 18), date(2027, 1, 4), date(2027, 1, 5)]) or "")


def test_accueil_alerts_for_the_family_and_the_regie(demo_ctx: Context, agent: Actor) -> None:
    ctx = demo_ctx.as_actor(agent)
    fid = family_by_number(ctx, 1)
    assert family_summary(ctx, fid).quotient_valid_to == END
    assert not any("Quotient" in a.text for a in family_alerts(ctx, fid).alerts())
    assert regie_counts(ctx).quotients_expiring == 0
    with_quotient = ctx.db.read(lambda s: s.execute(
        select(func.count()).select_from(Family).where(Family.quotient.is_not(None),  # type: ignore[union-attr]
                                                       Family.regie_id == agent.regie_id)).scalar_one())
    assert with_quotient > 0
    clock = ctx.clock
    assert isinstance(clock, FixedClock)
    clock.set(datetime(2026, 12, 7, 9, 0, tzinfo=PARIS))
    counts = regie_counts(ctx)
    assert counts.quotients_expiring == with_quotient and counts.quotients_expired == 0
    texts = [a.text for a in counts.alerts()]
    assert f"{with_quotient} quotients familiaux expirent d'ici le 06/01/2027 (plein tarif au-delà)" in texts
    assert any(a.text.startswith("Quotient familial valable jusqu'au 31/12/2026")
               for a in family_alerts(ctx, fid).alerts())
    clock.set(datetime(2027, 1, 4, 9, 0, tzinfo=PARIS))
    counts = regie_counts(ctx)
    assert counts.quotients_expired == with_quotient and counts.quotients_expiring == 0
    assert any(a.text.startswith("Quotient familial expiré le 31/12/2026")
               for a in family_alerts(ctx, fid).alerts())


async def test_day_dialog_recap_and_family_line_warn(sqlite_demo_ctx: Context, agent: Actor) -> None:
    ctx = sqlite_demo_ctx.as_actor(agent)
    fid = family_by_number(ctx, 1)
    app = PortailApp(ctx, actor=agent)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tab(app, pilot, fid)
        assert "Quotient" not in str(screen.query_one("#resa-family").render())  # November
        await go_to(app, pilot, date(2026, 12, 18))
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, DayDialog) and not app.screen.query_one("#day-quotient").display
        await pilot.press("escape")
        await settle(app, pilot)
        await pilot.press("pagedown")  # January 2027
        await settle(app, pilot)
        assert "valable jusqu'au 31/12/2026" in str(screen.query_one("#resa-family").render())
        await pilot.press("enter")
        await settle(app, pilot)
        dialog = app.screen
        assert isinstance(dialog, DayDialog) and dialog.options.day.year == 2027
        assert "ce jour au plein tarif" in str(dialog.query_one("#day-quotient").render())
        assert dialog.query_one("#day-quotient").display
        free = [i for i, o in enumerate(dialog.options.options) if o.booked_status is None and o.book.ok]
        dialog.query_one("#day-table").move_cursor(row=free[0])
        await pilot.press("space", "v")
        await settle(app, pilot)
        recap = app.screen
        assert isinstance(recap, RecapDialog)
        assert "plein tarif" in str(recap.query_one("#recap-status").render())


async def test_accueil_screen_shows_the_quotient_alerts(sqlite_demo_ctx: Context, agent: Actor) -> None:
    ctx = sqlite_demo_ctx.as_actor(agent)
    clock = ctx.clock
    assert isinstance(clock, FixedClock)
    clock.set(datetime(2026, 12, 7, 9, 0, tzinfo=PARIS))
    fid = family_by_number(ctx, 1)
    app = PortailApp(ctx, actor=agent)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        app.select_family(fid)
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, AccueilScreen)
        assert "Quotient familial valable jusqu'au 31/12/2026" in str(screen.query_one("#alerts").render())
        assert "quotients familiaux expirent d'ici le 06/01/2027" in str(screen.query_one("#regie-counts").render())
