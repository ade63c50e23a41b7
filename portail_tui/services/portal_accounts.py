"""Family portal accounts (R13): identifier and provisional password sent by e-mail,
forced change at first login, reset by identifier + e-mail.

Secrets: passwords are stored as argon2id hashes only; reset codes as SHA-256 (they
are long random strings, valid one hour, single use). Neither is ever written to the
audit log. The provisional password is handed back once (`AccountCreated`, whose
repr hides it) and queued in the e-mail to the family; the outbox row holds it only
until the mail job delivers it, and it expires after `PROVISIONAL_VALIDITY`.
"""

from __future__ import annotations

import hashlib
import hmac
import multiprocessing
import os
import re
import secrets
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import func, select
from sqlmodel import Session, col

from portail_tui.domain.frdates import format_date_long, format_datetime_short
from portail_tui.models import Family, Guardian, PasswordReset, PortalAccount, id_of
from portail_tui.services import audit, outbox, permissions
from portail_tui.services.context import Actor, Context, ServiceError
from portail_tui.services.families import format_family_number
from portail_tui.services.login_guard import (
    LOGIN_FAILED as LOGIN_FAILED,  # re-exported: callers compare with it
)
from portail_tui.services.login_guard import Candidate, check_password, hash_password

PROVISIONAL_VALIDITY = timedelta(days=7)
RESET_VALIDITY = timedelta(hours=1)
MAX_RESETS_PER_HOUR = 3
MIN_PASSWORD_LENGTH = 10
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/l/I
PROVISIONAL_LENGTH = 12
RESET_CODE_LENGTH = 10

RESET_ANSWER = ("Si ces informations correspondent à un compte du Portail Familles, un courriel contenant "
                "un code de réinitialisation (valable une heure) vient d'y être envoyé.")
RESET_FAILED = "Code invalide ou expiré : demandez un nouveau code."
_IDENTIFIER_RE = re.compile(r"[a-z0-9][a-z0-9._@-]{2,63}")


@dataclass(frozen=True)
class AccountInfo:
    identifier: str
    active: bool
    must_change_password: bool
    provisional_expires_at: datetime | None
    created_at: datetime
    last_login_at: datetime | None
    locked_until: datetime | None

    def status_text(self, now: datetime) -> str:
        if not self.active:
            return "désactivé"
        if self.locked_until and self.locked_until > now:
            # The per-account delay after repeated failures (login_guard), at most 15 min.
            return f"en attente après des échecs, jusqu'à {format_datetime_short(self.locked_until)}"
        if self.must_change_password:
            if self.provisional_expires_at and self.provisional_expires_at <= now:
                return "mot de passe provisoire expiré"
            until = format_date_long(self.provisional_expires_at.date()) if self.provisional_expires_at else "—"
            return f"mot de passe provisoire, valable jusqu'au {until}"
        last = format_datetime_short(self.last_login_at) if self.last_login_at else "jamais"
        return f"actif (dernière connexion : {last})"


@dataclass(frozen=True)
class AccountCreated:
    identifier: str
    email: str
    expires_at: datetime
    # Shown once to the agent; never in repr, logs or the audit trail.
    provisional_password: str = field(repr=False)


@dataclass(frozen=True)
class FamilySession:
    actor: Actor
    family_id: int
    must_change_password: bool


def new_password() -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PROVISIONAL_LENGTH))


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.strip().encode()).hexdigest()


def _info(a: PortalAccount) -> AccountInfo:
    return AccountInfo(a.identifier, a.active, a.must_change_password, a.provisional_expires_at,
                       a.created_at, a.last_login_at, a.locked_until)


def _family(session: Session, actor: Actor, family_id: int) -> Family:
    family = session.get(Family, family_id)
    if family is None or (actor.kind != "system" and family.regie_id != actor.regie_id):
        raise ServiceError("Famille introuvable.", field="famille")
    return family


def _family_email(session: Session, family: Family) -> str | None:
    if family.email:
        return family.email
    return session.execute(
        select(col(Guardian.email)).where(col(Guardian.family_id) == family.id, col(Guardian.email).is_not(None))
        .order_by(col(Guardian.rank))
    ).scalars().first()


def _family_emails(session: Session, family_id: int) -> set[str]:
    emails = {e for e in session.execute(select(col(Family.email)).where(col(Family.id) == family_id)).scalars() if e}
    guardians = session.execute(select(col(Guardian.email)).where(col(Guardian.family_id) == family_id))
    emails |= {e for e in guardians.scalars() if e}
    return {e.strip().casefold() for e in emails}


def _welcome_mail(identifier: str, password: str, expires_at: datetime, regie: str) -> tuple[str, str]:
    subject = "Votre compte Portail Familles"
    body = (
        "Bonjour,\n\n"
        f"Votre compte Portail Familles ({regie}) est prêt.\n\n"
        f"Identifiant : {identifier}\n"
        f"Mot de passe provisoire : {password}\n\n"
        f"Ce mot de passe est valable jusqu'au {format_date_long(expires_at.date())} à "
        f"{expires_at.hour}h{expires_at.minute:02d}. À votre première connexion, vous choisirez "
        "votre propre mot de passe.\n\n"
        "Si vous n'êtes pas à l'origine de cette demande, contactez la régie.\n"
    )
    return subject, body


def _regie_name(session: Session, regie_id: int) -> str:
    from portail_tui.models import Regie

    regie = session.get(Regie, regie_id)
    return regie.name if regie else "régie"


# --------------------------------------------------------------------------- agents


def account_info(ctx: Context, family_id: int) -> AccountInfo | None:
    actor = ctx.require_actor()

    def _work(session: Session) -> AccountInfo | None:
        _family(session, actor, family_id)
        account = session.execute(
            select(PortalAccount).where(col(PortalAccount.family_id) == family_id)
        ).scalar_one_or_none()
        return _info(account) if account else None

    return ctx.db.read(_work)


def _wanted_identifier(identifier: str | None) -> str | None:
    wanted = (identifier or "").strip().casefold() or None
    if wanted is not None and not _IDENTIFIER_RE.fullmatch(wanted):
        raise ServiceError("Identifiant invalide : 3 à 64 caractères, lettres minuscules, chiffres, . _ - @.",
                           field="identifier")
    return wanted


def _issue(ctx: Context, family_id: int, *, identifier: str | None, create: bool) -> AccountCreated:
    actor = permissions.require(ctx, "portal.manage")
    password = new_password()
    hashed = hash_password(password)  # outside the transaction: slow on purpose
    wanted = _wanted_identifier(identifier)
    return ctx.db.write(partial(_issue_in, actor=actor, family_id=family_id, wanted=wanted, create=create,
                                now=ctx.clock.now(), password=password, hashed=hashed))


def _issue_in(session: Session, *, actor: Actor, family_id: int, wanted: str | None, create: bool,
              now: datetime, password: str, hashed: str) -> AccountCreated:
    """Every refusal is raised before anything is written, so a batch can go on with the
    next family in the same transaction."""
    expires = now + PROVISIONAL_VALIDITY
    family = _family(session, actor, family_id)
    email = _family_email(session, family)
    if not email:
        raise ServiceError("Aucun courriel pour cette famille : renseignez d'abord le courriel du responsable.",
                           field="email")
    account = session.execute(
        select(PortalAccount).where(col(PortalAccount.family_id) == family_id).with_for_update()
    ).scalar_one_or_none()
    if create:
        if account is not None:
            raise ServiceError("Cette famille a déjà un compte : envoyez plutôt un nouveau mot de passe provisoire.")
        ident = wanted or format_family_number(family.number)
        if session.execute(select(col(PortalAccount.id)).where(col(PortalAccount.identifier) == ident)).first():
            raise ServiceError(f"L'identifiant {ident} est déjà utilisé.", field="identifier")
        account = PortalAccount(family_id=family_id, identifier=ident, password_hash=hashed,
                                must_change_password=True, provisional_expires_at=expires, created_at=now)
    else:
        if account is None:
            raise ServiceError("Cette famille n'a pas encore de compte du portail.")
        account.password_hash = hashed
        account.must_change_password = True
        account.provisional_expires_at = expires
        account.failed_attempts = 0
        account.locked_until = None
        account.active = True
        for reset in session.execute(
            select(PasswordReset)
            .where(col(PasswordReset.account_id) == account.id, col(PasswordReset.used_at).is_(None))
        ).scalars():
            reset.used_at = now  # a fresh provisional password voids pending codes
            session.add(reset)
    session.add(account)
    session.flush()
    subject, body = _welcome_mail(account.identifier, password, expires, _regie_name(session, family.regie_id))
    outbox.queue(session, now=now, kind="portal.account", to_addr=email, subject=subject, body_text=body,
                 family_id=family_id)
    audit.record(session, at=now, actor=actor.tag, action="portal.create" if create else "portal.reissue",
                 entity="portal_account", entity_id=account.id, family_id=family_id,
                 identifier=account.identifier, sent_to=email)
    return AccountCreated(account.identifier, email, expires, password)


def create_account(ctx: Context, family_id: int, *, identifier: str | None = None) -> AccountCreated:
    """Create the family's account (identifier: the family number unless given) and
    e-mail a provisional password valid `PROVISIONAL_VALIDITY`."""
    return _issue(ctx, family_id, identifier=identifier, create=True)


@dataclass(frozen=True)
class AccountBatch:
    """`portail comptes envoyer`: accounts created (each welcome mail queued), and the
    families passed over, with why, in French."""

    created: int
    refused: tuple[str, ...]


def families_needing_account(ctx: Context) -> list[int]:
    """Families of the actor's régie that have an e-mail (theirs or a guardian's) and no
    portal account yet: after an import, the ones to invite."""
    actor = permissions.require(ctx, "portal.manage")

    def _work(session: Session) -> list[int]:
        has_mail = col(Family.email).is_not(None) | col(Family.id).in_(
            select(col(Guardian.family_id)).where(col(Guardian.email).is_not(None), col(Guardian.email) != ""))
        return [int(fid) for fid in session.execute(
            select(col(Family.id)).where(col(Family.regie_id) == actor.regie_id, has_mail,
                                         col(Family.id).not_in(select(col(PortalAccount.family_id))))
            .order_by(col(Family.number))).scalars()]

    return ctx.db.read(_work)


def _number_text(session: Session, *, family_id: int) -> str:
    family = session.get(Family, family_id)
    return format_family_number(family.number) if family is not None else str(family_id)


# A batch writes this many families per transaction (short enough for the counters to
# keep booking meanwhile), and hashes on several processes from this many families on
# (below, starting the processes costs more than it saves).
BATCH_CHUNK = 250
POOL_FROM = 16


class _Hashes:
    """argon2id is slow on purpose (about 60 ms a hash here): one per family makes minutes
    for a town of thousands on one core. The batch spreads them over the machine's cores
    (spawned processes: nothing inherited but the function); the passwords never leave
    the machine's memory and pipes."""

    def __init__(self, count: int) -> None:
        try:
            cores = len(os.sched_getaffinity(0))
        except AttributeError:  # pragma: no cover - not Linux
            cores = os.cpu_count() or 1
        self.workers = cores if count >= POOL_FROM else 1
        self._pool = (ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
                      if self.workers > 1 else None)

    def __enter__(self) -> _Hashes:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)

    def hash(self, passwords: list[str]) -> list[str]:
        if self._pool is None:
            return [hash_password(p) for p in passwords]
        chunk = max(1, len(passwords) // (4 * self.workers))
        return list(self._pool.map(hash_password, passwords, chunksize=chunk))


def create_missing_accounts(ctx: Context, *, progress: Callable[[int, int], None] | None = None) -> AccountBatch:
    """One account per family that needs one (the same identifier, provisional password,
    welcome mail queued for `portail mail send` and audit as `create_account`).
    Passwords are hashed on every core, then written `BATCH_CHUNK` families per
    transaction. Idempotent: a second run, or a run after an interrupted one, finds only
    the families still without an account."""
    actor = permissions.require(ctx, "portal.manage")
    ids = families_needing_account(ctx)
    created, refused = 0, []
    with _Hashes(len(ids)) as hashes:
        for start in range(0, len(ids), BATCH_CHUNK):
            chunk = ids[start:start + BATCH_CHUNK]
            passwords = [new_password() for _ in chunk]
            hashed = hashes.hash(passwords)
            done, refusals = ctx.db.write(partial(_create_chunk, actor=actor, now=ctx.clock.now(),
                                                  accounts=list(zip(chunk, passwords, hashed, strict=True))))
            created += done
            refused.extend(refusals)
            if progress is not None:
                progress(start + len(chunk), len(ids))
    return AccountBatch(created, tuple(refused))


def _create_chunk(session: Session, *, actor: Actor, now: datetime,
                  accounts: list[tuple[int, str, str]]) -> tuple[int, list[str]]:
    done, refused = 0, []
    for family_id, password, hashed in accounts:
        try:
            _issue_in(session, actor=actor, family_id=family_id, wanted=None, create=True, now=now,
                      password=password, hashed=hashed)
            done += 1
        except ServiceError as exc:
            refused.append(f"Famille n° {_number_text(session, family_id=family_id)} : {exc.message}")
    return done, refused


def reissue_password(ctx: Context, family_id: int) -> AccountCreated:
    """An agent resets the account: new provisional password by e-mail, unlocked,
    pending reset codes voided."""
    return _issue(ctx, family_id, identifier=None, create=False)


def set_active(ctx: Context, family_id: int, active: bool) -> None:
    actor = permissions.require(ctx, "portal.manage")
    now = ctx.clock.now()

    def _work(session: Session) -> None:
        _family(session, actor, family_id)
        account = session.execute(
            select(PortalAccount).where(col(PortalAccount.family_id) == family_id)
        ).scalar_one_or_none()
        if account is None:
            raise ServiceError("Cette famille n'a pas encore de compte du portail.")
        account.active = active
        session.add(account)
        audit.record(session, at=now, actor=actor.tag, action="portal.enable" if active else "portal.disable",
                     entity="portal_account", entity_id=account.id, family_id=family_id)

    ctx.db.write(_work)


# --------------------------------------------------------------------------- families (self-service)


def request_reset(ctx: Context, identifier: str, email: str) -> str:
    """« Réinitialiser votre mot de passe »: identifier + e-mail. The answer is the
    same whether or not they match an account, so nobody can probe who has one."""
    now = ctx.clock.now()
    ident = (identifier or "").strip().casefold()[:64]
    mail = (email or "").strip().casefold()[:254]
    code = "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(RESET_CODE_LENGTH))

    def _work(session: Session) -> None:
        account = session.execute(
            select(PortalAccount).where(func.lower(col(PortalAccount.identifier)) == ident)
        ).scalar_one_or_none()
        if account is None or not account.active or not mail or mail not in _family_emails(session, account.family_id):
            return
        recent = session.execute(
            select(func.count()).select_from(PasswordReset).where(
                col(PasswordReset.account_id) == account.id, col(PasswordReset.created_at) > now - timedelta(hours=1))
        ).scalar_one()
        if recent >= MAX_RESETS_PER_HOUR:
            return
        expires = now + RESET_VALIDITY
        session.add(PasswordReset(account_id=account.id, token_hash=_code_hash(code),
                                  expires_at=expires, created_at=now))
        outbox.queue(
            session, now=now, kind="portal.reset", to_addr=mail, family_id=account.family_id,
            subject="Réinitialisation de votre mot de passe — Portail Familles",
            body_text=(
                "Bonjour,\n\nVous avez demandé à réinitialiser le mot de passe de votre compte "
                f"{account.identifier}.\n\nCode de réinitialisation : {code}\n\n"
                f"Ce code ne sert qu'une fois et expire à {expires.hour}h{expires.minute:02d}. "
                "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message.\n"
            ),
        )
        audit.record(session, at=now, actor=f"famille:{account.identifier}", action="portal.reset_request",
                     entity="portal_account", entity_id=account.id, family_id=account.family_id)

    ctx.db.write(_work)
    return RESET_ANSWER


def _check_new_password(identifier: str, new: str, old: str | None = None) -> None:
    if len(new) < MIN_PASSWORD_LENGTH:
        raise ServiceError(f"Mot de passe trop court ({MIN_PASSWORD_LENGTH} caractères au moins).",
                           field="new_password")
    if len(new) > 200:
        raise ServiceError("Mot de passe trop long (200 caractères au plus).", field="new_password")
    if old is not None and new == old:
        raise ServiceError("Le nouveau mot de passe doit être différent de l'ancien.", field="new_password")
    if new.casefold() == identifier.casefold():
        raise ServiceError("Le mot de passe ne peut pas être l'identifiant.", field="new_password")


def complete_reset(ctx: Context, identifier: str, code: str, new_password_text: str) -> None:
    """Use a reset code once: sets the new password and voids every other code."""
    now = ctx.clock.now()
    ident = (identifier or "").strip().casefold()[:64]
    _check_new_password(ident, new_password_text)
    hashed = hash_password(new_password_text)
    wanted = _code_hash(code or "")

    def _work(session: Session) -> bool:
        account = session.execute(
            select(PortalAccount).where(func.lower(col(PortalAccount.identifier)) == ident).with_for_update()
        ).scalar_one_or_none()
        if account is None or not account.active:
            return False
        pending = list(session.execute(
            select(PasswordReset)
            .where(col(PasswordReset.account_id) == account.id, col(PasswordReset.used_at).is_(None))
        ).scalars())
        match = next((r for r in pending if r.expires_at > now and hmac.compare_digest(r.token_hash, wanted)), None)
        if match is None:
            return False
        for r in pending:
            r.used_at = now
            session.add(r)
        account.password_hash = hashed
        account.must_change_password = False
        account.provisional_expires_at = None
        account.failed_attempts = 0
        account.locked_until = None
        session.add(account)
        audit.record(session, at=now, actor=f"famille:{account.identifier}", action="portal.reset_done",
                     entity="portal_account", entity_id=account.id, family_id=account.family_id)
        return True

    if not ctx.db.write(_work):
        raise ServiceError(RESET_FAILED, field="code")


def _find_account(ident: str) -> Callable[[Session], Candidate | None]:
    def _find(session: Session) -> Candidate | None:
        account = session.execute(
            select(PortalAccount).where(func.lower(col(PortalAccount.identifier)) == ident)
        ).scalar_one_or_none()
        if account is None or account.id is None:
            return None
        return Candidate(account.id, account.password_hash, account.active)

    return _find


def family_login(ctx: Context, identifier: str, password: str, source: str | None = None) -> FamilySession:
    """Check a family's credentials (for the future self-service mode), throttled like
    the agents' login (login_guard: per-account delay, per-source limit, one answer).
    A provisional password past its expiry is refused; otherwise `must_change_password`
    tells the caller to force the change before anything else."""
    now = ctx.clock.now()
    ident = (identifier or "").strip().casefold()[:64]

    def _success(session: Session, account_id: int, where: str) -> FamilySession | str | None:
        account = session.get(PortalAccount, account_id)
        if account is None or not account.active:
            return None
        if account.must_change_password and account.provisional_expires_at and account.provisional_expires_at <= now:
            return ("Mot de passe provisoire expiré : utilisez « Réinitialiser votre mot de passe » "
                    "ou demandez-en un nouveau à la régie.")
        account.last_login_at = now
        session.add(account)
        family = session.get(Family, account.family_id)
        assert family is not None
        audit.record(session, at=now, actor=f"famille:{account.identifier}", action="portal.login",
                     entity="portal_account", entity_id=account.id, family_id=family.id, source=where)
        actor = Actor(kind="famille", login=account.identifier, regie_id=family.regie_id,
                      full_name=family.name, role="famille", can_see_health=True)
        return FamilySession(actor, id_of(family), account.must_change_password)

    return check_password(ctx, model=PortalAccount, find=_find_account(ident), password=password, source=source,
                          login_tried=ident, failed_action="portal.login_failed", on_success=_success)


def change_password(ctx: Context, identifier: str, old_password: str, new_password_text: str,
                    source: str | None = None) -> None:
    """The family chooses its own password (forced at first login). The current
    password is checked like a login: failures count, a waiting account is refused
    with the same generic answer."""
    now = ctx.clock.now()
    ident = (identifier or "").strip().casefold()[:64]
    _check_new_password(ident, new_password_text, old_password)
    hashed = hash_password(new_password_text)

    def _success(session: Session, account_id: int, where: str) -> bool | None:
        account = session.get(PortalAccount, account_id)
        if account is None or not account.active:
            return None
        account.password_hash = hashed
        account.must_change_password = False
        account.provisional_expires_at = None
        session.add(account)
        audit.record(session, at=now, actor=f"famille:{account.identifier}", action="portal.password_change",
                     entity="portal_account", entity_id=account.id, family_id=account.family_id, source=where)
        return True

    check_password(ctx, model=PortalAccount, find=_find_account(ident), password=old_password, source=source,
                   login_tried=ident, failed_action="portal.password_change_failed", on_success=_success,
                   field="old_password")
