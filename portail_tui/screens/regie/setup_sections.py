"""Activités (read-only) and Capacités (G5) of the Régie mode."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, Label, Select, Static

from portail_tui.domain.frdates import (
    DateError,
    capitalize_first,
    format_date_long,
    format_date_short,
    format_month,
    parse_month,
)
from portail_tui.screens.regie.section import InputError, Section, read_capacity
from portail_tui.services import regie_admin
from portail_tui.services.regie_admin.capacities import capacity_text


class ActivitiesSection(Section):
    """The activities as the set-up file made them: hours, days, deadline, rates."""

    MESSAGE_ID = "act-msg"

    def compose(self) -> ComposeResult:
        yield Static("Paramétrage des activités (modifié par le fichier de paramétrage, lecture seule).",
                     classes="hint")
        table: DataTable[Any] = DataTable(id="act-table", cursor_type="row", zebra_stripes=True)
        table.add_columns("Code", "Activité", "Horaires", "Jours", "Délai de réservation", "Capacité",
                          "Tarifs en vigueur")
        yield table
        yield Static("", id="act-msg", classes="regie-msg")

    def load(self) -> None:
        self.call(lambda: regie_admin.list_activities(self.ctx), self._show)

    def _show(self, activities: list[regie_admin.ActivityInfo]) -> None:
        table = self.query_one("#act-table", DataTable)
        table.clear()
        for a in activities:
            days = "par période" if a.by_period else a.weekdays
            cap = capacity_text(a.capacity) + ("" if a.waiting_list else " (sans liste d'attente)")
            # One line per bracket: the whole price list stays readable at 130 columns.
            table.add_row(a.code, a.label, a.hours, days, a.deadline, cap, "\n".join(a.rates) or "aucun",
                          key=str(a.id), height=max(len(a.rates), 1))
        self.say(f"{len(activities)} activités.")


@dataclass(frozen=True)
class PlacesRow:
    """A line of Capacités: a day of a day activity, or a period of a holiday one."""

    label: str
    capacity: int | None
    taken: int
    waiting: int
    closed: str
    day: date | None = None
    period_id: int | None = None


class CapacitiesSection(Section):
    """One activity, one month: each day's places, booked and waiting (a holiday
    activity: its periods). Lowering under what is booked is refused with the numbers;
    raising gives places to the children waiting (B2)."""

    MESSAGE_ID = "cap-msg"
    FIELDS: ClassVar[dict[str, str]] = {"capacite": "cap-new", "mois": "cap-month", "jour": "cap-new"}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f7", "edit", "Modifier la capacité"),
        Binding("f8", "month(-1)", "Mois précédent"),
        Binding("f10", "month(1)", "Mois suivant"),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.year_month: tuple[int, int] | None = None  # set from the clock when first shown
        self.rows: list[PlacesRow] = []
        self.by_period: set[int] = set()
        self.note = ""  # said once the table shows the change just made

    def compose(self) -> ComposeResult:
        with Horizontal(classes="regie-controls"):
            yield Label("Activité :")
            yield Select([], prompt="Choisir une activité", id="cap-activity")
            yield Label(" Mois :")
            yield Input(placeholder="MM/AAAA", id="cap-month", max_length=7)
        table: DataTable[Any] = DataTable(id="cap-table", cursor_type="row", zebra_stripes=True)
        table.add_columns("Jour ou période", "Capacité", "Réservées", "En attente", "Fermeture")
        yield table
        with Horizontal(classes="regie-controls"):
            yield Label("Nouvelle capacité de la ligne choisie (Entrée) :")
            yield Input(placeholder="nombre ou « illimitée »", id="cap-new", max_length=12)
        yield Static("", id="cap-msg", classes="regie-msg")

    def load(self) -> None:
        if self.year_month is None:
            today = self.ctx.clock.today()
            self.year_month = (today.year, today.month)
            self.query_one("#cap-month", Input).value = f"{today.month:02d}/{today.year}"
        self.call(lambda: regie_admin.list_activities(self.ctx), self._activities)

    def _activities(self, activities: list[regie_admin.ActivityInfo]) -> None:
        select = self.query_one("#cap-activity", Select)
        options = [(f"{a.code} — {a.label}", a.id) for a in activities]
        self.by_period = {a.id for a in activities if a.by_period}
        current = select.value
        with select.prevent(Select.Changed):
            select.set_options(options)
            if options:
                select.value = current if current in {v for _k, v in options} else options[0][1]
        self.reload()

    @property
    def activity_id(self) -> int | None:
        value = self.query_one("#cap-activity", Select).value
        return value if isinstance(value, int) else None

    def reload(self) -> None:
        activity_id, ym = self.activity_id, self.year_month
        if activity_id is None or ym is None:
            return
        if activity_id in self.by_period:
            self.call(lambda: [PlacesRow(f"{p.label} ({format_date_short(p.first_day)} – "
                                         f"{format_date_short(p.last_day)})", p.capacity, p.taken, p.waiting, "",
                                         period_id=p.id)
                               for p in regie_admin.list_periods(self.ctx) if p.activity_id == activity_id],
                      self._show)
            return
        self.call(lambda: [PlacesRow(capitalize_first(format_date_long(d.day)), d.capacity, d.taken, d.waiting,
                                     d.closed or "", day=d.day)
                           for d in regie_admin.month_capacities(self.ctx, activity_id, *ym)], self._show)

    def _show(self, rows: list[PlacesRow]) -> None:
        self.rows = rows
        table = self.query_one("#cap-table", DataTable)
        row = table.cursor_row
        table.clear()
        for r in rows:
            full = r.capacity is not None and r.taken >= r.capacity
            table.add_row(r.label, Text(capacity_text(r.capacity), style="bold red" if full else ""),
                          str(r.taken), str(r.waiting) if r.waiting else "", r.closed)
        if rows:
            table.move_cursor(row=min(row, len(rows) - 1))
        if self.note:
            self.say(self.note)
            self.note = ""
        elif self.activity_id in self.by_period:
            self.say(f"{len(rows)} périodes (Entrée sur une période : changer sa capacité).")
        elif self.year_month is not None:
            self.say(f"{capitalize_first(format_month(*self.year_month))} : {len(rows)} jours d'activité "
                     "(Entrée sur un jour : changer sa capacité).")

    @on(Select.Changed, "#cap-activity")
    def _activity_changed(self) -> None:
        self.reload()

    @on(Input.Submitted, "#cap-month")
    def _month_typed(self, event: Input.Submitted) -> None:
        try:
            self.year_month = parse_month(event.value)
        except DateError as exc:
            self.failed(InputError(str(exc), field="mois"))
            return
        self.clear_errors()
        self.reload()

    def action_month(self, step: int) -> None:
        if self.year_month is None:
            return
        y, m = self.year_month
        m += step
        y, m = (y - 1, 12) if m == 0 else (y + 1, 1) if m == 13 else (y, m)
        self.year_month = (y, m)
        self.query_one("#cap-month", Input).value = f"{m:02d}/{y}"
        self.reload()

    def action_edit(self) -> None:
        self.query_one("#cap-new", Input).focus()

    @on(DataTable.RowSelected, "#cap-table")
    def _day_chosen(self) -> None:
        self.action_edit()

    @on(Input.Submitted, "#cap-new")
    def _capacity_typed(self, event: Input.Submitted) -> None:
        table = self.query_one("#cap-table", DataTable)
        activity_id = self.activity_id
        if not self.rows or activity_id is None:
            self.say("Choisissez d'abord une activité et un jour.", error=True)
            return
        chosen = self.rows[min(table.cursor_row, len(self.rows) - 1)]
        text = event.value

        def change() -> regie_admin.CapacityChange:
            return regie_admin.set_capacity(self.ctx, activity_id, read_capacity(text, "capacite"), day=chosen.day,
                                            period_id=chosen.period_id)

        def done(change: regie_admin.CapacityChange) -> None:
            promoted = (f" ; {change.promoted} enfant{'s' if change.promoted > 1 else ''} "
                        "de la liste d'attente inscrit(s), familles prévenues") if change.promoted else ""
            event.input.value = ""
            self.note = (f"{chosen.label} : capacité {capacity_text(change.before)} → "
                         f"{capacity_text(change.after)}{promoted}.")
            self.reload()
            table.focus()

        self.call(change, done)
