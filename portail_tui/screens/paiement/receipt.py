"""After Encaisser, a reversal or a refund: the receipt number, the new balance, and
the receipt PDF to print or save (it was already rendered with the payment)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from portail_tui.domain.money import amount_in_words, format_amount
from portail_tui.exports.files import SavedFile, save_for_agent
from portail_tui.exports.receipt import receipt_filename, render_receipt
from portail_tui.screens.base import Dialog
from portail_tui.screens.delivery import deliver_from_worker
from portail_tui.services.context import Context
from portail_tui.services.payments import Receipt


@dataclass(frozen=True)
class CashResult:
    """What a cash dialog hands back: the entry recorded and its receipt PDF."""

    receipt: Receipt
    pdf: bytes | None = None


def receipt_pdf(receipt: Receipt) -> bytes | None:
    """Render in the worker that recorded the entry; a PDF failure must not hide that
    the money was recorded, so it yields None (the dialog renders again on demand)."""
    try:
        return render_receipt(receipt)
    except Exception:  # noqa: BLE001
        return None


_TITLES = {"payment": "Règlement encaissé", "reversal": "Règlement annulé", "refund": "Remboursement enregistré"}


class ReceiptModal(Dialog[None]):
    BINDINGS = [
        Binding("i", "print_receipt", "Imprimer"),
        Binding("e", "save", "Enregistrer le PDF"),
        Binding("escape", "close", "Fermer"),
    ]

    CSS_PATH = "receipt.tcss"

    def __init__(self, ctx: Context, result: CashResult) -> None:
        super().__init__()
        self.ctx = ctx
        self.receipt = result.receipt
        self.pdf = result.pdf
        self.saved: Path | None = None

    def compose(self) -> ComposeResult:
        r = self.receipt
        with Vertical(id="receipt-box"):
            yield Static(_TITLES.get(r.kind, "Écriture enregistrée"), id="receipt-title")
            yield Static(f"Quittance n° {r.receipt_number}", id="receipt-number")
            words = amount_in_words(abs(r.amount_cents))
            yield Static(f"{r.kind_label} : {format_amount(r.amount_cents)} ({words}) — {r.mode_label}",
                         markup=False)
            yield Static(f"Famille n° {r.family_number_text} {r.family_name} — payeur : {r.payer_name}",
                         markup=False)
            if r.solde_after_cents is not None:
                solde = Text("Solde après ce règlement : ")
                solde.append(format_amount(r.solde_after_cents), style="red" if r.solde_after_cents < 0 else "green")
                yield Static(solde, id="receipt-solde")
            yield Static("La quittance est prête : i pour l'imprimer, e pour l'enregistrer.", id="receipt-status")
            with Horizontal(id="receipt-buttons"):
                yield Button("Imprimer (i)", id="receipt-print", variant="primary")
                yield Button("Enregistrer le PDF (e)", id="receipt-save")
                yield Button("Fermer (Échap)", id="receipt-close")

    def on_mount(self) -> None:
        self.query_one("#receipt-print", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        actions = {"receipt-print": self.action_print_receipt, "receipt-save": self.action_save,
                   "receipt-close": self.action_close}
        if event.button.id in actions:
            actions[event.button.id]()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_save(self) -> None:
        self._status("Enregistrement…")
        self._write(to_printer=False)

    def action_print_receipt(self) -> None:
        self._status("Impression…")
        self._write(to_printer=True)

    @work(thread=True, exclusive=True, group="receipt-file")
    def _write(self, *, to_printer: bool) -> None:
        number = self.receipt.receipt_number

        def produce() -> SavedFile:
            return save_for_agent(self.ctx.settings, receipt_filename(self.receipt),
                                  self.pdf or render_receipt(self.receipt), label="Quittance enregistrée",
                                  print_title=f"Quittance {number}" if to_printer else None)

        deliver_from_worker(self.app, produce, self._done, lambda message: self._status(message, error=True))

    def _done(self, saved: SavedFile) -> None:
        self.saved = saved.path
        self._status(saved.message)

    def _status(self, message: str, *, error: bool = False) -> None:
        status = self.query_one("#receipt-status", Static)
        status.set_class(error, "error")
        status.update(Text(message))
