"""Benchmark: generate the 20,000-family demo town (budget: under 3 minutes).

    .venv/bin/python bench/bench_demo.py                       # temp SQLite file, deleted
    .venv/bin/python bench/bench_demo.py --keep data/town20k.db  # kept for other benchmarks
    .venv/bin/python bench/bench_demo.py --postgres            # throwaway PostgreSQL cluster

Prints the town's figures and the elapsed seconds (migrations excluded: they are the
same for any size). Other benchmarks can reuse a kept file with
``Database("sqlite:///PATH")``; it is generated for ``--today`` (default 2026-11-28,
the date the tests pin), so pin the same date (``PORTAIL_TODAY``) when using it.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portail_tui.db import Database, upgrade  # noqa: E402
from portail_tui.demo import generate  # noqa: E402

BUDGET_SECONDS = 180.0


def _progress() -> object:
    last: dict[str, float] = {}
    started = time.perf_counter()

    def report(stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if done in (0, total) or now - last.get(stage, 0.0) >= 5.0:
            last[stage] = now
            print(f"  {now - started:7.1f} s  {stage:<10} {done:>7}/{total}", file=sys.stderr, flush=True)

    return report


def _run(url: str, args: argparse.Namespace) -> None:
    db = Database(url)
    try:
        upgrade(db)
        report = generate(db, families=args.families, seed=args.seed, today=args.today,
                          progress=_progress())  # type: ignore[arg-type]
    finally:
        db.dispose()
    verdict = "OK" if report.seconds < BUDGET_SECONDS else "HORS BUDGET"
    print(f"engine    : {url.split(':', 1)[0]}")
    print(f"families  : {report.families}")
    print(f"children  : {report.children}")
    print(f"bookings  : {report.bookings}")
    print(f"payments  : {report.payments}")
    print(f"seconds   : {report.seconds:.1f} (budget {BUDGET_SECONDS:.0f} s: {verdict})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--today", type=date.fromisoformat, default=date(2026, 11, 28))
    parser.add_argument("--keep", type=Path, help="keep the SQLite database at this path")
    parser.add_argument("--postgres", action="store_true", help="use a throwaway PostgreSQL cluster")
    args = parser.parse_args()

    if args.postgres:
        from portail_tui.pgcluster import PgCluster

        with PgCluster() as cluster:
            _run(cluster.create_database("bench_demo"), args)
        return

    tmp = Path(tempfile.mkdtemp(prefix="portail-bench-"))
    try:
        path = tmp / "town.db"
        _run(f"sqlite:///{path}", args)
        size = path.stat().st_size / 1e6
        print(f"file size : {size:.0f} MB")
        if args.keep:
            args.keep.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(path), args.keep)
            print(f"kept at   : {args.keep}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
