"""B2 under fire: several processes (several agents' terminals) book the last places of
one slot at the same instant, on SQLite and on PostgreSQL. Never more confirmed than
the capacity; everyone else is on the waiting list; the counter equals the truth."""

from __future__ import annotations

import multiprocessing as mp
from datetime import date, datetime

import pytest
from sqlalchemy import func, select, update
from sqlmodel import Session

from portail_tui.clock import PARIS, FixedClock
from portail_tui.db import Database
from portail_tui.models import Activity, Booking, Child, Family, FamilyMember, Slot
from portail_tui.services.booking import BOOK, CANCEL, CartLine, validate_cart
from portail_tui.services.context import Actor, Context
from tests.support.booking_town import CREATED, build_town

DAY = date(2026, 12, 3)
WORKERS = 6
CAPACITY = 2


def _worker(url: str, regie_id: int, family_id: int, child_id: int, activity_id: int, action: str,
            barrier, results) -> None:  # type: ignore[no-untyped-def]
    db = Database(url)
    try:
        actor = Actor(kind="agent", login=f"poste{family_id}", regie_id=regie_id, role="agent")
        ctx = Context(db=db, clock=FixedClock(datetime(2026, 11, 28, 10, 0, tzinfo=PARIS)), actor=actor)
        line = CartLine(action=action, child_id=child_id, activity_id=activity_id, day=DAY)
        db.ping()  # connect before the start signal, so the race is on the booking itself
        barrier.wait(timeout=60)
        result = validate_cart(ctx, family_id, [line])
        results.put((child_id, result.outcomes[0].outcome, result.promoted))
    except Exception as exc:  # noqa: BLE001 - reported to the parent test
        results.put((child_id, f"error: {type(exc).__name__}: {exc}", 0))
    finally:
        db.dispose()


def _families(db: Database, regie_id: int, n: int) -> list[tuple[int, int]]:
    def work(s: Session) -> list[tuple[int, int]]:
        out = []
        for i in range(n):
            f = Family(regie_id=regie_id, number=100 + i, name=f"FAMILLE{i}", quotient=800,
                       created_at=CREATED, updated_at=CREATED)
            s.add(f)
            s.flush()
            c = Child(last_name=f"FAMILLE{i}", first_name=f"Enfant{i}", created_at=CREATED)
            s.add(c)
            s.flush()
            s.add(FamilyMember(family_id=f.id, child_id=c.id))  # type: ignore[arg-type]
            out.append((f.id, c.id))
        return out  # type: ignore[return-value]

    return db.write(work)


def _race(db: Database, regie_id: int, jobs: list[tuple[int, int, int, str]]) -> list[tuple[int, str, int]]:
    # A fork server with the application preloaded: each worker starts in milliseconds
    # (instead of re-importing SQLAlchemy and the calendars), and with no database
    # connection inherited from the test process.
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload([__name__])
    barrier = ctx.Barrier(len(jobs))
    results = ctx.Queue()
    procs = [
        ctx.Process(target=_worker, args=(db.url, regie_id, fam, child, act, action, barrier, results))
        for fam, child, act, action in jobs
    ]
    for p in procs:
        p.start()
    out = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    return out


def _counts(db: Database, activity_id: int) -> tuple[int, int, int]:
    def work(s: Session) -> tuple[int, int, int]:
        def n(status: str) -> int:
            return s.execute(select(func.count()).select_from(Booking).where(
                Booking.activity_id == activity_id, Booking.day == DAY, Booking.status == status)).scalar_one()

        taken = s.execute(select(Slot.taken).where(Slot.activity_id == activity_id, Slot.day == DAY)).scalar_one()
        return n("confirmed"), n("waiting"), taken

    return db.read(work)


@pytest.mark.slow
def test_processes_booking_last_places_never_overbook(db: Database) -> None:
    town = build_town(db)
    act = town.activities["APSS"]
    db.write(lambda s: s.execute(update(Activity).where(Activity.id == act).values(capacity=CAPACITY)))
    people = _families(db, town.regie_id, WORKERS)
    results = _race(db, town.regie_id, [(f, c, act, BOOK) for f, c in people])
    outcomes = sorted(o for _, o, _ in results)
    assert not [o for o in outcomes if o.startswith("error")], outcomes
    assert outcomes.count("confirmed") == CAPACITY
    assert outcomes.count("waiting") == WORKERS - CAPACITY
    assert _counts(db, act) == (CAPACITY, WORKERS - CAPACITY, CAPACITY)

    # Now every confirmed family cancels at the same instant: each freed place goes to
    # exactly one waiting child, in waiting-list order.
    confirmed = [c for c, o, _ in results if o == "confirmed"]
    fam_of = dict((c, f) for f, c in people)
    results = _race(db, town.regie_id, [(fam_of[c], c, act, CANCEL) for c in confirmed])
    assert sorted(o for _, o, _ in results) == ["cancelled"] * CAPACITY
    assert sum(p for _, _, p in results) == CAPACITY
    assert _counts(db, act) == (CAPACITY, WORKERS - 2 * CAPACITY, CAPACITY)


@pytest.mark.slow
def test_same_child_booked_from_two_terminals_at_once(db: Database) -> None:
    """Two agents book the same child on the same day at the same instant (the two
    parents phoned two desks): one booking, the other line refused as a duplicate."""
    town = build_town(db)
    act = town.activities["APSM"]
    fam, child = town.families["MARTIN"], town.children["Léa"]
    results = _race(db, town.regie_id, [(fam, child, act, BOOK)] * 3)
    outcomes = sorted(o for _, o, _ in results)
    assert outcomes == ["confirmed", "refused", "refused"], outcomes

    def count(s: Session) -> int:
        return s.execute(select(func.count()).select_from(Booking).where(
            Booking.child_id == child, Booking.activity_id == act, Booking.status != "cancelled")).scalar_one()

    assert db.read(count) == 1
    assert _counts(db, act)[2] == 1
