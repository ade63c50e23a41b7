"""Lists of the service day (P4): meal counts for the kitchen against the bookings and
marks, PAI names only, never the santé form; attendance sheets; the nightly kitchen
e-mail once per school and day. Both engines."""

from __future__ import annotations

import io
from datetime import date, time

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from portail_tui.models import OutboxMessage
from portail_tui.services.context import Context, ServiceError
from portail_tui.services.nightly import KITCHEN, run_nightly
from portail_tui.services.service_day import kitchen
from portail_tui.services.service_day.common import NO_SCHOOL, format_hours, week_of
from portail_tui.services.service_day.meals import meal_counts, meals_file
from portail_tui.services.service_day.sheets import attendance_sheets, sheets_file
from tests.support import service_day_town as sd

THU = date(2026, 11, 26)
FRI = date(2026, 11, 27)


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def town(ctx: Context) -> sd.DayTown:
    dt = sd.build(ctx.db)
    db = ctx.db
    sd.book(db, dt, "Léa", "RS", THU)
    noe = sd.book(db, dt, "Noé", "RS", THU)
    sd.mark(db, dt, "Noé", "RS", THU, "absent", booking_id=noe)
    sd.book(db, dt, "Jade", "RS", THU)
    hugo = sd.book(db, dt, "Hugo", "RS", THU)
    sd.mark(db, dt, "Hugo", "RS", THU, "present", booking_id=hugo)
    sd.book(db, dt, "Chloé", "RS", THU, status="cancelled")
    sd.mark(db, dt, "Chloé", "RS", THU, "present_non_inscrit")  # no booking behind it
    sd.book(db, dt, "Léa", "APSS", THU)  # not a meal
    sd.book(db, dt, "Hugo", "RS", FRI, status="waiting")
    sd.book(db, dt, "Noé", "RS", FRI)
    return dt


def test_meal_counts_follow_bookings_and_marks(ctx: Context, town: sd.DayTown) -> None:
    counts = meal_counts(ctx, [THU])
    got = {(r.school.label, r.day): r.counts for r in counts.rows}
    # standard, sans porc, sans viande, PAI panier
    assert got == {
        ("École Jules Ferry", THU): (1, 0, 0, 0),  # Léa; Noé marked absent
        ("École Pasteur", THU): (0, 0, 1, 1),  # Hugo (present), Jade (PAI)
        (NO_SCHOOL, THU): (1, 0, 0, 0),  # Chloé present without booking
    }
    assert counts.total == 3 + 1
    assert [(p.child_name, p.school_class, p.school.label) for p in counts.pai] == [
        ("DURAND Jade", "CM1", "École Pasteur")]
    week = meal_counts(ctx, week_of(THU))
    assert week.days == week_of(THU)
    assert week.total == 5  # + Noé on Friday; Hugo's waiting-list booking is no meal
    assert week.by_school() == {"École Jules Ferry": 2, "École Pasteur": 2, NO_SCHOOL: 1}


def test_kitchen_list_names_only_pai_children(ctx: Context, town: sd.DayTown) -> None:
    counts = meal_counts(ctx, week_of(THU))
    pdf = _pdf_text(meals_file(ctx, counts, "pdf").data)
    csv = meals_file(ctx, counts, "csv").data.decode("utf-8-sig")
    for text in (pdf, csv):
        assert "DURAND Jade" in text and "PAI panier repas" in text
        for name in ("Léa", "Noé", "Hugo", "Chloé", "MARTIN", "PETIT", "BERNARD"):
            assert name not in text
        assert sd.SECRET not in text
    assert "Semaine du lundi 23 novembre 2026 au vendredi 27 novembre 2026" in pdf
    lines = csv.splitlines()
    assert lines[:2] == ["Repas par école et par régime", "Jour;École;Standard;Sans porc;Sans viande;PAI panier repas;Total"]
    assert "26/11/2026;École Pasteur;0;0;1;1;2" in lines
    assert "Total;;2;1;1;1;5" in lines
    assert meals_file(ctx, counts, "csv").filename == "repas-semaine-2026-11-23.csv"


def test_attendance_sheet_lists_children_with_pick_up(ctx: Context, town: sd.DayTown) -> None:
    db = ctx.db
    for child in ("Noé", "Hugo"):
        sd.book(db, town, child, "APSS", THU)
    sd.book(db, town, "Jade", "APSS", THU, status="cancelled")
    sheets = attendance_sheets(ctx, THU, "apss")
    assert sheets.pick_up and sheets.children == 3
    assert [(s.school.label, [x.name for x in s.lines]) for s in sheets.sheets] == [
        ("École Jules Ferry", ["MARTIN Léa", "MARTIN Noé"]), ("École Pasteur", ["PETIT Hugo"])]
    lea, noe = sheets.sheets[0].lines
    assert lea.pick_up == "GRAND-MÈRE Odette ; VOISINE Anne" and lea.school_class == "CE2"
    assert noe.pick_up == "GRAND-MÈRE Odette"  # the neighbour is for Léa only; the uncle may not
    text = _pdf_text(sheets_file(ctx, sheets).data)
    for expected in ("Feuille d'émargement — APS SOIR", "Jeudi 26 novembre 2026", "MARTIN Léa", "PETIT Hugo",
                     "À récupérer par", "Signature", "☐", "École Jules Ferry — 2 enfants attendus"):
        assert expected in text
    assert "ONCLE" not in text and "DURAND" not in text and sd.SECRET not in text
    only = attendance_sheets(ctx, THU, "APSS", "pa")
    assert [[x.name for x in s.lines] for s in only.sheets] == [["PETIT Hugo"]]
    canteen = attendance_sheets(ctx, THU, "RS")
    assert not canteen.pick_up
    assert "Signature" not in _pdf_text(sheets_file(ctx, canteen).data)


def test_attendance_sheet_refuses_unknown_activity_or_school(ctx: Context, town: sd.DayTown) -> None:
    with pytest.raises(ServiceError, match="Activité inconnue"):
        attendance_sheets(ctx, THU, "XYZ")
    with pytest.raises(ServiceError, match="École inconnue"):
        attendance_sheets(ctx, THU, "APSS", "Nulle Part")


def test_nightly_sends_each_kitchen_its_list_once(ctx: Context, town: sd.DayTown) -> None:
    monday = date(2026, 11, 30)  # the clock says Saturday 28: Monday is the next service day
    for child in ("Léa", "Jade", "Hugo"):
        sd.book(ctx.db, town, child, "RS", monday)
    assert kitchen.next_service_day(ctx, date(2026, 11, 28)) == monday
    report = run_nightly(ctx, date(2026, 11, 28), smtp=None)
    assert report.count(KITCHEN) == 2
    assert kitchen.queue_kitchen_mails(ctx, date(2026, 11, 28)) == 0  # again: nothing new

    def messages(s):  # type: ignore[no-untyped-def]
        return list(s.execute(select(OutboxMessage).where(OutboxMessage.kind == kitchen.KIND)
                              .order_by(OutboxMessage.to_addr)).scalars())

    jf, pa = ctx.db.read(messages)
    assert jf.to_addr == "cuisine.jf@example.org" and pa.to_addr == "cuisine.pasteur@example.org"
    assert jf.subject == "Repas du lundi 30 novembre 2026 — École Jules Ferry"
    assert "Standard : 1" in jf.body_text and "Total : 1" in jf.body_text and "Léa" not in jf.body_text
    assert "Sans viande : 1" in pa.body_text and "PAI panier repas : 1" in pa.body_text
    assert "CM1 : DURAND Jade" in pa.body_text and "Hugo" not in pa.body_text
    assert sd.SECRET not in pa.body_text
    assert "30/11/2026;École Pasteur;0;0;1;1;2" in pa.body_text


def test_format_hours() -> None:
    assert [format_hours(m) for m in (0, 30, 90, 20, 61, 6000)] == ["0,00", "0,50", "1,50", "0,33", "1,02",
                                                                     "100,00"]
    assert time(16) > time(15, 59)
