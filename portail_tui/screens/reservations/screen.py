"""Réservations tab (R5, R8, R10, B2, B3): what agents do most, with a family on the phone.

Gestion des réservations: pick the child, move in the month calendar with the arrows,
Enter opens the day (Space toggles activities), Échap comes back with the day orange;
T books a "semaine type" over a range, P a holiday period; V shows the recap and
records everything in one transaction; A drops all pending changes; J justifies an
absence of the child on booked days of the month shown (P2).
Suivi des réservations: the family's bookings beyond the next 15 days, filtered by
child and activity, exported (F6 CSV, F7 PDF) or printed (F8).

The screen holds the cart (one per family, kept if the agent looks at another family
and comes back) and never touches the database itself: every read and write is a
service call in a worker thread, so the calendar never freezes.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Input, Label, Select, Static, TabbedContent, TabPane

from portail_tui.domain.money import format_amount
from portail_tui.exports.files import SavedFile, save_for_agent
from portail_tui.screens.delivery import EXPORT_BINDINGS, NO_FAMILY, ExportingTab
from portail_tui.screens.freshness import WatchesFamilyChanges
from portail_tui.screens.justify import JustifyDialog
from portail_tui.screens.reservations.choices import confirm_drop
from portail_tui.screens.reservations.day import DayDialog
from portail_tui.screens.reservations.pattern import PatternDialog
from portail_tui.screens.reservations.period import PeriodDialog
from portail_tui.screens.reservations.recap import RecapDialog
from portail_tui.services.attendance_justify import (
    JustifiableDay,
    JustificationResult,
    justifiable_days,
    justification_policy,
)
from portail_tui.services.booking import (
    Cart,
    CartResult,
    ChildChoice,
    DayOptions,
    MonthView,
    PeriodOption,
    SuiviResult,
    booking_children,
    day_activities,
    day_options,
    default_pattern_range,
    month_view,
    period_options,
    suivi,
    suivi_file,
)
from portail_tui.services.context import ServiceError
from portail_tui.services.families import FamilySummary, family_summary
from portail_tui.services.family_changes import family_change_seq
from portail_tui.widgets.month_calendar import MonthCalendar
from portail_tui.widgets.sections import Sections

GESTION = "gestion"
SUIVI = "suivi"
GESTION_ACTIONS = {"recap", "drop_all", "pattern", "periods", "next_child", "justify"}
SUIVI_ACTIONS = {"export", "print_export"}


class ReservationsScreen(WatchesFamilyChanges, ExportingTab):
    TAB_ID = "reservations"
    STATUS_ID = "#resa-status"
    EXPORT_TITLE = "Suivi des réservations"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("v", "recap", "Valider"),
        Binding("a", "drop_all", "Annuler"),
        Binding("t", "pattern", "Semaine type"),
        Binding("p", "periods", "Vacances"),
        Binding("e", "next_child", "Enfant suivant"),
        Binding("j", "justify", "Justifier absence"),
        Binding("f9", "switch_section", "Gestion/Suivi"),
        *EXPORT_BINDINGS,
    ]

    CSS_PATH = "screen.tcss"

    def __init__(self) -> None:
        super().__init__()
        self.carts: dict[int, Cart] = {}
        self.kids: list[ChildChoice] = []
        self.child_id: int | None = None
        self.view: MonthView | None = None
        self.suivi_result: SuiviResult | None = None
        self.last_result: CartResult | None = None
        self.summary: FamilySummary | None = None
        self._day_dialog: DayDialog | None = None  # one for every day opened (DayDialog.show_day)

    # --- layout ------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        yield Static("", id="resa-family")
        with Sections(id="resa-sections", initial=GESTION):
            with TabPane("Gestion des réservations", id=GESTION):
                with Horizontal(classes="resa-controls"):
                    yield Label("Enfant :")
                    yield Select([], prompt="—", id="resa-child")
                    yield Static("", id="resa-cart")
                yield MonthCalendar(self.ctx.clock.today(), id="resa-calendar", hold_while_loading=True)
            with TabPane("Suivi des réservations", id=SUIVI):
                with Horizontal(classes="resa-controls"):
                    yield Label("Enfant :")
                    yield Select([], prompt="Tous les enfants", id="suivi-child")
                    yield Label(" Activité :")
                    yield Input(placeholder="ex. APS, restaurant…", id="suivi-activity", max_length=80)
                yield DataTable(id="suivi-table", zebra_stripes=True, cursor_type="row")
                yield Static("", id="suivi-total")
        yield Static("", id="resa-status")

    def on_mount(self) -> None:
        self.query_one("#suivi-table", DataTable).add_columns(
            "Date", "Enfant", "Activité", "Horaires", "Statut", "Tarif")

    # --- state helpers -----------------------------------------------------------------

    @property
    def calendar(self) -> MonthCalendar:
        return self.query_one("#resa-calendar", MonthCalendar)

    @property
    def section(self) -> str:
        return self.query_one("#resa-sections", TabbedContent).active or GESTION

    @property
    def cart(self) -> Cart | None:
        if self.family_id is None:
            return None
        return self.carts.setdefault(self.family_id, Cart(self.family_id))

    def child_name(self) -> str:
        for c in self.kids:
            if c.id == self.child_id:
                return c.first_name
        return ""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in GESTION_ACTIONS:
            return self.section == GESTION and self.family_id is not None
        if action in SUIVI_ACTIONS:
            return self.section == SUIVI and self.family_id is not None
        return True

    def _show_cart(self) -> None:
        cart = self.cart
        self.query_one("#resa-cart", Static).update(cart.summary() if cart else "")

    # --- family and child --------------------------------------------------------------

    def load_family(self, family_id: int | None) -> None:
        pending = [f for f, cart in self.carts.items() if cart and f != family_id]
        if pending:
            self.notify("Des demandes non validées restent en cours pour une autre famille :"
                        " elles sont conservées jusqu'à votre retour sur cette famille.",
                        title="Réservations", severity="warning", timeout=6)
        self.kids = []
        self.child_id = None
        self.view = None
        self.summary = None
        self.suivi_result = None
        self.calendar.clear_cells()
        self.query_one("#suivi-table", DataTable).clear()
        self.query_one("#suivi-total", Static).update("")
        for sel_id in ("#resa-child", "#suivi-child"):
            sel = self.query_one(sel_id, Select)
            with sel.prevent(Select.Changed):
                sel.set_options([])
        self._status("")
        self.refresh_bindings()
        # No family, no calendar: its empty days would read « chargement… » forever.
        self.calendar.display = family_id is not None
        if family_id is None:
            self.query_one("#resa-family", Static).update(NO_FAMILY)
            self.query_one("#resa-cart", Static).update("")
            self.calendar.caption = ""
            return
        self._show_cart()
        self._load_family(family_id, self.calendar.year, self.calendar.month)

    @work(thread=True, exclusive=True, group="resa-family")
    def _load_family(self, family_id: int, year: int, month: int) -> None:
        try:
            summary = family_summary(self.ctx, family_id)
            children = booking_children(self.ctx, family_id)
            view = None
            if children:
                cart = self.carts.get(family_id)
                pending = cart.pending_days(children[0].id) if cart else frozenset()
                view = month_view(self.ctx, family_id, children[0].id, year, month, pending)
        except ServiceError as exc:
            self.app.call_from_thread(self._status, exc.message, error=True)
            return
        self.app.call_from_thread(self._family_loaded, family_id, summary, children, view)

    def _family_line(self) -> Text:
        """The family, its quotient, and a warning when the quotient has ended or ends within
        30 days, or before the end of the month on screen (its days cost the full tariff)."""
        summary = self.summary
        if summary is None:
            return Text("")
        line = Text(f"Famille {summary.name} — n° {summary.number_text}")
        if summary.quotient is not None:
            line.append(f" — quotient familial {summary.quotient}")
        cal = self.calendar
        month_end = date(cal.year + (cal.month == 12), cal.month % 12 + 1, 1) - timedelta(days=1)
        notice = summary.quotient_notice(self.ctx.clock.today(), until=month_end)
        if notice:
            line.append(f"\n⚠ {notice}", style="bold")
        return line

    def _quotient_notice(self, days: list[date]) -> str | None:
        return self.summary.quotient_day_notice(days) if self.summary else None

    def _family_loaded(self, family_id: int, summary: FamilySummary, children: list[ChildChoice],
                       view: MonthView | None) -> None:
        if family_id != self.family_id:
            return
        self.summary = summary
        self.query_one("#resa-family", Static).update(self._family_line())
        self.kids = children
        options = [(f"{c.first_name} {c.last_name}", c.id) for c in children]
        for sel_id in ("#resa-child", "#suivi-child"):
            sel = self.query_one(sel_id, Select)
            with sel.prevent(Select.Changed):
                sel.set_options(options)
        if not children:
            self._status("Aucun enfant rattaché à cette famille : rien à réserver.", error=True)
            return
        self.child_id = children[0].id
        sel = self.query_one("#resa-child", Select)
        with sel.prevent(Select.Changed):
            sel.value = self.child_id
        if view is not None:
            self._show_month(view)
        self.refresh_bindings()
        if self.section == GESTION:
            self.calendar.focus()
        else:
            self._reload_suivi()

    @on(Select.Changed, "#resa-child")
    def _child_selected(self, event: Select.Changed) -> None:
        if isinstance(event.value, int) and event.value != self.child_id:
            self.child_id = event.value
            self.reload_month()

    def action_next_child(self) -> None:
        if len(self.kids) < 2:
            return
        ids = [c.id for c in self.kids]
        nxt = ids[(ids.index(self.child_id) + 1) % len(ids)] if self.child_id in ids else ids[0]
        self.child_id = nxt
        sel = self.query_one("#resa-child", Select)
        with sel.prevent(Select.Changed):
            sel.value = nxt
        self.reload_month()
        self.calendar.focus()

    # --- month -------------------------------------------------------------------------

    def reload_month(self) -> None:
        if self.family_id is None or self.child_id is None:
            self.calendar.let_frames_go()  # nothing to load: the grid as it is
            return
        cart = self.cart
        pending = cart.pending_days(self.child_id) if cart else frozenset()
        self._load_month(self.family_id, self.child_id, self.calendar.year, self.calendar.month, pending)

    @work(thread=True, exclusive=True, group="resa-month")
    def _load_month(self, family_id: int, child_id: int, year: int, month: int,
                    pending: frozenset[date]) -> None:
        try:
            seq = family_change_seq(self.ctx, family_id)  # before the data: no change slips between
            view = month_view(self.ctx, family_id, child_id, year, month, pending)
        except ServiceError as exc:
            self.app.call_from_thread(self._month_failed, exc.message)
            return
        self.app.call_from_thread(self._show_month, view, family_id, seq)

    def _month_failed(self, message: str) -> None:
        self.calendar.let_frames_go()
        self._status(message, error=True)

    def family_data_changed(self) -> None:
        """Another agent booked or cancelled for this family: the month's states again;
        the cart being prepared here stays as it is."""
        self.reload_month()

    def _show_month(self, view: MonthView, family_id: int | None = None, seq: int | None = None) -> None:
        if view.child_id != self.child_id:
            return
        if family_id is not None and seq is not None and family_id == self.family_id:
            self.note_family_seq(family_id, seq)
        self.view = view
        self.calendar.caption = f"Enfant : {self.child_name()} · Entrée : ouvrir le jour · T : semaine type" \
                                " · P : vacances · V : valider"
        self.calendar.show_cells(view.year, view.month, view.weeks)
        self.query_one("#resa-family", Static).update(self._family_line())
        self._show_cart()

    @on(MonthCalendar.MonthChanged)
    def _month_changed(self, event: MonthCalendar.MonthChanged) -> None:
        self.reload_month()

    # --- day dialog --------------------------------------------------------------------

    @on(MonthCalendar.DayChosen)
    def _day_chosen(self, event: MonthCalendar.DayChosen) -> None:
        if self.family_id is None or self.child_id is None:
            self._status("Choisissez d'abord une famille (Ctrl+F).", error=True)
            return
        self._open_day(self.family_id, self.child_id, event.day)

    @work(thread=True, exclusive=True, group="resa-day")
    def _open_day(self, family_id: int, child_id: int, day: date) -> None:
        try:
            options = day_options(self.ctx, family_id, child_id, day)
        except ServiceError as exc:
            self.app.call_from_thread(self._status, exc.message, error=True)
            return
        self.app.call_from_thread(self._push_day, options)

    def _push_day(self, options: DayOptions) -> None:
        cart = self.cart
        if cart is None or options.family_id != self.family_id:
            return
        if options.by_period:
            # A holiday day: the leisure centre is booked by period (R3), open that list.
            self._status("Vacances scolaires : le centre de loisirs se réserve par période.")
            self.action_periods()
            return
        notice = self._quotient_notice([options.day])
        dialog = self._day_dialog
        if dialog is None:
            dialog = self._keep_day_dialog(DayDialog(options, cart, notice))
        elif dialog.is_mounted:
            dialog.show_day(options, cart, notice)
        else:  # still being built in the background: this day once it is mounted
            dialog.options, dialog.cart, dialog.quotient_notice = options, cart, notice
            dialog.call_later(dialog.show_day, options, cart, notice)
        self.app.push_screen(dialog, self._after_dialog)

    def dialogs_to_prepare(self) -> list[Screen[Any]]:
        """The day dialog, built with the tab (empty: `show_day` fills it at the first day)."""
        dialog = self._day_dialog
        if dialog is None:
            blank = DayOptions(family_id=0, child_id=0, child_name="", day=self.ctx.clock.today(), when="",
                               options=())
            dialog = self._keep_day_dialog(DayDialog(blank, Cart(family_id=0)))
        return [dialog]

    def _keep_day_dialog(self, dialog: DayDialog) -> DayDialog:
        """The one day dialog of this tab, installed in the app: kept when closed."""
        self._day_dialog = dialog
        self.app.install_screen(dialog, f"reservations-day-{id(self)}")
        return dialog

    def _after_dialog(self, then: object = None) -> None:
        self._show_cart()
        self.reload_month()
        self.calendar.focus()
        if then == "validate":
            self.action_recap()

    # --- recap, annuler ----------------------------------------------------------------

    def action_recap(self) -> None:
        cart = self.cart
        if cart is None:
            return
        if not cart:
            self._status("Aucune demande en cours : ouvrez un jour (Entrée) pour réserver.")
            return
        self.app.push_screen(RecapDialog(self.ctx, cart, self._quotient_notice), self._after_recap)

    def _after_recap(self, result: CartResult | None) -> None:
        if result is not None:
            self.last_result = result
            self._status(Text(result.summary, style="bold"))
            self.notify(result.summary, title="Réservations", timeout=6)
            self.portail.refresh_header()
            self.suivi_result = None
        self._after_dialog()

    def action_drop_all(self) -> None:
        cart = self.cart
        if not cart:
            self._status("Aucune demande en cours.")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                cart.clear()
                self._status("Toutes les demandes en cours sont annulées.")
                self._after_dialog()

        confirm_drop(self.app, cart, answered)

    # --- pattern and periods -----------------------------------------------------------

    def action_pattern(self) -> None:
        if self.family_id is None or self.child_id is None:
            return
        self._open_pattern(self.family_id, self.child_id)

    @work(thread=True, exclusive=True, group="resa-pattern")
    def _open_pattern(self, family_id: int, child_id: int) -> None:
        try:
            activities = day_activities(self.ctx, family_id)
            start, end = default_pattern_range(self.ctx)
        except ServiceError as exc:
            self.app.call_from_thread(self._status, exc.message, error=True)
            return
        self.app.call_from_thread(self._push_pattern, family_id, child_id, activities, start, end)

    def _push_pattern(self, family_id: int, child_id: int, activities, start: date, end: date) -> None:  # type: ignore[no-untyped-def]
        cart = self.cart
        if cart is None or family_id != self.family_id:
            return
        self.app.push_screen(PatternDialog(self.ctx, cart, child_id, self.child_name(), activities, start, end),
                             lambda _: self._after_dialog())

    def action_periods(self) -> None:
        if self.family_id is None or self.child_id is None:
            return
        self._open_periods(self.family_id, self.child_id)

    @work(thread=True, exclusive=True, group="resa-periods")
    def _open_periods(self, family_id: int, child_id: int) -> None:
        try:
            options = period_options(self.ctx, family_id, child_id)
        except ServiceError as exc:
            self.app.call_from_thread(self._status, exc.message, error=True)
            return
        self.app.call_from_thread(self._push_periods, family_id, child_id, options)

    def _push_periods(self, family_id: int, child_id: int, options: list[PeriodOption]) -> None:
        cart = self.cart
        if cart is None or family_id != self.family_id:
            return
        self.app.push_screen(PeriodDialog(cart, child_id, self.child_name(), options), self._after_dialog)

    # --- justified absence (P2) ---------------------------------------------------------

    def action_justify(self) -> None:
        if self.family_id is None or self.child_id is None:
            return
        first = date(self.calendar.year, self.calendar.month, 1)
        last = (first + timedelta(days=31)).replace(day=1) - timedelta(days=1)
        self._open_justify(self.family_id, self.child_id, first, last)

    @work(thread=True, exclusive=True, group="resa-justify")
    def _open_justify(self, family_id: int, child_id: int, first: date, last: date) -> None:
        try:
            days = justifiable_days(self.ctx, family_id, child_id, first, last)
            policy = justification_policy(self.ctx)
        except ServiceError as exc:
            self.app.call_from_thread(self._status, exc.message, error=True)
            return
        self.app.call_from_thread(self._push_justify, family_id, child_id, days, policy)

    def _push_justify(self, family_id: int, child_id: int, days: list[JustifiableDay], policy: str) -> None:
        if family_id != self.family_id or child_id != self.child_id:
            return
        if not days:
            self._status(f"Aucun jour réservé passé à justifier pour {self.child_name()} ce mois-ci.")
            return
        self.app.push_screen(JustifyDialog(self.ctx, family_id, child_id, self.child_name(), days, policy=policy),
                             self._after_justify)

    def _after_justify(self, result: JustificationResult | None) -> None:
        if result is not None:
            self._status(Text(result.message, style="bold"))
            self.notify(result.message, title="Réservations", timeout=6)
            self.portail.refresh_header()
        self._after_dialog()

    # --- suivi -------------------------------------------------------------------------

    def action_switch_section(self) -> None:
        sections = self.query_one("#resa-sections", TabbedContent)
        if sections.active == GESTION:
            self.show_section(sections, SUIVI, self.query_one("#suivi-table", DataTable))
        else:
            self.show_section(sections, GESTION, self.calendar)

    @on(TabbedContent.TabActivated, "#resa-sections")
    def _section_changed(self, event: TabbedContent.TabActivated) -> None:
        self.refresh_bindings()
        if self.section == SUIVI:
            self._reload_suivi()
            self.query_one("#suivi-table", DataTable).focus()
        else:
            self.calendar.focus()

    def _suivi_filters(self) -> tuple[int | None, str]:
        value = self.query_one("#suivi-child", Select).value
        return (value if isinstance(value, int) else None), self.query_one("#suivi-activity", Input).value

    def _reload_suivi(self) -> None:
        if self.family_id is None:
            return
        child_id, activity = self._suivi_filters()
        self._load_suivi(self.family_id, child_id, activity)

    @on(Select.Changed, "#suivi-child")
    @on(Input.Changed, "#suivi-activity")
    def _suivi_filter_changed(self) -> None:
        self._reload_suivi()

    @work(thread=True, exclusive=True, group="resa-suivi")
    def _load_suivi(self, family_id: int, child_id: int | None, activity: str) -> None:
        try:
            result = suivi(self.ctx, family_id, child_id=child_id, activity_text=activity)
        except ServiceError as exc:
            self.app.call_from_thread(self._status, exc.message, error=True)
            return
        self.app.call_from_thread(self._show_suivi, result)

    def _show_suivi(self, result: SuiviResult) -> None:
        if result.family_id != self.family_id:
            return
        self.suivi_result = result
        table = self.query_one("#suivi-table", DataTable)
        table.clear()
        for line in result.lines:
            style = "italic #e67e22" if line.status == "waiting" else ""
            table.add_row(line.when, line.child_name, line.activity_label, line.hours,
                          Text(line.status_text, style=style),
                          Text(format_amount(line.price_cents), justify="right", style=style))
        total = Text()
        total.append(result.period_label + "\n", style="dim")
        if result.lines:
            total.append(f"{len(result.lines)} réservation(s) — total des réservations confirmées : "
                         f"{format_amount(result.total_cents)}", style="bold")
        else:
            total.append("Aucune réservation au-delà des 15 prochains jours.", style="italic")
        total.append("\nF6 : exporter en CSV · F7 : exporter en PDF · F8 : imprimer · F9 : gestion", style="dim")
        self.query_one("#suivi-total", Static).update(total)

    def start_export(self, family_id: int, fmt: str, to_printer: bool) -> None:
        child_id, activity = self._suivi_filters()
        self._export(family_id, child_id, activity, fmt, to_printer)

    @work(thread=True, exclusive=True, group="resa-export")
    def _export(self, family_id: int, child_id: int | None, activity: str, fmt: str, to_printer: bool) -> None:
        ctx = self.ctx

        def produce() -> SavedFile:
            out = suivi_file(suivi(ctx, family_id, child_id=child_id, activity_text=activity), fmt)
            return save_for_agent(ctx.settings, out.filename, out.data,
                                  print_title=out.report.title if to_printer else None)

        self.deliver(produce)
