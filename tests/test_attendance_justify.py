"""Justified absences (P2) on both engines: each attendance state and its billing,
the carence day, the delay, the refusals that change nothing, and the wallet,
histories and statements following the one R6 condition."""

from __future__ import annotations

import io
import json
from datetime import date, datetime, time

import pytest
from pypdf import PdfReader
from sqlalchemy import select, text, update

from portail_tui.clock import PARIS, FixedClock
from portail_tui.db import Database
from portail_tui.models import Attendance, AuditLog, Booking, Regie
from portail_tui.services import history as h
from portail_tui.services import wallet
from portail_tui.services.attendance_justify import (
    justifiable_days,
    justification_policy,
    record_justification,
)
from portail_tui.services.context import Context, ServiceError
from portail_tui.services.family_changes import family_change_seq
from tests.support.payments_town import NOW, Seed, book, seed

TODAY = date(2026, 11, 20)  # Friday
MON, TUE, WED, THU = date(2026, 11, 9), date(2026, 11, 10), date(2026, 11, 11), date(2026, 11, 12)
PRICE = 400


def _ctx(db: Database, sd: Seed, today: date = TODAY) -> Context:
    clock = FixedClock(datetime.combine(today, time(10, 0), tzinfo=PARIS))
    return Context(db=db, clock=clock).as_actor(sd.agent)


@pytest.fixture
def town(db: Database) -> Seed:
    sd = seed(db)
    for d in (MON, TUE, THU, date(2026, 11, 13), date(2026, 11, 16), date(2026, 11, 17)):
        book(db, sd, d, PRICE)
    return sd


def _marks(db: Database) -> dict[date, Attendance]:
    return db.read(lambda s: {a.day: a for a in s.execute(select(Attendance)).scalars()})


def _consumed(db: Database, sd: Seed) -> int:
    return wallet.wallet_figures(_ctx(db, sd), sd.family_id).consumed_cents


def _mark(db: Database, sd: Seed, day: date, state: str) -> None:
    def work(s):  # type: ignore[no-untyped-def]
        b = s.execute(select(Booking).where(Booking.day == day)).scalars().one()
        s.add(Attendance(regie_id=sd.regie_id, booking_id=b.id, family_id=b.family_id, child_id=b.child_id,
                         activity_id=b.activity_id, day=day, state=state, marked_at=NOW,
                         marked_by="agent:agent"))

    db.write(work)


def _set_regie(db: Database, sd: Seed, **values: object) -> None:
    db.write(lambda s: s.execute(update(Regie).where(Regie.id == sd.regie_id).values(**values)))


def test_in_time_waives_every_day_and_the_wallet_follows(db: Database, town: Seed) -> None:
    before = _consumed(db, town)
    ctx = _ctx(db, town)
    result = record_justification(ctx, town.family_id, town.child_id, [MON, TUE], "certificat", date(2026, 11, 12),
                                  "Gastro")
    assert result.waived == (MON, TUE) and result.billed == ()
    assert "2 jours non facturés" in result.message
    marks = _marks(db)
    assert {d: (m.state, m.billed) for d, m in marks.items()} == {
        MON: ("absent_justifie", False), TUE: ("absent_justifie", False)}
    assert marks[MON].justification_reason == "certificat"
    assert marks[MON].justification_received_on == date(2026, 11, 12)
    assert marks[MON].justification_note == "Gastro"
    assert _consumed(db, town) == before - 2 * PRICE
    # The Solde screen's list and the histories count the same bookings.
    details = wallet.solde_details(ctx, town.family_id)
    assert sum(line.price_cents for line in details.consumed) == before - 2 * PRICE
    assert db.read(lambda s: wallet.consumed_cents(s, town.family_id, TODAY)) == before - 2 * PRICE


def test_jour_de_carence_bills_the_first_day_of_each_illness(db: Database, town: Seed) -> None:
    _set_regie(db, town, bill_first_sick_day=True)
    before = _consumed(db, town)
    # Mon–Tue then (back on Thursday? no: Thursday and Friday absent too, Wednesday not booked) one illness;
    # Monday 16 after a week-end still the same illness.
    result = record_justification(_ctx(db, town), town.family_id, town.child_id,
                                  [MON, TUE, THU, date(2026, 11, 13), date(2026, 11, 16)], "hospitalisation",
                                  date(2026, 11, 17))
    assert result.billed == (MON,)
    assert "jour de carence facturé : 09/11/2026" in result.message
    assert _consumed(db, town) == before - 4 * PRICE
    assert _marks(db)[MON].billed is True and _marks(db)[MON].state == "absent_justifie"


def test_two_illnesses_two_carence_days(db: Database, town: Seed) -> None:
    _set_regie(db, town, bill_first_sick_day=True)
    # Back at school on Tuesday (booked, not among the days): Monday and Thursday are two illnesses.
    result = record_justification(_ctx(db, town), town.family_id, town.child_id, [MON, THU], "autre", THU)
    assert result.billed == (MON, THU) and result.waived == ()


def test_late_justification_is_refused_and_nothing_changes(db: Database, town: Seed) -> None:
    _mark(db, town, TUE, "absent")
    before = _consumed(db, town)
    with pytest.raises(ServiceError) as err:
        record_justification(_ctx(db, town), town.family_id, town.child_id, [TUE], "certificat", TODAY)
    assert err.value.message == (
        "Justificatif reçu le 20/11/2026 : le délai de 7 jours après l'absence du 10/11/2026 est dépassé.")
    assert {d: (m.state, m.billed) for d, m in _marks(db).items()} == {TUE: ("absent", True)}
    assert _consumed(db, town) == before
    assert db.read(lambda s: s.execute(select(AuditLog).where(AuditLog.action == "attendance.justify")).first()) is None


def test_the_regie_delay_is_a_setting(db: Database, town: Seed) -> None:
    _set_regie(db, town, justification_delay_days=10)
    result = record_justification(_ctx(db, town), town.family_id, town.child_id, [TUE], "certificat", TODAY)
    assert result.waived == (TUE,)


def test_a_day_without_booking_is_refused(db: Database, town: Seed) -> None:
    with pytest.raises(ServiceError, match="Aucune réservation confirmée de Léa le 11/11/2026"):
        record_justification(_ctx(db, town), town.family_id, town.child_id, [TUE, WED], "certificat", THU)
    assert _marks(db) == {}


def test_a_cancelled_booking_is_nothing_to_justify(db: Database, town: Seed) -> None:
    book(db, town, WED, PRICE, status="cancelled")
    with pytest.raises(ServiceError, match="rien à justifier"):
        record_justification(_ctx(db, town), town.family_id, town.child_id, [WED], "certificat", THU)


def test_a_day_marked_present_is_refused(db: Database, town: Seed) -> None:
    _mark(db, town, MON, "present")
    with pytest.raises(ServiceError, match="pointé présent le 09/11/2026"):
        record_justification(_ctx(db, town), town.family_id, town.child_id, [MON, TUE], "certificat", TUE)
    assert {d: m.state for d, m in _marks(db).items()} == {MON: "present"}


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"days": []}, "jours"),
    ({"reason": "grippe"}, "motif"),
    ({"received_on": date(2026, 11, 21)}, "reçu le"),
    ({"days": [date(2026, 11, 23)]}, "jours"),
    ({"note": "x" * 301}, "observation"),
])
def test_bad_input_is_refused_in_place(db: Database, town: Seed, kwargs: dict[str, object], field: str) -> None:
    args: dict[str, object] = {"days": [MON], "reason": "certificat", "received_on": TUE, "note": ""}
    args.update(kwargs)
    with pytest.raises(ServiceError) as err:
        record_justification(_ctx(db, town), town.family_id, town.child_id, **args)  # type: ignore[arg-type]
    assert err.value.field == field
    assert _marks(db) == {}


def test_an_absent_mark_becomes_justified_audited_with_its_previous_state(db: Database, town: Seed) -> None:
    _mark(db, town, TUE, "absent")
    record_justification(_ctx(db, town), town.family_id, town.child_id, [TUE], "certificat", THU, "  Angine  ")
    mark = _marks(db)[TUE]
    assert (mark.state, mark.billed, mark.marked_by) == ("absent_justifie", False, "agent:agent")
    rows = db.read(lambda s: s.execute(select(AuditLog).where(AuditLog.action == "attendance.justify")).scalars().all())
    assert len(rows) == 1 and rows[0].family_id == town.family_id
    details = json.loads(rows[0].details)
    assert details["previous"]["state"] == "absent" and details["billed"] is False
    assert details["note"] == "Angine" and details["day"] == "2026-11-10"


def test_justifiable_days_lists_past_booked_days_with_their_state(db: Database, town: Seed) -> None:
    _mark(db, town, MON, "present")
    record_justification(_ctx(db, town), town.family_id, town.child_id, [TUE], "certificat", THU)
    days = justifiable_days(_ctx(db, town, date(2026, 11, 16)), town.family_id, town.child_id,
                            date(2026, 11, 1), date(2026, 11, 30))
    assert [(d.day, d.state) for d in days] == [
        (TUE, "absence justifiée — non facturée"), (THU, "réservé"), (date(2026, 11, 13), "réservé"),
        (date(2026, 11, 16), "réservé")]
    assert days[0].activities == "RESTAURANT SCOLAIRE" and days[0].justified


def test_histories_and_statement_show_the_waived_line_at_zero(db: Database, town: Seed) -> None:
    ctx = _ctx(db, town)
    record_justification(ctx, town.family_id, town.child_id, [MON], "certificat", TUE)
    _mark(db, town, TUE, "absent")
    _mark(db, town, THU, "present")
    history = h.consumption_history(ctx, town.family_id, h.Month(2026, 11))
    by_day = {ln.day: ln for ln in history.lines}
    assert by_day[MON].state == "absence justifiée — non facturée" and by_day[MON].charged_cents == 0
    assert by_day[TUE].state == "absent" and by_day[TUE].charged_cents == PRICE
    assert by_day[THU].state == "présent"
    # Nobody marked Friday: still « consommé » (billed as booked), its mark « réservé ».
    assert by_day[date(2026, 11, 13)].state == "consommé" and by_day[date(2026, 11, 13)].attendance == "reserve"
    assert by_day[MON].attendance == "absent_justifie" and by_day[THU].attendance == "present"
    assert history.total_cents == 5 * PRICE == _consumed(db, town)
    table = h.consumptions_table(history)
    row = next(r for r in table.rows if r[0] == MON)
    assert row[3] == "absence justifiée — non facturée" and row[4] == 0
    csv_text = h.consumptions_file(ctx, history, "csv").data.decode("utf-8-sig")
    assert "absence justifiée — non facturée" in csv_text
    assert "03/11/2026;" not in csv_text and "09/11/2026;Léa;RESTAURANT SCOLAIRE;absence justifiée — non facturée;0,00" \
        in csv_text
    pdf = h.consumptions_file(ctx, history, "pdf")
    reader = PdfReader(io.BytesIO(pdf.data))
    text = "\n".join(p.extract_text() for p in reader.pages).replace("\xa0", " ").replace("\u202f", " ")
    assert "absence justifiée — non" in text and "0,00 €" in text
    assert "Les absences justifiées dans le délai ne sont pas facturées." in text.replace("\n", " ")


def test_the_attendance_filter_keeps_one_state(db: Database, town: Seed) -> None:
    ctx = _ctx(db, town)
    record_justification(ctx, town.family_id, town.child_id, [MON], "certificat", TUE)
    _mark(db, town, TUE, "absent")
    book(db, town, WED, PRICE, status="cancelled")
    month = h.Month(2026, 11)
    justified = h.consumption_history(ctx, town.family_id, month, attendance="absent_justifie")
    assert [ln.day for ln in justified.lines] == [MON] and justified.total_cents == 0
    assert justified.filter.describe() == "état « absence justifiée »"
    assert [ln.day for ln in h.consumption_history(ctx, town.family_id, month, attendance="absent").lines] == [TUE]
    unmarked = h.consumption_history(ctx, town.family_id, month, attendance="reserve")
    assert [ln.day for ln in unmarked.lines] == [THU, date(2026, 11, 13), date(2026, 11, 16), date(2026, 11, 17)]
    with pytest.raises(ServiceError, match="État inconnu"):
        h.consumption_history(ctx, town.family_id, month, attendance="malade")


def test_screens_showing_the_family_are_told(db: Database, town: Seed) -> None:
    ctx = _ctx(db, town)
    """The attendance triggers (migration 0018) bump the family's counter, whoever writes
    the mark: a justification (insert, then update) and a mark written outside the services."""
    before = family_change_seq(ctx, town.family_id)
    record_justification(ctx, town.family_id, town.child_id, [TUE], "certificat", THU)
    after_insert = family_change_seq(ctx, town.family_id)
    assert after_insert > before
    record_justification(ctx, town.family_id, town.child_id, [TUE], "autre", THU)
    after_update = family_change_seq(ctx, town.family_id)
    assert after_update > after_insert
    ctx.db.write(lambda s: s.execute(text("UPDATE attendance SET justification_note = 'appel du père'")))
    assert family_change_seq(ctx, town.family_id) > after_update


def test_the_policy_in_words(db: Database, town: Seed) -> None:
    ctx = _ctx(db, town)
    assert justification_policy(ctx) == ("Justificatif accepté jusqu'à 7 jours après l'absence ;"
                                         " les jours justifiés ne sont pas facturés.")
    _set_regie(db, town, bill_first_sick_day=True, justification_delay_days=1)
    assert justification_policy(ctx) == ("Justificatif accepté jusqu'à 1 jour après l'absence ; le premier jour"
                                         " de chaque absence reste facturé (jour de carence).")


def test_a_second_certificate_prolongs_the_illness_without_a_second_carence_day(db: Database, town: Seed) -> None:
    _set_regie(db, town, bill_first_sick_day=True)
    ctx = _ctx(db, town)
    first = record_justification(ctx, town.family_id, town.child_id, [MON, TUE], "certificat", TUE)
    assert first.billed == (MON,) and first.waived == (TUE,)
    # Thursday and Friday (no Wednesday booking): the same illness, prolonged.
    second = record_justification(ctx, town.family_id, town.child_id, [THU, date(2026, 11, 13)], "certificat", THU)
    assert second.billed == () and second.waived == (THU, date(2026, 11, 13))
    # Back at school on Monday 16, ill again on Tuesday 17: a new illness, a new carence day.
    third = record_justification(ctx, town.family_id, town.child_id, [date(2026, 11, 17)], "autre", TODAY)
    assert third.billed == (date(2026, 11, 17),)
