"""Accueil (R15): news, the alerts of the current family and of the régie, the date of
the last data update, help and the site map. Régisseurs manage the news here (add,
date, edit, withdraw); everyone reaches the forms waiting for validation with v."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from portail_tui.domain.frdates import capitalize_first, format_date_long, format_date_short
from portail_tui.domain.roles import role_label
from portail_tui.screens.accueil.figures import figures_text, service_day_figures
from portail_tui.screens.base import TabScreen
from portail_tui.screens.tabs import tabs_for
from portail_tui.services import news
from portail_tui.services.context import ServiceError
from portail_tui.services.families import FamilySummary, family_summary


class AccueilScreen(TabScreen):
    TAB_ID = "accueil"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("v", "validation_queue", "Fiches à valider"),
        Binding("a", "add_news", "Ajouter une actualité"),
        Binding("m", "edit_news", "Modifier l'actualité"),
        Binding("x", "withdraw_news", "Retirer l'actualité"),
    ]

    CSS_PATH = "screen.tcss"

    def __init__(self) -> None:
        super().__init__()
        self.managed: list[news.NewsItem] = []
        self._shown: tuple[object, ...] | None = None
        self._unmarked_shown: str | None | bool = False  # False: never shown

    @property
    def can_manage(self) -> bool:
        from portail_tui.services.permissions import allowed

        return allowed(self.ctx.actor, "news.manage")

    def compose_body(self) -> ComposeResult:
        with VerticalScroll():
            yield Static("", id="accueil-user")
            yield Static("Actualités et informations utiles", classes="section-title")
            yield Static("", id="news")
            yield Static("Informations / Alertes", classes="section-title")
            yield Static("", id="alerts")
            yield Static("", id="regie-counts")
            yield Static("", id="service-day")
            unmarked = Static("", id="pointage-alert")
            unmarked.display = False  # a line only when there is something to say (P6)
            yield unmarked
            yield Static("", id="last-update")
            yield Static("Gestion des actualités", classes="section-title admin-only")
            table: DataTable[Any] = DataTable(id="news-admin", cursor_type="row", zebra_stripes=True,
                                              classes="admin-only")
            table.add_columns("Publiée le", "Titre", "État", "Par")
            yield table
            yield Static("a : ajouter (une date future programme la publication) · m : modifier · "
                         "x : retirer l'actualité sélectionnée", classes="hint admin-only")
            yield Static("", id="accueil-status")
            yield Static("Aide", classes="section-title")
            role = self.ctx.actor.role if self.ctx.actor is not None else None
            regie = ", Ctrl+G la Régie (capacités, périodes, fermetures, comptes)" if any(
                t.mode == "regie" for t in tabs_for(role)) else ""
            yield Static(
                f"Bienvenue sur le Portail Familles, édition guichet. Les touches F1 à F5 ouvrent les onglets{regie}, "
                "Ctrl+F recherche une famille, Ctrl+P ouvre la palette de commandes (familles et actions), "
                "v ouvre les fiches à valider.",
                id="help",
            )
            yield Static("Plan du site", classes="section-title")
            site = Text()
            for tab in tabs_for(self.ctx.actor.role if self.ctx.actor is not None else None):
                site.append(f"{tab.label} ", style="bold")
                site.append(f"{tab.summary}\n")
            yield Static(site, id="sitemap")

    def on_mount(self) -> None:
        self.set_class(self.can_manage, "manager")
        actor = self.ctx.actor
        if actor is not None:
            self.query_one("#accueil-user", Static).update(
                f"Utilisateur : {actor.full_name} ({role_label(actor.role)})"
                f"   Structure : {self.portail.regie_name}")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("add_news", "edit_news", "withdraw_news"):
            return self.can_manage
        return True

    def on_revisit(self) -> None:
        # Counts change in other tabs (a form validated, a payment taken): refresh each visit.
        self._load()

    def load_family(self, family_id: int | None) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="accueil")
    def _load(self) -> None:
        from portail_tui.services import alerts

        family_id = self.family_id
        items = news.current_news(self.ctx)
        last = news.last_data_update(self.ctx)
        try:
            family = alerts.family_alerts(self.ctx, family_id) if family_id is not None else None
            summary = family_summary(self.ctx, family_id) if family_id is not None else None
        except ServiceError:
            family = summary = None
        counts = alerts.regie_counts(self.ctx)
        managed = news.all_news(self.ctx) if self.can_manage else []
        figures = service_day_figures(self.ctx)
        unmarked = self._unmarked()

        def show() -> None:  # one trip to the event loop, not two
            self._show(items, last, family, summary, counts, managed, figures)
            self._show_unmarked(unmarked)

        self.app.call_from_thread(show)

    def _unmarked(self) -> str | None:
        """P6: for the régisseur, the bookings of the previous service day nobody marked."""
        from portail_tui.services.attendance import unmarked_notice
        from portail_tui.services.permissions import allowed

        return unmarked_notice(self.ctx) if allowed(self.ctx.actor, "attendance.late") else None

    def _show_unmarked(self, notice: str | None) -> None:
        if notice == self._unmarked_shown:
            return  # nothing new since the last visit: no redraw
        self._unmarked_shown = notice
        text = Text()
        if notice:
            text.append("Régie : ", style="bold")
            text.append(f"{notice}  (Ctrl+T : Pointage)", style="bold #c0392b")
        widget = self.query_one("#pointage-alert", Static)
        widget.update(text)
        widget.display = bool(notice)

    def _show(self, items: list[news.NewsItem], last, family, summary: FamilySummary | None,  # type: ignore[no-untyped-def]
              counts, managed, figures=None) -> None:
        shown = (items, last, family, summary, counts, managed, figures, self.ctx.clock.today())
        if shown == self._shown:
            return  # the reload of a revisit found nothing new: no redraw (plain data compares)
        self._shown = shown
        text = Text()
        if not items:
            text.append("Aucune actualité pour le moment.", style="italic")
        for item in items:
            text.append(f"{item.title}\n", style="bold")
            text.append(f"{capitalize_first(format_date_long(item.published_on))}\n", style="dim")
            text.append(f"{item.body}\n\n")
        self.query_one("#news", Static).update(text)
        self.query_one("#alerts", Static).update(self._alerts_text(family, summary))
        regie = Text()
        for i, alert in enumerate(counts.alerts()):
            regie.append("Régie : ", style="bold")
            regie.append(f"{alert.text}", style="bold #c0392b" if alert.level == "warning" else "")
            if i == 0 and counts.waiting:  # the forms waiting for validation come first
                regie.append("  (v : les ouvrir)", style="dim")
            regie.append("\n")
        self.query_one("#regie-counts", Static).update(regie)
        day = self.query_one("#service-day", Static)
        day.display = figures is not None
        if figures is not None:
            day.update(figures_text(figures))
        when = capitalize_first(format_date_long(last.date())) if last else "—"
        self.query_one("#last-update", Static).update(f"Dernière mise à jour des données : {when}")
        self.managed = managed
        table = self.query_one("#news-admin", DataTable)
        row = table.cursor_row
        table.clear()
        today = self.ctx.clock.today()
        for item in managed:
            table.add_row(format_date_short(item.published_on), item.title, item.state(today),
                          item.created_by.split(":", 1)[-1], key=str(item.id))
        if managed:
            table.move_cursor(row=min(max(row, 0), len(managed) - 1))

    def _alerts_text(self, family, summary: FamilySummary | None) -> Text:  # type: ignore[no-untyped-def]
        text = Text()
        if family is None:
            text.append("Aucune famille sélectionnée : Ctrl+F pour rechercher une famille.\n", style="italic")
            return text
        if summary is not None:
            text.append(f"Famille {summary.name} (n° {summary.number_text}) :\n", style="bold")
        lines = family.alerts()
        if not lines:
            text.append("Aucune alerte : dossier à jour.\n")
        for alert in lines:
            text.append("• ")
            text.append(f"{alert.text}\n", style="bold #c0392b" if alert.level == "warning" else "")
        return text

    # --- validation queue ----------------------------------------------------------

    def action_validation_queue(self) -> None:
        from portail_tui.screens.dossier.forms_queue import ValidationQueueScreen

        def closed(family_id: int | None) -> None:
            if family_id is not None:
                self.portail.select_family(family_id)
                self.app.switch_mode("dossier")

        self.app.push_screen(ValidationQueueScreen(self.ctx), closed)

    # --- news management (régisseurs) --------------------------------------------------

    def _selected_news(self) -> news.NewsItem | None:
        if not self.managed:
            return None
        table = self.query_one("#news-admin", DataTable)
        return self.managed[min(max(table.cursor_row, 0), len(self.managed) - 1)]

    def _editor(self, title: str, values: dict[str, str], saver, done: str) -> None:  # type: ignore[no-untyped-def]
        from portail_tui.screens.dossier.editor import RecordEditor

        def closed(result: object) -> None:
            if result is not None:
                self.notify(done)
                self._status(done)
                self._load()

        self.app.push_screen(RecordEditor(title, news.NEWS_FIELDS, values, saver), closed)

    def action_add_news(self) -> None:
        if self.can_manage:
            self._editor("Nouvelle actualité", {"published_on": format_date_short(self.ctx.clock.today())},
                         lambda values: news.add_news(self.ctx, values), "Actualité enregistrée.")

    def action_edit_news(self) -> None:
        item = self._selected_news()
        if item is None or not self.can_manage:
            return
        values = {"title": item.title, "body": item.body, "published_on": format_date_short(item.published_on)}
        self._editor("Modifier l'actualité", values, lambda v: news.edit_news(self.ctx, item.id, v),
                     "Actualité modifiée.")

    def action_withdraw_news(self) -> None:
        from portail_tui.screens.dossier.editor import ConfirmScreen

        item = self._selected_news()
        if item is None or not self.can_manage:
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._withdraw(item.id)

        self.app.push_screen(ConfirmScreen(f"Retirer l'actualité « {item.title} » de l'accueil ?"), confirmed)

    @work(thread=True, group="accueil-news")
    def _withdraw(self, news_id: int) -> None:
        try:
            news.withdraw_news(self.ctx, news_id)
        except ServiceError as exc:
            self.app.call_from_thread(self._status, exc.message, True)
            return
        self.app.call_from_thread(self._status, "Actualité retirée.")
        self.app.call_from_thread(self._load)

    def _status(self, text: str, error: bool = False) -> None:
        widget = self.query_one("#accueil-status", Static)
        widget.update(text)
        widget.set_class(error, "error")
