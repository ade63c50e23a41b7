"""The demo town's attendance marks (P1, P2), on both engines: every past confirmed
booking is marked once, most present, a few percent absent, some justified in time and
waived (the first day of an illness billed: the demo régie applies a jour de carence),
some présents non inscrits at the surcharge; the wallet and the histories follow; and
the marks are the same for the same seed."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select

from portail_tui.db import Database, upgrade
from portail_tui.demo import generate
from portail_tui.models import Activity, Attendance, Booking, Period, Regie
from portail_tui.services import history as h
from portail_tui.services import wallet
from portail_tui.services.context import Context
from portail_tui.services.permissions import system_actor

TODAY = date(2026, 11, 28)


def _all(db: Database, stmt):  # type: ignore[no-untyped-def]
    return db.read(lambda s: list(s.execute(stmt).all()))


def test_every_past_confirmed_booking_is_marked_once(demo_db: Database) -> None:
    """Since the pointage went live: the first day of the previous month."""
    since = date(2026, 10, 1)
    past = _all(demo_db, select(Booking.id).where(Booking.status == "confirmed", Booking.day < TODAY,
                                                  Booking.day >= since))
    marked = _all(demo_db, select(Attendance.booking_id, Attendance.day, Attendance.state))
    assert sorted(b for (b,) in past) == sorted(b for b, _, _ in marked)
    assert all(since <= d < TODAY for _, d, _ in marked)
    # Marks point at their booking's child, activity and day.
    mismatched = _all(demo_db, select(func.count()).select_from(Attendance).join(
        Booking, Booking.id == Attendance.booking_id).where(
        (Booking.child_id != Attendance.child_id) | (Booking.activity_id != Attendance.activity_id)
        | (Booking.day != Attendance.day) | (Booking.family_id != Attendance.family_id)))
    assert mismatched[0][0] == 0


def test_states_are_plausible(demo_db: Database) -> None:
    counts = Counter((s, bool(b)) for s, b in _all(demo_db, select(Attendance.state, Attendance.billed)))
    total = sum(counts.values())
    absences = counts[("absent", True)] + counts[("absent_justifie", True)] + counts[("absent_justifie", False)]
    assert counts[("present", True)] > 0.9 * total
    assert 0.01 * total < absences < 0.08 * total
    assert counts[("absent_justifie", False)] > 0 and counts[("absent", True)] > 0
    assert counts[("present_non_inscrit", True)] > 0
    assert set(counts) <= {("present", True), ("absent", True), ("absent_justifie", True),
                           ("absent_justifie", False), ("present_non_inscrit", True)}


def test_waived_absences_follow_the_regie_rule(demo_db: Database) -> None:
    delay, carence = _all(demo_db, select(Regie.justification_delay_days, Regie.bill_first_sick_day))[0]
    assert delay == 7 and carence is True
    waived = _all(demo_db, select(Attendance.child_id, Attendance.day, Attendance.justification_reason,
                                  Attendance.justification_received_on).where(Attendance.billed.is_(False)))
    assert waived
    for _child, _day, reason, received in waived:
        assert reason in ("certificat", "hospitalisation", "autre")
        assert received is not None and received < TODAY
    # Jour de carence: a child's waived run of days starts after a billed justified day.
    justified = _all(demo_db, select(Attendance.child_id, Attendance.day, Attendance.billed,
                                     Attendance.justification_received_on)
                     .where(Attendance.state == "absent_justifie", Attendance.justification_received_on.is_not(None))
                     .order_by(Attendance.child_id, Attendance.day))
    first_days = [(c, d) for c, d, billed, _ in justified if billed]
    assert first_days
    for child, day, billed, _ in justified:
        if not billed:
            assert any(c == child and d < day for c, d in first_days), (child, day)


def test_unbooked_presences_are_bookings_at_the_surcharge(demo_db: Database) -> None:
    rows = _all(demo_db, select(Booking.status, Booking.price_cents, Activity.surcharge_cents)
                .join(Attendance, Attendance.booking_id == Booking.id)
                .join(Activity, Activity.id == Booking.activity_id)
                .where(Attendance.state == "present_non_inscrit"))
    assert rows
    assert all(status == "confirmed" and price == surcharge > 0 for status, price, surcharge in rows)


def test_wallet_and_histories_leave_out_the_waived_days(demo_db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    ctx = Context(db=demo_db, clock=clock).as_actor(system_actor(1))
    fid, day = _all(demo_db, select(Attendance.family_id, Attendance.day).where(Attendance.billed.is_(False))
                    .order_by(Attendance.id))[0]
    limit = TODAY + timedelta(days=15)
    all_consumed = _all(demo_db, select(func.sum(Booking.price_cents)).where(
        Booking.family_id == fid, Booking.status == "confirmed", Booking.day <= limit))[0][0]
    periods = _all(demo_db, select(func.coalesce(func.sum(Booking.price_cents), 0)).join(
        Period, Period.id == Booking.period_id).where(
        Booking.family_id == fid, Booking.status == "confirmed", Period.first_day <= limit))[0][0]
    waived = _all(demo_db, select(func.sum(Booking.price_cents)).join(
        Attendance, Attendance.booking_id == Booking.id).where(Booking.family_id == fid,
                                                               Attendance.billed.is_(False)))[0][0]
    figures = wallet.wallet_figures(ctx, fid)
    assert figures.consumed_cents == all_consumed + periods - waived
    history = h.consumption_history(ctx, fid, h.Month(day.year, day.month))
    lines = [ln for ln in history.lines if ln.state == "absence justifiée — non facturée"]
    assert lines and all(ln.shown_price == 0 and not ln.counted for ln in lines)
    assert history.total_cents == sum(ln.price_cents for ln in history.lines if ln.counted)


def test_marks_are_deterministic(tmp_path: Path) -> None:
    cols = select(Attendance.id, Attendance.booking_id, Attendance.state, Attendance.billed,
                  Attendance.justification_received_on, Attendance.left_at).order_by(Attendance.id)
    runs = []
    for name in ("a.db", "b.db"):
        db = Database(f"sqlite:///{tmp_path / name}")
        try:
            upgrade(db)
            generate(db, families=12, seed=3, today=TODAY)
            runs.append(_all(db, cols))
        finally:
            db.dispose()
    assert runs[0] and runs[0] == runs[1]


def test_a_town_generated_on_its_first_school_day_has_no_marks(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'first.db'}")
    try:
        upgrade(db)
        generate(db, families=3, seed=1, today=date(2026, 9, 1))
        assert _all(db, select(func.count()).select_from(Attendance))[0][0] == 0
    finally:
        db.dispose()
