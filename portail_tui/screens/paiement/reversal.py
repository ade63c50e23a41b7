"""Annuler un règlement (régisseur): the reason is required; the reversal is a new
entry with its own receipt, the original stays visible, marked as cancelled."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label, Static

from portail_tui.domain.frdates import format_datetime_short
from portail_tui.domain.money import format_amount
from portail_tui.screens.paiement.dialog import CashDialog
from portail_tui.services import payments
from portail_tui.services.context import Context
from portail_tui.services.wallet import PaidLine


class ReversalModal(CashDialog):
    PREFIX = "reversal"
    BINDINGS = [
        Binding("f9", "confirm", "Annuler le règlement"),
        Binding("escape", "cancel", "Fermer"),
    ]

    CSS_PATH = "reversal.tcss"

    def __init__(self, ctx: Context, entry: PaidLine) -> None:
        super().__init__(ctx)
        self.entry = entry

    def compose(self) -> ComposeResult:
        e = self.entry
        with Vertical(id="reversal-box"):
            yield Static(f"Annuler la quittance n° {e.receipt_number}", id="reversal-title")
            yield Static(
                f"{payments.kind_label(e.kind)} du {format_datetime_short(e.created_at)} : "
                f"{format_amount(e.amount_cents)} — {payments.mode_label(e.mode)} — {e.payer_name}",
                markup=False,
            )
            yield Static("Une écriture d'annulation, avec sa propre quittance, sera enregistrée aujourd'hui ; "
                         "le règlement d'origine reste visible.", classes="hint")
            yield Label("Motif (obligatoire)")
            yield Input(id="motif", max_length=300, placeholder="ex. erreur de montant, chèque sans provision…")
            yield Static("", id="motif-error")
            yield Static("", id="reversal-error")
            yield from self.buttons("Annuler le règlement", "error")

    def on_mount(self) -> None:
        self.query_one("#motif", Input).focus()

    @on(Input.Submitted, "#motif")
    def _submitted(self) -> None:
        self.action_confirm()

    def action_confirm(self) -> None:
        if self.busy:
            return
        reason = self.query_one("#motif", Input).value
        if not reason.strip():
            self.query_one("#motif-error", Static).update("Le motif est obligatoire.")
            return
        self.record(lambda: payments.reverse_payment(self.ctx, self.entry.payment_id, reason=reason))
