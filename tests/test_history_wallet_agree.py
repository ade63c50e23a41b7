"""R6 « consommé » is one condition (services/consumption.py): the wallet's consumed
total, the Solde screen's consumed list and the histories' counted lines are the same
bookings, on both engines, on either side of the 15-day boundary — for day bookings
and for period bookings (dated by their first day)."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from portail_tui.clock import PARIS, FixedClock
from portail_tui.db import Database
from portail_tui.services import history as h
from portail_tui.services import wallet
from portail_tui.services.context import Context
from tests.support.payments_town import Seed, book, book_period, seed

TODAY = date(2026, 11, 10)  # window ends on 25 November, inside the current month


def _ctx(db: Database, today: date, sd: Seed) -> Context:
    clock = FixedClock(datetime.combine(today, time(10, 0), tzinfo=PARIS))
    return Context(db=db, clock=clock).as_actor(sd.agent)


@pytest.fixture
def town(db: Database) -> Seed:
    sd = seed(db)
    book(db, sd, date(2026, 10, 5), 310)  # previous month: consumed
    book(db, sd, date(2026, 11, 3), 350)  # past: consumed
    book(db, sd, date(2026, 11, 25), 400)  # last day of the window: consumed
    book(db, sd, date(2026, 11, 26), 500)  # first day after it: not yet
    book(db, sd, date(2026, 11, 20), 450, status="waiting")  # never consumed
    book(db, sd, date(2026, 11, 21), 999, status="cancelled")  # listed « annulé », never counted
    book_period(db, sd, date(2026, 11, 25), 3, 2000)  # period from the last day: consumed
    book_period(db, sd, date(2026, 11, 26), 3, 3000)  # period from the day after: not yet
    return sd


def _history_counted(ctx: Context, family_id: int) -> tuple[int, set[int]]:
    total, ids = 0, set()
    for month in h.history_months(ctx.clock.today()):
        history = h.consumption_history(ctx, family_id, month)
        total += history.total_cents
        ids |= {line.booking_id for line in history.lines if line.counted}
    return total, ids


@pytest.mark.parametrize(("today", "expected"), [
    (TODAY, 310 + 350 + 400 + 2000),
    (date(2026, 11, 11), 310 + 350 + 400 + 500 + 2000 + 3000),  # the window moved one day
])
def test_wallet_and_history_count_the_same_bookings(db: Database, town: Seed, today: date,
                                                    expected: int) -> None:
    ctx = _ctx(db, today, town)
    figures = wallet.wallet_figures(ctx, town.family_id)
    details = wallet.solde_details(ctx, town.family_id)
    history_total, history_ids = _history_counted(ctx, town.family_id)
    assert figures.consumed_cents == expected
    assert history_total == expected
    assert {line.booking_id for line in details.consumed} == history_ids
    assert sum(line.price_cents for line in details.consumed) == expected
    assert db.read(lambda s: wallet.consumed_cents(s, town.family_id, today)) == expected


def test_cancelled_is_listed_but_waiting_is_not(db: Database, town: Seed) -> None:
    ctx = _ctx(db, TODAY, town)
    november = h.consumption_history(ctx, town.family_id, h.Month(2026, 11))
    states = {(line.day, line.price_cents): line.state for line in november.lines}
    assert states[(date(2026, 11, 21), 999)] == h.CANCELLED
    assert all(price != 450 for _, price in states)
    assert states[(date(2026, 11, 25), 400)] == h.UPCOMING
    assert (date(2026, 11, 26), 500) not in states
