"""Règlements of one month (R9): every wallet entry created in the month, with the
reversal marks that link an entry to the one cancelling it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import bindparam, select
from sqlmodel import Session, col

from portail_tui.clock import PARIS
from portail_tui.models import OpeningBalance, Payment
from portail_tui.services.context import Context
from portail_tui.services.history.families import FamilyRef, family_ref
from portail_tui.services.history.months import Month, check_month
from portail_tui.services.opening_balance import opening_label
from portail_tui.services.payments import EntryLabels

OPENING_KIND = "reprise"


@dataclass(frozen=True)
class PaymentLine(EntryLabels):
    """A wallet entry of the month; an opening balance (« reprise de solde ») too, with
    no payment, no receipt number and `opening_on` its date."""

    payment_id: int
    receipt_number: int | None
    at: datetime
    kind: str
    mode: str
    amount_cents: int
    cheque_number: str = ""
    reference: str = ""  # PayFiP or transfer reference
    # Reversal marks: the entry that cancelled this one, or the one this entry cancels.
    reversed_by_receipt: int | None = None
    reverses_receipt: int | None = None
    opening_on: date | None = None

    @property
    def kind_label(self) -> str:
        if self.opening_on is not None:
            return opening_label(self.opening_on)
        return super().kind_label

    @property
    def mode_text(self) -> str:
        """"Chèque n° 1234567" for a cheque, the mode's label otherwise."""
        return f"{self.mode_label} n° {self.cheque_number}" if self.cheque_number else self.mode_label

    @property
    def observation(self) -> str:
        """The reversal mark, else the payment's reference."""
        return self.mark or self.reference

    @property
    def mark(self) -> str:
        if self.reverses_receipt is not None:
            return f"annule la quittance n° {self.reverses_receipt}"
        if self.reversed_by_receipt is not None:
            return f"annulé par la quittance n° {self.reversed_by_receipt}"
        return ""


@dataclass(frozen=True)
class PaymentHistory:
    family: FamilyRef
    month: Month
    lines: tuple[PaymentLine, ...]

    @property
    def total_cents(self) -> int:
        return sum(line.amount_cents for line in self.lines)


def _month_bounds(month: Month) -> tuple[datetime, datetime]:
    return (datetime.combine(month.first_day, time(0, 0), tzinfo=PARIS),
            datetime.combine(month.next_first_day, time(0, 0), tzinfo=PARIS))


def payment_lines_for(
    session: Session, family_ids: Sequence[int], month: Month
) -> dict[int, list[PaymentLine]]:
    """Entries created during the month, per family, in receipt order. Reversal marks
    look outside the month too (a November payment reversed in December says so).

    One indexed query per family: with a long IN list, SQLite's planner (no statistics)
    would rather scan the whole month of the town for every chunk of the batch."""
    start, end = _month_bounds(month)
    created_at, receipt_number, reverses_id = (col(Payment.created_at), col(Payment.receipt_number),
                                               col(Payment.reverses_id))
    stmt = (
        select(col(Payment.id), col(Payment.family_id), receipt_number, created_at, col(Payment.kind),
               col(Payment.mode), col(Payment.amount_cents), col(Payment.cheque_number),
               col(Payment.reference), reverses_id)
        .where(col(Payment.family_id) == bindparam("fid"), created_at >= start, created_at < end)
        .order_by(created_at, receipt_number)
    )
    rows = [r for fid in family_ids for r in session.execute(stmt, {"fid": fid})]
    out: dict[int, list[PaymentLine]] = _opening_lines(session, family_ids, month)
    if not rows:
        return out
    ids = [r.id for r in rows]
    reversed_by: dict[int, int] = {
        r[0]: r[1]
        for r in session.execute(select(reverses_id, receipt_number).where(reverses_id.in_(ids))).all()
    }
    target_ids = [r.reverses_id for r in rows if r.reverses_id is not None]
    receipts_of: dict[int, int] = {
        r[0]: r[1]
        for r in session.execute(
            select(col(Payment.id), receipt_number).where(col(Payment.id).in_(target_ids))
        ).all()
    } if target_ids else {}
    for r in rows:
        out.setdefault(r.family_id, []).append(
            PaymentLine(
                payment_id=r.id,
                receipt_number=r.receipt_number,
                at=r.created_at.astimezone(PARIS),
                kind=r.kind,
                mode=r.mode,
                amount_cents=r.amount_cents,
                cheque_number=r.cheque_number or "",
                reference=r.reference or "",
                reversed_by_receipt=reversed_by.get(r.id),
                reverses_receipt=receipts_of.get(r.reverses_id) if r.reverses_id else None,
            )
        )
    for lines in out.values():
        lines.sort(key=lambda ln: (ln.at, ln.receipt_number or 0))
    return out


# Up to this many families, their opening balances are read by family id; a batch of
# the whole town reads the month's opening balances and keeps its families'.
_OPENING_BY_ID = 500


def _opening_lines(session: Session, family_ids: Sequence[int], month: Month) -> dict[int, list[PaymentLine]]:
    """The opening balances dated in the month, as « Reprise de solde au JJ/MM/AAAA » lines."""
    as_of = col(OpeningBalance.as_of)
    stmt = select(col(OpeningBalance.family_id), col(OpeningBalance.amount_cents), as_of).where(
        as_of >= month.first_day, as_of < month.next_first_day)
    wanted = set(family_ids)
    if len(wanted) <= _OPENING_BY_ID:
        stmt = stmt.where(col(OpeningBalance.family_id).in_(wanted))
    out: dict[int, list[PaymentLine]] = {}
    for fid, cents, day in session.execute(stmt).all():
        if fid in wanted:
            out.setdefault(fid, []).append(PaymentLine(
                payment_id=0, receipt_number=None, at=datetime.combine(day, time(0, 0), tzinfo=PARIS),
                kind=OPENING_KIND, mode="", amount_cents=cents, opening_on=day))
    return out


def payment_history(ctx: Context, family_id: int, month: Month) -> PaymentHistory:
    check_month(month, ctx.clock.today())

    def _work(session: Session) -> PaymentHistory:
        family = family_ref(session, ctx, family_id)
        lines = payment_lines_for(session, [family_id], month).get(family_id, [])
        return PaymentHistory(family=family, month=month, lines=tuple(lines))

    return ctx.db.read(_work)
