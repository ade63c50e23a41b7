"""A session open while `portail db restore` replaces the database (issue 13): the
Paiement tab's periodic check notices the new generation, covers the screen with
« La base a été restaurée : quittez et relancez l'application » and the tabs no longer
open (nothing more can be written from this session)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from portail_tui.app import PortailApp
from portail_tui.db import Database
from portail_tui.screens.freshness import RESTORED_MESSAGE, DatabaseRestoredScreen
from portail_tui.screens.paiement.screen import PaiementScreen
from portail_tui.services import backup
from portail_tui.services.context import Context
from tests.support.payments_town import book, seed


async def _settle(pilot, app: PortailApp) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


@pytest.mark.asyncio
async def test_an_open_session_is_told_to_restart_after_a_restore(  # type: ignore[no-untyped-def]
        sqlite_db, clock, settings, tmp_path: Path, monkeypatch) -> None:
    sd = seed(sqlite_db)
    book(sqlite_db, sd, date(2026, 11, 20), 350)
    ctx = Context(db=sqlite_db, clock=clock, settings=settings)
    saved = backup.backup(ctx, tmp_path / "b.sqlite").path
    monkeypatch.setattr(PaiementScreen, "CHANGE_CHECK_SECONDS", 0.2, raising=False)
    admin_db = Database(sqlite_db.url)  # the administrator's `portail db restore`, elsewhere
    app = PortailApp(ctx, actor=sd.agent)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("f3")
            await pilot.pause()
            app.select_family(sd.family_id)
            await _settle(pilot, app)
            assert isinstance(app.screen, PaiementScreen)
            backup.restore(Context(db=admin_db, clock=clock, settings=settings), saved)
            await pilot.pause(0.6)
            await _settle(pilot, app)
            assert isinstance(app.screen, DatabaseRestoredScreen)
            assert RESTORED_MESSAGE in str(app.screen.query_one("#restored-message").render())
            await pilot.press("f1")
            await pilot.press("f4")
            await pilot.press("ctrl+f")  # an app-level key: the family search stays closed too
            await _settle(pilot, app)
            assert isinstance(app.screen, DatabaseRestoredScreen)
    finally:
        admin_db.dispose()
