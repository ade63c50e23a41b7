"""One form of a child (R11, R12): fill it (F7 brouillon, F9 enregistrer = send to
validation), or, when it waits for validation, review it with the changes against
the last validated values and decide (v valider, r rejeter with a reason).

A santé form is shown only to agents allowed to see health data (B6)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from portail_tui.domain import forms as F
from portail_tui.domain.frdates import format_date_short, format_datetime_short
from portail_tui.screens.dossier.fields import field_boxes, read_values, show_errors, status_chip
from portail_tui.services import forms, permissions
from portail_tui.services.context import Context, ServiceError
from portail_tui.services.dossier import InvalidFields
from portail_tui.widgets.keybar import KeyBar


def _who(tag: str | None) -> str:
    if not tag:
        return "—"
    return tag.split(":", 1)[-1] if tag.startswith(("agent:", "famille:")) else tag


class FormScreen(ModalScreen[str | None]):
    """Dismisses with a French sentence saying what was done (None: closed)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f7", "draft", "Enregistrer un brouillon"),
        Binding("f9", "submit", "Enregistrer (envoyer en validation)"),
        Binding("v", "validate", "Valider"),
        Binding("r", "reject", "Rejeter"),
        Binding("escape", "close", "Fermer"),
    ]

    CSS_PATH = "forms_editor.tcss"

    def __init__(self, ctx: Context, view: forms.FormView) -> None:
        super().__init__()
        self.ctx = ctx
        self.view = view
        self.busy = False

    # --- modes -------------------------------------------------------------------

    @property
    def reviewing(self) -> bool:
        return self.view.status == F.EN_VALIDATION

    @property
    def editable(self) -> bool:
        return not self.view.hidden and F.can(self.view.status, F.SUBMIT)

    @property
    def can_decide(self) -> bool:
        return (self.reviewing and not self.view.hidden
                and permissions.allowed(self.ctx.actor, "form.decide"))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("draft", "submit"):
            return self.editable
        if action in ("validate", "reject"):
            return self.can_decide
        return True

    # --- layout ------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        v = self.view
        fields = F.fields_for(v.kind)
        with Vertical(id="form-box"):
            title = Text(f"{v.kind_label} — {v.child_name}  ")
            title.append_text(status_chip(v.status))
            yield Static(title, id="form-title")
            yield Static(self._meta(), id="form-meta")
            if v.reject_reason:
                label = "Motif du rejet" if v.status == F.REJETEE else "Motif du rejet précédent"
                yield Static(f"{label} : {v.reject_reason}", id="form-reason-shown")
            with VerticalScroll(id="form-body"):
                if v.hidden:
                    yield Static(forms.HEALTH_HIDDEN, id="form-hidden")
                elif self.editable:
                    try:
                        year = F.rollover_year(self.ctx.clock.today(), self.ctx.settings.rollover)
                        defaults = F.defaults(v.kind, year)
                    except F.TransitionError:  # bad PORTAIL_ROLLOVER: no proposal, the rest works
                        defaults = {}
                    proposed = {k: d for k, d in defaults.items() if not v.texts.get(k)}
                    yield from field_boxes(fields, {**v.texts, **proposed})
                else:
                    yield Static(self._review_text(), id="form-review")
            yield Input(placeholder="Motif du rejet (obligatoire), puis Entrée", id="reject-reason",
                        max_length=F.MAX_REASON_LENGTH)
            yield Static(self._help(), id="form-message", classes="ok")
        yield KeyBar()

    def on_mount(self) -> None:
        if self.editable:
            self.query_one(f"#f-{F.fields_for(self.view.kind)[0].name}").focus()

    def _meta(self) -> str:
        v = self.view
        parts = []
        if v.updated_at:
            parts.append(f"Modifiée le {format_datetime_short(v.updated_at)} par {_who(v.updated_by)}")
        if v.submitted_at:
            parts.append(f"envoyée le {format_datetime_short(v.submitted_at)}")
        if v.decided_at:
            parts.append(f"décision le {format_datetime_short(v.decided_at)} par {_who(v.decided_by)}")
        if v.expires_on:
            parts.append(f"valable jusqu'au {format_date_short(v.expires_on)}")
        return " · ".join(parts) or "Jamais saisie."

    def _help(self) -> str:
        if self.view.hidden:
            return "Échap : fermer"
        if self.editable:
            return "F7 : enregistrer un brouillon · F9 : enregistrer et envoyer en validation · Échap : fermer"
        if self.can_decide:
            return "v : valider · r : rejeter (motif obligatoire) · Échap : fermer"
        if self.reviewing:
            return "En attente de la décision d'un régisseur. Échap : fermer"
        return "Échap : fermer"

    def _review_text(self) -> Text:
        v = self.view
        changed = {c.name: c for c in v.changes}
        text = Text()
        if v.is_resubmission:
            n = len(changed)
            text.append("Mise à jour d'une fiche déjà validée : ", style="bold")
            text.append(f"{n} champ(s) modifié(s), en surbrillance.\n\n" if n else "aucun changement.\n\n")
        for fd in F.fields_for(v.kind):
            text.append(f"{fd.label} : ", style="bold" if fd.name in changed else "")
            value = v.texts.get(fd.name) or "—"
            if fd.name in changed:
                before = changed[fd.name].before or "(vide)"
                text.append(before, style="strike red")
                text.append(" → ")
                text.append(f"{value}\n", style="bold green")
            else:
                text.append(f"{value}\n")
        return text

    # --- filling -----------------------------------------------------------------

    def _values(self) -> dict[str, str]:
        return read_values(self, F.fields_for(self.view.kind))

    def action_draft(self) -> None:
        if self.editable and not self.busy:
            self.busy = True
            self._message("Enregistrement du brouillon…", ok=True)
            self._run("draft", self._values())

    def action_submit(self) -> None:
        if self.editable and not self.busy:
            self.busy = True
            self._message("Envoi en validation…", ok=True)
            self._run("submit", self._values())

    # --- deciding ----------------------------------------------------------------

    def action_validate(self) -> None:
        if self.can_decide and not self.busy:
            self.busy = True
            self._run("validate", {})

    def action_reject(self) -> None:
        if not self.can_decide:
            return
        reason = self.query_one("#reject-reason", Input)
        reason.add_class("shown")
        reason.focus()
        self._message("Saisissez le motif du rejet puis Entrée (Échap : fermer sans décider).", ok=True)

    @on(Input.Submitted, "#reject-reason")
    def _reject_confirmed(self, event: Input.Submitted) -> None:
        if self.busy:
            return
        if not event.value.strip():
            self._message("Indiquez le motif du rejet : la famille doit savoir quoi corriger.")
            return
        self.busy = True
        self._run("reject", {"reason": event.value})

    # --- service calls in a worker -----------------------------------------------

    @work(thread=True, exclusive=True, group="form-screen")
    def _run(self, what: str, values: dict[str, str]) -> None:
        v = self.view
        try:
            if what == "draft":
                saved = forms.save_draft(self.ctx, v.child_id, v.kind, values)
                self.app.call_from_thread(self._drafted, saved)
                return
            if what == "submit":
                forms.submit(self.ctx, v.child_id, v.kind, values)
                done = f"{v.kind_label} de {v.child_name} enregistrée et envoyée en validation."
            elif what == "validate":
                forms.validate_form(self.ctx, v.child_id, v.kind)
                done = f"{v.kind_label} de {v.child_name} validée."
            else:
                forms.reject_form(self.ctx, v.child_id, v.kind, values["reason"])
                done = f"{v.kind_label} de {v.child_name} rejetée."
        except InvalidFields as exc:
            self.app.call_from_thread(self._refused, exc.errors, exc.message)
            return
        except ServiceError as exc:
            self.app.call_from_thread(self._refused, {}, exc.message)
            return
        self.app.call_from_thread(self.dismiss, done)

    def _drafted(self, saved: forms.DraftSaved) -> None:
        self.busy = False
        self.view = saved.view
        title = Text(f"{saved.view.kind_label} — {saved.view.child_name}  ")
        title.append_text(status_chip(saved.view.status))
        self.query_one("#form-title", Static).update(title)
        self.query_one("#form-meta", Static).update(self._meta())
        show_errors(self, F.fields_for(self.view.kind), saved.warnings)
        if saved.warnings:
            self._message(f"Brouillon enregistré. À corriger avant l'envoi : {len(saved.warnings)} champ(s).")
        else:
            self._message("Brouillon enregistré (en cours de saisie).", ok=True)

    def _refused(self, errors: dict[str, str], message: str) -> None:
        self.busy = False
        if self.editable:
            show_errors(self, F.fields_for(self.view.kind), errors)
        self._message(message)

    def _message(self, text: str, *, ok: bool = False) -> None:
        widget = self.query_one("#form-message", Static)
        widget.update(text)
        widget.set_class(ok, "ok")

    def action_close(self) -> None:
        self.dismiss(None)
