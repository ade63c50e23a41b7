"""Handing an export to the agent from a screen: the worker side and the UI side of
`save_for_agent`, shared by every tab and dialog that writes or prints a file.

In a browser session (`portail serve`) the file is on the server, out of the agent's
reach: once saved it is also offered to the browser as a download; in a terminal
nothing more happens (the message says where the file is)."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import App

from portail_tui.exports.files import ExportError, SavedFile, os_error_reason
from portail_tui.services.context import ServiceError
from portail_tui.web import offer_download


def deliver_from_worker(app: App[object], produce: Callable[[], SavedFile],
                        on_saved: Callable[[SavedFile], None], on_error: Callable[[str], None]) -> None:
    """Call from a thread worker: run `produce` (which builds the data and calls
    `save_for_agent`), then, on the UI thread, `on_saved` and the browser download, or
    `on_error` with the French message of a ServiceError or ExportError."""
    try:
        saved = produce()
    except (ServiceError, ExportError) as exc:
        app.call_from_thread(on_error, exc.message)
        return
    app.call_from_thread(delivered, app, saved, on_saved, on_error)


def delivered(app: App[object], saved: SavedFile, on_saved: Callable[[SavedFile], None],
              on_error: Callable[[str], None]) -> None:
    """UI thread: let the screen show its message, then offer the file to the browser."""
    on_saved(saved)
    try:
        offer_download(app, saved.path)
    except OSError as exc:
        on_error(f"Téléchargement impossible : {os_error_reason(exc)}. {saved.message}")
