"""What every tab screen shares: header, tab bar, footer, and following the current family."""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, Self, cast

from rich.text import Text
from textual import events, on
from textual._context import active_app
from textual.app import App, ComposeResult
from textual.containers import Container
from textual.geometry import Region
from textual.screen import ModalScreen, Screen, ScreenResultType
from textual.widget import Widget
from textual.widgets import Static, TabbedContent
from textual.worker import Worker, WorkerState

from portail_tui.screens.tabs import tabs_for
from portail_tui.widgets.compact import presize
from portail_tui.widgets.frames import BatchHold
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


# A tab showing another family (or shown for the first time) is drawn once its data is
# there, not first empty then again: at most this long after the key.
HOLD_FRAMES_S = 0.15


class FrameHold(BatchHold):
    """The frames held while a tab loads its family, let go when its loaders are done,
    or after HOLD_FRAMES_S at the latest. Drawing the empty tab, then its
    « Chargement… », then the data, cost three full renders on the event loop, and the
    loader thread waited for the GIL behind each (a first F3 took 210–260 ms)."""

    def __init__(self, screen: Screen[None]) -> None:
        super().__init__()
        self.screen = screen

    @property
    def app(self) -> App[Any]:
        return self.screen.app

    def start(self, limit: float = HOLD_FRAMES_S) -> None:
        super().start(limit)

    def worker_done(self) -> None:
        """A worker of the screen changed state: release when none is left running."""
        if self._timer is not None and not any(
                w.node is self.screen and w.state in (WorkerState.PENDING, WorkerState.RUNNING)
                for w in self.app.workers):
            self.release()


class NoRepaintWhenCovered:
    """Mixin of the tab screens and dialogs. Textual repaints the whole screen a dialog
    is pushed over, for nothing here (the app sets no suspended-screen style; a widget
    that does change, e.g. on losing the focus, still refreshes itself); the dialog on
    top then composes every cell of it again: a third of opening a day."""

    _covered_now = False  # set by PortailApp.push_screen around Textual's push

    def refresh(self, *regions: Region, repaint: bool = True, layout: bool = False,
                recompose: bool = False) -> Self:
        if self._covered_now and not (regions or layout or recompose):
            return self
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)  # type: ignore[misc]


class TabScreen(NoRepaintWhenCovered, Screen[None]):
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
        self._hold = FrameHold(self)
        self._styled = False
        self._header: PortailHeader | None = None
        # Born with the current stylesheet: Textual's switch_mode otherwise takes a new
        # screen's count (-1) for a missed CSS change and restyles every screen of the
        # app before showing it (a third of a tab's first display).
        app = active_app.get()
        self._css_update_count = app._css_update_count
        presize(self, app)

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
        calls when the CSS changed meanwhile). The first showing does not need it
        either: the widgets were styled when mounted, an instant before."""
        if self._css_update_count == self.app._css_update_count:
            event.refresh_styles = False
        if not self._styled:
            self.call_after_refresh(gc.freeze)
        self._styled = True

    def on_screen_resume(self) -> None:
        self.portail.refresh_header(changed=False)
        if self._family_seen is False or self._family_seen != self.family_id:
            self._family_seen = self.family_id
            self._load_held()
        else:
            self.on_revisit()

    def _load_held(self) -> None:
        """load_family, with the frames held until what it loads is shown (FrameHold)."""
        self._hold.start()
        self.load_family(self.family_id)
        self._hold.worker_done()  # nothing to load (no family): draw at once

    @on(Worker.StateChanged)
    def _loader_state(self, event: Worker.StateChanged) -> None:
        self._hold.worker_done()

    @on(events.ScreenSuspend)
    def _release_frames(self) -> None:
        self._hold.release()  # another tab or a dialog: it decides what is drawn

    def show_section(self, sections: TabbedContent, pane: str, focus: Widget) -> None:
        """Switch `sections` to `pane` with the focus already on `focus` (in that pane).
        Focus first: the widget focused in the pane being hidden gets a Hide event and
        blurs, and Textual then hands the focus to one of its siblings, in the same
        hidden pane, whose TabPane re-activates itself; the section flipped back now and
        then (F9 in Historiques right after two exports, issue 12)."""
        self.set_focus(focus)
        sections.active = pane

    def family_changed(self) -> None:
        """Called by the app when the agent selects another family while this tab shows."""
        self._family_seen = self.family_id
        self._load_held()

    def load_family(self, family_id: int | None) -> None:
        """Override: fill the screen for this family (None: no family selected)."""

    def dialogs_to_prepare(self) -> list[Screen[Any]]:
        """Override: the dialogs this tab keeps and opens many times a day, for the app
        to build in the background with the tabs (PortailApp._prebuild_step)."""
        return []

    def on_revisit(self) -> None:
        """Override: the tab is shown again, same family; refresh what other tabs or
        sessions may have changed (nothing by default: the tab keeps what it loaded)."""


class Dialog(NoRepaintWhenCovered, ModalScreen[ScreenResultType]):
    """Base of the dialogs opened many times a day (the day, the recap, Encaisser, the
    receipt, the family search). Textual restyles every widget of a screen when it is
    shown; a dialog's widgets were styled an instant before, when mounted (PortailApp
    pushes it with the current CSS count and the terminal's breakpoint classes), and
    keep their styles under another dialog like a tab's (TabScreen._keep_styles)."""

    @on(events.ScreenResume)
    def _keep_styles(self, event: events.ScreenResume) -> None:
        if self._css_update_count == self.app._css_update_count:
            event.refresh_styles = False

    async def _on_resize(self, event: events.Resize) -> None:
        """A new dialog's first Resize: Textual lays out again every screen under it
        (the whole calendar tab, for each day opened) although the terminal kept its
        size; they are left as they are then, and so is a dialog shown again (the day's,
        kept between days) already laid out at this size. A real resize goes to
        Textual's handler."""
        if all(screen._compositor.size == event.size for screen in self.app._background_screens):
            event.prevent_default()  # Screen._on_resize, next in the MRO, is not called
            event.stop()
            if self._compositor.size != event.size:
                self._screen_resized(event.size)  # breakpoint classes: set when pushed (presize)
