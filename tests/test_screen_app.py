"""The application shell through Textual's Pilot, as an agent would use it: log in,
find a family by typing, open the five tabs; wrong password; lockout."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest
from textual import events
from textual.widgets import DataTable, Input, Static
from textual.worker import WorkerCancelled

from portail_tui.app import PortailApp
from portail_tui.screens.base import TabScreen
from portail_tui.screens.login import LoginScreen
from portail_tui.screens.search import FamilySearchScreen
from portail_tui.services.context import Context
from portail_tui.widgets.header import PortailHeader

SIZE = (130, 42)


async def _settle(app: PortailApp, pilot) -> None:  # type: ignore[no-untyped-def]
    """Wait for the screen's workers. A worker cancelled on purpose (an exclusive group
    restarted, a screen left while it loaded) is finished too, not a failure: under load
    the login's switch to Accueil cancels loads the old timing never saw."""
    for _ in range(3):
        with contextlib.suppress(WorkerCancelled):
            await app.workers.wait_for_complete()
        await pilot.pause()


async def _type(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press(*list(text))


async def _login(app: PortailApp, pilot, login: str, password: str) -> None:  # type: ignore[no-untyped-def]
    await _settle(app, pilot)
    await _type(pilot, login)
    await pilot.press("enter")
    await _type(pilot, password)
    await pilot.press("enter")
    await _settle(app, pilot)


def _header_text(app: PortailApp) -> str:
    return str(app.screen.query_one(PortailHeader).render())


def _open_ctx(ctx: Context):  # type: ignore[no-untyped-def]
    return lambda: ctx


async def test_login_search_select_and_visit_the_five_tabs(sqlite_demo_ctx: Context) -> None:
    app = PortailApp(open_context=_open_ctx(sqlite_demo_ctx))
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, LoginScreen)
        await pilot.press("f4")  # tabs are not reachable before login
        assert isinstance(app.screen, LoginScreen)
        await _login(app, pilot, "agent", "agent1234")
        assert app.current_mode == "accueil"
        assert "aucune" in _header_text(app)

        await pilot.press("ctrl+f")
        await _settle(app, pilot)
        assert isinstance(app.screen, FamilySearchScreen)
        await _type(pilot, "lea")
        await _settle(app, pilot)
        table = app.screen.query_one(DataTable)
        assert table.row_count >= 1
        first_hit = app.screen.hits[0]
        assert "Léa" in first_hit.children
        await pilot.press("enter")
        await _settle(app, pilot)
        assert app.current_family_id == first_hit.id
        header = _header_text(app)
        assert first_hit.name in header and first_hit.number_text in header and "Solde" in header

        for key, mode in (("f2", "historiques"), ("f3", "paiement"), ("f4", "reservations"),
                          ("f5", "dossier"), ("f1", "accueil")):
            await pilot.press(key)
            await _settle(app, pilot)
            assert app.current_mode == mode
            assert isinstance(app.screen, TabScreen)
            assert first_hit.number_text in _header_text(app)


async def test_wrong_password_shows_one_neutral_message(sqlite_demo_ctx: Context) -> None:
    app = PortailApp(open_context=_open_ctx(sqlite_demo_ctx))
    async with app.run_test(size=SIZE) as pilot:
        await _login(app, pilot, "agent", "pas-le-bon")
        assert isinstance(app.screen, LoginScreen)
        message = str(app.screen.query_one("#login-message", Static).render())
        assert message == "Identifiant ou mot de passe incorrect."
        assert app.screen.query_one("#password", Input).value == ""


async def test_failures_make_the_account_wait_with_one_answer_then_it_opens(sqlite_demo_ctx: Context) -> None:
    app = PortailApp(open_context=_open_ctx(sqlite_demo_ctx))
    async with app.run_test(size=SIZE) as pilot:
        await _login(app, pilot, "agent", "mauvais1")
        for _ in range(4):
            await _type(pilot, "mauvais1")
            await pilot.press("enter")
            await _settle(app, pilot)
        await _type(pilot, "agent1234")
        await pilot.press("enter")
        await _settle(app, pilot)
        assert isinstance(app.screen, LoginScreen)
        # The right password during the wait gets the one answer every failure gets:
        # nothing tells an attacker the login exists or is waiting.
        assert str(app.screen.query_one("#login-message", Static).render()) == "Identifiant ou mot de passe incorrect."
        sqlite_demo_ctx.clock.advance(timedelta(minutes=16))  # type: ignore[attr-defined]
        await _type(pilot, "agent1234")
        await pilot.press("enter")
        await _settle(app, pilot)
        assert app.current_mode == "accueil"


async def test_unreachable_database_is_said_on_the_login_screen() -> None:
    from portail_tui.cli.core import open_app_context
    from portail_tui.clock import Clock
    from portail_tui.config import Settings

    settings = Settings(database_url="postgresql+psycopg://x@127.0.0.1:1/none?connect_timeout=2")
    app = PortailApp(open_context=lambda: open_app_context(settings, Clock()))
    async with app.run_test(size=SIZE) as pilot:
        await _settle(app, pilot)
        message = str(app.screen.query_one("#login-message", Static).render())
        assert "injoignable" in message


async def test_palette_finds_a_family(sqlite_demo_ctx: Context, agent) -> None:  # type: ignore[no-untyped-def]
    app = PortailApp(sqlite_demo_ctx, actor=agent)
    async with app.run_test(size=SIZE) as pilot:
        await _settle(app, pilot)
        await pilot.press("ctrl+p")
        await _settle(app, pilot)
        await _type(pilot, "lea")
        from textual.command import CommandList

        options = app.screen.query_one(CommandList)
        for _ in range(50):  # the palette gathers hits asynchronously
            await pilot.pause(0.05)
            if options.option_count and "Famille" in str(options.get_option_at_index(0).prompt):
                break
        # Families come first, before commands that merely share letters with "lea".
        assert "Famille" in str(options.get_option_at_index(0).prompt)
        await pilot.press("enter")
        await _settle(app, pilot)
        assert app.current_family_id is not None
        assert "Léa" in "".join(c.first_name for c in app.current_family().children)


@pytest.mark.parametrize("text", ["%", "_", "'", "🙂", "x" * 500])
async def test_search_screen_survives_any_text(sqlite_demo_ctx: Context, agent, text: str) -> None:  # type: ignore[no-untyped-def]
    app = PortailApp(sqlite_demo_ctx, actor=agent)
    async with app.run_test(size=SIZE) as pilot:
        await _settle(app, pilot)
        await pilot.press("ctrl+f")
        await _settle(app, pilot)
        app.screen.query_one(Input).value = text
        await _settle(app, pilot)
        assert isinstance(app.screen, FamilySearchScreen)
        await pilot.press("escape")
        await _settle(app, pilot)
        assert app.current_family_id is None


async def test_palette_finds_the_actions_of_the_current_screen(sqlite_demo_ctx: Context, regisseur) -> None:  # type: ignore[no-untyped-def]
    from textual.command import CommandList

    app = PortailApp(sqlite_demo_ctx, actor=regisseur)
    async with app.run_test(size=SIZE) as pilot:
        await _settle(app, pilot)
        await pilot.press("ctrl+p")
        await _settle(app, pilot)
        await _type(pilot, "fiches a valider")  # typed without the accent
        options = app.screen.query_one(CommandList)
        for _ in range(50):
            await pilot.pause(0.05)
            if options.option_count:
                break
        assert "valider" in str(options.get_option_at_index(0).prompt).lower()
        await pilot.press("enter")
        await _settle(app, pilot)
        from portail_tui.screens.dossier.forms_queue import ValidationQueueScreen

        assert isinstance(app.screen, ValidationQueueScreen)


async def test_each_tab_colour_is_defined_once(sqlite_demo_ctx: Context, agent) -> None:  # type: ignore[no-untyped-def]
    """The section titles of a tab take the colour of the tab bar (the Dossier tab had
    two purples), and the tab modes, keys and Accueil's site map follow the one table."""
    from textual.color import Color

    from portail_tui.screens.tabs import TABS, tabs_for

    app = PortailApp(sqlite_demo_ctx, actor=agent)
    async with app.run_test(size=SIZE) as pilot:
        await _settle(app, pilot)
        assert set(app.MODES) == {t.mode for t in TABS}
        sitemap = str(app.screen.query_one("#sitemap", Static).render())
        seen = tabs_for(agent.role)  # the Régie is not an agent's
        assert all(t.label in sitemap and t.summary in sitemap for t in seen)
        assert "regie" not in {t.mode for t in seen} and "Régie" not in sitemap
        checked = []
        for tab in seen[1:]:
            await pilot.press(tab.binding_key)
            await _settle(app, pilot)
            assert app.current_mode == tab.mode
            for title in app.screen.query(".section-title"):
                assert title.styles.color == Color.parse(tab.colour), tab.mode
                checked.append(tab.mode)
        assert {"paiement", "dossier"} <= set(checked)


async def test_calendar_colours_come_from_the_stylesheet(sqlite_demo_ctx: Context, agent) -> None:  # type: ignore[no-untyped-def]
    from portail_tui.domain.day_states import DayState
    from portail_tui.widgets.month_calendar import STATE_LOOKS, MonthCalendar

    app = PortailApp(sqlite_demo_ctx, actor=agent)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f4")
        await _settle(app, pilot)
        cal = app.screen.query_one(MonthCalendar)
        expected = {DayState.OPEN: "#5fd75f", DayState.PENDING: "#ffaf5f", DayState.WAITING: "#ffaf5f",
                    DayState.CLOSED: "#d70000", DayState.NOTHING: "#e6d9b8", DayState.NOT_YET_OPEN: "#6c6c6c"}
        for state, colour in expected.items():
            style = cal.get_component_rich_style(STATE_LOOKS[state].component, partial=True)
            assert style.bgcolor is not None and style.bgcolor.triplet is not None
            assert style.bgcolor.triplet.hex == colour, state


class _TypedAhead(PortailApp):
    """Keys an agent typed while the application started: the terminal hands them over
    in one burst, queued before the login screen handles the first one."""

    KEYS = [*"agent", "tab", *"agent1234"]

    def on_mount(self) -> None:
        super().on_mount()
        for key in self.KEYS:
            self.post_message(events.Key(key, None if key == "tab" else key))


@pytest.mark.parametrize("separator", ["tab", "enter"])
async def test_login_keeps_type_ahead(sqlite_demo_ctx: Context, separator: str) -> None:
    class App(_TypedAhead):
        KEYS = [*"agent", separator, *"agent1234"]

    app = App(open_context=_open_ctx(sqlite_demo_ctx))
    async with app.run_test(size=SIZE) as pilot:
        await _settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, LoginScreen)
        assert screen.query_one("#login", Input).value == "agent"
        assert screen.query_one("#password", Input).value == "agent1234"
        await pilot.press("enter")
        await _settle(app, pilot)
        assert isinstance(app.screen, TabScreen)


async def test_login_keys_pressed_at_once_after_start(sqlite_demo_ctx: Context) -> None:
    app = PortailApp(open_context=_open_ctx(sqlite_demo_ctx))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"agent", "tab", *"agent1234", "enter")  # no pause: the database may still open
        await _settle(app, pilot)
        assert isinstance(app.screen, TabScreen)


async def test_login_fields_still_move_back_and_forth(sqlite_demo_ctx: Context) -> None:
    app = PortailApp(open_context=_open_ctx(sqlite_demo_ctx))
    async with app.run_test(size=SIZE) as pilot:
        await _settle(app, pilot)
        await pilot.press(*"age", "tab", "shift+tab", "end", *"nt", "tab", *"agent1234")
        await _settle(app, pilot)
        screen = app.screen
        assert screen.query_one("#login", Input).value == "agent"
        assert screen.query_one("#password", Input).value == "agent1234"


async def test_late_results_of_an_earlier_query_do_not_replace_the_last_ones(sqlite_demo_ctx: Context) -> None:
    """Typed fast under load, « l » « le » « lea »: a cancelled search's thread still ends,
    and its results arriving last must not be what Entrée opens."""
    from portail_tui.services.families import search_families

    app = PortailApp(open_context=_open_ctx(sqlite_demo_ctx))
    async with app.run_test(size=SIZE) as pilot:
        await _login(app, pilot, "agent", "agent1234")
        await pilot.press("ctrl+f")
        await _settle(app, pilot)
        await _type(pilot, "lea")
        await _settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, FamilySearchScreen)
        shown = [h.id for h in screen.hits]
        stale = search_families(screen.ctx, "dupont", limit=5)
        assert stale and [h.id for h in stale] != shown
        screen._show("dupont", stale)  # the late answer to a query no longer in the field
        await pilot.pause()
        assert [h.id for h in screen.hits] == shown
