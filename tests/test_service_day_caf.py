"""Hours for the CAF (P5): attended hours from the marks (arrivals and departures
shorten them, absences count nothing), billed hours from the consumed bookings (R6),
split under 6 / 6 and over on the first day of the month; totals recomputed by hand
and from the marks themselves. Both engines."""

from __future__ import annotations

import io
from datetime import date, time

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from portail_tui.models import Activity, Attendance, Child
from portail_tui.services.context import Context, ServiceError
from portail_tui.services.service_day.caf import (
    SIX_PLUS,
    UNDER_6,
    attended_minutes,
    caf_file,
    caf_statement,
    parse_caf_month,
)
from tests.support import service_day_town as sd


@pytest.fixture
def town(ctx: Context) -> sd.DayTown:
    dt = sd.build(ctx.db)
    db = ctx.db
    lea = {d: sd.book(db, dt, "Léa", "APSS", date(2026, 11, d)) for d in (24, 26, 30)}
    noe = {d: sd.book(db, dt, "Noé", "APSS", date(2026, 11, d)) for d in (24, 26)}
    hugo = sd.book(db, dt, "Hugo", "APSS", date(2026, 11, 26))  # the surcharge booking of his presence
    jade = sd.book(db, dt, "Jade", "CLM", date(2026, 11, 25))
    sd.book(db, dt, "Léa", "APSS", date(2026, 11, 25), status="cancelled")
    sd.book(db, dt, "Léa", "APSS", date(2026, 12, 1))  # next month
    sd.book(db, dt, "Léa", "RS", date(2026, 11, 26))  # not declared to the CAF
    sd.mark(db, dt, "Léa", "APSS", date(2026, 11, 26), "present", booking_id=lea[26])
    sd.mark(db, dt, "Léa", "APSS", date(2026, 11, 24), "present", booking_id=lea[24], left=time(17, 30))
    sd.mark(db, dt, "Noé", "APSS", date(2026, 11, 26), "present", booking_id=noe[26], arrived=time(17, 0))
    sd.mark(db, dt, "Noé", "APSS", date(2026, 11, 24), "absent", booking_id=noe[24])
    sd.mark(db, dt, "Hugo", "APSS", date(2026, 11, 26), "present_non_inscrit", booking_id=hugo)
    sd.mark(db, dt, "Jade", "CLM", date(2026, 11, 25), "present", booking_id=jade)
    return dt


def test_caf_hours_by_activity_and_age(ctx: Context, town: sd.DayTown) -> None:
    st = caf_statement(ctx, 2026, 11)
    got = {(x.activity_code, x.age_group): (x.children, x.attended_minutes, x.billed_minutes) for x in st.lines}
    # APS SOIR 16:30–18:30 = 120 min; CLM 8:00–18:00 = 600 min.
    assert got[("APSS", UNDER_6)] == (2, 90 + 120, 2 * 120 + 120)  # Noé (late), Hugo; Noé's absence billed
    assert got[("APSS", SIX_PLUS)] == (1, 120 + 60, 3 * 120)  # Léa left at 17:30; 30/11 billed, not attended
    assert got[("CLM", SIX_PLUS)] == (1, 600, 600)
    assert got[("CLM", UNDER_6)] == (0, 0, 0)
    assert ("RS", SIX_PLUS) not in got
    assert st.total(UNDER_6) == (2, 210, 360)
    assert st.total(SIX_PLUS) == (2, 780, 960)
    assert st.total() == (4, 990, 1320)


def test_attended_hours_recomputed_from_the_marks(ctx: Context, town: sd.DayTown) -> None:
    def rows(s):  # type: ignore[no-untyped-def]
        return s.execute(select(Attendance, Activity, Child).join(Activity, Activity.id == Attendance.activity_id)
                         .join(Child, Child.id == Attendance.child_id)).all()

    expected = {UNDER_6: 0, SIX_PLUS: 0}
    for mark, activity, child in ctx.db.read(rows):
        if not activity.caf_declared or mark.state not in ("present", "present_non_inscrit"):
            continue
        start = max(mark.arrived_at or activity.start_time, activity.start_time)
        end = min(mark.left_at or activity.end_time, activity.end_time)
        minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
        group = UNDER_6 if child.birth_date > date(2020, 11, 1) else SIX_PLUS
        expected[group] += minutes
    st = caf_statement(ctx, 2026, 11)
    assert {g: st.total(g)[1] for g in expected} == expected


def test_caf_files(ctx: Context, town: sd.DayTown) -> None:
    st = caf_statement(ctx, 2026, 11)
    csv = caf_file(ctx, st, "csv")
    assert csv.filename == "heures-caf-2026-11.csv"
    lines = csv.data.decode("utf-8-sig").splitlines()
    assert lines[0] == "Activité;Âge au 1er du mois;Enfants;Heures réalisées;Heures facturées"
    assert "APS SOIR;Moins de 6 ans;2;3,50;6,00" in lines
    assert lines[-3:] == ["Total moins de 6 ans;;2;3,50;6,00", "Total 6 ans et plus;;2;13,00;16,00",
                          "Total;;4;16,50;22,00"]
    pdf = caf_file(ctx, st, "pdf").data
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Heures déclarées à la CAF" in text and "Novembre 2026" in text and "16,50" in text


def test_caf_month_and_minutes() -> None:
    assert parse_caf_month("2026-11") == (2026, 11)
    with pytest.raises(ServiceError, match="Mois invalide"):
        parse_caf_month("novembre")
    aps = Activity(regie_id=1, code="A", label="A", letter="A", start_time=time(16, 30), end_time=time(18, 30))
    assert attended_minutes(aps, time(16, 0), time(19, 0)) == 120  # never longer than the activity
    assert attended_minutes(aps, time(18, 45), None) == 0


def test_holiday_period_bills_each_running_day_of_the_month(ctx: Context) -> None:
    from datetime import datetime

    from portail_tui.clock import PARIS, FixedClock
    from portail_tui.models import Booking
    from tests.support.booking_town import CREATED

    dt = sd.build(ctx.db)

    def work(s):  # type: ignore[no-untyped-def]
        s.add(Booking(regie_id=dt.town.regie_id, family_id=dt.family_of("Jade"), child_id=dt.town.children["Jade"],
                      activity_id=dt.town.activities["CLV"], period_id=dt.town.periods["noel"], price_cents=5000,
                      created_at=CREATED, created_by="agent:test"))

    ctx.db.write(work)
    later = Context(db=ctx.db, clock=FixedClock(datetime(2027, 1, 5, 10, tzinfo=PARIS)), settings=ctx.settings)
    december = {(x.activity_code, x.age_group): x.billed_minutes for x in caf_statement(later, 2026, 12).lines}
    assert december[("CLV", SIX_PLUS)] == 8 * 600  # 21–24 and 28–31 December (25th: Noël), 8:00–18:00
    january = {(x.activity_code, x.age_group): x.billed_minutes for x in caf_statement(later, 2027, 1).lines}
    assert january[("CLV", SIX_PLUS)] == 0  # Friday 1 January is a public holiday
    assert caf_statement(ctx, 2026, 12).total() == (0, 0, 0)  # on 28 November it is not consumed yet
