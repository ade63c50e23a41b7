"""The header every tab shows: régie, agent, current family and its balance."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from portail_tui.domain.money import format_amount


class PortailHeader(Static):
    """Rendered from plain values the app hands over; it queries nothing itself."""

    DEFAULT_CSS = """
    PortailHeader { height: 1; background: $primary-darken-2; color: $text; padding: 0 1; }
    """

    def show(self, *, regie: str, agent: str, family: str | None, solde_cents: int | None) -> None:
        text = Text()
        text.append(regie or "", style="bold")
        text.append("  │  Agent : ")
        text.append(agent, style="bold")
        text.append("  │  Famille : ")
        if family is None:
            text.append("aucune (Ctrl+F pour rechercher)", style="italic")
        else:
            text.append(family, style="bold")
            if solde_cents is not None:
                text.append("  │  Solde : ")
                text.append(format_amount(solde_cents), style="bold red" if solde_cents < 0 else "bold green")
        self.update(text)
