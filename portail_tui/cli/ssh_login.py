"""Identity of an agent arriving through an SSH key.

sshd runs the forced command written by `portail ssh authorize` (see
`portail_tui.services.ssh_keys` for the line and the threat model): it ends in
``portail tui --as-agent LOGIN``. This module is the only place that turns that option
into an agent, and only inside an SSH session whose login has a managed key line;
everywhere else the password screen stays mandatory.
"""

from __future__ import annotations

import os

from portail_tui.services import ssh_keys
from portail_tui.services.context import Actor, Context


def require_ssh_session() -> None:
    """Refuse --as-agent outside an SSH session at once, before anything else."""
    ssh_keys.ssh_client(os.environ)


def ssh_actor(ctx: Context, login: str) -> Actor:
    """The connected agent, or ServiceError (one French line, the session closes)."""
    actor = ssh_keys.ssh_session_actor(
        ctx, login, os.environ, keys_path=ctx.settings.authorized_keys
    )
    # Before the App is built: its console reads TERM when it is created.
    os.environ.update(ssh_keys.terminal_defaults(os.environ))
    return actor
