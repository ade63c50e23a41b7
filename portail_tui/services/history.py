"""Histories (R9): a family's règlements and consommations of one month, and the
statements built from them.

The same functions feed the Historiques screen, the `portail export` commands and the
night batch, and the `*_report` builders turn a history into an exports `Report`, so a
statement written from the screen is the very file the CLI writes.

Consumptions follow R6: confirmed bookings dated up to today + 15 days (a period
booking counts from its first day). The month view also lists the month's cancelled
bookings (state « annulé », never counted) so a family sees what it no longer pays;
waiting-list bookings and bookings beyond the 15-day window belong to the
Réservations tab, not here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlmodel import Session

from portail_tui.clock import PARIS
from portail_tui.domain.frdates import (
    DateError,
    capitalize_first,
    format_date_short,
    format_month,
    parse_month,
)
from portail_tui.domain.money import format_amount
from portail_tui.domain.text import activity_matches, normalize
from portail_tui.exports.tables import Column, Report, ReportTable
from portail_tui.models import Activity, Booking, Child, Family, Payment, Period, Regie
from portail_tui.services.context import Context, ServiceError
from portail_tui.services.export_formats import check_format, render_report
from portail_tui.services.families import format_family_number
from portail_tui.services.payments import EntryLabels
from portail_tui.services.wallet import consumption_limit

HISTORY_MONTHS = 3  # the current month and the two before it (R9)

CONSUMED = "consommé"
UPCOMING = "à venir"
CANCELLED = "annulé"

# --- months --------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @property
    def key(self) -> str:
        """"2026-11": file names and the CLI's --mois."""
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        """"novembre 2026"."""
        return format_month(self.year, self.month)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def next_first_day(self) -> date:
        return date(self.year + 1, 1, 1) if self.month == 12 else date(self.year, self.month + 1, 1)

    def shifted(self, months: int) -> Month:
        index = self.year * 12 + (self.month - 1) + months
        return Month(index // 12, index % 12 + 1)

    @classmethod
    def of(cls, d: date) -> Month:
        return cls(d.year, d.month)


def history_months(today: date) -> list[Month]:
    """The months an agent may consult, newest first."""
    current = Month.of(today)
    return [current.shifted(-i) for i in range(HISTORY_MONTHS)]


def check_month(month: Month, today: date) -> Month:
    allowed = history_months(today)
    if month not in allowed:
        oldest, newest = allowed[-1], allowed[0]
        raise ServiceError(
            f"Mois non consultable : {month.label}. Les historiques couvrent le mois en cours et les "
            f"deux précédents ({oldest.label} à {newest.label}).",
            field="mois",
        )
    return month


def parse_history_month(text: str, today: date) -> Month:
    """A month typed by a person ("2026-11", "11/2026"), checked against R9's window."""
    try:
        year, month = parse_month(text)
    except DateError:
        raise ServiceError(
            f"Mois invalide : « {text} ». Utilisez AAAA-MM (par exemple {Month.of(today).key}).",
            field="mois",
        ) from None
    return check_month(Month(year, month), today)


# --- families --------------------------------------------------------------------------


@dataclass(frozen=True)
class FamilyRef:
    id: int
    number: int
    name: str
    regie_name: str

    @property
    def number_text(self) -> str:
        return format_family_number(self.number)

    @property
    def subtitle(self) -> str:
        return f"Famille {self.name} — n° {self.number_text}"


def _family_ref(session: Session, ctx: Context, family_id: int) -> FamilyRef:
    row = session.execute(
        select(Family.id, Family.number, Family.name, Family.regie_id, Regie.name)
        .join(Regie, Regie.id == Family.regie_id)
        .where(Family.id == family_id)
    ).first()
    actor = ctx.actor
    if row is None or (actor is not None and actor.kind != "system" and row[3] != actor.regie_id):
        raise ServiceError("Famille introuvable.", field="famille")
    return FamilyRef(id=row[0], number=row[1], name=row[2], regie_name=row[4])


def _family_refs(session: Session, family_ids: Sequence[int]) -> dict[int, FamilyRef]:
    rows = session.execute(
        select(Family.id, Family.number, Family.name, Regie.name)
        .join(Regie, Regie.id == Family.regie_id)
        .where(Family.id.in_(list(family_ids)))
    ).all()
    return {r[0]: FamilyRef(id=r[0], number=r[1], name=r[2], regie_name=r[3]) for r in rows}


# --- règlements -------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentLine(EntryLabels):
    payment_id: int
    receipt_number: int
    at: datetime
    kind: str
    mode: str
    amount_cents: int
    cheque_number: str = ""
    reference: str = ""  # PayFiP or transfer reference
    # Reversal marks: the entry that cancelled this one, or the one this entry cancels.
    reversed_by_receipt: int | None = None
    reverses_receipt: int | None = None

    @property
    def mode_text(self) -> str:
        """"Chèque n° 1234567" for a cheque, the mode's label otherwise."""
        return f"{self.mode_label} n° {self.cheque_number}" if self.cheque_number else self.mode_label

    @property
    def observation(self) -> str:
        """The reversal mark, else the payment's reference."""
        return self.mark or self.reference

    @property
    def mark(self) -> str:
        if self.reverses_receipt is not None:
            return f"annule la quittance n° {self.reverses_receipt}"
        if self.reversed_by_receipt is not None:
            return f"annulé par la quittance n° {self.reversed_by_receipt}"
        return ""


@dataclass(frozen=True)
class PaymentHistory:
    family: FamilyRef
    month: Month
    lines: tuple[PaymentLine, ...]

    @property
    def total_cents(self) -> int:
        return sum(line.amount_cents for line in self.lines)


def _month_bounds(month: Month) -> tuple[datetime, datetime]:
    return (datetime.combine(month.first_day, time(0, 0), tzinfo=PARIS),
            datetime.combine(month.next_first_day, time(0, 0), tzinfo=PARIS))


def payment_lines_for(session: Session, family_ids: Sequence[int], month: Month) -> dict[int, list[PaymentLine]]:
    """Entries created during the month, per family, in receipt order. Reversal marks
    look outside the month too (a November payment reversed in December says so).

    One indexed query per family: with a long IN list, SQLite's planner (no statistics)
    would rather scan the whole month of the town for every chunk of the batch."""
    start, end = _month_bounds(month)
    stmt = (
        select(Payment.id, Payment.family_id, Payment.receipt_number, Payment.created_at, Payment.kind,
               Payment.mode, Payment.amount_cents, Payment.cheque_number, Payment.reference,
               Payment.reverses_id)
        .where(Payment.family_id == bindparam("fid"), Payment.created_at >= start, Payment.created_at < end)
        .order_by(Payment.created_at, Payment.receipt_number)
    )
    rows = [r for fid in family_ids for r in session.execute(stmt, {"fid": fid})]
    if not rows:
        return {}
    ids = [r.id for r in rows]
    reversed_by = dict(
        session.execute(
            select(Payment.reverses_id, Payment.receipt_number).where(Payment.reverses_id.in_(ids))
        ).all()
    )
    target_ids = [r.reverses_id for r in rows if r.reverses_id is not None]
    receipts_of = dict(
        session.execute(select(Payment.id, Payment.receipt_number).where(Payment.id.in_(target_ids))).all()
    ) if target_ids else {}
    out: dict[int, list[PaymentLine]] = {}
    for r in rows:
        out.setdefault(r.family_id, []).append(
            PaymentLine(
                payment_id=r.id,
                receipt_number=r.receipt_number,
                at=r.created_at.astimezone(PARIS),
                kind=r.kind,
                mode=r.mode,
                amount_cents=r.amount_cents,
                cheque_number=r.cheque_number or "",
                reference=r.reference or "",
                reversed_by_receipt=reversed_by.get(r.id),
                reverses_receipt=receipts_of.get(r.reverses_id) if r.reverses_id else None,
            )
        )
    return out


def payment_history(ctx: Context, family_id: int, month: Month) -> PaymentHistory:
    check_month(month, ctx.clock.today())

    def _work(session: Session) -> PaymentHistory:
        family = _family_ref(session, ctx, family_id)
        lines = payment_lines_for(session, [family_id], month).get(family_id, [])
        return PaymentHistory(family=family, month=month, lines=tuple(lines))

    return ctx.db.read(_work)


# --- consommations ----------------------------------------------------------------------


@dataclass(frozen=True)
class ConsumptionLine:
    booking_id: int
    day: date
    child_id: int
    child_name: str
    activity_id: int
    activity_code: str
    activity_label: str
    activity_order: int
    price_cents: int
    state: str
    period_label: str = ""

    @property
    def counted(self) -> bool:
        """Part of the consumptions (R6) and of the totals."""
        return self.state != CANCELLED

    @property
    def label(self) -> str:
        return f"{self.activity_label} — {self.period_label}" if self.period_label else self.activity_label


@dataclass(frozen=True)
class ConsumptionFilter:
    child_id: int | None = None
    child_name: str = ""
    activity_text: str = ""

    @property
    def active(self) -> bool:
        return self.child_id is not None or bool(self.activity_text.strip())

    def keeps(self, line: ConsumptionLine) -> bool:
        if self.child_id is not None and line.child_id != self.child_id:
            return False
        return activity_matches(self.activity_text, line.activity_code, line.activity_label)

    def describe(self) -> str:
        """"enfant Chloé, activité « APS »" (empty without filter)."""
        parts = []
        if self.child_id is not None:
            parts.append(f"enfant {self.child_name}".strip())
        if self.activity_text.strip():
            parts.append(f"activité « {self.activity_text.strip()} »")
        return ", ".join(parts)

    def slug(self) -> str:
        """Suffix of the file name so two filtered statements do not overwrite each other."""
        parts = []
        if self.child_id is not None:
            parts.append(self.child_name or str(self.child_id))
        if self.activity_text.strip():
            parts.append(self.activity_text.strip())
        return "-".join(parts)


@dataclass(frozen=True)
class ActivityTotal:
    label: str
    count: int
    total_cents: int


@dataclass(frozen=True)
class ConsumptionHistory:
    family: FamilyRef
    month: Month
    today: date
    lines: tuple[ConsumptionLine, ...]  # after the filter
    filter: ConsumptionFilter = field(default_factory=ConsumptionFilter)
    children: tuple[tuple[int, str], ...] = ()  # (id, first name) of the family's children
    unfiltered_count: int = 0

    @property
    def limit(self) -> date:
        return consumption_limit(self.today)

    @property
    def totals(self) -> tuple[ActivityTotal, ...]:
        by_activity: dict[int, list[Any]] = {}
        for line in self.lines:
            if not line.counted:
                continue
            entry = by_activity.setdefault(line.activity_id, [line.activity_order, line.activity_label, 0, 0])
            entry[2] += 1
            entry[3] += line.price_cents
        ordered = sorted(by_activity.values(), key=lambda e: (e[0], e[1]))
        return tuple(ActivityTotal(label=e[1], count=e[2], total_cents=e[3]) for e in ordered)

    @property
    def total_cents(self) -> int:
        return sum(line.price_cents for line in self.lines if line.counted)

    @property
    def consumed_cents(self) -> int:
        return sum(line.price_cents for line in self.lines if line.state == CONSUMED)

    @property
    def upcoming_cents(self) -> int:
        return sum(line.price_cents for line in self.lines if line.state == UPCOMING)


def _state(status: str, day: date, today: date) -> str:
    if status == "cancelled":
        return CANCELLED
    return CONSUMED if day <= today else UPCOMING


def _line_key(line: ConsumptionLine) -> tuple[Any, ...]:
    return (line.day, line.child_name, line.child_id, line.activity_order, line.activity_label,
            line.state != CANCELLED, line.booking_id)


_LINE_COLUMNS = (Booking.id, Booking.family_id, Booking.status, Booking.price_cents, Booking.child_id,
                 Child.first_name, Activity.id, Activity.code, Activity.label, Activity.sort_order)
_LIVE = ("confirmed", "cancelled")


def _line_from_row(r: Any, today: date, day: date, period_label: str = "") -> ConsumptionLine:
    return ConsumptionLine(
        booking_id=r[0], day=day, child_id=r[4], child_name=r[5], activity_id=r[6], activity_code=r[7],
        activity_label=r[8], activity_order=r[9], price_cents=r[3], state=_state(r[2], day, today),
        period_label=period_label)


def _month_window(month: Month, today: date) -> tuple[date, date] | None:
    """First and last day of the month that can hold consumptions (R6), if any."""
    last = min(consumption_limit(today), month.next_first_day - timedelta(days=1))
    return (month.first_day, last) if last >= month.first_day else None


def _month_periods(session: Session, first: date, last: date) -> dict[int, tuple[date, str]]:
    """Periods starting in the window: a period booking belongs to the month of its first day."""
    rows = session.execute(
        select(Period.id, Period.first_day, Period.label).where(Period.first_day >= first,
                                                                Period.first_day <= last)
    ).all()
    return {r[0]: (r[1], r[2]) for r in rows}


def _day_lines_stmt(first: date, last: date) -> Any:
    return (
        select(*_LINE_COLUMNS, Booking.day)
        .join(Child, Child.id == Booking.child_id)
        .join(Activity, Activity.id == Booking.activity_id)
        .where(Booking.status.in_(_LIVE), Booking.day >= first, Booking.day <= last)
    )


def _period_lines_stmt(period_ids: Iterable[int]) -> Any:
    return (
        select(*_LINE_COLUMNS, Booking.period_id)
        .join(Child, Child.id == Booking.child_id)
        .join(Activity, Activity.id == Booking.activity_id)
        .where(Booking.status.in_(_LIVE), Booking.period_id.in_(list(period_ids)))
    )


def consumption_lines_for(
    session: Session, family_ids: Sequence[int], month: Month, today: date
) -> dict[int, list[ConsumptionLine]]:
    """The month's consumption lines per family, sorted by date, child, activity.

    One indexed query per family (family, day): with a long IN list, SQLite's planner
    (no statistics) would scan the whole month of the town for every chunk."""
    window = _month_window(month, today)
    if window is None:
        return {}
    first, last = window
    periods = _month_periods(session, first, last)
    day_stmt = _day_lines_stmt(first, last).where(Booking.family_id == bindparam("fid"))
    period_stmt = (_period_lines_stmt(periods).where(Booking.family_id == bindparam("fid"))
                   if periods else None)
    out: dict[int, list[ConsumptionLine]] = {}
    for fid in family_ids:
        lines = [_line_from_row(r, today, r[10]) for r in session.execute(day_stmt, {"fid": fid})]
        if period_stmt is not None:
            for r in session.execute(period_stmt, {"fid": fid}):
                day, label = periods[r[10]]
                lines.append(_line_from_row(r, today, day, label))
        if lines:
            lines.sort(key=_line_key)
            out[fid] = lines
    return out


def _children(session: Session, family_id: int) -> tuple[tuple[int, str], ...]:
    from portail_tui.models import FamilyMember

    rows = session.execute(
        select(Child.id, Child.first_name)
        .join(FamilyMember, FamilyMember.child_id == Child.id)
        .where(FamilyMember.family_id == family_id)
        .order_by(Child.birth_date, Child.first_name)
    ).all()
    return tuple((r[0], r[1]) for r in rows)


def consumption_history(
    ctx: Context,
    family_id: int,
    month: Month,
    *,
    child_id: int | None = None,
    activity_text: str = "",
) -> ConsumptionHistory:
    today = ctx.clock.today()
    check_month(month, today)
    activity_text = " ".join((activity_text or "").split())[:80]

    def _work(session: Session) -> ConsumptionHistory:
        family = _family_ref(session, ctx, family_id)
        children = _children(session, family_id)
        lines = consumption_lines_for(session, [family_id], month, today).get(family_id, [])
        child_name = ""
        if child_id is not None:
            names = dict(children)
            if child_id not in names:
                # A child seen through the other family (shared custody) has no line here anyway.
                child_name = next((ln.child_name for ln in lines if ln.child_id == child_id), "")
                if not child_name:
                    raise ServiceError("Cet enfant n'est pas rattaché à la famille.", field="enfant")
            else:
                child_name = names[child_id]
        flt = ConsumptionFilter(child_id=child_id, child_name=child_name, activity_text=activity_text)
        kept = tuple(ln for ln in lines if flt.keeps(ln)) if flt.active else tuple(lines)
        return ConsumptionHistory(family=family, month=month, today=today, lines=kept, filter=flt,
                                  children=children, unfiltered_count=len(lines))

    return ctx.db.read(_work)


def find_child(history_children: Iterable[tuple[int, str]], name: str) -> int:
    """The child whose first name is `name` (accents and case ignored), for --enfant."""
    wanted = normalize(name)
    children = list(history_children)
    matches = [cid for cid, first in children if normalize(first) == wanted]
    if not matches:
        matches = [cid for cid, first in children if normalize(first).startswith(wanted)] if wanted else []
    if len(matches) == 1:
        return matches[0]
    known = ", ".join(first for _, first in children) or "aucun enfant"
    if not matches:
        raise ServiceError(f"Aucun enfant « {name} » dans cette famille (enfants : {known}).", field="enfant")
    raise ServiceError(f"Plusieurs enfants correspondent à « {name} » ({known}) : précisez le prénom.",
                       field="enfant")


def family_children(ctx: Context, family_id: int) -> tuple[tuple[int, str], ...]:
    def _work(session: Session) -> tuple[tuple[int, str], ...]:
        _family_ref(session, ctx, family_id)
        return _children(session, family_id)

    return ctx.db.read(_work)


# --- statements (Reports shared by the screen, the CLI and the batch) --------------------

# Widths are millimetres of an A4 portrait page (180 mm of text), measured so that the
# longest usual values fit ("Remboursement", "PayFiP (CB en ligne)", "annulé par la
# quittance n° 12345", "CENTRE DE LOISIRS — Vacances de Noël — semaine 1").
PAYMENT_COLUMNS = [
    Column("Quittance", "int", width=17.5),
    Column("Date", "datetime", width=29.6),
    Column("Opération", width=27.7),
    Column("Mode", width=32.9),
    Column("Observation", width=52.6),
    Column("Montant", "amount", width=19.7),
]

CONSUMPTION_COLUMNS = [
    Column("Date", "date", width=20),
    Column("Enfant", width=30),
    Column("Activité", width=92),
    Column("État", width=20),
    Column("Prix", "amount", width=18),
]


def _period_label(month: Month) -> str:
    return capitalize_first(month.label)


def payments_table(history: PaymentHistory) -> ReportTable:
    rows: list[list[object]] = [
        [ln.receipt_number, ln.at, ln.kind_label, ln.mode_text, ln.observation, ln.amount_cents]
        for ln in history.lines
    ]
    count = len(history.lines)
    label = f"Total du mois ({count} opération{'s' if count > 1 else ''})"
    return ReportTable(PAYMENT_COLUMNS, rows, totals=[[label, None, None, None, None, history.total_cents]])


def consumptions_table(history: ConsumptionHistory) -> ReportTable:
    rows: list[list[object]] = [
        [ln.day, ln.child_name, ln.label, ln.state, ln.price_cents if ln.counted else None]
        for ln in history.lines
    ]
    totals: list[list[object]] = [
        [f"Total {t.label} ({t.count})", None, None, None, t.total_cents] for t in history.totals
    ]
    totals.append(["Total des consommations", None, None, None, history.total_cents])
    return ReportTable(CONSUMPTION_COLUMNS, rows, totals=totals)


def _consumption_notes(history: ConsumptionHistory) -> list[str]:
    upcoming = (f", dont {format_amount(history.upcoming_cents)} à venir"
                if history.upcoming_cents else "")
    return [
        f"Consommations : réservations confirmées jusqu'au {format_date_short(history.limit)} "
        f"(aujourd'hui + 15 jours){upcoming} ; les réservations annulées ne sont pas comptées."
    ]


def payments_report(history: PaymentHistory, edited_at: datetime) -> Report:
    return Report(
        title="Historique des règlements",
        regie=history.family.regie_name,
        subtitle=history.family.subtitle,
        period_label=_period_label(history.month),
        tables=[("Règlements", payments_table(history))],
        notes=[] if history.lines else ["Aucun règlement ce mois-ci."],
        edited_at=edited_at,
    )


def consumptions_report(history: ConsumptionHistory, edited_at: datetime) -> Report:
    period = _period_label(history.month)
    described = history.filter.describe()
    if described:
        period = f"{period} — {described}"
    return Report(
        title="Relevé des consommations",
        regie=history.family.regie_name,
        subtitle=history.family.subtitle,
        period_label=period,
        tables=[("Consommations", consumptions_table(history))],
        notes=_consumption_notes(history),
        edited_at=edited_at,
    )


def monthly_statement_report(payments: PaymentHistory, consumptions: ConsumptionHistory,
                             edited_at: datetime) -> Report:
    """The relevé mensuel of the night batch: consommations and règlements of the month."""
    return Report(
        title="Relevé mensuel",
        regie=consumptions.family.regie_name,
        subtitle=consumptions.family.subtitle,
        period_label=_period_label(consumptions.month),
        tables=[("Consommations", consumptions_table(consumptions)),
                ("Règlements", payments_table(payments))],
        notes=_consumption_notes(consumptions),
        edited_at=edited_at,
    )


def statement_filename_parts(kind: str, history: ConsumptionHistory | PaymentHistory) -> tuple[str, int, str]:
    """(kind, family number, period) for `exports.files.export_filename`."""
    period = history.month.key
    if isinstance(history, ConsumptionHistory) and history.filter.active:
        period = f"{period}-{history.filter.slug()}"
    return kind, history.family.number, period


# --- batches (CLI) ------------------------------------------------------------------------


def family_ids_by_number(ctx: Context) -> list[int]:
    """Every family of the database (or of the actor's régie), by account number."""
    def _work(session: Session) -> list[int]:
        stmt = select(Family.id).order_by(Family.regie_id, Family.number)
        if ctx.actor is not None and ctx.actor.kind != "system":
            stmt = stmt.where(Family.regie_id == ctx.actor.regie_id)
        return list(session.execute(stmt).scalars())

    return ctx.db.read(_work)


@dataclass(frozen=True)
class MonthlyStatement:
    family: FamilyRef
    payments: PaymentHistory
    consumptions: ConsumptionHistory

    @property
    def empty(self) -> bool:
        return not self.payments.lines and not self.consumptions.lines


def monthly_statements(ctx: Context, family_ids: Sequence[int], month: Month) -> list[MonthlyStatement]:
    """Statements of many families in three queries (the batch works by chunks)."""
    today = ctx.clock.today()
    check_month(month, today)

    def _work(session: Session) -> list[MonthlyStatement]:
        refs = _family_refs(session, family_ids)
        pays = payment_lines_for(session, family_ids, month)
        cons = consumption_lines_for(session, family_ids, month, today)
        out = []
        for fid in family_ids:
            ref = refs.get(fid)
            if ref is None:
                continue
            lines = tuple(cons.get(fid, ()))
            out.append(MonthlyStatement(
                family=ref,
                payments=PaymentHistory(family=ref, month=month, lines=tuple(pays.get(fid, ()))),
                consumptions=ConsumptionHistory(family=ref, month=month, today=today, lines=lines,
                                                unfiltered_count=len(lines)),
            ))
        return out

    return ctx.db.read(_work)


TOWN_CONSUMPTION_COLUMNS = [
    Column("Famille", width=16),
    Column("Nom", width=30),
    *CONSUMPTION_COLUMNS,
]


def town_consumption_rows(ctx: Context, month: Month, *, activity_text: str = "") -> Iterator[list[object]]:
    """Every family's consumption lines of the month, as rows of TOWN_CONSUMPTION_COLUMNS,
    family by family in account-number order, each family's lines in statement order.

    One streamed query over the month (merged with the families list) rather than one
    per family: the whole town's month is a few hundred thousand lines."""
    today = ctx.clock.today()
    check_month(month, today)
    window = _month_window(month, today)
    if window is None:
        return
    first, last = window
    regie_id = ctx.actor.regie_id if ctx.actor is not None and ctx.actor.kind != "system" else None
    matches: dict[int, bool] = {}

    def keeps(line: ConsumptionLine) -> bool:
        keep = matches.get(line.activity_id)
        if keep is None:
            keep = matches[line.activity_id] = activity_matches(activity_text, line.activity_code,
                                                                line.activity_label)
        return keep

    with ctx.db.session() as session:
        fam_stmt = select(Family.id, Family.number, Family.name).order_by(Family.regie_id, Family.number)
        day_stmt = (_day_lines_stmt(first, last).join(Family, Family.id == Booking.family_id)
                    .order_by(Family.regie_id, Family.number))
        if regie_id is not None:
            fam_stmt = fam_stmt.where(Family.regie_id == regie_id)
            day_stmt = day_stmt.where(Family.regie_id == regie_id)
        families = session.execute(fam_stmt).all()
        periods = _month_periods(session, first, last)
        by_family: dict[int, list[ConsumptionLine]] = {}
        if periods:
            for r in session.execute(_period_lines_stmt(periods)):
                day, label = periods[r[10]]
                by_family.setdefault(r[1], []).append(_line_from_row(r, today, day, label))
        # Core rows (not ORM results): a few hundred thousand of them.
        stream = iter(session.connection().execute(day_stmt.execution_options(yield_per=10_000)))
        pending = next(stream, None)
        for fid, number, name in families:
            lines = by_family.pop(fid, [])
            while pending is not None and pending[1] == fid:
                lines.append(_line_from_row(pending, today, pending[10]))
                pending = next(stream, None)
            if not lines:
                continue
            lines.sort(key=_line_key)
            number_text = format_family_number(number)
            for ln in lines:
                if activity_text and not keeps(ln):
                    continue
                yield [number_text, name, ln.day, ln.child_name, ln.label, ln.state,
                       ln.price_cents if ln.counted else None]


# --- one statement as a file (screen and CLI) ----------------------------------------------

PAYMENTS_KIND = "historique-reglements"
CONSUMPTIONS_KIND = "releve-consommations"
MONTHLY_KIND = "releve-mensuel"


@dataclass(frozen=True)
class StatementFile:
    """A statement ready to be written: its readable file name and its bytes."""

    filename: str
    data: bytes
    report: Report
    lines: int


def payments_file(ctx: Context, history: PaymentHistory, fmt: str) -> StatementFile:
    from portail_tui.exports.files import export_filename

    report = payments_report(history, ctx.clock.now())
    name = export_filename(*statement_filename_parts(PAYMENTS_KIND, history), check_format(fmt))
    return StatementFile(name, render_report(report, fmt), report, len(history.lines))


def consumptions_file(ctx: Context, history: ConsumptionHistory, fmt: str) -> StatementFile:
    from portail_tui.exports.files import export_filename

    report = consumptions_report(history, ctx.clock.now())
    name = export_filename(*statement_filename_parts(CONSUMPTIONS_KIND, history), check_format(fmt))
    return StatementFile(name, render_report(report, fmt), report, len(history.lines))


def monthly_statement_file(statement: MonthlyStatement, fmt: str, edited_at: datetime) -> StatementFile:
    from portail_tui.exports.files import export_filename

    report = monthly_statement_report(statement.payments, statement.consumptions, edited_at)
    name = export_filename(MONTHLY_KIND, statement.family.number, statement.consumptions.month.key,
                           check_format(fmt))
    lines = len(statement.payments.lines) + len(statement.consumptions.lines)
    return StatementFile(name, render_report(report, fmt), report, lines)
