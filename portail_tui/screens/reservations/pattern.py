"""Semaine type (B3): "every Monday, Tuesday, Thursday and Friday from … to …" puts all
matching open days of the chosen activities in the cart in one action, and lists the
days left out with their reason.

The range is almost always a month or the rest of the school period: one key each
(1–4: this month and the next three, 0: to the end of the period) fills the dates and
adds at once; typing dates stays for the rare case."""

from __future__ import annotations

from datetime import date, timedelta

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, SelectionList, Static

from portail_tui.domain.booking_rules import ActivityRule
from portail_tui.domain.frdates import DateError, format_date_short, format_month, parse_date_fr
from portail_tui.screens.base import Dialog
from portail_tui.services.booking import Cart, PatternResult, pattern_lines
from portail_tui.services.context import Context, ServiceError
from portail_tui.widgets.keybar import KeyBar

WEEKDAY_CHOICES = (("Lundi", 1), ("Mardi", 2), ("Mercredi", 3), ("Jeudi", 4), ("Vendredi", 5))
DEFAULT_WEEKDAYS = {1, 2, 4, 5}
MONTH_KEYS = 4  # keys 1…4: the current month and the next three


def month_range(today: date, offset: int) -> tuple[date, date]:
    """The month `offset` months after today's, from its first day (or today) to its last."""
    y, m = divmod(today.year * 12 + today.month - 1 + offset, 12)
    first = date(y, m + 1, 1)
    last = date(y + (m == 11), (m + 1) % 12 + 1, 1) - timedelta(days=1)
    return max(first, today), last


def range_offers(today: date, period_end: date) -> list[tuple[str, str, date, date]]:
    """(key, words, first day, last day) of the ranges offered in one key each."""
    offers = []
    for n in range(MONTH_KEYS):
        first, last = month_range(today, n)
        offers.append((str(n + 1), format_month(first.year, first.month), first, last))
    if period_end >= today:
        offers.append(("0", f"jusqu'au {format_date_short(period_end)} (fin de période)", today, period_end))
    return offers


class PatternDialog(Dialog[int | None]):
    """Dismisses with the number of lines added to the cart (None: nothing done)."""

    CSS_PATH = "pattern.tcss"

    BINDINGS = [
        Binding("escape", "close", "Fermer"),
        Binding("ctrl+o", "apply", "Ajouter au panier"),
        # Not priority bindings: in a date field the digits are typed, elsewhere they pick a range.
        *(Binding(str(n), f"range('{n}')", "", show=False) for n in range(MONTH_KEYS + 1)),
    ]

    def __init__(self, ctx: Context, cart: Cart, child_id: int, child_name: str,
                 activities: list[ActivityRule], start: date, end: date) -> None:
        super().__init__()
        self.ctx = ctx
        self.cart = cart
        self.child_id = child_id
        self.child_name = child_name
        self.activities = activities
        self.start = start
        self.end = end
        self.added: int | None = None
        self.offers = range_offers(start, end)

    def compose(self) -> ComposeResult:
        with Vertical(id="pattern-box"):
            yield Static(f"Semaine type — {self.child_name}", id="pattern-title")
            with Horizontal(id="pattern-choices"):
                yield SelectionList[int](*((a.label, a.id, False) for a in self.activities), id="pattern-activities")
                yield SelectionList[int](*((name, n, n in DEFAULT_WEEKDAYS) for name, n in WEEKDAY_CHOICES),
                                         id="pattern-weekdays")
            yield Static("", id="pattern-choice")
            yield Static(self._offers_text(), id="pattern-ranges")
            with Horizontal(id="pattern-dates"):
                yield Label("Du")
                yield Input(format_date_short(self.start), id="pattern-start", max_length=10)
                yield Label("au")
                yield Input(format_date_short(self.end), id="pattern-end", max_length=10)
                yield Button("Ajouter au panier", id="pattern-apply", variant="primary")
            yield Static(
                "Espace : cocher · Tab : champ suivant · Entrée (dans une date) ou Ctrl+O : ajouter au panier"
                " · Échap : fermer", id="pattern-message")
            with VerticalScroll(id="pattern-skipped"):
                yield Static("", id="pattern-skipped-list")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#pattern-activities", SelectionList).border_title = "Activités"
        self.query_one("#pattern-weekdays", SelectionList).border_title = "Jours"
        self.query_one("#pattern-activities", SelectionList).focus()
        self._show_choice()

    @on(SelectionList.SelectedChanged)
    def _show_choice(self) -> None:
        """The choice in words too: the check marks differ only by their colour."""
        acts = set(self.query_one("#pattern-activities", SelectionList).selected)
        days = set(self.query_one("#pattern-weekdays", SelectionList).selected)
        labels = [a.label for a in self.activities if a.id in acts] or ["aucune activité"]
        names = [name.lower() for name, n in WEEKDAY_CHOICES if n in days] or ["aucun jour"]
        self.query_one("#pattern-choice", Static).update(f"Choix : {', '.join(labels)} — {', '.join(names)}")

    def _offers_text(self) -> Text:
        text = Text("Ajouter en une touche : ", style="bold")
        for i, (key, words, _first, _last) in enumerate(self.offers):
            text.append(" · " if i else "")
            text.append(key, style="bold reverse")
            text.append(f" {words}")
        text.append("\nou les dates « Du … au … » puis Entrée.", style="dim")
        return text

    def action_range(self, key: str) -> None:
        for k, _words, first, last in self.offers:
            if k == key:
                self.query_one("#pattern-start", Input).value = format_date_short(first)
                self.query_one("#pattern-end", Input).value = format_date_short(last)
                self.action_apply()
                return

    def _message(self, text: str | Text) -> None:
        self.query_one("#pattern-message", Static).update(text)

    @on(Input.Submitted)
    @on(Button.Pressed, "#pattern-apply")
    def action_apply(self) -> None:
        activities = list(self.query_one("#pattern-activities", SelectionList).selected)
        weekdays = set(self.query_one("#pattern-weekdays", SelectionList).selected)
        try:
            start = parse_date_fr(self.query_one("#pattern-start", Input).value)
            end = parse_date_fr(self.query_one("#pattern-end", Input).value)
        except DateError as exc:
            self._message(Text(exc.message, style="bold red"))
            return
        self._message("Recherche des jours…")
        self._compute(activities, weekdays, start, end)

    @work(thread=True, exclusive=True, group="pattern")
    def _compute(self, activities: list[int], weekdays: set[int], start: date, end: date) -> None:
        try:
            result = pattern_lines(self.ctx, self.cart.family_id, self.child_id, activities, weekdays,
                                   start, end, self.cart)
        except ServiceError as exc:
            self.app.call_from_thread(self._message, Text(exc.message, style="bold red"))
            return
        self.app.call_from_thread(self._show, result)

    def _show(self, result: PatternResult) -> None:
        added = self.cart.put_all(result.lines)
        self.added = (self.added or 0) + added
        self._message(Text(f"{result.summary} Échap : revenir au calendrier, puis V pour valider.",
                           style="bold"))
        skipped = Text()
        already = [s for s in result.skipped if s.reason == "déjà réservé"]
        others = [s for s in result.skipped if s.reason != "déjà réservé"]
        if already:
            skipped.append(f"{len(already)} jour(s)-activité déjà réservé(s), laissés tels quels.\n", style="italic")
        if others:
            skipped.append("Jours non retenus :\n", style="bold")
            for s in others:
                skipped.append(f"  {s.text}\n")
        self.query_one("#pattern-skipped-list", Static).update(skipped)

    def action_close(self) -> None:
        self.dismiss(self.added)
