"""The two questions the Pointage screen asks: a time (arrivé en retard, parti tôt) and a
child present without booking (the child search)."""

from __future__ import annotations

from datetime import time

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Input, Static

from portail_tui.domain.pointage import TimeError, parse_clock_time
from portail_tui.screens.base import Dialog
from portail_tui.services.attendance import ChildHit, search_children
from portail_tui.services.context import Context

SEARCH_LIMIT = 30


class TimeDialog(Dialog[time | None]):
    """Dismisses with the time typed (HH:MM, 17h30, 1730…), or None on Échap. A time
    that cannot be read is explained under the field and the dialog stays."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [("escape", "cancel", "Annuler")]

    def __init__(self, title: str, value: str) -> None:
        super().__init__()
        self.title_text = title
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical(id="pt-time-box"):
            yield Static(self.title_text, id="pt-time-title")
            yield Input(value=self.value, id="pt-time", placeholder="HH:MM", max_length=8)
            yield Static("Entrée : valider · Échap : annuler", id="pt-time-error")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted, "#pt-time")
    def _submitted(self, event: Input.Submitted) -> None:
        try:
            value = parse_clock_time(event.value)
        except TimeError as exc:
            error = self.query_one("#pt-time-error", Static)
            error.update(exc.message)
            error.add_class("error")
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ChildSearchDialog(Dialog[ChildHit | None]):
    """« Présent non inscrit »: find the child by its name (or its family's), Entrée
    picks it. A child of two households is listed once per family: the line chosen
    says which family is billed."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [("escape", "cancel", "Fermer"), ("down", "focus_results", "Résultats")]

    def __init__(self, ctx: Context, heading: str) -> None:
        super().__init__()
        self.ctx = ctx
        self.heading = heading
        self.hits: list[ChildHit] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="pt-child-box"):
            yield Static(self.heading, id="pt-child-title")
            yield Input(id="pt-child-input", placeholder="nom ou prénom de l'enfant, n° de compte…", max_length=200)
            table: DataTable[str] = DataTable(id="pt-child-results", cursor_type="row", zebra_stripes=True)
            table.add_columns("Nom", "Prénom", "Classe", "École", "Famille facturée")
            yield table
            yield Static("Tapez au moins deux lettres. Entrée : choisir · Échap : fermer", id="pt-child-status")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Changed, "#pt-child-input")
    def _changed(self, event: Input.Changed) -> None:
        self._search(event.value)

    @work(thread=True, exclusive=True, group="pointage-child-search")
    def _search(self, query: str) -> None:
        hits = search_children(self.ctx, query, limit=SEARCH_LIMIT)
        self.app.call_from_thread(self._show, query, hits)

    def _show(self, query: str, hits: list[ChildHit]) -> None:
        if query != self.query_one("#pt-child-input", Input).value:
            return  # an earlier query's answer, arrived late
        self.hits = hits
        table = self.query_one(DataTable)
        table.clear()
        for i, h in enumerate(hits):
            table.add_row(h.last_name, h.first_name, h.school_class or "—", h.school or "—",
                          f"{h.family_name} (n° {h.family_number:06d})", key=str(i))
        status = self.query_one("#pt-child-status", Static)
        if not hits:
            status.update("Aucun enfant ne correspond." if len(query.strip()) >= 2
                          else "Tapez au moins deux lettres. Entrée : choisir · Échap : fermer")
        else:
            status.update(f"{len(hits)} enfant(s). Entrée : choisir le premier, ↓ pour un autre · Échap : fermer")

    @on(Input.Submitted, "#pt-child-input")
    def _submit_first(self) -> None:
        if self.hits:
            self.dismiss(self.hits[0])

    @on(DataTable.RowSelected, "#pt-child-results")
    def _selected(self, event: DataTable.RowSelected) -> None:
        self.dismiss(self.hits[int(str(event.row_key.value))])

    def action_focus_results(self) -> None:
        if self.hits:
            self.query_one(DataTable).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)
