"""The Textual application: login, then five tabs as App modes, a header that always
shows régie, agent and current family, and a family search reachable from everywhere."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.screen import Screen

from portail_tui.screens.accueil import AccueilScreen
from portail_tui.screens.base import TABS, TabScreen
from portail_tui.screens.dossier import DossierScreen
from portail_tui.screens.historiques import HistoriquesScreen
from portail_tui.screens.login import LoginScreen
from portail_tui.screens.paiement import PaiementScreen
from portail_tui.screens.reservations import ReservationsScreen
from portail_tui.screens.search import FamilySearchScreen
from portail_tui.services import news
from portail_tui.services.context import Actor, Context
from portail_tui.services.families import FamilySummary, family_summary, search_families
from portail_tui.services.wallet import family_solde


class FamilyCommands(Provider):
    """Command palette: type a name, number or phone to open a family."""

    async def search(self, query: str) -> Hits:
        app = self.app
        if not isinstance(app, PortailApp) or app.actor is None or len(query.strip()) < 2:
            return
        hits = await app.run_in_thread(search_families, app.ctx, query, limit=10)
        for h in hits:
            label = f"Famille {h.name} — n° {h.number_text} — {h.children}"
            yield Hit(1.0, label, partial(app.select_family, h.id), help=f"{h.guardian} {h.city}")

    async def discover(self) -> Hits:
        yield DiscoveryHit("Rechercher une famille…", self.app.action_search_family,  # type: ignore[attr-defined]
                           help="Ctrl+F")


class PortailApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "Portail Familles — guichet"
    ENABLE_COMMAND_PALETTE = True
    COMMANDS = App.COMMANDS | {FamilyCommands}
    MODES = {
        "accueil": AccueilScreen,
        "historiques": HistoriquesScreen,
        "paiement": PaiementScreen,
        "reservations": ReservationsScreen,
        "dossier": DossierScreen,
    }
    BINDINGS = [
        Binding("f1", "tab('accueil')", "Accueil"),
        Binding("f2", "tab('historiques')", "Historiques"),
        Binding("f3", "tab('paiement')", "Paiement"),
        Binding("f4", "tab('reservations')", "Réservations"),
        Binding("f5", "tab('dossier')", "Dossier"),
        Binding("ctrl+f", "search_family", "Famille", priority=True),
        Binding("ctrl+q", "quit", "Quitter", priority=True),
    ]

    def __init__(self, ctx: Context, *, actor: Actor | None = None) -> None:
        super().__init__()
        self.base_ctx = ctx
        self.ctx = ctx.as_actor(actor) if actor else ctx
        self.actor: Actor | None = actor
        self.current_family_id: int | None = None
        self.regie_name = ""

    # --- start-up and login ----------------------------------------------------

    def on_mount(self) -> None:
        if self.actor is not None:
            self._enter(self.actor)
        else:
            self.push_screen(LoginScreen(self.base_ctx), self._enter)

    def _enter(self, actor: Actor | None) -> None:
        if actor is None:
            return
        self.actor = actor
        self.ctx = self.base_ctx.as_actor(actor)
        self.regie_name = news.regie_name(self.ctx)
        self.sub_title = f"{self.regie_name} — {actor.full_name}"
        self.switch_mode("accueil")

    # --- tabs, family and header -----------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action in ("tab", "search_family") and self.actor is None)

    def action_tab(self, mode: str) -> None:
        if self.actor is not None and mode in self.MODES:
            self.switch_mode(mode)

    def action_search_family(self) -> None:
        if self.actor is None or isinstance(self.screen, FamilySearchScreen):
            return
        self.push_screen(FamilySearchScreen(self.ctx), self._family_chosen)

    def _family_chosen(self, family_id: int | None) -> None:
        if family_id is not None:
            self.select_family(family_id)

    def select_family(self, family_id: int) -> None:
        """Make a family current: the header and the visible tab follow at once, the
        other tabs when they are next shown."""
        self.current_family_id = family_id
        self.refresh_header()
        screen = self.screen
        if isinstance(screen, TabScreen):
            screen.family_changed()

    def current_family(self) -> FamilySummary | None:
        if self.current_family_id is None:
            return None
        return family_summary(self.ctx, self.current_family_id)

    def refresh_header(self) -> None:
        """Redraw the header of the visible tab (after a family change or a payment)."""
        if self.actor is None:
            return
        from portail_tui.widgets.header import PortailHeader

        screen = self.screen
        try:
            header = screen.query_one(PortailHeader)
        except Exception:  # noqa: BLE001 - screens without a header (modals)
            return
        summary = self.current_family()
        label = f"{summary.name} (n° {summary.number_text})" if summary else None
        solde = family_solde(self.ctx, summary.id) if summary else None
        role = {"agent": "agent", "regisseur": "régisseur", "admin": "administrateur"}.get(self.actor.role, "")
        header.show(regie=self.regie_name, agent=f"{self.actor.full_name} ({role})", family=label,
                    solde_cents=solde)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        if self.actor is not None:
            for mode, label, key, _colour in TABS:
                yield SystemCommand(f"Onglet {label}", f"Ouvrir l'onglet {label} ({key})",
                                    partial(self.action_tab, mode))
            yield SystemCommand("Rechercher une famille", "Ctrl+F", self.action_search_family)
        yield SystemCommand("Quitter", "Fermer l'application (Ctrl+Q)", self.exit)
