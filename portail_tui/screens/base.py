"""What every tab screen shares: header, tab bar, footer, and following the current family."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Protocol, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Container
from textual.screen import Screen
from textual.widgets import Footer, Static

from portail_tui.screens.tabs import TABS
from portail_tui.widgets.header import PortailHeader

if TYPE_CHECKING:
    from portail_tui.services.context import Context
    from portail_tui.services.families import FamilySummary


class PortailHost(Protocol):
    """What the screens use of the app. Typed here rather than importing the app, so
    that `app` depends on `screens` and never the other way round."""

    ctx: Context
    current_family_id: int | None
    regie_name: str

    def refresh_header(self) -> None: ...

    def select_family(self, family_id: int) -> None: ...

    def current_family(self) -> FamilySummary | None: ...


class TabBar(Static):
    """One line naming the five tabs with their key; the current one in its colour.
    Too narrow for the labels (80 columns), it uses the footer's short words."""

    def __init__(self, current: str) -> None:
        super().__init__(id="tabbar")
        self.current = current

    def render(self) -> Text:
        for short in (False, True):
            text = Text(no_wrap=True, overflow="ellipsis")
            for tab in TABS:
                style = f"bold white on {tab.colour}" if tab.mode == self.current else tab.colour
                text.append(f" {tab.key} {tab.short_label if short else tab.label} ", style=style)
                text.append(" ")
            if text.cell_len <= self.content_size.width:
                break
        return text


class TabScreen(Screen[None]):
    """Base of the five tab screens. Subclasses compose their body and load the current
    family's data in `load_family`, which runs whenever the screen is shown with another
    family than last time (or after `family_changed`)."""

    TAB_ID: ClassVar[str] = ""

    def __init__(self) -> None:
        super().__init__()
        self._family_seen: int | None | bool = False  # False: never loaded

    @property
    def portail(self) -> PortailHost:
        return cast("PortailHost", self.app)

    @property
    def ctx(self) -> Context:
        return self.portail.ctx

    @property
    def family_id(self) -> int | None:
        return self.portail.current_family_id

    def compose(self) -> ComposeResult:
        yield PortailHeader(id="header")
        yield TabBar(self.TAB_ID)
        with Container(id="body", classes=f"tab-{self.TAB_ID}"):
            yield from self.compose_body()
        yield Footer()

    def compose_body(self) -> ComposeResult:
        yield from ()

    def on_screen_resume(self) -> None:
        self.portail.refresh_header()
        if self._family_seen is False or self._family_seen != self.family_id:
            self._family_seen = self.family_id
            self.load_family(self.family_id)

    def family_changed(self) -> None:
        """Called by the app when the agent selects another family while this tab shows."""
        self._family_seen = self.family_id
        self.load_family(self.family_id)

    def load_family(self, family_id: int | None) -> None:
        """Override: fill the screen for this family (None: no family selected)."""
