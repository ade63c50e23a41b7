"""The idle-session lock (issue 13): a counter terminal left open must not stay open to
whoever walks by. After `Settings.idle_lock_minutes` without a key or a mouse event the
app pushes `IdleLockScreen` over whatever the agent was doing; it hides the screen
entirely (opaque, no footer) and gives it back only for the session's own password,
checked by `auth.unlock` — the same throttle and the same single answer as the login.
Pushing a screen, rather than returning to the login, keeps the agent's tab, family and
half-typed input as they were. Ctrl+Q still quits.

The app only stamps activity (`IdleLock.activity`) and starts the watch at login; the
rest lives here."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Center, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

if TYPE_CHECKING:
    from textual.timer import Timer

    from portail_tui.services.context import Actor

CHECK_EVERY = 5.0
"""Seconds between two looks at the clock: the lock comes at most this late."""


class IdleLock:
    """The last activity and the timer of one app. `clock` is injectable (tests)."""

    def __init__(self, app: Any, clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.clock = clock
        self.delay = 0.0
        self.last = clock()
        self.locked = False
        self._timer: Timer | None = None

    def start(self, minutes: float) -> None:
        """At login: watch for `minutes` of inactivity (0: never lock)."""
        self.delay = max(0.0, minutes * 60)
        self.activity()
        if self.delay and self._timer is None:
            self._timer = self.app.set_interval(min(CHECK_EVERY, self.delay / 4), self.check)

    def activity(self) -> None:
        self.last = self.clock()

    def check(self) -> None:
        if self.locked or not self.delay or self.app.actor is None:
            return
        if self.clock() - self.last >= self.delay:
            self.lock()

    def lock(self) -> None:
        self.locked = True
        self.app.push_screen(IdleLockScreen(self.app.actor), self._unlocked)

    def _unlocked(self, actor: Actor | None) -> None:
        """The agent as the database says now: a role changed meanwhile applies."""
        self.locked = False
        self.activity()
        app = self.app
        if actor is not None and app.base_ctx is not None:
            app.actor = actor
            app.ctx = app.base_ctx.as_actor(actor)
            app.refresh_header()


class IdleLockScreen(ModalScreen["Actor"]):
    """Dismisses with the re-authenticated Actor."""

    CSS_PATH = "idle_lock.tcss"
    BINDINGS = [("escape", "clear", "Effacer")]

    def __init__(self, actor: Actor) -> None:
        super().__init__()
        self.actor = actor

    def compose(self) -> ComposeResult:
        with Center(), Vertical(id="lock-box"):
            yield Static("Session verrouillée", id="lock-title")
            yield Static(f"{self.actor.full_name} — saisissez votre mot de passe pour reprendre.",
                         id="lock-agent")
            yield Input(id="lock-password", password=True, placeholder="mot de passe", max_length=200)
            yield Static("", id="lock-message")
            yield Static("Ctrl+Q : quitter l'application", id="lock-hint")

    def on_mount(self) -> None:
        self.query_one("#lock-password", Input).focus()

    @on(Input.Submitted, "#lock-password")
    def _submit(self, event: Input.Submitted) -> None:
        if not event.value:
            self._message("Saisissez votre mot de passe.")
            return
        self._message("Vérification…")
        self._check(event.value)

    @work(thread=True, exclusive=True, group="unlock")
    def _check(self, password: str) -> None:
        from portail_tui.services import auth
        from portail_tui.services.context import ServiceError

        try:
            actor = auth.unlock(self.app.base_ctx, self.actor, password)  # type: ignore[attr-defined]
        except ServiceError as exc:
            self.app.call_from_thread(self._refused, exc.message)
            return
        self.app.call_from_thread(self.dismiss, actor)

    def _refused(self, message: str) -> None:
        self.query_one("#lock-password", Input).value = ""
        self._message(message)

    def _message(self, text: str) -> None:
        self.query_one("#lock-message", Static).update(text)

    def action_clear(self) -> None:
        self.query_one("#lock-password", Input).value = ""
        self._message("")
