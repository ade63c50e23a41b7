"""The header every tab shows: régie, agent, current family and its balance."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from portail_tui.domain.money import format_amount

SEPARATOR = "  │  "
SHORT_SEPARATOR = " │ "


class PortailHeader(Widget):
    """Drawn from plain values the app hands over; it queries nothing itself. Each value
    is reactive: setting one redraws the line.

    Always one line. When the full line does not fit (80 columns over SSH), the family
    and its solde come first — what the agent needs with a family at the desk — then
    the agent, then the régie, cut with an ellipsis."""

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
        if not self.agent:
            return Text()  # not shown yet: the app fills it once the agent is known
        full = self._full()
        if cell_len(full.plain) <= self.content_size.width:
            return full
        compact = self._compact()
        compact.truncate(self.content_size.width, overflow="ellipsis")
        return compact

    def _family_parts(self, *, short: bool) -> list[Text]:
        if self.family is None:
            hint = "aucune (Ctrl+F)" if short else "aucune (Ctrl+F pour rechercher)"
            return [Text.assemble("Famille : ", (hint, "italic"))]
        parts = [Text.assemble("" if short else "Famille : ", (self.family, "bold"))]
        if self.solde_cents is not None:
            style = "bold red" if self.solde_cents < 0 else "bold green"
            parts.append(Text.assemble("Solde : ", (format_amount(self.solde_cents), style)))
        return parts

    def _full(self) -> Text:
        parts = [Text(self.regie or "", style="bold"), Text.assemble("Agent : ", (self.agent, "bold")),
                 *self._family_parts(short=False)]
        return Text(SEPARATOR, no_wrap=True).join(parts)

    def _compact(self) -> Text:
        parts = [*self._family_parts(short=True), Text(self.agent), Text(self.regie or "", style="bold")]
        return Text(SHORT_SEPARATOR, no_wrap=True).join(parts)
