"""Browser access (`portail serve`): the same application, one process per browser tab,
through textual-serve. Every tab starts on the login screen — the served command is
fixed here and never names an agent.

textual-serve speaks plain HTTP and WebSocket: on anything but the machine itself, put
it behind a TLS reverse proxy and give the public https address with --url-publique
(docs/OPERATIONS.md), or passwords travel in clear.

What a screen calls to hand a file to the browser is `portail_tui.widgets.download`.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from typing import Any

from portail_tui.config import is_loopback

__all__ = ["TITLE", "is_loopback", "make_server", "prepare_environment", "served_command"]

TITLE = "Portail Familles — guichet"
# The served app must not believe it runs in an SSH session because `portail serve`
# itself was started from one.
_DROPPED = ("SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY", "SSH_AUTH_SOCK", "SSH_ORIGINAL_COMMAND")


def served_command(portail: str) -> str:
    """The shell command textual-serve starts for each browser tab."""
    return f"exec {shlex.quote(portail)} tui"


def prepare_environment(settings_env: Mapping[str, str]) -> None:
    """Settings reach the served processes through the environment (not the command
    line, where a database password would show in `ps`)."""
    for name in _DROPPED:
        os.environ.pop(name, None)
    os.environ.update(settings_env)
    os.environ.setdefault("LANG", "C.UTF-8")


def make_server(*, portail: str, host: str, port: int, public_url: str | None = None) -> Any:
    from textual_serve.server import Server

    return Server(served_command(portail), host=host, port=port, title=TITLE, public_url=public_url)
