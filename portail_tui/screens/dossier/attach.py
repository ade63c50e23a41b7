"""Pick a child already known to the régie, to attach it to a second household
(shared custody: each family books and pays for its own days)."""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Static

from portail_tui.domain.frdates import format_date_short
from portail_tui.services import dossier
from portail_tui.services.context import Context
from portail_tui.widgets.keybar import KeyBar


class ChildPickScreen(ModalScreen[int | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Fermer"),
        Binding("down", "focus_results", "Résultats", show=False),
    ]

    CSS_PATH = "attach.tcss"

    def __init__(self, ctx: Context) -> None:
        super().__init__()
        self.ctx = ctx
        self.hits: list[dossier.ChildHit] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="pick-box"):
            yield Static("Rattacher un enfant déjà connu (garde alternée) — nom ou prénom")
            yield Input(id="pick-input", placeholder="ex. lea lefevre", max_length=100)
            table: DataTable[str] = DataTable(id="pick-table", cursor_type="row")
            table.add_columns("Enfant", "Né(e) le", "Famille(s)")
            yield table
            yield Static("Tapez pour chercher. ↓ puis Entrée : choisir · Échap : fermer", id="pick-status")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Changed, "#pick-input")
    def _changed(self, event: Input.Changed) -> None:
        self._search(event.value)

    @work(thread=True, exclusive=True, group="child-pick")
    def _search(self, query: str) -> None:
        hits = dossier.find_children(self.ctx, query)
        self.app.call_from_thread(self._show, hits)

    def _show(self, hits: list[dossier.ChildHit]) -> None:
        self.hits = hits
        table = self.query_one(DataTable)
        table.clear()
        for h in hits:
            table.add_row(h.name, format_date_short(h.birth_date) if h.birth_date else "—", h.families,
                          key=str(h.id))
        self.query_one("#pick-status", Static).update(
            f"{len(hits)} enfant(s). ↓ puis Entrée : choisir · Échap : fermer" if hits else "Aucun enfant trouvé.")

    @on(Input.Submitted, "#pick-input")
    def _first(self) -> None:
        if self.hits:
            self.dismiss(self.hits[0].id)

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        self.dismiss(int(event.row_key.value))  # type: ignore[arg-type]

    def action_focus_results(self) -> None:
        if self.hits:
            self.query_one(DataTable).focus()

    def action_close(self) -> None:
        self.dismiss(None)
