"""Online card payment through the DGFiP's PayFiP, web-service mode (R14, issue 13).

The exchange, as the DGFiP publishes it and as the `eopayment` library implements it
(services/payfip_ws.py makes the two SOAP calls):

1. `creerPaiementSecurise` with our request (``numcli``, ``exer``, ``refdet``, ``objet``,
   ``montant`` in cents, ``mel``, ``saisie`` T test / X activation / W production,
   ``urlnotif``, ``urlredirect``) gives an unguessable operation id, ``idOp``;
2. the family pays on ``paiementws.web?idop=<idOp>``;
3. the DGFiP calls ``urlnotif`` (`portail payfip serve`) with the ``idOp``, and the family
   comes back to ``urlredirect``;
4. `recupererDetailPaiementSecurise(idOp)` gives the result, amount and reference.

Nothing a notification or a return address carries is believed: only step 4's answer
credits, when ``resultrans`` is P (card) or V (direct debit) and the amount, client and
reference are the request's. A paid result records exactly one payment however many
times it is confirmed: the request row moves to "paid" by a conditional UPDATE before
any receipt number is taken. When the DGFiP cannot be asked, nothing is decided; the
request stays pending and `portail payfip resultat` (or the night) asks again.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import parse_qs, urlencode

from sqlalchemy import CursorResult, Update, select, update
from sqlmodel import Session, col

from portail_tui.domain.money import format_amount
from portail_tui.models import Family, PayfipRequest, Payment, Regie, id_of
from portail_tui.services import audit, outbox, payfip_ws
from portail_tui.services.context import Actor, Context, ServiceError
from portail_tui.services.families import family_in_regie, format_family_number
from portail_tui.services.payfip_ws import PayfipFault, PayfipUnavailable, PaymentDetail
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

__all__ = ["PAYFIP_URL", "PayfipLink", "PayfipOutcome", "PayfipUnavailable", "PendingReport", "confirm",
           "confirm_pending", "nightly_confirm", "notified_key",
           "family_requests", "handle_result", "new_reference", "request_payment"]

PAYFIP_URL = "https://www.payfip.gouv.fr/tpa/paiementws.web"
# "A" was the production code of the URL mode; the web service says "W".
SAISIE_MODES = {"T": "test", "X": "activation", "W": "production", "A": "production"}
RESULTS = {"P": "paid", "V": "paid", "R": "refused", "Z": "refused", "A": "abandoned"}
RESULT_LABELS = {"paid": "payé", "refused": "refusé", "abandoned": "abandonné", "pending": "en attente"}
MIN_CENTS = 100  # 1,00 €
MAX_CENTS = 999_999  # 9 999,99 €
REFDET_RE = re.compile(r"[A-Za-z0-9]{6,30}")
NUMCLI_RE = re.compile(r"[0-9]{6}")
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud on the phone
# The DGFiP forgets an operation id (code P1) or never learns its result (P5) once the
# family left: after this long, such a request is given up as abandoned.
GIVE_UP_AFTER = timedelta(days=1)


def new_reference() -> str:
    """A reference nobody can guess from another one: "PF" and 20 random characters
    (100 bits), letters and digits only as PayFiP requires."""
    return "PF" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(20))


@dataclass(frozen=True)
class PayfipLink:
    request_id: int
    reference: str
    amount_cents: int
    email: str
    url: str
    params: dict[str, str]
    saisie: str
    id_op: str

    @property
    def is_test(self) -> bool:
        return self.saisie == "T"


@dataclass(frozen=True)
class PayfipOutcome:
    """What a confirmation did. `duplicate` is True when it had already been handled."""

    reference: str
    status: str
    duplicate: bool
    receipt: Receipt | None
    message: str


@dataclass(frozen=True)
class _Draft:
    """What a request needs from the database, read before the DGFiP is called so that
    no transaction stays open across the network."""

    regie_id: int
    regie_name: str
    family_number: str
    numcli: str
    saisie: str
    mel: str
    objet: str


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


def _web_address(url: str | None, variable: str) -> str:
    if not url:
        raise ServiceError(f"Adresse de notification PayFiP non configurée ({variable}).")
    if not url.startswith(("http://", "https://")):
        raise ServiceError(f"Adresse de retour PayFiP invalide ({variable}).")
    return url


def _draft(session: Session, actor: Actor, family_id: int, email: str | None) -> _Draft:
    family = family_in_regie(session, actor, family_id)
    regie = session.get(Regie, family.regie_id)
    assert regie is not None
    if "payfip" not in enabled_modes(regie):
        raise ServiceError("La régie n'accepte pas le paiement en ligne PayFiP.", field="mode")
    numcli = (regie.payfip_numcli or "").strip()
    if not NUMCLI_RE.fullmatch(numcli):
        raise ServiceError("PayFiP n'est pas configuré : numéro client (6 chiffres) manquant.")
    saisie = (regie.payfip_mode or "T").upper()
    if saisie not in SAISIE_MODES:
        raise ServiceError(f"Mode PayFiP inconnu : {saisie} (T, X ou W).")
    number = format_family_number(family.number)
    return _Draft(
        regie_id=id_of(regie), regie_name=regie.name, family_number=number, numcli=numcli,
        saisie="W" if saisie == "A" else saisie, mel=_check_email(email or family_email(session, family)),
        objet=_ascii_object(f"Famille {number} {family.name} {regie.name}"),
    )


def request_payment(
    ctx: Context,
    family_id: int,
    *,
    amount_cents: int,
    email: str | None = None,
    send_email: bool = True,
) -> PayfipLink:
    """« Paiement CB en ligne »: ask the DGFiP for an operation id, record the request
    and (for payments taken by phone) queue an e-mail to the family with the link."""
    actor = require(ctx, "payment.take")
    if not isinstance(amount_cents, int) or amount_cents < MIN_CENTS:
        raise ServiceError(f"Montant minimum d'un paiement en ligne : {format_amount(MIN_CENTS)}.",
                           field="montant")
    if amount_cents > MAX_CENTS:
        raise ServiceError(f"Montant maximum d'un paiement en ligne : {format_amount(MAX_CENTS)}.",
                           field="montant")
    now = ctx.clock.now()
    urlnotif = _web_address(ctx.settings.payfip_url, "PORTAIL_PAYFIP_URL")
    urlredirect = _web_address(ctx.settings.payfip_redirect_url or urlnotif, "PORTAIL_PAYFIP_RETOUR_URL")
    draft = ctx.db.read(lambda session: _draft(session, actor, family_id, email))
    reference = new_reference()
    params = {"exer": str(now.year), "mel": draft.mel, "montant": str(amount_cents), "numcli": draft.numcli,
              "objet": draft.objet, "refdet": reference, "saisie": draft.saisie, "urlnotif": urlnotif,
              "urlredirect": urlredirect}
    id_op = payfip_ws.create_payment(ctx.settings.payfip_ws_url, params)
    url = f"{PAYFIP_URL}?{urlencode({'idop': id_op})}"

    def _work(session: Session) -> PayfipLink:
        req = PayfipRequest(
            regie_id=draft.regie_id, family_id=family_id, reference=reference, id_op=id_op,
            amount_cents=amount_cents, object=draft.objet, email=draft.mel, created_at=now,
            created_by=actor.tag,
        )
        session.add(req)
        session.flush()
        if send_email:
            outbox.queue(
                session, now=now, kind="payfip_link", to_addr=draft.mel,
                subject=f"{draft.regie_name} : votre lien de paiement en ligne",
                body_text="\n".join([
                    "Bonjour,",
                    "",
                    f"Pour régler {format_amount(amount_cents)} sur le porte-monnaie de votre compte famille"
                    f" n° {draft.family_number}, suivez ce lien sécurisé (PayFiP, DGFiP) :",
                    url,
                    "",
                    "Vous recevrez un courriel de confirmation une fois le paiement accepté.",
                    "",
                    "Cordialement,",
                    draft.regie_name,
                ]),
                family_id=family_id, dedup_key=f"payfip-link:{reference}",
            )
        audit.record(session, at=now, actor=actor.tag, action="payfip.request", entity="payfip_request",
                     entity_id=req.id, family_id=family_id, reference=reference,
                     amount_cents=amount_cents, saisie=draft.saisie)
        return PayfipLink(id_of(req), reference, amount_cents, draft.mel, url, params, draft.saisie, id_op)

    return ctx.db.write(_work)


def _fields(query: str | bytes | Mapping[str, str]) -> dict[str, str]:
    """A notification's fields, names folded to lower case (the DGFiP writes idOp, the
    payment page idop); a bare value is taken as an operation id or a reference."""
    if isinstance(query, Mapping):
        return {str(k).lower(): str(v).strip() for k, v in query.items()}
    if isinstance(query, bytes):
        query = query.decode("utf-8", errors="replace")
    text = query.strip()
    if "?" in text:
        text = text.split("?", 1)[1]
    if "=" not in text and "&" not in text:
        return {"idop": text, "refdet": text} if text else {}
    return {k.lower(): v[0].strip() for k, v in parse_qs(text, keep_blank_values=True).items()}


def notified_key(query: str | bytes | Mapping[str, str]) -> str:
    """The operation id (or reference) a notification names, for a log line; never raises."""
    fields = _fields(query)
    return fields.get("idop") or fields.get("refdet") or ""


def handle_result(ctx: Context, query: str | bytes | Mapping[str, str]) -> PayfipOutcome:
    """A notification, a return to urlredirect or a value pasted by hand: only the
    operation id (or our reference) is read from it; the DGFiP decides. Idempotent."""
    fields = _fields(query)
    idop, refdet = fields.get("idop", ""), fields.get("refdet", "")
    if not idop and not refdet:
        raise ServiceError("Notification PayFiP incomplète : identifiant d'opération (idop) attendu.")
    if idop and not payfip_ws.IDOP_RE.fullmatch(idop):
        idop = ""
    if refdet and not REFDET_RE.fullmatch(refdet):
        refdet = ""
    if not idop and not refdet:
        raise ServiceError(f"Identifiant PayFiP invalide : {notified_key(fields)[:40]!r}.")

    def _find(session: Session) -> PayfipRequest | None:
        for column, value in ((PayfipRequest.id_op, idop), (PayfipRequest.reference, refdet)):
            if value:
                found: PayfipRequest | None = session.execute(
                    select(PayfipRequest).where(col(column) == value)).scalars().first()
                if found is not None:
                    return found
        return None

    req = ctx.db.read(_find)
    if req is None:
        raise ServiceError(f"Opération PayFiP inconnue : {(idop or refdet)[:64]}.")
    return _confirm(ctx, req)


def confirm(ctx: Context, id_op: str) -> PayfipOutcome:
    """Ask the DGFiP for the result of one operation and record it."""
    return handle_result(ctx, {"idop": id_op})


def _confirm(ctx: Context, req: PayfipRequest) -> PayfipOutcome:
    now = ctx.clock.now()
    if req.status == "paid":
        return ctx.db.read(lambda session: _duplicate(session, id_of(req), now.date()))
    if req.id_op is None:
        raise ServiceError(f"Demande PayFiP {req.reference} faite avant le mode web-service : "
                           "vérifiez-la sur l'espace PayFiP de la DGFiP.")
    try:
        detail = payfip_ws.payment_detail(ctx.settings.payfip_ws_url, req.id_op)
    except PayfipFault as exc:
        if exc.code not in ("P1", "P5"):
            raise
        if now - req.created_at >= GIVE_UP_AFTER:  # the family left: given up, reopened by a later "paid"
            return _record(ctx, id_of(req), "abandoned", None, now)
        if exc.code == "P1":
            raise ServiceError(f"Opération PayFiP inconnue de la DGFiP (référence {req.reference}) : "
                               "rien n'est enregistré.") from None
        return PayfipOutcome(req.reference, "pending", False, None,
                             f"Résultat PayFiP pas encore connu de la DGFiP (référence {req.reference}) : "
                             "rien n'est enregistré, il sera revérifié.")
    status = RESULTS.get(detail.resultrans.upper())
    if status is None:
        raise ServiceError(f"Résultat PayFiP inconnu : {detail.resultrans[:5]!r} (référence {req.reference}) : "
                           "rien n'est enregistré.")
    return _record(ctx, id_of(req), status, detail, now)


def _check(req: PayfipRequest, regie: Regie, detail: PaymentDetail) -> None:
    """The DGFiP's answer must be about this request, to the cent."""
    problems = []
    if detail.idop != req.id_op:
        problems.append(f"opération {detail.idop[:64]!r}")
    if detail.refdet != req.reference:
        problems.append(f"référence {detail.refdet[:40]!r}")
    if detail.numcli != (regie.payfip_numcli or "").strip():
        problems.append(f"numéro client {detail.numcli[:10]!r}")
    if not (detail.montant.isdigit() and int(detail.montant) == req.amount_cents):
        problems.append(f"montant {detail.montant[:12]!r} au lieu de {req.amount_cents}")
    if problems:
        raise ServiceError(f"Résultat PayFiP refusé (référence {req.reference}) : {', '.join(problems)} ; "
                           "rien n'est enregistré.")


def _first_open_day(session: Session, regie_id: int, day: date) -> date:
    """A notification arriving after the closing lands on the next open day."""
    while is_day_closed(session, regie_id, day):
        day += timedelta(days=1)
    return day


def _short(value: str | None, limit: int) -> str | None:
    value = (value or "").strip()
    return value[:limit] or None


def _record(ctx: Context, request_id: int, status: str, detail: PaymentDetail | None,
            now: datetime) -> PayfipOutcome:
    """Write the DGFiP's verdict once (`detail` None: given up, nothing from the DGFiP)."""

    def _work(session: Session) -> PayfipOutcome:
        req = session.get(PayfipRequest, request_id)
        assert req is not None
        regie = session.get(Regie, req.regie_id)
        assert regie is not None
        if detail is not None:
            _check(req, regie, detail)
        details = {
            "numauto": _short(detail.numauto if detail else None, 20),
            "dattrans": _short(detail.dattrans if detail else None, 8),
            "heurtrans": _short(detail.heurtrans if detail else None, 4),
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
                return _duplicate(session, request_id, now.date())
            family = session.get(Family, req.family_id)
            assert family is not None
            number = next_receipt_number(session, req.regie_id)
            day = _first_open_day(session, req.regie_id, now.date())
            payment = record_entry(
                session, actor=actor, now=now, regie=regie, family=family, kind="payment", mode="payfip",
                amount_cents=req.amount_cents,
                payer_name=main_guardian_name(session, id_of(family)) or family.name,
                reference=req.reference, business_day=day, number=number,
            )
            session.execute(
                update(PayfipRequest).where(col(PayfipRequest.id) == req.id).values(payment_id=payment.id)
                .execution_options(synchronize_session=False)
            )
            receipt = build_receipt(session, payment, agent_name="PayFiP (automatique)", today=now.date())
            queue_confirmation(session, family=family, payment=payment, regie=regie,
                               solde_after=receipt.solde_after_cents or 0, now=now)
            return PayfipOutcome(
                req.reference, "paid", False, receipt,
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
            return _duplicate(session, request_id, now.date())
        audit.record(session, at=now, actor=actor.tag, action=f"payfip.{status}", entity="payfip_request",
                     entity_id=req.id, family_id=req.family_id, reference=req.reference,
                     result=detail.resultrans if detail else "expiré", **details)
        return PayfipOutcome(req.reference, status, False, None,
                             f"Paiement PayFiP {RESULT_LABELS[status]} (référence {req.reference}) : "
                             "rien n'est enregistré.")

    return ctx.db.write(_work)


def _rows_updated(session: Session, stmt: Update) -> int:
    """How many rows an UPDATE changed: the guard that makes a result count once."""
    result = session.execute(stmt)
    assert isinstance(result, CursorResult), "an UPDATE returns a cursor result"
    return result.rowcount


def _duplicate(session: Session, request_id: int, today: date) -> PayfipOutcome:
    req = session.get(PayfipRequest, request_id, populate_existing=True)
    assert req is not None
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
class PendingReport:
    """`confirm_pending`'s account: what each pending request became, and the ones the
    DGFiP could not be asked about (still pending)."""

    outcomes: tuple[PayfipOutcome, ...]
    errors: tuple[str, ...]

    @property
    def credited(self) -> int:
        return sum(1 for o in self.outcomes if o.status == "paid" and not o.duplicate)


def confirm_pending(ctx: Context) -> PendingReport:
    """Ask the DGFiP again about every pending request (a notification lost, or the
    DGFiP unreachable when it came): `portail payfip resultat` without argument, and
    the night."""
    pending = ctx.db.read(lambda session: list(session.execute(
        select(col(PayfipRequest.id_op))
        .where(col(PayfipRequest.status) == "pending", col(PayfipRequest.id_op).is_not(None))
        .order_by(col(PayfipRequest.id))
    ).scalars()))
    outcomes: list[PayfipOutcome] = []
    errors: list[str] = []
    for id_op in pending:
        try:
            outcomes.append(confirm(ctx, id_op))
        except ServiceError as exc:
            errors.append(exc.message)
    return PendingReport(tuple(outcomes), tuple(errors))


def nightly_confirm(ctx: Context) -> int:
    """The night's step: payments credited; a French error when some could not be checked."""
    report = confirm_pending(ctx)
    if report.errors:
        raise ServiceError(f"{len(report.errors)} paiement(s) PayFiP non vérifié(s) "
                           f"({report.credited} enregistré(s)) : {report.errors[0]}")
    return report.credited


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
        family_in_regie(session, actor, family_id)
        rows = session.execute(
            select(PayfipRequest, col(Payment.receipt_number))
            .outerjoin(Payment, col(Payment.id) == col(PayfipRequest.payment_id))
            .where(col(PayfipRequest.family_id) == family_id, col(PayfipRequest.regie_id) == actor.regie_id)
            .order_by(col(PayfipRequest.id).desc())
            .limit(limit)
        ).all()
        return [PayfipRequestLine(r.reference, r.amount_cents, r.status, r.created_at, n) for r, n in rows]

    return ctx.db.read(_work)
