"""Accueil shows the service day's figures (P6) to régisseurs and administrators only:
expected and marked children per activity today, meals per school for the next
service day. Pilot on SQLite; the counts themselves are tested on both engines."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest
from textual.widgets import Static

from portail_tui.app import PortailApp
from portail_tui.clock import PARIS, FixedClock
from portail_tui.config import Settings
from portail_tui.db import Database
from portail_tui.screens.accueil.screen import AccueilScreen
from portail_tui.services.context import Context
from portail_tui.services.service_day.figures import day_figures
from tests.support import service_day_town as sd
from tests.test_screen_accueil import SIZE, settle

THU = date(2026, 11, 26)


def _town(db: Database) -> sd.DayTown:
    dt = sd.build(db)
    for child in ("Léa", "Jade", "Hugo"):
        sd.book(db, dt, child, "RS", THU)
    lea = sd.book(db, dt, "Léa", "APSS", THU)
    sd.mark(db, dt, "Léa", "APSS", THU, "present", booking_id=lea)
    sd.book(db, dt, "Léa", "RS", date(2026, 11, 27))
    sd.book(db, dt, "Noé", "RS", date(2026, 11, 27))
    return dt


def test_day_figures(ctx: Context) -> None:
    dt = _town(ctx.db)
    figures = day_figures(ctx.as_actor(dt.town.agent), THU)
    assert [(a.code, a.expected, a.marked) for a in figures.activities] == [("RS", 3, 0), ("APSS", 1, 1)]
    assert figures.meals_day == date(2026, 11, 27)
    assert figures.meals == (("École Jules Ferry", 2),)


@pytest.mark.parametrize("role, shown", [("regisseur", True), ("admin", True), ("agent", False)])
async def test_figures_on_accueil_for_regisseurs_only(sqlite_db: Database, settings: Settings,
                                                      role: str, shown: bool) -> None:
    clock = FixedClock(datetime(2026, 11, 26, 10, 0, tzinfo=PARIS))
    ctx = Context(db=sqlite_db, clock=clock, settings=settings)
    dt = _town(sqlite_db)
    actor = replace(dt.town.agent, role=role, login=role)
    app = PortailApp(ctx, actor=actor)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        accueil = app.screen
        assert isinstance(accueil, AccueilScreen)
        widget = accueil.query_one("#service-day", Static)
        assert widget.display is shown
        if shown:
            text = str(widget.render())
            assert "RESTAURANT SCOLAIRE 3 attendus, 0 pointé" in text
            assert "APS SOIR 1 attendu, 1 pointé" in text
            assert "Repas du vendredi 27 novembre : École Jules Ferry 2" in text
