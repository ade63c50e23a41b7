"""What every tab screen shares: header, tab bar, footer, and following the current family."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Protocol, cast

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Container
from textual.screen import Screen
from textual.widgets import Static

from portail_tui.screens.tabs import tabs_for
from portail_tui.widgets.header import PortailHeader
from portail_tui.widgets.keybar import KeyBar

if TYPE_CHECKING:
    from portail_tui.services.context import Context
    from portail_tui.services.families import FamilySummary


class PortailHost(Protocol):
    """What the screens use of the app. Typed here rather than importing the app, so
    that `app` depends on `screens` and never the other way round."""

    ctx: Context
    current_family_id: int | None
    regie_name: str
    database_restored: bool

    def refresh_header(self, *, changed: bool = True) -> None: ...

    def select_family(self, family_id: int) -> None: ...

    def current_family(self) -> FamilySummary | None: ...


class TabBar(Static):
    """One line naming the tabs the agent's role sees, with their key; the current one in
    its colour. Too narrow for the labels (80 columns), it uses the footer's short words,
    then drops the padding and writes a Ctrl key as the footer does (« ^T »), and at last
    names only the current tab (the others by their key)."""

    def __init__(self, current: str) -> None:
        super().__init__(id="tabbar")
        self.current = current

    def render(self) -> Text:
        actor = getattr(getattr(self.app, "ctx", None), "actor", None)
        tabs = tabs_for(actor.role if actor is not None else None)
        for level in range(4):
            text = Text(no_wrap=True, overflow="ellipsis")
            for tab in tabs:
                here = tab.mode == self.current
                style = f"bold white on {tab.colour}" if here else tab.colour
                if level < 2:
                    text.append(f" {tab.key} {tab.short_label if level else tab.label} ", style=style)
                    text.append(" ")
                    continue
                key = tab.key.replace("Ctrl+", "^")
                text.append(" ")
                text.append(f"{key} {tab.short_label}" if level == 2 or here else key, style=style)
            if text.cell_len <= self.content_size.width:
                break
        return text


class TabScreen(Screen[None]):
    """Base of the five tab screens. They are App modes: mounted once, kept (with what
    they loaded) while other tabs show. Subclasses compose their body and load the
    current family's data in `load_family` (in a worker: never a query on the event
    loop), which runs whenever the screen is shown with another family than last time
    (or after `family_changed`); `on_revisit` runs when it is shown again for the same
    family."""

    TAB_ID: ClassVar[str] = ""

    def __init__(self) -> None:
        super().__init__()
        self._family_seen: int | None | bool = False  # False: never loaded
        self._styled = False
        self._header: PortailHeader | None = None

    @property
    def portail(self) -> PortailHost:
        return cast("PortailHost", self.app)

    @property
    def ctx(self) -> Context:
        return self.portail.ctx

    @property
    def family_id(self) -> int | None:
        return self.portail.current_family_id

    @property
    def header(self) -> PortailHeader | None:
        """None until composed."""
        return self._header

    def compose(self) -> ComposeResult:
        self._header = PortailHeader(id="header")
        yield self._header
        yield TabBar(self.TAB_ID)
        with Container(id="body", classes=f"tab-{self.TAB_ID}"):
            yield from self.compose_body()
        yield KeyBar()

    def compose_body(self) -> ComposeResult:
        yield from ()

    @on(events.ScreenResume)
    def _keep_styles(self, event: events.ScreenResume) -> None:
        """Textual re-applies the whole stylesheet to every widget of a screen each time
        it is shown again (half of a tab switch's time). A tab's widgets keep their
        styles while hidden: a class or focus change restyles the widget at once, a new
        theme or stylesheet restyles every screen (App.refresh_css, which switch_mode
        calls when the CSS changed meanwhile). So only the first showing needs it."""
        if self._styled and self._css_update_count == self.app._css_update_count:
            event.refresh_styles = False
        self._styled = True

    def on_screen_resume(self) -> None:
        self.portail.refresh_header(changed=False)
        if self._family_seen is False or self._family_seen != self.family_id:
            self._family_seen = self.family_id
            self.load_family(self.family_id)
        else:
            self.on_revisit()

    def family_changed(self) -> None:
        """Called by the app when the agent selects another family while this tab shows."""
        self._family_seen = self.family_id
        self.load_family(self.family_id)

    def load_family(self, family_id: int | None) -> None:
        """Override: fill the screen for this family (None: no family selected)."""

    def on_revisit(self) -> None:
        """Override: the tab is shown again, same family; refresh what other tabs or
        sessions may have changed (nothing by default: the tab keeps what it loaded)."""
