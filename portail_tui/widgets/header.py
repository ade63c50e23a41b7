"""The header every tab shows: régie, agent, current family and its balance."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from portail_tui.domain.money import format_amount


class PortailHeader(Widget):
    """Drawn from plain values the app hands over; it queries nothing itself. Each value
    is reactive: setting one redraws the line."""

    DEFAULT_CSS = """
    PortailHeader { height: 1; background: $primary-darken-2; color: $text; padding: 0 1; }
    """

    regie: reactive[str] = reactive("")
    agent: reactive[str] = reactive("")
    family: reactive[str | None] = reactive(None)
    solde_cents: reactive[int | None] = reactive(None)

    def show(self, *, regie: str, agent: str, family: str | None, solde_cents: int | None) -> None:
        self.regie, self.agent, self.family, self.solde_cents = regie, agent, family, solde_cents

    def render(self) -> Text:
        text = Text()
        if not self.agent:
            return text  # not shown yet: the app fills it once the agent is known
        text.append(self.regie or "", style="bold")
        text.append("  │  Agent : ")
        text.append(self.agent, style="bold")
        text.append("  │  Famille : ")
        if self.family is None:
            text.append("aucune (Ctrl+F pour rechercher)", style="italic")
        else:
            text.append(self.family, style="bold")
            if self.solde_cents is not None:
                text.append("  │  Solde : ")
                text.append(format_amount(self.solde_cents),
                            style="bold red" if self.solde_cents < 0 else "bold green")
        return text
