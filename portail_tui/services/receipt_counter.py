"""The régie's receipt counter and the closed-day rule: how an entry gets its number (B4).

Receipt numbers are gapless and unique across processes because the number is taken
by a conditional UPDATE of the régie's counter row inside the same transaction as the
INSERT: the row lock serialises concurrent cash desks (PostgreSQL) or the write lock
does (SQLite), and a rolled-back payment rolls its number back with it. Taking the
number first also serialises the checks that follow (closed day, refundable balance,
the family's cash of the day against the ceiling) against the other desks and the day
closing, which lock the same row; the payment's chain digest (payment_chain) is read
and written under it too, so each entry chains onto the one really before it.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, text
from sqlmodel import Session, col

from portail_tui.domain.frdates import format_date_long
from portail_tui.models import CashDay
from portail_tui.services.context import ServiceError


def is_day_closed(session: Session, regie_id: int, day: date) -> bool:
    return session.execute(
        select(col(CashDay.id)).where(col(CashDay.regie_id) == regie_id, col(CashDay.day) == day)
    ).first() is not None


def next_receipt_number(session: Session, regie_id: int) -> int:
    """Increment the régie's counter and read it back, in the caller's transaction.

    The row lock taken by the UPDATE is held until commit, so concurrent desks queue
    here; a rollback gives the number back, so numbers stay gapless."""
    params = {"r": regie_id}
    bump = text(
        "UPDATE receipt_counter SET last_number = last_number + 1 WHERE regie_id = :r RETURNING last_number"
    )
    number = session.execute(bump, params).scalar()
    if number is None:
        # First entry of this régie: create the counter, then take the number.
        ensure_counter(session, regie_id)
        number = session.execute(bump, params).scalar_one()
    return int(number)


def ensure_counter(session: Session, regie_id: int) -> None:
    """Create the régie's counter if missing (starting after any number already used),
    tolerating another process doing the same at the same time."""
    session.execute(
        text(
            "INSERT INTO receipt_counter (regie_id, last_number) "
            "SELECT :r, COALESCE(MAX(receipt_number), 0) FROM payment WHERE regie_id = :r "
            "ON CONFLICT (regie_id) DO NOTHING"
        ),
        {"r": regie_id},
    )


def lock_cash_desk(session: Session, regie_id: int) -> None:
    """Take the same row lock as a payment without using a number (day closing)."""
    ensure_counter(session, regie_id)
    session.execute(
        text("UPDATE receipt_counter SET last_number = last_number WHERE regie_id = :r"), {"r": regie_id}
    )


def refuse_closed_day(session: Session, regie_id: int, day: date) -> None:
    if is_day_closed(session, regie_id, day):
        raise ServiceError(
            f"La caisse du {format_date_long(day)} est clôturée : aucune écriture ne peut plus "
            "être datée de ce jour.",
        )
