"""Pointage budgets (issue 15), printed, not asserted:

- the pointage list of the largest school at the largest activity of a day (the
  children expected, their class, mark and pick-up contacts): under 50 ms;
- marking a child (présent, absent, absent justifié, a late arrival): under 20 ms.

Usage: python bench/bench_pointage.py [--town /tmp/bench-town.db] [--runs 200]
The town is the 20,000-family demo town generated for 2026-11-28 (`bench/bench_demo.py
--keep FILE` makes it when missing). Marks are written on a copy of the file, deleted
afterwards; the list is read on the town itself, or on that copy when the town's schema
is behind (the copy is upgraded, the town is left as it is).
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as dtime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import pct, verdict  # noqa: E402

TOWN = Path("/tmp/bench-town.db")
TODAY = date(2026, 11, 28)
LIST_BUDGET_MS = 50.0
MARK_BUDGET_MS = 20.0


@dataclass(frozen=True)
class Largest:
    activity_id: int
    activity: str
    day: date
    school: str
    children: int


def context(url: str, today: date = TODAY):  # type: ignore[no-untyped-def]
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
    clock = FixedClock(datetime.combine(today, dtime(14, 0), tzinfo=PARIS))
    return Context(db=db, clock=clock, settings=Settings(database_url=url), actor=actor_for(agent))


def largest(ctx, today: date = TODAY) -> Largest:  # type: ignore[no-untyped-def]
    """The school and activity with the most confirmed bookings on one day of the week
    before `today` (what a canteen of the town's biggest school marks)."""
    from datetime import timedelta

    from sqlalchemy import func, select
    from sqlmodel import col

    from portail_tui.models import Activity, Booking, Child

    def work(s):  # type: ignore[no-untyped-def]
        return s.execute(
            select(col(Booking.activity_id), col(Activity.label), col(Booking.day), col(Child.school), func.count())
            .join(Child, col(Child.id) == col(Booking.child_id))
            .join(Activity, col(Activity.id) == col(Booking.activity_id))
            .where(col(Booking.status) == "confirmed", col(Booking.day) < today,
                   col(Booking.day) >= today - timedelta(days=7))
            .group_by(col(Booking.activity_id), col(Activity.label), col(Booking.day), col(Child.school))
            .order_by(func.count().desc()).limit(1)
        ).one()

    a, label, day, school, n = ctx.db.read(work)
    return Largest(a, label, day, school, n)


def bench_list(ctx, big: Largest, runs: int) -> tuple[list[float], list[float], int]:  # type: ignore[no-untyped-def]
    from portail_tui.services import attendance

    times, cpu = [], []
    rows = 0
    for i in range(runs + 5):
        t0, c0 = time.perf_counter(), time.process_time()
        listing = attendance.pointage_list(ctx, big.activity_id, big.day, big.school)
        if i >= 5:  # warm-up: statement cache, page cache
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        rows = len(listing.rows)
    return times, cpu, rows


def bench_mark(ctx, big: Largest, runs: int, rng: random.Random) -> tuple[list[float], list[float]]:  # type: ignore[no-untyped-def]
    """Marks as at the counter: mostly first marks, some changed again, a few late
    arrivals, on children of the largest list."""
    from portail_tui.services import attendance

    listing = attendance.pointage_list(ctx, big.activity_id, big.day, big.school)
    children = [r.child_id for r in listing.rows]
    rng.shuffle(children)
    states = ["present"] * 6 + ["absent", "absent_justifie"]
    times, cpu = [], []
    for i in range(runs + 10):
        child = children[i % len(children)] if i % 5 else rng.choice(children[: max(1, i)])
        state = rng.choice(states)
        t0, c0 = time.perf_counter(), time.process_time()
        attendance.mark(ctx, big.activity_id, big.day, child, state)
        if i >= 10:
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
    return times, cpu


def prepared(town: Path, folder: Path) -> tuple[str, str, bool]:
    """(URL to read the list from, URL of the writable copy, whether the town was behind)."""
    from bench_booking import copy_town

    from portail_tui.db import Database, current_revision, head_revision, upgrade

    if not town.exists():
        print(f"{town} absent : génération de la commune (bench_demo.py --keep)…", flush=True)
        subprocess.run([sys.executable, str(ROOT / "bench" / "bench_demo.py"), "--keep", str(town)], check=True,
                       cwd=ROOT)
    copy = folder / "town.db"
    print("copie de la commune pour les pointages…", flush=True)
    copy_town(town, copy)
    db = Database(f"sqlite:///{town}")
    try:
        behind = current_revision(db) != head_revision()
    finally:
        db.dispose()
    work = Database(f"sqlite:///{copy}")
    try:
        upgrade(work)
    finally:
        work.dispose()
    work_url = f"sqlite:///{copy}"
    return (work_url if behind else f"sqlite:///{town}"), work_url, behind


def report(label: str, times: list[float], cpu: list[float], budget: float) -> str:
    p95 = pct(times, 95)
    return (f"{label:<58} p50 {statistics.median(times):7.2f} ms  p95 {p95:7.2f} ms  "
            f"CPU p50 {statistics.median(cpu):7.2f} ms  (budget {budget:.0f} ms : {verdict(p95 < budget)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--town", type=Path, default=TOWN, help="SQLite file of the 20,000-family town")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="bench-pointage-") as tmp:
        read_url, work_url, behind = prepared(args.town.resolve(), Path(tmp))
        if behind:
            print("schéma de la commune en retard : liste lue sur la copie mise à jour (la commune est laissée telle quelle)")
        ctx = context(read_url)
        big = largest(ctx)
        lists, lists_cpu, rows = bench_list(ctx, big, max(30, args.runs // 4))
        ctx.db.dispose()
        wctx = context(work_url)
        marks, marks_cpu = bench_mark(wctx, big, args.runs, rng)
        wctx.db.dispose()
    print(f"liste la plus longue : {big.activity}, {big.day:%d/%m/%Y}, {big.school} — {rows} enfants")
    print(report("Liste de pointage (plus grande école et activité)", lists, lists_cpu, LIST_BUDGET_MS))
    print(report("Pointer un enfant", marks, marks_cpu, MARK_BUDGET_MS))


if __name__ == "__main__":
    main()
