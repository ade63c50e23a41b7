"""Meals for the kitchen (P4): per day, school and meal type, for the activities that
serve a meal.

What counts as a meal to cook: every confirmed booking of the day, except a child
already marked absent or absent justifié (the mark exists from the day itself, or
earlier when the family warned the counter: either way nobody eats it), plus every
child marked « présent non inscrit » whose presence is not already one of those
bookings. Cancelled and waiting-list bookings are never meals.

The kitchen gets no names except the children with a PAI panier repas (they bring
their own basket: the kitchen must know who they are, their class and nothing else);
nothing ever comes from the santé form.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlmodel import Session, col

from portail_tui.domain.forms import MEAL_TYPE_LABELS
from portail_tui.exports.tables import Column, Report, ReportTable
from portail_tui.models import Activity, Attendance, Booking, Child
from portail_tui.models.setup import MEAL_TYPES
from portail_tui.services.context import Context
from portail_tui.services.export_formats import check_format, render_report
from portail_tui.services.service_day.common import (
    ABSENT_STATES,
    UNBOOKED,
    ListFile,
    SchoolRef,
    Schools,
    days_label,
    regie_of,
    week_of,
)

MEAL_LABELS = MEAL_TYPE_LABELS  # the family file's words
PAI = "pai_panier"


@dataclass(frozen=True)
class MealRow:
    day: date
    school: SchoolRef
    counts: tuple[int, ...]  # in MEAL_TYPES order

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True)
class PaiLine:
    day: date
    school: SchoolRef
    school_class: str
    child_name: str


@dataclass(frozen=True)
class MealCounts:
    regie_name: str
    days: tuple[date, ...]
    rows: tuple[MealRow, ...]  # by day, then school order
    pai: tuple[PaiLine, ...]

    def totals(self) -> tuple[int, ...]:
        return tuple(sum(r.counts[i] for r in self.rows) for i in range(len(MEAL_TYPES)))

    @property
    def total(self) -> int:
        return sum(self.totals())

    def for_school(self, school_id: int) -> MealCounts:
        """The part one school's kitchen receives."""
        return MealCounts(self.regie_name, self.days,
                          tuple(r for r in self.rows if r.school.school_id == school_id),
                          tuple(p for p in self.pai if p.school.school_id == school_id))

    def by_school(self) -> dict[str, int]:
        """Total meals per school label, in school order (Accueil)."""
        out: dict[str, int] = {}
        for row in sorted(self.rows, key=lambda r: r.school.order):
            out[row.school.label] = out.get(row.school.label, 0) + row.total
        return out


def _meal_days(regie_id: int, day: Any, first: date, last: date) -> tuple[Any, ...]:
    return (col(Activity.regie_id) == regie_id, col(Activity.serves_meal).is_(True), day.between(first, last))


def _booked(regie_id: int, first: date, last: date, *cols: Any) -> Select[Any]:
    """Confirmed bookings of meal activities (the child read from the booking index)."""
    return (
        select(*cols)
        .select_from(Booking)
        .join(Activity, col(Activity.id) == col(Booking.activity_id))
        .join(Child, col(Child.id) == col(Booking.child_id))
        .where(*_meal_days(regie_id, col(Booking.day), first, last), col(Booking.status) == "confirmed")
    )


def _absent(regie_id: int, first: date, last: date, *cols: Any) -> Select[Any]:
    """Those of the bookings above whose child is marked absent: few rows, by state."""
    return (
        select(*cols)
        .select_from(Attendance)
        .join(Activity, col(Activity.id) == col(Attendance.activity_id))
        .join(Booking, col(Booking.id) == col(Attendance.booking_id))
        .join(Child, col(Child.id) == col(Booking.child_id))
        .where(*_meal_days(regie_id, col(Attendance.day), first, last), col(Attendance.state).in_(ABSENT_STATES),
               col(Booking.status) == "confirmed", col(Booking.day) == col(Attendance.day))
    )


def _unbooked(regie_id: int, first: date, last: date, *cols: Any) -> Select[Any]:
    """Presences without booking that no confirmed booking already counts."""
    return (
        select(*cols)
        .select_from(Attendance)
        .join(Activity, col(Activity.id) == col(Attendance.activity_id))
        .join(Child, col(Child.id) == col(Attendance.child_id))
        .outerjoin(Booking, col(Booking.id) == col(Attendance.booking_id))
        .where(*_meal_days(regie_id, col(Attendance.day), first, last), col(Attendance.state) == UNBOOKED,
               or_(col(Booking.id).is_(None), col(Booking.status) != "confirmed"))
    )


def meal_counts(ctx: Context, days: Sequence[date]) -> MealCounts:
    """The meals of `days` (one day, or a week from `week_of`): the confirmed bookings,
    minus the absent marks among them, plus the unbooked presences — three grouped
    counts, so a week of the whole town stays a few index reads."""
    wanted = tuple(sorted(set(days)))
    first, last = wanted[0], wanted[-1]

    def work(session: Session) -> MealCounts:
        regie = regie_of(session, ctx)
        rid: int = regie.id  # type: ignore[assignment]
        schools = Schools.load(session, rid)
        counts: dict[tuple[date, SchoolRef], list[int]] = {}
        index = {m: i for i, m in enumerate(MEAL_TYPES)}
        group = (col(Child.school), col(Child.meal_type))
        for build, day_col, sign in ((_booked, col(Booking.day), 1), (_absent, col(Attendance.day), -1),
                                     (_unbooked, col(Attendance.day), 1)):
            stmt = build(rid, first, last, day_col, *group, func.count()).group_by(day_col, *group)
            for day, school, meal, n in session.execute(stmt):
                if day not in wanted:
                    continue
                entry = counts.setdefault((day, schools.ref(school)), [0] * len(MEAL_TYPES))
                entry[index.get(meal, 0)] += sign * int(n)
        pai: list[PaiLine] = []
        pai_ids = select(col(Child.id)).where(col(Child.meal_type) == PAI).scalar_subquery()
        names = (col(Child.school), col(Child.school_class), col(Child.last_name), col(Child.first_name))
        booked_pai = (
            _booked(rid, first, last, col(Booking.day), *names)
            .outerjoin(Attendance, col(Attendance.booking_id) == col(Booking.id))
            .where(col(Booking.child_id).in_(pai_ids),
                   or_(col(Attendance.state).is_(None), col(Attendance.state).not_in(ABSENT_STATES)))
        )
        unbooked_pai = _unbooked(rid, first, last, col(Attendance.day), *names).where(col(Child.meal_type) == PAI)
        for stmt in (booked_pai, unbooked_pai):
            for day, school, klass, last_name, first_name in session.execute(stmt):
                if day in wanted:
                    pai.append(PaiLine(day, schools.ref(school), klass or "", f"{last_name} {first_name}"))
        rows = tuple(MealRow(day, ref, tuple(c))
                     for (day, ref), c in sorted(counts.items(), key=lambda kv: (kv[0][0], kv[0][1].order))
                     if any(c))
        pai.sort(key=lambda p: (p.day, p.school.order, p.school_class, p.child_name))
        return MealCounts(regie.name, wanted, rows, tuple(pai))

    return ctx.db.read(work)


MEAL_COLUMNS = [
    Column("Jour", "date", 22),
    Column("École", "text", 52),
    *(Column(MEAL_LABELS[m], "int", 20) for m in MEAL_TYPES),
    Column("Total", "int", 26),
]
PAI_COLUMNS = [Column("Jour", "date", 22), Column("École", "text", 52), Column("Classe", "text", 26),
               Column("Enfant", "text", 50), Column("Régime", "text", 30)]


def meals_report(counts: MealCounts, edited_at: datetime, *, school: str = "") -> Report:
    rows: list[list[object]] = [[r.day, r.school.label, *r.counts, r.total] for r in counts.rows]
    totals: list[list[object]] = [["Total", None, *counts.totals(), counts.total]]
    tables = [("Repas par école et par régime", ReportTable(MEAL_COLUMNS, rows, totals))]
    if counts.pai:
        pai_rows: list[list[object]] = [[p.day, p.school.label, p.school_class, p.child_name, MEAL_LABELS[PAI]]
                                        for p in counts.pai]
        tables.append(("Enfants avec PAI — panier repas fourni par la famille", ReportTable(PAI_COLUMNS, pai_rows)))
    notes = ["Repas comptés : réservations confirmées, moins les enfants pointés absents, plus les "
             "présences non inscrites. Les enfants avec PAI apportent leur panier repas."]
    return Report(title="Repas à préparer", regie=counts.regie_name, edited_at=edited_at,
                  subtitle=school, period_label=days_label(counts.days), tables=tables, notes=notes)


def meals_file(ctx: Context, counts: MealCounts, fmt: str, *, school: str = "") -> ListFile:
    from portail_tui.exports.files import export_filename

    fmt = check_format(fmt)
    period = counts.days[0].isoformat() if len(counts.days) == 1 else f"semaine-{counts.days[0].isoformat()}"
    report = meals_report(counts, ctx.clock.now(), school=school)
    return ListFile(export_filename("repas", None, period, fmt), render_report(report, fmt), len(counts.rows))


def meal_days(day: date, *, week: bool) -> tuple[date, ...]:
    return week_of(day) if week else (day,)


__all__ = ["MEAL_LABELS", "MealCounts", "MealRow", "PaiLine", "meal_counts", "meal_days",
           "meals_file", "meals_report"]
