"""Every budget of the issues in one command (`make bench`), with the floor for each.

1. Generates (or reuses) the 20,000-family town at --town (default data/bench-town.db),
   upgrading its schema when it is behind; the generation itself is a budget.
2. Runs each measurement of bench/bench_*.py (imported, not rewritten) several times
   and reports p50/p95, with the CPU time where the script measures it: on a machine
   shared with other work, wall time includes waiting for a processor.
3. Measures, for the same answers, a floor: the same SQL statements replayed through
   the bare `sqlite3` driver (solde + coût estimé, day states, family search), fpdf2
   alone writing the same table with its built-in font (PDF documents), an empty
   Textual app (screen switches). The ratio (p50 ÷ floor p50) says how much the
   application adds to what cannot be avoided.
4. Prints a table, writes docs/BENCHMARKS.md with the machine, the date and the load
   average at the start and the end, and profiles (cProfile) every missed budget to say
   what dominates.

Writes (payments, bookings, logins) go to a copy of the town, deleted at the end.

    .venv/bin/python bench/run_all.py [--town data/bench-town.db] [--quick] [--skip-demo]
        [--skip-releves] [--skip-import] [--no-doc]
"""

from __future__ import annotations

import argparse
import os
import platform
import pstats
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench_booking  # noqa: E402
import bench_demo  # noqa: E402
import bench_foundation  # noqa: E402
import bench_history  # noqa: E402
import bench_import  # noqa: E402
import bench_pointage  # noqa: E402
import bench_screens  # noqa: E402
import bench_service_day  # noqa: E402
import bench_soak  # noqa: E402
import bench_wallet  # noqa: E402
from common import DEFAULT_TOWN, pct  # noqa: E402

DOC = ROOT / "docs" / "BENCHMARKS.md"
TODAY = date(2026, 11, 28)  # the date the town is generated for (and the tests pin)
MONTH = "2026-11"
SOAK_MIN_WINDOW = 250  # actions: about eleven families, each kind sampled ten times or more


def load() -> float:
    return os.getloadavg()[0]


@dataclass
class Row:
    """One budget: its samples (ms), the floor for the same answer, and the verdict."""

    section: str
    label: str
    budget: str  # in words, as the issue says it
    limit_ms: float | None  # compared with p95 (or the single value)
    samples: list[float]
    cpu: list[float] | None = None
    floor: list[float] | None = None
    floor_label: str = ""
    aim: bool = False  # our own aim, not an issue's budget
    note: str = ""
    load: float = field(default_factory=load)
    profile: Callable[[], Any] | None = None
    ok: bool | None = None  # a verdict not read from p95 (the soak's)
    value: str = ""  # shown instead of the p50 in ms (the soak's MB, widgets, %)

    @property
    def p50(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        return pct(self.samples, 95)

    @property
    def single(self) -> bool:
        return len(self.samples) == 1

    @property
    def ratio(self) -> float | None:
        if not self.floor:
            return None
        return self.p50 / max(statistics.median(self.floor), 1e-6)

    @property
    def shown_p50(self) -> str:
        return self.value or fmt_ms(self.p50)

    @property
    def met(self) -> bool | None:
        if self.ok is not None:
            return self.ok
        if self.limit_ms is None:
            return None
        return self.p95 < self.limit_ms

    @property
    def verdict(self) -> str:
        if self.met is None:
            return "—"
        if self.aim:
            return "objectif atteint" if self.met else "au-delà de l'objectif"
        return "tenu" if self.met else "MANQUÉ"


def fr(x: float, digits: int = 1) -> str:
    """A number the French way (decimal comma), whatever the machine's locale."""
    return f"{x:.{digits}f}".replace(".", ",")


def fmt_ms(ms: float) -> str:
    if ms >= 10_000:
        return f"{fr(ms / 1000, 0)} s"
    if ms >= 1000:
        return f"{fr(ms / 1000, 2)} s"
    if ms >= 10:
        return f"{fr(ms, 0)} ms"
    return f"{fr(ms, 2)} ms"


def _n(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f")


def pc(x: float) -> str:
    return f"{fr(100 * x, 1):>5} %"


# --- floors ----------------------------------------------------------------------------


class SqlRecorder:
    """The statements a service sends to the driver, to replay them bare."""

    def __init__(self, engine) -> None:  # type: ignore[no-untyped-def]
        from sqlalchemy import event

        self.active = False
        self.statements: list[tuple[str, Any]] = []
        event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if self.active and statement.strip().upper() not in ("BEGIN", "BEGIN IMMEDIATE", "COMMIT", "ROLLBACK"):
            self.statements.append((statement, parameters))

    def capture(self, fn: Callable[[], Any]) -> list[tuple[str, Any]]:
        self.statements = []
        self.active = True
        try:
            fn()
        finally:
            self.active = False
        return self.statements


def replay(path: Path, captured: list[list[tuple[str, Any]]], rounds: int = 3) -> list[float]:
    """Each captured call's statements through `sqlite3` alone, rows fetched: the
    floor any code asking the same questions pays. Best of `rounds` per call."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False)
    try:
        for statements in captured[:20]:  # warm the page cache and the statement cache
            for sql, params in statements:
                con.execute(sql, params or ()).fetchall()
        times = []
        for statements in captured:
            best = float("inf")
            for _ in range(rounds):
                t0 = time.perf_counter()
                for sql, params in statements:
                    con.execute(sql, params or ()).fetchall()
                best = min(best, (time.perf_counter() - t0) * 1000)
            times.append(best)
        return times
    finally:
        con.close()


def _latin(text: str) -> str:
    return text.replace("€", "EUR").replace("\u202f", " ").encode("latin-1", "replace").decode("latin-1")


def fpdf_floor(report) -> bytes:  # type: ignore[no-untyped-def]
    """The same table written by fpdf2 alone: built-in Helvetica (nothing to parse or
    embed), one cell per value, automatic page breaks, no header or footer."""
    from fpdf import FPDF

    from portail_tui.exports.tables import format_cell

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", size=9)
    pdf.cell(0, 6, _latin(f"{report.title} {report.subtitle} {report.period_label}"), new_x="LMARGIN", new_y="NEXT")
    width = pdf.w - pdf.l_margin - pdf.r_margin
    for title, table in report.tables:
        pdf.cell(0, 6, _latin(title), new_x="LMARGIN", new_y="NEXT")
        total = sum(c.weight for c in table.columns)
        widths = [width * c.weight / total for c in table.columns]
        for c, w in zip(table.columns, widths, strict=True):
            pdf.cell(w, 5, _latin(c.title))
        pdf.ln()
        for row in (*table.rows, *table.totals):
            for value, c, w in zip(row, table.columns, widths, strict=True):
                pdf.cell(w, 5, _latin(format_cell(value, c.kind, plain=False)), align=c.alignment)
            pdf.ln()
    for note in report.notes:
        pdf.multi_cell(0, 5, _latin(note), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def timed_floor(fn: Callable[[], Any], runs: int) -> list[float]:
    fn()
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


# --- the town --------------------------------------------------------------------------


def prepare_town(path: Path, skip_demo: bool, rows: list[Row]) -> None:
    from portail_tui.db import Database, current_revision, head_revision, upgrade
    from portail_tui.demo import generate

    url = f"sqlite:///{path}"
    if not path.exists():
        print(f"{path} absent : génération de la commune de 20 000 familles…", flush=True)
        db = Database(url)
        try:
            upgrade(db)
            report = generate(db, families=20_000, seed=1, today=TODAY)
        finally:
            db.dispose()
        rows.append(Row("Commune", "Génération de la commune (20 000 familles)", "< 3 min",
                        bench_demo.BUDGET_SECONDS * 1000, [report.seconds * 1000],
                        note=f"{_n(report.bookings)} réservations, {_n(report.payments)} règlements"))
        return
    db = Database(url)
    try:
        if current_revision(db) != head_revision():
            print(f"{path} : schéma en retard, portail db upgrade…", flush=True)
            upgrade(db)
    finally:
        db.dispose()
    if skip_demo:
        return
    print("génération d'une commune de 20 000 familles (fichier temporaire) pour son budget…", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'town.db'}")
        try:
            upgrade(db)
            report = generate(db, families=20_000, seed=1, today=TODAY)
        finally:
            db.dispose()
    rows.append(Row("Commune", "Génération de la commune (20 000 familles)", "< 3 min",
                    bench_demo.BUDGET_SECONDS * 1000, [report.seconds * 1000],
                    note=f"{_n(report.bookings)} réservations, {_n(report.payments)} règlements"))


def town_figures(url: str) -> dict[str, int]:
    from sqlalchemy import text

    from portail_tui.db import Database

    db = Database(url)
    try:
        return db.read(lambda s: {t: int(s.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one())
                                  for t in ("family", "child", "booking", "payment")})
    finally:
        db.dispose()


# --- the measurements --------------------------------------------------------------------


def foundation(url: str, path: Path, rows: list[Row], runs: int) -> None:
    from sqlalchemy import text

    from portail_tui.clock import Clock
    from portail_tui.db import Database
    from portail_tui.services.context import Actor, Context
    from portail_tui.services.families import search_families

    print("démarrage et recherche de famille…", flush=True)
    startup = [s * 1000 for s in bench_foundation.bench_startup(url, max(7, runs // 40))]

    def profile_startup() -> str:
        out = Path(tempfile.mkdtemp(prefix="bench-prof-")) / "startup.prof"
        subprocess.run([sys.executable, "-m", "cProfile", "-o", str(out), "-m", "portail_tui.devtools.startup_probe"],
                       env=dict(os.environ, PORTAIL_DATABASE_URL=url), cwd=ROOT, capture_output=True, check=True)
        return str(out)

    rows.append(Row("Fondations", "Démarrage → écran de connexion", "< 600 ms", 600, startup,
                    note="processus neuf à chaque mesure", profile=profile_startup))
    search, families = bench_foundation.bench_search(url, 3)
    db = Database(url)
    recorder = SqlRecorder(db.engine)
    regie_id = db.read(lambda s: s.execute(text("SELECT MIN(id) FROM regie")).scalar_one())
    ctx = Context(db=db, clock=Clock(), actor=Actor(kind="agent", login="bench", regie_id=regie_id))
    queries = [w[:i] for w in bench_foundation.TYPED for i in range(1, len(w) + 1)]
    captured = [recorder.capture(lambda q=q: search_families(ctx, q)) for q in queries]
    floor = replay(path, captured)

    def profile() -> None:
        for q in queries:
            search_families(ctx, q)

    rows.append(Row("Fondations", f"Recherche de famille par frappe ({_n(families)} familles)", "p95 < 20 ms", 20,
                    search, floor=floor, floor_label="mêmes requêtes, sqlite3 seul", profile=profile,
                    note=f"{len(search)} frappes"))


def booking(url: str, path: Path, work_url: str, rows: list[Row], runs: int) -> None:
    from portail_tui.services.booking import month_view

    print("réservations : états du mois, panier de 40 lignes, semaine type…", flush=True)
    rng = random.Random(11)
    ctx = bench_booking.context(url, TODAY)
    # 10 carts made p95 the single slowest one (nearest rank): 40 at least, so a
    # periodic cost (a checkpoint every few carts) shows at its real frequency.
    carts = max(40, runs // 5)
    pairs = bench_booking.family_children(ctx, rng, runs + 2 * carts + 20)
    wall, cpu = bench_booking.bench_month(ctx, pairs[:runs], TODAY)
    recorder = SqlRecorder(ctx.db.engine)
    months = [(TODAY.year, TODAY.month), (TODAY.year, TODAY.month + 1)]
    captured = [recorder.capture(lambda f=f, c=c, i=i: month_view(ctx, f, c, *months[i % 2]))
                for i, (f, c) in enumerate(pairs[:runs])]
    floor = replay(path, captured)
    sample = pairs[:60]

    def profile_month() -> None:
        for i, (f, c) in enumerate(sample):
            month_view(ctx, f, c, *months[i % 2])

    rows.append(Row("Réservations", "États des jours d'un enfant sur un mois", "p95 < 20 ms", bench_booking.MONTH_P95_MS, wall, cpu=cpu,
                    floor=floor, floor_label="mêmes requêtes, sqlite3 seul", profile=profile_month))

    wctx = bench_booking.context(work_url, TODAY)
    rest = pairs[runs:]
    times, sizes = bench_booking.bench_validate(wctx, rest[:carts], TODAY)
    spare = rest[2 * carts:]

    def profile_validate() -> None:
        bench_booking.bench_validate(wctx, spare[:5], TODAY)

    if times:
        rows.append(Row("Réservations", "Valider un panier de 40 lignes", "< 150 ms", bench_booking.VALIDATE_MS, times,
                        note=f"{statistics.mean(sizes):.0f} réservations par panier", profile=profile_validate))
    times, sizes = bench_booking.bench_pattern(wctx, rest[carts:2 * carts], TODAY)

    def profile_pattern() -> None:
        bench_booking.bench_pattern(wctx, spare[5:10], TODAY)

    rows.append(Row("Réservations", "Semaine type jusqu'à la fin de la période + Valider", "< 300 ms", bench_booking.PATTERN_MS, times,
                    note=f"{statistics.mean(sizes):.0f} lignes par semaine type", profile=profile_pattern))
    ctx.db.dispose()
    wctx.db.dispose()


def money(url: str, path: Path, work_url: str, rows: list[Row], runs: int) -> None:
    from portail_tui.exports.journal import journal_report
    from portail_tui.services import cashdesk, wallet

    print("porte-monnaie, encaissement, journal de caisse…", flush=True)
    rng = random.Random(7)
    wall, cpu = bench_wallet.bench_wallet(url, TODAY, runs * 2, rng)
    ctx = bench_wallet._context(url, TODAY)
    ids = bench_wallet._family_ids(ctx)
    sample = [rng.choice(ids) for _ in range(runs * 2)]
    recorder = SqlRecorder(ctx.db.engine)
    captured = [recorder.capture(lambda f=f: wallet.wallet_figures(ctx, f)) for f in sample]
    floor = replay(path, captured)

    def profile_wallet() -> None:
        for f in sample[:300]:
            wallet.wallet_figures(ctx, f)

    rows.append(Row("Paiement", "Solde et coût estimé d'une famille", "p95 < 3 ms", bench_wallet.WALLET_P95_BUDGET_MS, wall, cpu=cpu, floor=floor,
                    floor_label="même requête, sqlite3 seul", profile=profile_wallet))

    with tempfile.TemporaryDirectory(prefix="bench-receipts-") as tmp:
        folder = Path(tmp)
        enc_runs = max(40, runs // 4)
        wall, cpu = bench_wallet.bench_encaisser(work_url, TODAY, enc_runs, rng, folder)

        def profile_encaisser() -> None:
            bench_wallet.bench_encaisser(work_url, TODAY, 10, rng, folder)

        rows.append(Row("Paiement", "Encaisser avec la quittance PDF", "< 150 ms", bench_wallet.ENCAISSER_BUDGET_MS, wall, cpu=cpu,
                        profile=profile_encaisser))
    day = TODAY + timedelta(days=2)
    pdf_s, pdf_cpu_s, _csv, lines = bench_wallet.bench_journal(work_url, day, rng, runs=7)
    wctx = bench_wallet._context(work_url, day, hour=20)
    report = journal_report(cashdesk.day_journal(wctx, day), edited_at=wctx.clock.now())
    floor = timed_floor(lambda: fpdf_floor(report), 7)

    def profile_journal() -> None:
        cashdesk.journal_file(wctx, day, "pdf")

    rows.append(Row("Paiement", f"Journal d'une journée de {lines} écritures (PDF)", "< 1 s", bench_wallet.JOURNAL_BUDGET_S * 1000,
                    [s * 1000 for s in pdf_s], cpu=[s * 1000 for s in pdf_cpu_s], floor=floor,
                    floor_label="fpdf2 seul, même tableau", profile=profile_journal))
    ctx.db.dispose()
    wctx.db.dispose()


def service_day(town: Path, folder: Path, rows: list[Row], runs: int) -> None:
    """Issue 15 on a copy of the town prepared with meals, CAF flags and November's marks."""
    print("journée de service : repas de la semaine, heures CAF du mois…", flush=True)
    url = bench_service_day.prepare(town, folder / "service-day.db")
    times, meals = bench_service_day.bench_meals(url, max(20, runs // 4))
    rows.append(Row("Journée de service", "Repas de la commune pour une semaine", "< 200 ms",
                    bench_service_day.MEALS_WEEK_BUDGET_MS, times, note=f"{_n(meals)} repas"))
    caf, total = bench_service_day.bench_caf(url, 3)
    rows.append(Row("Journée de service", "Relevé CAF d'un mois (CSV)", "< 5 s",
                    bench_service_day.CAF_MONTH_BUDGET_S * 1000, caf, note=total))
    (folder / "service-day.db").unlink(missing_ok=True)
def pointage(url: str, path: Path, work_url: str, rows: list[Row], runs: int) -> None:
    """Issue 15: the pointage list of the largest school and activity, marking a child
    (on the copy). Floor of the list: its statements replayed by sqlite3 alone."""
    from portail_tui.services import attendance

    print("pointage : liste de la plus grande école, pointer un enfant…", flush=True)
    ctx = bench_pointage.context(url, TODAY)
    big = bench_pointage.largest(ctx, TODAY)
    list_runs = max(20, runs // 6)
    times, cpu, children = bench_pointage.bench_list(ctx, big, list_runs)
    recorder = SqlRecorder(ctx.db.engine)
    captured = [recorder.capture(lambda: attendance.pointage_list(ctx, big.activity_id, big.day, big.school))
                for _ in range(5)]
    floor = replay(path, captured)

    def profile_list() -> None:
        for _ in range(10):
            attendance.pointage_list(ctx, big.activity_id, big.day, big.school)

    rows.append(Row("Pointage", f"Liste de pointage de la plus grande école ({_n(children)} enfants, {big.activity})",
                    "< 50 ms", bench_pointage.LIST_BUDGET_MS, times, cpu=cpu, floor=floor,
                    floor_label="mêmes requêtes, sqlite3 seul", profile=profile_list))
    wctx = bench_pointage.context(work_url, TODAY)
    wall, wcpu = bench_pointage.bench_mark(wctx, big, runs, random.Random(15))
    rows.append(Row("Pointage", "Pointer un enfant (présent, absent, absent justifié)", "< 20 ms",
                    bench_pointage.MARK_BUDGET_MS, wall, cpu=wcpu))
    ctx.db.dispose()
    wctx.db.dispose()


def histories(url: str, rows: list[Row], runs: int, skip_releves: bool) -> None:
    from portail_tui.clock import PARIS, FixedClock
    from portail_tui.config import Settings
    from portail_tui.db import Database
    from portail_tui.services import history as h
    from portail_tui.services.context import Context

    print("relevés PDF, export CSV de la commune, export des relevés…", flush=True)
    result = bench_history.bench_family_pdf(url, TODAY, MONTH, runs, 5)
    times, cpu = result[0], (result[1] if len(result) == 3 else None)
    db = Database(url)
    ctx = Context(db=db, clock=FixedClock(datetime.combine(TODAY, dtime(10, 0), tzinfo=PARIS)),
                  settings=Settings(database_url=url))
    month = h.parse_history_month(MONTH, TODAY)
    rng = random.Random(5)
    from sqlalchemy import text

    ids = db.read(lambda s: [r[0] for r in s.execute(text(
        "SELECT DISTINCT family_id FROM booking WHERE day >= :a AND day < :b"),
        {"a": month.first_day, "b": month.next_first_day}).all()])
    fams = [rng.choice(ids) for _ in range(60)]
    reports = [h.consumptions_report(h.consumption_history(ctx, f, month), ctx.clock.now()) for f in fams]
    floor: list[float] = []
    for r in reports:
        t0 = time.perf_counter()
        fpdf_floor(r)
        floor.append((time.perf_counter() - t0) * 1000)
    floor = floor[5:]  # the first ones load fpdf2's font metrics

    def profile_statement() -> None:
        for f in fams[:30]:
            h.consumptions_file(ctx, h.consumption_history(ctx, f, month), "pdf")

    rows.append(Row("Historiques", "Relevé des consommations d'une famille (PDF)", "p95 < 80 ms", bench_history.PDF_P95_BUDGET_MS, times, cpu=cpu,
                    floor=floor, floor_label="fpdf2 seul, même tableau", profile=profile_statement,
                    note="requête + PDF + fichier ; plancher : le PDF seul"))
    db.dispose()
    with tempfile.TemporaryDirectory(prefix="bench-exports-") as tmp:
        out = Path(tmp) / "commune.csv"
        seconds, cpu_s = _cli(url, "export", "consommations", "--mois", MONTH, "--sortie", str(out))
        lines = sum(1 for _ in out.open("rb")) - 1
        rows.append(Row("Historiques", "CSV des consommations du mois, toute la commune (CLI)", "< 15 s",
                        bench_history.TOWN_CSV_BUDGET_S * 1000, [seconds * 1000], cpu=cpu_s,
                        note=f"{_n(lines)} lignes, processus complet"))
        if not skip_releves:
            folder = Path(tmp) / "releves"
            seconds, cpu_s = _cli(url, "export", "releves", "--mois", MONTH, "--dossier", str(folder))
            files = sum(1 for _ in folder.iterdir())
            rows.append(Row("Historiques", "portail export releves, toute la commune (PDF)", "< 3 min",
                            bench_history.RELEVES_BUDGET_S * 1000, [seconds * 1000], cpu=cpu_s,
                            note=f"{_n(files)} fichiers, {os.cpu_count()} cœurs ; CPU : tous processus"))


def _cli(url: str, *args: str) -> tuple[float, list[float] | None]:
    """bench_history.run_cli: (seconds, [CPU ms]) whichever shape it returns."""
    result = bench_history.run_cli(url, TODAY, *args)
    return result[0], ([result[1] * 1000] if len(result) == 3 else None)


def screens(work_url: str, rows: list[Row], rounds: int) -> None:
    print("écrans (Pilot) : connexion, onglets, calendrier, jour, panier…", flush=True)
    empty = bench_screens.measure_empty_app(rounds, switch_delay=False)
    stock = bench_screens.measure_empty_app(rounds)
    with_footer = bench_screens.measure_empty_app(rounds, footer=True)
    with_keybar = bench_screens.measure_empty_app(rounds, keybar=True)
    results = bench_screens.measure(work_url, TODAY, rounds=rounds, logins=max(3, rounds // 2))
    for label, times in results.items():
        if label in bench_screens.INFO_LABELS:
            rows.append(Row("Écrans", label, "—", None, times, note=bench_screens.INFO_LABELS[label]))
            continue
        floor = empty if ("Onglet" in label or "Calendrier" in label) else None
        limit = bench_screens.budget_ms(label)
        budget = f"p95 < {limit:.0f} ms" if limit else f"objectif p95 < {bench_screens.AIM_MS:.0f} ms"
        rows.append(Row("Écrans", label, budget, limit or bench_screens.AIM_MS, times, aim=limit is None,
                        floor=floor, floor_label="application Textual vide" if floor else ""))
    rows.append(Row("Écrans", "Application Textual vide : changement d'écran (F1…F5)", "—", None, empty,
                    note="plancher des changements d'onglet, sans l'attente de 50 ms de Textual"))
    rows.append(Row("Écrans", "La même avec l'attente de Textual après chaque changement d'écran", "—", None,
                    stock, note="switch_mode retient l'image 50 ms (delay_update) ; l'application, "
                                "jusqu'à ce que l'onglet soit prêt"))
    rows.append(Row("Écrans", "La même avec le pied de page Footer de Textual sur chaque écran", "—", None,
                    with_footer, note="ce que l'application avait jusqu'au ticket 12"))
    rows.append(Row("Écrans", "La même avec la barre de touches KeyBar de l'application", "—", None,
                    with_keybar, note="ce que les onglets ont depuis le ticket 12"))


def soak(work_url: str, rows: list[Row], actions: int) -> None:
    """bench_soak.py: memory, live widgets and latency drift over `actions` actions.
    Windows of a tenth of the run, never under SOAK_MIN_WINDOW actions: the quick run's
    1,000 actions in windows of 100 gave five samples of most kinds per window (a family
    opened five times), whose p50 one slow moment of the machine moved by 20 to 90 %."""
    print(f"endurance (Pilot) : {actions} actions…", flush=True)
    report = bench_soak.measure(work_url, TODAY, actions=actions, window=max(SOAK_MIN_WINDOW, actions // 10),
                                on_sample=bench_soak._print_sample)
    print(*report.lines(), sep="\n", flush=True)
    first, last = report.samples[0], report.samples[-1]
    rows.append(Row("Endurance", f"Mémoire après {last.actions} actions (Pilot)",
                    f"≤ +{bench_soak.MEMORY_BUDGET * 100:.0f} % de la mémoire après {first.actions}", None,
                    [last.rss_mb], ok=report.memory_ok, value=f"{fr(last.rss_mb, 0)} Mo",
                    note=f"{fr(first.rss_mb, 0)} → {fr(last.rss_mb, 0)} Mo ({fr(report.memory_growth * 100)} %)"))
    rows.append(Row("Endurance", "Widgets vivants (en mémoire, affichés ou non)", "stables", None,
                    [float(last.widgets)], ok=report.widgets_ok, value=str(last.widgets),
                    note=f"{first.widgets} → {last.widgets}"))
    drifts = report.drifts()
    worst = max(drifts.values(), default=0.0)
    cpu = {k: d for k in drifts if (d := report.drift(k, cpu=True)) is not None}
    rows.append(Row("Endurance", f"Dérive des latences (p50 par type : les {report.window_families} premières familles"
                    f" à la fin / au début, {sum(map(len, report.first.values()))} actions)",
                    f"< {bench_soak.LATENCY_DRIFT * 100:.0f} %",
                    None, [worst], ok=report.latency_ok, value=f"{fr(worst * 100, 0)} %",
                    note=", ".join(f"{k} {fr(v * 100, 0)} % (CPU {fr(cpu.get(k, 0.0) * 100, 0)} %)"
                                   for k, v in drifts.items()) + " ; " + " ; ".join(
                        line.strip() for line in report.gc_lines())))


def stress_runs(seconds: float, processes: int = 8) -> list[tuple[str, Any, float]]:
    """`portail stress` on a throwaway SQLite file and a throwaway PostgreSQL server:
    (engine, report, load average at the end) for the document."""
    from portail_tui.cli.stress.town import prepare_town
    from portail_tui.cli.stress.verify import run_stress
    from portail_tui.db import Database
    from portail_tui.pgcluster import PgCluster

    out = []
    with tempfile.TemporaryDirectory(prefix="bench-stress-") as tmp:
        for engine in ("sqlite", "postgresql"):
            print(f"charge : {processes} postes pendant {seconds:g} s sur {engine}…", flush=True)
            cluster = None
            if engine == "sqlite":
                url = f"sqlite:///{Path(tmp) / 'stress.db'}"
            else:
                if not PgCluster.available():
                    continue
                cluster = PgCluster().start()
                url = cluster.create_database("stress")
            try:
                db = Database(url)
                try:
                    town = prepare_town(db, families=80)
                finally:
                    db.dispose()
                report = run_stress(url, town, processes=processes, seconds=seconds,
                                           folder=Path(tmp) / f"journaux-{engine}")
                out.append((engine, report, load()))
            finally:
                if cluster is not None:
                    cluster.stop()
    return out


def imports(rows: list[Row], families: int = 20_000) -> None:
    """`portail import familles` of a 20,000-family CSV into a fresh database, on SQLite
    and on PostgreSQL (issue 14: well under a minute), and its re-import (nothing changes)."""
    print(f"import de {families} familles (SQLite et PostgreSQL)…", flush=True)
    for m in bench_import.run(families):
        rows.append(Row("Import", f"Import de {_n(m.families)} familles ({m.engine})", "< 1 min",
                        bench_import.BUDGET_SECONDS * 1000, [m.seconds * 1000], cpu=[m.cpu_seconds * 1000],
                        note=f"{_n(m.children)} enfants ; réimport sans changement {m.again_seconds:.1f} s"))


# --- report ------------------------------------------------------------------------------


def profile_missed(rows: list[Row], work_url: str) -> dict[str, str]:
    """cProfile of each missed budget (and of each screen action beyond its aim)."""
    out: dict[str, str] = {}
    for row in rows:
        if row.met is not False or row.profile is None or row.section == "Écrans":
            continue
        print(f"profil : {row.label}…", flush=True)
        out[row.label] = summarize(_profiled(row.profile))
    slow = [r.label for r in rows if r.section == "Écrans" and r.met is False]
    if slow:
        print("profil : écrans…", flush=True)
        bench_screens.PROFILES = {}
        try:
            bench_screens.measure(work_url, TODAY, rounds=3, logins=2, seed=17)
            profiles = bench_screens.PROFILES
        finally:
            bench_screens.PROFILES = None
        for label in slow:
            if label in profiles:
                out[f"Écran : {label}"] = summarize(profiles[label])
    return out


_IDLE = ("<method 'poll' of 'select.epoll' objects>", "<built-in method time.sleep>",
         "<method 'get' of '_queue.SimpleQueue' objects>",
         "<method 'acquire' of '_thread.lock' objects>", "<method 'select' of 'select.epoll' objects>",
         "<built-in method select.select>", "<method 'wait' of 'posix' objects>")


def _idle(key: tuple[str, int, str]) -> bool:
    return key[2] in _IDLE or key[2].startswith("<method 'acquire'")


def _profiled(fn: Callable[[], Any]) -> pstats.Stats:
    """cProfile of `fn`, worker threads included; `fn` may instead return the path of
    a profile it made itself (a subprocess)."""
    with bench_screens.ThreadProfile() as prof:
        result = fn()
    if isinstance(result, str | Path):
        return pstats.Stats(str(result))
    return prof.stats()


def summarize(stats: pstats.Stats) -> str:
    """Where the time goes: own time of the busiest functions (waiting excluded), and
    the application's functions that contain most of it."""
    raw = stats.stats  # type: ignore[attr-defined]
    idle = sum(v[2] for k, v in raw.items() if _idle(k))
    busy = max(sum(v[2] for v in raw.values()) - idle, 1e-9)
    own = sorted(((k, v) for k, v in raw.items() if not _idle(k)), key=lambda kv: -kv[1][2])[:10]
    mine = sorted(((k, v) for k, v in raw.items() if "portail_tui" in k[0] and not k[2].startswith("<")),
                  key=lambda kv: -kv[1][3])[:8]
    by_lib: dict[str, float] = {}
    for k, v in raw.items():
        if not _idle(k):
            by_lib[_library(k)] = by_lib.get(_library(k), 0.0) + v[2]
    shares = ", ".join(f"{lib} {fr(100 * t / busy, 0)} %" for lib, t in sorted(by_lib.items(), key=lambda kv: -kv[1])
                       if t / busy >= 0.01)
    lines = [f"temps de calcul profilé : {fr(busy, 2)} s (attente exclue : {fr(idle, 2)} s)",
             f"par bibliothèque (temps propre) : {shares}",
             "fonctions au plus fort temps propre (tottime) :"]
    lines += [f"  {pc(v[2] / busy)}  {_where(k)}" for k, v in own]
    lines += ["fonctions de l'application (temps cumulé, fils d'exécution compris) :"]
    lines += [f"  {pc(min(v[3] / busy, 1))}  {_where(k)}" for k, v in mine]
    return "\n".join(lines)


def _library(key: tuple[str, int, str]) -> str:
    """Who spends the time: a package of site-packages, the application, the driver…"""
    path, _, name = key
    if path == "~":
        if "sqlite3" in name:
            return "sqlite3 (pilote)"
        if "argon2" in name:
            return "argon2"
        return "Python (fonctions natives)"
    if "site-packages/" in path:
        return path.split("site-packages/")[1].split("/")[0].removesuffix(".py")
    if "portail_tui" in path:
        return "application"
    return "Python (bibliothèque standard)"


def _where(key: tuple[str, int, str]) -> str:
    path, line, name = key
    if path == "~":
        return name
    short = path.split("site-packages/")[-1].replace(str(ROOT) + "/", "")
    return f"{name} ({short}:{line})"


def machine() -> dict[str, str]:
    import textual

    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal"))
        memory = f"{fr(mem_kb / 1024 / 1024)} Gio"
    except (OSError, StopIteration):
        memory = "?"
    return {
        "Processeur": cpu or "?",
        "Cœurs": str(os.cpu_count()),
        "Mémoire": memory,
        "Système": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "SQLite": sqlite3.sqlite_version,
        "Textual": textual.__version__,
    }


def print_table(rows: list[Row]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Budgets sur la commune de 20 000 familles", show_lines=False)
    for col, just in (("Mesure", "left"), ("Budget", "left"), ("n", "right"), ("p50", "right"), ("p95", "right"),
                      ("CPU p50", "right"), ("Plancher p50", "right"), ("×", "right"), ("Charge", "right"),
                      ("Verdict", "left")):
        table.add_column(col, justify=just)  # type: ignore[arg-type]
    for r in rows:
        colour = {True: "green", False: "red"}.get(r.met, "white")  # type: ignore[arg-type]
        table.add_row(r.label, r.budget, str(len(r.samples)), r.shown_p50, "—" if r.single else fmt_ms(r.p95),
                      fmt_ms(statistics.median(r.cpu)) if r.cpu else "—",
                      fmt_ms(statistics.median(r.floor)) if r.floor else "—",
                      fr(r.ratio) if r.ratio is not None else "—", fr(r.load),
                      f"[{colour}]{r.verdict}[/]")
    Console(width=200).print(table)


def write_doc(rows: list[Row], info: dict[str, str], town: dict[str, int], started: datetime,
              loads: tuple[tuple[float, ...], tuple[float, ...]], profiles: dict[str, str], elapsed: float,
              command: str, stress_results: list[tuple[str, Any, float]]) -> None:
    met = [r for r in rows if r.met is True and not r.aim]
    missed = [r for r in rows if r.met is False and not r.aim]
    aims = [r for r in rows if r.aim]
    lines = [
        "# Mesures de performance",
        "",
        "Généré par `make bench` (`.venv/bin/python bench/run_all.py`) — ne pas modifier à la main :",
        "relancer la commande. Chaque budget des tickets est mesuré sur la commune de démonstration",
        "de 20 000 familles, plusieurs fois (p50 : médiane, p95 : 95e centile), avec pour chacun un",
        "**plancher** : ce que coûte la même réponse sans l'application.",
        "",
        f"- Date : {started.strftime('%d/%m/%Y %H:%M')} (durée de la série : {elapsed / 60:.0f} min)",
        f"- Commande : `{command}`",
    ]
    lines += [f"- {k} : {v}" for k, v in info.items()]
    lines += [
        f"- Charge de la machine (load average 1/5/15 min) : au début {' / '.join(fr(x, 2) for x in loads[0])},"
        f" à la fin {' / '.join(fr(x, 2) for x in loads[1])}"
        f" ({os.cpu_count()} cœurs : au-delà de {os.cpu_count()}, des processus attendent un processeur et"
        " les temps mesurés « au mur » s'allongent d'autant ; la colonne CPU, quand elle existe, ne compte"
        " que le calcul).",
        f"- Commune : {_n(town['family'])} familles, {_n(town['child'])} enfants, {_n(town['booking'])}"
        f" réservations, {_n(town['payment'])} règlements (SQLite, fichier unique).",
        "",
        f"**Bilan : {len(met)} budget(s) tenu(s), {len(missed)} manqué(s)"
        + (" : " + ", ".join(r.label for r in missed) if missed else "") + "."
        + (f" Écrans : {sum(1 for r in aims if r.met)} action(s) sur {len(aims)} sous l'objectif de 100 ms"
           " (p95)." if aims else "") + "**",
        "",
        "| Mesure | Budget | n | p50 | p95 | CPU p50 | Plancher p50 | × plancher | Charge | Verdict |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    section = None
    for r in rows:
        if r.section != section:
            section = r.section
            lines.append(f"| **{section}** | | | | | | | | | |")
        floor = f"{fmt_ms(statistics.median(r.floor))} ({r.floor_label})" if r.floor else "—"
        label = r.label + (f" — {r.note}" if r.note else "")
        lines.append(f"| {label} | {r.budget} | {len(r.samples)} | {r.shown_p50} | "
                     f"{'—' if r.single else fmt_ms(r.p95)} | "
                     f"{fmt_ms(statistics.median(r.cpu)) if r.cpu else '—'} | {floor} | "
                     f"{fr(r.ratio) if r.ratio is not None else '—'} | {fr(r.load)} | {r.verdict} |")
    lines += [
        "",
        "## Méthode",
        "",
        "- Les mesures réutilisent les scripts `bench/bench_*.py` (chacun se lance aussi seul et",
        "  imprime ses budgets). Les écritures (encaissements, paniers, connexions) se font sur une",
        "  copie de la commune, supprimée à la fin.",
        "- Verdict : p95 sous le budget (pour une mesure unique, sa valeur). « Objectif » : aucun",
        "  ticket ne chiffre la latence des écrans ; 100 ms est le seuil usuel de l'immédiat perçu.",
        "- Plancher SQL : les requêtes que le service envoie au pilote, capturées puis rejouées par",
        "  le module `sqlite3` seul (lignes lues, meilleur de trois), sur le même fichier : ce que",
        "  paierait tout programme posant les mêmes questions. Le rapport p50 ÷ plancher p50 mesure",
        "  ce qu'ajoutent SQLAlchemy, les règles et la mise en forme.",
        "- Plancher PDF : fpdf2 seul écrit le même tableau (mêmes cellules, police Helvetica intégrée",
        "  à fpdf2, donc rien à lire ni à embarquer, sans en-tête ni pied de page). Pour le relevé,",
        "  la mesure de l'application comprend en plus la requête et l'écriture du fichier.",
        "- Écrans : via le Pilot de Textual, de l'événement touche envoyé comme le ferait le terminal",
        "  jusqu'à l'image qui montre le résultat (touche traitée, travaux en arrière-plan finis,",
        "  messages de tous les widgets traités, puis la trame suivante — Textual dessine au plus",
        "  60 fois par seconde ; une image retenue compte jusqu'à ce qu'elle soit dessinée). Mode sans",
        "  terminal : l'écriture des séquences vers un vrai terminal n'est pas comptée. Plancher : le",
        "  même changement d'écran dans une application Textual dont chaque écran ne contient qu'un",
        "  libellé, sans l'attente de 50 ms que Textual ajoute à chaque changement (montrée à part ;",
        "  l'application la remplace par une attente jusqu'à ce que l'onglet soit prêt) ; une ligne",
        "  ajoute à chaque écran le",
        "  pied de page (Footer) de Textual qui liste les touches, comme sur tous les écrans de",
        "  l'application : la différence est ce que coûte ce seul widget à chaque changement.",
        "- Profils : cProfile sur la même action (fils d'exécution des travaux en arrière-plan",
        "  compris, attente exclue) ; « par bibliothèque » répartit le temps propre entre Textual,",
        "  Rich, SQLAlchemy, le pilote SQLite, l'application… Le profilage ralentit tout, les parts",
        "  comptent plus que les secondes.",
        "- Charge : load average sur 1 min au moment de chaque mesure (colonne « Charge »).",
    ]
    if profiles:
        lines += ["", "## Budgets manqués : où passe le temps (cProfile)", ""]
        for label, text in profiles.items():
            lines += [f"### {label}", "", "```", text, "```", ""]
    lines += [
        "",
        "## Tenue sous la charge",
        "",
        "`portail stress --processes 8 --seconds 30` (SQLite jetable ; `--postgres` pour un serveur",
        "PostgreSQL jetable) lance huit postes qui cherchent, réservent les mêmes places rares,",
        "annulent et encaissent en même temps, sans temps de réflexion (bien plus qu'un vrai guichet),",
        "puis vérifie places, listes d'attente, quittances, soldes et écritures journalisées ; une",
        "erreur de verrou ou un « réessayez » montré à un agent est un échec. Version courte dans",
        "`tests/test_stress.py`, coupure brutale (kill -9) dans `tests/test_crash_safety.py`.",
        "",
    ]
    if stress_results:
        from portail_tui.cli.stress.verify import failure_lines

        lines += ["| Moteur | Postes | Durée | Opérations | Écritures | p95 écriture (pire type) | Erreurs montrées"
                  " | Violations | Charge à la fin |",
                  "|---|---:|---:|---:|---:|---:|---|---:|---:|"]
        for engine, rep, end_load in stress_results:
            writes = sum(sum(rep.outcomes[op].values()) for op in ("book", "cancel", "pay", "reverse", "refund"))
            worst = max((rep.latency[op]["p95"] for op in ("book", "cancel", "pay") if op in rep.latency), default=0)
            errors = ", ".join(f"{k} {n}" for k, n in rep.errors.items() if n) or "aucune"
            lines.append(f"| {engine} | {rep.processes} | {fr(rep.seconds, 0)} s | {_n(rep.operations)} | {_n(writes)}"
                         f" | {fmt_ms(worst)} | {errors} | {len(rep.violations)} | {fr(end_load)} |")
        problems = [f"- {engine} : {problem}" for engine, rep, _ in stress_results for problem in failure_lines(rep)]
        if problems:
            lines += ["", "Problèmes relevés :", "", *problems]
        lines.append("")
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--town", type=Path, default=DEFAULT_TOWN, help="SQLite file of the 20,000-family town")
    parser.add_argument("--runs", type=int, default=300, help="samples for the per-call budgets")
    parser.add_argument("--rounds", type=int, default=8, help="rounds of screen measurements")
    parser.add_argument("--quick", action="store_true", help="fewer samples, no demo, no releves (a check)")
    parser.add_argument("--skip-demo", action="store_true", help="do not time a fresh town generation")
    parser.add_argument("--skip-releves", action="store_true", help="skip the 20,000-PDF export")
    parser.add_argument("--skip-import", action="store_true", help="skip the 20,000-family import")
    parser.add_argument("--soak-actions", type=int, default=5000, help="actions of the soak (0: skip)")
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--stress-seconds", type=float, default=30.0,
                        help="portail stress on both engines for the report (0: skip)")
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/BENCHMARKS.md")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.rounds, args.skip_demo, args.skip_releves, args.stress_seconds = 60, 3, True, True, 0
        args.skip_import = True
        args.soak_actions = min(args.soak_actions, 1000)

    started = datetime.now()  # the report's date: the real clock is what we want here
    t0 = time.perf_counter()
    load_start = os.getloadavg()
    print(f"load average au début : {load_start[0]:.2f} / {load_start[1]:.2f} / {load_start[2]:.2f}", flush=True)
    rows: list[Row] = []
    town: Path = args.town.resolve()
    town.parent.mkdir(parents=True, exist_ok=True)
    prepare_town(town, args.skip_demo, rows)
    url = f"sqlite:///{town}"
    figures = town_figures(url)
    with tempfile.TemporaryDirectory(prefix="bench-all-") as tmp:
        copy = Path(tmp) / "town.db"
        print("copie de la commune pour les écritures…", flush=True)
        bench_booking.copy_town(town, copy)
        work_url = f"sqlite:///{copy}"
        foundation(url, town, rows, args.runs)
        booking(url, town, work_url, rows, args.runs)
        money(url, town, work_url, rows, args.runs)
        histories(url, rows, max(60, args.runs // 2), args.skip_releves)
        service_day(town, Path(tmp), rows, args.runs)
        pointage(url, town, work_url, rows, args.runs)
        screens(work_url, rows, args.rounds)
        if args.soak_actions > 0:
            soak(work_url, rows, args.soak_actions)
        if not args.skip_import:
            imports(rows)
        print_table(rows)
        profiles = {} if args.no_profile else profile_missed(rows, work_url)
    load_end = os.getloadavg()
    print(f"load average à la fin des mesures : {load_end[0]:.2f} / {load_end[1]:.2f} / {load_end[2]:.2f}")
    stress_results = stress_runs(args.stress_seconds) if args.stress_seconds > 0 else []
    for engine, rep, _ in stress_results:
        from portail_tui.cli.stress.verify import failure_lines

        print(f"charge {engine} : {rep.operations} opérations, erreurs {dict(rep.errors) or 'aucune'},"
              f" {len(rep.violations)} violation(s)", *failure_lines(rep), sep="\n  ")
    for label, text in profiles.items():
        print(f"\n== {label}\n{text}")
    if not args.no_doc:
        command = "python bench/run_all.py " + " ".join(sys.argv[1:])
        write_doc(rows, machine(), figures, started, (load_start, load_end), profiles, time.perf_counter() - t0,
                  command.strip(), stress_results)
        print(f"\nécrit : {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
