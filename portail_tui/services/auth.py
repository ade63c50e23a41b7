"""Agent accounts and login. Hashing and the throttle (per-account delay, per-source
limit, one answer and one timing for every failure) live in login_guard, shared with
the family portal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from portail_tui.models import ROLES, Agent, Regie
from portail_tui.services import audit, permissions
from portail_tui.services.context import Actor, Context, ServiceError
from portail_tui.services.login_guard import (
    LOGIN_FAILED,
    Candidate,
    check_password,
    hash_password,
    source_from_environment,
    verify_password,
)

# Re-exported: the demo generator and tests import them from here.
__all__ = [
    "LOGIN_FAILED", "MIN_PASSWORD_LENGTH", "actor_by_login", "actor_for", "add_agent", "hash_password",
    "list_agents", "login", "source_from_environment", "unlock", "verify_password",
]

MIN_PASSWORD_LENGTH = 8


def actor_for(agent: Agent) -> Actor:
    return Actor(
        kind="agent",
        login=agent.login,
        regie_id=agent.regie_id,
        agent_id=agent.id,
        full_name=agent.full_name,
        role=agent.role,
        can_see_health=agent.can_see_health,
    )


def login(ctx: Context, login_name: str, password: str, source: str | None = None) -> Actor:
    """Check an agent's credentials. `source` says where the attempt comes from
    (« terminal », « ssh 192.0.2.7 », « navigateur 127.0.0.1 »); None: this process's
    own session (`source_from_environment`). Every refusal is ServiceError(LOGIN_FAILED);
    why is in the audit trail (`agent.login_failed`) only."""
    now = ctx.clock.now()
    login_name = (login_name or "").strip()[:64]

    def _find(session: Session) -> Candidate | None:
        agent = session.execute(select(Agent).where(col(Agent.login) == login_name)).scalar_one_or_none()
        if agent is None or agent.id is None:
            return None
        return Candidate(agent.id, agent.password_hash, agent.active)

    def _success(session: Session, agent_id: int, where: str) -> Actor | None:
        agent = session.get(Agent, agent_id)
        if agent is None or not agent.active:
            return None
        agent.last_login_at = now
        session.add(agent)
        audit.record(session, at=now, actor=f"agent:{agent.login}", action="agent.login",
                     entity="agent", entity_id=agent.id, source=where)
        return actor_for(agent)

    return check_password(ctx, model=Agent, find=_find, password=password, source=source,
                          login_tried=login_name, failed_action="agent.login_failed", on_success=_success)


def unlock(ctx: Context, actor: Actor, password: str, source: str | None = None) -> Actor:
    """Reopen a session locked after idling: the same throttled check as `login`, for
    the session's own agent only (a colleague's password does not take the session
    over). Returns the agent as it is now, so a role changed meanwhile applies."""
    fresh = login(ctx, actor.login, password, source)
    if fresh.agent_id != actor.agent_id:
        raise ServiceError(LOGIN_FAILED, field="password")
    return fresh


def actor_by_login(ctx: Context, login_name: str) -> Actor:
    """The actor for an already-authenticated agent (SSH key forced command).
    A disabled or unknown agent is refused."""

    def _work(session: Session) -> Actor | None:
        agent = session.execute(select(Agent).where(col(Agent.login) == login_name)).scalar_one_or_none()
        if agent is None or not agent.active:
            return None
        return actor_for(agent)

    actor = ctx.db.read(_work)
    if actor is None:
        raise ServiceError(f"Agent inconnu ou désactivé : {login_name}.")
    return actor


def add_agent(
    ctx: Context,
    login_name: str,
    password: str,
    *,
    role: str = "agent",
    full_name: str | None = None,
    can_see_health: bool = False,
    regie_id: int | None = None,
) -> Agent:
    """Create an agent account. From the CLI the caller is the system (an
    administrator at the server's shell); from the UI only an admin may."""
    if ctx.actor is not None:
        permissions.require(ctx, "agent.manage")
    login_name = (login_name or "").strip()
    if not login_name or len(login_name) > 64 or not login_name.replace(".", "").replace("-", "").replace("_", "").isalnum():
        raise ServiceError("Identifiant invalide : lettres, chiffres, point, tiret (64 caractères au plus).",
                           field="login")
    if role not in ROLES:
        raise ServiceError(f"Rôle inconnu : {role} (agent, regisseur ou admin).", field="role")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ServiceError(f"Mot de passe trop court ({MIN_PASSWORD_LENGTH} caractères au moins).",
                           field="password")
    now = ctx.clock.now()
    hashed = hash_password(password)

    def _work(session: Session) -> Agent:
        if session.execute(select(col(Agent.id)).where(col(Agent.login) == login_name)).first():
            raise ServiceError(f"L'identifiant {login_name} existe déjà.", field="login")
        rid = regie_id
        if rid is None:
            rid = session.execute(select(col(Regie.id)).order_by(col(Regie.id))).scalar()
            if rid is None:
                raise ServiceError("Aucune régie dans la base : lancez « portail demo » ou créez-la d'abord.")
        agent = Agent(regie_id=rid, login=login_name, full_name=full_name or login_name, role=role,
                      password_hash=hashed, can_see_health=can_see_health, created_at=now)
        session.add(agent)
        session.flush()
        audit.record(session, at=now, actor=ctx.actor_tag,
                     action="agent.create", entity="agent", entity_id=agent.id, role=role)
        return agent

    return ctx.db.write(_work)


def list_agents(ctx: Context) -> list[Agent]:
    return ctx.db.read(lambda s: list(s.execute(select(Agent).order_by(col(Agent.login))).scalars()))


def _manage_agent(ctx: Context, login_name: str, action: str, change: Callable[[Agent], dict[str, Any]],
                  ) -> Agent:
    """Apply `change` to one agent account and audit it: the administrator's commands
    (`portail agent disable|enable|unlock|password`) and, later, the admin tab. From the
    CLI the caller is the system; from the UI only an admin may."""
    if ctx.actor is not None:
        permissions.require(ctx, "agent.manage")
    now = ctx.clock.now()

    def _work(session: Session) -> Agent:
        agent: Agent | None = session.execute(
            select(Agent).where(col(Agent.login) == login_name.strip())).scalars().first()
        if agent is None:
            raise ServiceError(f"Agent inconnu : {login_name.strip()[:64]}.", field="login")
        details = change(agent)
        session.add(agent)
        session.flush()
        audit.record(session, at=now, actor=ctx.actor_tag, action=action,
                     entity="agent", entity_id=agent.id, login=agent.login, **details)
        return agent

    return ctx.db.write(_work)


def set_agent_active(ctx: Context, login_name: str, active: bool) -> Agent:
    """Disable a departed agent (their logins and SSH key are refused from then on) or
    enable them again. Nothing of what they did is touched."""

    def change(agent: Agent) -> dict[str, Any]:
        agent.active = active
        return {}

    return _manage_agent(ctx, login_name, "agent.enable" if active else "agent.disable", change)


def unlock_agent(ctx: Context, login_name: str) -> Agent:
    """End the wait that failed logins put on an account (the owner called the
    administrator): the failure count starts again from zero."""

    def change(agent: Agent) -> dict[str, Any]:
        details: dict[str, Any] = {"failures": agent.failed_attempts}
        agent.failed_attempts = 0
        agent.locked_until = None
        return details

    return _manage_agent(ctx, login_name, "agent.unlock", change)


def set_agent_password(ctx: Context, login_name: str, password: str) -> Agent:
    """A new password chosen by the administrator (forgotten password); the wait after
    failures ends with it. The password itself is never audited."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ServiceError(f"Mot de passe trop court ({MIN_PASSWORD_LENGTH} caractères au moins).",
                           field="password")
    hashed = hash_password(password)

    def change(agent: Agent) -> dict[str, Any]:
        agent.password_hash = hashed
        agent.failed_attempts = 0
        agent.locked_until = None
        return {}

    return _manage_agent(ctx, login_name, "agent.password", change)


def set_agent_health(ctx: Context, login_name: str, allowed: bool) -> Agent:
    """Give or withdraw the right to see health forms (B6, G7): always an explicit act
    of an administrator, audited, never a side effect of a role."""

    def change(agent: Agent) -> dict[str, Any]:
        details: dict[str, Any] = {"before": agent.can_see_health, "after": allowed}
        agent.can_see_health = allowed
        return details

    return _manage_agent(ctx, login_name, "agent.health", change)


def set_agent_role(ctx: Context, login_name: str, role: str) -> Agent:
    """Make an agent régisseur or administrator, or take it back (G7): roles are
    given explicitly, a new agent has none above « agent »."""
    if role not in ROLES:
        raise ServiceError(f"Rôle inconnu : {role} (agent, regisseur ou admin).", field="role")

    def change(agent: Agent) -> dict[str, Any]:
        details: dict[str, Any] = {"before": agent.role, "after": role}
        agent.role = role
        return details

    return _manage_agent(ctx, login_name, "agent.role", change)
