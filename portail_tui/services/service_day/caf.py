"""Hours for the CAF (P5): per month and declared activity, the hours actually attended
(« heures réalisées ») and the hours billed (« heures facturées »), split by age on the
first day of the month (under 6 / 6 and over).

- Réalisées come from the marks only: présent and présent non inscrit count the
  activity's hours (end − start), shortened by a late arrival or an early departure;
  absent and absent justifié count nothing; a booking nobody marked counts nothing
  either (no mark, no proof of attendance).
- Facturées are the consumed bookings (R6, services.consumption.consumed: whatever it
  leaves out — a waived justified absence — is left out here too) times the
  activity's hours; a holiday-period booking counts each day the activity runs in the
  period and the month (its weekdays, public holidays out).
- A child without a birth date is counted in « 6 ans et plus » (and said in a note).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import case, func, select
from sqlmodel import Session, col

from portail_tui.domain.frdates import DateError, format_month, parse_month
from portail_tui.domain.school_calendar import SchoolCalendar
from portail_tui.exports.tables import Column, Report, ReportTable
from portail_tui.models import Activity, Attendance, Booking, Child, Period
from portail_tui.services.consumption import consumed, consumption_limit
from portail_tui.services.context import Context, ServiceError
from portail_tui.services.export_formats import check_format, render_report
from portail_tui.services.service_day.common import PRESENT_STATES, ListFile, format_hours, regie_of

UNDER_6 = "Moins de 6 ans"
SIX_PLUS = "6 ans et plus"
AGE_GROUPS = (UNDER_6, SIX_PLUS)


@dataclass(frozen=True)
class CafLine:
    activity_code: str
    activity_label: str
    age_group: str
    children: int  # distinct children with at least one hour attended
    attended_minutes: int
    billed_minutes: int


@dataclass(frozen=True)
class CafStatement:
    regie_name: str
    year: int
    month: int
    lines: tuple[CafLine, ...]  # activity order, then age group
    unknown_birth_dates: int = 0

    def total(self, age_group: str | None = None) -> tuple[int, int, int]:
        """(children, attended minutes, billed minutes), for one age group or all."""
        keep = [x for x in self.lines if age_group is None or x.age_group == age_group]
        return (sum(x.children for x in keep), sum(x.attended_minutes for x in keep),
                sum(x.billed_minutes for x in keep))


def parse_caf_month(text: str) -> tuple[int, int]:
    try:
        return parse_month(text)
    except DateError as exc:
        raise ServiceError(f"Mois invalide : « {text} » ({exc}).", field="mois") from None


def minutes_between(start: time, end: time) -> int:
    return max(0, (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute))


def attended_minutes(activity: Activity, arrived: time | None, left: time | None) -> int:
    """The activity's hours, shortened by a late arrival or an early departure (never
    lengthened: a child dropped early is not an hour of the activity)."""
    start = max(arrived, activity.start_time) if arrived is not None else activity.start_time
    end = min(left, activity.end_time) if left is not None else activity.end_time
    return minutes_between(start, end)


def _running_days(activity: Activity, first: date, last: date, calendar: SchoolCalendar) -> int:
    """Days the activity runs from `first` to `last`: its weekdays, public holidays out."""
    weekdays = {int(d) for d in activity.weekdays if d.isdigit()}
    n, day = 0, first
    while day <= last:
        n += day.isoweekday() in weekdays and not calendar.is_public_holiday(day)
        day += timedelta(days=1)
    return n


def caf_statement(ctx: Context, year: int, month: int) -> CafStatement:
    first = date(year, month, 1)
    last = date(year, month, calendar.monthrange(year, month)[1])
    born_after = date(year - 6, month, 1)  # born after it: not yet 6 on the first day
    limit = consumption_limit(ctx.clock.today())

    def work(session: Session) -> CafStatement:
        regie = regie_of(session, ctx)
        activities = {a.id: a for a in session.execute(
            select(Activity).where(col(Activity.regie_id) == regie.id, col(Activity.caf_declared).is_(True))
            .order_by(col(Activity.sort_order), col(Activity.code))).scalars()}
        ids = list(activities)
        under6 = case((col(Child.birth_date) > born_after, 0), else_=1)  # index in AGE_GROUPS
        attended: dict[tuple[int, int], int] = {}
        children: dict[tuple[int, int], int] = {}
        billed: dict[tuple[int, int], int] = {}
        if ids:
            present = (col(Attendance.activity_id).in_(ids), col(Attendance.state).in_(PRESENT_STATES),
                       col(Attendance.day).between(first, last))
            joined = select(col(Attendance.activity_id), under6).join(
                Child, col(Child.id) == col(Attendance.child_id))
            # Whole presences are counted by SQL, with the children, in one pass; only the
            # few presences with times are read one by one.
            whole = case((col(Attendance.arrived_at).is_(None) & col(Attendance.left_at).is_(None), 1), else_=0)
            for aid, group, n, kids in session.execute(
                joined.add_columns(func.sum(whole), func.count(func.distinct(col(Attendance.child_id))))
                .where(*present).group_by(col(Attendance.activity_id), under6)):
                key = (aid, group)
                attended[key] = attended.get(key, 0) + int(n or 0) * attended_minutes(activities[aid], None, None)
                children[key] = int(kids)
            for aid, group, arrived, left in session.execute(
                joined.add_columns(col(Attendance.arrived_at), col(Attendance.left_at))
                .where(*present, (col(Attendance.arrived_at).is_not(None)) | (col(Attendance.left_at).is_not(None)))):
                key = (aid, group)
                attended[key] = attended.get(key, 0) + attended_minutes(activities[aid], arrived, left)
            booked = select(col(Booking.activity_id), under6).join(Child, col(Child.id) == col(Booking.child_id))
            for aid, group, n in session.execute(
                booked.add_columns(func.count())
                .where(col(Booking.activity_id).in_(ids), col(Booking.day).between(first, last),
                       consumed(limit, col(Booking.day)))
                .group_by(col(Booking.activity_id), under6)):
                key = (aid, group)
                billed[key] = billed.get(key, 0) + int(n) * attended_minutes(activities[aid], None, None)
            # Periods first (a handful), then their bookings through the period index.
            periods = list(session.execute(
                select(col(Period.id)).where(col(Period.activity_id).in_(ids), col(Period.first_day) <= last,
                                             col(Period.last_day) >= first)).scalars())
            for aid, group, p_first, p_last, n in session.execute(
                booked.add_columns(col(Period.first_day), col(Period.last_day), func.count())
                .join(Period, col(Period.id) == col(Booking.period_id))
                .where(col(Booking.period_id).in_(periods), consumed(limit))
                .group_by(col(Booking.activity_id), under6, col(Period.first_day), col(Period.last_day))
            ) if periods else ():
                activity = activities[aid]
                days = _running_days(activity, max(p_first, first), min(p_last, last), ctx.school_calendar)
                key = (aid, group)
                billed[key] = billed.get(key, 0) + int(n) * days * attended_minutes(activity, None, None)
        unknown = 0
        if ids:
            unknown = int(session.execute(
                select(func.count(func.distinct(col(Booking.child_id))))
                .join(Child, col(Child.id) == col(Booking.child_id))
                .where(col(Booking.activity_id).in_(ids), col(Booking.day).between(first, last),
                       col(Child.birth_date).is_(None))).scalar() or 0)
        lines = tuple(
            CafLine(a.code, a.label, AGE_GROUPS[g], children.get((aid, g), 0), attended.get((aid, g), 0),
                    billed.get((aid, g), 0))
            for aid, a in activities.items() for g in (0, 1)
        )
        return CafStatement(regie.name, year, month, lines, unknown)

    return ctx.db.read(work)


CAF_COLUMNS = [Column("Activité", "text", 62), Column("Âge au 1er du mois", "text", 34),
               Column("Enfants", "int", 20), Column("Heures réalisées", "text", 32, "R"),
               Column("Heures facturées", "text", 32, "R")]


def caf_report(statement: CafStatement, edited_at: datetime) -> Report:
    rows: list[list[object]] = [
        [x.activity_label, x.age_group, x.children, format_hours(x.attended_minutes), format_hours(x.billed_minutes)]
        for x in statement.lines
    ]
    totals: list[list[object]] = []
    for label, group in ((f"Total {UNDER_6.lower()}", UNDER_6), (f"Total {SIX_PLUS}", SIX_PLUS), ("Total", None)):
        n, att, bil = statement.total(group)
        totals.append([label, None, n, format_hours(att), format_hours(bil)])
    notes = ["Heures réalisées : d'après le pointage (présent et présent non inscrit ; une arrivée tardive "
             "ou un départ anticipé réduit la durée ; absences et jours non pointés : 0). Heures facturées : "
             "consommations facturées du mois × durée de l'activité."]
    if statement.unknown_birth_dates:
        notes.append(f"{statement.unknown_birth_dates} enfant(s) sans date de naissance comptés dans "
                     f"« {SIX_PLUS} ».")
    return Report(title="Heures déclarées à la CAF", regie=statement.regie_name, edited_at=edited_at,
                  period_label=format_month(statement.year, statement.month).capitalize(),
                  tables=[("Heures par activité et tranche d'âge", ReportTable(CAF_COLUMNS, rows, totals))],
                  notes=notes)


def caf_file(ctx: Context, statement: CafStatement, fmt: str) -> ListFile:
    from portail_tui.exports.files import export_filename

    fmt = check_format(fmt)
    report = caf_report(statement, ctx.clock.now())
    return ListFile(export_filename("heures-caf", None, f"{statement.year}-{statement.month:02d}", fmt),
                    render_report(report, fmt), len(statement.lines))
