"""Where the compact layout starts: below 100 columns or 30 rows (80×24 is the default
SSH terminal). The app turns these into the screens' `-narrow` / `-short` classes
(Textual breakpoints) that the stylesheets use; the calendar, which draws its own
grid, reads the row count here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.app import App
    from textual.screen import Screen

COMPACT_BELOW_COLUMNS = 100
COMPACT_BELOW_ROWS = 30


def presize(screen: Screen[Any], app: App[Any], update: bool = False) -> None:
    """Give a screen about to be mounted the breakpoint classes of the terminal's size,
    as Textual would on the screen's first Resize. Textual adds them only then, once
    every widget is styled: the whole screen was styled twice (a third of the first
    display of a tab, and of every day dialog, recap, receipt). `update`: a screen
    already mounted, shown again (a dialog kept between uses), is restyled if the
    terminal changed size class meanwhile."""
    width, height = app.size
    for dimension, breakpoints in ((width, screen.HORIZONTAL_BREAKPOINTS or app.HORIZONTAL_BREAKPOINTS),
                                   (height, screen.VERTICAL_BREAKPOINTS or app.VERTICAL_BREAKPOINTS)):
        if not breakpoints:
            continue
        chosen = next((name for limit, name in sorted(breakpoints, reverse=True) if dimension >= limit), None)
        stale = [name for _, name in breakpoints if name != chosen and screen.has_class(name)]
        if stale:
            screen.remove_class(*stale, update=update)
        if chosen is not None and not screen.has_class(chosen):
            screen.add_class(chosen, update=update)
