"""Histories and exports budgets (issue 5), printed, not asserted:

- one family's monthly consumption statement as PDF (history query + PDF + file):
  p95 under 80 ms;
- `portail export releves` for every family of the town: under 3 minutes (2 cores);
- CSV of all consumptions of a month for the whole town via the CLI: under 15 s.

Usage: python bench/bench_history.py --db sqlite:////work/bench-town.db [--runs 200]
The town comes from `python bench/bench_demo.py --keep /work/bench-town.db` and is
generated for 2026-11-28: the benchmark pins that date (--today).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from datetime import time as dtime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import pct, verdict  # noqa: E402

PDF_P95_BUDGET_MS = 80.0
RELEVES_BUDGET_S = 180.0
TOWN_CSV_BUDGET_S = 15.0


def bench_family_pdf(url: str, today: date, month_key: str, runs: int,
                     seed: int) -> tuple[list[float], list[float], float]:
    from sqlalchemy import select

    from portail_tui.clock import PARIS, FixedClock
    from portail_tui.config import Settings
    from portail_tui.db import Database
    from portail_tui.exports.files import write_atomic
    from portail_tui.models import Booking
    from portail_tui.services import history as h
    from portail_tui.services.context import Context

    db = Database(url)
    try:
        month = h.parse_history_month(month_key, today)
        ids = db.read(lambda s: list(s.execute(
            select(Booking.family_id).distinct().where(Booking.day >= month.first_day,
                                                       Booking.day < month.next_first_day)).scalars()))
        rng = random.Random(seed)
        sample = [rng.choice(ids) for _ in range(runs + 10)]
        clock = FixedClock(datetime.combine(today, dtime(10, 0), tzinfo=PARIS))
        ctx = Context(db=db, clock=clock, settings=Settings(database_url=url))
        times: list[float] = []
        cpu: list[float] = []
        lines = 0
        with tempfile.TemporaryDirectory() as tmp:
            for i, fid in enumerate(sample):
                t0, c0 = time.perf_counter(), time.process_time()
                hist = h.consumption_history(ctx, fid, month)
                out = h.consumptions_file(ctx, hist, "pdf")
                write_atomic(Path(tmp) / out.filename, out.data)
                elapsed = (time.perf_counter() - t0) * 1000
                if i >= 10:  # the first documents build the font cache and warm the DB
                    times.append(elapsed)
                    cpu.append((time.process_time() - c0) * 1000)
                    lines += out.lines
        return times, cpu, lines / max(1, len(times))
    finally:
        db.dispose()


def run_cli(url: str, today: date, *args: str) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of the command and its worker processes, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "portail_tui", "--db", url, "--today", today.isoformat(), *args],
                          capture_output=True, text=True, cwd=ROOT)
    elapsed = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise SystemExit(f"portail {' '.join(args)} failed:\n{done.stderr or done.stdout}")
    return elapsed, cpu, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True, help="database URL of a generated town")
    parser.add_argument("--today", type=date.fromisoformat, default=date(2026, 11, 28))
    parser.add_argument("--mois", default="2026-11")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--skip-releves", action="store_true")
    parser.add_argument("--skip-town-csv", action="store_true")
    args = parser.parse_args()

    print(f"machine load average   : {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
          "(other programs running make wall-clock figures worse)")
    times, cpu, avg_lines = bench_family_pdf(args.db, args.today, args.mois, args.runs, args.seed)
    p50, p95 = pct(times, 50), pct(times, 95)
    print(f"family consumption PDF : p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {max(times):.1f} ms "
          f"(CPU p50 {pct(cpu, 50):.1f} ms, p95 {pct(cpu, 95):.1f} ms; {len(times)} families, "
          f"{avg_lines:.1f} lines on average) — budget p95 < {PDF_P95_BUDGET_MS:.0f} ms: "
          f"{verdict(p95 < PDF_P95_BUDGET_MS)}")

    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_town_csv:
            out = Path(tmp) / "commune.csv"
            seconds, cpu, _ = run_cli(args.db, args.today, "export", "consommations", "--mois", args.mois,
                                      "--sortie", str(out))
            rows = sum(1 for _ in out.open("rb")) - 1
            size = out.stat().st_size / 1e6
            print(f"town consumptions CSV  : {seconds:.1f} s wall, {cpu:.1f} s CPU ({rows} lines, {size:.1f} MB)"
                  f" — budget < {TOWN_CSV_BUDGET_S:.0f} s: {verdict(seconds < TOWN_CSV_BUDGET_S)}")
        if not args.skip_releves:
            folder = Path(tmp) / "releves"
            seconds, cpu, stdout = run_cli(args.db, args.today, "export", "releves", "--mois", args.mois,
                                           "--dossier", str(folder))
            files = sum(1 for _ in folder.iterdir())
            summary = stdout.strip().splitlines()[-1] if stdout.strip() else ""
            cores = min(os.cpu_count() or 1, 2)
            print(f"export releves (PDF)   : {seconds:.1f} s wall, {cpu:.1f} s CPU = {cpu / cores:.1f} s on "
                  f"{cores} idle cores ({files} files; {summary}) — budget < {RELEVES_BUDGET_S:.0f} s: "
                  f"{verdict(seconds < RELEVES_BUDGET_S)}")


if __name__ == "__main__":
    main()
