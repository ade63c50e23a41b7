"""What makes a first display cheap (issue 12: first display of a tab < 150 ms, open a
day < 50 ms), checked by counting work rather than timing it: once start-up is over,
no CSS is parsed again, no screen restyles the whole application, and a tab or a
dialog shown for the first time styles its widgets once, not two or three times."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pytest
from textual.app import App
from textual.css import stylesheet as textual_stylesheet
from textual.css.stylesheet import Stylesheet
from textual.dom import DOMNode
from textual.screen import Screen

from portail_tui.app import PortailApp
from portail_tui.screens.base import Dialog, TabScreen
from portail_tui.screens.reservations.day import DayDialog
from portail_tui.screens.tabs import tabs_for
from portail_tui.services.context import Actor, Context
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
