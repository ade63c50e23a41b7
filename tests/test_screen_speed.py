"""What makes a first display cheap (issue 12: first display of a tab < 150 ms, open a
day < 50 ms), checked by counting work rather than timing it: once start-up is over,
no CSS is parsed again, no screen restyles the whole application, and a tab or a
dialog shown for the first time styles its widgets once, not two or three times."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import date

import pytest
from textual.app import App
from textual.css import stylesheet as textual_stylesheet
from textual.css.stylesheet import Stylesheet
from textual.dom import DOMNode
from textual.screen import Screen
from textual.timer import Timer

from portail_tui.app import PortailApp
from portail_tui.screens.base import HOLD_FRAMES_S, Dialog, TabScreen
from portail_tui.screens.reservations.day import DayDialog
from portail_tui.screens.tabs import tabs_for
from portail_tui.services.context import Actor, Context
from portail_tui.widgets.frames import BatchHold
from portail_tui.widgets.month_calendar import MonthCalendar
from portail_tui.widgets.stylesheet import SharedStylesheet, screen_css_paths

SIZE = (130, 42)
FAMILY = 1


async def _settle(app: PortailApp, pilot) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


class _Work:
    def __init__(self) -> None:
        self.parsed = 0  # CSS sources tokenised
        self.restyled: list[DOMNode] = []  # screens (or the app) restyled as a whole after mounting
        self.refresh_css = 0


@pytest.fixture
def work(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Work]:
    counts = _Work()
    parse = textual_stylesheet.parse

    def counting_parse(*args, **kwargs):  # type: ignore[no-untyped-def]
        counts.parsed += 1
        return parse(*args, **kwargs)

    update_nodes = Stylesheet.update_nodes

    def counting_update(self: Stylesheet, nodes: Iterable[DOMNode], animate: bool = False) -> None:
        nodes = list(nodes)
        if nodes and isinstance(nodes[0], (Screen, App)):
            counts.restyled.append(nodes[0])
        update_nodes(self, nodes, animate=animate)

    refresh_css = PortailApp.refresh_css

    def counting_refresh(self: PortailApp, animate: bool = True) -> None:
        counts.refresh_css += 1
        refresh_css(self, animate=animate)

    monkeypatch.setattr(textual_stylesheet, "parse", counting_parse)
    monkeypatch.setattr(Stylesheet, "update_nodes", counting_update)
    monkeypatch.setattr(PortailApp, "refresh_css", counting_refresh)
    yield counts


async def test_first_display_of_each_tab_and_of_the_day_dialog_styles_once(
        sqlite_demo_ctx: Context, agent: Actor, work: _Work) -> None:
    app = PortailApp(sqlite_demo_ctx, actor=agent)
    async with app.run_test(size=SIZE) as pilot:
        await _settle(app, pilot)  # start-up: modules imported, every stylesheet parsed and loaded
        assert isinstance(app.stylesheet, SharedStylesheet)
        assert all(app.stylesheet.has_source(str(p)) for p in screen_css_paths())
        app.select_family(FAMILY)
        await _settle(app, pilot)
        work.parsed = work.refresh_css = 0
        work.restyled.clear()
        for tab in tabs_for(agent.role)[1:]:  # every tab this agent sees, Pointage included
            await pilot.press(tab.binding_key)
            await _settle(app, pilot)
            assert isinstance(app.screen, TabScreen) and app.current_mode == tab.mode
        await pilot.press("f4")
        await _settle(app, pilot)
        await pilot.press("home")
        await _settle(app, pilot)
        await pilot.press("enter")
        await _settle(app, pilot)
        assert isinstance(app.screen, DayDialog) and isinstance(app.screen, Dialog)
        assert work.parsed == 0, "CSS parsed again after start-up"
        assert work.refresh_css == 0, "a first display restyled the whole application"
        # A focus move restyles the widget (and what it holds); no screen is restyled as a
        # whole, neither on its first Resize (breakpoint classes) nor when shown.
        assert work.restyled == [], work.restyled


async def test_a_dialog_is_pushed_with_the_terminals_breakpoint_classes(
        sqlite_demo_ctx: Context, agent: Actor) -> None:
    app = PortailApp(sqlite_demo_ctx, actor=agent)
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(app, pilot)
        app.select_family(FAMILY)
        await pilot.press("f4")
        await _settle(app, pilot)
        assert {"-narrow", "-short"} <= app.screen.classes
        await pilot.press("home")
        await _settle(app, pilot)
        await pilot.press("enter")
        await _settle(app, pilot)
        assert isinstance(app.screen, DayDialog)
        assert {"-narrow", "-short"} <= app.screen.classes and not {"-wide", "-tall"} & app.screen.classes


def test_parsed_css_is_shared_between_stylesheets_with_the_same_variables() -> None:
    css = "Label#only-here { color: red; }"
    first = SharedStylesheet(variables={"x": "1"})
    rules = first._parse_rules(css, ("", "test"))
    assert SharedStylesheet(variables={"x": "1"})._parse_rules(css, ("", "test")) is rules
    assert SharedStylesheet(variables={"x": "2"})._parse_rules(css, ("", "test")) is not rules
    first.add_source(css, ("", "test"))
    first.reparse()
    assert first.rules == rules


async def _wait_prebuilt(app: PortailApp, pilot) -> None:  # type: ignore[no-untyped-def]
    for _ in range(200):
        if app.tabs_prebuilt:
            return
        await pilot.pause(0.05)
    raise AssertionError("the tabs were not built in the background")


async def test_tabs_are_built_in_the_background_after_the_login(
        sqlite_demo_ctx: Context, agent: Actor, regisseur: Actor) -> None:
    """Idle after the login, every tab of the role is composed, mounted and laid out
    without being shown (no frame of it, no data loaded for it); its first showing is
    then a refill, with the family's figures."""
    for actor in (agent, regisseur):
        app = PortailApp(sqlite_demo_ctx, actor=actor)
        async with app.run_test(size=SIZE) as pilot:
            app.select_family(FAMILY)
            await _wait_prebuilt(app, pilot)
            built = {mode for mode, stack in app._screen_stacks.items() if stack} - {"_default"}
            assert built == {t.mode for t in tabs_for(actor.role)}, built
            assert ("regie" in built) == (actor is regisseur)
            assert app.current_mode == "accueil"
            paiement = app._screen_stacks["paiement"][0]
            assert paiement.is_mounted and paiement.size == app.size  # laid out, hidden
            assert paiement.loaded is None  # nothing read for a tab the agent did not open
            await pilot.press("f3")
            await _settle(app, pilot)
            assert app.screen is paiement and paiement.loaded is not None
            assert paiement.loaded.family.id == FAMILY
            assert app._batch_count == 0  # the frames held while loading are let go


async def test_a_key_typed_while_the_tabs_are_being_built_is_kept(
        sqlite_demo_ctx: Context, agent: Actor) -> None:
    app = PortailApp(sqlite_demo_ctx, actor=agent)
    async with app.run_test(size=SIZE) as pilot:
        app.select_family(FAMILY)
        while "paiement" not in app._screen_stacks:  # the first tab is being built
            await pilot.pause(0.02)
        await pilot.press("f4")
        await _settle(app, pilot)
        assert app.current_mode == "reservations" and app.screen.view is not None
        await _wait_prebuilt(app, pilot)
        await pilot.press("f3")
        await _settle(app, pilot)
        assert app.current_mode == "paiement" and app.screen.loaded.family.id == FAMILY


async def test_nothing_is_built_ahead_while_the_agent_types(
        sqlite_demo_ctx: Context, agent: Actor) -> None:
    """The background build waits for PREBUILD_QUIET_S without a key (the session's idle
    clock, frozen here: the machine's speed does not matter), dialog open or not."""
    from portail_tui.app import PREBUILD_QUIET_S

    now = [1000.0]
    app = PortailApp(sqlite_demo_ctx, actor=agent)
    async with app.run_test(size=SIZE) as pilot:
        app.idle_lock.clock = lambda: now[0]
        await pilot.press("ctrl+f", *"dupont")  # the agent types: the last key is « now »
        await pilot.pause(1.0)  # a second of the machine's time, none of the agent's
        assert set(app._screen_stacks) <= {"_default", "accueil"}, set(app._screen_stacks)
        now[0] += PREBUILD_QUIET_S + 0.05  # the caller spells the name: the agent waits
        await _wait_prebuilt(app, pilot)


async def test_the_frames_held_for_a_load_are_let_go_even_if_it_never_ends(
        sqlite_demo_ctx: Context, agent: Actor, monkeypatch: pytest.MonkeyPatch) -> None:
    """A loader stuck on the database must not freeze the screen: the frames come back
    after HOLD_FRAMES_S."""
    import threading

    from portail_tui.screens.paiement import screen as paiement_module

    release = threading.Event()
    real = paiement_module.family_change_seq

    def stuck(ctx, family_id):  # type: ignore[no-untyped-def]
        release.wait(5)
        return real(ctx, family_id)

    monkeypatch.setattr(paiement_module, "family_change_seq", stuck)
    ctx = replace(sqlite_demo_ctx, settings=replace(sqlite_demo_ctx.settings, prebuild_tabs=False))
    app = PortailApp(ctx, actor=agent)
    async with app.run_test(size=SIZE) as pilot:
        await _settle(app, pilot)
        app.select_family(FAMILY)
        await _settle(app, pilot)
        await pilot.press("f3")
        await pilot.pause(0.05)
        assert app._batch_count > 0  # held: the load runs
        await pilot.pause(HOLD_FRAMES_S + 0.1)
        assert app._batch_count == 0 and app.current_mode == "paiement"
        release.set()
        await _settle(app, pilot)
        assert app.screen.loaded is not None


async def test_the_day_dialog_kept_between_days_follows_a_terminal_resize(
        sqlite_demo_ctx: Context, agent: Actor) -> None:
    app = PortailApp(sqlite_demo_ctx, actor=agent)
    async with app.run_test(size=SIZE) as pilot:
        await _settle(app, pilot)
        app.select_family(FAMILY)
        await pilot.press("f4")
        await _settle(app, pilot)
        await pilot.press("home", "enter")
        await _settle(app, pilot)
        first = app.screen
        assert isinstance(first, DayDialog) and {"-wide", "-tall"} <= first.classes
        await pilot.press("escape")
        await _settle(app, pilot)
        await pilot.resize_terminal(80, 24)
        await _settle(app, pilot)
        await pilot.press("right", "enter")
        await _settle(app, pilot)
        assert app.screen is first  # the same dialog, refilled
        assert {"-narrow", "-short"} <= first.classes and not {"-wide", "-tall"} & first.classes
        assert first.options.day == app.screen_stack[0].query_one(MonthCalendar).cursor
        assert first.query_one("#day-table").cursor_row == 0  # as in a new dialog


def test_every_tab_has_its_place_in_the_background_build() -> None:
    from portail_tui.app import PREBUILD_ORDER
    from portail_tui.screens.tabs import TABS

    assert sorted(PREBUILD_ORDER) == sorted(t.mode for t in TABS)


@pytest.mark.parametrize("first, then", [(date(2026, 12, 3), date(2026, 12, 9)), (date(2026, 12, 9), date(2026, 12, 3))],
                         ids=["busy-then-quiet", "quiet-then-busy"])
async def test_the_day_list_has_one_height_for_every_day(
        sqlite_demo_ctx: Context, agent: Actor, first: date, then: date) -> None:
    """One layout pass per day opened: the dialog neither shrinks nor grows (a size
    change makes Textual lay it out and draw it twice, the second time two frames
    later). A Thursday has canteen, APS and more; a Wednesday the leisure centre alone."""
    from tests.test_screen_reservations import go_to, open_tab, settle

    app = PortailApp(sqlite_demo_ctx, actor=agent)
    async with app.run_test(size=SIZE) as pilot:
        await open_tab(app, pilot, FAMILY)
        await go_to(app, pilot, first)
        await pilot.press("enter")
        await settle(app, pilot)
        dialog = app.screen
        assert isinstance(dialog, DayDialog)
        counts = {first: len(dialog.options.options)}
        height = dialog.query_one("#day-box").outer_size.height
        await pilot.press("escape")
        await settle(app, pilot)
        await go_to(app, pilot, then)
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen is dialog
        counts[then] = len(dialog.options.options)
        assert counts[date(2026, 12, 3)] >= 3 and counts[date(2026, 12, 9)] < counts[date(2026, 12, 3)]
        assert dialog.query_one("#day-box").outer_size.height == height
        if then == date(2026, 12, 9):
            assert "CENTRE DE LOISIRS" in str(dialog.query_one("#day-detail").render())  # this day's line


async def test_a_tab_switch_is_drawn_once_the_tab_is_ready_not_50_ms_later(
        sqlite_demo_ctx: Context, agent: Actor, monkeypatch: pytest.MonkeyPatch) -> None:
    """Textual holds the frames 50 ms after every switch_mode (delay_update): the agent
    saw each tab 53 ms after its key. The app lets them go once the tab has handled
    the switch (PortailApp._release_switch); 50 ms stay the limit. The hold is made
    30 s long here: only the release by the tab can end it."""
    app = PortailApp(sqlite_demo_ctx, actor=agent)
    async with app.run_test(size=SIZE) as pilot:
        app.select_family(FAMILY)
        await _wait_prebuilt(app, pilot)
        for key in ("f3", "f1"):  # Paiement once visited: its amount takes the focus at each visit
            await pilot.press(key)
            await _settle(app, pilot)
        limits: list[float] = []
        start = BatchHold.start

        def long_hold(self: BatchHold, limit: float) -> None:
            limits.append(limit)
            start(self, 30.0)

        monkeypatch.setattr(BatchHold, "start", long_hold)
        await pilot.press("f3")
        for _ in range(20):
            if app.current_mode == "paiement" and not app._batch_count:
                break
            await pilot.pause()
        assert 0.05 in limits  # the switch's hold, with Textual's limit
        assert app._batch_count == 0, "the switch's frames still held"
        assert app.screen.focused is not None and app.screen.focused.id == "montant"


async def test_the_screens_built_ahead_have_their_frame_timer_started(
        sqlite_demo_ctx: Context, agent: Actor, monkeypatch: pytest.MonkeyPatch) -> None:
    """Textual starts a screen's 1/60 s frame timer at its first refresh, and its first
    tick comes a whole period later: the first showing of each tab built ahead, and the
    first day opened, waited 17 ms for it. The background build starts it."""
    resumed: set[int] = set()
    resume = Timer.resume

    def recording(self: Timer) -> None:
        resumed.add(id(self))
        resume(self)

    monkeypatch.setattr(Timer, "resume", recording)
    app = PortailApp(sqlite_demo_ctx, actor=agent)
    async with app.run_test(size=SIZE) as pilot:
        app.select_family(FAMILY)
        await _wait_prebuilt(app, pilot)
        built = [s for s in app._prebuilt if not s.is_current]
        assert any(isinstance(s, DayDialog) for s in built) and len(built) >= 4
        for screen in built:
            assert id(screen._update_timer) in resumed, screen


async def test_a_day_with_a_line_more_than_the_day_before_is_laid_out_once(
        sqlite_demo_ctx: Context, agent: Actor, monkeypatch: pytest.MonkeyPatch) -> None:
    """A January day shows the quotient notice (every demo quotient ends 31/12/2026), a
    line the December day before did not have: the dialog is still laid out in one
    pass (widgets/steady.py), not a second one a frame later."""
    from tests.test_screen_reservations import go_to, open_tab, settle

    passes: list[str] = []
    lay_out = DayDialog._refresh_layout

    def counting(self: DayDialog, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        passes.append(self.options.when)
        lay_out(self, *args, **kwargs)

    monkeypatch.setattr(DayDialog, "_refresh_layout", counting)
    app = PortailApp(sqlite_demo_ctx, actor=agent)
    async with app.run_test(size=SIZE) as pilot:
        await open_tab(app, pilot, FAMILY)
        await go_to(app, pilot, date(2026, 12, 3))
        await pilot.press("enter")
        await settle(app, pilot)
        dialog = app.screen
        assert isinstance(dialog, DayDialog) and not dialog.quotient_notice
        await pilot.press("escape")
        await settle(app, pilot)
        await go_to(app, pilot, date(2027, 1, 7))  # a Thursday too
        passes.clear()
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.pause(0.1)  # a second pass would come at one of the next 1/60 s ticks
        assert app.screen is dialog and dialog.quotient_notice
        assert dialog.query_one("#day-quotient").outer_size.height >= 1
        assert passes == [dialog.options.when]


async def test_a_tab_built_or_visited_before_a_resize_shows_at_the_new_size(
        sqlite_demo_ctx: Context, agent: Actor) -> None:
    """The terminal shrinks to 80×24 while the tabs sit hidden (built in the background,
    or visited before): each shows in its compact layout."""
    app = PortailApp(sqlite_demo_ctx, actor=agent)
    async with app.run_test(size=SIZE) as pilot:
        app.select_family(FAMILY)
        await _wait_prebuilt(app, pilot)
        await pilot.press("f5")
        await _settle(app, pilot)
        await pilot.press("f1")
        await _settle(app, pilot)
        await pilot.resize_terminal(80, 24)
        await _settle(app, pilot)
        for key in ("f3", "f5"):  # built only; visited
            await pilot.press(key)
            await _settle(app, pilot)
            assert {"-narrow", "-short"} <= app.screen.classes, (key, app.screen.classes)
            assert not {"-wide", "-tall"} & app.screen.classes
            assert app.screen.size == app.size


async def test_the_day_dialog_is_built_with_the_tabs(sqlite_demo_ctx: Context, agent: Actor) -> None:
    """The first day opened is a refill of a dialog built in the background, not a new one."""
    from tests.test_screen_reservations import go_to, settle

    app = PortailApp(sqlite_demo_ctx, actor=agent)
    async with app.run_test(size=SIZE) as pilot:
        app.select_family(FAMILY)
        await _wait_prebuilt(app, pilot)
        reservations = app._screen_stacks["reservations"][0]
        prepared = reservations._day_dialog
        assert isinstance(prepared, DayDialog) and prepared.is_mounted and prepared.size == app.size
        await pilot.press("f4")
        await settle(app, pilot)
        await go_to(app, pilot, date(2026, 12, 3))
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen is prepared and prepared.options.day == date(2026, 12, 3)
        assert "3 décembre" in str(prepared.query_one("#day-title").render())
        assert prepared.query_one("#day-table").row_count == len(prepared.options.options) >= 3


async def test_another_month_is_drawn_once_with_its_states(
        sqlite_demo_ctx: Context, agent: Actor, monkeypatch: pytest.MonkeyPatch) -> None:
    """PgSuiv: the frames are held from the key until the month's states are shown, so
    the new grid is not drawn first without them (and drawing it no longer delays
    their load); a load that fails lets them go at once. The limit is made 30 s here:
    only the screen can let them go."""
    import threading

    from portail_tui.screens.reservations import screen as screen_module
    from portail_tui.services.context import ServiceError
    from portail_tui.widgets import month_calendar
    from tests.test_screen_reservations import open_tab, settle

    monkeypatch.setattr(month_calendar, "MONTH_HOLD_S", 30.0)
    gate = threading.Event()
    real = screen_module.month_view
    failing = False

    def gated(*args, **kwargs):  # type: ignore[no-untyped-def]
        gate.wait(10)
        if failing:
            raise ServiceError("Lecture impossible.")
        return real(*args, **kwargs)

    app = PortailApp(sqlite_demo_ctx, actor=agent)
    async with app.run_test(size=SIZE) as pilot:
        await open_tab(app, pilot, FAMILY)
        calendar = app.screen.query_one(MonthCalendar)
        assert calendar.loaded and app._batch_count == 0
        monkeypatch.setattr(screen_module, "month_view", gated)
        await pilot.press("pagedown")
        for _ in range(5):
            await pilot.pause()
        assert calendar.shown == (2026, 12) and not calendar.loaded
        assert app._batch_count == 1, "the new month's grid would be drawn without its states"
        gate.set()
        await settle(app, pilot)
        assert calendar.loaded and app._batch_count == 0

        gate.clear()
        failing = True
        await pilot.press("pagedown")
        for _ in range(5):
            await pilot.pause()
        assert app._batch_count == 1
        gate.set()
        await settle(app, pilot)
        assert calendar.shown == (2027, 1) and not calendar.loaded
        assert app._batch_count == 0, "a month that failed to load left the frames held"
