"""Journal de caisse and arrêté de caisse (B4): the entries of a day, totals by mode,
the cheques to deposit, cash expected against cash counted, and the closing signed by
the régisseur. Export (CSV, PDF) and print give the files `portail export journal`
writes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label, Static

from portail_tui.domain.frdates import DateError, format_date_long, format_date_short, parse_date_fr
from portail_tui.domain.money import AmountError, format_amount, parse_amount
from portail_tui.exports.files import SavedFile, save_for_agent
from portail_tui.exports.journal import entry_remark
from portail_tui.screens.delivery import deliver_from_worker
from portail_tui.services import cashdesk
from portail_tui.services.context import Context, ServiceError
from portail_tui.services.permissions import allowed


class JournalModal(ModalScreen[bool]):
    """Dismisses with True when the day was closed here (the caller refreshes)."""

    BINDINGS = [
        Binding("f6", "export('csv')", "Exporter CSV"),
        Binding("f7", "export('pdf')", "Exporter PDF"),
        Binding("f8", "print_journal", "Imprimer"),
        Binding("f9", "close_day", "Clôturer la journée"),
        Binding("escape", "leave", "Fermer"),
    ]

    CSS_PATH = "journal.tcss"

    def __init__(self, ctx: Context, day: date | None = None) -> None:
        super().__init__()
        self.ctx = ctx
        self.day = day or ctx.clock.today()
        self.journal: cashdesk.DayJournal | None = None
        self.closed_here = False
        self.busy = False
        self.last_export: Path | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="journal-box"):
            yield Static("Journal de caisse", id="journal-title")
            with Horizontal(classes="journal-row"):
                yield Label("Journée du")
                yield Input(value=format_date_short(self.day), id="journal-day", max_length=10)
                yield Static("", id="journal-state")
            table: DataTable[object] = DataTable(id="journal-entries", zebra_stripes=True, cursor_type="row")
            table.add_columns("N°", "Heure", "Famille", "Opération", "Mode", "Montant", "Agent", "Observation")
            yield table
            yield Static("", id="journal-totals")
            with Horizontal(classes="journal-row"):
                yield Label("Espèces comptées")
                yield Input(id="counted", max_length=16, placeholder="ex. 152,50")
                yield Static("", id="journal-difference")
                yield Label("Observation")
                yield Input(id="note", max_length=500, placeholder="raison d'un écart…")
            yield Static("", id="journal-status")
            with Horizontal(id="journal-buttons"):
                yield Button("Clôturer la journée (F9)", id="journal-close", variant="warning",
                             disabled=not allowed(self.ctx.actor, "cash.close"))
                yield Button("CSV (F6)", id="journal-csv")
                yield Button("PDF (F7)", id="journal-pdf")
                yield Button("Imprimer (F8)", id="journal-print")
                yield Button("Fermer (Échap)", id="journal-leave")

    def on_mount(self) -> None:
        self.query_one("#counted", Input).focus()
        self._load(self.day)

    # --- loading ------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="journal-load")
    def _load(self, day: date) -> None:
        try:
            journal = cashdesk.day_journal(self.ctx, day)
        except ServiceError as exc:
            self.app.call_from_thread(self._status, exc.message, True)
            return
        self.app.call_from_thread(self._show, journal)

    def _show(self, journal: cashdesk.DayJournal) -> None:
        self.journal = journal
        self.day = journal.day
        table = self.query_one("#journal-entries", DataTable)
        table.clear()
        for e in journal.entries:
            style = "red" if e.amount_cents < 0 else ("dim strike" if e.reversed_by_receipt else "")
            table.add_row(str(e.receipt_number), e.time_text, f"{e.family_number_text} {e.family_name}",
                          e.kind_label, e.mode_label, Text(format_amount(e.amount_cents), justify="right", style=style),
                          e.agent, entry_remark(e))
        totals = Text()
        if not journal.entries:
            totals.append("Aucune écriture ce jour-là.", style="italic")
        for t in journal.totals:
            totals.append(f"{t.label} ({t.count}) : {format_amount(t.net_cents)}")
            if t.corrections_cents:
                totals.append(f"  (encaissé {format_amount(t.payments_cents)}, "
                              f"corrections {format_amount(t.corrections_cents)})", style="dim")
            totals.append("\n")
        if journal.entries:
            totals.append(f"Total de la journée : {format_amount(journal.total_cents)}\n", style="bold")
            totals.append(f"Chèques à remettre en banque : {len(journal.cheques)} pour "
                          f"{format_amount(journal.cheques_total_cents)}\n")
        totals.append(f"Espèces attendues : {format_amount(journal.expected_cash_cents)}", style="bold")
        self.query_one("#journal-totals", Static).update(totals)
        state = self.query_one("#journal-state", Static)
        closing = journal.closing
        if closing is not None:
            state.update(Text(
                f"Clôturée le {closing.closed_at.strftime('%d/%m/%Y à %H:%M')} par {closing.closed_by} — "
                f"comptées {format_amount(closing.counted_cash_cents)}, écart "
                f"{format_amount(closing.difference_cents)}", style="bold green"))
            counted = self.query_one("#counted", Input)
            counted.value = format_amount(closing.counted_cash_cents, currency=False)
            counted.disabled = True
            self.query_one("#note", Input).value = closing.note or ""
            self.query_one("#note", Input).disabled = True
        else:
            state.update(Text(f"{format_date_long(journal.day).capitalize()} — non clôturée", style="bold"))
            self.query_one("#counted", Input).disabled = False
            self.query_one("#note", Input).disabled = False
        self.query_one("#journal-close", Button).disabled = (
            closing is not None or not allowed(self.ctx.actor, "cash.close"))
        self._update_difference()
        self.refresh_bindings()

    # --- inputs -------------------------------------------------------------------------

    @on(Input.Submitted, "#journal-day")
    def _day_submitted(self, event: Input.Submitted) -> None:
        try:
            day = parse_date_fr(event.value)
        except DateError as exc:
            self._status(str(exc), True)
            return
        self._status("")
        self._load(day)

    def _counted(self) -> int | None:
        text = self.query_one("#counted", Input).value
        if not text.strip():
            return None
        return parse_amount(text, allow_zero=True)

    @on(Input.Changed, "#counted")
    def _update_difference(self) -> None:
        label = self.query_one("#journal-difference", Static)
        if self.journal is None or self.journal.closing is not None:
            label.update("")
            return
        try:
            counted = self._counted()
        except AmountError as exc:
            label.update(Text(exc.message, style="red"))
            return
        if counted is None:
            label.update("")
            return
        diff = self.journal.difference(counted)
        style = "green" if diff == 0 else "bold red"
        word = "aucun écart" if diff == 0 else ("excédent" if diff > 0 else "manque")
        label.update(Text(f"Écart : {format_amount(diff)} ({word})", style=style))

    # --- actions ------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "close_day":
            if not allowed(self.ctx.actor, "cash.close"):
                return None
            return self.journal is not None and self.journal.closing is None
        return True

    def on_button_pressed(self, event: Button.Pressed) -> None:
        handlers = {
            "journal-close": self.action_close_day,
            "journal-csv": lambda: self.action_export("csv"),
            "journal-pdf": lambda: self.action_export("pdf"),
            "journal-print": self.action_print_journal,
            "journal-leave": self.action_leave,
        }
        if event.button.id in handlers:
            handlers[event.button.id]()

    def action_leave(self) -> None:
        if not self.busy:
            self.dismiss(self.closed_here)

    def action_close_day(self) -> None:
        if self.busy or self.journal is None or self.journal.closing is not None:
            return
        try:
            counted = self._counted()
        except AmountError as exc:
            self._status(exc.message, True)
            self.query_one("#counted", Input).focus()
            return
        if counted is None:
            self._status("Saisissez les espèces comptées avant de clôturer.", True)
            self.query_one("#counted", Input).focus()
            return
        self.busy = True
        self._status("Clôture en cours…")
        self._close_worker(self.journal.day, counted, self.query_one("#note", Input).value)

    @work(thread=True, exclusive=True, group="journal-close")
    def _close_worker(self, day: date, counted: int, note: str) -> None:
        try:
            closing = cashdesk.close_day(self.ctx, day, counted_cents=counted, note=note)
            journal = cashdesk.day_journal(self.ctx, day)
        except ServiceError as exc:
            self.app.call_from_thread(self._close_refused, exc)
            return
        self.app.call_from_thread(self._after_close, closing, journal)

    def _close_refused(self, exc: ServiceError) -> None:
        self.busy = False
        self._status(exc.message, True)
        if exc.field in ("note", "counted"):
            self.query_one(f"#{exc.field}", Input).focus()

    def _after_close(self, closing: cashdesk.Closing, journal: cashdesk.DayJournal) -> None:
        self.busy = False
        self.closed_here = True
        self._show(journal)
        self._status(f"Journée du {format_date_short(closing.day)} clôturée : écart "
                     f"{format_amount(closing.difference_cents)}.")

    def action_export(self, fmt: str) -> None:
        self._status(f"Export {fmt.upper()} en cours…")
        self._export(fmt, to_printer=False)

    def action_print_journal(self) -> None:
        self._status("Impression en cours…")
        self._export("pdf", to_printer=True)

    @work(thread=True, exclusive=True, group="journal-export")
    def _export(self, fmt: str, *, to_printer: bool) -> None:
        def produce() -> SavedFile:
            try:
                counted = self.app.call_from_thread(self._counted)
            except AmountError:
                counted = None
            out = cashdesk.journal_file(self.ctx, self.day, fmt, counted_cents=counted)
            return save_for_agent(self.ctx.settings, out.filename, out.data,
                                  print_title="Journal de caisse" if to_printer else None)

        deliver_from_worker(self.app, produce, self._exported, lambda message: self._status(message, True))

    def _exported(self, saved: SavedFile) -> None:
        self.last_export = saved.path
        self._status(saved.message)

    def _status(self, message: str, error: bool = False) -> None:
        status = self.query_one("#journal-status", Static)
        status.set_class(error, "error")
        status.update(Text(message))
