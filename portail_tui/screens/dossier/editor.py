"""A modal editor for one record of the family file (responsable, enfant, rattachement,
contact, actualité): fields from `FieldDef`s, F9 saves through the given service call
in a worker, refusals appear under their fields and nothing typed is lost."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from portail_tui.domain.validation import FieldDef
from portail_tui.screens.dossier.fields import field_boxes, read_values, show_errors
from portail_tui.services.context import ServiceError
from portail_tui.services.dossier import InvalidFields
from portail_tui.widgets.keybar import KeyBar

Saver = Callable[[dict[str, str]], Any]


class RecordEditor(ModalScreen[Any]):
    """Dismisses with the saver's result, or None when closed without saving."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f9", "save", "Enregistrer"),
        Binding("escape", "close", "Fermer"),
    ]

    CSS_PATH = "editor.tcss"

    def __init__(self, title: str, fields: tuple[FieldDef, ...], values: Mapping[str, str], saver: Saver,
                 *, intro: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.fields = fields
        self.values = dict(values)
        self.saver = saver
        self.intro = intro
        self.saving = False

    def compose(self) -> ComposeResult:
        with Vertical(id="editor-box"):
            yield Static(self.title_text, id="editor-title")
            if self.intro:
                yield Static(self.intro, classes="hint")
            with VerticalScroll(id="editor-fields"):
                yield from field_boxes(self.fields, self.values)
            yield Static("F9 : enregistrer · Échap : fermer sans enregistrer · * : obligatoire",
                         id="editor-message")
        yield KeyBar()

    def on_mount(self) -> None:
        if self.fields:
            self.query_one(f"#f-{self.fields[0].name}").focus()

    def action_save(self) -> None:
        if self.saving:
            return
        self.saving = True
        self._message("Enregistrement…", ok=True)
        self._save(read_values(self, self.fields))

    @work(thread=True, exclusive=True, group="record-editor")
    def _save(self, values: dict[str, str]) -> None:
        try:
            result = self.saver(values)
        except InvalidFields as exc:
            self.app.call_from_thread(self._refused, exc.errors, exc.message)
            return
        except ServiceError as exc:
            errors = {exc.field: exc.message} if exc.field in {f.name for f in self.fields} else {}
            self.app.call_from_thread(self._refused, errors, exc.message)
            return
        self.app.call_from_thread(self.dismiss, result if result is not None else True)

    def _refused(self, errors: dict[str, str], message: str) -> None:
        self.saving = False
        show_errors(self, self.fields, errors)
        self._message(message)

    def _message(self, text: str, *, ok: bool = False) -> None:
        widget = self.query_one("#editor-message", Static)
        widget.update(text)
        widget.set_class(ok, "ok")

    def action_close(self) -> None:
        self.dismiss(None)


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question: o (or Entrée) confirms, n (or Échap) cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o", "answer(True)", "Oui"),
        Binding("enter", "answer(True)", "Confirmer", show=False),
        Binding("n", "answer(False)", "Non"),
        Binding("escape", "answer(False)", "Annuler"),
    ]

    CSS_PATH = "editor.tcss"

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static(self.question)
            yield Static("o : oui · n : non", classes="hint")
        yield KeyBar()

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class MessageScreen(ModalScreen[None]):
    """Information to read once (e.g. a provisional password): Entrée or Échap closes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Fermer"),
        Binding("enter", "close", "Fermer", show=False),
    ]

    CSS_PATH = "editor.tcss"

    def __init__(self, text: object) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical(id="message-box"):
            yield Static(self.text, id="message-text")  # type: ignore[arg-type]
            yield Static("Entrée ou Échap : fermer", classes="hint")
        yield KeyBar()

    def action_close(self) -> None:
        self.dismiss(None)
