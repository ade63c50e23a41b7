"""Accueil (R15): news, the date of the last data update, help and the site map."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from portail_tui.domain.frdates import capitalize_first, format_date_long
from portail_tui.screens.base import TabScreen
from portail_tui.services import news

SITE_MAP = (
    ("Accueil", "Informations générales, actualités, annonces diverses, plan du site."),
    ("Historiques", "Historiques des consommations et règlements du mois en cours et des deux mois précédents."),
    ("Paiement et solde", "Encaissement au guichet, paiement en ligne PayFiP, solde du porte-monnaie."),
    ("Réservations", "Réservations des activités, suivi des réservations."),
    ("Dossier famille", "Dossier famille, fiches des enfants et leur validation, compte du portail."),
)


class AccueilScreen(TabScreen):
    TAB_ID = "accueil"
    TAB_TITLE = "Accueil"

    def compose_body(self) -> ComposeResult:
        with VerticalScroll():
            yield Static("Actualités et informations utiles", classes="section-title")
            yield Static("", id="news")
            yield Static("Informations / Alertes", classes="section-title")
            yield Static("", id="alerts")
            yield Static("", id="last-update")
            yield Static("Aide", classes="section-title")
            yield Static(
                "Bienvenue sur le Portail Familles, édition guichet. Les touches F1 à F5 ouvrent les onglets, "
                "Ctrl+F recherche une famille, Ctrl+P ouvre la palette de commandes (familles et actions).",
                id="help",
            )
            yield Static("Plan du site", classes="section-title")
            site = Text()
            for label, desc in SITE_MAP:
                site.append(f"{label} ", style="bold")
                site.append(f"{desc}\n")
            yield Static(site, id="sitemap")

    def load_family(self, family_id: int | None) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="accueil")
    def _load(self) -> None:
        items = news.current_news(self.ctx)
        last = news.last_data_update(self.ctx)
        self.app.call_from_thread(self._show, items, last)

    def _show(self, items: list[news.NewsItem], last) -> None:  # type: ignore[no-untyped-def]
        text = Text()
        if not items:
            text.append("Aucune actualité pour le moment.", style="italic")
        for item in items:
            text.append(f"{item.title}\n", style="bold")
            text.append(f"{capitalize_first(format_date_long(item.published_on))}\n", style="dim")
            text.append(f"{item.body}\n\n")
        self.query_one("#news", Static).update(text)
        when = capitalize_first(format_date_long(last.date())) if last else "—"
        self.query_one("#last-update", Static).update(f"Dernière mise à jour des données : {when}")
