"""Attendance marking (P1, P3, P6) on both engines: who is expected, each state, the
marking window and the régisseur after it, the audit with the previous state, the
présent non inscrit billed at the surcharge (the wallet's solde moves by it), « tous
présents » and the morning count of unmarked bookings."""

from __future__ import annotations

import json
from datetime import date, datetime, time

import pytest
from sqlalchemy import select, update
from sqlmodel import Session, col

from portail_tui.clock import PARIS
from portail_tui.db import Database
from portail_tui.domain.pointage import (
    Window,
    billed_after_mark,
    marking_window,
    parse_clock_time,
    previous_service_day,
    unmarked_wording,
)
from portail_tui.models import (
    Activity,
    Attendance,
    AuditLog,
    Booking,
    Child,
    Contact,
    Regie,
    School,
)
from portail_tui.services import attendance, wallet
from portail_tui.services.context import Actor, Context, PermissionDenied, ServiceError
from portail_tui.services.families import refresh_search_text
from tests.support.booking_town import CREATED, Town, build_town

FRIDAY = date(2026, 11, 27)  # the day before the pinned Saturday 28 November 2026
THURSDAY = date(2026, 11, 26)
LATE_DAY = date(2026, 11, 13)  # 15 days before: past the 7-day deadline
MONDAY = date(2026, 11, 30)  # not yet
JEAN_MOULIN = "École élémentaire Jean-Moulin"
COQUELICOTS = "École maternelle Les Coquelicots"


def _book(s: Session, town: Town, child: str, family: str, code: str, day: date, status: str = "confirmed") -> int:
    b = Booking(regie_id=town.regie_id, family_id=town.families[family], child_id=town.children[child],
                activity_id=town.activities[code], day=day, status=status, price_cents=340, created_at=CREATED,
                created_by="agent:guichet", confirmed_at=CREATED if status == "confirmed" else None)
    s.add(b)
    s.flush()
    assert b.id is not None
    return b.id


@pytest.fixture
def town(db: Database) -> Town:
    town = build_town(db)

    def work(s: Session) -> None:
        s.add(School(regie_id=town.regie_id, code="JM", name=JEAN_MOULIN, sort_order=2))
        s.add(School(regie_id=town.regie_id, code="CQ", name=COQUELICOTS, sort_order=1))
        schools = {"Léa": (JEAN_MOULIN, "CM1"), "Noé": (COQUELICOTS, "GS"), "Jade": (JEAN_MOULIN, "CE2"),
                   "Hugo": (JEAN_MOULIN, "CP")}  # Chloé has no school
        for first, (school, klass) in schools.items():
            s.execute(update(Child).where(col(Child.id) == town.children[first])
                      .values(school=school, school_class=klass))
        s.execute(update(Activity).where(col(Activity.id) == town.activities["RS"]).values(surcharge_cents=550))
        s.add(Contact(family_id=town.families["MARTIN"], name="Mamie Martin", phone="0600000000",
                      relationship="grand-mère", may_pick_up=True))
        s.add(Contact(family_id=town.families["MARTIN"], child_id=town.children["Noé"], name="Tata Zoé",
                      phone="0600000001", relationship="tante", may_pick_up=True))
        s.add(Contact(family_id=town.families["MARTIN"], name="Voisin", phone="0600000002", may_pick_up=False))
        for child, family in (("Léa", "MARTIN"), ("Noé", "MARTIN"), ("Jade", "DURAND"), ("Hugo", "PETIT")):
            for day in (FRIDAY, THURSDAY, LATE_DAY, MONDAY):
                _book(s, town, child, family, "RS", day)
        _book(s, town, "Chloé", "BERNARD", "RS", FRIDAY, status="cancelled")
        _book(s, town, "Léa", "MARTIN", "APSS", FRIDAY)
        for family_id in town.families.values():  # the family search finds children's names
            refresh_search_text(s, family_id)

    db.write(work)
    return town


@pytest.fixture
def agent_ctx(ctx: Context, town: Town) -> Context:
    return ctx.as_actor(town.agent)


@pytest.fixture
def regisseur_ctx(ctx: Context, town: Town) -> Context:
    return ctx.as_actor(Actor(kind="agent", login="chef", regie_id=town.regie_id, full_name="Régisseur",
                              role="regisseur"))


def _attendance(db: Database, child_id: int, activity_id: int, day: date) -> Attendance | None:
    return db.read(lambda s: s.execute(select(Attendance).where(
        col(Attendance.child_id) == child_id, col(Attendance.activity_id) == activity_id,
        col(Attendance.day) == day)).scalar_one_or_none())


def _audits(db: Database, action: str = "attendance.mark") -> list[dict[str, object]]:
    rows = db.read(lambda s: list(s.execute(select(AuditLog).where(col(AuditLog.action) == action)
                                            .order_by(col(AuditLog.id))).scalars()))
    return [json.loads(r.details) | {"_actor": r.actor, "_entity_id": r.entity_id} for r in rows]


# --------------------------------------------------------------------- the list


def test_the_list_is_the_confirmed_bookings_alphabetical_with_class_and_pick_up(agent_ctx: Context,
                                                                                town: Town) -> None:
    rs = town.activities["RS"]
    whole = attendance.pointage_list(agent_ctx, rs, FRIDAY)
    assert [(r.last_name, r.first_name) for r in whole.rows] == [
        ("DURAND", "Jade"), ("MARTIN", "Léa"), ("MARTIN", "Noé"), ("PETIT", "Hugo")]  # Chloé's was cancelled
    assert whole.schools == (COQUELICOTS, JEAN_MOULIN)  # the set-up's order
    assert {r.state_text for r in whole.rows} == {"réservé"}
    assert whole.window is Window.OPEN and whole.notice == ""
    by_name = {r.first_name: r for r in whole.rows}
    assert by_name["Léa"].pick_up == "Mamie Martin (grand-mère)"
    assert by_name["Noé"].pick_up == "Mamie Martin (grand-mère), Tata Zoé (tante)"
    assert by_name["Jade"].pick_up == "" and by_name["Jade"].school_class == "CE2"
    school = attendance.pointage_list(agent_ctx, rs, FRIDAY, JEAN_MOULIN)
    assert [r.first_name for r in school.rows] == ["Jade", "Léa", "Hugo"]
    assert school.schools == whole.schools
    assert [a.code for a in attendance.pointage_activities(agent_ctx, FRIDAY)] == ["RS", "APSM", "APSS", "APSF"]
    assert attendance.pointage_activities(agent_ctx, date(2026, 11, 29)) == []  # Sunday
    late = attendance.pointage_list(agent_ctx, rs, LATE_DAY)
    assert late.window is Window.LATE and "seul un régisseur" in late.notice


def test_a_period_booking_puts_the_child_on_each_day_of_its_period(agent_ctx: Context, town: Town, db: Database,
                                                                   clock) -> None:  # type: ignore[no-untyped-def]
    def work(s: Session) -> None:
        s.add(Booking(regie_id=town.regie_id, family_id=town.families["DURAND"], child_id=town.children["Jade"],
                      activity_id=town.activities["CLV"], period_id=town.periods["noel-s1"], status="confirmed",
                      price_cents=3600, created_at=CREATED, created_by="agent:guichet"))

    db.write(work)
    clock.set(datetime(2026, 12, 22, 10, 0, tzinfo=PARIS))
    clv = town.activities["CLV"]
    assert [r.first_name for r in attendance.pointage_list(agent_ctx, clv, date(2026, 12, 22)).rows] == ["Jade"]
    assert attendance.pointage_list(agent_ctx, clv, date(2026, 12, 25)).rows == ()  # Christmas: not covered
    attendance.mark(agent_ctx, clv, date(2026, 12, 22), town.children["Jade"], "absent")
    assert [(c.label, c.count) for c in attendance.unmarked(agent_ctx, date(2026, 12, 22))] == []
    assert [(c.label, c.count) for c in attendance.unmarked(agent_ctx, date(2026, 12, 21))] == [
        ("CENTRE DE LOISIRS VACANCES", 1)]


# --------------------------------------------------------------------- states


@pytest.mark.parametrize("state", ["present", "absent", "absent_justifie"])
def test_each_state_is_recorded_billed_and_audited(agent_ctx: Context, town: Town, db: Database, state: str) -> None:
    rs, lea = town.activities["RS"], town.children["Léa"]
    result = attendance.mark(agent_ctx, rs, FRIDAY, lea, state)
    assert result.changed and result.state == state and result.previous_state is None
    row = _attendance(db, lea, rs, FRIDAY)
    assert row is not None and row.state == state and row.billed  # a justified absence: billed until justified
    assert row.family_id == town.families["MARTIN"] and row.marked_by == "agent:guichet"
    assert row.booking_id is not None
    (audit,) = _audits(db)
    assert audit["previous_state"] == "reserve" and audit["state"] == state and audit["_actor"] == "agent:guichet"
    listed = {r.first_name: r for r in attendance.pointage_list(agent_ctx, rs, FRIDAY).rows}
    assert listed["Léa"].state == state and listed["Noé"].state is None


def test_a_change_is_audited_with_the_previous_state_and_keeps_a_justification(
        agent_ctx: Context, town: Town, db: Database) -> None:
    rs, lea = town.activities["RS"], town.children["Léa"]
    attendance.mark(agent_ctx, rs, FRIDAY, lea, "absent")
    attendance.mark(agent_ctx, rs, FRIDAY, lea, "absent_justifie")
    # The justification arrives (h7's service sets these): not billed.
    db.write(lambda s: s.execute(update(Attendance).where(col(Attendance.child_id) == lea).values(
        billed=False, justification_reason="certificat", justification_received_on=FRIDAY)))
    again = attendance.mark(agent_ctx, rs, FRIDAY, lea, "absent_justifie")
    assert not again.changed and not again.billed
    back = attendance.mark(agent_ctx, rs, FRIDAY, lea, "present")
    assert back.previous_state == "absent_justifie" and back.billed
    row = _attendance(db, lea, rs, FRIDAY)
    assert row is not None and row.billed and row.justification_reason == "certificat"  # kept, not cleared
    assert [(a["previous_state"], a["state"]) for a in _audits(db)] == [
        ("reserve", "absent"), ("absent", "absent_justifie"), ("absent_justifie", "present")]
    # Justified again: the justification already received decides, as before.
    db.write(lambda s: s.execute(update(Attendance).where(col(Attendance.child_id) == lea).values(billed=False)))
    assert attendance.mark(agent_ctx, rs, FRIDAY, lea, "absent_justifie").billed is False


def test_billed_after_a_mark() -> None:
    assert billed_after_mark("present", previous_billed=False, justification_received_on=FRIDAY)
    assert billed_after_mark("absent_justifie", previous_billed=None, justification_received_on=None)
    assert billed_after_mark("absent_justifie", previous_billed=True, justification_received_on=None)
    assert not billed_after_mark("absent_justifie", previous_billed=False, justification_received_on=FRIDAY)


def test_late_arrival_and_early_departure_times(agent_ctx: Context, town: Town, db: Database) -> None:
    apss, lea = town.activities["APSS"], town.children["Léa"]  # 16:30–18:30
    attendance.mark(agent_ctx, apss, FRIDAY, lea, "present", arrived_at=time(17, 5))
    attendance.mark(agent_ctx, apss, FRIDAY, lea, "present", arrived_at=time(17, 5), left_at=time(18, 0))
    (row,) = [r for r in attendance.pointage_list(agent_ctx, apss, FRIDAY).rows]
    assert row.times_text == "arrivé 17:05 · parti 18:00"
    audits = _audits(db)
    assert audits[-1]["previous_left_at"] == "" and audits[-1]["left_at"] == "18:00"
    for arrived, left, message in ((time(19, 0), None, "hors des horaires"), (None, time(16, 0), "hors des horaires"),
                                   (time(18, 0), time(17, 0), "avant l'arrivée")):
        with pytest.raises(ServiceError, match=message):
            attendance.mark(agent_ctx, apss, FRIDAY, lea, "present", arrived_at=arrived, left_at=left)
    with pytest.raises(ServiceError, match="enfant présent"):
        attendance.mark(agent_ctx, apss, FRIDAY, lea, "absent", arrived_at=time(17, 0))
    row2 = _attendance(db, lea, apss, FRIDAY)
    assert row2 is not None and (row2.arrived_at, row2.left_at) == (time(17, 5), time(18, 0))  # nothing changed
    assert parse_clock_time("17h30") == time(17, 30) == parse_clock_time("1730") == parse_clock_time(" 17:30 ")
    assert parse_clock_time("8h") == time(8, 0) and parse_clock_time("805") == time(8, 5)
    for bad in ("25:00", "17:75", "abc", "", "17:3"):
        with pytest.raises(ValueError, match="HH:MM"):
            parse_clock_time(bad)


def test_a_child_without_booking_is_refused_and_nothing_is_written(agent_ctx: Context, town: Town,
                                                                  db: Database) -> None:
    with pytest.raises(ServiceError, match="pas de réservation confirmée"):
        attendance.mark(agent_ctx, town.activities["RS"], FRIDAY, town.children["Chloé"], "present")
    with pytest.raises(ServiceError, match="inconnu"):
        attendance.mark(agent_ctx, town.activities["RS"], FRIDAY, town.children["Léa"], "malade")
    assert _audits(db) == [] and _attendance(db, town.children["Chloé"], town.activities["RS"], FRIDAY) is None


# --------------------------------------------------------------------- P3 window


def test_marking_window() -> None:
    assert marking_window(FRIDAY, date(2026, 11, 26), 7) is Window.EARLY
    assert marking_window(FRIDAY, FRIDAY, 7) is Window.OPEN
    assert marking_window(FRIDAY, date(2026, 12, 4), 7) is Window.OPEN
    assert marking_window(FRIDAY, date(2026, 12, 5), 7) is Window.LATE


def test_not_before_the_day_and_régisseur_only_after_the_deadline(agent_ctx: Context, regisseur_ctx: Context,
                                                                  town: Town, db: Database) -> None:
    rs, lea = town.activities["RS"], town.children["Léa"]
    with pytest.raises(ServiceError, match="qu'à partir de ce jour"):
        attendance.mark(agent_ctx, rs, MONDAY, lea, "present")
    with pytest.raises(ServiceError, match="qu'à partir de ce jour"):
        attendance.mark(regisseur_ctx, rs, MONDAY, lea, "present")
    with pytest.raises(PermissionDenied, match="seul un régisseur"):
        attendance.mark(agent_ctx, rs, LATE_DAY, lea, "absent")
    with pytest.raises(PermissionDenied, match="seul un régisseur"):
        attendance.mark_all_present(agent_ctx, rs, LATE_DAY)
    with pytest.raises(PermissionDenied, match="seul un régisseur"):
        attendance.add_unbooked(agent_ctx, rs, LATE_DAY, town.children["Chloé"])
    assert _audits(db) == []
    attendance.mark(regisseur_ctx, rs, LATE_DAY, lea, "absent")
    (audit,) = _audits(db)
    assert audit["after_deadline"] is True and audit["_actor"] == "agent:chef"
    # The régie's deadline is data: 20 days and the agent may again.
    db.write(lambda s: s.execute(update(Regie).values(attendance_deadline_days=20)))
    attendance.mark(agent_ctx, rs, LATE_DAY, lea, "present")
    with pytest.raises(PermissionDenied):
        attendance.mark(agent_ctx.as_actor(Actor(kind="famille", login="f", regie_id=town.regie_id)), rs, FRIDAY,
                        lea, "present")


# --------------------------------------------------------------------- tous présents


def test_all_present_marks_only_the_unmarked_of_the_school(agent_ctx: Context, town: Town, db: Database) -> None:
    rs = town.activities["RS"]
    attendance.mark(agent_ctx, rs, FRIDAY, town.children["Jade"], "absent")
    assert attendance.mark_all_present(agent_ctx, rs, FRIDAY, JEAN_MOULIN) == 2  # Léa, Hugo
    states = {r.first_name: r.state for r in attendance.pointage_list(agent_ctx, rs, FRIDAY).rows}
    assert states == {"Jade": "absent", "Léa": "present", "Hugo": "present", "Noé": None}
    assert attendance.mark_all_present(agent_ctx, rs, FRIDAY, JEAN_MOULIN) == 0
    assert attendance.mark_all_present(agent_ctx, rs, FRIDAY) == 1  # Noé
    audits = _audits(db)
    assert len(audits) == 4 and all(a["previous_state"] == "reserve" for a in audits)
    assert sum(1 for a in audits if a.get("all_present")) == 3


# --------------------------------------------------------------------- présent non inscrit


def test_an_unbooked_presence_is_billed_at_the_surcharge(agent_ctx: Context, town: Town, db: Database) -> None:
    rs, chloe, bernard = town.activities["RS"], town.children["Chloé"], town.families["BERNARD"]
    before = wallet.wallet_figures(agent_ctx, bernard).solde_cents
    taken_before = db.read(lambda s: s.execute(select(col(Booking.id))).all())
    added = attendance.add_unbooked(agent_ctx, rs, FRIDAY, chloe)
    assert added.price_cents == 550 and added.family_id == bernard
    assert wallet.wallet_figures(agent_ctx, bernard).solde_cents == before - 550
    booking = db.read(lambda s: s.get(Booking, added.booking_id))
    assert booking is not None and booking.status == "confirmed" and booking.created_by == "agent:guichet"
    assert len(db.read(lambda s: s.execute(select(col(Booking.id))).all())) == len(taken_before) + 1
    row = _attendance(db, chloe, rs, FRIDAY)
    assert row is not None and row.state == "present_non_inscrit" and row.billed
    listed = {r.first_name: r for r in attendance.pointage_list(agent_ctx, rs, FRIDAY, "Sans école").rows}
    assert listed["Chloé"].state_text == "présent non inscrit"
    (audit,) = _audits(db)
    assert audit["state"] == "present_non_inscrit" and audit["previous_state"] == "reserve"
    assert any(a.get("unbooked_presence") for a in _audits(db, "booking.create"))
    # Twice, or for a booked child: refused, nothing changes.
    with pytest.raises(ServiceError, match="déjà pointé"):
        attendance.add_unbooked(agent_ctx, rs, FRIDAY, chloe)
    with pytest.raises(ServiceError, match="déjà une réservation confirmée"):
        attendance.add_unbooked(agent_ctx, rs, FRIDAY, town.children["Léa"])
    with pytest.raises(ServiceError, match="ne peut pas être marqué absent"):
        attendance.mark(agent_ctx, rs, FRIDAY, chloe, "absent")
    attendance.mark(agent_ctx, rs, FRIDAY, chloe, "present", arrived_at=time(12, 10))  # its times only
    row = _attendance(db, chloe, rs, FRIDAY)
    assert row is not None and row.state == "present_non_inscrit" and row.arrived_at == time(12, 10)
    assert wallet.wallet_figures(agent_ctx, bernard).solde_cents == before - 550


def test_a_zero_surcharge_and_a_day_without_the_activity(agent_ctx: Context, town: Town, db: Database) -> None:
    apsm, chloe = town.activities["APSM"], town.children["Chloé"]
    assert attendance.add_unbooked(agent_ctx, apsm, FRIDAY, chloe).price_cents == 0
    with pytest.raises(ServiceError, match="pas d'activité"):
        attendance.add_unbooked(agent_ctx, town.activities["CLM"], FRIDAY, chloe)  # Wednesdays only
    with pytest.raises(ServiceError, match="Enfant introuvable"):
        attendance.add_unbooked(agent_ctx, apsm, THURSDAY, chloe, family_id=town.families["MARTIN"])


def test_the_child_search_finds_children_by_their_name_or_their_family(agent_ctx: Context, town: Town) -> None:
    assert [(h.first_name, h.family_name) for h in attendance.search_children(agent_ctx, "noé")] == [
        ("Noé", "MARTIN"), ("Noé", "DURAND")]  # shared custody: once per family
    assert [h.first_name for h in attendance.search_children(agent_ctx, "martin")] == ["Léa", "Noé", "Noé"]
    assert attendance.search_children(agent_ctx, "zzz") == []


# --------------------------------------------------------------------- P6


def test_unmarked_bookings_are_counted_per_activity(agent_ctx: Context, regisseur_ctx: Context, town: Town,
                                                    clock) -> None:  # type: ignore[no-untyped-def]
    rs, apss = town.activities["RS"], town.activities["APSS"]
    counts = attendance.unmarked(agent_ctx, FRIDAY)
    assert [(c.label, c.count) for c in counts] == [("RESTAURANT SCOLAIRE", 4), ("APS SOIR", 1)]
    attendance.mark(agent_ctx, rs, FRIDAY, town.children["Léa"], "present")
    attendance.mark(agent_ctx, rs, FRIDAY, town.children["Noé"], "absent")
    # Saturday morning: the previous service day is Friday, « hier ».
    assert attendance.unmarked_notice(regisseur_ctx) == (
        "3 pointages non faits hier (RESTAURANT SCOLAIRE : 2, APS SOIR : 1)")
    clock.set(datetime(2026, 11, 30, 8, 0, tzinfo=PARIS))  # Monday: Friday still
    assert attendance.unmarked_notice(regisseur_ctx) == (
        "3 pointages non faits le vendredi 27 novembre (RESTAURANT SCOLAIRE : 2, APS SOIR : 1)")
    clock.set(datetime(2026, 11, 28, 10, 0, tzinfo=PARIS))
    attendance.mark_all_present(agent_ctx, rs, FRIDAY)
    attendance.mark_all_present(agent_ctx, apss, FRIDAY)
    assert attendance.unmarked(agent_ctx, FRIDAY) == []
    assert attendance.unmarked_notice(regisseur_ctx) is None


def test_previous_service_day_and_wording() -> None:
    from portail_tui.domain.booking_rules import ActivityRule
    from portail_tui.domain.pointage import UnmarkedCount
    from portail_tui.domain.school_calendar import SchoolCalendar

    rs = ActivityRule(1, "RS", "RESTAURANT SCOLAIRE", "R", time(11, 45), time(13, 30))
    cal = SchoolCalendar("A")
    assert previous_service_day([rs], date(2026, 11, 30), cal) == FRIDAY  # Monday → Friday
    assert previous_service_day([rs], date(2026, 11, 27), cal) == THURSDAY
    assert previous_service_day([rs], date(2026, 11, 27), SchoolCalendar("A", closures=frozenset({THURSDAY}))) == (
        date(2026, 11, 24))  # Thursday closed, Wednesday not a canteen day
    assert unmarked_wording(FRIDAY, date(2026, 11, 28), [UnmarkedCount(1, "RS", 1)]) == (
        "1 pointage non fait hier (RS : 1)")
    assert unmarked_wording(FRIDAY, date(2026, 11, 28), [UnmarkedCount(1, "RS", 0)]) is None


def test_two_agents_marking_the_same_child_at_once(agent_ctx: Context, regisseur_ctx: Context, town: Town,
                                                   db: Database) -> None:
    """Both marks land, one after the other: the second one's previous state is the
    first one's (a lost insert race is replayed as an update), one row, two audits."""
    import threading

    rs = town.activities["RS"]
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []

    def run(ctx: Context, child: str, state: str) -> None:
        barrier.wait()
        try:
            attendance.mark(ctx, rs, FRIDAY, town.children[child], state)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def run_all() -> None:
        barrier.wait()
        try:
            attendance.mark_all_present(regisseur_ctx, rs, FRIDAY)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(agent_ctx, "Léa", "absent")),
               threading.Thread(target=run, args=(regisseur_ctx, "Léa", "absent_justifie")),
               threading.Thread(target=run_all)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    row = _attendance(db, town.children["Léa"], rs, FRIDAY)
    assert row is not None
    lea = [a for a in _audits(db) if a["child_id"] == town.children["Léa"]]
    assert lea[0]["previous_state"] == "reserve"
    assert [a["previous_state"] for a in lea[1:]] == [a["state"] for a in lea[:-1]]
    assert lea[-1]["state"] == row.state
    assert {r.first_name for r in attendance.pointage_list(agent_ctx, rs, FRIDAY).rows if r.state is None} == set()
