"""Accueil through Textual's Pilot: the family's alerts and the régie-wide counts change
as forms move, the queue is one key away, régisseurs manage the news, agents cannot."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import DataTable, Static

from portail_tui.app import PortailApp
from portail_tui.clock import FixedClock
from portail_tui.config import Settings
from portail_tui.db import Database
from portail_tui.screens.accueil.screen import AccueilScreen
from portail_tui.screens.dossier.editor import ConfirmScreen, RecordEditor
from portail_tui.screens.dossier.forms_editor import FormScreen
from portail_tui.screens.dossier.forms_queue import ValidationQueueScreen
from portail_tui.services import forms, news
from portail_tui.services.context import Context
from tests.support.dossier_town import ASSURANCE, Town, seed

SIZE = (140, 48)


@pytest.fixture
def town_ctx(sqlite_db: Database, clock: FixedClock, settings: Settings) -> tuple[Town, Context]:
    ctx = Context(db=sqlite_db, clock=clock, settings=settings)
    return seed(ctx), ctx


async def settle(app: PortailApp, pilot: Any) -> None:
    for _ in range(4):
        await app.workers.wait_for_complete()
        await pilot.pause()


def text(screen: Any, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def test_counts_follow_the_forms(town_ctx: tuple[Town, Context]) -> None:
    town, ctx = town_ctx
    app = PortailApp(ctx, actor=town.regisseur.actor)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        accueil = app.screen
        assert isinstance(accueil, AccueilScreen)
        assert "Aucune famille sélectionnée" in text(accueil, "#alerts")
        assert "Aucune fiche en attente de validation" in text(accueil, "#regie-counts")
        assert "Dernière mise à jour des données : Samedi 28 novembre 2026" in text(accueil, "#last-update")
        app.select_family(town.family_id)
        await settle(app, pilot)
        assert "10 fiches à saisir" in text(accueil, "#alerts")

        # Another agent submits two forms: the counts change on the next visit.
        forms.submit(town.agent, town.lea, "assurance", ASSURANCE)
        forms.submit(town.agent, town.noe, "assurance", ASSURANCE)
        await pilot.press("f5")
        await settle(app, pilot)
        await pilot.press("f1")
        await settle(app, pilot)
        alerts = text(accueil, "#alerts")
        assert "8 fiches à saisir" in alerts and "2 fiches en validation" in alerts
        assert "2 fiches en attente de validation" in text(accueil, "#regie-counts")

        # v opens the queue; Entrée then r rejects the oldest with a reason.
        await pilot.press("v")
        await settle(app, pilot)
        assert isinstance(app.screen, ValidationQueueScreen)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, FormScreen)
        await pilot.press("r", *"Attestation illisible", "enter")
        await settle(app, pilot)
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen is accueil
        assert "1 fiche en attente de validation" in text(accueil, "#regie-counts")
        assert "Fiche assurance de Léa rejetée : Attestation illisible" in text(accueil, "#alerts")


async def test_regisseur_manages_news(town_ctx: tuple[Town, Context]) -> None:
    town, ctx = town_ctx
    app = PortailApp(ctx, actor=town.regisseur.actor)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        accueil = app.screen
        assert "Aucune actualité" in text(accueil, "#news")
        await pilot.press("a")
        await settle(app, pilot)
        editor = app.screen
        assert isinstance(editor, RecordEditor)
        await pilot.press("f9")  # no title: refused next to the field
        await settle(app, pilot)
        assert text(editor, "#e-title") == "Champ obligatoire."
        editor.query_one("#f-title").value = "Menus de décembre"  # type: ignore[attr-defined]
        editor.query_one("#f-body").value = "Les menus sont en ligne."  # type: ignore[attr-defined]
        await pilot.press("f9")
        await settle(app, pilot)
        assert app.screen is accueil
        assert "Menus de décembre" in text(accueil, "#news")
        table = accueil.query_one("#news-admin", DataTable)
        assert table.row_count == 1 and str(table.get_row_at(0)[2]) == "publiée"

        await pilot.press("m")
        await settle(app, pilot)
        app.screen.query_one("#f-published_on").value = "05/12/2026"  # type: ignore[attr-defined]
        await pilot.press("f9")
        await settle(app, pilot)
        assert "Aucune actualité" in text(accueil, "#news")  # scheduled for later
        assert str(table.get_row_at(0)[2]) == "programmée"

        await pilot.press("x")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("o")
        await settle(app, pilot)
        assert str(table.get_row_at(0)[2]) == "retirée"
        assert news.all_news(town.regisseur)[0].withdrawn_at is not None


async def test_agent_cannot_manage_news(town_ctx: tuple[Town, Context]) -> None:
    town, ctx = town_ctx
    news.add_news(town.regisseur, {"title": "Fermeture exceptionnelle", "published_on": "28/11/2026"})
    app = PortailApp(ctx, actor=town.agent.actor)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        accueil = app.screen
        assert "Fermeture exceptionnelle" in text(accueil, "#news")
        assert not accueil.query_one("#news-admin", DataTable).display
        await pilot.press("a")
        await pilot.press("x")
        await settle(app, pilot)
        assert app.screen is accueil
        assert news.all_news(town.regisseur)[0].withdrawn_at is None
