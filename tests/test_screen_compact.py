"""80×24 (the default SSH terminal) and 130×42: what the agent needs is on screen without
scrolling — the header's family and solde, Paiement's amount and Encaisser, the whole
calendar — and the day states keep three hues (red, orange, green) when the terminal
has 256 or 16 colours. Demo town, pinned clock."""

from __future__ import annotations

import colorsys

import pytest
from rich.cells import cell_len
from rich.color import Color, ColorSystem
from textual.widget import Widget

from portail_tui.app import PortailApp
from portail_tui.domain.day_states import STATE_SYMBOLS, DayState
from portail_tui.screens.base import TabBar
from portail_tui.services.context import Actor, Context
from portail_tui.services.families import family_by_number
from portail_tui.widgets.header import PortailHeader
from portail_tui.widgets.keybar import KeyBar
from portail_tui.widgets.month_calendar import STATE_LOOKS, MonthCalendar

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((130, 42), id="130x42")]


async def _settle(app: PortailApp, pilot) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


async def _open(app: PortailApp, pilot, key: str, family_id: int) -> None:  # type: ignore[no-untyped-def]
    await pilot.press(key)
    app.select_family(family_id)
    await _settle(app, pilot)


def _assert_visible(app: PortailApp, widget: Widget) -> None:
    """Wholly inside the screen, above the footer, and really drawn there (not scrolled
    away or hidden under another widget)."""
    screen = app.screen
    region = widget.region
    footer = screen.query_one(KeyBar).region
    assert region.area > 0, f"{widget!r} is not drawn"
    assert screen.region.contains_region(region), f"{widget!r} {region} outside {screen.region}"
    assert region.bottom <= footer.y, f"{widget!r} {region} under the footer {footer}"
    for x, y in ((region.x, region.y), (region.right - 1, region.bottom - 1)):
        shown, _ = screen.get_widget_at(x, y)
        assert shown is widget or widget in shown.ancestors, f"{widget!r} hidden at {x},{y} by {shown!r}"


@pytest.mark.parametrize("size", SIZES)
async def test_header_and_tab_bar_fit_on_one_line(sqlite_demo_ctx: Context, agent: Actor, size) -> None:  # type: ignore[no-untyped-def]
    app = PortailApp(sqlite_demo_ctx, actor=agent)
    fid = family_by_number(sqlite_demo_ctx, 1)
    async with app.run_test(size=size) as pilot:
        await _open(app, pilot, "f3", fid)
        header = app.screen.query_one(PortailHeader)
        line = header.render()
        assert header.region.height == 1
        assert cell_len(line.plain) <= header.content_size.width, line.plain
        assert header.family and header.family in line.plain
        assert "Solde : " in line.plain and "€" in line.plain
        bar = app.screen.query_one(TabBar)
        text = bar.render().plain
        assert cell_len(text) <= bar.content_size.width, text
        assert all(f"F{n} " in text for n in range(1, 6)), text


@pytest.mark.parametrize("size", SIZES)
async def test_paiement_amount_and_encaisser_without_scrolling(sqlite_demo_ctx: Context, agent: Actor,  # type: ignore[no-untyped-def]
                                                              size) -> None:
    app = PortailApp(sqlite_demo_ctx, actor=agent)
    fid = family_by_number(sqlite_demo_ctx, 1)
    async with app.run_test(size=size) as pilot:
        await _open(app, pilot, "f3", fid)
        for selector in ("#until", "#w-solde", "#w-estimated", "#montant", "#w-new", "#total", "#email",
                         "#mode", "#payer", "#btn-encaisser", "#btn-journal"):
            _assert_visible(app, app.screen.query_one(selector))


@pytest.mark.parametrize("size", SIZES)
async def test_calendar_fits_without_wrapping(sqlite_demo_ctx: Context, agent: Actor, size) -> None:  # type: ignore[no-untyped-def]
    app = PortailApp(sqlite_demo_ctx, actor=agent)
    fid = family_by_number(sqlite_demo_ctx, 1)
    async with app.run_test(size=size) as pilot:
        await _open(app, pilot, "f4", fid)
        cal = app.screen.query_one(MonthCalendar)
        for _ in range(3):  # a six-week month (January 2027) as well as November
            _assert_visible(app, cal)
            lines = cal.render().plain.splitlines()
            assert max(cell_len(line) for line in lines) <= cal.content_size.width
            assert len(lines) <= cal.content_size.height
            await pilot.press("pagedown")
            await _settle(app, pilot)
        _assert_visible(app, app.screen.query_one("#resa-child"))


def _hue(colour: Color) -> float:
    r, g, b = (c / 255 for c in colour.get_truecolor())
    return colorsys.rgb_to_hsv(r, g, b)[0] * 360


async def test_day_colours_survive_256_and_16_colours(sqlite_demo_ctx: Context, agent: Actor) -> None:
    """Over SSH with 256 colours « fermé » red was drawn brown-orange (#af5f00) next to the
    orange of pending changes; with 16 colours pending was red and open grey."""
    app = PortailApp(sqlite_demo_ctx, actor=agent)
    async with app.run_test(size=(130, 42)) as pilot:
        await pilot.press("f4")
        await _settle(app, pilot)
        cal = app.screen.query_one(MonthCalendar)

        def background(state: DayState) -> Color:
            colour = cal.get_component_rich_style(STATE_LOOKS[state].component, partial=True).bgcolor
            assert colour is not None
            return colour

        states = [s for s in DayState if s.value != "waiting"]
        for system in (ColorSystem.EIGHT_BIT, ColorSystem.STANDARD):
            seen = {s: background(s).downgrade(system) for s in states}
            assert len({c.number for c in seen.values()}) == len(states), (system, seen)
        eight = {s: background(s).downgrade(ColorSystem.EIGHT_BIT) for s in states}
        red, orange, green = (_hue(eight[s]) for s in (DayState.CLOSED, DayState.PENDING, DayState.OPEN))
        assert red < 12 or red > 348, red
        assert 20 <= orange <= 45, orange
        assert 90 <= green <= 150, green
        # 16 colours have no orange: it must at least not be red, nor the green be grey.
        sixteen = {s: background(s).downgrade(ColorSystem.STANDARD).number for s in states}
        assert sixteen[DayState.CLOSED] in (1, 9)
        assert sixteen[DayState.PENDING] in (3, 11)
        assert sixteen[DayState.OPEN] in (2, 10)
        # A waiting-list request is orange, as the guide's « demandes en cours ».
        assert background(DayState.WAITING) == background(DayState.PENDING)
        # Monochrome: each state is told by its own mark too.
        assert len(set(STATE_SYMBOLS.values())) == len(DayState)
