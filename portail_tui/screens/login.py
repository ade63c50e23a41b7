"""Agent login (argon2id; lockout after five failures, stored in the database)."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Center, Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, Static

from portail_tui.services import auth
from portail_tui.services.context import Actor, Context, ServiceError


class LoginScreen(Screen[Actor]):
    """Dismisses with the authenticated Actor."""

    BINDINGS = [("escape", "clear", "Effacer")]

    def __init__(self, ctx: Context, regie_name: str = "") -> None:
        super().__init__()
        self.ctx = ctx
        self.regie_name = regie_name

    def compose(self) -> ComposeResult:
        with Center(), Vertical(id="login-box"):
            yield Static("Portail Familles — guichet", id="login-title")
            yield Static(self.regie_name or "Connexion des agents", id="login-regie")
            yield Label("Identifiant")
            yield Input(id="login", placeholder="identifiant", max_length=64)
            yield Label("Mot de passe")
            yield Input(id="password", password=True, placeholder="mot de passe", max_length=200)
            yield Button("Se connecter", id="submit", variant="primary")
            yield Static("", id="login-message")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#login", Input).focus()

    @on(Input.Submitted, "#login")
    def _next(self) -> None:
        self.query_one("#password", Input).focus()

    @on(Input.Submitted, "#password")
    @on(Button.Pressed, "#submit")
    def _submit(self) -> None:
        login = self.query_one("#login", Input).value
        password = self.query_one("#password", Input).value
        if not login.strip() or not password:
            self._message("Saisissez votre identifiant et votre mot de passe.")
            return
        self._message("Vérification…")
        self._check(login, password)

    @work(thread=True, exclusive=True, group="login")
    def _check(self, login: str, password: str) -> None:
        try:
            actor = auth.login(self.ctx, login, password)
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
