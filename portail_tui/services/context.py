"""What every service call needs: the database, the clock, the settings and who acts.

Screens and CLI commands build one `Context` per agent session and pass it down, so a
service never reads globals, the real clock or the environment.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING

from portail_tui.clock import Clock
from portail_tui.config import Settings

if TYPE_CHECKING:  # the database layer is heavy to import; the login screen doesn't need it
    from portail_tui.db import Database
    from portail_tui.domain.school_calendar import SchoolCalendar


class ServiceError(Exception):
    """A refusal a person caused (bad input, too late, not allowed…).

    `message` is French and meant to be shown as is; `field` names the input it is
    about, so a screen can show it next to that field."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class PermissionDenied(ServiceError):
    pass


@dataclass(frozen=True)
class Actor:
    """Who is acting (B5). `kind` is "agent", "famille" or "system"."""

    kind: str
    login: str
    regie_id: int
    agent_id: int | None = None
    full_name: str = ""
    role: str = "agent"
    can_see_health: bool = False

    @property
    def tag(self) -> str:
        """The string stored in created_by / audit actor columns."""
        return f"{self.kind}:{self.login}"


SYSTEM = "system"


@dataclass
class Context:
    db: Database
    clock: Clock
    settings: Settings = field(default_factory=Settings)
    actor: Actor | None = None
    operator: str | None = None
    """Who runs a command-line session, as the operating system knows them: the user and
    where they came from (« root, ssh 192.0.2.7 »). Set by the CLI; it is what the audit
    records for a change made without an agent's login (B5)."""

    @property
    def actor_tag(self) -> str:
        """The audit's `actor` for this call: the agent or family, else the system and,
        from the command line, the operating-system user behind it."""
        if self.actor is not None:
            return self.actor.tag
        return f"{SYSTEM}:{self.operator}" if self.operator else SYSTEM

    def as_actor(self, actor: Actor) -> Context:
        return replace(self, actor=actor)

    def require_actor(self) -> Actor:
        if self.actor is None:
            raise PermissionDenied("Vous devez être connecté.")
        return self.actor

    @cached_property
    def school_calendar(self) -> SchoolCalendar:
        from portail_tui.domain.school_calendar import SchoolCalendar

        return SchoolCalendar(zone=self.settings.school_zone)
