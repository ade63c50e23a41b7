"""Receipt numbers stay gapless and unique when several cash desks in several
processes take payments at the same moment (SQLite file and PostgreSQL)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from portail_tui.db import Database
from portail_tui.services.context import Context
from tests.support.payments_town import receipt_numbers, seed

PROCESSES = 4
PER_PROCESS = 12

WORKER = textwrap.dedent(
    """
    import sys
    from datetime import datetime
    from portail_tui.clock import PARIS, FixedClock
    from portail_tui.db import Database
    from portail_tui.services import payments
    from portail_tui.services.context import Actor, Context, ServiceError

    url, regie_id, family_id, n, start = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    db = Database(url)
    clock = FixedClock(datetime(2026, 11, 28, 10, 0, tzinfo=PARIS))
    agent = Actor(kind="agent", login="agent", regie_id=regie_id, full_name="Claire Martin", role="agent")
    reg = Actor(kind="agent", login="regisseur", regie_id=regie_id, full_name="Paul Bernard", role="regisseur")
    ctx = Context(db=db, clock=clock)
    # Wait for the go signal so the processes really overlap.
    import os, time
    while not os.path.exists(start):
        time.sleep(0.005)
    refused = 0
    for i in range(n):
        amount = 40001 if i % 5 == 4 else 1000 + i  # every fifth is refused (cash over 300 €)
        try:
            r = payments.take_payment(ctx.as_actor(agent), family_id, amount_cents=amount, mode="especes")
        except ServiceError:
            refused += 1
            continue
        if i % 3 == 0:
            payments.reverse_payment(ctx.as_actor(reg), r.payment_id, reason="Test de concurrence")
    print(refused)
    db.dispose()
    """
)


@pytest.mark.slow
def test_receipt_numbers_across_processes(ctx: Context, tmp_path: Path) -> None:
    sd = seed(ctx.db)
    start = tmp_path / "go"
    root = Path(__file__).resolve().parent.parent
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, ctx.db.url, str(sd.regie_id), str(sd.family_id),
             str(PER_PROCESS), str(start)],
            cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for _ in range(PROCESSES)
    ]
    start.touch()
    refused = 0
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        refused += int(out.strip())
    accepted = PROCESSES * PER_PROCESS - refused
    reversals = PROCESSES * len([i for i in range(PER_PROCESS) if i % 5 != 4 and i % 3 == 0])
    numbers = receipt_numbers(ctx.db, sd.regie_id)
    assert refused == PROCESSES * (PER_PROCESS // 5)
    assert len(numbers) == accepted + reversals
    assert numbers == list(range(1, len(numbers) + 1))  # unique and gapless
    fresh = Database(ctx.db.url)
    try:
        from sqlalchemy import text

        last = fresh.read(lambda s: s.execute(text("SELECT last_number FROM receipt_counter")).scalar())
        assert last == len(numbers)
    finally:
        fresh.dispose()
