"""The key bar at the bottom of every tab screen: the keys the agent may press, with
their word, as Textual's `Footer` shows them.

Why not `Footer`: in Textual 8.2.8 it rebuilds one `FooterKey` widget per key on every
bindings refresh (each tab switch, each focus change), and each new key registers a
watcher on the Footer's `compact` reactive (`data_bind(compact=Footer.compact)`). That
watcher list is only pruned when `compact` changes, which never happens: every key
ever built stays reachable from the Footer. 1,000 tab switches left 24,000 live keys
and 560 MB. Rebuilding ~25 widgets per switch was also the largest cost of a switch.

This bar is one widget drawing one line of text. It listens to the same signal as the
Footer, but only redraws when what it shows (keys, words, enabled state) has changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

from rich.style import Style
from rich.text import Text
from textual import events
from textual.widget import Widget

if TYPE_CHECKING:
    from textual.screen import Screen


_ENABLED = Style()
_DISABLED = Style(dim=True)


class KeyHint(NamedTuple):
    key: str  # the key name to simulate on a click, e.g. "f9"
    display: str  # as the terminal shows it, e.g. "F9", "^f"
    description: str
    enabled: bool


def key_hints(screen: Screen) -> tuple[tuple[KeyHint, ...], KeyHint | None]:
    """The shown keys of `screen`, one per action, in the order the Footer shows them,
    and the command palette's key (shown apart, on the right) if the app offers it."""
    app = screen.app
    active = screen.active_bindings
    hints: dict[str, KeyHint] = {}
    for _node, binding, enabled, _tooltip in active.values():
        if binding.show and binding.action not in hints:
            hints[binding.action] = KeyHint(binding.key, app.get_key_display(binding), binding.description, enabled)
    palette = None
    if app.ENABLE_COMMAND_PALETTE:
        found = active.get(app.COMMAND_PALETTE_BINDING)
        if found is not None:
            _node, binding, enabled, _tooltip = found
            palette = KeyHint(binding.key, app.get_key_display(binding), binding.description, enabled)
            hints.pop(binding.action, None)
    return tuple(hints.values()), palette


class KeyBar(Widget, can_focus=False):
    """Drop-in for `Footer()` in a screen's compose."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"keybar--key", "keybar--description"}
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        text-wrap: nowrap;
        text-overflow: clip;
        .keybar--key { color: $footer-key-foreground; background: $footer-key-background; text-style: bold; }
        .keybar--description { color: $footer-description-foreground; background: $footer-description-background; }
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.hints: tuple[KeyHint, ...] = ()
        self.palette: KeyHint | None = None
        self._pending = False
        # (start column, end column, hint) of each drawn key, for clicks.
        self._spans: list[tuple[int, int, KeyHint]] = []

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._update_hints()

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen) -> None:
        # Several refreshes often come in one burst (mode switch, then focus): read
        # the bindings once, after the burst.
        if not self._pending and screen is self.screen:
            self._pending = True
            self.call_after_refresh(self._update_hints)

    def _update_hints(self) -> None:
        self._pending = False
        if not self.is_attached:
            return
        hints, palette = key_hints(self.screen)
        if (hints, palette) != (self.hints, self.palette):
            self.hints, self.palette = hints, palette
            self.refresh()

    @property
    def text(self) -> str:
        """The line as plain text (what the tests read)."""
        return self.render().plain

    def render(self) -> Text:
        key_style = self.get_component_rich_style("keybar--key")
        description_style = self.get_component_rich_style("keybar--description")
        text = Text(no_wrap=True, overflow="crop", end="")
        spans: list[tuple[int, int, KeyHint]] = []

        def add(hints: Iterable[KeyHint]) -> None:
            for hint in hints:
                start = len(text)
                dim = _ENABLED if hint.enabled else _DISABLED
                text.append(f" {hint.display} ", style=key_style + dim)
                if hint.description:
                    text.append(f"{hint.description} ", style=description_style + dim)
                spans.append((start, len(text), hint))

        add(self.hints)
        if self.palette is not None:
            # On the right, always visible, as the Footer docks it: the keys give way.
            width = self.size.width
            tail = Text()
            tail.append(f"│ {self.palette.display} ", style=key_style)
            tail.append(f"{self.palette.description} ", style=description_style)
            room = max(0, width - len(tail))
            if len(text) > room:
                text.truncate(room)
                spans = [(a, min(b, room), hint) for a, b, hint in spans if a < room]
            text.append(" " * (room - len(text)))
            start = len(text)
            text.append_text(tail)
            spans.append((start, len(text), self.palette))
        self._spans = spans
        return text

    def on_click(self, event: events.Click) -> None:
        for start, end, hint in self._spans:
            if start <= event.x < end:
                if hint.enabled:
                    self.app.simulate_key(hint.key)
                else:
                    self.app.bell()
                return
