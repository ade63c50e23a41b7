"""Attendance sheets (feuilles d'émargement, P4): per activity, day and school, the
children expected — confirmed bookings of the day, or of a holiday period covering it —
in alphabetical order with their class and a box to tick, printed the day before.

A pick-up signature column is added when the children go home from the activity:
it ends at 16:00 or later and is not a meal (APS SOIR, APS FORFAIT, the leisure
centres). The morning APS and the canteen hand the children to the school, nobody
signs. The « à récupérer par » column lists the contacts the family allowed to pick up
the child (Contact.may_pick_up, for this child or for all the family's children);
the parents themselves need not be listed. Nothing comes from the santé form.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import and_, func, or_, select
from sqlmodel import Session, col

from portail_tui.exports.tables import Column, Report, ReportTable
from portail_tui.models import Activity, Booking, Child, Contact, FamilyMember, Period
from portail_tui.services.context import Context, ServiceError
from portail_tui.services.export_formats import check_format, render_report
from portail_tui.services.service_day.common import (
    ListFile,
    SchoolRef,
    Schools,
    day_label,
    regie_of,
)

PICK_UP_FROM = time(16, 0)
BOX = "☐"


def has_pick_up(activity: Activity) -> bool:
    return activity.end_time >= PICK_UP_FROM and not activity.serves_meal


@dataclass(frozen=True)
class SheetLine:
    child_id: int
    name: str  # « NOM Prénom »
    school_class: str
    pick_up: str  # contacts allowed to pick the child up, « ; »-separated


@dataclass(frozen=True)
class Sheet:
    school: SchoolRef
    lines: tuple[SheetLine, ...]


@dataclass(frozen=True)
class SheetSet:
    regie_name: str
    day: date
    activity_code: str
    activity_label: str
    hours: str
    pick_up: bool
    sheets: tuple[Sheet, ...]

    @property
    def children(self) -> int:
        return sum(len(s.lines) for s in self.sheets)


def _activity(session: Session, regie_id: int, code: str) -> Activity:
    activity: Activity | None = session.execute(
        select(Activity).where(col(Activity.regie_id) == regie_id,
                               func.upper(col(Activity.code)) == code.strip().upper())
    ).scalar_one_or_none()
    if activity is None:
        raise ServiceError(f"Activité inconnue : « {code} ».", field="activite")
    return activity


def attendance_sheets(ctx: Context, day: date, activity_code: str, school: str | None = None) -> SheetSet:
    def work(session: Session) -> SheetSet:
        regie = regie_of(session, ctx)
        rid: int = regie.id  # type: ignore[assignment]
        activity = _activity(session, rid, activity_code)
        schools = Schools.load(session, rid)
        only: SchoolRef | None = None
        if school:
            only = schools.find(school)
            if only is None:
                raise ServiceError(f"École inconnue : « {school} » (code ou nom d'une école de la régie).",
                                   field="ecole")
        rows = session.execute(
            select(col(Child.id), col(Child.last_name), col(Child.first_name), col(Child.school),
                   col(Child.school_class), col(Booking.family_id))
            .select_from(Booking)
            .join(Child, col(Child.id) == col(Booking.child_id))
            .outerjoin(Period, col(Period.id) == col(Booking.period_id))
            .where(col(Booking.activity_id) == activity.id, col(Booking.status) == "confirmed",
                   or_(col(Booking.day) == day,
                       and_(col(Period.first_day) <= day, col(Period.last_day) >= day)))
        ).all()
        child_ids = sorted({r[0] for r in rows})
        pick_up: dict[int, list[str]] = {}
        if child_ids and has_pick_up(activity):
            contacts = session.execute(
                select(col(FamilyMember.child_id), col(Contact.name), col(Contact.child_id))
                .join(Contact, col(Contact.family_id) == col(FamilyMember.family_id))
                .where(col(FamilyMember.child_id).in_(child_ids), col(Contact.may_pick_up).is_(True))
                .order_by(col(Contact.name))
            ).all()
            for child_id, name, for_child in contacts:
                if for_child is None or for_child == child_id:
                    names = pick_up.setdefault(child_id, [])
                    if name not in names:
                        names.append(name)
        by_school: dict[SchoolRef, dict[int, SheetLine]] = {}
        for child_id, last_name, first_name, school_name, klass, _family in rows:
            ref = schools.ref(school_name)
            if only is not None and ref.key != only.key:
                continue
            by_school.setdefault(ref, {})[child_id] = SheetLine(
                child_id, f"{last_name} {first_name}", klass or "", " ; ".join(pick_up.get(child_id, [])))
        sheets = tuple(
            Sheet(ref, tuple(sorted(lines.values(), key=lambda s: (s.name.casefold(), s.child_id))))
            for ref, lines in sorted(by_school.items(), key=lambda kv: kv[0].order)
        )
        if only is not None and not sheets:
            sheets = (Sheet(only, ()),)
        hours = f"{activity.start_time:%H:%M} – {activity.end_time:%H:%M}"
        return SheetSet(regie.name, day, activity.code, activity.label, hours, has_pick_up(activity), sheets)

    return ctx.db.read(work)


def _columns(pick_up: bool) -> list[Column]:
    if pick_up:
        return [Column("Enfant", "text", 44), Column("Classe", "text", 16), Column("Présent", "text", 14, "C"),
                Column("À récupérer par", "text", 52), Column("Heure", "text", 16),
                Column("Signature", "text", 38)]
    return [Column("Enfant", "text", 60), Column("Classe", "text", 22), Column("Présent", "text", 16, "C"),
            Column("Observations", "text", 82)]


def sheets_report(sheets: SheetSet, edited_at: datetime) -> Report:
    columns = _columns(sheets.pick_up)
    tables: list[tuple[str, ReportTable]] = []
    for sheet in sheets.sheets:
        rows: list[list[object]] = []
        for line in sheet.lines:
            row: list[object] = [line.name, line.school_class, BOX]
            row += [line.pick_up, "", ""] if sheets.pick_up else [""]
            rows.append(row)
        n = len(sheet.lines)
        title = f"{sheet.school.label} — {n} enfant{'s' if n > 1 else ''} attendu{'s' if n > 1 else ''}"
        tables.append((title, ReportTable(columns, rows)))
    notes = ["Cochez la case de chaque enfant présent ; ajoutez à la main un enfant présent sans "
             "réservation (il sera pointé « présent non inscrit »)."]
    if sheets.pick_up:
        notes.append("La personne qui vient chercher l'enfant signe en face de son nom et note l'heure.")
    return Report(title=f"Feuille d'émargement — {sheets.activity_label}", regie=sheets.regie_name,
                  edited_at=edited_at, subtitle=sheets.hours, period_label=day_label(sheets.day),
                  tables=tables, notes=notes)


def sheets_file(ctx: Context, sheets: SheetSet, fmt: str = "pdf", *, school_code: str = "") -> ListFile:
    from portail_tui.exports.files import export_filename

    fmt = check_format(fmt)
    suffix = f"{sheets.activity_code}-{sheets.day.isoformat()}" + (f"-{school_code}" if school_code else "")
    report = sheets_report(sheets, ctx.clock.now())
    return ListFile(export_filename("emargement", None, suffix, fmt), render_report(report, fmt), sheets.children)
