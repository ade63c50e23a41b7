"""Family portal accounts (R13) on both engines: provisional password by e-mail,
hashed, expiring, forced change; reset by identifier + e-mail with a single-use
hashed code and the same answer whether or not the account exists."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select

from portail_tui.clock import FixedClock
from portail_tui.models import AuditLog, OutboxMessage, PasswordReset, PortalAccount
from portail_tui.services import dossier, login_guard
from portail_tui.services import portal_accounts as pa
from portail_tui.services.context import Context, PermissionDenied, ServiceError
from tests.support.dossier_town import GUARDIAN, seed


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Same argon2id scheme with tiny costs: the production parameters cost tens of
    milliseconds per hash on a small machine, and these tests hash dozens of times."""
    from argon2 import PasswordHasher

    from portail_tui.services import login_guard

    monkeypatch.setattr(login_guard, "_hasher", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))


def _outbox(ctx: Context) -> list[OutboxMessage]:
    return ctx.db.read(lambda s: list(s.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars()))


def _account(ctx: Context) -> PortalAccount:
    return ctx.db.read(lambda s: s.execute(select(PortalAccount)).scalar_one())


def _code(message: OutboxMessage) -> str:
    m = re.search(r"Code de réinitialisation : (\S+)", message.body_text)
    assert m
    return m.group(1)


def _public(ctx: Context) -> Context:
    return Context(db=ctx.db, clock=ctx.clock, settings=ctx.settings)


def test_create_account_sends_provisional_password_once(ctx: Context) -> None:
    town = seed(ctx)
    created = pa.create_account(town.agent, town.family_id)
    assert created.identifier == "000001"
    assert created.email == "helene.lefevre@example.fr"
    assert len(created.provisional_password) == pa.PROVISIONAL_LENGTH
    assert created.provisional_password not in repr(created)
    account = _account(ctx)
    assert account.password_hash.startswith("$argon2id$")
    assert created.provisional_password not in account.password_hash
    assert account.must_change_password
    assert account.provisional_expires_at == ctx.clock.now() + pa.PROVISIONAL_VALIDITY
    [mail] = _outbox(ctx)
    assert mail.kind == "portal.account" and mail.to_addr == "helene.lefevre@example.fr"
    assert created.provisional_password in mail.body_text and "000001" in mail.body_text
    logs = ctx.db.read(lambda s: list(s.execute(select(AuditLog.details)).scalars()))
    assert not any(created.provisional_password in d for d in logs)  # never logged
    info = pa.account_info(town.agent, town.family_id)
    assert info is not None and "provisoire" in info.status_text(ctx.clock.now())
    with pytest.raises(ServiceError, match="déjà un compte"):
        pa.create_account(town.agent, town.family_id)


def test_create_needs_an_email_and_a_valid_identifier(ctx: Context) -> None:
    town = seed(ctx)
    no_mail = dossier.create_family(town.agent, {"civility": "M.", "last_name": "Martin", "first_name": "Paul"})
    with pytest.raises(ServiceError, match="Aucun courriel") as err:
        pa.create_account(town.agent, no_mail)
    assert err.value.field == "email"
    with pytest.raises(ServiceError) as err:
        pa.create_account(town.agent, town.family_id, identifier="a b")
    assert err.value.field == "identifier"
    assert pa.create_account(town.agent, town.family_id, identifier="Lefevre.H").identifier == "lefevre.h"


def test_first_login_forces_change_and_provisional_expires(ctx: Context, clock: FixedClock) -> None:
    town = seed(ctx)
    created = pa.create_account(town.agent, town.family_id)
    public = _public(ctx)
    with pytest.raises(ServiceError, match="incorrect"):
        pa.family_login(public, "000001", "mauvais")
    session = pa.family_login(public, "000001", created.provisional_password)
    assert session.must_change_password and session.family_id == town.family_id
    assert session.actor.kind == "famille" and session.actor.tag == "famille:000001"
    with pytest.raises(ServiceError, match="trop court"):
        pa.change_password(public, "000001", created.provisional_password, "court")
    with pytest.raises(ServiceError, match="différent"):
        pa.change_password(public, "000001", created.provisional_password, created.provisional_password)
    pa.change_password(public, "000001", created.provisional_password, "un-mot-de-passe-à-moi")
    session = pa.family_login(public, "000001", "un-mot-de-passe-à-moi")
    assert not session.must_change_password
    with pytest.raises(ServiceError):
        pa.family_login(public, "000001", created.provisional_password)
    # A new provisional password not used in time expires.
    again = pa.reissue_password(town.agent, town.family_id)
    clock.advance(pa.PROVISIONAL_VALIDITY + timedelta(minutes=1))
    with pytest.raises(ServiceError, match="expiré"):
        pa.family_login(public, "000001", again.provisional_password)


def _refused(fn: Callable[[], object]) -> None:
    with pytest.raises(ServiceError) as err:
        fn()
    assert err.value.message == pa.LOGIN_FAILED


def test_failures_make_the_account_wait_with_the_generic_answer(ctx: Context, clock: FixedClock) -> None:
    town = seed(ctx)
    created = pa.create_account(town.agent, town.family_id)
    public = _public(ctx)
    for _ in range(login_guard.FREE_FAILURES + 1):
        _refused(lambda: pa.family_login(public, "000001", "faux", source="navigateur 192.0.2.9"))
    # During the wait even the right password gets the generic answer, from anywhere.
    _refused(lambda: pa.family_login(public, "000001", created.provisional_password, source="terminal"))
    clock.advance(login_guard.account_delay(login_guard.FREE_FAILURES + 1))
    assert pa.family_login(public, "000001", created.provisional_password).family_id == town.family_id
    assert _account(ctx).failed_attempts == 0
    failed = ctx.db.read(lambda s: list(s.execute(
        select(AuditLog.details).where(AuditLog.action == "portal.login_failed")).scalars()))
    assert len(failed) == login_guard.FREE_FAILURES + 2
    assert '"source": "navigateur 192.0.2.9"' in failed[0] and '"reason": "compte en attente"' in failed[-1]


def test_password_change_counts_failures_and_respects_the_wait(ctx: Context, clock: FixedClock) -> None:
    """Issue 13: the change counted no failures and worked on a locked account."""
    town = seed(ctx)
    created = pa.create_account(town.agent, town.family_id)
    public = _public(ctx)
    for i in range(login_guard.FREE_FAILURES + 1):
        _refused(lambda i=i: pa.change_password(public, "000001", f"devine-{i}", "un-mot-de-passe-à-moi"))
    assert _account(ctx).failed_attempts == login_guard.FREE_FAILURES + 1
    # Waiting: the right current password changes nothing.
    _refused(lambda: pa.change_password(public, "000001", created.provisional_password, "un-mot-de-passe-à-moi"))
    _refused(lambda: pa.family_login(public, "000001", "un-mot-de-passe-à-moi"))
    clock.advance(login_guard.account_delay(login_guard.FREE_FAILURES + 1))
    pa.change_password(public, "000001", created.provisional_password, "un-mot-de-passe-à-moi")
    assert not pa.family_login(public, "000001", "un-mot-de-passe-à-moi").must_change_password
    _refused(lambda: pa.change_password(public, "inconnu", "quelconque", "un-autre-mot-de-passe"))


def test_reset_same_answer_single_use_expiring(ctx: Context, clock: FixedClock) -> None:
    town = seed(ctx)
    pa.create_account(town.agent, town.family_id)
    public = _public(ctx)
    before = len(_outbox(ctx))
    answers = {
        pa.request_reset(public, "inconnu", "helene.lefevre@example.fr"),
        pa.request_reset(public, "000001", "quelquun@example.fr"),
        pa.request_reset(public, "000001", "Helene.Lefevre@Example.fr"),
    }
    assert answers == {pa.RESET_ANSWER}
    mails = _outbox(ctx)[before:]
    assert len(mails) == 1 and mails[0].kind == "portal.reset"  # only the matching request sends
    code = _code(mails[0])
    stored = ctx.db.read(lambda s: s.execute(select(PasswordReset)).scalar_one())
    assert code not in stored.token_hash and len(stored.token_hash) == 64
    with pytest.raises(ServiceError, match="Code invalide"):
        pa.complete_reset(public, "000001", "MAUVAISCODE", "nouveau-secret-1")
    pa.complete_reset(public, "000001", code, "nouveau-secret-1")
    assert not pa.family_login(public, "000001", "nouveau-secret-1").must_change_password
    with pytest.raises(ServiceError, match="Code invalide"):
        pa.complete_reset(public, "000001", code, "nouveau-secret-2")  # single use
    pa.request_reset(public, "000001", "helene.lefevre@example.fr")
    late = _code(_outbox(ctx)[-1])
    clock.advance(pa.RESET_VALIDITY + timedelta(seconds=1))
    with pytest.raises(ServiceError, match="Code invalide"):
        pa.complete_reset(public, "000001", late, "nouveau-secret-3")


def test_reset_requests_are_rate_limited(ctx: Context) -> None:
    town = seed(ctx)
    pa.create_account(town.agent, town.family_id)
    public = _public(ctx)
    before = len(_outbox(ctx))
    for _ in range(5):
        assert pa.request_reset(public, "000001", GUARDIAN["email"]) == pa.RESET_ANSWER
    assert len(_outbox(ctx)) - before == pa.MAX_RESETS_PER_HOUR


def test_agent_reissue_voids_pending_codes(ctx: Context) -> None:
    town = seed(ctx)
    pa.create_account(town.agent, town.family_id)
    public = _public(ctx)
    pa.request_reset(public, "000001", GUARDIAN["email"])
    code = _code(_outbox(ctx)[-1])
    again = pa.reissue_password(town.agent, town.family_id)
    with pytest.raises(ServiceError):
        pa.complete_reset(public, "000001", code, "nouveau-secret-1")
    assert pa.family_login(public, "000001", again.provisional_password).must_change_password


def test_disabled_account_and_permissions(ctx: Context) -> None:
    town = seed(ctx)
    created = pa.create_account(town.agent, town.family_id)
    pa.set_active(town.agent, town.family_id, False)
    with pytest.raises(ServiceError, match="incorrect"):
        pa.family_login(_public(ctx), "000001", created.provisional_password)
    with pytest.raises(PermissionDenied):
        pa.create_account(_public(ctx), town.family_id)


def test_batch_hashes_on_every_core_and_writes_in_chunks(db, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """`portail comptes envoyer` for a town: passwords hashed by a pool of processes,
    accounts written BATCH_CHUNK families per transaction; a family refused in the middle
    is said and the others go on; every mailed password opens its account."""
    import os

    from tests.support.payments_town import NOW, add_family
    from tests.support.payments_town import seed as town_seed

    sd = town_seed(db)
    db.write(lambda s: [add_family(s, sd.regie_id, 500 + i, name=f"FAM{i}", email=f"f{i}@exemple.fr")
                        for i in range(24)])
    ctx = Context(db=db, clock=FixedClock(NOW)).as_actor(sd.admin)
    pa.create_account(ctx, sd.family_id, identifier="000510")  # the number FAM10 would take
    monkeypatch.setattr(pa, "BATCH_CHUNK", 7)
    steps: list[tuple[int, int]] = []
    batch = pa.create_missing_accounts(ctx, progress=lambda done, total: steps.append((done, total)))
    assert batch.created == 23
    assert batch.refused == ("Famille n° 000510 : L'identifiant 000510 est déjà utilisé.",)
    assert steps == [(7, 24), (14, 24), (21, 24), (24, 24)]
    hashes = ctx.db.read(lambda s: list(s.execute(select(PortalAccount.password_hash)).scalars()))
    assert len(hashes) == 24 and all(h.startswith("$argon2id$") for h in hashes)
    if len(os.sched_getaffinity(0)) > 1:
        # Hashed in spawned processes, which never saw this test's cheap parameters.
        assert sum("m=19456,t=2" in h for h in hashes) == 23
    mails = [m for m in _outbox(ctx) if m.kind == "portal.account"]
    assert len(mails) == 24
    for mail in mails[1::8]:
        ident = re.search(r"Identifiant : (\S+)", mail.body_text)
        password = re.search(r"Mot de passe provisoire : (\S+)", mail.body_text)
        assert ident and password
        session = pa.family_login(_public(ctx), ident.group(1), password.group(1))
        assert session.must_change_password
    assert pa.create_missing_accounts(ctx).created == 0  # idempotent
