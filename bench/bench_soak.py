"""Soak: a day at the counter, compressed. Through the Pilot, as an agent would: log in,
wait for the tabs built in the background, then over and over open a family (Ctrl+F,
its number, Entrée), switch tabs (F1…F5), take a payment (F9, Entrée, Échap), change
month, open days (Entrée), validate the cart (V, V) — at least 5,000 timed actions.

Every 500 actions it prints the resident memory (/proc/self/statm, after a full
garbage collection) and the number of live Textual widgets (in memory, attached or
not: a widget removed from the screen but still referenced is a leak). At the end,
p50/p95 latency per kind of action for the first and the last window.

What is compared: the first window is the cycles of the first families (whole cycles,
about 500 actions), the last window the cycles of the SAME families again, in the same
order, at the end of the run: the same kinds in the same proportions, the same
families' data (plus what the soak itself added to them: a payment and a booking per
visit, which a family seen again during the day has too). Two windows of different
families compared a family of three children with one of one child, and a change of
month with 5 samples whose p50 fell on either side of the frame (below).

Budget (issue 12): memory after the last window within 10 % of memory after the first;
live widgets flat (within a few widgets: a notification may be on screen); latency
drift under 10 % (p50 of each kind, last window against the first; p95 printed beside
it, too noisy on a shared machine to judge on a few dozen samples). The CPU time of the
same actions is printed beside the drift: when the wall time drifts and the CPU time
does not, the process waited for a processor (load average), it did not work more.
The full garbage collections inside the timed actions are counted too, and each kind's
p50 drift printed without them: their pause grows with the objects the process keeps
(Textual's render caches, which fill over the first ~700 actions and then stay flat),
and opening a family, which allocates most, holds one in about half of its samples.

A latency here is from the key sent (as the terminal driver sends it) to the screen
settled: the key handled, every worker it started finished, every message queue empty,
and the frame pending drawn (drawn at once rather than at Textual's next 1/60 s tick:
the drawing is this action's cost, the wait for the tick is not counted).

    python bench/bench_soak.py [--db sqlite:///data/bench-town.db] [--actions 5000]
        [--window 500] [--timeline actions.tsv]
Writes (payments, bookings) go to a copy of the town unless --in-place.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import sys
import tempfile
import time
import weakref
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as dtime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for _p in (str(ROOT), str(ROOT / "bench")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from bench_screens import post_key  # noqa: E402
from common import DEFAULT_TOWN, pct  # noqa: E402

SIZE = (130, 42)
MEMORY_BUDGET = 0.10  # growth allowed between the first window and the last
LATENCY_DRIFT = 0.10
WIDGET_SLACK = 30  # a toast, a tooltip: what may legitimately be alive at one moment or another

KINDS = {
    "famille": "ouvrir une famille (Ctrl+F, n°, Entrée)",
    "onglet": "changer d'onglet (F1…F5)",
    "encaisser": "Encaisser (F9)",
    "quittance": "confirmer l'encaissement (Entrée → quittance)",
    "mois": "mois suivant/précédent",
    "jour": "ouvrir un jour (Entrée)",
    "choix": "choisir une activité (Espace)",
    "panier": "récapitulatif du panier (V)",
    "valider": "valider le panier (V)",
    "fermer": "fermer un dialogue (Échap)",
}


def rss_mb() -> float:
    """Resident memory of this process, MB."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


class WidgetCensus:
    """Every widget created while active, held weakly: those alive are the ones
    something still references, or that sit in garbage the collector will never visit
    (the application freezes what start-up and each tab's first display made, gc.freeze,
    which gc.get_objects() does not list: a frozen widget never freed is a leak all the
    same). Counting this way changes nothing in the collector's state."""

    def __init__(self) -> None:
        self.widgets: weakref.WeakSet[Any] = weakref.WeakSet()
        self._original: Any = None

    def __enter__(self) -> WidgetCensus:
        from textual.widget import Widget

        original = self._original = Widget.__init__
        widgets = self.widgets

        def counted(widget: Any, *args: Any, **kwargs: Any) -> None:
            original(widget, *args, **kwargs)
            widgets.add(widget)

        Widget.__init__ = counted  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        from textual.widget import Widget

        Widget.__init__ = self._original  # type: ignore[method-assign]

    def live(self) -> int:
        return len(self.widgets)

    def live_of(self, class_name: str) -> int:
        return sum(1 for w in list(self.widgets) if type(w).__name__ == class_name)


@dataclass
class Sample:
    actions: int
    rss_mb: float
    widgets: int
    footer_keys: int  # Textual's FooterKey: 0 unless a screen still uses the stock Footer


@dataclass
class SoakReport:
    window: int
    samples: list[Sample] = field(default_factory=list)
    first: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    last: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    # The same actions' CPU time (the process's, worker threads included): beside a wall
    # time drift, it says whether the process worked more or waited more for a
    # processor (other work on a shared machine).
    first_cpu: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    last_cpu: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    # ms of full garbage collections (generation 2) inside each of those actions: their
    # pause grows with the objects the process keeps (Textual's render caches fill over
    # the first ~700 actions), and the action that allocates most (opening a family)
    # holds one in about half of its samples, so its p50 follows the pause.
    first_gc: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    last_gc: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    actions: int = 0
    seconds: float = 0.0
    skipped_carts: int = 0
    window_families: int = 0  # families cycled in the first window, again in the last
    # Every counted action: (its number, kind, ms, family): a drift's trend over time.
    timeline: list[tuple[int, str, float, int | None]] = field(default_factory=list)

    @property
    def memory_growth(self) -> float:
        """(RSS at the end − RSS after the first window) ÷ RSS after the first window."""
        base, end = self.samples[0].rss_mb, self.samples[-1].rss_mb
        return (end - base) / base

    @property
    def widget_growth(self) -> int:
        return self.samples[-1].widgets - self.samples[0].widgets

    def drift(self, kind: str, p: float = 50, cpu: bool = False) -> float | None:
        a, b = (self.first_cpu, self.last_cpu) if cpu else (self.first, self.last)
        a, b = a.get(kind), b.get(kind)  # type: ignore[assignment]
        if not a or not b:
            return None
        return pct(b, p) / pct(a, p) - 1

    def drifts(self) -> dict[str, float]:
        return {k: d for k in KINDS if (d := self.drift(k)) is not None}

    def gc_lines(self) -> list[str]:
        """The full collections inside the timed actions, and each kind's p50 drift
        without them (information: the verdict is on the time the agent waits)."""
        def pauses(gcs: dict[str, list[float]]) -> list[float]:
            return [g for values in gcs.values() for g in values if g > 0]

        a, b = pauses(self.first_gc), pauses(self.last_gc)
        if not a and not b:
            return []
        mean = lambda v: sum(v) / len(v) if v else 0.0  # noqa: E731
        out = [f"  collections complètes du ramasse-miettes dans les actions : {len(a)} au début "
               f"({mean(a):.0f} ms en moyenne), {len(b)} à la fin ({mean(b):.0f} ms en moyenne)"]
        net = []
        for kind in KINDS:
            d = self._net_drift(kind)
            if d is not None:
                net.append(f"{kind} {d * 100:+.0f} %")
        out.append("  dérive p50 hors de ces collections : " + ", ".join(net))
        return out

    def _net_drift(self, kind: str) -> float | None:
        a = [ms - g for ms, g in zip(self.first.get(kind, []), self.first_gc.get(kind, []), strict=True)]
        b = [ms - g for ms, g in zip(self.last.get(kind, []), self.last_gc.get(kind, []), strict=True)]
        return pct(b, 50) / pct(a, 50) - 1 if a and b else None

    @property
    def memory_ok(self) -> bool:
        return self.memory_growth <= MEMORY_BUDGET

    @property
    def widgets_ok(self) -> bool:
        return self.widget_growth <= WIDGET_SLACK

    @property
    def latency_ok(self) -> bool:
        return all(d < LATENCY_DRIFT for d in self.drifts().values())

    def lines(self) -> list[str]:
        out = [f"{self.actions} actions en {self.seconds:.0f} s ; fenêtres comparées : les {self.window_families} "
               f"premières familles ({sum(map(len, self.first.values()))} actions), puis les mêmes à la fin "
               f"({sum(map(len, self.last.values()))} actions)"]
        for s in self.samples:
            out.append(f"  après {s.actions:>5} actions : mémoire {s.rss_mb:7.1f} Mo, widgets vivants {s.widgets:>6}"
                       f", FooterKey {s.footer_keys}")
        out.append(f"  mémoire : {self.memory_growth * 100:+.1f} % (budget ≤ {MEMORY_BUDGET * 100:.0f} %) ; "
                   f"widgets : {self.widget_growth:+d} (budget : stables, ± {WIDGET_SLACK})")
        out.append(f"  {'action':<48} {'n':>4} {'p50 début':>10} {'p95 début':>10} {'n':>4} {'p50 fin':>9} "
                   f"{'p95 fin':>9} {'dérive p50':>11} {'dérive CPU':>11}")
        for kind, label in KINDS.items():
            a, b = self.first.get(kind, []), self.last.get(kind, [])
            if not a and not b:
                continue
            d, c = self.drift(kind), self.drift(kind, cpu=True)
            out.append(f"  {label:<48} {len(a):>4} {_ms(a, 50):>10} {_ms(a, 95):>10} {len(b):>4} {_ms(b, 50):>9} "
                       f"{_ms(b, 95):>9} {_pct(d):>11} {_pct(c):>11}")
        out.extend(self.gc_lines())
        if self.skipped_carts:
            out.append(f"  ({self.skipped_carts} panier(s) non faits : aucun jour libre trouvé)")
        return out


def _frame_pending(screen: Any) -> bool:
    """What Screen._on_idle resumes the update timer for."""
    return bool(screen._layout_required or screen._scroll_required or screen._repaint_required
                or screen._recompose_required or screen._dirty_widgets)


def _next_month(month: tuple[int, int]) -> tuple[int, int]:
    year, m = month
    return (year + 1, 1) if m == 12 else (year, m + 1)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:+.0f} %"


def _ms(values: list[float], p: float) -> str:
    return f"{pct(values, p):.1f} ms" if values else "—"


class Soak:
    """Drives one application through the cycle; `act` is the one timed step."""

    def __init__(self, app: Any, pilot: Any, report: SoakReport, total: int,
                 on_sample: Callable[[Sample], None], census: WidgetCensus) -> None:
        self.app, self.pilot, self.report, self.total = app, pilot, report, total
        self.on_sample = on_sample
        self.census = census
        self.counting = False
        # (report.first, report.first_cpu, report.first_gc) or the last's, while in a window
        self.window: tuple[dict[str, list[float]], dict[str, list[float]], dict[str, list[float]]] | None = None
        self.gc_ms = 0.0  # full collections since the action began
        self._gc_start = 0.0

    def gc_callback(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._gc_start = time.perf_counter()
        else:
            self.gc_ms += (time.perf_counter() - self._gc_start) * 1000

    def _quiet(self) -> bool:
        app = self.app
        pumps = [app, *app.screen.walk_children(with_self=True)]
        return all(w.is_finished for w in app.workers) and all(p._message_queue.empty() for p in pumps)

    async def idle(self) -> None:
        """Until nothing is left to do: no worker running, every message queue of the
        application and the screen empty, and the screen drawn. One pass of the Pilot's
        wait was not enough: a key goes from the application to the focused widget, back
        up to the bindings, which post messages (MonthChanged) that start a worker; it
        returned while PgSuiv was still on its way, and that month's load was timed as
        part of PgPréc. And the frame: Textual draws the screen at its next 1/60 s tick,
        which came before the end of an action or after it, at random; the drawing (10
        to 40 ms on a tab) went to this action or to the next one, and a kind's p50 on a
        few dozen samples jumped from one side to the other. The frame pending is drawn
        here at once, as the tick would (Screen._on_timer_update): its cost is always
        this action's, the wait for the tick (the same 0–17 ms every time) is left out.
        Frames held are waited for: the agent sees nothing before they are let go."""
        await self.pilot._wait_for_screen()
        frames = 0
        held_since = None
        while True:
            if self._quiet() and self.app._batch_count:
                # Frames held (a tab loading, Textual's delay_update): part of the action.
                # Every hold ends on a timer (at most 150 ms): one that does not is a bug.
                held_since = held_since or time.perf_counter()
                if time.perf_counter() - held_since > 2.0:
                    raise RuntimeError(f"frames held for more than 2 s on {self.app.screen!r}")
                await asyncio.sleep(0.001)
            elif self._quiet():
                screen = self.app.screen
                if not _frame_pending(screen) or frames == 10 or not screen.is_current:
                    return  # (a screen that cannot draw now: Textual draws it when it can)
                screen._on_timer_update()
                frames += 1
            else:
                await asyncio.sleep(0.001)
            await self.pilot._wait_for_screen()

    async def until(self, ready: Callable[[], bool], limit: float) -> bool:
        while not ready():
            if time.perf_counter() > limit:
                return False
            await asyncio.sleep(0.001)
            await self.idle()
        return True

    async def act(self, kind: str, keys: list[str | Callable[[], bool]], ready: Callable[[], bool] = lambda: True,
                  timeout: float = 30.0, required: bool = True) -> bool:
        """Send `keys` (the screen settled after each; a callable among them: wait until
        it holds) and wait until `ready()` holds and nothing runs; one timed action of
        `kind`. Not `required`: False (and not counted) when `ready()` still fails after
        `timeout`."""
        t0, c0 = time.perf_counter(), time.process_time()
        self.gc_ms = 0.0
        limit = t0 + timeout
        for key in keys:
            if callable(key):
                await self.until(key, limit)
                continue
            post_key(self.app, key)
            await self.idle()
        if not await self.until(ready, limit):
            if not required:
                return False
            raise TimeoutError(f"{kind}: not ready after {keys} (on {self.app.screen!r}, "
                               f"stack {self.app.screen_stack!r}, family {self.app.current_family_id})")
        await self.idle()  # what `ready` let through (a dialog pushed by a worker's callback)
        ms = (time.perf_counter() - t0) * 1000
        cpu_ms = (time.process_time() - c0) * 1000
        if not self.counting:
            return True
        r = self.report
        r.actions += 1
        r.timeline.append((r.actions, kind, ms, self.app.current_family_id))
        if self.window is not None:
            self.window[0][kind].append(ms)
            self.window[1][kind].append(cpu_ms)
            self.window[2][kind].append(self.gc_ms)
        if r.actions % r.window == 0:
            self.sample()
        return True

    def sample(self) -> None:
        """Memory and live widgets now, after a full collection (not timed)."""
        r = self.report
        if r.samples and r.samples[-1].actions == r.actions:
            return
        gc.collect()
        sample = Sample(r.actions, rss_mb(), self.census.live(), self.census.live_of("FooterKey"))
        r.samples.append(sample)
        self.on_sample(sample)

    async def prebuilt(self, timeout: float = 30.0) -> None:
        """After the login, the agent waits for a first caller while the tabs are built
        in the background (app.py `_prebuild_step`, once nothing is typed for a moment):
        the soak starts then, as bench_screens.py does, not in the middle of it."""
        limit = time.perf_counter() + timeout
        while self.app.base_ctx.settings.prebuild_tabs and not self.app.tabs_prebuilt:
            if time.perf_counter() > limit:
                raise TimeoutError("tabs not built in the background after the login")
            await asyncio.sleep(0.01)
        await self.idle()

    # --- the cycle ----------------------------------------------------------------------

    async def login(self, login: str, password: str) -> None:
        from portail_tui.screens.base import TabScreen

        await self.idle()
        for key in [*login, "enter", *password]:
            await self.pilot.press(key)
        await self.act("connexion", ["enter"], lambda: isinstance(self.app.screen, TabScreen))

    async def open_family(self, family_id: int, number_text: str) -> None:
        from portail_tui.screens.base import TabScreen
        from portail_tui.screens.search import FamilySearchScreen

        app = self.app

        def found() -> bool:
            # Results of an earlier, shorter query may land after the last one's (the
            # search's cancelled worker threads run on): Entrée takes the first line.
            screen = app.screen
            return isinstance(screen, FamilySearchScreen) and bool(screen.hits) and screen.hits[0].id == family_id

        await self.act("famille", ["ctrl+f", *number_text, found, "enter"],
                       lambda: app.current_family_id == family_id and isinstance(app.screen, TabScreen))

    async def tab(self, key: str, mode: str) -> None:
        await self.act("onglet", [key], lambda: self.app.current_mode == mode)

    async def payment(self) -> None:
        from textual.widgets import Input

        from portail_tui.screens.paiement.encaisser import EncaisserModal
        from portail_tui.screens.paiement.receipt import ReceiptModal
        from portail_tui.screens.paiement.screen import PaiementScreen

        app = self.app
        screen = app.screen
        if not isinstance(screen, PaiementScreen) or screen.loaded is None:
            return
        screen.query_one("#montant", Input).focus()
        await self.pilot.press("ctrl+a", "ctrl+k", "1")  # typing the amount: not timed
        await self.idle()
        await self.act("encaisser", ["f9"], lambda: isinstance(app.screen, EncaisserModal))
        await self.act("quittance", ["enter"], lambda: isinstance(app.screen, ReceiptModal))
        await self.act("fermer", ["escape"], lambda: isinstance(app.screen, PaiementScreen))

    async def bookings(self) -> None:
        from portail_tui.screens.reservations.day import DayDialog
        from portail_tui.screens.reservations.recap import RecapDialog
        from portail_tui.screens.reservations.screen import ReservationsScreen
        from portail_tui.widgets.month_calendar import MonthCalendar

        app = self.app
        screen = app.screen
        if not isinstance(screen, ReservationsScreen) or screen.child_id is None:
            return

        calendar = screen.query_one(MonthCalendar)
        shown = calendar.shown

        def showing(month: tuple[int, int]) -> Callable[[], bool]:
            # The month asked for, with its states: not the one still on screen.
            return lambda: calendar.shown == month and calendar.loaded

        await self.act("mois", ["pagedown"], showing(_next_month(shown)))
        await self.act("mois", ["pageup"], showing(shown))
        await self.pilot.press("home")
        await self.idle()
        for _ in range(8):
            # A dialog opens (the day's, or the period list on a holiday); a refusal
            # shows in the status line instead.
            await self.act("jour", ["enter"], lambda: app.screen is not screen, timeout=3.0, required=False)
            dialog = app.screen
            if not isinstance(dialog, DayDialog):
                if dialog is not screen:
                    await self.act("fermer", ["escape"], lambda: app.screen is screen)
                await self.pilot.press("right")
                await self.idle()
                continue
            free = [k for k, o in enumerate(dialog.options.options)
                    if o.book.ok and o.booked_status is None and not o.book.waiting]
            if free:
                dialog.query_one("#day-table").move_cursor(row=free[0])
                await self.act("choix", ["space"])
                await self.act("fermer", ["escape"], lambda: app.screen is screen)
                if dialog.cart:  # not refused by a rule the list does not show (age, school…)
                    break
                await self.pilot.press("right")
                await self.idle()
                continue
            await self.act("fermer", ["escape"], lambda: app.screen is screen)
            await self.pilot.press("right")
            await self.idle()
        else:
            self.report.skipped_carts += 1
            return
        await self.act("panier", ["v"], lambda: isinstance(app.screen, RecapDialog))
        recap = app.screen
        await self.act("valider", ["v"], lambda: getattr(recap, "result", None) is not None)
        await self.act("fermer", ["escape"], lambda: app.screen is screen)

    async def cycle(self, family_id: int, number_text: str) -> None:
        await self.open_family(family_id, number_text)
        for key, mode in (("f2", "historiques"), ("f3", "paiement")):
            await self.tab(key, mode)
        await self.payment()
        await self.tab("f4", "reservations")
        await self.bookings()
        for key, mode in (("f5", "dossier"), ("f1", "accueil"), ("f2", "historiques"), ("f3", "paiement"),
                          ("f4", "reservations"), ("f5", "dossier"), ("f1", "accueil")):
            await self.tab(key, mode)


async def soak_async(ctx: Any, family_ids: list[int], *, actions: int = 5000, window: int = 500,
                     on_sample: Callable[[Sample], None] = lambda s: None,
                     login: tuple[str, str] = ("agent", "agent1234")) -> SoakReport:
    """Run the soak on `ctx`'s database (written to: payments, bookings), cycling over
    `family_ids`; stops as soon as `actions` actions are counted."""
    from portail_tui.app import PortailApp
    from portail_tui.services.families import family_summary

    families = [(fid, family_summary(ctx, fid).number_text) for fid in family_ids]
    report = SoakReport(window=window)
    t0 = time.perf_counter()
    with WidgetCensus() as census:
        app = PortailApp(ctx)
        await _drive(app, report, actions, on_sample, census, families, login)
    report.seconds = time.perf_counter() - t0
    return report


async def _drive(app: Any, report: SoakReport, actions: int, on_sample: Callable[[Sample], None],
                 census: WidgetCensus, families: list[tuple[int, str]], login: tuple[str, str]) -> None:
    async with app.run_test(size=SIZE) as pilot:
        soak = Soak(app, pilot, report, actions, on_sample, census)
        gc.callbacks.append(soak.gc_callback)
        try:
            await _cycles(soak, report, actions, families, login)
        finally:
            gc.callbacks.remove(soak.gc_callback)


async def _cycles(soak: Soak, report: SoakReport, actions: int, families: list[tuple[int, str]],
                  login: tuple[str, str]) -> None:
    await soak.login(*login)
    await soak.prebuilt()
    # One round not counted: the first display of each tab and dialog, imports, caches.
    await soak.cycle(*families[-1])
    soak.counting = True
    # Whole cycles only: the first window is the first families' cycles, the last
    # window the same families' again, in the same order (same kinds, same data).
    soak.window = report.first, report.first_cpu, report.first_gc
    k = 0
    while report.actions < report.window:
        await soak.cycle(*families[k % len(families)])
        k += 1
    first_size, report.window_families = report.actions, k
    soak.window = None
    while report.actions + first_size < actions:
        await soak.cycle(*families[k % len(families)])
        k += 1
    soak.window = report.last, report.last_cpu, report.last_gc
    for j in range(report.window_families):
        await soak.cycle(*families[j % len(families)])
    soak.sample()


def _context(url: str, today: date, exports: Path) -> Any:
    from portail_tui.clock import PARIS, FixedClock
    from portail_tui.config import Settings
    from portail_tui.db import Database
    from portail_tui.services.context import Context

    clock = FixedClock(datetime.combine(today, dtime(10, 0), tzinfo=PARIS))
    return Context(db=Database(url), clock=clock, settings=Settings(database_url=url, exports_dir=exports, today=today))


def booking_families(ctx: Any, n: int, seed: int) -> list[int]:
    """`n` families with at least one child, drawn at random."""
    from sqlalchemy import select

    from portail_tui.models import Family, FamilyMember

    ids = ctx.db.read(lambda s: list(s.execute(select(Family.id).where(
        Family.id.in_(select(FamilyMember.family_id)))).scalars()))
    return random.Random(seed).sample(ids, min(n, len(ids)))


def measure(url: str, today: date, actions: int = 5000, window: int = 500, families: int = 60,
            seed: int = 5, on_sample: Callable[[Sample], None] = lambda s: None) -> SoakReport:
    with tempfile.TemporaryDirectory(prefix="bench-soak-") as tmp:
        ctx = _context(url, today, Path(tmp))
        try:
            return asyncio.run(soak_async(ctx, booking_families(ctx, families, seed), actions=actions,
                                          window=window, on_sample=on_sample))
        finally:
            ctx.db.dispose()


def _print_sample(s: Sample) -> None:
    print(f"  après {s.actions:>5} actions : mémoire {s.rss_mb:7.1f} Mo, widgets vivants {s.widgets:>6}, "
          f"FooterKey {s.footer_keys}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=f"sqlite:///{DEFAULT_TOWN}", help="URL of the town (20,000 families)")
    parser.add_argument("--actions", type=int, default=5000)
    parser.add_argument("--window", type=int, default=500)
    parser.add_argument("--families", type=int, default=60, help="families cycled over")
    parser.add_argument("--today", type=date.fromisoformat, default=date(2026, 11, 28))
    parser.add_argument("--in-place", action="store_true", help="write to the database given (no copy)")
    parser.add_argument("--timeline", type=Path, help="write every timed action (n, kind, ms, family) as TSV")
    args = parser.parse_args()
    url: str = args.db
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPU", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-soak-town-") as tmp:
        if url.startswith("sqlite:///") and not args.in_place:
            from bench_booking import copy_town  # type: ignore[import-not-found]

            copy = Path(tmp) / "town.db"
            copy_town(Path(url.removeprefix("sqlite:///")), copy)
            url = f"sqlite:///{copy}"
        report = measure(url, args.today, args.actions, args.window, args.families, on_sample=_print_sample)
    print(*report.lines(), sep="\n")
    if args.timeline:
        args.timeline.write_text("".join(f"{n}\t{k}\t{ms:.2f}\t{f}\n" for n, k, ms, f in report.timeline))
    verdicts = {"mémoire": report.memory_ok, "widgets": report.widgets_ok, "dérive des latences": report.latency_ok}
    print("  " + " ; ".join(f"{k} : {'tenu' if v else 'HORS BUDGET'}" for k, v in verdicts.items()))
    sys.exit(0 if all(verdicts.values()) else 1)


if __name__ == "__main__":
    main()
