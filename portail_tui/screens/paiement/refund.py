"""Remboursement (régisseur): money out of the wallet, at most the positive solde,
with a reason and its own receipt."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label, Select, Static

from portail_tui.domain.money import AmountError, format_amount, format_amount_plain, parse_amount
from portail_tui.screens.paiement.cheque import ChequeFields
from portail_tui.screens.paiement.dialog import CashDialog
from portail_tui.services import payments
from portail_tui.services.context import Context


class RefundModal(CashDialog):
    PREFIX = "refund"
    BINDINGS = [
        Binding("f9", "confirm", "Rembourser"),
        Binding("escape", "cancel", "Fermer"),
    ]

    CSS_PATH = "refund.tcss"

    def __init__(self, ctx: Context, family_id: int, *, family_label: str, solde_cents: int,
                 modes: tuple[tuple[str, str], ...], payer: str) -> None:
        super().__init__(ctx)
        self.family_id = family_id
        self.family_label = family_label
        self.solde_cents = solde_cents
        self.modes = modes
        self.payer = payer

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
            yield from self.buttons("Rembourser", "warning")

    def on_mount(self) -> None:
        self.query_one("#montant", Input).focus()
        self._mode_changed()

    @on(Select.Changed, "#mode")
    def _mode_changed(self) -> None:
        self.query_one("#refund-cheque", ChequeFields).display = self.query_one("#mode", Select).value == "cheque"

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
        mode = str(self.query_one("#mode", Select).value)
        cheque = self.query_one("#refund-cheque", ChequeFields).values() if mode == "cheque" else {}
        payer = self.query_one("#payer", Input).value
        reason = self.query_one("#motif", Input).value
        self.record(lambda: payments.refund(self.ctx, self.family_id, amount_cents=amount, mode=mode,
                                            reason=reason, payer_name=payer, **cheque))
