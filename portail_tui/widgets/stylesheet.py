"""A Textual stylesheet that parses each piece of CSS once per process, and the list of
every stylesheet the application's screens and widgets bring.

Why: Textual 8 parses CSS again and again. Its per-stylesheet cache holds 64 sources
while the application has more (every Textual widget brings its DEFAULT_CSS), so each
new widget class mounted re-parses them all; and the first showing of a screen with a
CSS_PATH re-parses the whole stylesheet from scratch (`Stylesheet.reparse` starts from
an empty stylesheet). Measured on the counter: 200 to 600 ms of CSS tokenising on the
first display of each tab and of each dialog. Here parsed rules are kept by content,
location and CSS variables (the variables are substituted at parse time, so another
theme is another key), for the life of the process; `warm_up` fills that cache in a
worker thread while the login screen waits for the agent.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Iterator
from pathlib import Path
from threading import Lock
from types import SimpleNamespace
from typing import Any, ClassVar, TypeVar

from textual.css.model import RuleSet
from textual.css.stylesheet import Stylesheet
from textual.css.types import CSSLocation
from textual.dom import DOMNode
from textual.screen import Screen

_Key = tuple[str, CSSLocation, bool, int, str, int]
_T = TypeVar("_T")


class SharedStylesheet(Stylesheet):
    """Same behaviour as Textual's Stylesheet; parsed rules shared process-wide."""

    _parsed: ClassVar[dict[_Key, list[RuleSet]]] = {}
    _variable_sets: ClassVar[dict[tuple[tuple[str, str], ...], int]] = {}
    _lock: ClassVar[Lock] = Lock()

    def __init__(self, *, variables: dict[str, str] | None = None) -> None:
        super().__init__(variables=variables)
        self._variables_id = self._id_of(self._variables)

    @classmethod
    def _id_of(cls, variables: dict[str, str]) -> int:
        key = tuple(sorted(variables.items()))
        with cls._lock:
            return cls._variable_sets.setdefault(key, len(cls._variable_sets))

    def set_variables(self, variables: dict[str, str]) -> None:
        super().set_variables(variables)
        self._variables_id = self._id_of(variables)

    def _parse_rules(self, css: str, read_from: CSSLocation, is_default_rules: bool = False,
                     tie_breaker: int = 0, scope: str = "") -> list[RuleSet]:
        key = (css, read_from, is_default_rules, tie_breaker, scope, self._variables_id)
        rules = self._parsed.get(key)
        if rules is None:
            rules = super()._parse_rules(css, read_from, is_default_rules, tie_breaker, scope)
            self._parsed[key] = rules
        return rules

    def copy(self) -> SharedStylesheet:
        stylesheet = SharedStylesheet(variables=self._variables.copy())
        stylesheet.source = self.source.copy()
        return stylesheet

    def reparse(self) -> None:
        """Textual's reparse (a fresh stylesheet, so that an error leaves this one intact),
        with a fresh stylesheet that shares the parsed rules."""
        stylesheet = SharedStylesheet(variables=self._variables)
        for read_from, (css, is_defaults, tie_breaker, scope) in self.source.items():
            stylesheet.add_source(css, read_from=read_from, is_default_css=is_defaults, tie_breaker=tie_breaker,
                                  scope=scope)
        try:
            stylesheet.parse()
        except Exception:
            self._invalid_css.update(stylesheet._invalid_css)
            raise
        self._rules = stylesheet.rules
        self._rules_map = None
        self.source = stylesheet.source
        self._require_parse = False


def _subclasses(cls: type[_T]) -> Iterator[type[_T]]:
    sub: type[_T]
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def screen_css_paths(package: str = "portail_tui") -> list[Path]:
    """The CSS_PATH files of every Screen class imported from `package`, resolved as
    Textual resolves them (relative to the file of the class), each once."""
    paths: dict[Path, None] = {}
    cls: type[Screen[Any]]
    for cls in _subclasses(Screen):
        if not cls.__module__.startswith(package) or not cls.CSS_PATH:
            continue
        entries = cls.CSS_PATH if isinstance(cls.CSS_PATH, list) else [cls.CSS_PATH]
        base = Path(getattr(cls, "_BASE_PATH", None) or inspect.getfile(cls))
        for entry in entries:
            path = Path(entry)
            paths[path if path.is_absolute() else (base.parent / path).resolve()] = None
    return list(paths)


def default_css_sources() -> Iterator[tuple[CSSLocation, str, int, str]]:
    """(location, css, tie breaker, scope) of every DEFAULT_CSS of every widget class
    imported so far, as Textual adds them when a widget of the class is first mounted."""
    seen: set[tuple[CSSLocation, int, str]] = set()
    for cls in _subclasses(DOMNode):
        shim = SimpleNamespace(_node_bases=cls._css_bases(cls))
        for read_from, css, tie_breaker, scope in DOMNode._get_default_css(shim):  # type: ignore[arg-type]
            if (read_from, tie_breaker, scope) not in seen:
                seen.add((read_from, tie_breaker, scope))
                yield read_from, css, tie_breaker, scope


def warm_up(variables: dict[str, str], css_paths: Iterable[Path]) -> None:
    """Parse (into the shared cache) every DEFAULT_CSS and the given files with these
    variables. Thread-safe: only parsing, no widget is touched."""
    sheet = SharedStylesheet(variables=variables)
    for read_from, css, tie_breaker, scope in default_css_sources():
        try:
            sheet._parse_rules(css, read_from, True, tie_breaker, scope)
        except Exception:  # noqa: BLE001 — a broken widget CSS: Textual reports it when mounted
            continue
    for path in css_paths:
        sheet.read(path)
        for read_from, (css, is_defaults, tie_breaker, scope) in sheet.source.items():
            if read_from == (str(path), ""):
                sheet._parse_rules(css, read_from, is_defaults, tie_breaker, scope)
