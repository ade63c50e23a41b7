"""« Justifier une absence » through the Pilot, from Historiques (the selected line's
day) and from Réservations (the selected child, the month shown): a late certificate
is refused in place and nothing changes; in time, the line reads « absence justifiée
— non facturée » at 0,00 € and the wallet follows. Keys only."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from textual.widgets import DataTable, SelectionList, Static

from portail_tui.app import PortailApp
from portail_tui.db import Database
from portail_tui.models import Attendance
from portail_tui.screens.historiques.screen import HistoriquesScreen
from portail_tui.screens.justify import JustifyDialog
from portail_tui.screens.reservations.screen import ReservationsScreen
from portail_tui.services import wallet
from portail_tui.services.context import Context
from portail_tui.widgets.keybar import key_hints
from tests.support.history_town import HistoryData, build

SIZE = (130, 40)


@pytest.fixture
def setup(sqlite_db: Database, clock, settings):  # type: ignore[no-untyped-def]
    data = build(sqlite_db)
    return Context(db=sqlite_db, clock=clock, settings=settings), data


async def _settle(pilot, app: PortailApp) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


def _marks(db: Database) -> dict[date, tuple[str, bool]]:
    return db.read(lambda s: {a.day: (a.state, a.billed) for a in s.execute(select(Attendance)).scalars()})


def _hint(app: PortailApp, word: str) -> bool | None:
    hints, _ = key_hints(app.screen)
    return next((h.enabled for h in hints if h.description == word and h.display.lower() == "j"), None)


def _message(app: PortailApp) -> str:
    return str(app.screen.query_one("#justify-message", Static).render())


async def _type_received(pilot, app: PortailApp, text: str) -> None:  # type: ignore[no-untyped-def]
    """From the days list: Tab to the reason, Tab to « Reçu le », retype it, Entrée."""
    await pilot.press("tab", "tab", "home", "ctrl+k", *text, "enter")
    await _settle(pilot, app)


async def test_from_historiques_refused_late_then_recorded(setup) -> None:  # type: ignore[no-untyped-def]
    ctx, data = setup
    solde = db_solde(ctx, data)
    app = PortailApp(ctx, actor=data.actor)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        await pilot.pause()
        app.select_family(data.family_id)
        await _settle(pilot, app)
        screen = app.screen
        assert isinstance(screen, HistoriquesScreen)
        await pilot.press("f9", "enter")  # consumptions; Entrée leaves the filter for the list
        await _settle(pilot, app)
        assert _hint(app, "Justifier absence") is True
        table = screen.query_one("#consumptions-table", DataTable)
        assert str(table.get_row_at(0)[0]) == "02/11/2026" and table.cursor_row == 0
        await pilot.press("j")
        await _settle(pilot, app)
        dialog = app.screen
        assert isinstance(dialog, JustifyDialog)
        assert list(dialog.query_one("#justify-days", SelectionList).selected) == [date(2026, 11, 2)]
        # Received today (28/11): 7 days after 02/11 have passed.
        await pilot.press("ctrl+o")
        await _settle(pilot, app)
        assert app.screen is dialog
        assert ("Justificatif reçu le 28/11/2026 : le délai de 7 jours après l'absence du 02/11/2026 est dépassé."
                in _message(app))
        assert _marks(ctx.db) == {}
        # The certificate was in fact handed in on 6 November.
        await _type_received(pilot, app, "06/11/2026")
        assert isinstance(app.screen, HistoriquesScreen)
        assert _marks(ctx.db) == {date(2026, 11, 2): ("absent_justifie", False)}
        await _settle(pilot, app)
        row = table.get_row_at(0)
        assert str(row[3]) == "absence justifiée — non facturée" and str(row[4]).replace("\xa0", " ") == "0,00 €"
        assert "Total des consommations : 20,50" in str(screen.query_one("#consumptions-totals", Static).render())
        assert "1 jour non facturé" in str(screen.query_one("#hist-status", Static).render())
    assert db_solde(ctx, data) == solde + 350


async def test_from_reservations_the_days_of_the_month_shown(setup) -> None:  # type: ignore[no-untyped-def]
    ctx, data = setup
    app = PortailApp(ctx, actor=data.actor)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f4")
        app.select_family(data.family_id)
        await _settle(pilot, app)
        assert isinstance(app.screen, ReservationsScreen)
        assert _hint(app, "Justifier absence") is True
        await pilot.press("j")
        await _settle(pilot, app)
        dialog = app.screen
        assert isinstance(dialog, JustifyDialog)
        assert "Chloé" in str(dialog.query_one("#justify-title", Static).render())
        assert str(dialog.query_one("#justify-policy", Static).render()) \
            == "Justificatif accepté jusqu'à 7 jours après l'absence ; les jours justifiés ne sont pas facturés."
        days = dialog.query_one("#justify-days", SelectionList)
        # Chloé's booked past days of November (the 30th is still to come, the 10th was cancelled).
        assert [days.get_option_at_index(i).value for i in range(days.option_count)] == [
            date(2026, 11, d) for d in (2, 3, 5, 6)]
        await pilot.press("space", "down", "space")  # 2 and 3 November
        await _type_received(pilot, app, "10/11/2026")
        assert isinstance(app.screen, ReservationsScreen)
        assert "2 jours non facturés" in str(app.screen.query_one("#resa-status", Static).render())
    assert _marks(ctx.db) == {date(2026, 11, 2): ("absent_justifie", False),
                              date(2026, 11, 3): ("absent_justifie", False)}


async def test_escape_closes_without_recording(setup) -> None:  # type: ignore[no-untyped-def]
    ctx, data = setup
    app = PortailApp(ctx, actor=data.actor)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f4")
        app.select_family(data.family_id)
        await _settle(pilot, app)
        await pilot.press("j")
        await _settle(pilot, app)
        await pilot.press("space", "escape")
        await _settle(pilot, app)
        assert isinstance(app.screen, ReservationsScreen)
    assert _marks(ctx.db) == {}


def db_solde(ctx: Context, data: HistoryData) -> int:
    return ctx.db.read(lambda s: wallet.solde_cents(s, data.family_id, ctx.clock.today()))


async def test_the_state_filter_of_the_consumptions(setup) -> None:  # type: ignore[no-untyped-def]
    from textual.widgets import Select

    from portail_tui.services.attendance_justify import record_justification

    ctx, data = setup
    record_justification(ctx.as_actor(data.actor), data.family_id, data.chloe_id, [date(2026, 11, 3)], "autre",
                         date(2026, 11, 4))
    app = PortailApp(ctx, actor=data.actor)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        await pilot.pause()
        app.select_family(data.family_id)
        await _settle(pilot, app)
        screen = app.screen
        await pilot.press("f9")
        screen.query_one("#hist-state", Select).value = "absent_justifie"
        await _settle(pilot, app)
        table = screen.query_one("#consumptions-table", DataTable)
        assert [str(table.get_row_at(i)[0]) for i in range(table.row_count)] == ["03/11/2026"]
        assert "Total des consommations : 0,00" in str(screen.query_one("#consumptions-totals", Static).render())
        screen.query_one("#hist-state", Select).value = "reserve"
        await _settle(pilot, app)
        rows = [(str(table.get_row_at(i)[0]), str(table.get_row_at(i)[1])) for i in range(table.row_count)]
        # Unmarked: Chloé's 2, 5, 6 and 30 (to come), Noé's 3 (APS matin and soir) and 5; not Chloé's
        # justified 3rd, nor her cancelled 10th.
        assert sorted(rows) == sorted([("02/11/2026", "Chloé"), ("05/11/2026", "Chloé"), ("06/11/2026", "Chloé"),
                                       ("30/11/2026", "Chloé"), ("03/11/2026", "Noé"), ("03/11/2026", "Noé"),
                                       ("05/11/2026", "Noé")])
