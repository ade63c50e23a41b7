"""« Justifier une absence » (P2), opened from Réservations (the selected child, the
month shown) and from Historiques (the selected consumption's day): the family hands a
certificate at the desk, the agent ticks the days, picks the reason and the date it
was received, and Ctrl+O records it. A late justification is refused in place with the
service's French reason and nothing changes; the dialog stays open to correct."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Select, SelectionList, Static

from portail_tui.domain.attendance import REASON_LABELS
from portail_tui.domain.frdates import DateError, format_date_long, format_date_short, parse_date_fr
from portail_tui.screens.base import Dialog
from portail_tui.services.attendance_justify import (
    JustifiableDay,
    JustificationResult,
    record_justification,
)
from portail_tui.services.context import Context, ServiceError
from portail_tui.widgets.keybar import KeyBar


def day_label(d: JustifiableDay) -> str:
    return f"{format_date_long(d.day, year=False)} — {d.activities} — {d.state}"


class JustifyDialog(Dialog[JustificationResult | None]):
    """Dismisses with what was recorded, None when closed without recording."""

    CSS_PATH = "justify.tcss"

    BINDINGS = [
        Binding("escape", "close", "Fermer"),
        Binding("ctrl+o", "record", "Enregistrer"),
    ]

    def __init__(self, ctx: Context, family_id: int, child_id: int, child_name: str,
                 days: list[JustifiableDay], chosen: Iterable[date] = (), policy: str = "") -> None:
        super().__init__()
        self.ctx = ctx
        self.family_id = family_id
        self.child_id = child_id
        self.child_name = child_name
        self.days = days
        self.chosen = set(chosen)
        self.policy = policy

    def compose(self) -> ComposeResult:
        with Vertical(id="justify-box"):
            yield Static(f"Justifier une absence — {self.child_name}", id="justify-title")
            if self.policy:
                yield Static(self.policy, id="justify-policy")
            yield SelectionList[date](*((day_label(d), d.day, d.day in self.chosen) for d in self.days),
                                      id="justify-days")
            with Horizontal(classes="justify-row"):
                yield Label("Motif :")
                yield Select([(label, key) for key, label in REASON_LABELS.items()], value="certificat",
                             allow_blank=False, id="justify-reason")
                yield Label("Reçu le :")
                yield Input(format_date_short(self.ctx.clock.today()), id="justify-received", max_length=10)
            with Horizontal(classes="justify-row"):
                yield Label("Observation :")
                yield Input(placeholder="facultatif", id="justify-note", max_length=300)
                yield Button("Enregistrer", id="justify-record", variant="primary")
            yield Static("Espace : cocher un jour · Tab : champ suivant · Ctrl+O : enregistrer · Échap : fermer",
                         id="justify-message")
        yield KeyBar()

    def on_mount(self) -> None:
        days = self.query_one("#justify-days", SelectionList)
        days.border_title = "Jours réservés passés"
        days.focus()
        if self.chosen:
            for i, d in enumerate(self.days):
                if d.day in self.chosen:
                    days.highlighted = i
                    break

    def _message(self, text: str | Text) -> None:
        self.query_one("#justify-message", Static).update(text)

    @on(Input.Submitted)
    @on(Button.Pressed, "#justify-record")
    def action_record(self) -> None:
        days = list(self.query_one("#justify-days", SelectionList).selected)
        reason = self.query_one("#justify-reason", Select).value
        note = self.query_one("#justify-note", Input).value
        try:
            received = parse_date_fr(self.query_one("#justify-received", Input).value)
        except DateError as exc:
            self._message(Text(f"Reçu le : {exc.message}", style="bold red"))
            self.query_one("#justify-received", Input).focus()
            return
        self._message("Enregistrement…")
        self._record(days, str(reason), received, note)

    @work(thread=True, exclusive=True, group="justify")
    def _record(self, days: list[date], reason: str, received: date, note: str) -> None:
        try:
            result = record_justification(self.ctx, self.family_id, self.child_id, days, reason, received, note)
        except ServiceError as exc:
            self.app.call_from_thread(self._message, Text(exc.message, style="bold red"))
            return
        self.app.call_from_thread(self.dismiss, result)

    def action_close(self) -> None:
        self.dismiss(None)
