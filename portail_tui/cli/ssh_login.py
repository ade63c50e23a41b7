"""Identity of an agent arriving through an SSH key (issue 7 completes this)."""

from __future__ import annotations

from portail_tui.services import auth
from portail_tui.services.context import Actor, Context, ServiceError


def ssh_actor(ctx: Context, login: str) -> Actor:
    """Only the SSH forced command may name the agent: it must come with the
    SSH_CONNECTION variable set by sshd, otherwise the password screen is required."""
    import os

    if not os.environ.get("SSH_CONNECTION"):
        raise ServiceError("--as-agent n'est accepté que depuis une connexion SSH autorisée.")
    return auth.actor_by_login(ctx, login)
