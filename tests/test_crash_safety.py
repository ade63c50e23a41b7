"""Crash safety: eight agent processes are killed with SIGKILL (a power cut, the OOM
killer) in the middle of their work — some of them inside a transaction. Afterwards
`portail db check` passes, every payment and booking a worker had seen committed (its
journal line is written and flushed right after the commit) is in the database, and
the next payment takes the next receipt number: nothing half-written, nothing lost.
On SQLite and on PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from portail_tui.cli.stress.town import prepare_town, station_actor
from portail_tui.cli.stress.verify import StressReport, read_journals, verify
from portail_tui.cli.stress.worker import kill_workers, start_workers
from portail_tui.clock import Clock
from portail_tui.db import Database
from portail_tui.services.booking import (
    BOOK,
    CANCEL,
    CartLine,
    CartResult,
    validate_cart,
    validation,
)
from portail_tui.services.context import Context
from portail_tui.services.integrity import run_checks
from portail_tui.services.payments import take_payment
from tests.support.booking_town import Town, bookings, build_town

ROOT = Path(__file__).resolve().parent.parent
COMMITTED_BEFORE_KILL = 40


def _journalled(folder: Path) -> int:
    return len(read_journals(folder))


@pytest.mark.slow
def test_kill_9_in_the_middle_loses_nothing_committed(db: Database, db_owner: Database, tmp_path: Path) -> None:
    # The town is loaded like `portail demo`, by the schema owner; the desks use the application's role.
    town = prepare_town(db_owner, families=40, hot_slots=6, hot_capacity=2)
    folder = tmp_path / "journaux"
    procs = start_workers(db.url, town, processes=8, seconds=120, folder=folder)
    try:
        limit = time.monotonic() + 90
        while _journalled(folder) < COMMITTED_BEFORE_KILL and time.monotonic() < limit:
            time.sleep(0.05)
        assert all(p.poll() is None for p in procs), "a worker stopped before the kill"
    finally:
        kill_workers(procs)
    assert [p.returncode for p in procs] == [-9] * 8
    records = read_journals(folder)
    assert len(records) >= COMMITTED_BEFORE_KILL
    assert {r["op"] for r in records} >= {"book", "pay"}

    report = StressReport(engine=db.engine.dialect.name, processes=8, seconds=0)
    db.dispose()  # as after a reboot: fresh connections only
    verify(db, town, folder, report, complete=False)
    assert report.violations == []
    assert report.checked["écritures journalisées"] == len(records)

    # The command an administrator runs after the incident.
    done = subprocess.run([sys.executable, "-m", "portail_tui", "--db", db.url, "--today",
                           town.today.isoformat(), "db", "check"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Aucun problème" in done.stdout

    # And the desk goes on: the next receipt follows the last one, without a gap.
    last = db.read(lambda s: s.execute(text("SELECT MAX(receipt_number) FROM payment")).scalar_one())
    ctx = Context(db=db, clock=Clock(town.today), actor=station_actor(town.regie_id, 99, "agent"))
    receipt = take_payment(ctx, town.family_ids[0], amount_cents=1_000, mode="cb")
    assert receipt.receipt_number == last + 1
    assert run_checks(ctx).ok


def _rs(town: Town, child: str, day: date, action: str = BOOK) -> CartLine:
    return CartLine(action=action, child_id=town.children[child], activity_id=town.activities["RS"], day=day,
                    child_name=child, activity_label="RS")


def test_a_cancellation_while_a_child_goes_on_the_waiting_list_gives_it_the_place(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The window the kill -9 test used to find (PostgreSQL, READ COMMITTED): a booking
    finds the slot full and writes its waiting row; before it commits, a cancellation
    frees a place and looks for someone waiting — it must not miss that row, or the
    child waits while a place is free (`db check` « Listes d'attente »)."""
    town = build_town(ctx.db)
    actx = ctx.as_actor(town.agent)
    thu = date(2026, 12, 3)
    validate_cart(actx, town.families["MARTIN"], [_rs(town, "Léa", thu), _rs(town, "Noé", thu)])

    written, release = threading.Event(), threading.Event()
    insert = validation._insert

    def insert_then_hold(run: validation._Run, taken: list[tuple[validation._Accepted, str]]) -> None:
        insert(run, taken)
        if any(status == "waiting" for _, status in taken) and not written.is_set():
            written.set()  # the waiting row is written, not committed yet
            release.wait(10)

    monkeypatch.setattr(validation, "_insert", insert_then_hold)
    results: list[CartResult] = []
    booker = threading.Thread(target=lambda: results.append(
        validate_cart(actx, town.families["DURAND"], [_rs(town, "Jade", thu)])))
    booker.start()
    assert written.wait(10)
    canceller = threading.Thread(target=lambda: results.append(
        validate_cart(actx, town.families["MARTIN"], [_rs(town, "Léa", thu, CANCEL)])))
    canceller.start()
    canceller.join(1.0)  # without the slot lock, the cancellation commits here, finding nobody waiting
    release.set()
    booker.join(30)
    canceller.join(30)
    assert len(results) == 2, results
    assert [b.status for b in bookings(actx.db, child_id=town.children["Jade"])] == ["confirmed"]
    assert [p for p in run_checks(actx).problems if p.check in {"slots", "waiting"}] == []
