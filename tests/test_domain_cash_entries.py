"""The receipt and journal types live once, in domain, and the exports take them as they are."""

from __future__ import annotations

import typing
from datetime import date, datetime

from portail_tui.domain.cash_entries import (
    Closing,
    DayJournal,
    JournalEntry,
    Receipt,
    format_family_number,
    kind_label,
    mode_label,
)
from portail_tui.exports import journal, receipt
from portail_tui.services import cashdesk, families, payments


def test_exports_take_the_real_types_not_a_copy_of_their_fields() -> None:
    assert typing.get_type_hints(receipt.receipt_lines)["r"] is Receipt
    assert typing.get_type_hints(receipt.render_receipt)["receipt"] is Receipt
    assert typing.get_type_hints(journal.journal_report)["journal"] is DayJournal
    assert typing.get_type_hints(journal.entry_remark)["e"] is JournalEntry
    assert not hasattr(receipt, "ReceiptLike") and not hasattr(journal, "JournalLike")


def test_services_keep_their_old_names() -> None:
    assert payments.Receipt is Receipt
    assert cashdesk.DayJournal is DayJournal and cashdesk.Closing is Closing
    assert families.format_family_number is format_family_number
    assert payments.mode_label is mode_label and payments.kind_label is kind_label


def test_labels_and_numbers() -> None:
    assert format_family_number(42) == "000042"
    assert mode_label("cheque") == "Chèque" and mode_label("inconnu") == "inconnu"
    assert kind_label("reversal") == "Annulation"


def test_receipt_renders_from_the_domain_type() -> None:
    r = Receipt(
        payment_id=1, regie_name="Régie", regie_address="1 rue", receipt_number=7,
        created_at=datetime(2026, 11, 2, 9, 5), business_day=date(2026, 11, 2), family_id=1,
        family_number=12, family_name="MARTIN", payer_name="Anne Martin", kind="payment",
        mode="cheque", amount_cents=1250, agent_name="Agent", cheque_number="123",
    )
    assert ("Compte famille", "n° 000012 — MARTIN") in receipt.receipt_lines(r)
    assert receipt.render_receipt(r).startswith(b"%PDF")


def test_closing_difference() -> None:
    c = Closing(date(2026, 11, 2), 1000, 900, None, datetime(2026, 11, 2, 18), "R")
    assert c.difference_cents == -100
