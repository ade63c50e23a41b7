"""Agent login (argon2id; lockout after five failures, stored in the database).

The screen appears before the database layer is loaded; the app tells it when the
database is ready (or why it is not), and a submit made earlier waits for that."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Center, Vertical
from textual.screen import Screen
from textual.widgets import Button, Input, Label, Static

from portail_tui.widgets.keybar import KeyBar

if TYPE_CHECKING:
    from portail_tui.services.context import Context


class IdentifierInput(Input):
    """The identifier field, safe for type-ahead. Keys typed in a burst (during start-up
    the terminal hands them over all at once) are all queued to the focused field before
    any is handled, so a Tab handled by the screen moved the cursor only after the
    password had gone into the identifier (« agentagent1234 »). Here Tab and Entrée are
    handled in the field's own queue, and what was queued behind them is passed on to
    the password field, in order."""

    def __init__(self, *, next_field: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.next_field = next_field
        self.hand_off_to: Input | None = None

    async def _on_key(self, event: events.Key) -> None:
        target = self.hand_off_to
        if target is None and event.key in ("tab", "enter"):
            target = self.hand_off_to = self.screen.query_one(self.next_field, Input)
            event.stop()
            event.prevent_default()
            target.focus()
            return
        if target is not None:
            event.stop()
            event.prevent_default()
            target.post_message(events.Key(event.key, event.character))
            return
        await super()._on_key(event)

    def _on_focus(self, event: events.Focus) -> None:
        self.hand_off_to = None  # back here (Maj+Tab, a refused login): keys are ours again
        super()._on_focus(event)


class LoginScreen(Screen["Actor"]):
    """Dismisses with the authenticated Actor."""

    BINDINGS = [("escape", "clear", "Effacer le mot de passe")]

    def __init__(self) -> None:
        super().__init__()
        self._pending: tuple[str, str] | None = None

    def compose(self) -> ComposeResult:
        with Center(), Vertical(id="login-box"):
            yield Static("Portail Familles — guichet", id="login-title")
            yield Static("Connexion des agents", id="login-regie")
            yield Label("Identifiant")
            yield IdentifierInput(id="login", placeholder="identifiant", max_length=64, next_field="#password")
            yield Label("Mot de passe")
            yield Input(id="password", password=True, placeholder="mot de passe", max_length=200)
            yield Button("Se connecter", id="submit", variant="primary")
            yield Static("", id="login-message")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#login", Input).focus()

    @property
    def _ctx(self) -> Context | None:
        return getattr(self.app, "base_ctx", None)

    def database_ready(self, error: str | None) -> None:
        if error:
            self.query_one("#submit", Button).disabled = True
            self._message(error)
            return
        if self._pending is not None:
            login, password = self._pending
            self._pending = None
            self._check(login, password)

    @on(Input.Submitted, "#password")
    @on(Button.Pressed, "#submit")
    def _submit(self) -> None:
        login = self.query_one("#login", Input).value
        password = self.query_one("#password", Input).value
        if not login.strip() or not password:
            self._message("Saisissez votre identifiant et votre mot de passe.")
            return
        error = getattr(self.app, "database_error", None)
        if error:
            self._message(error)
            return
        self._message("Vérification…")
        if self._ctx is None:
            self._pending = (login, password)  # checked as soon as the database is open
            return
        self._check(login, password)

    @work(thread=True, exclusive=True, group="login")
    def _check(self, login: str, password: str) -> None:
        from portail_tui.services import auth
        from portail_tui.services.context import ServiceError

        try:
            actor = auth.login(self._ctx, login, password)  # type: ignore[arg-type]
        except ServiceError as exc:
            self.app.call_from_thread(self._refused, exc.message)
            return
        self.app.call_from_thread(self.dismiss, actor)

    def _refused(self, message: str) -> None:
        pw = self.query_one("#password", Input)
        pw.value = ""
        pw.focus()
        self._message(message)

    def _message(self, text: str) -> None:
        self.query_one("#login-message", Static).update(text)

    def action_clear(self) -> None:
        self.query_one("#password", Input).value = ""
        self._message("")
