"""The booking tests' tiny town (tests/support/booking_town.py) builds on both engines."""

from __future__ import annotations

from portail_tui.db import Database
from tests.support.booking_town import bookings, build_town


def test_town_builds_on_both_engines(db: Database) -> None:
    town = build_town(db)
    assert set(town.activities) == {"RS", "APSM", "APSS", "APSF", "CLM", "CLV"}
    assert len(town.children) == 5 and bookings(db) == []
