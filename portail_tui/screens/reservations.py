"""Réservations tab."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from portail_tui.screens.base import TabScreen
from portail_tui.services.families import family_summary


class ReservationsScreen(TabScreen):
    TAB_ID = "reservations"
    TAB_TITLE = "Réservations"

    def compose_body(self) -> ComposeResult:
        yield Static("", id="family-line")

    def load_family(self, family_id: int | None) -> None:
        line = self.query_one("#family-line", Static)
        if family_id is None:
            line.update("Aucune famille sélectionnée : Ctrl+F pour rechercher une famille.")
            return
        summary = family_summary(self.ctx, family_id)
        kids = ", ".join(c.first_name for c in summary.children) or "aucun enfant"
        line.update(f"{summary.name} — n° {summary.number_text} — enfants : {kids}")
