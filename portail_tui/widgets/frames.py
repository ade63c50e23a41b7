"""Holding the frames of the application while a screen or widget waits for its data,
so that it is drawn once, complete, rather than empty and again a moment later.

Textual's batch update (`App._begin_batch` / `_end_batch`, what `App.batch_update` and
`App.delay_update` use; Textual 8.2.8, pinned in pyproject.toml): no layout and no
drawing while held, keys and messages still processed."""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.timer import Timer


class BatchHold:
    """Holds the frames of the app (Textual's batch update: no layout, no drawing, the
    keys still processed) from `start` until `release`, or `limit` seconds at the
    latest. Once every hold is let go, the screen is drawn whole, as Textual's own
    `delay_update` ends."""

    def __init__(self, app: App[Any] | None = None) -> None:
        self._app = app
        self._timer: Timer | None = None

    @property
    def app(self) -> App[Any]:
        assert self._app is not None
        return self._app

    @property
    def held(self) -> bool:
        return self._timer is not None

    def start(self, limit: float) -> None:
        if self._timer is None:
            app = self.app
            app._begin_batch()
            self._timer = app.set_timer(limit, self.release)

    def release(self, repaint: bool = True) -> None:
        """`repaint=False`: only what refreshed meanwhile is drawn (the widgets that
        changed are still marked dirty), not the whole screen."""
        timer, self._timer = self._timer, None
        if timer is None:
            return
        timer.stop()
        app = self.app
        app._end_batch()
        if repaint and not app._batch_count:
            app.screen.refresh()  # Textual's own delay_update ends the same way
