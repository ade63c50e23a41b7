"""Remboursement (régisseur): money out of the wallet, at most the positive solde,
with a reason and its own receipt."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from portail_tui.domain.money import AmountError, format_amount, format_amount_plain, parse_amount
from portail_tui.screens.cash_cheque import ChequeFields
from portail_tui.screens.cash_receipt import CashResult, receipt_pdf
from portail_tui.services import payments
from portail_tui.services.context import Context, ServiceError


class RefundModal(ModalScreen[CashResult | None]):
    BINDINGS = [
        Binding("f9", "confirm", "Rembourser"),
        Binding("escape", "cancel", "Fermer"),
    ]

    DEFAULT_CSS = """
    RefundModal { align: center middle; }
    #refund-box { width: 80; height: auto; max-height: 95%; border: thick $warning; background: $surface;
                  padding: 1 2; overflow-y: auto; }
    #refund-title { text-style: bold; color: $warning; margin-bottom: 1; }
    #refund-box Input, #refund-box Select { width: 100%; }
    #refund-box .field-error, #refund-error { color: $error; height: auto; }
    #refund-buttons { height: 3; margin-top: 1; }
    #refund-buttons Button { margin-right: 1; }
    """

    def __init__(self, ctx: Context, family_id: int, *, family_label: str, solde_cents: int,
                 modes: tuple[tuple[str, str], ...], payer: str) -> None:
        super().__init__()
        self.ctx = ctx
        self.family_id = family_id
        self.family_label = family_label
        self.solde_cents = solde_cents
        self.modes = modes
        self.payer = payer
        self.busy = False

    def compose(self) -> ComposeResult:
        with Vertical(id="refund-box"):
            yield Static("Rembourser la famille", id="refund-title")
            yield Static(f"Famille : {self.family_label}", markup=False)
            yield Static(f"Solde disponible : {format_amount(self.solde_cents)}", markup=False)
            yield Label("Montant à rembourser")
            yield Input(value=format_amount_plain(max(self.solde_cents, 0)), id="montant", max_length=20)
            yield Static("", id="montant-error", classes="field-error")
            yield Label("Mode de remboursement")
            yield Select([(label, code) for code, label in self.modes], allow_blank=False, id="mode")
            yield Static("", id="mode-error", classes="field-error")
            yield Label("Bénéficiaire")
            yield Input(value=self.payer, id="payer", max_length=120)
            yield Label("Motif (obligatoire)")
            yield Input(id="motif", max_length=300, placeholder="ex. départ de la commune, trop-perçu…")
            yield Static("", id="motif-error", classes="field-error")
            cheque = ChequeFields(ask_bank=False, id="refund-cheque")
            cheque.display = False
            yield cheque
            yield Static("", id="refund-error")
            with Horizontal(id="refund-buttons"):
                yield Button("Rembourser (F9)", id="refund-confirm", variant="warning")
                yield Button("Fermer (Échap)", id="refund-cancel")

    def on_mount(self) -> None:
        self.query_one("#montant", Input).focus()
        self._mode_changed()

    @on(Select.Changed, "#mode")
    def _mode_changed(self) -> None:
        self.query_one("#refund-cheque", ChequeFields).display = self.query_one("#mode", Select).value == "cheque"

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        if event.input.id and self.query(f"#{event.input.id}-error"):
            self.query_one(f"#{event.input.id}-error", Static).update("")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "refund-confirm":
            self.action_confirm()
        elif event.button.id == "refund-cancel":
            self.action_cancel()

    def action_cancel(self) -> None:
        if not self.busy:
            self.dismiss(None)

    def action_confirm(self) -> None:
        if self.busy:
            return
        try:
            amount = parse_amount(self.query_one("#montant", Input).value,
                                  maximum_cents=payments.MAX_PAYMENT_CENTS)
        except AmountError as exc:
            self.query_one("#montant-error", Static).update(exc.message)
            self.query_one("#montant", Input).focus()
            return
        mode = self.query_one("#mode", Select).value
        cheque = self.query_one("#refund-cheque", ChequeFields).values() if mode == "cheque" else {}
        self.busy = True
        self.query_one("#refund-confirm", Button).disabled = True
        self.query_one("#refund-error", Static).update("Enregistrement…")
        self._refund(amount, str(mode), self.query_one("#payer", Input).value,
                     self.query_one("#motif", Input).value, cheque)

    @work(thread=True, exclusive=True, group="refund")
    def _refund(self, amount: int, mode: str, payer: str, reason: str, cheque: dict[str, str]) -> None:
        try:
            receipt = payments.refund(self.ctx, self.family_id, amount_cents=amount, mode=mode, reason=reason,
                                      payer_name=payer, **cheque)
        except ServiceError as exc:
            self.app.call_from_thread(self._refused, exc)
            return
        self.app.call_from_thread(self.dismiss, CashResult(receipt, receipt_pdf(receipt)))

    def _refused(self, exc: ServiceError) -> None:
        self.busy = False
        self.query_one("#refund-confirm", Button).disabled = False
        self.query_one("#refund-error", Static).update("")
        if exc.field and self.query(f"#{exc.field}-error"):
            self.query_one(f"#{exc.field}-error", Static).update(Text(exc.message))
        else:
            self.query_one("#refund-error", Static).update(Text(exc.message))
