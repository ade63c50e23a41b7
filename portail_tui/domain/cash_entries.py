"""What a cash-desk entry and a cash day look like once read: receipt, journal (B4).

These are the real types the services build and the exports render (quittance PDF, journal
CSV/PDF). They live below both so that exports need no copy of their fields: a field renamed
here is a type error in every reader instead of a silently blank receipt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

MODE_LABELS: dict[str, str] = {
    "especes": "Espèces",
    "cheque": "Chèque",
    "cb": "CB au guichet",
    "payfip": "PayFiP (CB en ligne)",
    "virement": "Virement",
    "cesu": "CESU",
    "ancv": "Chèques ANCV",
}
KIND_LABELS: dict[str, str] = {
    "payment": "Règlement",
    "reversal": "Annulation",
    "refund": "Remboursement",
}


def mode_label(mode: str) -> str:
    return MODE_LABELS.get(mode, mode)


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


def format_family_number(number: int) -> str:
    """The family account number as printed everywhere: six digits, zero-padded."""
    return f"{number:06d}"


class EntryLabels:
    """The French words for an entry's `kind` and `mode`, shared by every dataclass that
    carries a payment (receipt, journal line, history line), so they never disagree."""

    __slots__ = ()
    kind: str
    mode: str

    @property
    def kind_label(self) -> str:
        return kind_label(self.kind)

    @property
    def mode_label(self) -> str:
        return mode_label(self.mode)


@dataclass(frozen=True)
class Receipt(EntryLabels):
    """Everything a receipt (quittance) shows; `exports.receipt.render_receipt` reads it."""

    payment_id: int
    regie_name: str
    regie_address: str
    receipt_number: int
    created_at: datetime
    business_day: date
    family_id: int
    family_number: int
    family_name: str
    payer_name: str
    kind: str
    mode: str
    amount_cents: int
    agent_name: str
    cheque_number: str | None = None
    cheque_bank: str | None = None
    cheque_drawer: str | None = None
    reference: str | None = None
    regisseur_name: str = ""  # the régie's set-up (G1): printed under its address
    reason: str | None = None
    reverses_receipt: int | None = None
    solde_after_cents: int | None = None

    @property
    def family_number_text(self) -> str:
        return format_family_number(self.family_number)


@dataclass(frozen=True)
class JournalEntry(EntryLabels):
    payment_id: int
    receipt_number: int
    created_at: datetime
    family_id: int
    family_number: int
    family_name: str
    kind: str
    mode: str
    amount_cents: int
    agent: str
    payer_name: str
    cheque_number: str | None
    cheque_bank: str | None
    cheque_drawer: str | None
    reference: str | None
    reason: str | None
    reverses_receipt: int | None
    reversed_by_receipt: int | None

    @property
    def family_number_text(self) -> str:
        return format_family_number(self.family_number)

    @property
    def time_text(self) -> str:
        return self.created_at.strftime("%H:%M")


@dataclass(frozen=True)
class ModeTotal:
    mode: str
    count: int
    payments_cents: int  # money in
    corrections_cents: int  # reversals and refunds (signed)

    @property
    def label(self) -> str:
        return mode_label(self.mode)

    @property
    def net_cents(self) -> int:
        return self.payments_cents + self.corrections_cents


@dataclass(frozen=True)
class Closing:
    day: date
    expected_cash_cents: int
    counted_cash_cents: int
    note: str | None
    closed_at: datetime
    closed_by: str

    @property
    def difference_cents(self) -> int:
        """Counted minus expected: positive is a surplus, negative a shortfall."""
        return self.counted_cash_cents - self.expected_cash_cents


@dataclass(frozen=True)
class DayJournal:
    regie_id: int
    regie_name: str
    day: date
    entries: tuple[JournalEntry, ...]
    totals: tuple[ModeTotal, ...]
    cheques: tuple[JournalEntry, ...]
    expected_cash_cents: int
    closing: Closing | None
    regisseur_name: str = ""  # the régie's set-up (G1): named where the régisseur signs

    @property
    def is_closed(self) -> bool:
        return self.closing is not None

    @property
    def total_cents(self) -> int:
        return sum(e.amount_cents for e in self.entries)

    @property
    def payments_cents(self) -> int:
        return sum(e.amount_cents for e in self.entries if e.kind == "payment")

    @property
    def corrections_cents(self) -> int:
        return sum(e.amount_cents for e in self.entries if e.kind != "payment")

    @property
    def cheques_total_cents(self) -> int:
        return sum(e.amount_cents for e in self.cheques)

    def difference(self, counted_cents: int) -> int:
        return counted_cents - self.expected_cash_cents
