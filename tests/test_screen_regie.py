"""The Régie mode through Textual's Pilot: hidden from agents (no key, palette entry,
site-map line or tab), a régisseur changes a day's capacity (lowering refused with the
numbers in place, raising promotes), adds a period, closes a day after seeing the
counts; an administrator manages the accounts."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from textual.widgets import DataTable, Input, Select, SelectionList, Static, TabbedContent

from portail_tui.app import PortailApp
from portail_tui.clock import FixedClock
from portail_tui.config import Settings
from portail_tui.db import Database
from portail_tui.screens.accueil.screen import AccueilScreen
from portail_tui.screens.base import TabBar
from portail_tui.screens.regie.screen import RegieScreen
from portail_tui.services import auth
from portail_tui.services.booking import CartLine, validate_cart
from portail_tui.services.context import Actor, Context
from portail_tui.widgets.keybar import key_hints
from tests.support.booking_town import Town, bookings, build_town

SIZE = (140, 48)
TUE = date(2026, 12, 1)


@pytest.fixture
def town_ctx(sqlite_db: Database, clock: FixedClock, settings: Settings) -> tuple[Town, Context]:
    ctx = Context(db=sqlite_db, clock=clock, settings=settings)
    town = build_town(sqlite_db)
    agent = ctx.as_actor(town.agent)
    for family, child in (("MARTIN", "Léa"), ("DURAND", "Jade"), ("BERNARD", "Chloé")):
        validate_cart(agent, town.families[family],
                      [CartLine("book", town.children[child], town.activities["RS"], TUE)])
    return town, ctx


def actor(town: Town, role: str, login: str = "chef") -> Actor:
    return Actor(kind="agent", login=login, regie_id=town.regie_id, full_name=f"Compte {role}", role=role)


async def settle(app: PortailApp, pilot: Any) -> None:
    for _ in range(5):
        await app.workers.wait_for_complete()
        await pilot.pause()


def text(screen: Any, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def to_section(app: PortailApp, pilot: Any, pane: str) -> None:
    """F9 until the section shows (at most once round the five)."""
    for _ in range(6):
        if app.screen.query_one(TabbedContent).active == pane:
            return
        await pilot.press("f9")
        await settle(app, pilot)
    raise AssertionError(f"section {pane} never shown")


async def type_in(pilot: Any, field: Input, value: str) -> None:
    field.focus()
    field.value = ""
    await pilot.press(*value)


async def test_agents_never_see_the_regie(town_ctx: tuple[Town, Context]) -> None:
    town, ctx = town_ctx
    app = PortailApp(ctx, actor=town.agent)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, AccueilScreen)
        assert "Régie" not in text(screen, "#sitemap") and "Ctrl+G" not in text(screen, "#help")
        assert "Régie" not in str(screen.query_one(TabBar).render())
        hints, _palette = key_hints(screen)
        assert "Régie" not in [h.description for h in hints]
        assert not any("Régie" in c.title for c in app.get_system_commands(screen))
        await pilot.press("ctrl+g")
        await settle(app, pilot)
        assert isinstance(app.screen, AccueilScreen)
        app.action_tab("regie")  # asked anyway: refused
        await settle(app, pilot)
        assert isinstance(app.screen, AccueilScreen)
        await app.switch_mode("regie")  # reached by another path: nothing shown but the refusal
        await settle(app, pilot)
        assert isinstance(app.screen, RegieScreen) and not app.screen.query("#regie-sections")
        assert "réservée aux régisseurs" in text(app.screen, "#regie-refused")


async def test_regisseur_changes_a_capacity_and_closes_a_day(town_ctx: tuple[Town, Context]) -> None:
    town, ctx = town_ctx
    app = PortailApp(ctx, actor=actor(town, "regisseur"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert "Régie" in text(app.screen, "#sitemap") and "Ctrl+G la Régie" in text(app.screen, "#help")
        assert any("Régie" in c.title for c in app.get_system_commands(app.screen))
        await pilot.press("ctrl+g")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, RegieScreen)
        assert screen.query_one("#act-table", DataTable).row_count == 6
        assert not screen.query("#section-comptes")  # accounts: administrators only

        await to_section(app, pilot, "capacites")  # RS, November; F10 for December
        await pilot.press("f10")
        await settle(app, pilot)
        table = screen.query_one("#cap-table", DataTable)
        table.focus()
        assert table.get_row_at(0)[0] == "Mardi 1er décembre 2026"
        assert [str(c) for c in table.get_row_at(0)[1:4]] == ["2", "2", "1"]
        await pilot.press("enter")  # the day chosen: the capacity field
        field = screen.query_one("#cap-new", Input)
        assert app.focused is field
        await pilot.press("1", "enter")
        await settle(app, pilot)
        assert "2 places réservées : la capacité ne peut pas descendre à 1" in text(screen, "#cap-msg")
        assert field.has_class("error") and app.focused is field
        await type_in(pilot, field, "3")
        await pilot.press("enter")
        await settle(app, pilot)
        assert "capacité 2 → 3 ; 1 enfant de la liste d'attente inscrit(s)" in text(screen, "#cap-msg")
        assert [str(c) for c in table.get_row_at(0)[1:4]] == ["3", "3", ""]
        activity = screen.query_one("#cap-activity", Select)
        activity.focus()
        await pilot.press("enter", "end", "enter")  # the holiday centre: its periods
        await settle(app, pilot)
        assert activity.value == town.activities["CLV"] and table.row_count == 3
        table.focus()
        await pilot.press("enter", "5", "enter")
        await settle(app, pilot)
        assert "Vacances de Noël 2026 (21/12/2026 – 01/01/2027) : capacité 1 → 5." in text(screen, "#cap-msg")

        await to_section(app, pilot, "periodes")  # a new one, refused then added
        for field_id, value in (("per-label", "Vacances d'hiver 2027"), ("per-first", "08/02/2027"),
                                ("per-last", "12/02/2027"), ("per-opens", "04/01/2027"),
                                ("per-closes", "09/02/2027")):
            await type_in(pilot, screen.query_one(f"#{field_id}", Input), value)
        await pilot.press("f7")
        await settle(app, pilot)
        assert "doit fermer avant le premier jour" in text(screen, "#per-msg")
        assert app.focused is screen.query_one("#per-closes", Input)
        await type_in(pilot, screen.query_one("#per-closes", Input), "30/01/2027")
        await pilot.press("f7")
        await settle(app, pilot)
        assert "Période ajoutée : Vacances d'hiver 2027" in text(screen, "#per-msg")
        assert screen.query_one("#per-table", DataTable).row_count == 4
        periods = screen.query_one("#per-table", DataTable)
        periods.focus()
        await pilot.press("home")
        await settle(app, pilot)
        assert screen.query_one("#sel-closes", Input).value == "14/12/2026"  # Noël, the chosen one
        await type_in(pilot, screen.query_one("#sel-closes", Input), "22/12/2026")
        await pilot.press("f8")
        await settle(app, pilot)
        assert "doit fermer avant le premier jour" in text(screen, "#per-msg")
        assert app.focused is screen.query_one("#sel-closes", Input)
        await type_in(pilot, screen.query_one("#sel-closes", Input), "15/12/2026")
        await type_in(pilot, screen.query_one("#sel-capacity", Input), "12")
        await pilot.press("f8")
        await settle(app, pilot)
        assert "Vacances de Noël 2026 enregistrée" in text(screen, "#per-msg")
        assert [str(c) for c in periods.get_row_at(0)[4:6]] == ["01/11/2026 → 15/12/2026", "12"]

        await to_section(app, pilot, "fermer")
        await type_in(pilot, screen.query_one("#close-day", Input), "01/12/2026")
        await type_in(pilot, screen.query_one("#close-reason", Input), "Grève")
        await pilot.press("f8")  # not before the counts
        await settle(app, pilot)
        assert "Voyez d'abord" in text(screen, "#close-msg")
        chooser = screen.query_one("#close-activities", SelectionList)
        chooser.focus()
        await pilot.press("space")  # RS, the first
        await pilot.press("f7")
        await settle(app, pilot)
        assert "3 réservations et 0 demande en liste d'attente annulées, 3 familles" in text(screen, "#close-preview"), text(screen, "#close-msg")
        assert {b.status for b in bookings(ctx.db, day=TUE)} == {"confirmed"}
        await pilot.press("f8")
        await settle(app, pilot)
        assert "Jour fermé. 3 courriel(s)" in text(screen, "#close-msg")
        assert {b.cancel_reason for b in bookings(ctx.db, day=TUE)} == {"Grève"}


async def test_administrator_manages_accounts(town_ctx: tuple[Town, Context]) -> None:
    town, ctx = town_ctx
    auth.add_agent(ctx, "nouveau", "motdepasse1", regie_id=town.regie_id)
    auth.add_agent(ctx, "chef", "motdepasse1", role="admin", regie_id=town.regie_id)
    app = PortailApp(ctx, actor=actor(town, "admin"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+g")
        await settle(app, pilot)
        screen = app.screen
        await to_section(app, pilot, "comptes")
        table = screen.query_one("#acc-table", DataTable)
        assert app.focused is table
        assert [str(c) for c in table.get_row_at(1)[:6]] == ["nouveau", "nouveau", "agent", "oui", "non", "non"]
        await pilot.press("down", "s")  # G7: the health right, given explicitly
        await settle(app, pilot)
        assert str(table.get_row_at(1)[5]) == "oui" and "fiches santé autorisées" in text(screen, "#acc-msg")
        await pilot.press("r", "d")
        await settle(app, pilot)
        assert [str(c) for c in table.get_row_at(1)[2:4]] == ["régisseur", "non"]
        await pilot.press("e", "p")
        await settle(app, pilot)
        assert app.focused is screen.query_one("#acc-password", Input)
        await pilot.press(*"court", "enter")
        await settle(app, pilot)
        assert "trop court" in text(screen, "#acc-msg")
        await type_in(pilot, screen.query_one("#acc-password", Input), "unmotdepasse")
        await pilot.press("enter")
        await settle(app, pilot)
        assert "Mot de passe de nouveau changé" in text(screen, "#acc-msg")
        await pilot.press("up", "d")  # their own account: refused
        await settle(app, pilot)
        assert "votre propre compte" in text(screen, "#acc-msg")
    assert auth.login(ctx, "nouveau", "unmotdepasse").role == "regisseur"


async def test_the_regie_tab_fits_80_columns(town_ctx: tuple[Town, Context]) -> None:
    town, ctx = town_ctx
    app = PortailApp(ctx, actor=actor(town, "regisseur"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        bar = str(app.screen.query_one(TabBar).render())
        # Seven tabs for a régisseur: at 80 columns each is named by its key, the current
        # one in words too — every key stays on screen.
        assert len(bar) <= 80 and all(k in bar for k in ("F1", "F5", "^T", "^G")), bar
