"""Many families at once (CLI exports and the night batch): statements by chunks and
the whole town's consumption lines of a month, streamed."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session, col

from portail_tui.domain.text import activity_matches
from portail_tui.models import Booking, Family
from portail_tui.services.context import Context
from portail_tui.services.families import format_family_number
from portail_tui.services.history.consumptions import (
    ConsumptionHistory,
    ConsumptionLine,
    consumption_lines_for,
    day_lines_stmt,
    line_from_row,
    line_key,
    month_periods,
    month_window,
    period_lines_stmt,
)
from portail_tui.services.history.families import FamilyRef, family_refs
from portail_tui.services.history.months import Month, check_month
from portail_tui.services.history.payments import PaymentHistory, payment_lines_for


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
        refs = family_refs(session, family_ids)
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


def town_consumption_rows(ctx: Context, month: Month, *, activity_text: str = "") -> Iterator[list[object]]:
    """Every family's consumption lines of the month, as rows of statements.TOWN_CONSUMPTION_COLUMNS,
    family by family in account-number order, each family's lines in statement order.

    One streamed query over the month (merged with the families list) rather than one
    per family: the whole town's month is a few hundred thousand lines."""
    today = ctx.clock.today()
    check_month(month, today)
    window = month_window(month, today)
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
        by_number = (col(Family.regie_id), col(Family.number))
        fam_stmt = select(col(Family.id), col(Family.number), col(Family.name)).order_by(*by_number)
        day_stmt = (day_lines_stmt(first, last).join(Family, col(Family.id) == col(Booking.family_id))
                    .order_by(*by_number))
        if regie_id is not None:
            fam_stmt = fam_stmt.where(col(Family.regie_id) == regie_id)
            day_stmt = day_stmt.where(col(Family.regie_id) == regie_id)
        families = session.execute(fam_stmt).all()
        periods = month_periods(session, first, last)
        by_family: dict[int, list[ConsumptionLine]] = {}
        if periods:
            for r in session.execute(period_lines_stmt(periods, last)):
                day, label = periods[r[10]]
                by_family.setdefault(r[1], []).append(line_from_row(r, today, day, label))
        # Core rows (not ORM results): a few hundred thousand of them.
        stream = iter(session.connection().execute(day_stmt.execution_options(yield_per=10_000)))
        pending = next(stream, None)
        for fid, number, name in families:
            lines = by_family.pop(fid, [])
            while pending is not None and pending[1] == fid:
                lines.append(line_from_row(pending, today, pending[10]))
                pending = next(stream, None)
            if not lines:
                continue
            lines.sort(key=line_key)
            number_text = format_family_number(number)
            for ln in lines:
                if activity_text and not keeps(ln):
                    continue
                yield [number_text, name, ln.day, ln.child_name, ln.label, ln.state, ln.shown_price]
