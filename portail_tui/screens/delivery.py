"""Handing an export to the agent from a screen: the worker side and the UI side of
`save_for_agent`, shared by every tab and dialog that writes or prints a file.

In a browser session (`portail serve`) the file is on the server, out of the agent's
reach: once saved it is also offered to the browser as a download; in a terminal
nothing more happens (the message says where the file is)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import App
from textual.binding import Binding
from textual.widgets import Static

from portail_tui.exports.files import ExportError, SavedFile, os_error_reason
from portail_tui.screens.base import TabScreen
from portail_tui.services.context import ServiceError
from portail_tui.widgets.download import offer_download

_LOG = logging.getLogger(__name__)

NO_FAMILY = "Aucune famille sélectionnée : Ctrl+F pour rechercher une famille."

EXPORT_BINDINGS = [
    Binding("f6", "export('csv')", "Exporter CSV"),
    Binding("f7", "export('pdf')", "Exporter PDF"),
    Binding("f8", "print_export", "Imprimer"),
]


def deliver_from_worker(app: App[object], produce: Callable[[], SavedFile],
                        on_saved: Callable[[SavedFile], None], on_error: Callable[[str], None]) -> None:
    """Call from a thread worker: run `produce` (which builds the data and calls
    `save_for_agent`), then, on the UI thread, `on_saved` and the browser download, or
    `on_error` with a French message. Any failure is a message, never the end of the
    session: a ServiceError or ExportError says why itself, any other error (a bug, a
    broken installation) is logged with its traceback and summed up in French."""
    try:
        saved = produce()
    except (ServiceError, ExportError) as exc:
        app.call_from_thread(on_error, exc.message)
        return
    except Exception as exc:  # noqa: BLE001 - a failed export must never end the session
        app.call_from_thread(on_error, failure_message(exc))
        return
    app.call_from_thread(delivered, app, saved, on_saved, on_error)


def failure_message(exc: BaseException) -> str:
    """The French line for an export, print or receipt that failed unexpectedly; the
    traceback goes to the log for whoever maintains the installation."""
    _LOG.error("export, impression ou quittance en échec", exc_info=exc)
    if isinstance(exc, OSError):
        reason = os_error_reason(exc)
    else:
        reason = f"erreur inattendue ({type(exc).__name__})"
    return f"Fichier non produit : {reason}. Réessayez ; si cela persiste, prévenez l'administrateur."


def delivered(app: App[object], saved: SavedFile, on_saved: Callable[[SavedFile], None],
              on_error: Callable[[str], None]) -> None:
    """UI thread: let the screen show its message, then offer the file to the browser."""
    on_saved(saved)
    try:
        offer_download(app, saved.path)
    except OSError as exc:
        on_error(f"Téléchargement impossible : {os_error_reason(exc)}. {saved.message}")


class ExportingTab(TabScreen):
    """A tab that exports (F6 CSV, F7 PDF) or prints (F8) exactly what it shows, with a
    status line under it. Subclasses add EXPORT_BINDINGS to their BINDINGS, set
    STATUS_ID and EXPORT_TITLE, and implement `start_export` (read the screen's filters,
    start a thread worker that calls `deliver`)."""

    STATUS_ID: ClassVar[str] = ""
    EXPORT_TITLE: ClassVar[str] = ""

    def __init__(self) -> None:
        super().__init__()
        self.last_export: Path | None = None

    def action_export(self, fmt: str) -> None:
        self._start_export(fmt, to_printer=False)

    def action_print_export(self) -> None:
        self._start_export("pdf", to_printer=True)

    def _start_export(self, fmt: str, *, to_printer: bool) -> None:
        if self.family_id is None:
            self._status(NO_FAMILY, error=True)
            return
        self._status("Impression en cours…" if to_printer else f"Export {fmt.upper()} en cours…")
        self.start_export(self.family_id, fmt, to_printer)

    def start_export(self, family_id: int, fmt: str, to_printer: bool) -> None:
        """Override: start the worker that builds the file and calls `deliver`."""

    def deliver(self, produce: Callable[[], SavedFile]) -> None:
        """From the export worker: save (and print) through `produce`, then report."""
        deliver_from_worker(self.app, produce, self._exported, self._export_failed)

    def _export_failed(self, message: str) -> None:
        self._status(message, error=True)

    def _exported(self, saved: SavedFile) -> None:
        self.last_export = saved.path
        self._status(saved.message)
        self.notify(saved.message, title=self.EXPORT_TITLE, timeout=8)

    def _status(self, message: str | Text, *, error: bool = False) -> None:
        status = self.query_one(self.STATUS_ID, Static)
        status.set_class(error, "error")
        status.update(message)
        if error and message:
            self.notify(str(message), severity="error", timeout=8)
