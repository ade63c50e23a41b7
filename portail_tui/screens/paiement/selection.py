"""« Sélection » of the Paiement tab: « Calcul des réservations jusqu'au » and the
booking types, and the wallet figures they give (R7).

A date is refused in place: the reason under the field, the figures still those of
the last date accepted (and said so), and another family starts again from the
default date. Whether a date may be used (not in the past) is the wallet service's
rule; its refusal comes back under the field like a typing error.
"""

from __future__ import annotations

from datetime import date

from textual import on, work
from textual.reactive import reactive
from textual.widgets import Checkbox, Input, Static

from portail_tui.domain.frdates import DateError, format_date_short, parse_date_fr
from portail_tui.screens.base import TabScreen
from portail_tui.services import wallet
from portail_tui.services.context import ServiceError


class WalletSelection(TabScreen):
    """Base of the Paiement screen for its selection row (#until, #type-confirmed,
    #type-waiting, #until-error): keeps `figures` in step with it."""

    # The family's figures for the selection (None while none are loaded).
    figures: reactive[wallet.WalletFigures | None] = reactive(None, init=False, always_update=True)

    def __init__(self) -> None:
        super().__init__()
        # The date the figures are computed for (None: the default); a date refused in
        # the field leaves it as it was.
        self.until_used: date | None = None
        self.amount_dirty = False  # the agent typed an amount: stop proposing one

    def _show_figures(self, fig: wallet.WalletFigures) -> None:
        self.figures = fig

    def _status(self, message: str, error: bool = False) -> None:
        """Override: the screen's status line."""
        raise NotImplementedError

    def _selection(self) -> tuple[date | None, tuple[str, ...]]:
        types = tuple(t for t, box in (("confirmed", "#type-confirmed"), ("waiting", "#type-waiting"))
                      if self.query_one(box, Checkbox).value)
        return self.until_used, types

    def _reset_until(self) -> None:
        field = self.query_one("#until", Input)
        with field.prevent(Input.Changed):
            field.value = format_date_short(wallet.default_until(self.ctx.clock.today()))
        field.cursor_position = len(field.value)
        self.until_used = None
        self.query_one("#until-error", Static).update("")

    def _refuse_until(self, message: str) -> None:
        """Refused in place: the reason under the field, and which date the figures shown
        are still computed for (they do not follow a date that was not accepted)."""
        shown = self.figures.until if self.figures else wallet.default_until(self.ctx.clock.today())
        self.query_one("#until-error", Static).update(
            f"{message} Montants calculés jusqu'au {format_date_short(shown)}.")

    @on(Input.Changed, "#until")
    def _until_changed(self, event: Input.Changed) -> None:
        text = event.value.strip()
        if not text:
            self.query_one("#until-error", Static).update("")
            self._reload_figures(None)
            return
        try:
            until = parse_date_fr(text)
        except DateError as exc:
            if len(text) >= 8:  # not while the date is still being typed
                self._refuse_until(exc.message)
            else:
                self.query_one("#until-error", Static).update("")
            return
        # Whether the date may be used (not in the past) is the service's rule: its
        # refusal comes back under the field.
        self._reload_figures(until)

    @on(Input.Submitted, "#until")
    @on(Input.Blurred, "#until")
    def _until_left(self, event: Input.Submitted | Input.Blurred) -> None:
        text = event.value.strip()
        try:
            if text:
                parse_date_fr(text)
        except DateError as exc:
            self._refuse_until(exc.message)

    @on(Checkbox.Changed)
    def _types_changed(self) -> None:
        self._reload_figures(self.until_used)

    def _reload_figures(self, until: date | None) -> None:
        if self.family_id is None:
            return
        _, types = self._selection()
        self.amount_dirty = False
        self._figures(self.family_id, until, types)

    @work(thread=True, exclusive=True, group="paiement-figures")
    def _figures(self, family_id: int, until: date | None, types: tuple[str, ...]) -> None:
        try:
            fig = wallet.wallet_figures(self.ctx, family_id, until=until, types=types)
        except ServiceError as exc:
            self.app.call_from_thread(self._figures_refused, exc)
            return
        if fig.family_id == self.family_id:
            self.app.call_from_thread(self._figures_ready, fig, until)

    def _figures_ready(self, fig: wallet.WalletFigures, until: date | None) -> None:
        self.until_used = until
        self.query_one("#until-error", Static).update("")
        self._show_figures(fig)

    def _figures_refused(self, exc: ServiceError) -> None:
        if exc.field == "until":
            self._refuse_until(exc.message)
        else:
            self._status(exc.message, True)
