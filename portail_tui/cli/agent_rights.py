"""`portail agent sante|role LOGIN`: the rights G7 wants given explicitly — the health
forms and the régisseur or administrator role — changed by an administrator at the
server's shell, audited like every agent change (services.auth)."""

from __future__ import annotations

import typer

from portail_tui.cli.base import agent_app, console, friendly, system_context
from portail_tui.domain.roles import role_label

LOGIN_ARG = typer.Argument(..., help="Identifiant de l'agent.")


@agent_app.command("sante")
@friendly
def agent_health(
    login: str = LOGIN_ARG,
    retirer: bool = typer.Option(False, "--retirer", help="Retire le droit au lieu de le donner."),
) -> None:
    """Donne (ou retire avec --retirer) le droit de voir les fiches santé."""
    from portail_tui.services import auth

    with system_context() as ctx:
        agent = auth.set_agent_health(ctx, login, not retirer)
    console.print(f"Agent « {agent.login} » : fiches santé {'visibles' if agent.can_see_health else 'masquées'}.")


@agent_app.command("role")
@friendly
def agent_role(
    login: str = LOGIN_ARG,
    role: str = typer.Argument(..., help="agent, regisseur ou admin."),
) -> None:
    """Change le rôle d'un agent (régisseur, administrateur : jamais donnés par défaut)."""
    from portail_tui.services import auth

    with system_context() as ctx:
        agent = auth.set_agent_role(ctx, login, role.strip().lower())
    console.print(f"Agent « {agent.login} » : rôle {role_label(agent.role)}.")
