"""Service-day budgets (issue 15), printed, not asserted:

- the town's meal counts for a week (every school, every meal type): under 200 ms;
- the CAF statement for a month (hours attended and billed, CSV): under 5 s.

The 20,000-family town predates the service day: the benchmark works on a copy
(the town itself is never touched), brought to the schema head, where the canteen
serves meals, APS and leisure centres are declared to the CAF, each school of the
children gets a School row, one child in five an other meal type than standard, and
every confirmed booking of November before the pinned day a mark (about 4 % absent,
2 % justified, one APS presence in 15 arriving late or leaving early).

Usage: python bench/bench_service_day.py [--town /tmp/bench-town.db] [--runs 30]
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from datetime import date, datetime
from datetime import time as dtime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import DEFAULT_TOWN, pct  # noqa: E402

MEALS_WEEK_BUDGET_MS = 200.0
CAF_MONTH_BUDGET_S = 5.0
TODAY = date(2026, 11, 28)


def prepare(src: Path, dst: Path) -> str:
    """A copy of the town with the service day's set-up and marks; returns its URL."""
    from bench_booking import copy_town

    from portail_tui.db import Database, upgrade

    copy_town(src, dst)
    url = f"sqlite:///{dst}"
    db = Database(url)
    upgrade(db)
    db.dispose()
    con = sqlite3.connect(dst)
    with con:
        con.execute("UPDATE activity SET serves_meal = (label LIKE 'RESTAURANT%'),"
                    " caf_declared = (label LIKE 'APS%' OR label LIKE 'CENTRE DE LOISIRS%')")
        con.execute("INSERT OR IGNORE INTO school (regie_id, code, name, kitchen_email, sort_order)"
                    " SELECT DISTINCT f.regie_id, 'E' || abs(random() % 100000), c.school,"
                    " 'cuisine@example.org', 0 FROM child c JOIN family_member m ON m.child_id = c.id"
                    " JOIN family f ON f.id = m.family_id WHERE c.school IS NOT NULL")
        con.execute("UPDATE child SET meal_type = CASE id % 20 WHEN 1 THEN 'sans_porc' WHEN 2 THEN 'sans_porc'"
                    " WHEN 3 THEN 'sans_viande' WHEN 4 THEN CASE WHEN id % 100 = 4 THEN 'pai_panier'"
                    " ELSE 'standard' END ELSE 'standard' END")
        con.execute(
            "INSERT OR IGNORE INTO attendance (regie_id, booking_id, family_id, child_id, activity_id, day, state,"
            " arrived_at, left_at, billed, marked_at, marked_by)"
            " SELECT b.regie_id, b.id, b.family_id, b.child_id, b.activity_id, b.day,"
            " CASE WHEN b.id % 25 = 0 THEN 'absent' WHEN b.id % 50 = 1 THEN 'absent_justifie' ELSE 'present' END,"
            " CASE WHEN a.label LIKE 'APS%' AND b.id % 15 = 2 THEN '17:10:00.000000' END,"
            " CASE WHEN a.label LIKE 'APS%' AND b.id % 15 = 3 THEN '17:45:00.000000' END,"
            " CASE WHEN b.id % 50 = 1 THEN 0 ELSE 1 END, b.day || ' 17:00:00.000000', 'agent:bench'"
            " FROM booking b JOIN activity a ON a.id = b.activity_id"
            " WHERE b.status = 'confirmed' AND b.day >= '2026-11-01' AND b.day < :today",
            {"today": TODAY.isoformat()})
    con.execute("ANALYZE")
    con.close()
    return url


def _context(url: str):  # type: ignore[no-untyped-def]
    from portail_tui.clock import PARIS, FixedClock
    from portail_tui.config import Settings
    from portail_tui.db import Database
    from portail_tui.services.context import Context

    return Context(db=Database(url), clock=FixedClock(datetime.combine(TODAY, dtime(10, 0), tzinfo=PARIS)),
                   settings=Settings(database_url=url))


def bench_meals(url: str, runs: int) -> tuple[list[float], int]:
    """Wall ms of the town's meal counts for a week (the week marked, then the next)."""
    from portail_tui.services.service_day.common import week_of
    from portail_tui.services.service_day.meals import meal_counts

    ctx = _context(url)
    weeks = [week_of(date(2026, 11, 23)), week_of(date(2026, 11, 30))]
    times: list[float] = []
    meals = 0
    for i in range(runs + 2):
        t0 = time.perf_counter()
        counts = meal_counts(ctx, weeks[i % 2])
        if i >= 2:
            times.append((time.perf_counter() - t0) * 1000)
        meals = max(meals, counts.total)
    ctx.db.dispose()
    return times, meals


def bench_caf(url: str, runs: int) -> tuple[list[float], str]:
    """Wall ms of the CAF statement of November with its CSV."""
    from portail_tui.services.service_day.caf import caf_file, caf_statement

    ctx = _context(url)
    times: list[float] = []
    total = ""
    for _ in range(runs):
        t0 = time.perf_counter()
        statement = caf_statement(ctx, 2026, 11)
        caf_file(ctx, statement, "csv")
        times.append((time.perf_counter() - t0) * 1000)
        _, att, bil = statement.total()
        total = f"{att // 60} h réalisées, {bil // 60} h facturées"
    ctx.db.dispose()
    return times, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--town", type=Path, default=DEFAULT_TOWN)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-service-day-") as tmp:
        t0 = time.perf_counter()
        url = prepare(args.town, Path(tmp) / "town.db")
        print(f"copie préparée en {time.perf_counter() - t0:.1f} s")
        times, meals = bench_meals(url, args.runs)
        print(f"repas de la commune pour une semaine ({meals} repas) : p50 {pct(times, 50):.1f} ms, "
              f"p95 {pct(times, 95):.1f} ms (budget {MEALS_WEEK_BUDGET_MS:.0f} ms)")
        caf, total = bench_caf(url, 3)
        print(f"relevé CAF d'un mois ({total}) : p50 {pct(caf, 50):.0f} ms, max {max(caf):.0f} ms "
              f"(budget {CAF_MONTH_BUDGET_S:.0f} s)")


if __name__ == "__main__":
    main()
