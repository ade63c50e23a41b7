"""Historiques tab (R9): the family's règlements and consommations of a month.

The month selector offers the current month and the two before it. F9 to the
consumptions puts the cursor in the activity filter: F2, F9, « aps », F7 is the month's
APS statement. Consumptions can be
narrowed to one child and to an activity text ("APS" keeps APS MATIN, SOIR and
FORFAIT); Exporter (CSV, PDF) and Imprimer produce the statement of exactly what is
shown, through the same service calls as `portail export`, so the files are the same.
J on a consumption justifies that day's absence (P2); the line then reads « absence
justifiée — non facturée » at 0,00 € when the régie waives it.
Loading and exporting run in workers: the agent keeps typing while they work.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import DataTable, Input, Label, Select, Static, TabbedContent, TabPane

from portail_tui.domain.attendance import STATE_LABELS
from portail_tui.domain.frdates import capitalize_first, format_date_short, format_datetime_short
from portail_tui.domain.money import format_amount
from portail_tui.exports.files import SavedFile, save_for_agent
from portail_tui.screens.delivery import EXPORT_BINDINGS, NO_FAMILY, ExportingTab
from portail_tui.screens.freshness import WatchesFamilyChanges
from portail_tui.screens.justify import JustifyDialog
from portail_tui.services import history as h
from portail_tui.services.attendance_justify import (
    JustifiableDay,
    JustificationResult,
    justifiable_days,
    justification_policy,
)
from portail_tui.services.context import ServiceError
from portail_tui.services.family_changes import family_change_seq
from portail_tui.widgets.sections import Sections

PAYMENTS = "reglements"
CONSUMPTIONS = "consommations"

# The attendance filter (P1): « réservé » is a day nobody marked.
STATE_FILTERS = [(key, capitalize_first(label)) for key, label in STATE_LABELS.items()]
STATE_STYLES = {h.CONSUMED: "", h.UPCOMING: "italic #1f6fb2", h.CANCELLED: "dim strike",
                "absent": "#b3261e", "absence justifiée — non facturée": "italic #2e7d32"}


class HistoriquesScreen(WatchesFamilyChanges, ExportingTab):
    TAB_ID = "historiques"
    STATUS_ID = "#hist-status"
    EXPORT_TITLE = "Historiques"

    BINDINGS: ClassVar[list[BindingType]] = [
        *EXPORT_BINDINGS,
        Binding("f9", "switch_section", "Règlements/Consommations"),
        Binding("j", "justify", "Justifier absence"),
    ]

    CSS_PATH = "screen.tcss"

    # The filters: each change reloads the lists (in a worker).
    month: reactive[h.Month | None] = reactive(None, init=False)
    child_id: reactive[int | None] = reactive(None, init=False)
    activity: reactive[str] = reactive("", init=False)
    attendance: reactive[str] = reactive("", init=False)

    def __init__(self) -> None:
        super().__init__()
        self.payments: h.PaymentHistory | None = None
        self.consumptions: h.ConsumptionHistory | None = None
        self._children_of: int | None = None
        self._child_options: list[tuple[str, int]] | None = None

    # --- layout ------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        months = h.history_months(self.ctx.clock.today())
        self.set_reactive(HistoriquesScreen.month, months[0])
        yield Static("", id="hist-family")
        with Horizontal(classes="hist-controls"):
            yield Label("Mois :")
            yield Select([(capitalize_first(m.label), m.key) for m in months], value=months[0].key,
                         allow_blank=False, id="hist-month")
        with Sections(id="hist-sections", initial=PAYMENTS):
            with TabPane("Historique règlements", id=PAYMENTS):
                yield DataTable(id="payments-table", zebra_stripes=True, cursor_type="row")
                yield Static("", id="payments-total", classes="hist-total")
            with TabPane("Historique consommations", id=CONSUMPTIONS):
                with Horizontal(classes="hist-controls"):
                    yield Label("Enfant :")
                    yield Select([], prompt="Tous les enfants", id="hist-child")
                    yield Label(" Activité :")
                    yield Input(placeholder="ex. APS, restaurant…", id="hist-activity", max_length=80)
                    yield Label(" État :")
                    yield Select([(label, key) for key, label in STATE_FILTERS], prompt="Tous les états",
                                 id="hist-state")
                yield DataTable(id="consumptions-table", zebra_stripes=True, cursor_type="row")
                yield Static("", id="consumptions-totals", classes="hist-total")
        yield Static("", id="hist-status")

    def on_mount(self) -> None:
        self.query_one("#payments-table", DataTable).add_columns(
            "Quittance", "Date", "Opération", "Mode", "Observation", "Montant")
        self.query_one("#consumptions-table", DataTable).add_columns(
            "Date", "Enfant", "Activité", "État", "Prix")

    # --- what is selected --------------------------------------------------------------

    @property
    def section(self) -> str:
        return self.query_one("#hist-sections", TabbedContent).active or PAYMENTS

    # --- loading -----------------------------------------------------------------------

    def load_family(self, family_id: int | None) -> None:
        self.payments = None
        self.consumptions = None
        if family_id is None:
            self.query_one("#hist-family", Static).update(NO_FAMILY)
            self._clear_tables()
            return
        if self._children_of != family_id:
            self._children_of = family_id
            self._child_options = None
            child = self.query_one("#hist-child", Select)
            with child.prevent(Select.Changed):
                child.set_options([])
            activity = self.query_one("#hist-activity", Input)
            with activity.prevent(Input.Changed):
                activity.value = ""
            # Reset without their watchers: the reload below is the only one.
            self.set_reactive(HistoriquesScreen.child_id, None)
            self.set_reactive(HistoriquesScreen.activity, "")
            state = self.query_one("#hist-state", Select)
            with state.prevent(Select.Changed):
                state.clear()
            self.set_reactive(HistoriquesScreen.attendance, "")
        self._status("")
        self.reload()

    def family_data_changed(self) -> None:
        """Another agent booked, cancelled or took a payment: the month again, same filters."""
        self.reload()

    def reload(self) -> None:
        if self.family_id is None or self.month is None:
            return
        self._load(self.family_id, self.month, self.child_id, self.activity, self.attendance)

    @work(thread=True, exclusive=True, group="historiques-load")
    def _load(self, family_id: int, month: h.Month, child_id: int | None, activity: str, attendance: str) -> None:
        try:
            seq = family_change_seq(self.ctx, family_id)  # before the data: no change slips between
            payments = h.payment_history(self.ctx, family_id, month)
            consumptions = h.consumption_history(self.ctx, family_id, month, child_id=child_id,
                                                 activity_text=activity, attendance=attendance)
        except ServiceError as exc:
            self.app.call_from_thread(self._status, exc.message, error=True)
            return
        self.app.call_from_thread(self._show, payments, consumptions, seq)

    def _show(self, payments: h.PaymentHistory, consumptions: h.ConsumptionHistory, seq: int) -> None:
        if payments.family.id != self.family_id:
            return  # the agent moved on to another family meanwhile
        self.note_family_seq(payments.family.id, seq)
        self.payments, self.consumptions = payments, consumptions
        self.query_one("#hist-family", Static).update(
            f"{payments.family.subtitle} — {capitalize_first(payments.month.label)}")
        self._show_children(consumptions)
        self._show_payments(payments)
        self._show_consumptions(consumptions)

    def _show_children(self, history: h.ConsumptionHistory) -> None:
        child = self.query_one("#hist-child", Select)
        options = [(name, cid) for cid, name in history.children]
        if self._child_options != options:
            self._child_options = options
            current = child.value
            with child.prevent(Select.Changed):
                child.set_options(options)
                if isinstance(current, int) and current in dict(history.children):
                    child.value = current
                else:
                    self.set_reactive(HistoriquesScreen.child_id, None)

    def _show_payments(self, history: h.PaymentHistory) -> None:
        table = self.query_one("#payments-table", DataTable)
        table.clear()
        for ln in history.lines:
            amount = Text(format_amount(ln.amount_cents), justify="right",
                          style="red" if ln.amount_cents < 0 else "")
            table.add_row(str(ln.receipt_number or ""), format_datetime_short(ln.at), ln.kind_label, ln.mode_text,
                          Text(ln.observation, style="italic" if ln.mark else ""), amount)
        count = len(history.lines)
        if count:
            text = (f"Total du mois : {format_amount(history.total_cents)} "
                    f"({count} opération{'s' if count > 1 else ''})")
        else:
            text = f"Aucun règlement en {history.month.label}."
        self.query_one("#payments-total", Static).update(text)

    def _show_consumptions(self, history: h.ConsumptionHistory) -> None:
        table = self.query_one("#consumptions-table", DataTable)
        table.clear()
        for ln in history.lines:
            style = STATE_STYLES.get(ln.state, "")
            shown = ln.shown_price
            price = "—" if shown is None else format_amount(shown)
            table.add_row(format_date_short(ln.day), ln.child_name, ln.label, Text(ln.state, style=style),
                          Text(price, justify="right", style=style))
        totals = Text()
        if not history.lines:
            what = f" ({history.filter.describe()})" if history.filter.active else ""
            totals.append(f"Aucune consommation en {history.month.label}{what}.", style="italic")
        else:
            for t in history.totals:
                totals.append(f"{t.label} ({t.count}) : {format_amount(t.total_cents)}\n")
            totals.append(f"Total des consommations : {format_amount(history.total_cents)}", style="bold")
            if history.upcoming_cents:
                totals.append(f"  (dont à venir : {format_amount(history.upcoming_cents)})", style="dim")
        self.query_one("#consumptions-totals", Static).update(totals)

    def _clear_tables(self) -> None:
        self.query_one("#payments-table", DataTable).clear()
        self.query_one("#consumptions-table", DataTable).clear()
        self.query_one("#payments-total", Static).update("")
        self.query_one("#consumptions-totals", Static).update("")

    # --- filters -----------------------------------------------------------------------

    @on(Select.Changed, "#hist-month")
    def _month_changed(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            year, month = event.value.split("-")
            self.month = h.Month(int(year), int(month))

    @on(Select.Changed, "#hist-child")
    def _child_changed(self, event: Select.Changed) -> None:
        self.child_id = event.value if isinstance(event.value, int) else None

    @on(Select.Changed, "#hist-state")
    def _state_changed(self, event: Select.Changed) -> None:
        self.attendance = event.value if isinstance(event.value, str) else ""

    @on(Input.Changed, "#hist-activity")
    def _activity_changed(self, event: Input.Changed) -> None:
        self.activity = event.value

    def watch_month(self) -> None:
        self.reload()

    def watch_child_id(self) -> None:
        self.reload()

    def watch_activity(self) -> None:
        self.reload()

    def watch_attendance(self) -> None:
        self.reload()

    # --- actions -----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "justify":
            return self.family_id is not None and self.section == CONSUMPTIONS
        return super().check_action(action, parameters)

    def action_justify(self) -> None:
        history, table = self.consumptions, self.query_one("#consumptions-table", DataTable)
        if self.family_id is None or history is None or not history.lines:
            self._status("Choisissez d'abord une consommation (flèches dans la liste).", error=True)
            return
        line = history.lines[min(max(table.cursor_row, 0), len(history.lines) - 1)]
        if line.state in (h.CANCELLED, h.UPCOMING) or line.period_label:
            self._status("Seul un jour réservé passé peut être justifié.", error=True)
            return
        self._open_justify(self.family_id, line.child_id, line.child_name, line.day, history.month)

    @work(thread=True, exclusive=True, group="historiques-justify")
    def _open_justify(self, family_id: int, child_id: int, child_name: str, day: date, month: h.Month) -> None:
        try:
            days = justifiable_days(self.ctx, family_id, child_id, month.first_day,
                                    month.next_first_day - timedelta(days=1))
            policy = justification_policy(self.ctx)
        except ServiceError as exc:
            self.app.call_from_thread(self._status, exc.message, error=True)
            return
        self.app.call_from_thread(self._push_justify, family_id, child_id, child_name, day, days, policy)

    def _push_justify(self, family_id: int, child_id: int, child_name: str, day: date,
                      days: list[JustifiableDay], policy: str) -> None:
        if family_id != self.family_id:
            return
        if day not in {d.day for d in days}:
            self._status(f"{child_name} est pointé présent ce jour-là : rien à justifier.", error=True)
            return
        self.app.push_screen(JustifyDialog(self.ctx, family_id, child_id, child_name, days, chosen=[day],
                                           policy=policy),
                             self._after_justify)

    def _after_justify(self, result: JustificationResult | None) -> None:
        if result is not None:
            self._status(Text(result.message, style="bold"))
            self.notify(result.message, title="Historiques", timeout=6)
            self.portail.refresh_header()
            self.reload()
        self.query_one("#consumptions-table", DataTable).focus()

    def action_switch_section(self) -> None:
        sections = self.query_one("#hist-sections", TabbedContent)
        if sections.active == PAYMENTS:
            self.show_section(sections, CONSUMPTIONS, self.query_one("#hist-activity", Input))
        else:
            self.show_section(sections, PAYMENTS, self.query_one("#payments-table", DataTable))

    @on(TabbedContent.TabActivated, "#hist-sections")
    def _section_changed(self) -> None:
        """Consumptions are nearly always narrowed to an activity first (« APS » for the
        month's APS statement): the cursor waits in that filter; Entrée goes to the list."""
        if self.section == CONSUMPTIONS:
            self.query_one("#hist-activity", Input).focus()
        else:
            self.query_one("#payments-table", DataTable).focus()

    @on(Input.Submitted, "#hist-activity")
    def _filter_done(self) -> None:
        self.query_one("#consumptions-table", DataTable).focus()

    def start_export(self, family_id: int, fmt: str, to_printer: bool) -> None:
        if self.month is not None:
            self._export(self.section, family_id, self.month, self.child_id, self.activity, self.attendance, fmt,
                         to_printer)

    @work(thread=True, exclusive=True, group="historiques-export")
    def _export(self, section: str, family_id: int, month: h.Month, child_id: int | None, activity: str,
                attendance: str, fmt: str, to_printer: bool) -> None:
        ctx = self.ctx

        def produce() -> SavedFile:
            if section == CONSUMPTIONS:
                hist = h.consumption_history(ctx, family_id, month, child_id=child_id, activity_text=activity,
                                             attendance=attendance)
                if hist.filter.active and not hist.lines:
                    raise ServiceError(f"Rien à exporter : aucune consommation ne correspond au filtre "
                                       f"({hist.filter.describe()}).")
                out = h.consumptions_file(ctx, hist, fmt)
            else:
                out = h.payments_file(ctx, h.payment_history(ctx, family_id, month), fmt)
            return save_for_agent(ctx.settings, out.filename, out.data,
                                  print_title=out.report.title if to_printer else None)

        self.deliver(produce)
