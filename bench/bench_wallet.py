"""Wallet and cash-desk budgets (issue 4), printed, not asserted:

- wallet figures of one family (solde and coût estimé together, the Paiement screen's
  row): p95 under 3 ms;
- Encaisser including the receipt PDF (payment recorded with its receipt number,
  e-mail queued, receipt rendered and written): under 150 ms;
- the journal of a day with 500 payments as PDF: under 1 s.

Usage: python bench/bench_wallet.py [--db sqlite:////work/bench-town.db] [--runs 500]
The town comes from `python bench/bench_demo.py --keep /work/bench-town.db` (20,000
families, generated for 2026-11-28: the benchmark pins that date). Reads run on the
town itself; writes run on a copy of the file, deleted afterwards.
"""

from __future__ import annotations

import argparse
import random
import shutil
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

WALLET_P95_BUDGET_MS = 3.0
ENCAISSER_BUDGET_MS = 150.0
JOURNAL_BUDGET_S = 1.0
JOURNAL_PAYMENTS = 500


def _context(url: str, today: date, hour: int = 10):  # type: ignore[no-untyped-def]
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
    clock = FixedClock(datetime.combine(today, dtime(hour, 0), tzinfo=PARIS))
    ctx = Context(db=db, clock=clock, settings=Settings(database_url=url), actor=actor_for(agent))
    return ctx


def _family_ids(ctx) -> list[int]:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from portail_tui.models import Family

    return ctx.db.read(lambda s: list(s.execute(select(Family.id)).scalars()))


def bench_wallet(url: str, today: date, runs: int, rng: random.Random) -> tuple[list[float], list[float]]:
    from portail_tui.services import wallet

    ctx = _context(url, today)
    try:
        ids = _family_ids(ctx)
        sample = [rng.choice(ids) for _ in range(runs + 50)]
        times, cpu = [], []
        for i, fid in enumerate(sample):
            t0, c0 = time.perf_counter(), time.process_time()
            wallet.wallet_figures(ctx, fid)  # solde + coût estimé (+ proposed, nouveau solde)
            if i >= 50:  # warm-up: statement cache, page cache
                times.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
        return times, cpu
    finally:
        ctx.db.dispose()


def bench_encaisser(url: str, today: date, runs: int, rng: random.Random,
                    folder: Path) -> tuple[list[float], list[float]]:
    from portail_tui.exports.files import write_atomic
    from portail_tui.exports.receipt import receipt_filename, render_receipt
    from portail_tui.services import payments

    ctx = _context(url, today, hour=9)
    try:
        ids = _family_ids(ctx)
        times, cpu = [], []
        modes = ["especes", "cb", "cheque", "virement"]
        for i in range(runs + 10):
            fid = rng.choice(ids)
            mode = modes[i % len(modes)]
            cheque = ({"cheque_number": f"{1000000 + i}", "cheque_bank": "Banque Populaire",
                       "cheque_drawer": "Titulaire"} if mode == "cheque" else {})
            ctx.clock.advance(timedelta(seconds=20))  # type: ignore[attr-defined]
            t0, c0 = time.perf_counter(), time.process_time()
            receipt = payments.take_payment(ctx, fid, amount_cents=rng.randint(500, 29_000), mode=mode, **cheque)
            write_atomic(folder / receipt_filename(receipt), render_receipt(receipt))
            if i >= 10:
                times.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
        return times, cpu
    finally:
        ctx.db.dispose()


def bench_journal(url: str, day: date, rng: random.Random,
                  runs: int = 7) -> tuple[list[float], list[float], list[float], int]:
    from portail_tui.services import cashdesk, payments

    ctx = _context(url, day, hour=8)
    try:
        ids = _family_ids(ctx)
        modes = ["especes", "cb", "cheque", "virement", "cesu", "ancv"]
        taken = []
        for i in range(JOURNAL_PAYMENTS):
            mode = modes[i % len(modes)]
            cheque = ({"cheque_number": f"{2000000 + i}", "cheque_bank": "Crédit Agricole",
                       "cheque_drawer": "Titulaire"} if mode == "cheque" else {})
            ctx.clock.advance(timedelta(seconds=60))  # type: ignore[attr-defined]
            taken.append(payments.take_payment(ctx, rng.choice(ids), amount_cents=rng.randint(500, 29_000),
                                               mode=mode, **cheque))
        regisseur = ctx.as_actor(_regisseur(ctx))
        for r in taken[::50]:  # a few corrections, shown as such
            payments.reverse_payment(regisseur, r.payment_id, reason="Erreur de saisie")
        pdf_times, pdf_cpu, csv_times = [], [], []
        for _ in range(runs):
            t0, c0 = time.perf_counter(), time.process_time()
            out = cashdesk.journal_file(ctx, day, "pdf")
            pdf_times.append(time.perf_counter() - t0)
            pdf_cpu.append(time.process_time() - c0)
            t0 = time.perf_counter()
            cashdesk.journal_file(ctx, day, "csv")
            csv_times.append(time.perf_counter() - t0)
        return pdf_times, pdf_cpu, csv_times, out.lines
    finally:
        ctx.db.dispose()


def _load() -> float:
    import os

    return os.getloadavg()[0]


def _cpus() -> int:
    import os

    return os.cpu_count() or 1


def _regisseur(ctx):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from portail_tui.models import Agent
    from portail_tui.services.auth import actor_for

    agent = ctx.db.read(lambda s: s.execute(select(Agent).where(Agent.role == "regisseur")).scalars().first())
    return actor_for(agent)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=f"sqlite:///{DEFAULT_TOWN}", help="URL of the 20,000-family town")
    parser.add_argument("--runs", type=int, default=500, help="wallet figures measured (Encaisser: runs / 2.5)")
    parser.add_argument("--today", type=date.fromisoformat, default=date(2026, 11, 28))
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    url: str = args.db
    sqlite_path = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
    if sqlite_path is not None and not sqlite_path.exists():
        raise SystemExit(f"{sqlite_path} introuvable : python bench/bench_demo.py --keep {sqlite_path}")

    times, cpu = bench_wallet(url, args.today, args.runs, rng)
    p50, p95 = pct(times, 50), pct(times, 95)
    print(f"wallet figures (solde + coût estimé), {len(times)} families: p50 {p50:.2f} ms, "
          f"p95 {p95:.2f} ms (budget p95 {WALLET_P95_BUDGET_MS:.0f} ms: {verdict(p95 < WALLET_P95_BUDGET_MS)})")
    # Wall time includes waiting for a CPU on a busy machine; the CPU time does not.
    print(f"  same, CPU time of the process: p50 {pct(cpu, 50):.2f} ms, p95 {pct(cpu, 95):.2f} ms "
          f"(load average {_load():.1f} on {_cpus()} CPU)")

    with tempfile.TemporaryDirectory(prefix="bench-wallet-") as tmp:
        work_url = url
        if sqlite_path is not None:
            copy = Path(tmp) / "town.db"
            t0 = time.perf_counter()
            shutil.copyfile(sqlite_path, copy)
            print(f"(copy of the town for writes: {time.perf_counter() - t0:.1f} s)")
            work_url = f"sqlite:///{copy}"
        else:
            print("(PostgreSQL: payments are written to this database)")
        receipts = Path(tmp) / "receipts"
        receipts.mkdir()
        times, cpu = bench_encaisser(work_url, args.today, max(40, args.runs * 2 // 5), rng, receipts)
        p50, p95 = pct(times, 50), pct(times, 95)
        print(f"Encaisser incl. receipt PDF, {len(times)} payments: p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
              f"max {max(times):.1f} ms (budget {ENCAISSER_BUDGET_MS:.0f} ms: {verdict(p95 < ENCAISSER_BUDGET_MS)})")
        print(f"  same, CPU time: p50 {pct(cpu, 50):.1f} ms, p95 {pct(cpu, 95):.1f} ms")
        day = args.today + timedelta(days=2)
        pdf_times, pdf_cpu, csv_times, lines = bench_journal(work_url, day, rng)
        p50, p95 = pct(pdf_times, 50), pct(pdf_times, 95)
        print(f"journal of a day, {lines} entries: PDF p50 {p50:.2f} s, p95 {p95:.2f} s "
              f"(budget {JOURNAL_BUDGET_S:.0f} s: {verdict(p95 < JOURNAL_BUDGET_S)}); "
              f"CSV p50 {pct(csv_times, 50) * 1000:.0f} ms")
        print(f"  same, CPU time of the PDF: p50 {pct(pdf_cpu, 50):.2f} s, p95 {pct(pdf_cpu, 95):.2f} s "
              f"(load average {_load():.1f} on {_cpus()} CPU)")


if __name__ == "__main__":
    main()
