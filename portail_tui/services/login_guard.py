"""Password hashing and the login throttle shared by agent logins and the family portal.

Why it is built this way (issue 13):

- One answer for every failure. Unknown login, wrong password, account waiting, source
  waiting, disabled account: the caller gets `LOGIN_FAILED` and the same work, one
  argon2 verification (against a dummy hash when there is no real one to check), so
  neither the message nor the time tells a real login from a made-up one. The reason
  goes to the audit trail only.
- A per-account delay instead of a lockout. After `FREE_FAILURES` failures each attempt
  waits 2^failures seconds, never more than `MAX_DELAY`; attempts refused during the
  wait are not counted against the account, so nobody can push the owner's wait
  further than the cap, and a success resets the count.
- A per-source limit. More than `SOURCE_MAX_FAILURES` failures from one source (a
  terminal, an SSH client address, a browser address) within `SOURCE_WINDOW` and that
  source waits `SOURCE_WAIT`, whatever login it tries; its attempts then do not touch
  any account. An attacker hammering `admin` from one place is stopped there, and the
  owner logs in from elsewhere once the (capped) account delay has run out.
- Claim before verifying. The attempt is counted by conditional UPDATEs before the slow
  hash check, and a success gives it back: parallel guesses cannot all slip through
  before the first failure is written, on either engine.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from portail_tui.config import login_source_from
from portail_tui.models import Agent, PortalAccount
from portail_tui.models.core import LoginSource
from portail_tui.services import audit
from portail_tui.services.context import Context, ServiceError

T = TypeVar("T")
Throttled = type[Agent] | type[PortalAccount]

LOGIN_FAILED = "Identifiant ou mot de passe incorrect."
FREE_FAILURES = 3
MAX_DELAY = timedelta(minutes=15)
SOURCE_WINDOW = timedelta(minutes=15)
SOURCE_MAX_FAILURES = 20
SOURCE_WAIT = timedelta(minutes=15)
SOURCE_MAX_LENGTH = 120

# OWASP Password Storage Cheat Sheet, argon2id: m=19 MiB, t=2, p=1. Hashes made with
# other parameters are replaced at the owner's next successful login.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, hash_len=32, salt_len=16)
_dummy: dict[tuple[int, int, int], str] = {}

# Reasons written to the audit trail (never shown).
UNKNOWN = "identifiant inconnu"
DISABLED = "compte désactivé"
ACCOUNT_WAITING = "compte en attente"
SOURCE_WAITING = "source en attente"
WRONG_PASSWORD = "mot de passe erroné"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    try:
        return _hasher.check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return False


def dummy_hash() -> str:
    """A hash with the current parameters, verified when there is no real one, so a
    refusal costs what a wrong password costs. Made on first use (hashing at import
    would slow the application's start), again if the parameters change."""
    key = (_hasher.time_cost, _hasher.memory_cost, _hasher.parallelism)
    if key not in _dummy:
        _dummy[key] = _hasher.hash("pas-un-vrai-mot-de-passe")
    return _dummy[key]


def account_delay(failures: int) -> timedelta:
    """How long the next attempt waits after `failures` consecutive failures."""
    if failures <= FREE_FAILURES:
        return timedelta(0)
    if failures >= 20:  # 2^20 s is far past the cap; avoids huge integers
        return MAX_DELAY
    return min(timedelta(seconds=2**failures), MAX_DELAY)


def source_from_environment(environ: Mapping[str, str]) -> str:
    """Where the user of a process with this environment sits (config.login_source_from;
    the application reads it once into `Settings.login_source`)."""
    return login_source_from(environ)


def normalise_source(source: str | None, default: str = "terminal") -> str:
    text = " ".join((source or "").split()) or " ".join(default.split())
    return text[:SOURCE_MAX_LENGTH] or "terminal"


# --------------------------------------------------------------------------- counters


def _claim_account(session: Session, model: Throttled, account_id: int, now: datetime) -> bool:
    """Count this attempt as a failure unless the account is waiting (then: False,
    nothing written). Reaching the free allowance starts the next wait."""
    failures = session.execute(
        update(model)
        .where(col(model.id) == account_id,
               or_(col(model.locked_until).is_(None), col(model.locked_until) <= now))
        .values(failed_attempts=col(model.failed_attempts) + 1)
        .returning(col(model.failed_attempts))
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if failures is None:
        return False
    delay = account_delay(failures)
    if delay:
        session.execute(update(model).where(col(model.id) == account_id).values(locked_until=now + delay)
                        .execution_options(synchronize_session=False))
    return True


def _reset_account(session: Session, model: Throttled, account_id: int) -> None:
    session.execute(update(model).where(col(model.id) == account_id)
                    .values(failed_attempts=0, locked_until=None)
                    .execution_options(synchronize_session=False))


def _claim_source(session: Session, source: str, now: datetime) -> bool:
    """Count this attempt against its source; False when the source is waiting."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(insert(LoginSource).values(source=source, window_start=now, failures=0)
                    .on_conflict_do_nothing(index_elements=["source"]))
    # A window that has run out starts again (conditional: two processes cannot both
    # restart it and lose each other's failures).
    session.execute(update(LoginSource)
                    .where(col(LoginSource.source) == source, col(LoginSource.window_start) <= now - SOURCE_WINDOW)
                    .values(window_start=now, failures=0)
                    .execution_options(synchronize_session=False))
    failures = session.execute(
        update(LoginSource)
        .where(col(LoginSource.source) == source,
               or_(col(LoginSource.wait_until).is_(None), col(LoginSource.wait_until) <= now))
        .values(failures=col(LoginSource.failures) + 1)
        .returning(col(LoginSource.failures))
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if failures is None:
        return False
    if failures > SOURCE_MAX_FAILURES:
        session.execute(update(LoginSource).where(col(LoginSource.source) == source)
                        .values(wait_until=now + SOURCE_WAIT, window_start=now, failures=0)
                        .execution_options(synchronize_session=False))
        return False
    return True


def _forgive_source(session: Session, source: str) -> None:
    """A success gives back the attempt claimed for it (and nothing more: a valid
    account must not launder a source's failures)."""
    session.execute(update(LoginSource)
                    .where(col(LoginSource.source) == source, col(LoginSource.failures) > 0)
                    .values(failures=col(LoginSource.failures) - 1)
                    .execution_options(synchronize_session=False))


# --------------------------------------------------------------------------- the check


@dataclass(frozen=True)
class Candidate:
    """The account a login names, as read at the start of the attempt."""

    id: int
    password_hash: str
    active: bool


@dataclass(frozen=True)
class _Claim:
    account_id: int | None
    password_hash: str | None  # None: verify the dummy hash, the attempt has failed
    reason: str | None


def check_password(
    ctx: Context,
    *,
    model: Throttled,
    find: Callable[[Session], Candidate | None],
    password: str,
    source: str | None,
    login_tried: str,
    failed_action: str,
    on_success: Callable[[Session, int, str], T | str | None],
    field: str = "password",
) -> T:
    """Run one throttled password check and, when it passes, `on_success(session,
    account_id, source)` in the same transaction that resets the counters. It
    returns the result, or a French refusal to show (a message only a holder of the
    password may see), or None to refuse with the generic answer (e.g. the account
    was disabled meanwhile). Every other failure raises ServiceError(LOGIN_FAILED)."""
    now = ctx.clock.now()
    where = normalise_source(source, ctx.settings.login_source)

    def _claim(session: Session) -> _Claim:
        source_ok = _claim_source(session, where, now)
        found = find(session)
        account_id = found.id if found else None
        if not source_ok:
            return _Claim(account_id, None, SOURCE_WAITING)
        if found is None:
            return _Claim(None, None, UNKNOWN)
        if not found.active:
            return _Claim(account_id, None, DISABLED)
        if not _claim_account(session, model, found.id, now):
            return _Claim(account_id, None, ACCOUNT_WAITING)
        return _Claim(account_id, found.password_hash, None)

    claim = ctx.db.write(_claim)
    # Outside any transaction: the slow part must not hold a write lock.
    matched = verify_password(claim.password_hash or dummy_hash(), password)
    reason = claim.reason or (None if matched else WRONG_PASSWORD)
    rehashed = (hash_password(password)
                if reason is None and claim.password_hash and needs_rehash(claim.password_hash) else None)

    def _failed(session: Session, why: str) -> None:
        audit.record(session, at=now, actor=f"source:{where}", action=failed_action,
                     entity=model.__tablename__, entity_id=claim.account_id,
                     login=login_tried, source=where, reason=why)

    def _finish(session: Session) -> T | str | None:
        if reason is not None:
            _failed(session, reason)
            return None
        assert claim.account_id is not None and claim.password_hash is not None
        _reset_account(session, model, claim.account_id)
        _forgive_source(session, where)
        if rehashed is not None:
            session.execute(update(model)
                            .where(col(model.id) == claim.account_id,
                                   col(model.password_hash) == claim.password_hash)
                            .values(password_hash=rehashed)
                            .execution_options(synchronize_session=False))
        result = on_success(session, claim.account_id, where)
        if result is None:
            _failed(session, DISABLED)
        return result

    result = ctx.db.write(_finish)
    if result is None:
        raise ServiceError(LOGIN_FAILED, field=field)
    if isinstance(result, str):
        raise ServiceError(result, field=field)
    return result
