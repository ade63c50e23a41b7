"""Agent accounts and login on both engines: argon2id, neutral refusals, lockout shared
through the database."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portail_tui.models import Regie
from portail_tui.services import auth
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


def test_five_failures_lock_the_account_for_everyone(regie_ctx: Context) -> None:
    for _ in range(auth.MAX_FAILURES):
        with pytest.raises(ServiceError):
            auth.login(regie_ctx, "marie", "mauvais")
    # Another terminal: a new context on the same database sees the lock.
    other = Context(db=regie_ctx.db, clock=regie_ctx.clock, settings=regie_ctx.settings)
    with pytest.raises(ServiceError, match="verrouillé"):
        auth.login(other, "marie", "motdepasse1")
    regie_ctx.clock.advance(timedelta(minutes=14))  # type: ignore[attr-defined]
    with pytest.raises(ServiceError, match="verrouillé"):
        auth.login(regie_ctx, "marie", "motdepasse1")
    regie_ctx.clock.advance(timedelta(minutes=2))  # type: ignore[attr-defined]
    assert auth.login(regie_ctx, "marie", "motdepasse1").login == "marie"


def test_four_failures_then_success_resets_the_counter(regie_ctx: Context) -> None:
    for _ in range(auth.MAX_FAILURES - 1):
        with pytest.raises(ServiceError):
            auth.login(regie_ctx, "marie", "mauvais")
    auth.login(regie_ctx, "marie", "motdepasse1")
    for _ in range(auth.MAX_FAILURES - 1):
        with pytest.raises(ServiceError):
            auth.login(regie_ctx, "marie", "mauvais")
    assert auth.login(regie_ctx, "marie", "motdepasse1").login == "marie"


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
