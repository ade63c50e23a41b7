"""Widgets laid out in one pass when their size changes.

When a layout gives a widget a new size, Textual sets its `virtual_size`, a reactive
declared with `layout=True`: the widget asks for a second layout pass of the whole
screen, drawn one frame (17 ms) later. For a widget whose height comes from its text
alone, that pass finds what the first one found. In the day dialog, a day whose note
or quotient notice takes one line more or less than the day before paid it: 47 ms
instead of 22 to open (issue 12). `Widget._size_updated` is Textual's own (8.2.8,
pinned in pyproject.toml; tests/test_screen_speed.py counts the passes)."""

from __future__ import annotations

from textual.containers import Vertical
from textual.geometry import Size
from textual.widgets import Static


class SteadySize:
    """Mixin (before the widget class): a new size does not ask for another layout
    pass. Only for widgets whose content does not depend on their own size (no
    `on_resize` that changes what they show) and that do not scroll."""

    def _size_updated(self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True) -> bool:
        return super()._size_updated(size, virtual_size, container_size, layout=False)  # type: ignore[misc]


class SteadyStatic(SteadySize, Static):
    """A Static of text whose line count changes with what it says."""


class SteadyVertical(SteadySize, Vertical):
    """A Vertical (not scrolling) whose height follows its children."""
