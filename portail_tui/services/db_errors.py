"""The database errors the UI may catch, at the services level: screens and the app
never import `portail_tui.db` (an import-linter contract), yet opening the database
can fail in a way the login screen must explain (unreachable, schema not at head)."""

from __future__ import annotations

from portail_tui.db import DatabaseError, DatabaseNotReady

__all__ = ["DatabaseError", "DatabaseNotReady"]
