"""Online card payment through the DGFiP's PayFiP, formerly TIPI (R14).

The protocol, as published and as the open-source `eopayment` library implements it:

- Request: the family's browser is sent to ``https://www.payfip.gouv.fr/tpa/paiement.web``
  with ``numcli`` (the régie's 6-digit client number), ``exer`` (year), ``refdet`` (our
  reference, 6 to 30 letters or digits, unique per request), ``objet`` (ASCII text),
  ``montant`` (in cents), ``mel`` (the payer's e-mail), ``urlcl`` (where the result is
  sent) and ``saisie`` (T test, X activation, A or W production).
- Result: PayFiP calls ``urlcl`` with the same fields plus ``resultrans`` (P paid,
  R refused, A abandoned), ``numauto`` (authorisation number), ``dattrans`` (DDMMYYYY)
  and ``heurtrans`` (HHMM).

A paid result records exactly one payment (mode PayFiP), however many times the same
notification arrives: the request row moves to "paid" by a conditional UPDATE before
any receipt number is taken, so a repeat finds nothing to do.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import parse_qs, urlencode

from sqlalchemy import CursorResult, Update, select, update
from sqlmodel import Session, col

from portail_tui.domain.money import format_amount
from portail_tui.models import Family, PayfipRequest, Payment, Regie, id_of
from portail_tui.services import audit, outbox
from portail_tui.services.context import Actor, Context, ServiceError
from portail_tui.services.families import format_family_number
from portail_tui.services.payments import (
    Receipt,
    build_receipt,
    enabled_modes,
    family_email,
    main_guardian_name,
    queue_confirmation,
    record_entry,
)
from portail_tui.services.permissions import require
from portail_tui.services.receipt_counter import is_day_closed, next_receipt_number

PAYFIP_URL = "https://www.payfip.gouv.fr/tpa/paiement.web"
SAISIE_MODES = {"T": "test", "X": "activation", "A": "production", "W": "production"}
RESULTS = {"P": "paid", "R": "refused", "A": "abandoned"}
RESULT_LABELS = {"paid": "payé", "refused": "refusé", "abandoned": "abandonné", "pending": "en attente"}
MIN_CENTS = 100  # 1,00 €
MAX_CENTS = 999_999  # 9 999,99 €: the largest "montant" the form takes
REFDET_RE = re.compile(r"[A-Za-z0-9]{6,30}")
NUMCLI_RE = re.compile(r"[0-9]{6}")


@dataclass(frozen=True)
class PayfipLink:
    request_id: int
    reference: str
    amount_cents: int
    email: str
    url: str
    params: dict[str, str]
    saisie: str

    @property
    def is_test(self) -> bool:
        return self.saisie == "T"


@dataclass(frozen=True)
class PayfipOutcome:
    """What a notification did. `duplicate` is True when it had already been handled."""

    reference: str
    status: str
    duplicate: bool
    receipt: Receipt | None
    message: str


def _ascii_object(text: str) -> str:
    """PayFiP's objet is plain ASCII: fold accents, keep letters, digits and spaces."""
    folded = unicodedata.normalize("NFKD", text)
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    folded = re.sub(r"[^A-Za-z0-9 ]+", " ", folded)
    return " ".join(folded.split())[:100]


def _check_email(email: str) -> str:
    mel = (email or "").strip()
    if "@" not in mel or not 6 <= len(mel) <= 80 or any(c.isspace() for c in mel):
        raise ServiceError("Adresse courriel invalide pour PayFiP (6 à 80 caractères, avec @).",
                           field="email")
    return mel


def _system_actor(regie_id: int) -> Actor:
    return Actor(kind="system", login="payfip", regie_id=regie_id, role="admin", full_name="PayFiP")


def request_params(*, numcli: str, reference: str, amount_cents: int, email: str, saisie: str,
                   year: int, objet: str, urlcl: str | None) -> dict[str, str]:
    """The query parameters of a payment request, in the published names."""
    params = {
        "numcli": numcli,
        "exer": str(year),
        "refdet": reference,
        "objet": objet,
        "montant": str(amount_cents),
        "mel": email,
        "saisie": saisie,
    }
    if urlcl:
        params["urlcl"] = urlcl
    return params


def request_payment(
    ctx: Context,
    family_id: int,
    *,
    amount_cents: int,
    email: str | None = None,
    send_email: bool = True,
) -> PayfipLink:
    """« Paiement CB en ligne »: build the PayFiP request for a family and (for payments
    taken by phone) queue an e-mail to the family with the link."""
    actor = require(ctx, "payment.take")
    if not isinstance(amount_cents, int) or amount_cents < MIN_CENTS:
        raise ServiceError(f"Montant minimum d'un paiement en ligne : {format_amount(MIN_CENTS)}.",
                           field="montant")
    if amount_cents > MAX_CENTS:
        raise ServiceError(f"Montant maximum d'un paiement en ligne : {format_amount(MAX_CENTS)}.",
                           field="montant")
    now = ctx.clock.now()
    urlcl = ctx.settings.payfip_url
    if urlcl is not None and not urlcl.startswith(("http://", "https://")):
        raise ServiceError("Adresse de retour PayFiP invalide (PORTAIL_PAYFIP_URL).")

    def _work(session: Session) -> PayfipLink:
        family = session.get(Family, family_id)
        if family is None or (actor.kind != "system" and family.regie_id != actor.regie_id):
            raise ServiceError("Famille introuvable.")
        regie = session.get(Regie, family.regie_id)
        assert regie is not None
        if "payfip" not in enabled_modes(regie):
            raise ServiceError("La régie n'accepte pas le paiement en ligne PayFiP.", field="mode")
        numcli = (regie.payfip_numcli or "").strip()
        if not NUMCLI_RE.fullmatch(numcli):
            raise ServiceError("PayFiP n'est pas configuré : numéro client (6 chiffres) manquant.")
        saisie = (regie.payfip_mode or "T").upper()
        if saisie not in SAISIE_MODES:
            raise ServiceError(f"Mode PayFiP inconnu : {saisie} (T, X, A ou W).")
        mel = _check_email(email or family_email(session, family))
        objet = _ascii_object(
            f"Famille {format_family_number(family.number)} {family.name} {regie.name}"
        )
        req = PayfipRequest(
            regie_id=id_of(regie),
            family_id=family_id,
            reference=f"tmp{uuid.uuid4().hex}"[:30],
            amount_cents=amount_cents,
            object=objet,
            email=mel,
            created_at=now,
            created_by=actor.tag,
        )
        session.add(req)
        session.flush()
        # Readable and unique: "PF" + régie + request id (letters and digits only).
        req.reference = f"PF{regie.id:03d}{req.id:010d}"
        session.add(req)
        session.flush()
        params = request_params(numcli=numcli, reference=req.reference, amount_cents=amount_cents,
                                email=mel, saisie=saisie, year=now.year, objet=objet, urlcl=urlcl)
        url = f"{PAYFIP_URL}?{urlencode(params)}"
        if send_email:
            outbox.queue(
                session, now=now, kind="payfip_link", to_addr=mel,
                subject=f"{regie.name} : votre lien de paiement en ligne",
                body_text="\n".join([
                    "Bonjour,",
                    "",
                    f"Pour régler {format_amount(amount_cents)} sur le porte-monnaie de votre compte famille"
                    f" n° {format_family_number(family.number)}, suivez ce lien sécurisé (PayFiP, DGFiP) :",
                    url,
                    "",
                    "Vous recevrez un courriel de confirmation une fois le paiement accepté.",
                    "",
                    "Cordialement,",
                    regie.name,
                ]),
                family_id=family_id, dedup_key=f"payfip-link:{req.reference}",
            )
        audit.record(session, at=now, actor=actor.tag, action="payfip.request", entity="payfip_request",
                     entity_id=req.id, family_id=family_id, reference=req.reference,
                     amount_cents=amount_cents, saisie=saisie)
        return PayfipLink(id_of(req), req.reference, amount_cents, mel, url, params, saisie)

    return ctx.db.write(_work)


def parse_result(query: str | bytes | Mapping[str, str]) -> dict[str, str]:
    """The notification's fields (first value of each); refuses one without refdet or
    with an unknown resultrans."""
    if isinstance(query, Mapping):
        fields = {str(k): str(v) for k, v in query.items()}
    else:
        if isinstance(query, bytes):
            query = query.decode("utf-8", errors="replace")
        text = query.strip()
        if "?" in text:
            text = text.split("?", 1)[1]
        fields = {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}
    refdet = fields.get("refdet", "").strip()
    result = fields.get("resultrans", "").strip().upper()
    if not refdet or not result:
        raise ServiceError("Notification PayFiP incomplète : refdet et resultrans sont obligatoires.")
    if not REFDET_RE.fullmatch(refdet):
        raise ServiceError(f"Référence PayFiP invalide : {refdet[:40]!r}.")
    if result not in RESULTS:
        raise ServiceError(f"Résultat PayFiP inconnu : {result[:5]!r} (attendu P, R ou A).")
    fields["refdet"] = refdet
    fields["resultrans"] = result
    return fields


def _first_open_day(session: Session, regie_id: int, day: date) -> date:
    """A notification arriving after the closing lands on the next open day."""
    while is_day_closed(session, regie_id, day):
        day += timedelta(days=1)
    return day


def _short(value: str | None, limit: int) -> str | None:
    value = (value or "").strip()
    return value[:limit] or None


def handle_result(ctx: Context, query: str | bytes | Mapping[str, str]) -> PayfipOutcome:
    """Record a PayFiP result (endpoint or pasted query string). Idempotent."""
    fields = parse_result(query)
    refdet = fields["refdet"]
    status = RESULTS[fields["resultrans"]]
    now = ctx.clock.now()

    def _work(session: Session) -> PayfipOutcome:
        req = session.execute(select(PayfipRequest).where(col(PayfipRequest.reference) == refdet)).scalars().first()
        if req is None:
            raise ServiceError(f"Demande PayFiP inconnue : {refdet}.")
        regie = session.get(Regie, req.regie_id)
        assert regie is not None
        if fields.get("numcli") and fields["numcli"].strip() != (regie.payfip_numcli or ""):
            raise ServiceError(f"Notification PayFiP refusée : numéro client {fields['numcli']!r} inattendu.")
        if fields.get("montant") and fields["montant"].strip() != str(req.amount_cents):
            raise ServiceError(
                f"Notification PayFiP refusée : montant {fields['montant']!r} différent de la demande "
                f"({req.amount_cents})."
            )
        details = {
            "numauto": _short(fields.get("numauto"), 20),
            "dattrans": _short(fields.get("dattrans"), 8),
            "heurtrans": _short(fields.get("heurtrans"), 4),
        }
        actor = _system_actor(req.regie_id)
        if status == "paid":
            moved = _rows_updated(session, (
                update(PayfipRequest)
                .where(col(PayfipRequest.id) == req.id, col(PayfipRequest.status) != "paid")
                .values(status="paid", result_at=now, **details)
                .execution_options(synchronize_session=False)
            ))
            if moved == 0:
                return _duplicate(session, req, now.date())
            family = session.get(Family, req.family_id)
            assert family is not None
            number = next_receipt_number(session, req.regie_id)
            day = _first_open_day(session, req.regie_id, now.date())
            payment = record_entry(
                session, actor=actor, now=now, regie=regie, family=family, kind="payment", mode="payfip",
                amount_cents=req.amount_cents,
                payer_name=main_guardian_name(session, id_of(family)) or family.name,
                reference=refdet, business_day=day, number=number,
            )
            session.execute(
                update(PayfipRequest).where(col(PayfipRequest.id) == req.id).values(payment_id=payment.id)
                .execution_options(synchronize_session=False)
            )
            receipt = build_receipt(session, payment, agent_name="PayFiP (automatique)", today=now.date())
            queue_confirmation(session, family=family, payment=payment, regie=regie,
                               solde_after=receipt.solde_after_cents or 0, now=now)
            return PayfipOutcome(
                refdet, "paid", False, receipt,
                f"Paiement PayFiP enregistré : quittance n° {payment.receipt_number}, "
                f"{format_amount(req.amount_cents)}, famille n° {format_family_number(family.number)}.",
            )
        moved = _rows_updated(session, (
            update(PayfipRequest)
            .where(col(PayfipRequest.id) == req.id, col(PayfipRequest.status) == "pending")
            .values(status=status, result_at=now, **details)
            .execution_options(synchronize_session=False)
        ))
        if moved == 0:
            return _duplicate(session, req, now.date())
        audit.record(session, at=now, actor=actor.tag, action=f"payfip.{status}", entity="payfip_request",
                     entity_id=req.id, family_id=req.family_id, reference=refdet, **details)
        return PayfipOutcome(refdet, status, False, None,
                             f"Paiement PayFiP {RESULT_LABELS[status]} (référence {refdet}) : rien n'est enregistré.")

    return ctx.db.write(_work)


def _rows_updated(session: Session, stmt: Update) -> int:
    """How many rows an UPDATE changed: the guard that makes a notification count once."""
    result = session.execute(stmt)
    assert isinstance(result, CursorResult), "an UPDATE returns a cursor result"
    return result.rowcount


def _duplicate(session: Session, req: PayfipRequest, today: date) -> PayfipOutcome:
    session.refresh(req)
    receipt = None
    if req.payment_id is not None:
        payment = session.get(Payment, req.payment_id)
        if payment is not None:
            receipt = build_receipt(session, payment, agent_name="PayFiP (automatique)", today=today)
    label = RESULT_LABELS.get(req.status, req.status)
    suffix = f" (quittance n° {receipt.receipt_number})" if receipt else ""
    return PayfipOutcome(req.reference, req.status, True, receipt,
                         f"Notification déjà traitée : paiement {label}{suffix}.")


@dataclass(frozen=True)
class PayfipRequestLine:
    reference: str
    amount_cents: int
    status: str
    created_at: object
    receipt_number: int | None

    @property
    def status_label(self) -> str:
        return RESULT_LABELS.get(self.status, self.status)


def family_requests(ctx: Context, family_id: int, *, limit: int = 10) -> list[PayfipRequestLine]:
    """Latest online payment requests of a family, for the Paiement screen."""
    actor = ctx.require_actor()

    def _work(session: Session) -> list[PayfipRequestLine]:
        rows = session.execute(
            select(PayfipRequest, col(Payment.receipt_number))
            .outerjoin(Payment, col(Payment.id) == col(PayfipRequest.payment_id))
            .where(col(PayfipRequest.family_id) == family_id, col(PayfipRequest.regie_id) == actor.regie_id)
            .order_by(col(PayfipRequest.id).desc())
            .limit(limit)
        ).all()
        return [PayfipRequestLine(r.reference, r.amount_cents, r.status, r.created_at, n) for r, n in rows]

    return ctx.db.read(_work)
