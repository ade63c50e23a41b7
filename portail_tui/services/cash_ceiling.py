"""The cash ceiling (article 1680 du CGI): cash a family hands over is capped per
payment and per family and business day, so one sum cannot be split into several
receipts to pass under it.

The day's cash of a family is its cash payments of that business day net of their
reversals; refunds give money back but do not raise what may still be paid in cash.
The cumulative check runs after the receipt number is taken (`take_payment`), under
the receipt counter's lock, so two desks cannot both pass it with the same allowance.
A régisseur may exceed the ceiling with a reason: the payment goes through and an
audit row records who, why and the amounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from portail_tui.domain.money import format_amount
from portail_tui.models import Payment
from portail_tui.services.context import Actor, PermissionDenied, ServiceError
from portail_tui.services.permissions import allowed

CASH = "especes"
CASH_LAW = "article 1680 du Code général des impôts"
# Who may exceed the ceiling (with a reason, audited): permissions.RULES says which roles.
OVERRIDE_ACTION = "payment.cash_override"


def cash_limit_refusal(limit_cents: int, mode: str, amount_cents: int, already_cents: int = 0) -> str | None:
    """The reason this cash is refused, or None when allowed; screens show it next to
    the amount before anything is sent (`already_cents`: the family's cash of the day,
    PaymentSetup.cash_paid_today_cents)."""
    if mode != CASH or already_cents + amount_cents <= limit_cents:
        return None
    if amount_cents > limit_cents or already_cents <= 0:
        return (
            f"Paiement en espèces refusé : {format_amount(amount_cents)} dépasse le plafond de "
            f"{format_amount(limit_cents)} par règlement ({CASH_LAW}). "
            "Proposez un chèque, une carte ou un virement."
        )
    remaining = max(0, limit_cents - already_cents)
    still = (f"Encore possible en espèces aujourd'hui : {format_amount(remaining)}." if remaining
             else "Plus aucun paiement en espèces n'est possible aujourd'hui pour cette famille.")
    return (
        f"Paiement en espèces refusé : cette famille a déjà réglé {format_amount(already_cents)} en espèces"
        f" aujourd'hui ; avec {format_amount(amount_cents)}, le total"
        f" ({format_amount(already_cents + amount_cents)}) dépasserait le plafond de"
        f" {format_amount(limit_cents)} par jour ({CASH_LAW}). {still}"
        " Proposez un chèque, une carte ou un virement ; seul un régisseur peut autoriser un dépassement,"
        " avec un motif."
    )


def family_cash_of_day(session: Session, family_id: int, day: date) -> int:
    """Cash the family paid on `day`, net of the reversals of those payments."""
    paid = session.execute(
        select(func.coalesce(func.sum(col(Payment.amount_cents)), 0)).where(
            col(Payment.family_id) == family_id, col(Payment.kind) == "payment",
            col(Payment.mode) == CASH, col(Payment.business_day) == day)
    ).scalar_one()
    original = aliased(Payment)
    reversed_ = session.execute(
        select(func.coalesce(func.sum(col(Payment.amount_cents)), 0))
        .join(original, col(original.id) == col(Payment.reverses_id))
        .where(col(Payment.kind) == "reversal", col(original.family_id) == family_id,
               col(original.kind) == "payment", col(original.mode) == CASH,
               col(original.business_day) == day)
    ).scalar_one()
    return int(paid) + int(reversed_)


@dataclass(frozen=True)
class CeilingExcess:
    """A cash payment that takes the family's day above the ceiling."""

    already_cents: int
    amount_cents: int
    limit_cents: int

    @property
    def total_cents(self) -> int:
        return self.already_cents + self.amount_cents

    def audit_details(self) -> dict[str, object]:
        return {
            "ceiling_exceeded": True, "already_cents": self.already_cents, "amount_cents": self.amount_cents,
            "total_cents": self.total_cents, "limit_cents": self.limit_cents,
            "excess_cents": self.total_cents - self.limit_cents,
        }


def check_override(actor: Actor, reason: str | None) -> None:
    """Refuse an override asked by someone who may not grant it (before any write)."""
    if reason is not None and not allowed(actor, OVERRIDE_ACTION):
        raise PermissionDenied(
            "Votre rôle ne permet pas de dépasser le plafond des paiements en espèces : seul un régisseur"
            " peut l'autoriser, avec un motif."
        )


def day_excess(session: Session, *, limit_cents: int, family_id: int, mode: str, amount_cents: int,
               day: date) -> CeilingExcess | None:
    """The excess this payment would make, None when within the ceiling. Call it after
    taking the receipt number (under the counter's lock)."""
    if mode != CASH:
        return None
    already = family_cash_of_day(session, family_id, day)
    if already + amount_cents <= limit_cents:
        return None
    return CeilingExcess(already, amount_cents, limit_cents)


def refuse_excess(excess: CeilingExcess) -> None:
    message = cash_limit_refusal(excess.limit_cents, CASH, excess.amount_cents, excess.already_cents)
    raise ServiceError(message or "Plafond des espèces dépassé.", field="montant")
