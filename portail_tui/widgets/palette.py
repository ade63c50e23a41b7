"""The command palette in French, matching without accents ("fiches a valider" finds
"Fiches à valider", as "lea" finds "Léa" in the family search)."""

from __future__ import annotations

from rich.align import Align
from rich.text import Text
from textual.command import CommandList, CommandPalette, Hit, Hits
from textual.system_commands import SystemCommandsProvider
from textual.widgets.option_list import Option

from portail_tui.domain.text import normalize


class ActionCommands(SystemCommandsProvider):
    """The app's system commands (tabs, search, the current screen's actions)."""

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(normalize(query))
        for name, help_text, callback, *_ in self.app.get_system_commands(self.screen):
            score = matcher.match(normalize(name))
            if score > 0:
                yield Hit(score, name, callback, help=help_text)


class PortailPalette(CommandPalette):
    def __init__(self) -> None:
        super().__init__(id="--command-palette",
                         placeholder="Rechercher une famille (nom, n°, téléphone) ou une action…")

    def _start_no_matches_countdown(self, search_value: str) -> None:
        # Same as Textual's (pinned version), with the message in French.
        self._stop_no_matches_countdown()

        def _show_no_matches() -> None:
            if search_value:
                self.query_one(CommandList).add_option(
                    Option(Align.center(Text("Aucun résultat", style="not bold")), disabled=True,
                           id=self._NO_MATCHES)
                )
                self._list_visible = True
            else:
                self._list_visible = False

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, _show_no_matches)
