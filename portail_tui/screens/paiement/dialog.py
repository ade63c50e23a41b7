"""What the three dialogs that move money (Encaisser, Annuler un règlement, Rembourser)
share: they record once, in a worker, and hand back the receipt.

Enter pressed twice, or a click during the worker, must not take the money twice: the
dialog is busy from the first confirmation until the service answers. A refusal keeps
the dialog open with the reason next to the field concerned; nothing is recorded then."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Input, Static
from textual.widgets.button import ButtonVariant

from portail_tui.screens.base import Dialog
from portail_tui.screens.paiement.receipt import CashResult, receipt_pdf
from portail_tui.services.context import Context, ServiceError
from portail_tui.services.payments import Receipt


class CashDialog(Dialog[CashResult | None]):
    """Subclasses set PREFIX (ids `PREFIX-confirm`, `PREFIX-cancel`, `PREFIX-error`,
    `PREFIX-buttons`), compose their fields, yield `buttons(...)`, and call `record`
    from `action_confirm`."""

    PREFIX: ClassVar[str] = "cash"

    def __init__(self, ctx: Context) -> None:
        super().__init__()
        self.ctx = ctx
        self.busy = False

    def buttons(self, confirm_label: str, variant: ButtonVariant) -> ComposeResult:
        with Horizontal(id=f"{self.PREFIX}-buttons"):
            yield Button(f"{confirm_label} (F9)", id=f"{self.PREFIX}-confirm", variant=variant)
            yield Button("Fermer (Échap)", id=f"{self.PREFIX}-cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == f"{self.PREFIX}-confirm":
            self.action_confirm()
        elif event.button.id == f"{self.PREFIX}-cancel":
            self.action_cancel()

    @on(Input.Changed)
    def _clear_field_error(self, event: Input.Changed) -> None:
        if event.input.id and self.query(f"#{event.input.id}-error"):
            self.query_one(f"#{event.input.id}-error", Static).update("")

    def action_cancel(self) -> None:
        if not self.busy:
            self.dismiss(None)

    def action_confirm(self) -> None:
        """Override: check what the agent typed, then `record(...)`."""

    def record(self, call: Callable[[], Receipt]) -> None:
        """Start recording (once): `call` runs the payments service in a worker."""
        self.busy = True
        self.query_one(f"#{self.PREFIX}-confirm", Button).disabled = True
        self.query_one(f"#{self.PREFIX}-error", Static).update("Enregistrement…")
        self._record(call)

    @work(thread=True, exclusive=True, group="cash-dialog")
    def _record(self, call: Callable[[], Receipt]) -> None:
        try:
            receipt = call()
        except ServiceError as exc:
            self.app.call_from_thread(self._refused, exc)
            return
        self.app.call_from_thread(self.dismiss, CashResult(receipt, receipt_pdf(receipt)))

    def _refused(self, exc: ServiceError) -> None:
        self.busy = False
        self.query_one(f"#{self.PREFIX}-confirm", Button).disabled = False
        self.show_refusal(exc)

    def show_refusal(self, exc: ServiceError) -> None:
        """The reason next to its field when the dialog has one (`#field-error`), else
        under the form."""
        error = self.query_one(f"#{self.PREFIX}-error", Static)
        error.update("")
        if exc.field and self.query(f"#{exc.field}-error"):
            self.query_one(f"#{exc.field}-error", Static).update(Text(exc.message))
        else:
            error.update(Text(exc.message))
