"""The Textual application: login, then five tabs as App modes, a header that always
shows régie, agent and current family, and a family search reachable from everywhere.

Start-up is kept short on purpose (budget: login screen in under a second): the tab
screens and the database layer are imported only once the login screen is drawn,
while the agent types their identifier.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widget import AwaitMount

from portail_tui.domain.roles import role_label
from portail_tui.gc_policy import IdleCollector
from portail_tui.screens.base import NoRepaintWhenCovered, TabScreen
from portail_tui.screens.idle_lock import IdleLock
from portail_tui.screens.login import LoginScreen
from portail_tui.screens.tabs import TABS, tab_css_variables, tab_of, tabs_for
from portail_tui.widgets.compact import COMPACT_BELOW_COLUMNS, COMPACT_BELOW_ROWS, presize
from portail_tui.widgets.frames import BatchHold
from portail_tui.widgets.palette import ActionCommands, PortailPalette
from portail_tui.widgets.stylesheet import SharedStylesheet, screen_css_paths, warm_up

if TYPE_CHECKING:
    from portail_tui.services.context import Actor, Context
    from portail_tui.services.families import FamilySummary


# A tab shown again redraws the header from what was loaded for the family if it is
# younger than this; older, it is reloaded (in a worker) to show other sessions' changes.
HEADER_MAX_AGE_S = 5.0

# The tabs not shown yet are built in the background once the agent has been idle this
# long after the login (one tab per step, every PREBUILD_STEP_S), so that the first F2…F5
# of the day costs what a later visit does. A key typed meanwhile waits at most one step.
PREBUILD_QUIET_S = 0.4
PREBUILD_STEP_S = 0.1
# The tabs most used at the desk, and the longest to build, first.
PREBUILD_ORDER = ("accueil", "paiement", "reservations", "historiques", "dossier", "pointage", "regie")


@dataclass(frozen=True)
class _HeaderFigures:
    summary: FamilySummary
    solde_cents: int
    loaded_at: float  # time.monotonic()


def _lazy_screen(module: str, name: str) -> Callable[[], Screen]:
    def factory() -> Screen:
        return getattr(importlib.import_module(module), name)()

    return factory


class FamilyCommands(Provider):
    """Command palette: type a name, number or phone to open a family."""

    async def search(self, query: str) -> Hits:
        app = self.app
        if not isinstance(app, PortailApp) or app.actor is None or len(query.strip()) < 2:
            return
        from portail_tui.services.families import search_families

        hits = await asyncio.to_thread(search_families, app.ctx, query, limit=10)
        for rank, h in enumerate(hits):
            label = f"Famille {h.name} — n° {h.number_text} — {h.children}"
            # Textual's fuzzy scores run well above 1: keep families (found by the
            # database, in its order) ahead of commands that merely share letters.
            yield Hit(1000.0 - rank, label, partial(app.select_family, h.id), help=f"{h.guardian} {h.city}")

    async def discover(self) -> Hits:
        app = self.app
        if isinstance(app, PortailApp) and app.actor is not None:
            yield DiscoveryHit("Rechercher une famille…", app.action_search_family, help="Ctrl+F")


class PortailApp(App[None]):
    CSS_PATH = str(Path(__file__).with_name("app.tcss"))  # absolute: subclasses live elsewhere
    TITLE = "Portail Familles — guichet"
    COMMANDS = {ActionCommands, FamilyCommands}
    MODES = {t.mode: _lazy_screen(t.module, t.screen) for t in TABS}
    # The compact layout (app.tcss and the screens' .tcss): every screen gets `-narrow`
    # below 100 columns and `-short` below 30 rows (widgets/compact.py), so that 80×24,
    # the default SSH terminal, shows Paiement's amount and Encaisser, the whole calendar.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (COMPACT_BELOW_COLUMNS, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (COMPACT_BELOW_ROWS, "-tall")]
    BINDINGS = [
        *(Binding(t.binding_key, f"tab('{t.mode}')", t.short_label) for t in TABS),
        Binding("ctrl+f", "search_family", "Famille", priority=True),
        Binding("ctrl+q", "quit", "Quitter", priority=True),
    ]

    def __init__(
        self,
        ctx: Context | None = None,
        *,
        actor: Actor | None = None,
        open_context: Callable[[], Context] | None = None,
    ) -> None:
        """Either a ready `ctx`, or `open_context` to open (and check) the database in
        the background while the login screen is shown."""
        super().__init__()
        if ctx is None and open_context is None:
            raise ValueError("PortailApp needs ctx or open_context")
        self.base_ctx: Context | None = ctx
        self._open_context = open_context
        self.database_error: str | None = None
        self.actor: Actor | None = actor
        self.ctx: Context = ctx.as_actor(actor) if (ctx and actor) else ctx  # type: ignore[assignment]
        self.current_family_id: int | None = None
        self.regie_name = ""
        self.idle_lock = IdleLock(self)
        # Set by screens.freshness when the database was restored under this session: only
        # quitting is left, the figures and receipt numbers shown belong to another database.
        # (A flag, not a look at the screen stack: check_action runs for every key hint,
        # from the login screen on, and must not import the services to answer.)
        self.database_restored = False
        self._header_cache: dict[int, _HeaderFigures] = {}
        self._header_generation = 0  # bumped by each invalidation: older loads are dropped
        self._prebuild_timer: Timer | None = None
        # Full garbage collections when the agent does not wait for them (gc_policy.py).
        self.collector = IdleCollector()
        self._collector_timer: Timer | None = None
        self._switch_hold = BatchHold(self)
        self._switching = False
        self._prebuilt: set[Screen] = set()  # tabs built and laid out before their first showing
        self.tabs_prebuilt = False  # every tab of the role is built (shown or not)
        # Parsed CSS shared by every stylesheet of the process (widgets/stylesheet.py).
        self.stylesheet = SharedStylesheet(variables=self.get_css_variables())

    def get_css_variables(self) -> dict[str, str]:
        """The theme's variables plus one colour per tab ($tab-accueil … $tab-dossier),
        so every stylesheet names a tab colour instead of repeating it."""
        return {**super().get_css_variables(), **tab_css_variables()}

    # --- start-up and login ----------------------------------------------------

    def on_mount(self) -> None:
        if self.actor is not None and self.base_ctx is not None:
            self._enter(self.actor)
        else:
            self.push_screen(LoginScreen(), self._enter)
        self.call_after_refresh(self._prepare, self.get_css_variables())

    @work(thread=True, exclusive=True, group="open-database")
    def _prepare(self, css_variables: dict[str, str]) -> None:
        """Once the first screen is drawn, in the background: open the database (when
        not given), import the tabs' modules and parse every stylesheet, so that the
        first F2…F5 of the day costs a render, not a second of imports and CSS."""
        if self.base_ctx is None:
            from portail_tui.services.db_errors import DatabaseError

            try:
                ctx = self._open_context()  # type: ignore[misc]
            except DatabaseError as exc:
                self.call_from_thread(self._database_ready, None, str(exc))
                return
        else:
            ctx = self.base_ctx
        for module in (*(t.module for t in TABS), "portail_tui.screens.search"):
            importlib.import_module(module)
        # The school holidays (a CSV) and public holidays are read once per process, at
        # the first calendar drawn: 250 ms of the first F4 of the day, paid here instead.
        today = ctx.clock.today()
        calendar = ctx.school_calendar
        calendar.is_school_holiday(today)
        calendar.is_public_holiday(today)
        calendar.is_public_holiday(today.replace(year=today.year + 1, day=1))
        if ctx is not self.base_ctx:
            self.call_from_thread(self._database_ready, ctx, None)
        paths = screen_css_paths()
        warm_up(css_variables, paths)
        self.call_from_thread(self._css_ready, paths)

    def _css_ready(self, paths: list[Path]) -> None:
        """Every screen's stylesheet in the app's from now on (parsed: cheap). Textual
        would otherwise add a screen's CSS when it is first shown, re-parse everything
        and restyle every widget of every screen kept mounted; all of them are scoped
        by their screen's class, so loading them early changes no style."""
        sheet = self.stylesheet
        missing = [p for p in paths if not sheet.has_source(str(p))]
        if missing:
            for path in missing:
                sheet.read(path)
            sheet.reparse()
            sheet.update(self)
        # Start-up is over: what it made (modules, classes, parsed CSS, the database
        # layer) lives as long as the process. Out of the garbage collector's sight, a
        # full collection no longer walks it: 200+ ms pauses, at random keys (the first
        # display of a tab, a dialog), become a few ms.
        gc.freeze()

    def _database_ready(self, ctx: Context | None, error: str | None) -> None:
        self.base_ctx = ctx
        self.database_error = error
        if isinstance(self.screen, LoginScreen):
            self.screen.database_ready(error)

    def _enter(self, actor: Actor | None) -> None:
        if actor is None or self.base_ctx is None:
            return
        from portail_tui.services import news

        self.actor = actor
        self.ctx = self.base_ctx.as_actor(actor)
        self.regie_name = news.regie_name(self.ctx)
        self.sub_title = f"{self.regie_name} — {actor.full_name}"
        self.switch_mode("accueil")
        self.idle_lock.start(self.base_ctx.settings.idle_lock_minutes)
        if self._collector_timer is None:
            self.collector.start()
            self._collector_timer = self.set_interval(1.0, self._collect_if_idle)
        if self.base_ctx.settings.prebuild_tabs and self._prebuild_timer is None:
            self._prebuild_timer = self.set_interval(PREBUILD_STEP_S, self._prebuild_step)

    def _collect_if_idle(self) -> None:
        self.collector.tick(self.idle_lock.clock() - self.idle_lock.last)

    def on_unmount(self) -> None:
        self.collector.stop()  # Python's own full collections again (gc_policy)

    def _prebuild_step(self) -> None:
        """Build (compose and mount, then lay out, all hidden) the next tab of the
        agent's role never shown yet, when the agent has typed nothing for a moment and
        no data is being loaded (a dialog may be open: the family search, waiting for
        the caller to spell a name). Built, a tab is an App mode like one
        already visited: its first showing loads the family's data
        (TabScreen.on_screen_resume) and draws."""
        if self._exit or not self._running:  # shutting down: Textual is closing the screens
            if self._prebuild_timer is not None:
                self._prebuild_timer.stop()
            return
        if self.actor is None or self.idle_lock.clock() - self.idle_lock.last < PREBUILD_QUIET_S:
            return
        if any(not w.is_finished for w in self.workers):
            return
        for tab in sorted(tabs_for(self.actor.role), key=lambda t: PREBUILD_ORDER.index(t.mode)):
            stack = self._screen_stacks.get(tab.mode)
            if stack is None:
                screen, _ = self._get_screen(_lazy_screen(tab.module, tab.screen)())  # registered: compose and mount follow
                self._screen_stacks[tab.mode] = [screen]
                self._load_screen_css(screen)
                return
            if not stack:
                continue
            screen = stack[0]
            if screen not in self._prebuilt and not screen.stack_updates:
                if screen.is_mounted and not screen.is_current:
                    self._lay_out_hidden(screen)
                return
            if isinstance(screen, TabScreen) and self._prebuild_dialogs(screen):
                return
        self.tabs_prebuilt = True
        if self._prebuild_timer is not None:
            self._prebuild_timer.stop()

    def _prebuild_dialogs(self, tab: TabScreen) -> bool:
        """One step for the dialogs a tab opens many times a day (the day's): mounted,
        then laid out, hidden. False when they all are."""
        for dialog in tab.dialogs_to_prepare():
            if not dialog.is_running:
                presize(dialog, self)
                dialog._css_update_count = self._css_update_count
                self._get_screen(dialog)  # registered: compose and mount follow
                return True
            if dialog not in self._prebuilt and not dialog.stack_updates:
                if dialog.is_mounted:
                    self._lay_out_hidden(dialog)
                return True
        return False

    def _lay_out_hidden(self, screen: Screen[Any]) -> None:
        """The last step of building a screen ahead: laid out (no frame: drawn once
        current, Screen._refresh_layout), and its frame timer started. Textual starts a
        screen's 1/60 s timer at its first refresh and only ticks a whole period later:
        the first showing of every tab and of the day dialog waited 17 ms for it. Its
        first tick here, the screen hidden, draws nothing (Screen._on_timer_update)."""
        screen._refresh_layout(self.size)
        screen._update_timer.resume()
        self._prebuilt.add(screen)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent):
            self.idle_lock.activity()
        await super().on_event(event)

    # --- tabs, family and header -----------------------------------------------

    def switch_mode(self, mode: str) -> AwaitMount:
        """Textual holds every frame for 50 ms after a mode switch (`delay_update`, « to
        mask a brief transition »): the agent saw each tab 53 ms after its key, however
        quick the tab was. The frames are held only until the tab has handled its
        ScreenResume instead (where a tab that loads a family starts its own FrameHold):
        Textual's 50 ms stay the limit."""
        self._switching = True
        try:
            await_mount = super().switch_mode(mode)
        finally:
            self._switching = False
        if self._switch_hold.held:
            self.screen.call_later(self._release_switch)  # queued behind its ScreenResume
        return await_mount

    def _release_switch(self) -> None:
        """Lets the switch's frames go once the tab and its widgets have handled what the
        switch sent them: the focus moved to the amount and restyled, a header redrawn.
        Released earlier, the tab was drawn at once, then again 30–40 ms later for the
        focused field alone (Textual draws at most one frame per 1/60 s tick)."""
        if not self._switch_hold.held:
            return
        screen = self.screen
        busy = next((p for p in (self, screen, *screen.walk_children()) if not p._message_queue.empty()), None)
        if busy is None:
            self._switch_hold.release()
        else:
            busy.call_later(self._release_switch)  # behind what it still has to do

    def delay_update(self, delay: float = 0.05) -> None:
        if self._switching:
            self._switch_hold.start(delay)
        else:
            super().delay_update(delay)

    def push_screen(self, screen: Screen[Any] | str, *args: Any, **kwargs: Any) -> Any:
        """Every dialog is pushed with the classes of the terminal's size already set
        (widgets/compact.py `presize`) and the current CSS count, so that it is styled
        once when mounted, not again when first resized and shown (screens.base.Dialog)."""
        if isinstance(screen, Screen):
            if not screen.is_attached:
                presize(screen, self)
                screen._css_update_count = self._css_update_count
            else:  # a dialog kept between uses (the day): the terminal may have been resized
                presize(screen, self, update=True)
        below = self.screen if isinstance(screen, ModalScreen) and self._screen_stack else None
        if isinstance(below, NoRepaintWhenCovered):
            below._covered_now = True  # Textual's repaint of the screen covered is skipped
        try:
            return super().push_screen(screen, *args, **kwargs)
        finally:
            if isinstance(below, NoRepaintWhenCovered):
                below._covered_now = False

    def action_command_palette(self) -> None:
        # Anywhere in the stack, not only on top: Ctrl+P, Ctrl+F, Ctrl+P pushed a second
        # palette with the same id over the search (DuplicateIds, the app crashed).
        if self.use_command_palette and not any(isinstance(s, PortailPalette) for s in self.screen_stack):
            self.push_screen(PortailPalette())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.idle_lock.locked or self.database_restored:
            # Nothing under the lock (or the « base restaurée » notice) is reachable; Ctrl+Q quits.
            return action in ("quit", "help_quit")
        if action == "tab" and parameters:
            # A tab kept for some roles (Régie): no key shown, none working, for the others.
            tab = tab_of(str(parameters[0]))
            return self.actor is not None and (tab is None or tab.allows(self.actor.role))
        return not (action == "search_family" and self.actor is None)

    def action_tab(self, mode: str) -> None:
        tab = tab_of(mode)
        if self.actor is None or tab is None:
            return
        if not tab.allows(self.actor.role):
            self.notify(f"L'onglet {tab.label} est réservé aux régisseurs et administrateurs.", severity="warning")
            return
        self.switch_mode(mode)

    def action_search_family(self) -> None:
        from portail_tui.screens.search import FamilySearchScreen

        if self.actor is None or isinstance(self.screen, FamilySearchScreen):
            return
        self.push_screen(FamilySearchScreen(self.ctx), self._family_chosen)

    def _family_chosen(self, family_id: int | None) -> None:
        if family_id is not None:
            self.select_family(family_id)

    def select_family(self, family_id: int) -> None:
        """Make a family current: the header and the visible tab follow at once, the
        other tabs when they are next shown."""
        self.current_family_id = family_id
        self.refresh_header()
        screen = self.screen
        if isinstance(screen, TabScreen):
            screen.family_changed()

    def current_family(self) -> FamilySummary | None:
        """The current family's summary: the header's copy when it has one (no query)."""
        if self.current_family_id is None:
            return None
        cached = self._header_cache.get(self.current_family_id)
        if cached is not None:
            return cached.summary
        from portail_tui.services.families import family_summary

        return family_summary(self.ctx, self.current_family_id)

    def refresh_header(self, *, changed: bool = True) -> None:
        """Redraw the header of the visible tab. `changed` (after a family change, a
        payment, a booking, an edit): the family's figures may have moved, reload them.
        Otherwise (a tab shown again) the figures kept for the family are drawn at once,
        and reloaded only when older than HEADER_MAX_AGE_S, so that another session's
        payment shows within seconds. Loading runs in a worker thread: a tab switch never
        waits for the database (DESIGN §4)."""
        if self.actor is None:
            return
        family_id = self.current_family_id
        if changed and family_id is not None:
            self._header_cache.pop(family_id, None)
            self._header_generation += 1
        self._draw_header()
        if family_id is not None:
            cached = self._header_cache.get(family_id)
            if cached is None or time.monotonic() - cached.loaded_at > HEADER_MAX_AGE_S:
                self._load_header(family_id, self._header_generation)

    @work(thread=True, exclusive=True, group="header")
    def _load_header(self, family_id: int, generation: int) -> None:
        from portail_tui.services.context import ServiceError
        from portail_tui.services.families import family_summary
        from portail_tui.services.wallet import family_solde

        try:
            figures = _HeaderFigures(family_summary(self.ctx, family_id), family_solde(self.ctx, family_id),
                                     time.monotonic())
        except ServiceError:
            return  # the family vanished: the tab that shows it says so
        self.call_from_thread(self._header_loaded, figures, generation)

    def _header_loaded(self, figures: _HeaderFigures, generation: int) -> None:
        if generation != self._header_generation:
            return  # loaded before a change that invalidated it: a newer load follows
        self._header_cache[figures.summary.id] = figures
        if figures.summary.id == self.current_family_id:
            self._draw_header()

    def _draw_header(self) -> None:
        screen = self.screen
        header = screen.header if isinstance(screen, TabScreen) else None
        if self.actor is None or header is None:
            return
        family = solde = None
        if self.current_family_id is not None:
            cached = self._header_cache.get(self.current_family_id)
            if cached is None:
                family = "…"
            else:
                family = f"{cached.summary.name} (n° {cached.summary.number_text})"
                solde = cached.solde_cents
        header.show(regie=self.regie_name, agent=f"{self.actor.full_name} ({role_label(self.actor.role)})",
                    family=family, solde_cents=solde)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The palette offers the tabs, the family search and every action the current
        screen shows in its footer, so an agent can find an action by name."""
        if self.actor is not None:
            for tab in tabs_for(self.actor.role):
                yield SystemCommand(f"Onglet {tab.label}", f"Ouvrir l'onglet {tab.label} ({tab.key})",
                                    partial(self.action_tab, tab.mode))
            yield SystemCommand("Rechercher une famille", "Ctrl+F", self.action_search_family)
            seen = {"tab", "search_family", "quit", "command_palette"}
            for key, active in screen.active_bindings.items():
                binding = active.binding
                name = binding.action.split("(")[0]
                if not (active.enabled and binding.show and binding.description) or name in seen:
                    continue
                seen.add(name)
                yield SystemCommand(binding.description, f"Touche {key}",
                                    partial(self.run_action, binding.action, active.node))
        yield SystemCommand("Quitter", "Fermer l'application (Ctrl+Q)", self.exit)
