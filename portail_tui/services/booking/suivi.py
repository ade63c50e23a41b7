"""Suivi des réservations (R8): a family's bookings beyond the next 15 days, filtered
by child and activity text, exportable (CSV, PDF) the same way from the screen and
from `portail export reservations`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from portail_tui.domain.frdates import (
    WEEKDAYS,
    capitalize_first,
    format_date_long,
    format_date_short,
)
from portail_tui.domain.text import activity_matches, normalize
from portail_tui.exports.tables import Column, ColumnKind, Report, ReportTable
from portail_tui.models import Activity, Booking, Period
from portail_tui.services.booking.children import ChildChoice, load_children, load_family
from portail_tui.services.booking.facts import waiting_rank
from portail_tui.services.booking.setup import LIVE, activity_rule, load_setup
from portail_tui.services.consumption import after_window, consumption_limit
from portail_tui.services.context import Context, ServiceError
from portail_tui.services.export_formats import check_format, render_report

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class SuiviLine:
    booking_id: int
    day: date | None
    period_label: str | None
    first_day: date
    last_day: date
    child_id: int
    child_name: str
    activity_code: str
    activity_label: str
    hours: str
    status: str  # confirmed | waiting
    waiting_rank: int | None
    price_cents: int
    sort_order: int = 0

    @property
    def when(self) -> str:
        if self.day is not None:
            return capitalize_first(format_date_long(self.day))
        return f"{self.period_label} (du {format_date_short(self.first_day)} au {format_date_short(self.last_day)})"

    @property
    def status_text(self) -> str:
        if self.status == "waiting":
            return f"En attente (rang {self.waiting_rank})" if self.waiting_rank else "En attente"
        return "Confirmée"


@dataclass(frozen=True)
class SuiviResult:
    """R8: a family's bookings beyond the next 15 days, and everything an export
    needs to title itself (the same for the screen and the CLI)."""

    family_id: int
    family_number: int
    family_name: str
    regie_name: str
    after: date  # bookings dated after this day
    lines: tuple[SuiviLine, ...]
    edited_at: datetime
    child_filter: str = ""
    activity_filter: str = ""

    @property
    def total_cents(self) -> int:
        return sum(line.price_cents for line in self.lines if line.status == "confirmed")

    @property
    def title(self) -> str:
        return "Suivi des réservations"

    @property
    def subtitle(self) -> str:
        return f"Famille {self.family_name} — n° {self.family_number:06d}"

    @property
    def period_label(self) -> str:
        text = f"Réservations à partir du {format_date_short(self.after + _ONE_DAY)}"
        filters = [f for f in (self.child_filter, self.activity_filter) if f]
        if filters:
            text += " — filtre : " + ", ".join(filters)
        return text

    COLUMNS: tuple[tuple[str, ColumnKind], ...] = (
        ("Date", "date"),
        ("Jour ou période", "text"),
        ("Enfant", "text"),
        ("Activité", "text"),
        ("Horaires", "text"),
        ("Statut", "text"),
        ("Tarif", "amount"),
    )

    def rows(self) -> list[list[object]]:
        """Cells in COLUMNS order, typed (dates as date, cents as int) for the renderers:
        a spreadsheet sorts and sums them. A period shows its first and last day."""
        out: list[list[object]] = []
        for line in self.lines:
            if line.day is not None:
                when: object = line.day
                what = WEEKDAYS[line.day.weekday()]
            else:
                when = f"{format_date_short(line.first_day)} → {format_date_short(line.last_day)}"
                what = line.period_label or ""
            out.append([when, what, line.child_name, line.activity_label, line.hours, line.status_text,
                        line.price_cents])
        return out

    def total_row(self) -> list[object]:
        return ["Total", "", "", "", "", "confirmées", self.total_cents]


def _chosen_children(
    children: dict[int, ChildChoice], child_id: int | None, child_name: str | None
) -> tuple[set[int], str]:
    """The children the suivi keeps (by id, or by first name as typed on the CLI) and
    the filter's label."""
    if child_id is not None:
        if child_id not in children:
            raise ServiceError("Cet enfant n'est pas rattaché à la famille.", field="enfant")
        return {child_id}, children[child_id].first_name
    wanted = normalize(child_name or "").strip()
    if not wanted:
        return set(children), ""
    chosen = {c.id for c in children.values() if normalize(c.first_name) == wanted}
    if not chosen:
        names = ", ".join(c.first_name for c in children.values()) or "aucun"
        raise ServiceError(f"Aucun enfant « {child_name} » dans cette famille (enfants : {names}).",
                           field="enfant")
    return chosen, child_name or ""


def suivi(
    ctx: Context,
    family_id: int,
    *,
    child_id: int | None = None,
    child_name: str | None = None,
    activity_text: str | None = None,
) -> SuiviResult:
    """R8: bookings (confirmed or waiting) dated after today + 15 days, filtered by a
    child (id, or first name as typed on the CLI) and by activity text, read as the
    histories read it (`domain.text.activity_matches`: « APS » keeps APS MATIN, SOIR
    and FORFAIT, « soir aps » keeps APS SOIR), with the waiting-list position."""
    now = ctx.clock.now()
    after = consumption_limit(now.date())

    def work(session: Session) -> SuiviResult:
        family = load_family(session, ctx, family_id)
        setup = load_setup(session, family.regie_id)
        children = load_children(session, family_id)
        chosen, label = _chosen_children(children, child_id, child_name)
        # Inactive activities can still carry bookings: every activity of the régie.
        acts = {
            a.id: a for a in (activity_rule(row) for row in session.execute(
                select(Activity).where(col(Activity.regie_id) == family.regie_id)).scalars())
            if activity_matches(activity_text or "", a.code, a.label)
        }
        lines: list[SuiviLine] = []
        if chosen and acts:
            rows = session.execute(
                select(Booking, Period)
                .outerjoin(Period, col(Period.id) == col(Booking.period_id))
                .where(
                    col(Booking.family_id) == family_id,
                    col(Booking.child_id).in_(sorted(chosen)),
                    col(Booking.activity_id).in_(sorted(acts)),
                    col(Booking.status).in_(LIVE),
                    after_window(after),
                )
            ).all()
            for b, p in rows:
                a = acts[b.activity_id]
                assert b.id is not None
                first = b.day if b.day is not None else p.first_day
                last = b.day if b.day is not None else p.last_day
                lines.append(SuiviLine(
                    booking_id=b.id, day=b.day, period_label=p.label if p else None,
                    first_day=first, last_day=last, child_id=b.child_id,
                    child_name=children[b.child_id].first_name, activity_code=a.code,
                    activity_label=a.label, hours=a.hours, status=b.status,
                    waiting_rank=waiting_rank(session, b.id) if b.status == "waiting" else None,
                    price_cents=b.price_cents, sort_order=a.sort_order,
                ))
        lines.sort(key=lambda s: (s.first_day, s.child_name, s.sort_order, s.activity_code))
        return SuiviResult(
            family_id=family_id, family_number=family.number, family_name=family.name,
            regie_name=setup.regie_name, after=after, lines=tuple(lines), child_filter=label,
            activity_filter=activity_text or "", edited_at=now,
        )

    return ctx.db.read(work)


_WIDTHS = {"Date": 2.0, "Jour ou période": 2.8, "Enfant": 1.5, "Activité": 3.6, "Horaires": 2.4,
           "Statut": 2.2, "Tarif": 1.6}


def suivi_report(result: SuiviResult) -> Report:
    """The suivi as an export `Report`: the screen and `portail export reservations`
    both render this one object, so their CSV and PDF files are identical."""
    columns = [Column(title, kind, width=_WIDTHS[title]) for title, kind in SuiviResult.COLUMNS]
    table = ReportTable(columns, result.rows(), totals=[result.total_row()] if result.lines else [])
    notes = []
    if not result.lines:
        notes.append("Aucune réservation au-delà des 15 prochains jours.")
    if any(line.status == "waiting" for line in result.lines):
        notes.append("Les réservations en attente sont confirmées dès qu'une place se libère ;"
                     " la famille est alors prévenue par courriel.")
    return Report(
        title=result.title,
        regie=result.regie_name,
        edited_at=result.edited_at,
        subtitle=result.subtitle,
        period_label=result.period_label,
        tables=[("Réservations", table)],
        notes=notes,
    )


@dataclass(frozen=True)
class SuiviFile:
    """The suivi ready to be written: a readable file name, its bytes and its report."""

    filename: str
    data: bytes
    report: Report


def suivi_file(result: SuiviResult, fmt: str) -> SuiviFile:
    """Render the suivi as CSV or PDF (same bytes from the screen and the CLI)."""
    from portail_tui.exports.files import export_filename

    value = check_format(fmt)
    report = suivi_report(result)
    data = render_report(report, value)
    name = export_filename("suivi-reservations", result.family_number, result.edited_at.date().isoformat(), value)
    return SuiviFile(name, data, report)
