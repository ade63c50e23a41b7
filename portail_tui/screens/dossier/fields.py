"""Entry widgets built from `FieldDef`s: one label, one input (or a choice list), and
the message line under it, so every screen of the Dossier tab shows refusals next to
the field and never clears what was typed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static

from portail_tui.domain import forms as F
from portail_tui.domain.validation import FieldDef

YES_NO = (("oui", "oui"), ("non", "non"))


def status_chip(status: str) -> Text:
    """The status in its legend colour and in words (colour alone is not enough)."""
    colour = F.STATUS_COLOURS[status]
    return Text(f" {F.STATUS_LABELS[status]} ", style=f"bold black on {colour}")


def legend() -> Text:
    text = Text("Statut des fiches : ")
    for status, label in F.LEGEND:
        text.append(f" {label} ", style=f"bold black on {F.STATUS_COLOURS[status]}")
        text.append(" ")
    return text


class FieldBox(Vertical):
    """Label + input + error line for one field."""

    DEFAULT_CSS = """
    FieldBox { height: auto; margin-bottom: 1; }
    FieldBox .field-row { height: auto; }
    FieldBox .field-label { width: 40; color: $text-muted; padding-right: 1; }
    FieldBox .field-label.required { color: $text; }
    FieldBox Input, FieldBox Select { width: 1fr; }
    FieldBox .field-error { color: $error; height: auto; padding-left: 40; }
    FieldBox .field-error.empty { display: none; }
    FieldBox .field-help { color: $text-muted; height: auto; padding-left: 40; }
    """

    def __init__(self, fd: FieldDef, value: str) -> None:
        super().__init__(id=f"box-{fd.name}")
        self.fd = fd
        self.value = value

    def compose(self) -> ComposeResult:
        fd = self.fd
        with Horizontal(classes="field-row"):
            label = fd.label + (" *" if fd.required else "")
            yield Label(label, classes="field-label required" if fd.required else "field-label")
            yield self._input()
        if fd.help:
            yield Static(fd.help, classes="field-help")
        yield Static("", classes="field-error empty", id=f"e-{fd.name}")

    def _input(self) -> Widget:
        fd = self.fd
        if fd.kind in ("bool", "choice"):
            options: list[tuple[str, str]] = list(YES_NO) if fd.kind == "bool" else [(c, c) for c in fd.choices]
            current = self.value
            if fd.kind == "choice":
                match = next((c for c in fd.choices if c.casefold() == current.casefold()), None)
                if match:
                    current = match
                elif current:
                    options.append((f"{current} (ancienne valeur)", current))
            return Select(options, value=current if current else Select.NULL, allow_blank=True,
                          prompt="—", id=f"f-{fd.name}", compact=True)
        placeholder = {"date": "JJ/MM/AAAA", "phone": "06 12 34 56 78", "email": "prenom.nom@exemple.fr",
                       "postal_code": "5 chiffres"}.get(fd.kind, "")
        return Input(self.value, placeholder=placeholder, id=f"f-{fd.name}", compact=True)


def field_boxes(fields: Iterable[FieldDef], values: Mapping[str, str]) -> list[FieldBox]:
    return [FieldBox(fd, values.get(fd.name, "") or "") for fd in fields]


def read_values(root: Widget, fields: Iterable[FieldDef]) -> dict[str, str]:
    out: dict[str, str] = {}
    for fd in fields:
        widget = root.query_one(f"#f-{fd.name}")
        if isinstance(widget, Select):
            value = widget.value
            out[fd.name] = "" if value is Select.NULL or value is None else str(value)
        elif isinstance(widget, Input):
            out[fd.name] = widget.value
    return out


def show_errors(root: Widget, fields: Iterable[FieldDef], errors: Mapping[str, str]) -> None:
    """Each message under its field; fields without an error are cleared. The first
    field in error takes the focus so the agent can correct it at once."""
    first = None
    for fd in fields:
        message = errors.get(fd.name, "")
        line = root.query_one(f"#e-{fd.name}", Static)
        line.update(message)
        line.set_class(not message, "empty")
        if message and first is None:
            first = fd.name
    if first is not None:
        root.query_one(f"#f-{first}").focus()
