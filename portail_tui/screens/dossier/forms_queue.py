"""Fiches à valider: every form waiting for a decision across the régie, oldest
first. Entrée opens the highlighted one, v validates it (or r rejects it with a
reason): two keystrokes per form; the list then moves on to the next one."""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from portail_tui.domain.frdates import format_datetime_short
from portail_tui.screens.dossier.forms_editor import FormScreen
from portail_tui.services import forms
from portail_tui.services.context import Context, ServiceError
from portail_tui.widgets.keybar import KeyBar


class ValidationQueueScreen(ModalScreen[int | None]):
    """Dismisses with a family id when the agent asks to open that family (f)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Ouvrir la fiche", priority=True),
        Binding("f", "open_family", "Ouvrir la famille"),
        Binding("escape", "close", "Fermer"),
    ]

    CSS_PATH = "forms_queue.tcss"

    def __init__(self, ctx: Context) -> None:
        super().__init__()
        self.ctx = ctx
        self.items: list[forms.QueueItem] = []
        self.opening = False

    def compose(self) -> ComposeResult:
        with Vertical(id="queue-box"):
            yield Static("Fiches à valider — les plus anciennes d'abord", id="queue-title")
            table: DataTable[str] = DataTable(id="queue-table", cursor_type="row", zebra_stripes=True)
            table.add_columns("Envoyée le", "Famille", "Enfant", "Fiche", "Nature", "Saisie par")
            yield table
            yield Static("Chargement…", id="queue-status")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self.reload()

    @work(thread=True, exclusive=True, group="queue")
    def reload(self, keep_row: int = 0) -> None:
        items = forms.validation_queue(self.ctx)
        self.app.call_from_thread(self._show, items, keep_row)

    def _show(self, items: list[forms.QueueItem], keep_row: int) -> None:
        self.items = items
        table = self.query_one(DataTable)
        table.clear()
        for i, it in enumerate(items):
            table.add_row(
                format_datetime_short(it.submitted_at) if it.submitted_at else "—",
                it.families, it.child_name, it.kind_label,
                "mise à jour" if it.resubmission else "première saisie",
                (it.updated_by or "").split(":", 1)[-1],
                key=str(i),
            )
        if items:
            table.move_cursor(row=min(keep_row, len(items) - 1))
        status = self.query_one("#queue-status", Static)
        if not items:
            status.update("Aucune fiche en attente de validation. Échap : fermer")
        else:
            status.update(f"{len(items)} fiche(s) en attente. Entrée : ouvrir, puis v : valider ou "
                          "r : rejeter · f : ouvrir la famille · Échap : fermer")

    def _current(self) -> forms.QueueItem | None:
        table = self.query_one(DataTable)
        if not self.items or table.cursor_row < 0:
            return None
        return self.items[min(table.cursor_row, len(self.items) - 1)]

    def action_open(self) -> None:
        item = self._current()
        if item is not None and not self.opening:
            self.opening = True
            self._load(item, self.query_one(DataTable).cursor_row)

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    @work(thread=True, exclusive=True, group="queue-open")
    def _load(self, item: forms.QueueItem, row: int) -> None:
        try:
            view = forms.get_form(self.ctx, item.child_id, item.kind)
        except ServiceError as exc:
            self.app.call_from_thread(self._failed, exc.message)
            return
        self.app.call_from_thread(self._push, view, row)

    def _failed(self, message: str) -> None:
        self.opening = False
        self.query_one("#queue-status", Static).update(message)

    def _push(self, view: forms.FormView, row: int) -> None:
        def done(message: str | None) -> None:
            self.opening = False
            if message:
                self.notify(message)
            self.reload(row)

        self.app.push_screen(FormScreen(self.ctx, view), done)

    def action_open_family(self) -> None:
        item = self._current()
        if item is not None:
            self.dismiss(item.family_id)

    def action_close(self) -> None:
        self.dismiss(None)
