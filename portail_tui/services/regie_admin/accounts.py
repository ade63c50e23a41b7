"""Agent accounts in the Régie mode (G7), administrator only: the list with each
account's role, state and rights, and the changes `services.auth` makes (disable,
enable, unlock, password, health right, role). Two guards the command line does not
need: an administrator cannot lock themself out, and the régie keeps one active
administrator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import Session, col

from portail_tui.models import Agent
from portail_tui.services import auth, permissions
from portail_tui.services.context import Context, ServiceError


@dataclass(frozen=True)
class AgentRow:
    login: str
    full_name: str
    role: str
    active: bool
    locked: bool  # failed logins make it wait (login_guard); « débloquer » ends it
    can_see_health: bool
    last_login_at: datetime | None


def agent_rows(ctx: Context) -> list[AgentRow]:
    actor = permissions.require(ctx, "agent.manage")
    now = ctx.clock.now()

    def work(session: Session) -> list[AgentRow]:
        agents = session.execute(select(Agent).where(col(Agent.regie_id) == actor.regie_id)
                                 .order_by(col(Agent.login))).scalars()
        return [AgentRow(a.login, a.full_name, a.role, a.active,
                         a.locked_until is not None and a.locked_until > now, a.can_see_health, a.last_login_at)
                for a in agents]

    return ctx.db.read(work)


def _guard(ctx: Context, login_name: str, *, demotes_admin: bool) -> None:
    """Refuse an administrator taking their own rights or the régie's last admin."""
    actor = permissions.require(ctx, "agent.manage")
    if login_name.strip() == actor.login:
        raise ServiceError("Vous ne pouvez pas modifier votre propre compte ici : demandez à un autre "
                           "administrateur.", field="login")
    if not demotes_admin:
        return

    def work(session: Session) -> tuple[str | None, int]:
        role = session.execute(select(col(Agent.role)).where(col(Agent.login) == login_name.strip())).scalar()
        admins = session.execute(select(func.count()).select_from(Agent).where(
            col(Agent.regie_id) == actor.regie_id, col(Agent.role) == "admin", col(Agent.active).is_(True))).scalar_one()
        return role, int(admins)

    role, admins = ctx.db.read(work)
    if role == "admin" and admins <= 1:
        raise ServiceError("C'est le dernier administrateur actif : nommez-en un autre d'abord.", field="login")


def set_active(ctx: Context, login_name: str, active: bool) -> Agent:
    _guard(ctx, login_name, demotes_admin=not active)
    return auth.set_agent_active(ctx, login_name, active)


def unlock(ctx: Context, login_name: str) -> Agent:
    permissions.require(ctx, "agent.manage")
    return auth.unlock_agent(ctx, login_name)


def reset_password(ctx: Context, login_name: str, password: str) -> Agent:
    _guard(ctx, login_name, demotes_admin=False)
    return auth.set_agent_password(ctx, login_name, password)


def set_agent_health(ctx: Context, login_name: str, allowed: bool) -> Agent:
    permissions.require(ctx, "agent.manage")
    return auth.set_agent_health(ctx, login_name, allowed)


def set_agent_role(ctx: Context, login_name: str, role: str) -> Agent:
    _guard(ctx, login_name, demotes_admin=role != "admin")
    return auth.set_agent_role(ctx, login_name, role)
