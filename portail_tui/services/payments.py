"""Money in and out of family wallets at the cash desk (R7, B4, B5).

Every entry is a new, immutable row with the régie's next receipt number: a payment,
a reversal (annulation, pointing at the entry it cancels) or a refund. Nothing is ever
updated or deleted — the database refuses it too.

Receipt numbers are gapless and unique across processes: see `receipt_counter`, which
also keeps a closed day closed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

# The entry types and labels live in domain (exports render them); re-exported here.
from portail_tui.domain.cash_entries import KIND_LABELS as KIND_LABELS
from portail_tui.domain.cash_entries import MODE_LABELS as MODE_LABELS
from portail_tui.domain.cash_entries import EntryLabels as EntryLabels
from portail_tui.domain.cash_entries import Receipt as Receipt
from portail_tui.domain.cash_entries import format_family_number
from portail_tui.domain.cash_entries import kind_label as kind_label
from portail_tui.domain.cash_entries import mode_label as mode_label
from portail_tui.domain.frdates import format_date_long
from portail_tui.domain.money import format_amount
from portail_tui.models import Agent, Family, Guardian, Payment, Regie, id_of
from portail_tui.services import audit, outbox
from portail_tui.services.cash_ceiling import CASH_LAW as CASH_LAW
from portail_tui.services.cash_ceiling import cash_limit_refusal as cash_limit_refusal
from portail_tui.services.cash_ceiling import (
    check_override,
    day_excess,
    family_cash_of_day,
    refuse_excess,
)
from portail_tui.services.context import Actor, Context, ServiceError
from portail_tui.services.families import family_in_regie
from portail_tui.services.payment_chain import seal
from portail_tui.services.permissions import require
from portail_tui.services.receipt_counter import ensure_counter as ensure_counter
from portail_tui.services.receipt_counter import is_day_closed as is_day_closed
from portail_tui.services.receipt_counter import lock_cash_desk as lock_cash_desk
from portail_tui.services.receipt_counter import next_receipt_number as next_receipt_number
from portail_tui.services.receipt_counter import refuse_closed_day as refuse_closed_day
from portail_tui.services.wallet import PaidLine, payment_lines, solde_cents

# PayFiP payments are recorded by the platform's notification, never typed at the desk.
AUTOMATIC_MODES = ("payfip",)
REFUND_MODES = ("especes", "cheque", "virement")
# A sane upper bound for one entry: beyond it, a typo (40000 for 40,00) is more likely
# than a real payment.
MAX_PAYMENT_CENTS = 1_000_000
MAX_REASON = 300
_CHEQUE_RE = re.compile(r"[0-9]{1,20}")


# --- what the screens get back ---------------------------------------------------

@dataclass(frozen=True)
class PaymentSetup:
    """What the Paiement screen needs before the agent types anything."""

    family_id: int
    regie_name: str
    modes: tuple[tuple[str, str], ...]  # (code, label) the desk can take
    refund_modes: tuple[tuple[str, str], ...]
    default_payer: str
    email: str
    cash_limit_cents: int
    payfip_enabled: bool
    day_closed: bool
    cash_paid_today_cents: int = 0  # counts toward the daily cash ceiling (cash_limit_refusal)


# --- validation helpers ---------------------------------------------------------

def enabled_modes(regie: Regie) -> tuple[str, ...]:
    codes = [m.strip() for m in (regie.payment_modes or "").split(",") if m.strip()]
    return tuple(m for m in MODE_LABELS if m in codes)


def check_amount(amount_cents: int, *, field: str = "montant") -> int:
    if not isinstance(amount_cents, int) or isinstance(amount_cents, bool):
        raise ServiceError("Montant invalide.", field=field)
    if amount_cents <= 0:
        raise ServiceError("Le montant doit être supérieur à zéro.", field=field)
    if amount_cents > MAX_PAYMENT_CENTS:
        raise ServiceError(
            f"Montant trop élevé (maximum {format_amount(MAX_PAYMENT_CENTS)} par règlement).", field=field
        )
    return amount_cents


def check_cash_limit(regie: Regie, mode: str, amount_cents: int) -> None:
    """One payment over the ceiling, whatever the day holds (refunds use it too)."""
    refusal = cash_limit_refusal(regie.cash_limit_cents, mode, amount_cents)
    if refusal:
        raise ServiceError(refusal, field="montant")


def _clean(value: str | None, limit: int) -> str:
    return " ".join((value or "").split())[:limit]


def _check_reason(reason: str | None) -> str:
    cleaned = _clean(reason, MAX_REASON + 1)
    if not cleaned:
        raise ServiceError("Le motif est obligatoire.", field="motif")
    if len(cleaned) > MAX_REASON:
        raise ServiceError(f"Motif trop long ({MAX_REASON} caractères au plus).", field="motif")
    return cleaned


@dataclass(frozen=True)
class _Cheque:
    number: str | None = None
    bank: str | None = None
    drawer: str | None = None


def _check_cheque(number: str | None, bank: str | None, drawer: str | None) -> _Cheque:
    num = re.sub(r"\s", "", number or "")
    if not num:
        raise ServiceError("Le numéro du chèque est obligatoire.", field="cheque_number")
    if not _CHEQUE_RE.fullmatch(num):
        raise ServiceError("Numéro de chèque invalide : chiffres uniquement (20 au plus).",
                           field="cheque_number")
    bank_c = _clean(bank, 80)
    if not bank_c:
        raise ServiceError("La banque du chèque est obligatoire.", field="cheque_bank")
    drawer_c = _clean(drawer, 120)
    if not drawer_c:
        raise ServiceError("Le tireur du chèque (titulaire du compte) est obligatoire.",
                           field="cheque_drawer")
    return _Cheque(num, bank_c, drawer_c)


# --- loading ---------------------------------------------------------------------

def main_guardian_name(session: Session, family_id: int) -> str:
    g = session.execute(
        select(Guardian).where(col(Guardian.family_id) == family_id).order_by(col(Guardian.rank)).limit(1)
    ).scalars().first()
    if g is None:
        return ""
    return f"{g.civility} {g.first_name} {g.last_name}".strip()


def family_email(session: Session, family: Family) -> str:
    if family.email:
        return family.email
    email = session.execute(
        select(col(Guardian.email))
        .where(col(Guardian.family_id) == family.id, col(Guardian.email).is_not(None), col(Guardian.email) != "")
        .order_by(col(Guardian.rank))
        .limit(1)
    ).scalar()
    return email or ""


def payment_setup(ctx: Context, family_id: int) -> PaymentSetup:
    actor = ctx.require_actor()
    today = ctx.clock.today()

    def _work(session: Session) -> PaymentSetup:
        family = family_in_regie(session, actor, family_id)
        regie = session.get(Regie, family.regie_id)
        assert regie is not None
        modes = enabled_modes(regie)
        return PaymentSetup(
            family_id=family_id,
            regie_name=regie.name,
            modes=tuple((m, mode_label(m)) for m in modes if m not in AUTOMATIC_MODES),
            refund_modes=tuple((m, mode_label(m)) for m in modes if m in REFUND_MODES),
            default_payer=main_guardian_name(session, family_id) or family.name,
            email=family_email(session, family),
            cash_limit_cents=regie.cash_limit_cents,
            payfip_enabled="payfip" in modes and bool(regie.payfip_numcli),
            day_closed=is_day_closed(session, id_of(regie), today),
            cash_paid_today_cents=family_cash_of_day(session, family_id, today),
        )

    return ctx.db.read(_work)


def family_entries(ctx: Context, family_id: int) -> list[PaidLine]:
    """The family's wallet entries, newest first (the screen's list to reverse from)."""
    actor = ctx.require_actor()

    def _work(session: Session) -> list[PaidLine]:
        family_in_regie(session, actor, family_id)
        return payment_lines(session, family_id)

    return ctx.db.read(_work)


# --- the one way an entry is written ---------------------------------------------

def build_receipt(session: Session, payment: Payment, *, agent_name: str, today: date) -> Receipt:
    regie = session.get(Regie, payment.regie_id)
    family = session.get(Family, payment.family_id)
    assert regie is not None and family is not None
    reverses = session.get(Payment, payment.reverses_id) if payment.reverses_id else None
    return Receipt(
        payment_id=id_of(payment),
        regie_name=regie.name,
        regie_address=regie.address or "",
        regisseur_name=regie.regisseur_name or "",
        receipt_number=payment.receipt_number,
        created_at=payment.created_at,
        business_day=payment.business_day,
        family_id=id_of(family),
        family_number=family.number,
        family_name=family.name,
        payer_name=payment.payer_name,
        kind=payment.kind,
        mode=payment.mode,
        amount_cents=payment.amount_cents,
        agent_name=agent_name,
        cheque_number=payment.cheque_number,
        cheque_bank=payment.cheque_bank,
        cheque_drawer=payment.cheque_drawer,
        reference=payment.reference,
        reason=payment.reason,
        reverses_receipt=reverses.receipt_number if reverses else None,
        solde_after_cents=solde_cents(session, id_of(family), today),
    )


def _agent_name(actor: Actor) -> str:
    return actor.full_name or actor.login


def record_entry(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    regie: Regie,
    family: Family,
    kind: str,
    mode: str,
    amount_cents: int,
    payer_name: str,
    cheque: _Cheque | None = None,
    reference: str | None = None,
    reason: str | None = None,
    reverses_id: int | None = None,
    business_day: date | None = None,
    number: int | None = None,
) -> Payment:
    """Insert one entry with the next receipt number, its chain digest and its audit
    row. The caller's checks that depend on other entries must run after
    `next_receipt_number` (pass the number in) so they are serialised with the other
    desks; the digest is taken here, after the number, for the same reason."""
    day = business_day or now.date()
    if number is None:
        number = next_receipt_number(session, id_of(regie))
        refuse_closed_day(session, id_of(regie), day)
    cheque = cheque or _Cheque()
    payment = Payment(
        regie_id=id_of(regie),
        family_id=id_of(family),
        receipt_number=number,
        kind=kind,
        mode=mode,
        amount_cents=amount_cents,
        payer_name=payer_name[:120],
        cheque_number=cheque.number,
        cheque_bank=cheque.bank,
        cheque_drawer=cheque.drawer,
        reference=reference,
        reverses_id=reverses_id,
        reason=reason,
        business_day=day,
        created_at=now,
        created_by=actor.tag,
    )
    seal(session, payment)
    session.add(payment)
    session.flush()
    audit.record(
        session, at=now, actor=actor.tag, action=f"payment.{kind}", entity="payment",
        entity_id=payment.id, family_id=family.id, receipt_number=number, mode=mode,
        amount_cents=amount_cents, reverses_id=reverses_id, reason=reason, reference=reference,
    )
    return payment


def queue_confirmation(session: Session, *, family: Family, payment: Payment, regie: Regie,
                        solde_after: int, now: datetime) -> None:
    to_addr = family_email(session, family)
    if not to_addr:
        return
    if payment.kind == "reversal":
        _queue_reversal_notice(session, to_addr, family=family, reversal=payment, regie=regie,
                               solde_after=solde_after, now=now)
        return
    refund = payment.kind == "refund"
    what = "remboursement" if refund else "règlement"
    lines = [
        "Bonjour,",
        "",
        f"Nous vous confirmons {'le' if refund else 'la réception de votre'} {what} "
        f"de {format_amount(abs(payment.amount_cents))} ({mode_label(payment.mode).lower()}) "
        f"le {format_date_long(payment.business_day)}.",
        f"Quittance n° {payment.receipt_number} — compte famille n° {format_family_number(family.number)}.",
        f"Solde de votre porte-monnaie après ce {what} : {format_amount(solde_after)}.",
        "",
        "Cordialement,",
        regie.name,
    ]
    outbox.queue(
        session, now=now, kind="payment_confirmation", to_addr=to_addr,
        subject=f"{regie.name} : confirmation de votre {what} n° {payment.receipt_number}",
        body_text="\n".join(lines), family_id=family.id,
        dedup_key=f"receipt:{regie.id}:{payment.receipt_number}",
    )


def _queue_reversal_notice(session: Session, to_addr: str, *, family: Family, reversal: Payment,
                           regie: Regie, solde_after: int, now: datetime) -> None:
    """The family was told « règlement reçu, solde … »: a reversal tells them it no longer
    stands, with the new solde. The régisseur's motive is internal and is not sent."""
    original = session.get(Payment, reversal.reverses_id) if reversal.reverses_id else None
    assert original is not None
    lines = [
        "Bonjour,",
        "",
        f"Votre règlement de {format_amount(original.amount_cents)} "
        f"({mode_label(original.mode).lower()}) du {format_date_long(original.business_day)}, "
        f"quittance n° {original.receipt_number}, a été annulé le "
        f"{format_date_long(reversal.business_day)} (quittance d'annulation n° {reversal.receipt_number}).",
        f"La confirmation envoyée pour la quittance n° {original.receipt_number} n'est plus valable.",
        f"Compte famille n° {format_family_number(family.number)}.",
        f"Solde de votre porte-monnaie après cette annulation : {format_amount(solde_after)}.",
        "",
        "Pour toute question, adressez-vous à la régie.",
        "",
        "Cordialement,",
        regie.name,
    ]
    outbox.queue(
        session, now=now, kind="payment_reversal", to_addr=to_addr,
        subject=f"{regie.name} : annulation de votre règlement n° {original.receipt_number}",
        body_text="\n".join(lines), family_id=family.id,
        dedup_key=f"receipt:{regie.id}:{reversal.receipt_number}",
    )


def _desk_family(session: Session, actor: Actor, family_id: int, mode: str, amount_cents: int,
                 *, cash_limit: bool = True) -> tuple[Family, Regie]:
    """The family and its régie for money taken or given at the desk, refusing a mode the
    régie does not accept or cash over its limit (read in the transaction: the régie's
    settings may have changed since the screen loaded). `cash_limit=False`: the caller
    applies the ceiling itself (an overridden payment)."""
    family = family_in_regie(session, actor, family_id)
    regie = session.get(Regie, family.regie_id)
    assert regie is not None
    if mode not in enabled_modes(regie):
        raise ServiceError(f"La régie n'accepte pas le mode « {mode_label(mode)} ».", field="mode")
    if cash_limit:
        check_cash_limit(regie, mode, amount_cents)
    return family, regie


def _payer(session: Session, family: Family, payer_name: str | None) -> str:
    """The name typed, else the first guardian's, else the family's: a receipt always names someone."""
    return _clean(payer_name, 120) or main_guardian_name(session, id_of(family)) or family.name


def _confirmed_receipt(session: Session, payment: Payment, *, actor: Actor, family: Family, regie: Regie,
                       now: datetime) -> Receipt:
    """The receipt of an entry just recorded, with its confirmation e-mail queued in the
    same transaction (sent only if the entry is)."""
    receipt = build_receipt(session, payment, agent_name=_agent_name(actor), today=now.date())
    queue_confirmation(session, family=family, payment=payment, regie=regie,
                       solde_after=receipt.solde_after_cents or 0, now=now)
    return receipt


# --- use cases ---------------------------------------------------------------------

def take_payment(
    ctx: Context,
    family_id: int,
    *,
    amount_cents: int,
    mode: str,
    payer_name: str | None = None,
    cheque_number: str | None = None,
    cheque_bank: str | None = None,
    cheque_drawer: str | None = None,
    reference: str | None = None,
    override_reason: str | None = None,
) -> Receipt:
    """Encaisser: record a payment at the desk, queue its confirmation e-mail and return
    the receipt. Refusals (mode, amount, cash ceiling, cheque, closed day) change nothing.

    Cash is capped per payment and per family and day (services/cash_ceiling.py);
    `override_reason` is a régisseur's reason to exceed that ceiling, audited."""
    actor = require(ctx, "payment.take")
    check_override(actor, override_reason)
    override = _check_reason(override_reason) if override_reason is not None else None
    check_amount(amount_cents)
    if mode not in MODE_LABELS:
        raise ServiceError("Mode de règlement inconnu.", field="mode")
    if mode in AUTOMATIC_MODES and actor.kind != "system":
        raise ServiceError(
            "Un paiement PayFiP est enregistré automatiquement au retour de la plateforme :"
            " utilisez « Paiement CB en ligne ».", field="mode",
        )
    cheque = _check_cheque(cheque_number, cheque_bank, cheque_drawer) if mode == "cheque" else None
    ref = _clean(reference, 80) or None
    now = ctx.clock.now()

    def _work(session: Session) -> Receipt:
        family, regie = _desk_family(session, actor, family_id, mode, amount_cents, cash_limit=override is None)
        number = next_receipt_number(session, id_of(regie))  # the lock the ceiling check needs
        refuse_closed_day(session, id_of(regie), now.date())
        excess = day_excess(session, limit_cents=regie.cash_limit_cents, family_id=id_of(family), mode=mode,
                            amount_cents=amount_cents, day=now.date())
        if excess is not None and override is None:
            refuse_excess(excess)
        payer = _payer(session, family, payer_name)
        payment = record_entry(
            session, actor=actor, now=now, regie=regie, family=family, kind="payment", mode=mode,
            amount_cents=amount_cents, payer_name=payer, cheque=cheque, reference=ref, number=number,
        )
        if excess is not None:
            audit.record(session, at=now, actor=actor.tag, action="cash.ceiling_override", entity="payment",
                         entity_id=payment.id, family_id=family.id, receipt_number=number, reason=override,
                         **excess.audit_details())
        return _confirmed_receipt(session, payment, actor=actor, family=family, regie=regie, now=now)

    return ctx.db.write(_work)


def reverse_payment(ctx: Context, payment_id: int, *, reason: str) -> Receipt:
    """Annuler un règlement (régisseur): a reversal entry with its own number pointing at
    the original, which stays visible. Lands on the day it is made (R: closed days are
    never touched). The family is told by e-mail, in the same transaction."""
    actor = require(ctx, "payment.reverse")
    motif = _check_reason(reason)
    now = ctx.clock.now()

    def _work(session: Session) -> Receipt:
        original = session.get(Payment, payment_id)
        if original is None or (actor.kind != "system" and original.regie_id != actor.regie_id):
            raise ServiceError("Règlement introuvable.")
        if original.kind == "reversal":
            raise ServiceError("Une annulation ne peut pas être annulée elle-même.")
        number = next_receipt_number(session, original.regie_id)
        refuse_closed_day(session, original.regie_id, now.date())
        existing = session.execute(
            select(col(Payment.receipt_number)).where(col(Payment.reverses_id) == original.id)
        ).scalar()
        if existing is not None:
            raise ServiceError(
                f"La quittance n° {original.receipt_number} a déjà été annulée (quittance n° {existing})."
            )
        regie = session.get(Regie, original.regie_id)
        family = session.get(Family, original.family_id)
        assert regie is not None and family is not None
        cheque = _Cheque(original.cheque_number, original.cheque_bank, original.cheque_drawer)
        payment = record_entry(
            session, actor=actor, now=now, regie=regie, family=family, kind="reversal",
            mode=original.mode, amount_cents=-original.amount_cents, payer_name=original.payer_name,
            cheque=cheque, reference=original.reference, reason=motif, reverses_id=original.id,
            number=number,
        )
        return _confirmed_receipt(session, payment, actor=actor, family=family, regie=regie, now=now)

    try:
        return ctx.db.write(_work)
    except IntegrityError as exc:  # two régisseurs at the same second: the unique link wins
        if "reverses_id" in str(exc.orig):
            raise ServiceError("Ce règlement a déjà été annulé.") from None
        raise


def refund(
    ctx: Context,
    family_id: int,
    *,
    amount_cents: int,
    mode: str,
    reason: str,
    payer_name: str | None = None,
    cheque_number: str | None = None,
    cheque_bank: str | None = None,
    cheque_drawer: str | None = None,
) -> Receipt:
    """Remboursement (régisseur): money out of the wallet, at most the positive solde,
    recorded as a negative entry with its own receipt."""
    actor = require(ctx, "payment.refund")
    check_amount(amount_cents)
    motif = _check_reason(reason)
    if mode not in REFUND_MODES:
        raise ServiceError("Un remboursement se fait en espèces, par chèque ou par virement.", field="mode")
    cheque = None
    if mode == "cheque":
        # The régie's own cheque: its number is what the journal lists.
        num = re.sub(r"\s", "", cheque_number or "")
        if not num or not _CHEQUE_RE.fullmatch(num):
            raise ServiceError("Le numéro du chèque est obligatoire (chiffres uniquement).",
                               field="cheque_number")
        cheque = _Cheque(num, _clean(cheque_bank, 80) or None, _clean(cheque_drawer, 120) or None)
    now = ctx.clock.now()

    def _work(session: Session) -> Receipt:
        family, regie = _desk_family(session, actor, family_id, mode, amount_cents)
        number = next_receipt_number(session, id_of(regie))
        refuse_closed_day(session, id_of(regie), now.date())
        available = solde_cents(session, family_id, now.date())
        if available <= 0:
            raise ServiceError(f"Rien à rembourser : le solde est de {format_amount(available)}.",
                               field="montant")
        if amount_cents > available:
            raise ServiceError(
                f"Le remboursement ne peut pas dépasser le solde disponible ({format_amount(available)}).",
                field="montant",
            )
        payer = _payer(session, family, payer_name)
        payment = record_entry(
            session, actor=actor, now=now, regie=regie, family=family, kind="refund", mode=mode,
            amount_cents=-amount_cents, payer_name=payer, cheque=cheque, reason=motif, number=number,
        )
        return _confirmed_receipt(session, payment, actor=actor, family=family, regie=regie, now=now)

    return ctx.db.write(_work)


def receipt_for(ctx: Context, payment_id: int) -> Receipt:
    """A receipt again (reprint): the agent shown is the one who took it."""
    actor = ctx.require_actor()
    today = ctx.clock.today()

    def _work(session: Session) -> Receipt:
        payment = session.get(Payment, payment_id)
        if payment is None or (actor.kind != "system" and payment.regie_id != actor.regie_id):
            raise ServiceError("Règlement introuvable.")
        return build_receipt(session, payment, agent_name=agent_name_of(session, payment.created_by), today=today)

    return ctx.db.read(_work)


def agent_name_of(session: Session, tag: str) -> str:
    """Full name behind a created_by tag ("agent:login"), for receipts and journals."""
    kind, _, login = tag.partition(":")
    if kind == "agent":
        name = session.execute(select(col(Agent.full_name)).where(col(Agent.login) == login)).scalar()
        return name or login
    if kind == "system":
        return "PayFiP (automatique)" if login == "payfip" else "Tâche automatique"
    if kind == "famille":
        return f"Portail famille {login}"
    return login or tag
