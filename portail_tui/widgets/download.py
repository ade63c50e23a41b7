"""Handing a file to the agent's browser: the UI side of `portail serve`, which screens
call after writing an export. The serving itself (textual-serve, the served command)
belongs to the CLI (`portail_tui.cli.web`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["offer_download"]


def offer_download(app: Any, path: Path) -> bool:
    """In a browser session, hand a file the application just wrote (export, receipt,
    journal) to the browser as a download; in a terminal, do nothing (the file is where
    the message says). Screens call it after writing an export; returns True when the
    browser was offered the file."""
    if not getattr(app, "is_web", False):
        return False
    app.deliver_binary(Path(path), open_method="download")
    return True
