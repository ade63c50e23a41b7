"""Actualités (R15) on both engines: régisseurs add, edit, date (schedule) and withdraw
news; Accueil shows only what is published and not withdrawn."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from portail_tui.clock import FixedClock
from portail_tui.services import news
from portail_tui.services.context import Context, PermissionDenied, ServiceError
from portail_tui.services.dossier import InvalidFields
from tests.support.dossier_town import audit_actions, seed

MENU = {"title": "Menus de décembre", "body": "Les menus sont en ligne.\nBon appétit !",
        "published_on": "28/11/2026"}


def test_add_schedule_edit_withdraw(ctx: Context, clock: FixedClock) -> None:
    town = seed(ctx)
    first = news.add_news(town.regisseur, MENU)
    later = news.add_news(town.regisseur, {"title": "Inscriptions de Noël", "published_on": "01/12/2026"})
    assert [n.title for n in news.current_news(town.agent)] == ["Menus de décembre"]
    assert news.current_news(town.agent)[0].body == "Les menus sont en ligne.\nBon appétit !"
    assert [(n.title, n.state(clock.today())) for n in news.all_news(town.regisseur)] == [
        ("Inscriptions de Noël", "programmée"), ("Menus de décembre", "publiée")]
    clock.advance(timedelta(days=3))
    assert [n.id for n in news.current_news(town.agent)] == [later.id, first.id]
    edited = news.edit_news(town.regisseur, first.id, {**MENU, "title": "Menus de décembre et janvier"})
    assert edited.title == "Menus de décembre et janvier"
    news.withdraw_news(town.regisseur, later.id)
    assert [n.id for n in news.current_news(town.agent)] == [first.id]
    assert news.all_news(town.regisseur)[0].state(clock.today()) == "retirée"
    with pytest.raises(ServiceError, match="déjà retirée"):
        news.withdraw_news(town.regisseur, later.id)
    assert [a.action for a in audit_actions(ctx, "news.")] == ["news.create", "news.create", "news.update",
                                                               "news.withdraw"]
    assert news.last_data_update(town.agent) == clock.now()


def test_agents_cannot_manage_news(ctx: Context) -> None:
    town = seed(ctx)
    with pytest.raises(PermissionDenied):
        news.add_news(town.agent, MENU)
    item = news.add_news(town.regisseur, MENU)
    with pytest.raises(PermissionDenied):
        news.withdraw_news(town.agent, item.id)


def test_bad_news_input(ctx: Context) -> None:
    town = seed(ctx)
    with pytest.raises(InvalidFields) as err:
        news.add_news(town.regisseur, {"title": "", "published_on": "32/01/2026"})
    assert set(err.value.errors) == {"title", "published_on"}
    with pytest.raises(InvalidFields) as err:
        news.add_news(town.regisseur, {**MENU, "title": "x" * 10_000})
    assert "200 caractères" in err.value.errors["title"]
    assert news.all_news(town.regisseur) == []
    with pytest.raises(ServiceError, match="introuvable"):
        news.edit_news(town.regisseur, 999, MENU)


def test_dates_are_kept(ctx: Context) -> None:
    town = seed(ctx)
    item = news.add_news(town.regisseur, {**MENU, "published_on": "2026-11-02"})
    assert item.published_on == date(2026, 11, 2)
