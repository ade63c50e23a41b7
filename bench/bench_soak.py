"""Soak: a day at the counter, compressed. Through the Pilot, as an agent would: log in,
then over and over open a family (Ctrl+F, its number, Entrée), switch tabs (F1…F5),
take a payment (F9, Entrée, Échap), change month, open days (Entrée), validate the
cart (V, V) — at least 5,000 timed actions.

Every 500 actions it prints the resident memory (/proc/self/statm, after a full
garbage collection) and the number of live Textual widgets (in memory, attached or
not: a widget removed from the screen but still referenced is a leak). At the end,
p50/p95 latency per kind of action for the first and the last 500.

Budget (issue 12): memory after the last window within 10 % of memory after the first;
live widgets flat (within a few widgets: a notification may be on screen); latency
drift under 10 % (p50 of each kind, last window against the first; p95 printed beside
it, too noisy on a shared machine to judge on a few dozen samples).

A latency here is from the key sent (as the terminal driver sends it) to the screen
settled: the key handled, every worker it started finished, every widget idle. The
frame itself is not waited for (bench_screens.py measures to the frame).

    python bench/bench_soak.py [--db sqlite:///data/bench-town.db] [--actions 5000]
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
    actions: int = 0
    seconds: float = 0.0
    skipped_carts: int = 0

    @property
    def memory_growth(self) -> float:
        """(RSS at the end − RSS after the first window) ÷ RSS after the first window."""
        base, end = self.samples[0].rss_mb, self.samples[-1].rss_mb
        return (end - base) / base

    @property
    def widget_growth(self) -> int:
        return self.samples[-1].widgets - self.samples[0].widgets

    def drift(self, kind: str, p: float = 50) -> float | None:
        a, b = self.first.get(kind), self.last.get(kind)
        if not a or not b:
            return None
        return pct(b, p) / pct(a, p) - 1

    def drifts(self) -> dict[str, float]:
        return {k: d for k in KINDS if (d := self.drift(k)) is not None}

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
        out = [f"{self.actions} actions en {self.seconds:.0f} s"]
        for s in self.samples:
            out.append(f"  après {s.actions:>5} actions : mémoire {s.rss_mb:7.1f} Mo, widgets vivants {s.widgets:>6}"
                       f", FooterKey {s.footer_keys}")
        out.append(f"  mémoire : {self.memory_growth * 100:+.1f} % (budget ≤ {MEMORY_BUDGET * 100:.0f} %) ; "
                   f"widgets : {self.widget_growth:+d} (budget : stables, ± {WIDGET_SLACK})")
        out.append(f"  {'action':<48} {'n':>4} {'p50 début':>10} {'p95 début':>10} {'n':>4} {'p50 fin':>9} "
                   f"{'p95 fin':>9} {'dérive p50':>11}")
        for kind, label in KINDS.items():
            a, b = self.first.get(kind, []), self.last.get(kind, [])
            if not a and not b:
                continue
            d = self.drift(kind)
            out.append(f"  {label:<48} {len(a):>4} {_ms(a, 50):>10} {_ms(a, 95):>10} {len(b):>4} {_ms(b, 50):>9} "
                       f"{_ms(b, 95):>9} {'—' if d is None else f'{d * 100:+.0f} %':>11}")
        if self.skipped_carts:
            out.append(f"  ({self.skipped_carts} panier(s) non faits : aucun jour libre trouvé)")
        return out


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

    async def idle(self) -> None:
        await self.pilot._wait_for_screen()
        while not all(w.is_finished for w in self.app.workers):
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
        t0 = time.perf_counter()
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
        if not self.counting:
            return True
        r = self.report
        r.actions += 1
        if r.actions <= r.window:
            r.first[kind].append(ms)
        if r.actions > self.total - r.window:
            r.last[kind].append(ms)
        if r.actions % r.window == 0:
            gc.collect()
            sample = Sample(r.actions, rss_mb(), self.census.live(), self.census.live_of("FooterKey"))
            r.samples.append(sample)
            self.on_sample(sample)
        return True

    @property
    def done(self) -> bool:
        return self.counting and self.report.actions >= self.total

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

        def loaded() -> bool:
            return app.screen.query_one(MonthCalendar).loaded

        await self.act("mois", ["pagedown"], loaded)
        await self.act("mois", ["pageup"], loaded)
        await self.pilot.press("home")
        await self.idle()
        for _ in range(8):
            if self.done:
                return
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
        await soak.login(*login)
        # One round not counted: the first display of each tab and dialog, imports, caches.
        await soak.cycle(*families[-1])
        soak.counting = True
        k = 0
        while not soak.done:
            await soak.cycle(*families[k % len(families)])
            k += 1


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
    verdicts = {"mémoire": report.memory_ok, "widgets": report.widgets_ok, "dérive des latences": report.latency_ok}
    print("  " + " ; ".join(f"{k} : {'tenu' if v else 'HORS BUDGET'}" for k, v in verdicts.items()))
    sys.exit(0 if all(verdicts.values()) else 1)


if __name__ == "__main__":
    main()
