"""What every section of the Régie mode shares: the acting context, one message line
under what the agent typed, and service calls in a worker thread (the screen never
waits for the database) whose refusals come back as that French message, with the
focus on the field they are about."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar, cast

from textual import work
from textual.containers import Vertical
from textual.widgets import Input, Static

from portail_tui.domain.frdates import DateError, parse_date_fr
from portail_tui.services.context import Context, ServiceError

T = TypeVar("T")


class InputError(ServiceError):
    """Bad input caught in the screen before any call (a date that is not one)."""


def read_date(value: str, field: str) -> Any:
    try:
        return parse_date_fr(value)
    except DateError as exc:
        raise InputError(str(exc), field=field) from None


def read_capacity(value: str, field: str, *, empty_is_none: bool = False) -> int | None:
    """A number of places; « illimitée » (or « - ») lifts the limit."""
    text = value.strip().lower()
    if text in ("illimitée", "illimitee", "-") or (empty_is_none and not text):
        return None
    if not text.isdigit():
        raise InputError("Capacité : un nombre de places (ou « illimitée »).", field=field)
    return int(text)


class Section(Vertical):
    """One pane of the Régie mode."""

    MESSAGE_ID: ClassVar[str] = ""
    # Service error `field` → the id of the Input showing it.
    FIELDS: ClassVar[dict[str, str]] = {}

    @property
    def ctx(self) -> Context:
        return cast("Context", self.app.ctx)  # type: ignore[attr-defined]

    def load(self) -> None:
        """Override: (re)load what the section shows; called each time it is shown."""

    def say(self, text: str, *, error: bool = False) -> None:
        message = self.query_one(f"#{self.MESSAGE_ID}", Static)
        message.update(text)
        message.set_class(error, "error")

    def clear_errors(self) -> None:
        for field in self.query(Input):
            field.remove_class("error")

    def call(self, fn: Callable[[], T], done: Callable[[T], None]) -> None:
        self.clear_errors()
        self._call(fn, done)

    @work(thread=True, group="regie-call")
    def _call(self, fn: Callable[[], Any], done: Callable[[Any], None]) -> None:
        try:
            result = fn()
        except ServiceError as exc:
            self.app.call_from_thread(self.failed, exc)
            return
        self.app.call_from_thread(done, result)

    def failed(self, exc: ServiceError) -> None:
        self.say(exc.message, error=True)
        target = self.FIELDS.get(exc.field or "")
        if target:
            field = self.query_one(f"#{target}", Input)
            field.add_class("error")
            field.focus()
