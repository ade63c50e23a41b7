"""Comptes (G7) in the Régie mode, administrators only: the agents with role, state
and rights; one key per change, on the selected agent."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, Label, Static

from portail_tui.domain.frdates import format_datetime_short
from portail_tui.domain.roles import role_label
from portail_tui.screens.regie.section import Section
from portail_tui.services import regie_admin
from portail_tui.services.regie_admin import accounts

NEXT_ROLE = {"agent": "regisseur", "regisseur": "admin", "admin": "agent"}


class AgentsTable(DataTable[Any]):
    """The keys act on the highlighted agent; they live on the table so that typing a
    password in the field below never triggers them."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "section('disable')", "Désactiver"),
        Binding("e", "section('enable')", "Réactiver"),
        Binding("u", "section('unlock')", "Débloquer"),
        Binding("s", "section('health')", "Droit santé"),
        Binding("r", "section('role')", "Rôle suivant"),
        Binding("p", "section('password')", "Mot de passe"),
    ]

    def action_section(self, what: str) -> None:
        section = next((a for a in self.ancestors if isinstance(a, AccountsSection)), None)
        if section is not None:
            section.act(what)


class AccountsSection(Section):
    MESSAGE_ID = "acc-msg"
    FIELDS: ClassVar[dict[str, str]] = {"password": "acc-password"}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.agents: list[regie_admin.AgentRow] = []
        self.note = ""

    def compose(self) -> ComposeResult:
        table = AgentsTable(id="acc-table", cursor_type="row", zebra_stripes=True)
        table.add_columns("Identifiant", "Nom", "Rôle", "Actif", "Bloqué", "Fiches santé", "Dernière connexion")
        yield table
        with Horizontal(classes="regie-controls"):
            yield Label("Nouveau mot de passe (p) :")
            yield Input(password=True, id="acc-password", max_length=128)
        yield Static("", id="acc-msg", classes="regie-msg")

    def load(self) -> None:
        self.call(lambda: regie_admin.agent_rows(self.ctx), self._show)

    def _show(self, agents: list[regie_admin.AgentRow]) -> None:
        self.agents = agents
        table = self.query_one("#acc-table", DataTable)
        row = table.cursor_row
        table.clear()
        for a in agents:
            table.add_row(a.login, a.full_name, role_label(a.role), "oui" if a.active else Text("non", style="red"),
                          Text("oui", style="red") if a.locked else "non", "oui" if a.can_see_health else "non",
                          format_datetime_short(a.last_login_at) if a.last_login_at else "jamais", key=a.login)
        if agents:
            table.move_cursor(row=min(row, len(agents) - 1))
        self.say(self.note or "d désactiver · e réactiver · u débloquer · s droit santé · r rôle · p mot de passe")
        self.note = ""

    @property
    def selected(self) -> regie_admin.AgentRow | None:
        if not self.agents:
            return None
        return self.agents[min(self.query_one("#acc-table", DataTable).cursor_row, len(self.agents) - 1)]

    def act(self, what: str) -> None:
        agent = self.selected
        if agent is None:
            return
        login = agent.login
        if what == "password":
            self.query_one("#acc-password", Input).focus()
            self.say(f"Tapez le nouveau mot de passe de {login}, puis Entrée.")
            return
        changes = {
            "disable": (lambda: accounts.set_active(self.ctx, login, False), f"{login} désactivé."),
            "enable": (lambda: accounts.set_active(self.ctx, login, True), f"{login} réactivé."),
            "unlock": (lambda: accounts.unlock(self.ctx, login), f"{login} : attente levée."),
            "health": (lambda: accounts.set_agent_health(self.ctx, login, not agent.can_see_health),
                       f"{login} : fiches santé {'retirées' if agent.can_see_health else 'autorisées'}."),
            "role": (lambda: accounts.set_agent_role(self.ctx, login, NEXT_ROLE[agent.role]),
                     f"{login} : rôle {role_label(NEXT_ROLE[agent.role])}."),
        }
        change, said = changes[what]
        self.call(change, lambda _agent: self._done(said))

    @on(Input.Submitted, "#acc-password")
    def _password(self, event: Input.Submitted) -> None:
        agent = self.selected
        if agent is None:
            return
        login, password = agent.login, event.value

        def done(_agent: Any) -> None:
            event.input.value = ""
            self.query_one("#acc-table", DataTable).focus()
            self._done(f"Mot de passe de {login} changé.")

        self.call(lambda: accounts.reset_password(self.ctx, login, password), done)

    def _done(self, note: str) -> None:
        self.note = note
        self.load()
