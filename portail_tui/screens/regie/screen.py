"""Régie mode (G5–G7): what a régisseur changes during the year, in the application.

Five sections, F9 goes from one to the next: Activités (the set-up, read-only),
Capacités (a day's places), Périodes (holiday periods), Fermer un jour, and Comptes
(administrators only). Régisseurs and administrators only: the app shows no key,
palette entry or site-map line to agents, and this screen shows nothing to them if
reached anyway — the services refuse them too."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static, TabbedContent, TabPane

from portail_tui.screens.base import TabScreen
from portail_tui.screens.regie.accounts import AccountsSection
from portail_tui.screens.regie.closing import ClosingSection
from portail_tui.screens.regie.periods import PeriodsSection
from portail_tui.screens.regie.section import Section
from portail_tui.screens.regie.setup_sections import ActivitiesSection, CapacitiesSection
from portail_tui.services.permissions import allowed
from portail_tui.widgets.sections import Sections

REFUSED = "La Régie est réservée aux régisseurs et administrateurs."
SECTIONS = (("activites", "Activités", ActivitiesSection), ("capacites", "Capacités", CapacitiesSection),
            ("periodes", "Périodes", PeriodsSection), ("fermer", "Fermer un jour", ClosingSection),
            ("comptes", "Comptes", AccountsSection))


class RegieScreen(TabScreen):
    TAB_ID = "regie"
    CSS_PATH = "screen.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        # Priority: a focused Select would otherwise swallow it before it reaches the screen.
        Binding("f9", "next_section", "Section suivante", priority=True),
    ]

    @property
    def may_manage(self) -> bool:
        return allowed(self.ctx.actor, "regie.manage")

    @property
    def may_manage_accounts(self) -> bool:
        return allowed(self.ctx.actor, "agent.manage")

    def compose_body(self) -> ComposeResult:
        if not self.may_manage:
            yield Static(REFUSED, id="regie-refused")
            return
        with Sections(id="regie-sections", initial="activites"):
            for pane_id, title, section in SECTIONS:
                if pane_id == "comptes" and not self.may_manage_accounts:
                    continue
                with TabPane(title, id=pane_id):
                    yield section(id=f"section-{pane_id}")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "next_section":
            return self.may_manage
        return True

    @property
    def section(self) -> Section | None:
        if not self.may_manage:
            return None
        pane = self.query_one("#regie-sections", TabbedContent).active
        return self.query_one(f"#section-{pane}", Section) if pane else None

    def load_family(self, family_id: int | None) -> None:
        """The Régie does not depend on the family at the desk: the section shown loads."""
        self._load_section()

    def on_revisit(self) -> None:
        self._load_section()

    def _load_section(self) -> None:
        section = self.section
        if section is not None:
            section.load()

    @on(TabbedContent.TabActivated, "#regie-sections")
    def _section_shown(self) -> None:
        self._load_section()
        self.call_after_refresh(self._focus_section)

    def _focus_section(self) -> None:
        section = self.section
        if section is not None:
            focusable = [w for w in section.query("*") if w.can_focus and w.display]
            if focusable:
                focusable[0].focus()

    def action_next_section(self) -> None:
        tabs = self.query_one("#regie-sections", TabbedContent)
        ids = [p for p, _t, _s in SECTIONS if p != "comptes" or self.may_manage_accounts]
        tabs.active = ids[(ids.index(tabs.active) + 1) % len(ids)] if tabs.active in ids else ids[0]
