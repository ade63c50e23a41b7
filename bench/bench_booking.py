"""Réservations budgets (issue 3), printed, not asserted, on the 20,000-family town:

- day states of one child for one month (`month_view`): p95 under 20 ms;
- Valider a cart of 40 lines (`validate_cart`) on SQLite: under 150 ms;
- semaine type over a whole school period for one child, into the cart then
  validated (`pattern_lines` + `validate_cart`): under 300 ms.

Usage: .venv/bin/python bench/bench_booking.py [--db sqlite:////work/bench-town.db] [--runs 300]
The town comes from `python bench/bench_demo.py --keep /work/bench-town.db` (built here
if missing). Reads run on the town itself; writes on a copy of the file, deleted
afterwards, so other benchmarks keep an untouched town.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import DEFAULT_TOWN, pct, verdict  # noqa: E402

MONTH_P95_MS = 20.0
VALIDATE_MS = 150.0
PATTERN_MS = 300.0


def cpu_ms() -> float:
    usage = resource.getrusage(resource.RUSAGE_THREAD)
    return (usage.ru_utime + usage.ru_stime) * 1000


def context(url: str, today: date):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from portail_tui.clock import PARIS, FixedClock
    from portail_tui.config import Settings
    from portail_tui.db import Database
    from portail_tui.models import Agent
    from portail_tui.services.auth import actor_for
    from portail_tui.services.context import Context

    db = Database(url)
    agent = db.read(lambda s: s.execute(select(Agent).where(Agent.role == "agent").order_by(Agent.id)).scalars().first())
    if agent is None:
        raise SystemExit("Aucun agent dans la base : générez la commune avec bench/bench_demo.py.")
    clock = FixedClock(datetime.combine(today, dtime(10, 0), tzinfo=PARIS))
    return Context(db=db, clock=clock, settings=Settings(database_url=url), actor=actor_for(agent))


def family_children(ctx, rng: random.Random, n: int) -> list[tuple[int, int]]:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from portail_tui.models import FamilyMember

    pairs = ctx.db.read(lambda s: s.execute(select(FamilyMember.family_id, FamilyMember.child_id)).all())
    rng.shuffle(pairs)
    return [(f, c) for f, c in pairs[:n]]


def bench_month(ctx, pairs: list[tuple[int, int]], today: date) -> tuple[list[float], list[float]]:  # type: ignore[no-untyped-def]
    from portail_tui.services.booking import month_view

    months = [(today.year, today.month)]
    nxt = today.replace(day=1) + timedelta(days=32)
    months.append((nxt.year, nxt.month))
    month_view(ctx, pairs[0][0], pairs[0][1], *months[0])  # warm-up (calendar data, statements)
    wall, cpu = [], []
    for i, (fid, cid) in enumerate(pairs):
        y, m = months[i % 2]
        pending = {date(y, m, 10)} if i % 3 == 0 else set()
        c0, t0 = cpu_ms(), time.perf_counter()
        view = month_view(ctx, fid, cid, y, m, pending)
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append(cpu_ms() - c0)
        assert view.weeks
    return wall, cpu


def _cart(ctx, fid: int, cid: int, today: date, want: int):  # type: ignore[no-untyped-def]
    """Up to `want` open lines for one child: canteen and APS SOIR / MATIN / CLM over
    the coming weeks, whatever the child has not booked yet."""
    from portail_tui.services.booking import day_activities, pattern_lines

    acts = {a.code: a.id for a in day_activities(ctx, fid)}
    lines = []
    for codes, weekdays in ((("RS", "APSS"), {1, 2, 4, 5}), (("APSM",), {1, 2, 4, 5}), (("CLM",), {3})):
        res = pattern_lines(ctx, fid, cid, [acts[c] for c in codes if c in acts], weekdays, today,
                            today + timedelta(days=60))
        lines.extend(res.lines)
        if len(lines) >= want:
            break
    return lines[:want]


def bench_validate(ctx, pairs: list[tuple[int, int]], today: date) -> tuple[list[float], list[int]]:  # type: ignore[no-untyped-def]
    from portail_tui.services.booking import validate_cart

    times, sizes = [], []
    for fid, cid in pairs:
        lines = _cart(ctx, fid, cid, today, 40)
        if len(lines) < 40:
            continue
        t0 = time.perf_counter()
        result = validate_cart(ctx, fid, lines)
        times.append((time.perf_counter() - t0) * 1000)
        sizes.append(len(result.confirmed) + len(result.waiting))
    return times, sizes


def bench_pattern(ctx, pairs: list[tuple[int, int]], today: date) -> tuple[list[float], list[int]]:  # type: ignore[no-untyped-def]
    from portail_tui.services.booking import (
        day_activities,
        default_pattern_range,
        pattern_lines,
        validate_cart,
    )

    times, sizes = [], []
    for fid, cid in pairs:
        acts = {a.code: a.id for a in day_activities(ctx, fid)}
        t0 = time.perf_counter()
        start, end = default_pattern_range(ctx)
        # The phone call of DESIGN §1: canteen Mon/Tue/Thu/Fri and APS evening, to the
        # end of the school period.
        res = pattern_lines(ctx, fid, cid, [acts["RS"], acts["APSM"]], {1, 2, 4, 5}, start, end)
        result = validate_cart(ctx, fid, res.lines)
        times.append((time.perf_counter() - t0) * 1000)
        sizes.append(len(result.outcomes))
    return times, sizes


def copy_town(src: Path, dst: Path) -> None:
    """A private copy of the town for the writes, on disk before it is measured.

    A plain file copy leaves its 600 MB in the page cache as dirty pages; the first
    SQLite checkpoint on the copy then fsyncs the file and waits for the kernel to
    write all of them (160–250 ms here), and that cart or payment — not the copy —
    was charged for it (the « panier de 40 lignes » p95 of 236 ms). A town an agent
    works on has been on disk for long: the copy is flushed here, once."""
    wal = src.with_name(src.name + "-wal")
    if not wal.exists() or wal.stat().st_size == 0:
        shutil.copyfile(src, dst)
    else:
        with sqlite3.connect(f"file:{src}?mode=ro", uri=True) as source, sqlite3.connect(dst) as target:
            source.backup(target)
    fd = os.open(dst, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    dir_fd = os.open(dst.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=f"sqlite:///{DEFAULT_TOWN}", help="URL of the 20,000-family town")
    parser.add_argument("--runs", type=int, default=300, help="month views measured")
    parser.add_argument("--carts", type=int, default=40, help="40-line carts and patterns validated")
    parser.add_argument("--today", type=date.fromisoformat, default=date(2026, 11, 28))
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    url: str = args.db
    sqlite_path = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
    if sqlite_path is not None and not sqlite_path.exists():
        print(f"{sqlite_path} absent : génération de la commune (bench_demo.py --keep)…", flush=True)
        subprocess.run([sys.executable, str(ROOT / "bench" / "bench_demo.py"), "--keep", str(sqlite_path)],
                       check=True, cwd=ROOT)

    ctx = context(url, args.today)
    pairs = family_children(ctx, rng, args.runs + 2 * args.carts)
    wall, cpu = bench_month(ctx, pairs[: args.runs], args.today)
    p95 = pct(wall, 95)
    print(f"month day states of one child, {len(wall)} views: p50 {pct(wall, 50):.2f} ms, p95 {p95:.2f} ms, "
          f"max {max(wall):.1f} ms (budget p95 {MONTH_P95_MS:.0f} ms: {verdict(p95 < MONTH_P95_MS)})")
    print(f"  same, CPU time: p50 {pct(cpu, 50):.2f} ms, p95 {pct(cpu, 95):.2f} ms "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPU)")
    ctx.db.dispose()

    with tempfile.TemporaryDirectory(prefix="bench-booking-") as tmp:
        work_url = url
        if sqlite_path is not None:
            copy = Path(tmp) / "town.db"
            t0 = time.perf_counter()
            copy_town(sqlite_path, copy)
            print(f"(copy of the town for writes: {time.perf_counter() - t0:.1f} s)")
            work_url = f"sqlite:///{copy}"
        wctx = context(work_url, args.today)
        rest = pairs[args.runs:]
        times, sizes = bench_validate(wctx, rest[: args.carts], args.today)
        if times:
            p95 = pct(times, 95)
            print(f"Valider a 40-line cart, {len(times)} carts: p50 {pct(times, 50):.1f} ms, p95 {p95:.1f} ms, "
                  f"max {max(times):.1f} ms (budget {VALIDATE_MS:.0f} ms: {verdict(p95 < VALIDATE_MS)}); "
                  f"{statistics.mean(sizes):.0f} bookings made per cart")
        else:
            print("Valider a 40-line cart: no child with 40 open lines found")
        times, sizes = bench_pattern(wctx, rest[args.carts: 2 * args.carts], args.today)
        p95 = pct(times, 95)
        print(f"semaine type to the end of the school period + Valider, {len(times)} children: "
              f"p50 {pct(times, 50):.1f} ms, p95 {p95:.1f} ms, max {max(times):.1f} ms "
              f"(budget {PATTERN_MS:.0f} ms: {verdict(p95 < PATTERN_MS)}); "
              f"{statistics.mean(sizes):.0f} lines per pattern (max {max(sizes)})")
        wctx.db.dispose()


if __name__ == "__main__":
    main()
