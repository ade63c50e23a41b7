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
from pathlib import Path
from typing import Any

from portail_tui.config import is_loopback

__all__ = ["TITLE", "french_page", "is_loopback", "make_server", "prepare_environment", "served_command"]

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


# The words of textual-serve's page (templates/app_index.html), in French. Each must be
# found in the page: a textual-serve that words it otherwise fails `french_page` (and
# its test) instead of showing English again.
PAGE_WORDS = (
    ("<html>", '<html lang="fr">'),
    ('id="start">Start</button>', 'id="start">Commencer</button>'),
    ('<div class="message">Session ended.</div>', '<div class="message">Session terminée.</div>'),
    ('onClick="refresh()">Restart</button>', 'onClick="refresh()">Recommencer</button>'),
    ("'Textual Application'", "'Portail Familles'"),
)
PAGE = "app_index.html"


def french_page(template: str) -> str:
    for english, french in PAGE_WORDS:
        if english not in template:
            raise ValueError(f"textual-serve page changed: {english!r} not found")
        template = template.replace(english, french)
    return template


def make_server(*, portail: str, host: str, port: int, public_url: str | None = None) -> Any:
    import aiohttp_jinja2
    import jinja2
    import textual_serve
    from textual_serve.server import Server

    page = french_page((Path(textual_serve.__file__).parent / "templates" / PAGE).read_text(encoding="utf-8"))

    class FrenchServer(Server):
        """textual-serve with its page in French, held in memory (no template file on disk
        that a cleaner of /tmp or a redeploy could take away from a running server)."""

        async def _make_app(self) -> Any:
            app = await super()._make_app()
            aiohttp_jinja2.setup(app, loader=jinja2.DictLoader({PAGE: page}))
            return app

    return FrenchServer(served_command(portail), host=host, port=port, title=TITLE, public_url=public_url)
