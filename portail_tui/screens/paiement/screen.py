"""Paiement et solde tab (R7, R14, B4), laid out as the families' guide.

« Paiement »: Sélection (calcul des réservations jusqu'au, types Confirmées / En
attente), then the table Porte-monnaie | Solde | Coût estimé | Règlement de la
famille | Nouveau solde with the proposed amount, the total and the family's e-mail
— then the cash desk the guide does not show: mode, payer, Encaisser (F9), Paiement
CB en ligne (F7, a PayFiP link e-mailed to the family), the family's latest entries
with Annuler (F6) and Rembourser (F8) for the régisseur, and the Journal de caisse (F10).

« Solde »: the balance explained — total paid and its entries, total consumed and its
bookings, and the bookings about to enter the 15-day window.

Every figure comes from `services.wallet`; every change goes through a service in a
worker; the header balance is refreshed after each entry. What another agent changes
(a reversal, a payment, a booking) shows without reopening the family: see
`screens.freshness`. Entering the tab puts the cursor in the amount, selected, so
typing replaces it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.widgets import (
    Button,
    Checkbox,
    DataTable,
    Input,
    Label,
    Select,
    Static,
    TabbedContent,
    TabPane,
)

from portail_tui.domain.money import AmountError, format_amount, format_amount_plain, parse_amount
from portail_tui.screens.freshness import WatchesFamilyChanges
from portail_tui.screens.paiement.encaisser import EncaisserModal
from portail_tui.screens.paiement.journal import JournalModal
from portail_tui.screens.paiement.receipt import CashResult, ReceiptModal, receipt_pdf
from portail_tui.screens.paiement.refund import RefundModal
from portail_tui.screens.paiement.reversal import ReversalModal
from portail_tui.screens.paiement.selection import WalletSelection
from portail_tui.screens.paiement.tables import (
    CONSUMED_COLUMNS,
    ENTRY_COLUMNS,
    PAID_COLUMNS,
    UPCOMING_COLUMNS,
    fill_entries,
    fill_solde,
    money,
    solde_text,
)
from portail_tui.services import payfip, payments, wallet
from portail_tui.services.context import PermissionDenied, ServiceError
from portail_tui.services.families import FamilySummary, family_summary
from portail_tui.services.family_changes import family_change_seq
from portail_tui.services.permissions import allowed, require
from portail_tui.widgets.sections import Sections

PAY = "paiement-pane"
SOLDE = "solde-pane"
NO_FAMILY = "Aucune famille sélectionnée : Ctrl+F pour rechercher une famille."
# The permission behind each action that needs one: the footer shows an action only to
# a role that may do it, and its key then answers with the service's French refusal.
ACTION_PERMISSIONS = {"encaisser": "payment.take", "payfip": "payment.take",
                      "reverse": "payment.reverse", "refund": "payment.refund"}


@dataclass(frozen=True)
class _Loaded:
    family: FamilySummary
    setup: payments.PaymentSetup
    figures: wallet.WalletFigures
    entries: list[wallet.PaidLine]
    details: wallet.SoldeDetails
    change_seq: int  # the family's change counter, read before the rest


class PaiementScreen(WatchesFamilyChanges, WalletSelection):
    TAB_ID = "paiement"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f9", "encaisser", "Encaisser"),
        Binding("f7", "payfip", "CB en ligne"),
        Binding("f6", "reverse", "Annuler"),
        Binding("f8", "refund", "Rembourser"),
        Binding("f10", "journal", "Journal"),
        Binding("ctrl+s", "switch_section", "Paiement/Solde"),
        # Tried when the binding above is refused to the role (check_action): never shown.
        Binding("f9", "refused('payment.take')", show=False),
        Binding("f7", "refused('payment.take')", show=False),
        Binding("f6", "refused('payment.reverse')", show=False),
        Binding("f8", "refused('payment.refund')", show=False),
    ]

    CSS_PATH = "screen.tcss"

    # What the wallet table draws besides `figures`: the amount typed (None while it
    # does not read as an amount).
    amount_cents: reactive[int | None] = reactive(None, init=False)

    def __init__(self) -> None:
        super().__init__()
        self.loaded: _Loaded | None = None
        self._focus_amount_pending = True  # put the cursor in the amount once loaded
        self._entering = True  # the next resume is a visit of the tab, not a dialog closed
        self._solde_pending: wallet.SoldeDetails | None = None  # for the Solde section, when it shows

    # --- layout ------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        yield Static("", id="pay-family")
        with Sections(id="pay-sections", initial=PAY):
            with TabPane("Paiement", id=PAY):
                yield Static("Sélection", classes="section-title")
                with Horizontal(classes="pay-row"):
                    yield Label("Calcul des réservations jusqu'au")
                    yield Input(id="until", max_length=10, placeholder="jj/mm/aaaa")
                    yield Label("  Type de réservation", id="type-label")
                    yield Checkbox("Confirmées", value=True, id="type-confirmed")
                    yield Checkbox("En attente", value=False, id="type-waiting")
                yield Static("", id="until-error", classes="field-error")
                with Horizontal(id="wallet-head"):
                    yield Static("Porte-monnaie", classes="w-regie")
                    yield Static("Solde", classes="w-amount")
                    yield Static("Coût estimé", classes="w-amount")
                    yield Static("Règlement de la famille", classes="w-input")
                    yield Static("Nouveau solde", classes="w-amount")
                with Horizontal(id="wallet-values"):
                    yield Static("", id="w-regie", classes="w-regie")
                    yield Static("", id="w-solde", classes="w-amount")
                    yield Static("", id="w-estimated", classes="w-amount")
                    yield Input(id="montant", max_length=20, placeholder="0,00", classes="w-input")
                    yield Static("", id="w-new", classes="w-amount")
                yield Static("", id="montant-error", classes="field-error")
                yield Static("", id="total")
                with Horizontal(classes="pay-row"):
                    yield Label("Adresse courriel*")
                    yield Input(id="email", max_length=254)
                    yield Button("Paiement CB en ligne (F7)", id="btn-payfip")
                yield Static("", id="email-error", classes="field-error")
                yield Static("Encaissement au guichet", classes="section-title")
                with Horizontal(classes="pay-row"):
                    yield Label("Mode")
                    yield Select([], allow_blank=True, prompt="Mode de règlement", id="mode")
                    yield Label("  Payeur")
                    yield Input(id="payer", max_length=120)
                    yield Button("Encaisser (F9)", id="btn-encaisser", variant="success")
                    yield Button("Journal (F10)", id="btn-journal")
                yield Static("", id="mode-error", classes="field-error")
                yield Static("", id="pay-status")
                yield Static(self._entries_title(), classes="section-title")
                yield DataTable(id="entries", zebra_stripes=True, cursor_type="row")
            with TabPane("Solde", id=SOLDE):
                yield Static(
                    "Le solde est calculé ainsi : ce qui a été payé − ce qui est consommé "
                    "(réservations passées et des 15 prochains jours). Le coût estimé porte sur les "
                    "réservations au-delà de ces 15 jours ; le nouveau solde est la somme restante.",
                    classes="hint")
                yield Static("", id="solde-figures")
                with Horizontal(classes="solde-lists"):
                    with Vertical():
                        yield Static("Ce qui a été payé", classes="section-title")
                        yield DataTable(id="solde-paid", zebra_stripes=True, cursor_type="row")
                    with Vertical():
                        yield Static("Ce qui est consommé", classes="section-title")
                        yield DataTable(id="solde-consumed", zebra_stripes=True, cursor_type="row")
                yield Static("Réservations qui entrent dans le solde dans les deux semaines",
                             classes="section-title")
                yield DataTable(id="solde-upcoming", zebra_stripes=True, cursor_type="row")

    def _entries_title(self) -> str:
        keys = ["Entrée : quittance"]
        if allowed(self.ctx.actor, "payment.reverse"):
            keys.append("F6 : annuler")
        if allowed(self.ctx.actor, "payment.refund"):
            keys.append("F8 : rembourser")
        return "Derniers règlements — " + " · ".join(keys)

    def on_mount(self) -> None:
        for table_id, columns in (("#entries", ENTRY_COLUMNS), ("#solde-paid", PAID_COLUMNS),
                                  ("#solde-consumed", CONSUMED_COLUMNS),
                                  ("#solde-upcoming", UPCOMING_COLUMNS)):
            self.query_one(table_id, DataTable).add_columns(*columns)
        self._reset_until()

    def on_screen_suspend(self) -> None:
        # Tab switches change the app's mode before this runs; a dialog does not.
        self._entering = self.app.current_mode != self.TAB_ID

    def on_screen_resume(self) -> None:
        if self._entering:
            self._entering = False
            self._focus_amount_pending = True
            self._focus_amount_when_loaded()

    # --- loading -----------------------------------------------------------------------

    def load_family(self, family_id: int | None) -> None:
        self.loaded = None
        self.figures = None
        self.amount_dirty = False
        self._focus_amount_pending = True
        self._status("")
        self._reset_until()  # another family: the default date, not the last one typed
        if family_id is None:
            self.query_one("#pay-family", Static).update(NO_FAMILY)
            self._clear()
            self.refresh_bindings()
            return
        self.query_one("#pay-family", Static).update("Chargement…")
        until, types = self._selection()
        self._load(family_id, until, types)

    def family_data_changed(self) -> None:
        """Another agent changed this family (a reversal, a payment, a booking): the
        figures, the entries and the header follow; the amount typed stays."""
        self.portail.refresh_header()
        self.reload()

    def reload(self) -> None:
        if self.family_id is not None:
            until, types = self._selection()
            self._load(self.family_id, until, types)

    @work(thread=True, exclusive=True, group="paiement-load")
    def _load(self, family_id: int, until: date | None, types: tuple[str, ...]) -> None:
        ctx = self.ctx
        try:
            seq = family_change_seq(ctx, family_id)
            loaded = _Loaded(
                family=family_summary(ctx, family_id),
                setup=payments.payment_setup(ctx, family_id),
                figures=wallet.wallet_figures(ctx, family_id, until=until, types=types),
                entries=payments.family_entries(ctx, family_id),
                details=wallet.solde_details(ctx, family_id),
                change_seq=seq,
            )
        except ServiceError as exc:
            self.app.call_from_thread(self._status, exc.message, True)
            return
        self.app.call_from_thread(self._show, loaded)

    def _show(self, loaded: _Loaded) -> None:
        if loaded.family.id != self.family_id:
            return  # the agent moved on meanwhile
        first = self.loaded is None or self.loaded.family.id != loaded.family.id
        self.loaded = loaded
        self.note_family_seq(loaded.family.id, loaded.change_seq)
        f = loaded.family
        closed = " — caisse du jour clôturée" if loaded.setup.day_closed else ""
        self.query_one("#pay-family", Static).update(
            Text(f"{f.name} — n° {f.number_text} — {f.guardian}{closed}"))
        if first:
            self._fill_inputs(loaded.setup)
        self._show_figures(loaded.figures)
        fill_entries(self.query_one("#entries", DataTable), loaded.entries)
        self._show_solde(loaded.details)
        self.refresh_bindings()
        self._focus_amount_when_loaded()

    def _fill_inputs(self, setup: payments.PaymentSetup) -> None:
        mode = self.query_one("#mode", Select)
        options = [(label, code) for code, label in setup.modes]
        with mode.prevent(Select.Changed):
            mode.set_options(options)
            if options:
                mode.value = options[0][1]
        self.query_one("#payer", Input).value = setup.default_payer
        self.query_one("#email", Input).value = setup.email
        self.query_one("#btn-payfip", Button).disabled = not setup.payfip_enabled

    def watch_figures(self, fig: wallet.WalletFigures | None) -> None:
        if fig is None:
            for static_id in ("#w-regie", "#w-solde", "#w-estimated"):
                self.query_one(static_id, Static).update("")
        else:
            self.query_one("#w-regie", Static).update(Text(fig.wallet_label))
            self.query_one("#w-solde", Static).update(money(fig.solde_cents))
            self.query_one("#w-estimated", Static).update(money(fig.estimated_cents))
            if not self.amount_dirty:
                self._set_amount_text(format_amount_plain(fig.proposed_cents))
        self._draw_new_balance()

    def watch_amount_cents(self) -> None:
        self._draw_new_balance()

    def _show_solde(self, details: wallet.SoldeDetails) -> None:
        """The Solde section's lists are filled when it shows (at once if it does): they
        were three fifths of redrawing the tab after each payment, for a section the
        agent opens now and then."""
        self._solde_pending = details
        if self.query_one("#pay-sections", TabbedContent).active == SOLDE:
            self._fill_solde()

    def _fill_solde(self) -> None:
        details, self._solde_pending = self._solde_pending, None
        if details is None:
            return
        self.query_one("#solde-figures", Static).update(solde_text(details))
        fill_solde(self.query_one("#solde-paid", DataTable), self.query_one("#solde-consumed", DataTable),
                   self.query_one("#solde-upcoming", DataTable), details)

    @on(TabbedContent.TabActivated, "#pay-sections")
    def _section_shown(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == SOLDE:
            self._fill_solde()

    def _clear(self) -> None:
        self._solde_pending = None
        for table_id in ("#entries", "#solde-paid", "#solde-consumed", "#solde-upcoming"):
            self.query_one(table_id, DataTable).clear()
        for static_id in ("#solde-figures", "#montant-error", "#mode-error", "#email-error"):
            self.query_one(static_id, Static).update("")
        self.figures = None
        self._set_amount_text("")

    # --- the selection and the amount --------------------------------------------------

    def _amount(self) -> int:
        return parse_amount(self.query_one("#montant", Input).value, maximum_cents=payments.MAX_PAYMENT_CENTS)

    @staticmethod
    def _typed_cents(text: str) -> int | None:
        try:
            return parse_amount(text, allow_zero=True, maximum_cents=payments.MAX_PAYMENT_CENTS)
        except AmountError:
            return None

    def _set_amount_text(self, text: str) -> None:
        """Propose an amount (or clear it) without taking it for one the agent typed.
        It is left selected, so what the agent types next replaces it instead of landing
        wherever the cursor was (« 99350,07 »)."""
        field = self.query_one("#montant", Input)
        with field.prevent(Input.Changed):
            field.value = text
        field.select_all()
        self.amount_cents = self._typed_cents(text)

    def _focus_amount_when_loaded(self) -> None:
        """The cursor in the amount, selected, once the family's figures are shown."""
        if not self._focus_amount_pending or self.loaded is None or self.loaded.family.id != self.family_id:
            return
        self._focus_amount_pending = False
        if self.app.screen is self:  # not from under a dialog
            self._focus_amount()

    def _focus_amount(self) -> None:
        field = self.query_one("#montant", Input)
        field.focus()
        field.select_all()

    @on(Input.Changed, "#montant")
    def _amount_changed(self, event: Input.Changed) -> None:
        self.amount_dirty = True
        self.query_one("#montant-error", Static).update("")
        self.amount_cents = self._typed_cents(event.value)

    @on(Select.Changed, "#mode")
    def _mode_changed(self) -> None:
        self.query_one("#mode-error", Static).update("")
        self.query_one("#montant-error", Static).update("")

    def _draw_new_balance(self) -> None:
        fig, amount = self.figures, self.amount_cents
        new, total = self.query_one("#w-new", Static), self.query_one("#total", Static)
        if fig is None:
            new.update("")
            total.update("")
            return
        if amount is None:
            new.update(Text("—", justify="right"))
            total.update(Text("Total du règlement de la famille : —", style="bold"))
            return
        new.update(money(fig.new_balance_cents(amount), bold=True))
        total.update(Text(f"Total du règlement de la famille : {format_amount(amount)}", style="bold"))

    @on(Input.Submitted, "#montant")
    def _amount_submitted(self) -> None:
        self.action_encaisser()

    # --- actions -----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        actor = self.ctx.actor
        if action == "refused":  # the hidden fallback of a key the role may not use
            return bool(parameters) and not allowed(actor, str(parameters[0]))
        permission = ACTION_PERMISSIONS.get(action)
        if permission is None:
            return True
        # Hidden for a role that may not, dimmed while no family is loaded.
        if not allowed(actor, permission):
            return False
        return True if self.loaded is not None else None

    def action_refused(self, permission: str) -> None:
        """A key the footer does not offer to this role: say why nothing happens, in the
        services' own words."""
        try:
            require(self.ctx, permission)
        except PermissionDenied as exc:
            self._status(exc.message, True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        handlers = {"btn-encaisser": self.action_encaisser, "btn-payfip": self.action_payfip,
                    "btn-journal": self.action_journal}
        if event.button.id in handlers:
            handlers[event.button.id]()

    def action_switch_section(self) -> None:
        sections = self.query_one("#pay-sections", TabbedContent)
        sections.active = SOLDE if sections.active == PAY else PAY

    def _field_error(self, field: str | None, message: str) -> None:
        target = {"montant": "#montant-error", "mode": "#mode-error", "email": "#email-error"}.get(field or "")
        if target:
            self.query_one(target, Static).update(Text(message))
            focus = {"montant": "#montant", "mode": "#mode", "email": "#email"}[field or ""]
            self.query_one(focus).focus()
        else:
            self._status(message, True)

    def _checked_amount(self) -> int | None:
        """The amount typed, or None after showing why it is refused next to the field."""
        try:
            return self._amount()
        except AmountError as exc:
            self._field_error("montant", exc.message)
            return None

    def action_encaisser(self) -> None:
        loaded, fig = self.loaded, self.figures
        if loaded is None or fig is None or self.family_id is None:
            self._status(NO_FAMILY, True)
            return
        amount = self._checked_amount()
        if amount is None:
            return
        mode = self.query_one("#mode", Select).value
        if not isinstance(mode, str):
            self._field_error("mode", "Choisissez le mode de règlement.")
            return
        # The day's cash already taken counts (CGI art. 1680 is per family and day): a
        # régisseur may go above it with a reason, asked in the dialog; an agent may not.
        refusal = payments.cash_limit_refusal(loaded.setup.cash_limit_cents, mode, amount,
                                              loaded.setup.cash_paid_today_cents)
        may_override = allowed(self.ctx.actor, "payment.cash_override")
        if refusal and not may_override:
            self._field_error("montant", refusal)
            return
        payer = self.query_one("#payer", Input).value.strip() or loaded.setup.default_payer
        modal = EncaisserModal(
            self.ctx, self.family_id, family_label=f"{loaded.family.name} (n° {loaded.family.number_text})",
            amount_cents=amount, mode=mode, payer=payer,
            solde_after_cents=wallet.payment_outlook(fig, amount).solde_after_cents,
            ceiling_note=refusal,
        )
        self.app.push_screen(modal, self._cash_done)

    def _selected_entry(self) -> wallet.PaidLine | None:
        if self.loaded is None:
            return None
        table = self.query_one("#entries", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
        return next((e for e in self.loaded.entries if str(e.payment_id) == key), None)

    def action_reverse(self) -> None:
        entry = self._selected_entry()
        if entry is None:
            self._status("Choisissez d'abord le règlement à annuler dans la liste.", True)
            return
        if entry.kind == "reversal":
            self._status("Une annulation ne peut pas être annulée elle-même.", True)
            return
        if entry.is_reversed:
            self._status(f"La quittance n° {entry.receipt_number} a déjà été annulée "
                         f"(quittance n° {entry.reversed_by_receipt}).", True)
            return
        self.app.push_screen(ReversalModal(self.ctx, entry), self._cash_done)

    def action_refund(self) -> None:
        loaded = self.loaded
        if loaded is None or self.family_id is None:
            return
        self.app.push_screen(RefundModal(
            self.ctx, self.family_id, family_label=f"{loaded.family.name} (n° {loaded.family.number_text})",
            solde_cents=loaded.figures.solde_cents, modes=loaded.setup.refund_modes,
            payer=loaded.setup.default_payer,
        ), self._cash_done)

    def action_journal(self) -> None:
        self.app.push_screen(JournalModal(self.ctx), self._journal_done)

    def _journal_done(self, closed: bool | None) -> None:
        if closed:
            self.reload()

    def _cash_done(self, result: CashResult | None) -> None:
        if result is None:
            return
        r = result.receipt
        self.amount_dirty = False
        self._status(f"Quittance n° {r.receipt_number} enregistrée ({r.kind_label.lower()}, "
                     f"{format_amount(r.amount_cents)}). Solde après ce règlement : "
                     f"{format_amount(r.solde_after_cents or 0)}.")
        self.portail.refresh_header()
        self.reload()
        self.app.push_screen(ReceiptModal(self.ctx, result), self._receipt_closed)

    def _receipt_closed(self, _result: object = None) -> None:
        # Back at the desk for the next family: typing replaces the amount proposed.
        self._focus_amount()

    @on(DataTable.RowSelected, "#entries")
    def _entry_chosen(self, event: DataTable.RowSelected) -> None:
        self._reprint(int(str(event.row_key.value)))

    @work(thread=True, exclusive=True, group="paiement-reprint")
    def _reprint(self, payment_id: int) -> None:
        try:
            receipt = payments.receipt_for(self.ctx, payment_id)
        except ServiceError as exc:
            self.app.call_from_thread(self._status, exc.message, True)
            return
        result = CashResult(receipt, receipt_pdf(receipt))
        self.app.call_from_thread(self.app.push_screen, ReceiptModal(self.ctx, result))

    def action_payfip(self) -> None:
        loaded = self.loaded
        if loaded is None or self.family_id is None:
            return
        if not loaded.setup.payfip_enabled:
            self._status("Le paiement en ligne PayFiP n'est pas configuré pour cette régie.", True)
            return
        amount = self._checked_amount()
        if amount is None:
            return
        email = self.query_one("#email", Input).value.strip()
        if not email:
            self._field_error("email", "Adresse courriel obligatoire pour le paiement en ligne.")
            return
        self._status("Préparation du lien PayFiP…")
        self._payfip(self.family_id, amount, email)

    @work(thread=True, exclusive=True, group="paiement-payfip")
    def _payfip(self, family_id: int, amount: int, email: str) -> None:
        try:
            link = payfip.request_payment(self.ctx, family_id, amount_cents=amount, email=email)
        except ServiceError as exc:
            self.app.call_from_thread(self._field_error, exc.field, exc.message)
            return
        mode = " (mode test)" if link.is_test else ""
        self.app.call_from_thread(
            self._status,
            f"Lien de paiement PayFiP{mode} de {format_amount(amount)} envoyé à {link.email} "
            f"(référence {link.reference}). Le paiement sera enregistré au retour de la plateforme.",
        )

    def _status(self, message: str, error: bool = False) -> None:
        status = self.query_one("#pay-status", Static)
        status.set_class(error, "error")
        status.update(Text(message))
        if error and message:
            self.notify(message, severity="error", timeout=6)
