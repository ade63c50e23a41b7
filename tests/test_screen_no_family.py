"""Tabs opened before any family is chosen (issue 12, « keys that trap »): they say
what to do instead of waiting for data that will never come."""

from __future__ import annotations

from textual.widgets import Static

from portail_tui.app import PortailApp
from portail_tui.screens.reservations.screen import ReservationsScreen
from portail_tui.services.context import Context
from portail_tui.widgets.month_calendar import MonthCalendar
from tests.support.payments_town import seed


async def _settle(pilot, app: PortailApp) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


async def test_reservations_without_a_family_says_so(sqlite_db, clock, settings) -> None:  # type: ignore[no-untyped-def]
    sd = seed(sqlite_db)
    app = PortailApp(Context(db=sqlite_db, clock=clock, settings=settings), actor=sd.agent)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f4")
        await _settle(pilot, app)
        screen = app.screen
        assert isinstance(screen, ReservationsScreen)
        assert "Ctrl+F" in str(screen.query_one("#resa-family", Static).render())
        # No calendar of empty days reading « chargement… » forever.
        assert not screen.query_one(MonthCalendar).display
        assert "chargement" not in app.export_screenshot()
        app.select_family(sd.family_id)
        await _settle(pilot, app)
        assert screen.query_one(MonthCalendar).display
