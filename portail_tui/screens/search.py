"""Family search: live results while typing, Enter makes the family current."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Input, Static

from portail_tui.screens.base import Dialog
from portail_tui.services.context import Context
from portail_tui.services.families import FamilyHit, search_families

SEARCH_LIMIT = 30


class FamilySearchScreen(Dialog[int | None]):
    """Dismisses with the chosen family id, or None on Échap."""

    BINDINGS = [
        ("escape", "cancel", "Fermer"),
        ("down", "focus_results", "Résultats"),
    ]

    def __init__(self, ctx: Context, query: str = "") -> None:
        super().__init__()
        self.ctx = ctx
        self.initial = query
        self.hits: list[FamilyHit] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="search-box"):
            yield Static("Rechercher une famille — nom, prénom d'un enfant, n° de compte, téléphone ou courriel")
            yield Input(value=self.initial, id="search-input", placeholder="ex. lea, 000123, 06 12…",
                        max_length=200)
            table: DataTable[str] = DataTable(id="search-results", cursor_type="row", zebra_stripes=True)
            table.add_columns("N°", "Famille", "Responsable", "Enfants", "Ville", "Téléphone")
            yield table
            yield Static("Tapez pour chercher. Entrée : choisir · Échap : fermer", id="search-status")

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        if self.initial:
            self._search(self.initial)

    @on(Input.Changed, "#search-input")
    def _changed(self, event: Input.Changed) -> None:
        self._search(event.value)

    @work(thread=True, exclusive=True, group="family-search")
    def _search(self, query: str) -> None:
        hits = search_families(self.ctx, query, limit=SEARCH_LIMIT)
        self.app.call_from_thread(self._show, query, hits)

    def _show(self, query: str, hits: list[FamilyHit]) -> None:
        # A cancelled worker's thread still finishes: the results of an earlier, shorter
        # query may arrive after the last one's, and Entrée would open the wrong family.
        if query != self.query_one("#search-input", Input).value:
            return
        self.hits = hits
        table = self.query_one(DataTable)
        table.clear()
        for h in hits:
            table.add_row(h.number_text, h.name, h.guardian, h.children, h.city, h.phone, key=str(h.id))
        status = self.query_one("#search-status", Static)
        if len(query.strip()) < 2 and not query.strip().isdigit():
            status.update("Tapez au moins deux lettres. Entrée : choisir · Échap : fermer")
        elif not hits:
            status.update("Aucune famille ne correspond.")
        elif len(hits) >= SEARCH_LIMIT:
            status.update(f"Les {len(hits)} premières familles trouvées : précisez la recherche pour "
                          "affiner. ↓ puis Entrée pour choisir · Échap : fermer")
        else:
            status.update(f"{len(hits)} famille(s). ↓ puis Entrée pour choisir · Échap : fermer")

    @on(Input.Submitted, "#search-input")
    def _submit_first(self) -> None:
        if self.hits:
            table = self.query_one(DataTable)
            self.dismiss(self.hits[table.cursor_row if table.row_count else 0].id)

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        self.dismiss(int(event.row_key.value))  # type: ignore[arg-type]

    def action_focus_results(self) -> None:
        if self.hits:
            self.query_one(DataTable).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)
