"""A long session must cost what a short one costs (issue 12): the key bar that replaced
Textual's leaking Footer shows the same keys, tab switches run no query on the event
loop and reload nothing they already have, the header keeps its figures per family
and reloads them after a change, and a short soak (bench/bench_soak.py on the demo
town) keeps memory and live widgets flat."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from portail_tui import app as app_module
from portail_tui.app import PortailApp
from portail_tui.screens.base import TabScreen
from portail_tui.screens.tabs import TABS, tabs_for
from portail_tui.services import payments
from portail_tui.services.context import Actor, Context
from portail_tui.services.families import family_summary
from portail_tui.widgets.header import PortailHeader
from portail_tui.widgets.keybar import KeyBar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import bench_soak  # noqa: E402

SIZE = (130, 42)
FAMILY = 1


async def _settle(app: PortailApp, pilot) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


def _header(app: PortailApp) -> str:
    return str(app.screen.query_one(PortailHeader).render())


@pytest.fixture
def main_thread_queries(sqlite_demo_ctx: Context) -> Iterator[list[str]]:
    """SQL statements sent from the event loop's thread while recording."""
    seen: list[str] = []
    main = threading.main_thread()

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if threading.current_thread() is main:
            seen.append(statement)

    engine = sqlite_demo_ctx.db.engine
    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


async def test_the_key_bar_shows_what_textuals_footer_shows(sqlite_demo_ctx: Context, regisseur: Actor) -> None:
    """On each tab, with a family: the same keys, words and enabled state as a stock
    Footer mounted beside it, in the same order; the palette key on the right."""
    app = PortailApp(sqlite_demo_ctx, actor=regisseur)
    async with app.run_test(size=SIZE) as pilot:
        await _settle(app, pilot)
        app.select_family(FAMILY)
        for tab in TABS:
            await pilot.press(tab.binding_key)
            await _settle(app, pilot)
            bar = app.screen.query_one(KeyBar)
            footer = Footer()
            await app.screen.mount(footer)
            app.screen.refresh_bindings()
            await _settle(app, pilot)
            keys = [(k.key_display, k.description, not k.has_class("-disabled")) for k in footer.query(FooterKey)]
            await footer.remove()
            shown = [(h.display, h.description, h.enabled) for h in bar.hints]
            assert bar.palette is not None
            assert shown + [(bar.palette.display, bar.palette.description, bar.palette.enabled)] == keys, tab.mode
            text = bar.text  # cut before the palette key when too long, as the Footer is
            first = bar.hints[0]
            assert text.startswith(f" {first.display} {first.description} ")
            assert text.rstrip().endswith(f"{bar.palette.display} {bar.palette.description}")


async def test_the_key_bar_follows_the_actions_that_become_possible(sqlite_demo_ctx: Context, agent: Actor) -> None:
    app = PortailApp(sqlite_demo_ctx, actor=agent)
    async with app.run_test(size=SIZE) as pilot:
        await _settle(app, pilot)
        await pilot.press("f4")
        await _settle(app, pilot)
        assert " v Valider " not in app.screen.query_one(KeyBar).text  # no family: nothing to validate
        app.select_family(FAMILY)
        await _settle(app, pilot)
        assert " v Valider " in app.screen.query_one(KeyBar).text


async def test_tabs_stay_mounted_and_a_switch_reloads_nothing(
        sqlite_demo_ctx: Context, agent: Actor, main_thread_queries: list[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The five tabs are App modes: built once, kept with what they loaded. Switching
    back to a tab with the same family loads nothing again (Accueil excepted: its
    counts change in other tabs; it reloads in a worker), and no tab switch, first
    display included, sends a query from the event loop (DESIGN §4)."""
    loads: list[str] = []
    original = TabScreen.on_screen_resume

    def counting(self: TabScreen) -> None:
        before = self._family_seen
        original(self)
        if before != self._family_seen:
            loads.append(self.TAB_ID)

    monkeypatch.setattr(TabScreen, "on_screen_resume", counting)
    app = PortailApp(sqlite_demo_ctx, actor=agent)
    async with app.run_test(size=SIZE) as pilot:
        await _settle(app, pilot)
        main_thread_queries.clear()
        app.select_family(FAMILY)
        await _settle(app, pilot)
        screens = {}
        for _ in range(3):
            for tab in tabs_for(agent.role):
                await pilot.press(tab.binding_key)
                await _settle(app, pilot)
                screens.setdefault(tab.mode, app.screen)
                assert app.screen is screens[tab.mode]  # the same screen, still mounted
                assert "n° 000001" in _header(app)
        assert sorted(loads) == sorted(t.mode for t in tabs_for(agent.role))  # once each, at the first display
        assert main_thread_queries == []


async def test_the_header_keeps_its_figures_and_reloads_them_after_a_change(
        sqlite_demo_ctx: Context, agent: Actor, monkeypatch: pytest.MonkeyPatch) -> None:
    app = PortailApp(sqlite_demo_ctx, actor=agent)
    loads: list[int] = []
    original = PortailApp._load_header

    def counting(self: PortailApp, family_id: int, generation: int):  # type: ignore[no-untyped-def]
        loads.append(family_id)
        return original(self, family_id, generation)

    monkeypatch.setattr(PortailApp, "_load_header", counting)
    monkeypatch.setattr(app_module, "HEADER_MAX_AGE_S", 3600.0)  # however slow the machine
    async with app.run_test(size=SIZE) as pilot:
        await _settle(app, pilot)
        app.select_family(FAMILY)
        await _settle(app, pilot)
        assert loads == [FAMILY] and "Solde" in _header(app)
        before = _header(app)
        for key in ("f2", "f3", "f1"):
            await pilot.press(key)
            await _settle(app, pilot)
        assert loads == [FAMILY] and _header(app) == before  # kept: no reload at each switch

        # Another session takes 12,34 €: shown once the figures are older than the
        # limit, at the next tab shown.
        payments.take_payment(sqlite_demo_ctx.as_actor(agent), FAMILY, amount_cents=1234, mode="especes",
                              payer_name="Autre guichet")
        monkeypatch.setattr(app_module, "HEADER_MAX_AGE_S", 0.0)
        await pilot.press("f2")
        await _settle(app, pilot)
        assert len(loads) == 2 and _header(app) != before
        after = _header(app)

        # A change made here (payment, booking, edit) reloads at once.
        monkeypatch.setattr(app_module, "HEADER_MAX_AGE_S", 3600.0)
        payments.take_payment(sqlite_demo_ctx.as_actor(agent), FAMILY, amount_cents=100, mode="especes",
                              payer_name="Guichet")
        app.refresh_header()
        await _settle(app, pilot)
        assert len(loads) == 3 and _header(app) not in (before, after)


async def test_a_short_soak_keeps_memory_and_widgets_flat(sqlite_demo_ctx: Context) -> None:
    """600 actions of bench/bench_soak.py on the demo town. With Textual's stock Footer
    on the tab screens, live widgets grow by ~24 per tab switch (thousands here) and
    this fails. The last window replays the first window's families, in the same order."""
    families = bench_soak.booking_families(sqlite_demo_ctx, 12, seed=5)
    report = await bench_soak.soak_async(sqlite_demo_ctx, families, actions=600, window=200)
    assert report.actions >= 600 and len(report.samples) >= 3
    seen = [(n, f) for n, k, _, f in report.timeline if k == "famille"]
    window = report.window_families
    assert 0 < window < len(seen) - window
    assert [f for _, f in seen[:window]] == [f for _, f in seen[-window:]]
    assert set(report.first) == set(report.last) and len(report.first["famille"]) == window
    assert report.widgets_ok, report.lines()
    assert report.memory_ok, report.lines()
    assert all(s.footer_keys < 20 for s in report.samples)  # only a dialog's own Footer, while open


async def test_the_soak_times_an_action_until_its_own_work_and_frame_are_done(sqlite_demo_ctx: Context) -> None:
    """PgSuiv goes from the application to the calendar and back up to its binding,
    whose MonthChanged starts the month's load: a single pass of the Pilot's wait
    returned before (the change of month timed at 4 ms, its load counted in the next
    action). Settled means the next month shown with its states and its frame drawn."""
    from portail_tui.widgets.month_calendar import MonthCalendar

    family = bench_soak.booking_families(sqlite_demo_ctx, 1, seed=5)[0]
    number = family_summary(sqlite_demo_ctx, family).number_text
    app = PortailApp(sqlite_demo_ctx)
    report = bench_soak.SoakReport(window=100)
    with bench_soak.WidgetCensus() as census:
        async with app.run_test(size=SIZE) as pilot:
            soak = bench_soak.Soak(app, pilot, report, 100, lambda s: None, census)
            await soak.login("agent", "agent1234")
            await soak.prebuilt()
            await soak.open_family(family, number)
            await soak.tab("f4", "reservations")
            calendar = app.screen.query_one(MonthCalendar)
            # The tab's own frames held while it loaded (FrameHold, at most 150 ms, later on
            # a loaded machine) are not the month change's: let them go first.
            await soak.until(lambda: calendar.loaded and not app._batch_count, 1e12)
            for key, month in (("pagedown", (2026, 12)), ("pageup", (2026, 11)), ("pagedown", (2026, 12))):
                bench_soak.post_key(app, key)
                await soak.idle()
                assert calendar.shown == month and calendar.loaded, key
                assert not bench_soak._frame_pending(app.screen), key
