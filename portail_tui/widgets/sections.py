"""Sections of a tab (Historiques' Règlements/Consommations, the Régie's five…): Textual's
TabbedContent, minus one race an agent hits by pressing the section key quickly.

TabbedContent shows the pane of any widget that receives the focus, through a message
posted when the focus lands. A screen focuses the first field of the section it has just
shown; if the agent presses F9 again before that message is handled, the message arrives
after the second switch and brings back the section they just left (« F9 ne change pas
de section »; seen in Historiques after exports and in the Régie's sections). Sections
here change only by key or click, and focus only ever goes to the section shown, so a
focus message never has to switch anything: it is dropped."""

from __future__ import annotations

from textual.widgets import TabbedContent, TabPane


class Sections(TabbedContent):
    def _on_tab_pane_focused(self, event: TabPane.Focused) -> None:
        # Textual runs the handlers of every class up the MRO: prevent_default stops
        # TabbedContent's own, which would switch to that (possibly left) pane.
        event.stop()
        event.prevent_default()
