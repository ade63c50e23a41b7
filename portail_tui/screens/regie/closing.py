"""Fermer un jour (G6) in the Régie mode: date, activities, reason → the counts of
families and bookings affected → confirm. Nothing changes before the confirmation,
and the confirmation closes exactly what the counts were shown for."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Input, Label, SelectionList, Static

from portail_tui.screens.regie.section import InputError, Section, read_date
from portail_tui.services import regie_admin


class ClosingSection(Section):
    MESSAGE_ID = "close-msg"
    FIELDS: ClassVar[dict[str, str]] = {"date": "close-day", "motif": "close-reason"}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f7", "preview", "Voir les familles touchées"),
        Binding("f8", "confirm", "Confirmer la fermeture"),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.preview: tuple[date, tuple[int, ...], str] | None = None  # what the counts were shown for

    def compose(self) -> ComposeResult:
        with Horizontal(classes="regie-controls"):
            yield Label("Jour à fermer :")
            yield Input(placeholder="JJ/MM/AAAA", id="close-day", max_length=10)
            yield Label(" Motif annoncé aux familles :")
            yield Input(placeholder="Grève, formation des équipes, inondation…", id="close-reason", max_length=120)
        yield Label("Activités fermées ce jour (Espace pour cocher) :")
        yield SelectionList[int](id="close-activities")
        yield Static("", id="close-preview")
        yield Static("", id="close-msg", classes="regie-msg")

    def load(self) -> None:
        self.call(lambda: regie_admin.list_activities(self.ctx), self._activities)

    def _activities(self, activities: list[regie_admin.ActivityInfo]) -> None:
        chooser: SelectionList[int] = self.query_one("#close-activities", SelectionList)
        if chooser.option_count == 0:
            chooser.add_options([(f"{a.code} — {a.label}", a.id) for a in activities if not a.by_period])
            chooser.highlighted = 0  # Espace ticks at once, no arrow needed first
        if not self.preview:
            self.say("F7 : voir les familles et réservations touchées, puis F8 : confirmer.")

    def _asked(self) -> tuple[str, tuple[int, ...], str]:
        chooser: SelectionList[int] = self.query_one("#close-activities", SelectionList)
        return (self.query_one("#close-day", Input).value, tuple(sorted(chooser.selected)),
                self.query_one("#close-reason", Input).value)

    @on(Input.Changed)
    @on(SelectionList.SelectedChanged)
    def _changed(self) -> None:
        if self.preview is not None:
            self.preview = None
            self.query_one("#close-preview", Static).update("")
            self.say("Demande modifiée : F7 pour revoir les familles touchées.")

    def action_preview(self) -> None:
        text, ids, reason = self._asked()

        def preview() -> tuple[date, regie_admin.ClosureResult]:
            day = read_date(text, "date")
            if not ids:
                raise InputError("Cochez au moins une activité à fermer.", field="activites")
            return day, regie_admin.close_day(self.ctx, day, ids, reason, dry_run=True)

        def shown(result: tuple[date, regie_admin.ClosureResult]) -> None:
            day, res = result
            self.query_one("#close-preview", Static).update(res.impact.summary)
            if res.impact.activities:
                self.preview = (day, ids, reason)
                self.say("F8 : confirmer la fermeture (les familles seront prévenues par courriel).")
            else:
                self.preview = None
                self.say("Rien à fermer.")

        self.call(preview, shown)

    def action_confirm(self) -> None:
        if self.preview is None:
            self.say("Voyez d'abord les familles touchées (F7).", error=True)
            return
        day, ids, reason = self.preview

        def closed(res: regie_admin.ClosureResult) -> None:
            self.preview = None
            self.query_one("#close-preview", Static).update(res.impact.summary)
            self.say(f"Jour fermé. {res.mails} courriel(s) en file d'envoi.")

        self.call(lambda: regie_admin.close_day(self.ctx, day, ids, reason), closed)
