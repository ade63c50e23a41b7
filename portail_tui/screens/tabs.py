"""The one table of the five tabs: the app builds its modes, keys and palette entries
from it, the tab bar its line, Accueil its site map, the CSS its tab colours.

Kept free of Textual and of the tab modules themselves, so the app can read it at
start-up without importing a screen (the login must show in under a second)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tab:
    mode: str  # the App mode id, also the CSS class `tab-<mode>` of the body
    label: str
    short_label: str  # the footer's word for the key
    key: str  # "F1"…"F5", or a Ctrl key ("Ctrl+T") for the modes after them
    colour: str  # the guide's colour, exposed to the CSS as $tab-<mode>
    module: str  # imported lazily, once the login screen is drawn
    screen: str  # the TabScreen class in `module`
    summary: str  # the line of Accueil's site map
    # The roles that see the tab (key, palette, site map, tab bar); None: every role.
    roles: tuple[str, ...] | None = None

    def allows(self, role: str | None) -> bool:
        return self.roles is None or role in self.roles

    @property
    def binding_key(self) -> str:
        return self.key.lower()

    @property
    def css_variable(self) -> str:
        return f"tab-{self.mode}"


# In the guide's order and colours.
TABS: tuple[Tab, ...] = (
    Tab("accueil", "Accueil", "Accueil", "F1", "#5f6b7a",
        "portail_tui.screens.accueil.screen", "AccueilScreen",
        "Informations générales, actualités, annonces diverses, plan du site."),
    Tab("historiques", "Historiques", "Historiques", "F2", "#1f6fb2",
        "portail_tui.screens.historiques.screen", "HistoriquesScreen",
        "Historiques des consommations et règlements du mois en cours et des deux mois précédents."),
    Tab("paiement", "Paiement et solde", "Paiement", "F3", "#2e8b57",
        "portail_tui.screens.paiement.screen", "PaiementScreen",
        "Encaissement au guichet, paiement en ligne PayFiP, solde du porte-monnaie."),
    Tab("reservations", "Réservations", "Réservations", "F4", "#c0392b",
        "portail_tui.screens.reservations.screen", "ReservationsScreen",
        "Réservations des activités, suivi des réservations."),
    Tab("dossier", "Dossier famille", "Dossier", "F5", "#7d3c98",
        "portail_tui.screens.dossier.screen", "DossierScreen",
        "Dossier famille, fiches des enfants et leur validation, compte du portail."),
    # The service day (P1–P3): every agent marks who came. F6–F10 are used inside the
    # tabs, hence a Ctrl key.
    Tab("pointage", "Pointage", "Pointage", "Ctrl+T", "#b9770e",
        "portail_tui.screens.pointage.screen", "PointageScreen",
        "Pointage des présences du jour : présents, absents, retards, présents non inscrits."),
    # Beyond the guide: the régisseur's changes of the year (G5–G7). F6–F10 are taken
    # inside the screens, hence Ctrl+G.
    Tab("regie", "Régie", "Régie", "Ctrl+G", "#8d6e1f",
        "portail_tui.screens.regie.screen", "RegieScreen",
        "Activités, capacités, périodes, fermeture d'un jour, comptes des agents (régisseurs et administrateurs).",
        roles=("regisseur", "admin")),
)


def tabs_for(role: str | None) -> tuple[Tab, ...]:
    """The tabs a role sees, in the table's order."""
    return tuple(t for t in TABS if t.allows(role))


def tab_of(mode: str) -> Tab | None:
    return next((t for t in TABS if t.mode == mode), None)


def tab_css_variables() -> dict[str, str]:
    """$tab-accueil … $tab-dossier for every stylesheet of the app."""
    return {t.css_variable: t.colour for t in TABS}
