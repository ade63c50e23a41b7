"""Encaisser: confirm a desk payment (with the cheque's details when paid by cheque),
record it in a worker, and hand back the receipt.

The dialog stays open on a refusal and shows the reason next to the field concerned;
nothing is recorded then. It can only record once: Enter pressed twice, or a click
during the worker, does not take the money twice.

Cash above the family's daily ceiling is refused to an agent before the dialog opens; a
régisseur sees why and may go above it by typing the reason, which the service audits
(`take_payment(override_reason=…)`)."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Button, Input, Static

from portail_tui.domain.money import amount_in_words, format_amount
from portail_tui.screens.paiement.cheque import ChequeFields
from portail_tui.screens.paiement.dialog import CashDialog
from portail_tui.services import payments
from portail_tui.services.context import Context, ServiceError


class EncaisserModal(CashDialog):
    PREFIX = "encaisser"
    BINDINGS = [
        Binding("f9", "confirm", "Encaisser"),
        Binding("escape", "cancel", "Fermer"),
    ]

    CSS_PATH = "encaisser.tcss"

    def __init__(
        self,
        ctx: Context,
        family_id: int,
        *,
        family_label: str,
        amount_cents: int,
        mode: str,
        payer: str,
        solde_after_cents: int | None,
        ceiling_note: str | None = None,
    ) -> None:
        super().__init__(ctx)
        self.ceiling_note = ceiling_note
        self.family_id = family_id
        self.family_label = family_label
        self.amount_cents = amount_cents
        self.mode = mode
        self.payer = payer
        self.solde_after_cents = solde_after_cents

    def compose(self) -> ComposeResult:
        with Vertical(id="encaisser-box"):
            yield Static("Encaisser un règlement", id="encaisser-title")
            yield Static(f"Famille : {self.family_label}", markup=False)
            yield Static(f"Montant : {format_amount(self.amount_cents)} ({amount_in_words(self.amount_cents)})",
                         id="encaisser-amount", markup=False)
            yield Static(f"Mode de règlement : {payments.mode_label(self.mode)}", markup=False)
            yield Static(f"Payeur : {self.payer}", markup=False)
            if self.solde_after_cents is not None:
                yield Static(f"Solde après ce règlement : {format_amount(self.solde_after_cents)}", markup=False)
            if self.mode == "cheque":
                yield ChequeFields(drawer=self.payer, id="cheque-fields")
            if self.ceiling_note:
                yield Static(Text(self.ceiling_note, style="bold"), id="encaisser-ceiling")
                yield Input(placeholder="Motif du dépassement du plafond (régisseur, obligatoire)",
                            id="override-reason", max_length=200)
                yield Static("", id="override-reason-error")
            yield Static("", id="encaisser-error")
            yield from self.buttons("Encaisser", "success")

    def on_mount(self) -> None:
        if self.mode == "cheque":
            self.query_one(ChequeFields).first_input().focus()
        elif self.ceiling_note:
            self.query_one("#override-reason", Input).focus()
        else:
            self.query_one("#encaisser-confirm", Button).focus()

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        """Enter moves to the next cheque field, and confirms from the last one."""
        inputs = list(self.query(Input).results(Input))
        index = inputs.index(event.input) if event.input in inputs else -1
        if 0 <= index < len(inputs) - 1:
            inputs[index + 1].focus()
        else:
            self.action_confirm()

    def action_confirm(self) -> None:
        if self.busy:
            return
        cheque = {}
        if self.mode == "cheque":
            fields = self.query_one(ChequeFields)
            fields.clear_errors()
            cheque = fields.values()
        reason: str | None = None
        if self.ceiling_note:
            self.query_one("#override-reason-error", Static).update("")
            reason = self.query_one("#override-reason", Input).value.strip()
            if not reason:
                self.query_one("#override-reason-error", Static).update(
                    Text("Le motif est obligatoire pour dépasser le plafond des espèces.", style="red"))
                self.query_one("#override-reason", Input).focus()
                return
        self.record(lambda: payments.take_payment(self.ctx, self.family_id, amount_cents=self.amount_cents,
                                                  mode=self.mode, payer_name=self.payer, override_reason=reason,
                                                  **cheque))

    def show_refusal(self, exc: ServiceError) -> None:
        shown = self.mode == "cheque" and self.query_one(ChequeFields).show_error(exc.field, exc.message)
        self.query_one("#encaisser-error", Static).update(Text("" if shown else exc.message))
