"""Historiques tab through the Pilot: sections, month selector, filters, export and print."""

from __future__ import annotations

import io
import stat
from pathlib import Path

import pytest
from pypdf import PdfReader
from textual.widgets import DataTable, Input, Select, Static, TabbedContent

from portail_tui.app import PortailApp
from portail_tui.db import Database
from portail_tui.screens.historiques.screen import HistoriquesScreen
from portail_tui.services.context import Context
from tests.support.history_town import build


@pytest.fixture
def setup(sqlite_db: Database, clock, settings):  # type: ignore[no-untyped-def]
    data = build(sqlite_db)
    ctx = Context(db=sqlite_db, clock=clock, settings=settings)
    return ctx, data


async def _open(pilot, app: PortailApp, family_id: int) -> HistoriquesScreen:  # type: ignore[no-untyped-def]
    await pilot.press("f2")
    await pilot.pause()
    app.select_family(family_id)
    await _settle(pilot, app)
    screen = app.screen
    assert isinstance(screen, HistoriquesScreen)
    return screen


async def _settle(pilot, app: PortailApp) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


def _cells(table: DataTable, column: int) -> list[str]:
    return [str(table.get_row_at(i)[column]) for i in range(table.row_count)]


async def test_payments_and_consumptions_of_the_month(setup) -> None:  # type: ignore[no-untyped-def]
    ctx, data = setup
    app = PortailApp(ctx, actor=data.actor)
    async with app.run_test(size=(130, 40)) as pilot:
        screen = await _open(pilot, app, data.family_id)
        payments = screen.query_one("#payments-table", DataTable)
        assert _cells(payments, 0) == ["41", "42", "43", "44"]
        assert "annulé par la quittance n° 43" in _cells(payments, 4)[1]
        assert "65,00" in str(screen.query_one("#payments-total", Static).render())
        await pilot.press("f9")
        await pilot.pause()
        assert screen.query_one("#hist-sections", TabbedContent).active == "consommations"
        table = screen.query_one("#consumptions-table", DataTable)
        assert table.row_count == 9
        totals = str(screen.query_one("#consumptions-totals", Static).render())
        assert "Total des consommations : 24,00" in totals


async def test_filters_child_and_activity_text(setup) -> None:  # type: ignore[no-untyped-def]
    ctx, data = setup
    app = PortailApp(ctx, actor=data.actor)
    async with app.run_test(size=(130, 40)) as pilot:
        screen = await _open(pilot, app, data.family_id)
        await pilot.press("f9")
        screen.query_one("#hist-activity", Input).focus()
        await pilot.press("a", "p", "s")
        await _settle(pilot, app)
        table = screen.query_one("#consumptions-table", DataTable)
        assert _cells(table, 2) == ["APS MATIN", "APS SOIR", "APS FORFAIT"]
        assert "Total des consommations : 6,50" in str(screen.query_one("#consumptions-totals", Static).render())
        screen.query_one("#hist-child", Select).value = data.chloe_id
        await _settle(pilot, app)
        assert table.row_count == 0
        assert "Aucune consommation en novembre 2026 (enfant Chloé, activité « aps »)" in str(
            screen.query_one("#consumptions-totals", Static).render())
        # Exporting an empty filtered statement is refused with a message, no file.
        await pilot.press("f7")
        await _settle(pilot, app)
        assert "Rien à exporter" in str(screen.query_one("#hist-status", Static).render())
        assert not ctx.settings.exports_dir.exists() or not any(ctx.settings.exports_dir.iterdir())


async def test_month_selector_offers_three_months(setup) -> None:  # type: ignore[no-untyped-def]
    ctx, data = setup
    app = PortailApp(ctx, actor=data.actor)
    async with app.run_test(size=(130, 40)) as pilot:
        screen = await _open(pilot, app, data.family_id)
        month = screen.query_one("#hist-month", Select)
        assert [value for _label, value in month._options] == ["2026-11", "2026-10", "2026-09"]
        month.value = "2026-10"
        await _settle(pilot, app)
        assert _cells(screen.query_one("#payments-table", DataTable), 0) == ["40"]
        await pilot.press("f9")
        await pilot.pause()
        labels = _cells(screen.query_one("#consumptions-table", DataTable), 2)
        assert labels == ["RESTAURANT SCOLAIRE", "CENTRE DE LOISIRS — Toussaint — semaine 1"]


async def test_export_pdf_of_exactly_what_is_filtered(setup) -> None:  # type: ignore[no-untyped-def]
    ctx, data = setup
    app = PortailApp(ctx, actor=data.actor)
    async with app.run_test(size=(130, 40)) as pilot:
        screen = await _open(pilot, app, data.family_id)
        await pilot.press("f9")
        screen.query_one("#hist-activity", Input).value = "APS"
        await _settle(pilot, app)
        await pilot.press("f7")
        await _settle(pilot, app)
        path = ctx.settings.exports_dir / "releve-consommations-000123-2026-11-aps.pdf"
        assert screen.last_export == path
        assert f"Fichier enregistré : {path}" in str(screen.query_one("#hist-status", Static).render())
        text = PdfReader(io.BytesIO(path.read_bytes())).pages[0].extract_text().replace("\xa0", " ")
        assert "Total des consommations 6,50 €" in text
        assert "RESTAURANT" not in text
        await pilot.press("f6")
        await _settle(pilot, app)
        assert (ctx.settings.exports_dir / "releve-consommations-000123-2026-11-aps.csv").exists()
        # F9 right after the two exports: the section switches and stays switched (the
        # focused filter, hidden, used to hand the focus to a sibling in its own pane,
        # which switched the section back — one full run in two).
        await pilot.press("f9")
        await _settle(pilot, app)
        assert screen.section == "reglements"
        assert app.focused is screen.query_one("#payments-table", DataTable)
        await pilot.press("f6")
        await _settle(pilot, app)
        assert (ctx.settings.exports_dir / "historique-reglements-000123-2026-11.csv").exists()


async def test_export_in_a_browser_is_offered_as_a_download(setup, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    ctx, data = setup
    delivered: list[tuple[Path, str]] = []
    monkeypatch.setattr(PortailApp, "is_web", property(lambda self: True))
    monkeypatch.setattr(PortailApp, "deliver_binary",
                        lambda self, path, *, open_method: delivered.append((path, open_method)))
    app = PortailApp(ctx, actor=data.actor)
    async with app.run_test(size=(130, 40)) as pilot:
        screen = await _open(pilot, app, data.family_id)
        await pilot.press("f6")
        await _settle(pilot, app)
        path = ctx.settings.exports_dir / "historique-reglements-000123-2026-11.csv"
        assert screen.last_export == path
        assert f"Fichier enregistré : {path}" in str(screen.query_one("#hist-status", Static).render())
        assert delivered == [(path, "download")]


async def test_print_over_ssh_says_where_the_file_is(setup, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    ctx, data = setup
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    lp = bin_dir / "lp"
    lp.write_text('#!/bin/sh\necho "request id is guichet-7 (1 file(s))"\n')
    lp.chmod(lp.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    monkeypatch.setenv("SSH_CONNECTION", "10.0.0.2 5555 10.0.0.1 22")
    app = PortailApp(ctx, actor=data.actor)
    async with app.run_test(size=(130, 40)) as pilot:
        screen = await _open(pilot, app, data.family_id)
        await pilot.press("f8")
        await _settle(pilot, app)
        status = str(screen.query_one("#hist-status", Static).render())
        assert "Envoyé à l'imprimante par défaut (travail guichet-7)." in status
        assert "Fichier enregistré sur le serveur :" in status


async def test_print_without_lp_is_explained(setup, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    ctx, data = setup
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    app = PortailApp(ctx, actor=data.actor)
    async with app.run_test(size=(130, 40)) as pilot:
        screen = await _open(pilot, app, data.family_id)
        await pilot.press("f8")
        await _settle(pilot, app)
        status = screen.query_one("#hist-status", Static)
        assert "« lp » (CUPS) est absente" in str(status.render())
        assert status.has_class("error")


async def test_no_family_selected(setup) -> None:  # type: ignore[no-untyped-def]
    ctx, data = setup
    app = PortailApp(ctx, actor=data.actor)
    async with app.run_test(size=(130, 40)) as pilot:
        await pilot.press("f2")
        await pilot.pause()
        screen = app.screen
        assert "Aucune famille sélectionnée" in str(screen.query_one("#hist-family", Static).render())
        await pilot.press("f7")
        await pilot.pause()
        assert "Aucune famille sélectionnée" in str(screen.query_one("#hist-status", Static).render())


async def test_demo_family_through_the_search(sqlite_demo_ctx: Context, agent) -> None:  # type: ignore[no-untyped-def]
    """A demo agent (demo accounts, demo town) reads the consumptions of a busy family."""
    from portail_tui.services import history as h

    ids = h.family_ids_by_number(sqlite_demo_ctx.as_actor(agent))
    statements = h.monthly_statements(sqlite_demo_ctx.as_actor(agent), ids, h.Month(2026, 11))
    busiest = max(statements, key=lambda s: len(s.consumptions.lines))
    app = PortailApp(sqlite_demo_ctx, actor=agent)
    async with app.run_test(size=(130, 40)) as pilot:
        screen = await _open(pilot, app, busiest.family.id)
        await pilot.press("f9")
        await pilot.pause()
        table = screen.query_one("#consumptions-table", DataTable)
        assert table.row_count == len(busiest.consumptions.lines) > 0
        assert busiest.family.number_text in str(screen.query_one("#hist-family", Static).render())


async def test_month_statement_of_one_activity_in_six_keys(setup) -> None:  # type: ignore[no-untyped-def]
    """F2, F9, « aps », F7: the month's APS statement (9 keys when the filter had to be reached)."""
    ctx, data = setup
    app = PortailApp(ctx, actor=data.actor)
    async with app.run_test(size=(130, 40)) as pilot:
        screen = await _open(pilot, app, data.family_id)  # presses F2
        keys = ["f2", "f9", "a", "p", "s", "f7"]
        for key in keys[1:]:
            await pilot.press(key)
            await _settle(pilot, app)
        assert screen.last_export == ctx.settings.exports_dir / "releve-consommations-000123-2026-11-aps.pdf"
        assert len(keys) <= 6
        await pilot.press("enter")  # from the filter to the list
        assert screen.query_one("#consumptions-table", DataTable).has_focus


async def test_a_payment_taken_in_another_session_shows_without_reopening(  # type: ignore[no-untyped-def]
        setup, monkeypatch) -> None:
    """Figures never stale: the histories follow what another agent records for the family,
    while the tab stays visible and when it comes back, keeping the filters."""
    from portail_tui.services import payments

    ctx, data = setup
    monkeypatch.setattr(HistoriquesScreen, "CHANGE_CHECK_SECONDS", 0.2)
    other = Context(db=Database(ctx.db.url), clock=ctx.clock, settings=ctx.settings).as_actor(data.actor)
    app = PortailApp(ctx, actor=data.actor)
    try:
        async with app.run_test(size=(130, 40)) as pilot:
            screen = await _open(pilot, app, data.family_id)
            table = screen.query_one("#payments-table", DataTable)
            assert table.row_count == 4
            payments.take_payment(other, data.family_id, amount_cents=1234, mode="cb")
            for _ in range(40):  # no key pressed: the periodic check brings it
                await pilot.pause(0.1)
                await _settle(pilot, app)
                if table.row_count == 5:
                    break
            assert table.row_count == 5 and "12,34" in " ".join(str(c) for c in table.get_row_at(4))
            await pilot.press("f1")
            await _settle(pilot, app)
            payments.take_payment(other, data.family_id, amount_cents=500, mode="cb")
            await pilot.press("f2")  # coming back: checked at once
            await _settle(pilot, app)
            assert app.screen.query_one("#payments-table", DataTable).row_count == 6
    finally:
        other.db.dispose()
