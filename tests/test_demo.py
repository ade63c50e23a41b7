"""The demo town: deterministic, realistic, and consistent with every rule the
application enforces (calendar, capacity, prices, gapless receipts, search words)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from portail_tui.clock import PARIS, FixedClock, paris
from portail_tui.db import Database, upgrade
from portail_tui.demo import DEMO_ACCOUNTS, DemoError, DemoReport, generate
from portail_tui.demo.spec import QF_BRACKETS, SHARED_RESIDENCE, bracket_index
from portail_tui.domain.school_calendar import DayKind, SchoolCalendar
from portail_tui.models import (
    Activity,
    Agent,
    Attendance,
    Booking,
    Child,
    Closure,
    Family,
    FamilyMember,
    Form,
    Guardian,
    Payment,
    Period,
    Rate,
    ReceiptCounter,
    Regie,
    Slot,
)
from portail_tui.services.auth import verify_password
from portail_tui.services.context import Context
from portail_tui.services.families import build_search_text, search_families
from portail_tui.services.wallet import solde_cents

TODAY = date(2026, 11, 28)
FAMILIES = 30


def _make(path: Path, *, families: int = FAMILIES, seed: int = 1) -> tuple[Database, DemoReport]:
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    report = generate(db, families=families, seed=seed, today=TODAY)
    return db, report


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    db, report = _make(tmp_path_factory.mktemp("demo") / "t.db")
    yield db, report
    db.dispose()


def _all(db: Database, stmt):  # type: ignore[no-untyped-def]
    return db.read(lambda s: list(s.execute(stmt).all()))


def test_report_counts_match_the_database(town) -> None:  # type: ignore[no-untyped-def]
    db, report = town
    assert report.families == FAMILIES
    assert _all(db, select(func.count()).select_from(Family))[0][0] == FAMILIES
    assert _all(db, select(func.count()).select_from(Child))[0][0] == report.children
    assert _all(db, select(func.count()).select_from(Booking))[0][0] == report.bookings
    assert _all(db, select(func.count()).select_from(Payment))[0][0] == report.payments
    # About 1.6 children per family, and plenty of bookings and payments.
    assert 1.2 * FAMILIES <= report.children <= 2.2 * FAMILIES
    assert report.bookings > 40 * FAMILIES
    assert report.payments > FAMILIES
    numbers = sorted(n for (n,) in _all(db, select(Family.number)))
    assert numbers == list(range(1, FAMILIES + 1))


def test_generation_is_deterministic(tmp_path: Path, town) -> None:  # type: ignore[no-untyped-def]
    db1, report1 = town
    db2, report2 = _make(tmp_path / "again.db")
    try:
        names = select(Family.number, Family.name, Family.search_text).order_by(Family.number)
        assert _all(db1, names) == _all(db2, names)
        assert report1.bookings == report2.bookings and report1.payments == report2.payments
        rows = select(Booking.child_id, Booking.activity_id, Booking.day, Booking.period_id,
                      Booking.status, Booking.price_cents, Booking.created_at).order_by(Booking.id)
        assert _all(db1, rows) == _all(db2, rows)
    finally:
        db2.dispose()
    db3, _ = _make(tmp_path / "other.db", seed=2)
    try:
        assert _all(db3, names) != _all(db1, names)
    finally:
        db3.dispose()


def test_refuses_a_database_that_already_has_families(town) -> None:  # type: ignore[no-untyped-def]
    db, report = town
    with pytest.raises(DemoError, match="déjà"):
        generate(db, families=5, seed=1, today=TODAY)
    assert _all(db, select(func.count()).select_from(Family))[0][0] == report.families


def test_regie_agents_and_activities(town) -> None:  # type: ignore[no-untyped-def]
    db, _ = town
    regie = db.read(lambda s: s.execute(select(Regie)).scalar_one())
    assert (regie.code, regie.name) == ("SCOLAIRE", "REGIE DES SERVICES SCOLAIRES")
    assert regie.payment_modes.split(",") == ["especes", "cheque", "cb", "payfip", "virement", "cesu", "ancv"]
    assert (regie.payfip_numcli, regie.payfip_mode) == ("012345", "T")
    agents = {a.login: a for a in db.read(lambda s: list(s.execute(select(Agent)).scalars()))}
    for account in DEMO_ACCOUNTS:
        agent = agents[account.login]
        assert agent.role == account.role
        assert verify_password(agent.password_hash, account.password)
        assert not verify_password(agent.password_hash, account.password + "x")
        assert agent.full_name == account.full_name
        assert agent.can_see_health is account.can_see_health
    assert agents["agent"].can_see_health is False
    assert agents["regisseur"].can_see_health is True
    assert agents["admin"].can_see_health is True
    acts = {a.code: a for a in db.read(lambda s: list(s.execute(select(Activity)).scalars()))}
    assert set(acts) == {"RS", "APSM", "APSS", "APSF", "CLM", "CLV"}
    assert acts["RS"].capacity == 120 and acts["RS"].weekdays == "1245"
    assert acts["CLV"].booking_unit == "period" and acts["CLV"].runs_on == "holidays"
    assert acts["APSF"].exclusion_group == "APS" and not acts["APSF"].combinable_in_group
    assert acts["APSM"].combinable_in_group and acts["APSS"].combinable_in_group
    for a in acts.values():
        assert a.horizon_days == 60 and a.deadline_days == 2 and a.deadline_time == a.start_time


def _not_unbooked():  # type: ignore[no-untyped-def]
    """Bookings other than those of présents non inscrits."""
    return ~exists().where(Attendance.booking_id == Booking.id, Attendance.state == "present_non_inscrit")


def test_bookings_only_on_open_days_and_before_deadline(town) -> None:  # type: ignore[no-untyped-def]
    db, _ = town
    closures = {d for (d,) in _all(db, select(Closure.day))}
    assert any(d > TODAY for d in closures) and any(d < TODAY for d in closures)
    cal = SchoolCalendar(zone="A", closures=frozenset(closures))
    acts = {a.id: a for a in db.read(lambda s: list(s.execute(select(Activity)).scalars()))}
    # A présent non inscrit's booking is made when the staff marks the child, after the
    # deadline and at the surcharge (P2): tested in test_demo_attendance.py.
    rows = _all(db, select(Booking.activity_id, Booking.day, Booking.created_at, Booking.status,
                           Booking.cancelled_at).where(Booking.day.is_not(None), _not_unbooked()))
    assert rows
    start, horizon = date(2026, 9, 1), TODAY + timedelta(days=60)
    now = paris(TODAY, datetime.min.time()) + timedelta(hours=8)
    for act_id, day, created, status, cancelled in rows:
        act = acts[act_id]
        kind = cal.day_kind(day)
        assert kind in (DayKind.SCHOOL_DAY, DayKind.WEDNESDAY), (act.code, day, kind)
        assert str(day.isoweekday()) in act.weekdays, (act.code, day)
        assert start <= day <= horizon
        deadline = paris(day - timedelta(days=act.deadline_days), act.deadline_time)
        assert created <= deadline and created <= now
        assert day - created.date() <= timedelta(days=60)
        assert created.tzinfo is not None
        if status == "cancelled":
            assert created < cancelled <= deadline


def test_no_child_has_two_live_bookings_or_excluded_aps(town) -> None:  # type: ignore[no-untyped-def]
    db, _ = town
    codes = {a.id: a.code for a in db.read(lambda s: list(s.execute(select(Activity)).scalars()))}
    rows = _all(db, select(Booking.child_id, Booking.activity_id, Booking.day).where(
        Booking.status != "cancelled", Booking.day.is_not(None)))
    assert len(rows) == len(set(rows))
    per_child_day: dict[tuple[int, date], set[str]] = defaultdict(set)
    for child, act, day in rows:
        per_child_day[(child, day)].add(codes[act])
    for acts in per_child_day.values():
        if "APSF" in acts:
            assert not acts & {"APSM", "APSS"}


def test_slots_count_confirmed_bookings_and_some_are_full(town) -> None:  # type: ignore[no-untyped-def]
    db, _ = town
    slots = db.read(lambda s: list(s.execute(select(Slot)).scalars()))
    confirmed = Counter(
        (a, d, p) for a, d, p in _all(db, select(Booking.activity_id, Booking.day, Booking.period_id)
                                      .where(Booking.status == "confirmed"))
    )
    waiting = Counter(
        (a, d, p) for a, d, p in _all(db, select(Booking.activity_id, Booking.day, Booking.period_id)
                                      .where(Booking.status == "waiting"))
    )
    keys = set()
    for slot in slots:
        key = (slot.activity_id, slot.day, slot.period_id)
        keys.add(key)
        assert slot.taken == confirmed[key], key
        assert slot.capacity is not None and 0 <= slot.taken <= slot.capacity
    assert set(confirmed) <= keys and set(waiting) <= keys
    full_with_waiting = [s for s in slots if s.taken == s.capacity
                         and waiting[(s.activity_id, s.day, s.period_id)] > 0]
    assert full_with_waiting
    assert all(s.day is not None and TODAY < s.day <= TODAY + timedelta(days=15)
               for s in full_with_waiting)


def test_prices_follow_the_family_quotient_bracket(town) -> None:  # type: ignore[no-untyped-def]
    db, _ = town
    rates = {(r.activity_id, r.unit, r.qf_min): r.price_cents
             for r in db.read(lambda s: list(s.execute(select(Rate)).scalars()))}
    # Every activity by the day, and the holiday centre also by the week and whole holiday.
    assert len(rates) == (6 + 2) * len(QF_BRACKETS)
    quotients = dict(_all(db, select(Family.id, Family.quotient)))
    periods = {p.id: p for p in db.read(lambda s: list(s.execute(select(Period)).scalars()))}
    brackets_seen = set()
    units_seen = set()
    rows = _all(db, select(Booking.family_id, Booking.activity_id, Booking.period_id,
                           Booking.price_cents, Booking.quotient_used).where(_not_unbooked()))
    for family_id, act_id, period_id, price, used in rows:
        q = quotients[family_id]
        assert used == q
        b = bracket_index(q)
        brackets_seen.add(b)
        if period_id is None:
            assert price == rates[(act_id, "day", QF_BRACKETS[b][0])]
        else:
            # The example file prices the holiday centre flat: a week (of a holiday, or a
            # summer week of its own) at the week rate, a whole holiday at its own rate.
            p = periods[period_id]
            unit = "week" if p.parent_id is not None or (p.last_day - p.first_day).days < 7 else "period"
            units_seen.add(unit)
            assert price == rates[(act_id, unit, QF_BRACKETS[b][0])]
    assert brackets_seen == {0, 1, 2}
    assert units_seen == {"week", "period"}  # holiday centre booked by the week and whole


def test_receipts_are_gapless_and_chronological(town) -> None:  # type: ignore[no-untyped-def]
    db, _ = town
    rows = _all(db, select(Payment.receipt_number, Payment.created_at, Payment.business_day,
                           Payment.mode, Payment.amount_cents, Payment.kind, Payment.created_by,
                           Payment.cheque_number, Payment.cheque_bank).order_by(Payment.receipt_number))
    assert [r[0] for r in rows] == list(range(1, len(rows) + 1))
    assert [r[1] for r in rows] == sorted(r[1] for r in rows)
    counter = db.read(lambda s: s.execute(select(ReceiptCounter.last_number)).scalar_one())
    assert counter == len(rows)
    modes = Counter(r[3] for r in rows)
    assert len(modes) >= 4
    for _n, created, business_day, mode, amount, kind, by, cheque, bank in rows:
        assert business_day == created.date()
        assert TODAY - timedelta(days=92) <= created.date() < TODAY
        if kind == "payment":
            assert amount > 0
        if mode == "especes":
            assert amount <= 30000
        if mode == "cheque" and kind == "payment":
            assert cheque and bank
        assert by.startswith("famille:") if mode == "payfip" else by in ("agent:agent", "agent:regisseur")


def test_balances_are_mostly_near_zero(town) -> None:  # type: ignore[no-untyped-def]
    db, _ = town
    ids = [i for (i,) in _all(db, select(Family.id))]

    def balances(session: Session) -> list[int]:
        return [solde_cents(session, fid, TODAY) for fid in ids]

    values = db.read(balances)
    near = sum(1 for v in values if abs(v) <= 500)
    assert near >= len(values) // 2
    assert any(v < -500 for v in values) and any(v > 500 for v in values)


def test_lea_is_found_and_search_text_is_built_by_the_service(town) -> None:  # type: ignore[no-untyped-def]
    db, _ = town
    lea = _all(db, select(Child.id).where(Child.first_name == "Léa"))
    assert lea
    hits = search_families(Context(db=db, clock=FixedClock()), "lea")
    assert any(h.number == 1 for h in hits)

    def check(session: Session) -> int:
        checked = 0
        for family in session.execute(select(Family)).scalars():
            guardians = list(session.execute(
                select(Guardian).where(Guardian.family_id == family.id).order_by(Guardian.rank)).scalars())
            children = list(session.execute(
                select(Child).join(FamilyMember, FamilyMember.child_id == Child.id)
                .where(FamilyMember.family_id == family.id).order_by(FamilyMember.id)).scalars())
            assert family.search_text == build_search_text(family, guardians, children)
            assert guardians and guardians[0].postal_code and len(guardians[0].postal_code) == 5
            checked += 1
        return checked

    assert db.read(check) == FAMILIES
    first = db.read(lambda s: s.execute(select(Family).where(Family.number == 1)).scalar_one())
    assert " lea " in first.search_text and " lefevre " in first.search_text


def test_shared_custody_children_have_two_families(town) -> None:  # type: ignore[no-untyped-def]
    db, _ = town
    rows = _all(db, select(FamilyMember.child_id, FamilyMember.family_id, FamilyMember.residence))
    families_of: dict[int, set[int]] = defaultdict(set)
    for child, fam, _res in rows:
        families_of[child].add(fam)
    shared = {c for c, fams in families_of.items() if len(fams) == 2}
    assert shared
    assert all(len(f) <= 2 for f in families_of.values())
    for child, _fam, residence in rows:
        assert (residence == SHARED_RESIDENCE) == (child in shared)
    # Bookings of a shared child go to both households (alternate weeks).
    booked_by = defaultdict(set)
    for child, fam in _all(db, select(Booking.child_id, Booking.family_id).where(Booking.day.is_not(None))):
        assert fam in families_of[child]
        booked_by[child].add(fam)
    assert any(len(booked_by[c]) == 2 for c in shared)


def test_every_child_has_the_five_forms(town) -> None:  # type: ignore[no-untyped-def]
    db, report = town
    rows = _all(db, select(Form.child_id, Form.kind, Form.status, Form.reject_reason))
    kinds: dict[int, set[str]] = defaultdict(set)
    for child, kind, _status, _reason in rows:
        kinds[child].add(kind)
    assert len(kinds) == report.children
    assert all(k == {"assurance", "contact", "reglement", "autorisations", "sante"} for k in kinds.values())
    statuses = Counter(status for _c, _k, status, _r in rows)
    assert statuses.most_common(1)[0][0] == "validee"
    assert {"a_saisir", "en_validation"} <= set(statuses)
    for _c, _k, status, reason in rows:
        assert (status == "rejetee") == bool(reason)


def test_constraints_hold_and_stay_enforced_after_the_bulk_load(town) -> None:  # type: ignore[no-untyped-def]
    db, _ = town
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        # CHECK constraints were not evaluated during the bulk load: verify them now.
        assert conn.exec_driver_sql("PRAGMA integrity_check").all() == [("ok",)]
        assert conn.exec_driver_sql("PRAGMA ignore_check_constraints").scalar() == 0
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL again

    def orphan(session: Session) -> None:
        session.add(FamilyMember(family_id=424242, child_id=1))
        session.flush()

    with pytest.raises(IntegrityError):
        db.write(orphan)


def test_timestamps_are_paris_aware(town) -> None:  # type: ignore[no-untyped-def]
    db, _ = town
    created = db.read(lambda s: s.execute(select(Family.created_at).limit(1)).scalar_one())
    assert created.tzinfo is not None and created.utcoffset() == created.astimezone(PARIS).utcoffset()
    assert created < datetime(2026, 11, 28, 8, 0, tzinfo=PARIS)


def test_progress_is_reported(tmp_path: Path) -> None:
    calls: list[tuple[str, int, int]] = []
    db = Database(f"sqlite:///{tmp_path}/p.db")
    upgrade(db)
    try:
        generate(db, families=3, seed=5, today=TODAY, progress=lambda s, d, t: calls.append((s, d, t)))
    finally:
        db.dispose()
    assert ("Familles", 3, 3) in calls
    assert all(0 <= d <= t for _s, d, t in calls)


def test_demo_invariants_on_both_engines(demo_db: Database) -> None:
    """The shared demo fixture (30 families) holds the same invariants on PostgreSQL."""
    slots = demo_db.read(lambda s: list(s.execute(select(Slot)).scalars()))
    confirmed = Counter(demo_db.read(lambda s: list(s.execute(
        select(Booking.activity_id, Booking.day, Booking.period_id).where(Booking.status == "confirmed")
    ).all())))
    assert slots and all(s.taken == confirmed[(s.activity_id, s.day, s.period_id)] for s in slots)
    numbers = [n for (n,) in demo_db.read(lambda s: list(s.execute(
        select(Payment.receipt_number).order_by(Payment.receipt_number)).all()))]
    assert numbers == list(range(1, len(numbers) + 1))

    # Ids were given explicitly: the sequences must have moved past them.
    def add_family(session: Session) -> int:
        now = datetime(2026, 11, 28, 10, 0, tzinfo=PARIS)
        fam = Family(regie_id=1, number=999999, name="NOUVELLE", created_at=now, updated_at=now)
        session.add(fam)
        session.flush()
        return int(fam.id)  # type: ignore[arg-type]

    assert demo_db.write(add_family) == DEMO_FAMILIES_IN_FIXTURE + 1


DEMO_FAMILIES_IN_FIXTURE = 30
