"""Wallet figures (R6, R7), computed from immutable entries every time — never from a
stored running total that could drift.

This module is the single source of the figures the header, the Paiement and Solde
screens, the payment confirmation and the benchmarks show: solde, coût estimé,
montant proposé and nouveau solde (`new_balance`), plus the lists that explain the
solde. What counts as consumed is services/consumption.py's condition (R6).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Date,
    Integer,
    TextClause,
    and_,
    bindparam,
    case,
    func,
    literal_column,
    or_,
    select,
    text,
)
from sqlmodel import Session, col

from portail_tui.models import (
    Activity,
    Booking,
    Child,
    Family,
    OpeningBalance,
    Payment,
    Period,
    Regie,
)
from portail_tui.services import consumption
from portail_tui.services.consumption import (  # re-exported: booking.py and tests import them from here
    CONSUMPTION_WINDOW_DAYS as CONSUMPTION_WINDOW_DAYS,
)
from portail_tui.services.consumption import consumption_limit as consumption_limit
from portail_tui.services.context import Context, ServiceError
from portail_tui.services.families import family_in_regie
from portail_tui.services.opening_balance import OpeningEntry, opening_entry

# Default "Calcul des réservations jusqu'au": the booking horizon (R1), so the estimate
# covers everything that can already be booked.
DEFAULT_ESTIMATE_DAYS = 60
# How far past the 15-day window the Solde screen looks for bookings about to enter it.
UPCOMING_DAYS = 14

BOOKING_TYPES = ("confirmed", "waiting")
BOOKING_TYPE_LABELS = {"confirmed": "Confirmées", "waiting": "En attente"}


def default_until(today: date) -> date:
    return today + timedelta(days=DEFAULT_ESTIMATE_DAYS)


# --- the formula (pure) --------------------------------------------------------
# Two figures follow a payment and must not be confused: the solde once the money is
# in (solde + montant, what the receipt prints) and R7's nouveau solde, named
# `new_balance` in code (solde − coût estimé + montant, what the Paiement screen shows).

def proposed_amount(solde_cents: int, estimated_cents: int) -> int:
    """R7: what brings the nouveau solde back to zero when it would be negative, else 0."""
    return max(0, estimated_cents - solde_cents)


def new_balance(solde_cents: int, estimated_cents: int, amount_cents: int) -> int:
    """R7: nouveau solde = solde − coût estimé + montant du règlement."""
    return solde_cents - estimated_cents + amount_cents


def solde_after(solde_cents: int, amount_cents: int) -> int:
    """The solde (paid − consumed) once this entry is recorded: no estimate in it."""
    return solde_cents + amount_cents


@dataclass(frozen=True)
class PaymentOutlook:
    """What a payment of `amount_cents` leads to, for the Paiement screen, its
    confirmation dialog and the receipt dialog to show the same two figures."""

    amount_cents: int
    solde_after_cents: int  # solde + montant: the wallet once the payment is recorded
    new_balance_cents: int  # R7 « nouveau solde »: solde − coût estimé + montant


@dataclass(frozen=True)
class WalletFigures:
    """One row of the guide's table: Porte-monnaie | Solde | Coût estimé | Montant | Nouveau solde."""

    family_id: int
    today: date
    until: date
    types: tuple[str, ...]
    paid_cents: int
    consumed_cents: int
    estimated_cents: int
    wallet_label: str = ""
    # The balance brought from the town's previous software (« reprise de solde »,
    # opening_balance.py): signed, neither paid nor consumed, part of the solde.
    opening_cents: int = 0

    @property
    def solde_cents(self) -> int:
        return self.opening_cents + self.paid_cents - self.consumed_cents

    @property
    def proposed_cents(self) -> int:
        return proposed_amount(self.solde_cents, self.estimated_cents)

    def new_balance_cents(self, amount_cents: int | None = None) -> int:
        """R7 « nouveau solde ». With no amount, the proposed one (the guide's default)."""
        amount = self.proposed_cents if amount_cents is None else amount_cents
        return new_balance(self.solde_cents, self.estimated_cents, amount)


def payment_outlook(figures: WalletFigures, amount_cents: int) -> PaymentOutlook:
    """Both figures that follow a payment, computed here so no screen adds them itself."""
    return PaymentOutlook(
        amount_cents=amount_cents,
        solde_after_cents=solde_after(figures.solde_cents, amount_cents),
        new_balance_cents=figures.new_balance_cents(amount_cents),
    )


# --- queries -------------------------------------------------------------------

def _clean_types(types: Iterable[str]) -> tuple[str, ...]:
    result = tuple(t for t in BOOKING_TYPES if t in set(types))
    unknown = set(types) - set(BOOKING_TYPES)
    if unknown:
        raise ServiceError(f"Type de réservation inconnu : {', '.join(sorted(unknown))}.", field="types")
    return result


def paid_cents(session: Session, family_id: int) -> int:
    """Sum of every entry: payments positive, refunds negative, reversals of the opposite sign."""
    total = session.execute(
        select(func.coalesce(func.sum(col(Payment.amount_cents)), 0)).where(col(Payment.family_id) == family_id)
    ).scalar_one()
    return int(total)


def consumed_cents(session: Session, family_id: int, today: date) -> int:
    """Confirmed bookings dated up to today + 15 days, at their frozen prices. A period
    booking is consumed from its first day."""
    return figures(session, family_id, today, until=today, types=()).consumed_cents


def solde_cents(session: Session, family_id: int, today: date) -> int:
    """solde = reprise de solde + paid − consumed (R7)."""
    return figures(session, family_id, today, until=today, types=()).solde_cents


def _placeholder(name: str) -> ColumnElement[Any]:
    return literal_column(f":{name}")


def _figures_statement() -> TextClause:
    """paid, consumed and coût estimé of one family in one statement, built from
    consumption.py's conditions (R6 and its complement) and rendered once to SQL text at
    import: building or even re-running a SQLAlchemy expression costs more than the
    query itself (the budget is 3 ms p95 for solde and coût estimé together). The
    placeholders stay as text (`:limit`…) so constants render inline and the text is
    what the database plans; their types are declared on the text statement."""
    family_id, limit, until = _placeholder("family_id"), _placeholder("limit"), _placeholder("until")
    with_confirmed, with_waiting = _placeholder("with_confirmed"), _placeholder("with_waiting")
    day = consumption.booking_day()
    status, price = col(Booking.status), col(Booking.price_cents)
    estimated = and_(
        or_(and_(status == "confirmed", with_confirmed), and_(status == "waiting", with_waiting)),
        consumption.after_window(limit, day),
        day <= until,
    )
    wallet_label = (
        select(col(Regie.name)).join_from(Family, Regie, col(Regie.id) == col(Family.regie_id))
        .where(col(Family.id) == family_id).scalar_subquery()
    )
    paid = (
        select(func.coalesce(func.sum(col(Payment.amount_cents)), 0))
        .where(col(Payment.family_id) == family_id).scalar_subquery()
    )
    opening = (
        select(func.coalesce(func.sum(col(OpeningBalance.amount_cents)), 0))
        .where(col(OpeningBalance.family_id) == family_id).scalar_subquery()
    )
    stmt = (
        select(
            wallet_label.label("wallet_label"),
            paid.label("paid"),
            opening.label("opening"),
            func.coalesce(func.sum(case((consumption.consumed(limit, day), price), else_=0)), 0).label("consumed"),
            func.coalesce(func.sum(case((estimated, price), else_=0)), 0).label("estimated"),
        )
        .select_from(Booking)
        .outerjoin(Period, col(Period.id) == col(Booking.period_id))
        .where(col(Booking.family_id) == family_id, status != "cancelled")
    )
    sql = str(stmt.compile(compile_kwargs={"literal_binds": True}))
    return text(sql).bindparams(
        bindparam("family_id", type_=Integer),
        bindparam("limit", type_=Date),
        bindparam("until", type_=Date),
        bindparam("with_confirmed", type_=Boolean),
        bindparam("with_waiting", type_=Boolean),
    )


_FIGURES = _figures_statement()


def figures(
    session: Session,
    family_id: int,
    today: date,
    *,
    until: date | None = None,
    types: Iterable[str] = ("confirmed",),
) -> WalletFigures:
    """paid, consumed and coût estimé in one round trip.

    coût estimé: bookings of the chosen types dated after the 15-day window up to
    `until` (included). Cancelled bookings never count; waiting ones only when asked
    for, and never as consumed (R6). A period booking counts from its first day."""
    kinds = _clean_types(types)
    limit = consumption_limit(today)
    until = default_until(today) if until is None else until
    row = session.connection().execute(
        _FIGURES,
        {
            "family_id": family_id,
            "limit": limit,
            "until": until,
            "with_confirmed": "confirmed" in kinds,
            "with_waiting": "waiting" in kinds,
        },
    ).one()
    return WalletFigures(
        family_id=family_id,
        today=today,
        until=until,
        types=kinds,
        paid_cents=int(row.paid or 0),
        consumed_cents=int(row.consumed or 0),
        estimated_cents=int(row.estimated or 0),
        wallet_label=row.wallet_label or "",
        opening_cents=int(row.opening or 0),
    )


def family_solde(ctx: Context, family_id: int) -> int:
    today = ctx.clock.today()

    def _work(session: Session) -> int:
        family_in_regie(session, ctx.actor, family_id)
        return solde_cents(session, family_id, today)

    return ctx.db.read(_work)


def wallet_figures(
    ctx: Context,
    family_id: int,
    *,
    until: date | None = None,
    types: Iterable[str] = ("confirmed",),
) -> WalletFigures:
    """The Paiement screen's figures for one family; `until` is "Calcul des réservations
    jusqu'au" (default: the booking horizon), `types` the checked boxes."""
    today = ctx.clock.today()
    types = tuple(types)
    if until is not None and until < today:
        raise ServiceError("La date de calcul ne peut pas être dans le passé.", field="until")

    def _work(session: Session) -> WalletFigures:
        family_in_regie(session, ctx.actor, family_id)
        result = figures(session, family_id, today, until=until, types=types)
        if not result.wallet_label:
            raise ServiceError("Famille introuvable.")
        return result

    return ctx.db.read(_work)


# --- the Solde screen: the lists behind the figures ----------------------------

@dataclass(frozen=True)
class PaidLine:
    """One entry of the wallet (payment, reversal or refund)."""

    payment_id: int
    receipt_number: int
    created_at: datetime
    business_day: date
    kind: str
    mode: str
    amount_cents: int
    payer_name: str
    reason: str | None
    reverses_receipt: int | None
    reversed_by_receipt: int | None
    created_by: str

    @property
    def is_reversed(self) -> bool:
        return self.reversed_by_receipt is not None


@dataclass(frozen=True)
class BookingLine:
    """A booking behind the consumed total or about to enter it."""

    booking_id: int
    day: date
    child: str
    activity: str
    status: str
    price_cents: int

    @property
    def enters_on(self) -> date:
        """The day this booking becomes consumed (enters the 15-day window)."""
        return self.day - timedelta(days=CONSUMPTION_WINDOW_DAYS)


@dataclass(frozen=True)
class SoldeDetails:
    figures: WalletFigures
    paid: tuple[PaidLine, ...]
    consumed: tuple[BookingLine, ...]
    upcoming: tuple[BookingLine, ...]
    opening: OpeningEntry | None = None  # the reprise de solde, when the family has one

    @property
    def upcoming_cents(self) -> int:
        return sum(b.price_cents for b in self.upcoming if b.status == "confirmed")


def payment_lines(session: Session, family_id: int) -> list[PaidLine]:
    """Every entry of a family's wallet, newest first, each reversal linked both ways."""
    rows = list(
        session.execute(
            select(Payment).where(col(Payment.family_id) == family_id).order_by(
                col(Payment.created_at).desc(), col(Payment.id).desc()
            )
        ).scalars()
    )
    by_id = {p.id: p for p in rows}
    reversed_by = {p.reverses_id: p.receipt_number for p in rows if p.reverses_id is not None}
    lines = []
    for p in rows:
        if p.id is None:  # not possible for a stored row; narrows the type
            continue
        target = by_id.get(p.reverses_id) if p.reverses_id is not None else None
        lines.append(PaidLine(
            payment_id=p.id,
            receipt_number=p.receipt_number,
            created_at=p.created_at,
            business_day=p.business_day,
            kind=p.kind,
            mode=p.mode,
            amount_cents=p.amount_cents,
            payer_name=p.payer_name,
            reason=p.reason,
            reverses_receipt=target.receipt_number if target is not None else None,
            reversed_by_receipt=reversed_by.get(p.id),
            created_by=p.created_by,
        ))
    return lines


def _booking_lines(session: Session, family_id: int, *conditions: ColumnElement[bool]) -> list[BookingLine]:
    day = consumption.booking_day()
    label = func.coalesce(col(Period.label), col(Activity.label))
    rows = session.execute(
        select(col(Booking.id), day.label("d"), col(Child.first_name), col(Child.last_name),
               col(Activity.label), col(Period.label), col(Booking.status), col(Booking.price_cents))
        .select_from(Booking)
        .join(Child, col(Child.id) == col(Booking.child_id))
        .join(Activity, col(Activity.id) == col(Booking.activity_id))
        .outerjoin(Period, col(Period.id) == col(Booking.period_id))
        .where(col(Booking.family_id) == family_id, *conditions)
        .order_by(day, label, col(Child.first_name))
    ).all()
    lines = []
    for bid, d, first, last, activity, period, status, price in rows:
        name = activity if period is None else f"{activity} — {period}"
        lines.append(BookingLine(bid, d, f"{first} {last}", name, status, price))
    return lines


def solde_details(ctx: Context, family_id: int) -> SoldeDetails:
    """The balance explained: total paid and its entries, total consumed and its
    bookings, and the bookings entering the 15-day window in the next two weeks."""
    today = ctx.clock.today()
    limit = consumption_limit(today)
    horizon = limit + timedelta(days=UPCOMING_DAYS)

    def _work(session: Session) -> SoldeDetails:
        family_in_regie(session, ctx.actor, family_id)
        fig = figures(session, family_id, today, until=horizon, types=("confirmed",))
        consumed = _booking_lines(session, family_id, consumption.consumed(limit))
        upcoming = _booking_lines(
            session, family_id, col(Booking.status).in_(BOOKING_TYPES),
            consumption.after_window(limit), consumption.booking_day() <= horizon,
        )
        return SoldeDetails(
            figures=fig,
            paid=tuple(payment_lines(session, family_id)),
            consumed=tuple(reversed(consumed)),
            upcoming=tuple(upcoming),
            opening=opening_entry(session, family_id) if fig.opening_cents else None,
        )

    return ctx.db.read(_work)
