"""Cheque details (number, bank, drawer) inside the Encaisser and Remboursement dialogs.

A widget rather than a separate dialog: the agent copies the cheque in one pass, and a
refusal ("Le numéro du chèque est obligatoire") appears next to the field concerned."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label, Static

FIELDS = ("cheque_number", "cheque_bank", "cheque_drawer")


class ChequeFields(Vertical):
    DEFAULT_CSS = """
    ChequeFields { height: auto; border: round $accent; padding: 0 1; margin: 1 0 0 0; }
    ChequeFields Label { margin-top: 0; }
    ChequeFields Input { width: 100%; }
    ChequeFields .field-error { color: $error; height: auto; }
    """

    def __init__(self, *, drawer: str = "", ask_bank: bool = True, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.drawer = drawer
        self.ask_bank = ask_bank
        self.border_title = "Chèque"

    def compose(self) -> ComposeResult:
        yield Label("Numéro du chèque")
        yield Input(id="cheque_number", restrict=r"[0-9 ]*", max_length=24, placeholder="ex. 1234567")
        yield Static("", id="cheque_number-error", classes="field-error")
        if self.ask_bank:
            yield Label("Banque")
            yield Input(id="cheque_bank", max_length=80, placeholder="ex. Crédit Agricole")
            yield Static("", id="cheque_bank-error", classes="field-error")
            yield Label("Tireur (titulaire du compte)")
            yield Input(value=self.drawer, id="cheque_drawer", max_length=120)
            yield Static("", id="cheque_drawer-error", classes="field-error")

    def values(self) -> dict[str, str]:
        return {f: self.query_one(f"#{f}", Input).value for f in FIELDS if self.query(f"#{f}")}

    def first_input(self) -> Input:
        return self.query_one("#cheque_number", Input)

    def clear_errors(self) -> None:
        for error in self.query(".field-error").results(Static):
            error.update("")

    def show_error(self, field: str | None, message: str) -> bool:
        """Show `message` next to `field` if it is one of ours; True when shown."""
        if field not in FIELDS or not self.query(f"#{field}-error"):
            return False
        self.query_one(f"#{field}-error", Static).update(message)
        self.query_one(f"#{field}", Input).focus()
        return True

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        if event.input.id and self.query(f"#{event.input.id}-error"):
            self.query_one(f"#{event.input.id}-error", Static).update("")
