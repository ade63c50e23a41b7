"""Agent accounts and login on both engines: argon2id with the OWASP parameters, one
answer and one hash check for every failure, a per-account delay and a per-source limit
shared through the database, failures audited with their source."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from portail_tui.clock import FixedClock
from portail_tui.models import Agent, AuditLog, Regie
from portail_tui.models.core import LoginSource
from portail_tui.services import auth, login_guard
from portail_tui.services.context import Context, PermissionDenied, ServiceError


@pytest.fixture
def regie_ctx(ctx: Context) -> Context:
    ctx.db.write(lambda s: s.add(Regie(code="SCOLAIRE", name="REGIE DES SERVICES SCOLAIRES")))
    auth.add_agent(ctx, "marie", "motdepasse1", role="agent", full_name="Marie Curie")
    return ctx


def test_password_is_hashed_with_argon2id(regie_ctx: Context) -> None:
    agent = auth.list_agents(regie_ctx)[0]
    assert agent.password_hash.startswith("$argon2id$")
    assert "motdepasse1" not in agent.password_hash


def test_login_success_returns_actor(regie_ctx: Context) -> None:
    actor = auth.login(regie_ctx, "marie", "motdepasse1")
    assert actor.login == "marie" and actor.full_name == "Marie Curie" and actor.role == "agent"
    assert actor.tag == "agent:marie"


@pytest.mark.parametrize("login,password", [("marie", "mauvais"), ("inconnu", "motdepasse1"), ("", "")])
def test_wrong_credentials_get_one_neutral_message(regie_ctx: Context, login: str, password: str) -> None:
    with pytest.raises(ServiceError) as err:
        auth.login(regie_ctx, login, password)
    assert err.value.message == auth.LOGIN_FAILED


def _marie(ctx: Context) -> Agent:
    return ctx.db.read(lambda s: s.execute(select(Agent).where(col(Agent.login) == "marie")).scalar_one())


def _fail(ctx: Context, login: str = "marie", password: str = "mauvais", source: str = "terminal") -> None:
    with pytest.raises(ServiceError) as err:
        auth.login(ctx, login, password, source=source)
    assert err.value.message == auth.LOGIN_FAILED  # whatever the reason


def test_failures_start_a_delay_seen_by_every_terminal(regie_ctx: Context, clock: FixedClock) -> None:
    for _ in range(login_guard.FREE_FAILURES):
        _fail(regie_ctx)
    assert _marie(regie_ctx).locked_until is None  # a few typos cost nothing
    _fail(regie_ctx)
    delay = login_guard.account_delay(login_guard.FREE_FAILURES + 1)
    assert delay == timedelta(seconds=2 ** (login_guard.FREE_FAILURES + 1))
    # Another terminal: a new context on the same database sees the wait, and even the
    # right password gets the generic answer during it.
    other = Context(db=regie_ctx.db, clock=regie_ctx.clock, settings=regie_ctx.settings)
    _fail(other, password="motdepasse1", source="ssh 192.0.2.7")
    clock.advance(delay - timedelta(seconds=1))
    _fail(regie_ctx, password="motdepasse1")
    clock.advance(timedelta(seconds=1))
    assert auth.login(regie_ctx, "marie", "motdepasse1", source="terminal").login == "marie"
    assert _marie(regie_ctx).failed_attempts == 0 and _marie(regie_ctx).locked_until is None


def test_success_resets_the_counter(regie_ctx: Context) -> None:
    for _ in range(login_guard.FREE_FAILURES):
        _fail(regie_ctx)
    auth.login(regie_ctx, "marie", "motdepasse1")
    assert _marie(regie_ctx).failed_attempts == 0
    for _ in range(login_guard.FREE_FAILURES):
        _fail(regie_ctx)
    assert auth.login(regie_ctx, "marie", "motdepasse1").login == "marie"


def test_the_delay_grows_but_never_past_the_cap() -> None:
    delays = [login_guard.account_delay(n) for n in range(0, 200)]
    assert delays[: login_guard.FREE_FAILURES + 1] == [timedelta(0)] * (login_guard.FREE_FAILURES + 1)
    assert delays == sorted(delays) and max(delays) == login_guard.MAX_DELAY == timedelta(minutes=15)


def test_an_attacker_cannot_keep_the_owner_out(regie_ctx: Context, clock: FixedClock) -> None:
    """Issue 13: anyone could lock `admin` for 15 minutes, again and again."""
    attacker = "ssh 192.0.2.66"
    for i in range(3 * login_guard.SOURCE_MAX_FAILURES):
        _fail(regie_ctx, password=f"essai{i}", source=attacker)
        clock.advance(timedelta(seconds=1))
        until = _marie(regie_ctx).locked_until
        assert until is None or until - clock.now() <= login_guard.MAX_DELAY
    # The attacker's source now waits: even the right password is refused there, and
    # its tries no longer touch the account.
    counted = _marie(regie_ctx)
    _fail(regie_ctx, password="motdepasse1", source=attacker)
    after = _marie(regie_ctx)
    assert (after.failed_attempts, after.locked_until) == (counted.failed_attempts, counted.locked_until)
    # The owner, from another source, gets in once the account's delay has run out.
    assert counted.locked_until is not None
    clock.set(counted.locked_until)
    assert auth.login(regie_ctx, "marie", "motdepasse1", source="terminal").login == "marie"


def test_attackers_from_many_sources_only_reach_the_cap(regie_ctx: Context, clock: FixedClock) -> None:
    for n in range(25):
        until = _marie(regie_ctx).locked_until
        if until is not None and until > clock.now():
            clock.set(until)
        _fail(regie_ctx, password=f"essai{n}", source=f"ssh 192.0.2.{n}")
        until = _marie(regie_ctx).locked_until
        assert until is not None or n < login_guard.FREE_FAILURES
        assert until is None or until - clock.now() <= login_guard.MAX_DELAY
    assert _marie(regie_ctx).locked_until == clock.now() + login_guard.MAX_DELAY
    clock.advance(login_guard.MAX_DELAY)
    assert auth.login(regie_ctx, "marie", "motdepasse1", source="terminal").login == "marie"


def test_a_source_with_too_many_failures_waits_whatever_the_login(regie_ctx: Context, clock: FixedClock) -> None:
    noisy = "navigateur 198.51.100.9"
    for i in range(login_guard.SOURCE_MAX_FAILURES):
        _fail(regie_ctx, login=f"inconnu{i}", source=noisy)
    _fail(regie_ctx, password="motdepasse1", source=noisy)
    assert _marie(regie_ctx).failed_attempts == 0  # the account was never tried
    assert auth.login(regie_ctx, "marie", "motdepasse1", source="terminal").login == "marie"
    clock.advance(login_guard.SOURCE_WAIT)
    assert auth.login(regie_ctx, "marie", "motdepasse1", source=noisy).login == "marie"


def test_every_failure_costs_one_hash_verification(regie_ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    """Same work for an unknown login as for a wrong password (counted, not timed)."""
    from sqlalchemy import update

    checked: list[str] = []
    real = login_guard.verify_password

    def counting(password_hash: str, password: str) -> bool:
        checked.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(login_guard, "verify_password", counting)
    marie_hash = _marie(regie_ctx).password_hash
    cases = [("inconnu", "motdepasse1", login_guard.dummy_hash()), ("marie", "mauvais", marie_hash)]
    for login, password, expected in cases:
        checked.clear()
        _fail(regie_ctx, login=login, password=password)
        assert checked == [expected]
    for _ in range(login_guard.FREE_FAILURES):
        _fail(regie_ctx)
    checked.clear()
    _fail(regie_ctx, password="motdepasse1")  # waiting: the dummy, not the real hash
    assert checked == [login_guard.dummy_hash()]
    regie_ctx.db.write(lambda s: s.execute(update(Agent).values(active=False, locked_until=None)))
    checked.clear()
    _fail(regie_ctx, password="motdepasse1")
    assert checked == [login_guard.dummy_hash()]


def test_failed_logins_are_audited_with_their_source(regie_ctx: Context) -> None:
    _fail(regie_ctx, login="inconnu", source="ssh 192.0.2.7")
    _fail(regie_ctx, source="navigateur 127.0.0.1")
    auth.login(regie_ctx, "marie", "motdepasse1", source="terminal")
    rows = regie_ctx.db.read(lambda s: list(s.execute(
        select(AuditLog).where(col(AuditLog.action).like("agent.login%")).order_by(col(AuditLog.id))).scalars()))
    seen = [(r.action, r.actor, json.loads(r.details)) for r in rows]
    assert seen == [
        ("agent.login_failed", "source:ssh 192.0.2.7",
         {"login": "inconnu", "source": "ssh 192.0.2.7", "reason": "identifiant inconnu"}),
        ("agent.login_failed", "source:navigateur 127.0.0.1",
         {"login": "marie", "source": "navigateur 127.0.0.1", "reason": "mot de passe erroné"}),
        ("agent.login", "agent:marie", {"source": "terminal"}),
    ]


def test_concurrent_failures_all_count(regie_ctx: Context) -> None:
    """Parallel guesses are counted before the hash check: exactly the free allowance
    plus one reach the password, the others find the account waiting."""
    from concurrent.futures import ThreadPoolExecutor

    def guess(i: int) -> str:
        try:
            auth.login(regie_ctx, "marie", f"essai{i}", source="ssh 192.0.2.8")
        except ServiceError as exc:
            return exc.message
        return "entré"

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(guess, range(8)))
    assert answers == [auth.LOGIN_FAILED] * 8
    assert _marie(regie_ctx).failed_attempts == login_guard.FREE_FAILURES + 1
    source = regie_ctx.db.read(lambda s: s.execute(select(LoginSource)).scalar_one())
    assert source.failures == 8
    failed = regie_ctx.db.read(lambda s: s.execute(
        select(func.count()).select_from(AuditLog).where(col(AuditLog.action) == "agent.login_failed")).scalar_one())
    assert failed == 8


def test_new_hashes_use_owasp_parameters_and_old_ones_are_replaced(regie_ctx: Context) -> None:
    from argon2 import PasswordHasher
    from sqlalchemy import update

    assert _marie(regie_ctx).password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    old = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4).hash("motdepasse1")
    regie_ctx.db.write(lambda s: s.execute(update(Agent).values(password_hash=old)))
    auth.login(regie_ctx, "marie", "motdepasse1")
    rehashed = _marie(regie_ctx).password_hash
    assert rehashed != old and rehashed.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert auth.verify_password(rehashed, "motdepasse1")
    _fail(regie_ctx)  # a failed login never rewrites the hash
    assert _marie(regie_ctx).password_hash == rehashed


def test_unlocking_an_idle_session_is_a_throttled_login(regie_ctx: Context) -> None:
    marie = auth.login(regie_ctx, "marie", "motdepasse1")
    assert auth.unlock(regie_ctx, marie, "motdepasse1", source="terminal").agent_id == marie.agent_id
    for _ in range(login_guard.FREE_FAILURES + 1):
        with pytest.raises(ServiceError) as err:
            auth.unlock(regie_ctx, marie, "mauvais", source="terminal")
        assert err.value.message == auth.LOGIN_FAILED
    with pytest.raises(ServiceError):  # waiting, like any login
        auth.unlock(regie_ctx, marie, "motdepasse1", source="terminal")


@pytest.mark.parametrize("environ,source", [
    ({"SSH_CONNECTION": "192.0.2.7 50000 192.0.2.1 22", "TERM": "xterm"}, "ssh 192.0.2.7"),
    ({"TEXTUAL_DRIVER": "textual.drivers.web_driver:WebDriver", "PORTAIL_CLIENT_ADDRESS": "127.0.0.1"},
     "navigateur 127.0.0.1"),
    ({"TEXTUAL_DRIVER": "textual.drivers.web_driver:WebDriver"}, "navigateur adresse inconnue"),
    ({}, "terminal"),
])
def test_the_source_of_a_session(environ: dict[str, str], source: str) -> None:
    assert auth.source_from_environment(environ) == source


def test_disabled_agent_cannot_log_in(regie_ctx: Context) -> None:
    from sqlalchemy import update

    from portail_tui.models import Agent

    regie_ctx.db.write(lambda s: s.execute(update(Agent).values(active=False)))
    with pytest.raises(ServiceError) as err:
        auth.login(regie_ctx, "marie", "motdepasse1")
    assert err.value.message == auth.LOGIN_FAILED
    with pytest.raises(ServiceError):
        auth.actor_by_login(regie_ctx, "marie")


@pytest.mark.parametrize(
    "login,password,role,message",
    [
        ("marie", "motdepasse2", "agent", "existe déjà"),
        ("paul", "court", "agent", "trop court"),
        ("paul", "motdepasse2", "chef", "Rôle inconnu"),
        ("pa ul", "motdepasse2", "agent", "Identifiant invalide"),
        ("x" * 10_000, "motdepasse2", "agent", "Identifiant invalide"),
    ],
)
def test_add_agent_refusals(regie_ctx: Context, login: str, password: str, role: str, message: str) -> None:
    with pytest.raises(ServiceError, match=message):
        auth.add_agent(regie_ctx, login, password, role=role)
    assert [a.login for a in auth.list_agents(regie_ctx)] == ["marie"]


def test_only_admin_creates_agents_from_the_ui(regie_ctx: Context) -> None:
    marie = auth.login(regie_ctx, "marie", "motdepasse1")
    with pytest.raises(PermissionDenied):
        auth.add_agent(regie_ctx.as_actor(marie), "paul", "motdepasse2")


def test_a_new_agent_does_not_see_health_unless_granted(regie_ctx: Context) -> None:
    """B6: health data is opt-in, whatever the role."""
    from portail_tui.services import permissions

    auth.add_agent(regie_ctx, "paul", "motdepasse2", role="regisseur")
    auth.add_agent(regie_ctx, "lina", "motdepasse3", role="agent", can_see_health=True)
    seen = {a.login: a.can_see_health for a in auth.list_agents(regie_ctx)}
    assert seen == {"marie": False, "paul": False, "lina": True}
    assert not permissions.can_see_health(auth.login(regie_ctx, "marie", "motdepasse1"))
    assert not permissions.can_see_health(auth.login(regie_ctx, "paul", "motdepasse2"))
    assert permissions.can_see_health(auth.login(regie_ctx, "lina", "motdepasse3"))


def test_the_model_default_is_no_health_access() -> None:
    from datetime import datetime

    from portail_tui.models import Agent

    agent = Agent(regie_id=1, login="x", full_name="X", password_hash="h", created_at=datetime(2026, 1, 1))
    assert agent.can_see_health is False
