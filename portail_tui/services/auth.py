"""Agent accounts and login (argon2id hashes, lockout stored in the database so every
terminal sees it)."""

from __future__ import annotations

from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlmodel import Session, col

from portail_tui.models import ROLES, Agent, Regie
from portail_tui.services import audit, permissions
from portail_tui.services.context import Actor, Context, ServiceError

MAX_FAILURES = 5
LOCK_DURATION = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 8
LOGIN_FAILED = "Identifiant ou mot de passe incorrect."

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified when the login is unknown, so a wrong login costs the same time as a wrong password.
_DUMMY_HASH = _hasher.hash("pas-un-vrai-mot-de-passe")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


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


def login(ctx: Context, login_name: str, password: str) -> Actor:
    """Check credentials. Every refusal says the same neutral thing, except a locked
    account, which says for how long (the agent needs to know to call an admin)."""
    now = ctx.clock.now()
    login_name = (login_name or "").strip()[:64]

    def _work(session: Session) -> Actor | str:
        agent = session.execute(select(Agent).where(col(Agent.login) == login_name)).scalar_one_or_none()
        if agent is None or not agent.active:
            verify_password(_DUMMY_HASH, password)
            return LOGIN_FAILED
        if agent.locked_until is not None and agent.locked_until > now:
            minutes = max(1, int((agent.locked_until - now).total_seconds() // 60) + 1)
            return (
                f"Compte verrouillé après {MAX_FAILURES} échecs : réessayez dans {minutes} min"
                " ou demandez à un administrateur."
            )
        if not verify_password(agent.password_hash, password):
            agent.failed_attempts += 1
            if agent.failed_attempts >= MAX_FAILURES:
                agent.locked_until = now + LOCK_DURATION
                agent.failed_attempts = 0
                audit.record(session, at=now, actor=f"agent:{agent.login}", action="agent.locked",
                             entity="agent", entity_id=agent.id)
            session.add(agent)
            return LOGIN_FAILED
        agent.failed_attempts = 0
        agent.locked_until = None
        agent.last_login_at = now
        session.add(agent)
        audit.record(session, at=now, actor=f"agent:{agent.login}", action="agent.login",
                     entity="agent", entity_id=agent.id)
        return actor_for(agent)

    result = ctx.db.write(_work)
    if isinstance(result, str):
        raise ServiceError(result, field="password")
    return result


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
        audit.record(session, at=now, actor=ctx.actor.tag if ctx.actor else "system",
                     action="agent.create", entity="agent", entity_id=agent.id, role=role)
        return agent

    return ctx.db.write(_work)


def list_agents(ctx: Context) -> list[Agent]:
    return ctx.db.read(lambda s: list(s.execute(select(Agent).order_by(col(Agent.login))).scalars()))
