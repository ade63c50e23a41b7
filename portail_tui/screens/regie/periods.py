"""Périodes of the Régie mode: the holiday periods, a new one, and the booking window
or capacity of the one selected (R3, G5)."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, Label, Select, Static

from portail_tui.domain.frdates import format_date_short
from portail_tui.screens.regie.section import InputError, Section, read_capacity, read_date
from portail_tui.services import regie_admin
from portail_tui.services.regie_admin.capacities import capacity_text


class PeriodsSection(Section):
    MESSAGE_ID = "per-msg"
    FIELDS: ClassVar[dict[str, str]] = {
        "libelle": "per-label", "premier_jour": "per-first", "dernier_jour": "per-last",
        "ouverture": "per-opens", "fermeture": "per-closes", "capacite": "per-capacity",
        "sel_ouverture": "sel-opens", "sel_fermeture": "sel-closes", "sel_capacite": "sel-capacity",
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f7", "add", "Ajouter la période"),
        Binding("f8", "save", "Enregistrer la période choisie"),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.periods: list[regie_admin.PeriodInfo] = []
        self.activity_options: list[tuple[str, int]] = []
        self.note = ""
        self.saving = False  # F8 (the chosen period) rather than F7 (a new one)

    def compose(self) -> ComposeResult:
        table: DataTable[Any] = DataTable(id="per-table", cursor_type="row", zebra_stripes=True)
        table.add_columns("Période", "Activité", "Du", "Au", "Réservation", "Capacité", "Réservées", "En attente")
        yield table
        yield Static("Période choisie", classes="section-title")
        with Horizontal(classes="regie-controls"):
            yield Label("Réservation du")
            yield Input(placeholder="JJ/MM/AAAA", id="sel-opens", max_length=10)
            yield Label(" au")
            yield Input(placeholder="JJ/MM/AAAA", id="sel-closes", max_length=10)
            yield Label(" Capacité")
            yield Input(placeholder="illimitée", id="sel-capacity", max_length=12)
        yield Static("Nouvelle période", classes="section-title")
        with Horizontal(classes="regie-controls"):
            yield Select([], prompt="Activité", id="per-activity")
            yield Input(placeholder="Libellé (Vacances d'hiver 2027)", id="per-label", max_length=120)
            yield Input(placeholder="Du JJ/MM/AAAA", id="per-first", max_length=10)
            yield Input(placeholder="Au JJ/MM/AAAA", id="per-last", max_length=10)
        with Horizontal(classes="regie-controls"):
            yield Label("Réservation du")
            yield Input(placeholder="JJ/MM/AAAA", id="per-opens", max_length=10)
            yield Label(" au")
            yield Input(placeholder="JJ/MM/AAAA", id="per-closes", max_length=10)
            yield Label(" Capacité")
            yield Input(placeholder="celle de l'activité", id="per-capacity", max_length=12)
        yield Static("", id="per-msg", classes="regie-msg")

    def load(self) -> None:
        self.call(lambda: (regie_admin.list_activities(self.ctx), regie_admin.list_periods(self.ctx)),
                  self._loaded)

    def _loaded(self, loaded: tuple[list[regie_admin.ActivityInfo], list[regie_admin.PeriodInfo]]) -> None:
        activities, periods = loaded
        select = self.query_one("#per-activity", Select)
        options = [(f"{a.code} — {a.label}", a.id) for a in activities if a.by_period]
        if options != self.activity_options:
            self.activity_options = options
            select.set_options(options)
            if len(options) == 1:
                select.value = options[0][1]
        self.periods = periods
        table = self.query_one("#per-table", DataTable)
        row = table.cursor_row
        table.clear()
        for p in periods:
            table.add_row(p.label, p.activity_code, format_date_short(p.first_day), format_date_short(p.last_day),
                          f"{format_date_short(p.booking_opens)} → {format_date_short(p.booking_closes)}",
                          capacity_text(p.capacity), str(p.taken), str(p.waiting) if p.waiting else "",
                          key=str(p.id))
        if periods:
            table.move_cursor(row=min(row, len(periods) - 1))
        self.say(self.note or f"{len(periods)} périodes. F7 : ajouter la nouvelle période ; "
                              "F8 : enregistrer la période choisie.")
        self.note = ""

    @property
    def selected(self) -> regie_admin.PeriodInfo | None:
        if not self.periods:
            return None
        return self.periods[min(self.query_one("#per-table", DataTable).cursor_row, len(self.periods) - 1)]

    @on(DataTable.RowHighlighted, "#per-table")
    def _highlighted(self) -> None:
        p = self.selected
        if p is None:
            return
        self.query_one("#sel-opens", Input).value = format_date_short(p.booking_opens)
        self.query_one("#sel-closes", Input).value = format_date_short(p.booking_closes)
        self.query_one("#sel-capacity", Input).value = capacity_text(p.capacity)

    def action_save(self) -> None:
        p = self.selected
        if p is None:
            self.say("Aucune période choisie.", error=True)
            return
        self.saving = True
        opens, closes = (self.query_one(f"#{i}", Input).value for i in ("sel-opens", "sel-closes"))
        capacity = self.query_one("#sel-capacity", Input).value

        def save() -> regie_admin.PeriodInfo:
            new_capacity = read_capacity(capacity, "sel_capacite")
            opens_day, closes_day = read_date(opens, "sel_ouverture"), read_date(closes, "sel_fermeture")
            same = new_capacity == p.capacity
            return regie_admin.change_period(self.ctx, p.id, booking_opens=opens_day, booking_closes=closes_day,
                                             capacity=None if same else new_capacity,
                                             unlimited=not same and new_capacity is None)

        self.call(save, lambda info: self._saved(f"{info.label} enregistrée."))

    def failed(self, exc: Any) -> None:
        # The service names the window's fields alike for a new period and the chosen
        # one: point at the chosen one's when the agent was saving it.
        if self.saving and exc.field in ("ouverture", "fermeture", "capacite"):
            exc.field = f"sel_{exc.field}"
        super().failed(exc)

    def action_add(self) -> None:
        self.saving = False
        activity = self.query_one("#per-activity", Select).value
        values = {i: self.query_one(f"#{i}", Input).value for i in
                  ("per-label", "per-first", "per-last", "per-opens", "per-closes", "per-capacity")}

        def add() -> regie_admin.PeriodInfo:
            if not isinstance(activity, int):
                raise InputError("Choisissez l'activité de la période.", field="libelle")
            return regie_admin.add_period(
                self.ctx, activity, values["per-label"], read_date(values["per-first"], "premier_jour"),
                read_date(values["per-last"], "dernier_jour"), read_date(values["per-opens"], "ouverture"),
                read_date(values["per-closes"], "fermeture"),
                read_capacity(values["per-capacity"], "capacite", empty_is_none=True))

        def added(info: regie_admin.PeriodInfo) -> None:
            for i in values:
                self.query_one(f"#{i}", Input).value = ""
            self._saved(f"Période ajoutée : {info.label}.")

        self.call(add, added)

    def _saved(self, note: str) -> None:
        self.note = note
        self.load()
