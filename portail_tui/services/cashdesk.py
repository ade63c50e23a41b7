"""The cash day: journal, totals by mode, cheques to deposit and the closing (B4).

The journal of a day is every entry dated that business day, in receipt order:
payments, and corrections (reversals, refunds) shown as such. Closing (arrêté de
caisse) compares the cash counted with the cash the journal expects and is signed off
by the régisseur; from then on no entry may be dated that day — a later correction
lands on the day it is made.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlmodel import Session, col

# The journal types live in domain (exports render them); re-exported here.
from portail_tui.domain.cash_entries import MODE_LABELS
from portail_tui.domain.cash_entries import Closing as Closing
from portail_tui.domain.cash_entries import DayJournal as DayJournal
from portail_tui.domain.cash_entries import JournalEntry as JournalEntry
from portail_tui.domain.cash_entries import ModeTotal as ModeTotal
from portail_tui.domain.frdates import format_date_long
from portail_tui.domain.money import format_amount
from portail_tui.models import Agent, CashDay, Family, Payment, Regie
from portail_tui.services import audit
from portail_tui.services.context import Context, ServiceError
from portail_tui.services.export_formats import check_format, render_report
from portail_tui.services.payments import agent_name_of
from portail_tui.services.permissions import require
from portail_tui.services.receipt_counter import lock_cash_desk

MAX_NOTE = 500


def _regie_id(ctx: Context) -> int:
    return ctx.require_actor().regie_id


def journal_in_session(session: Session, regie_id: int, day: date) -> DayJournal:
    regie = session.get(Regie, regie_id)
    if regie is None:
        raise ServiceError("Régie introuvable.")
    rows = session.execute(
        select(Payment, col(Family.number), col(Family.name))
        .join(Family, col(Family.id) == col(Payment.family_id))
        .where(col(Payment.regie_id) == regie_id, col(Payment.business_day) == day)
        .order_by(col(Payment.receipt_number))
    ).all()
    payments = [r[0] for r in rows]
    ids = [p.id for p in payments]
    # Links to entries of other days, both ways (a reversal today of a payment of last week).
    reversed_by: dict[int, int] = {}
    reverses: dict[int, int] = {}
    if ids:
        for rid, number in session.execute(
            select(col(Payment.reverses_id), col(Payment.receipt_number)).where(col(Payment.reverses_id).in_(ids))
        ).all():
            reversed_by[rid] = number
        targets = [p.reverses_id for p in payments if p.reverses_id is not None]
        if targets:
            for pid, number in session.execute(
                select(col(Payment.id), col(Payment.receipt_number)).where(col(Payment.id).in_(targets))
            ).all():
                reverses[pid] = number
    logins = {p.created_by.partition(":")[2] for p in payments if p.created_by.startswith("agent:")}
    names: dict[str, str] = {}
    if logins:
        names = {
            f"agent:{login}": full
            for login, full in session.execute(
                select(col(Agent.login), col(Agent.full_name)).where(col(Agent.login).in_(logins))
            ).all()
        }
    entries = []
    for p, number, name in rows:
        entries.append(
            JournalEntry(
                payment_id=p.id,
                receipt_number=p.receipt_number,
                created_at=p.created_at,
                family_id=p.family_id,
                family_number=number,
                family_name=name,
                kind=p.kind,
                mode=p.mode,
                amount_cents=p.amount_cents,
                agent=names.get(p.created_by) or agent_name_of(session, p.created_by),
                payer_name=p.payer_name,
                cheque_number=p.cheque_number,
                cheque_bank=p.cheque_bank,
                cheque_drawer=p.cheque_drawer,
                reference=p.reference,
                reason=p.reason,
                reverses_receipt=reverses.get(p.reverses_id) if p.reverses_id else None,
                reversed_by_receipt=reversed_by.get(p.id),
            )
        )
    totals: dict[str, list[int]] = {}
    for e in entries:
        t = totals.setdefault(e.mode, [0, 0, 0])
        t[0] += 1
        if e.kind == "payment":
            t[1] += e.amount_cents
        else:
            t[2] += e.amount_cents
    order = list(MODE_LABELS)
    mode_totals = tuple(
        ModeTotal(m, *totals[m]) for m in sorted(totals, key=lambda m: order.index(m) if m in order else 99)
    )
    # Cheques for the deposit slip: received that day and not handed back the same day.
    reversed_today = {e.reverses_receipt for e in entries if e.kind == "reversal"}
    cheques = tuple(
        e for e in entries
        if e.kind == "payment" and e.mode == "cheque" and e.receipt_number not in reversed_today
    )
    expected_cash = sum(e.amount_cents for e in entries if e.mode == "especes")
    closing = None
    cash_day = session.execute(
        select(CashDay).where(col(CashDay.regie_id) == regie_id, col(CashDay.day) == day)
    ).scalars().first()
    if cash_day is not None:
        closing = Closing(
            day=cash_day.day,
            expected_cash_cents=cash_day.expected_cash_cents,
            counted_cash_cents=cash_day.counted_cash_cents,
            note=cash_day.note,
            closed_at=cash_day.closed_at,
            closed_by=agent_name_of(session, cash_day.closed_by),
        )
    return DayJournal(
        regie_id=regie_id,
        regie_name=regie.name,
        day=day,
        entries=tuple(entries),
        totals=mode_totals,
        cheques=cheques,
        expected_cash_cents=expected_cash,
        closing=closing,
        regisseur_name=regie.regisseur_name or "",
    )


def day_journal(ctx: Context, day: date | None = None) -> DayJournal:
    """The journal of one business day of the acting agent's régie (default: today)."""
    regie_id = _regie_id(ctx)
    day = day or ctx.clock.today()
    return ctx.db.read(lambda s: journal_in_session(s, regie_id, day))


def close_day(ctx: Context, day: date, *, counted_cents: int, note: str | None = None) -> Closing:
    """Arrêté de caisse, signed by the régisseur. A difference between counted and
    expected cash needs a note saying why; a closed day cannot be closed again."""
    actor = require(ctx, "cash.close")
    now = ctx.clock.now()
    if day > now.date():
        raise ServiceError("Impossible de clôturer une journée qui n'a pas commencé.", field="day")
    if not isinstance(counted_cents, int) or counted_cents < 0:
        raise ServiceError("Le montant compté doit être positif ou nul.", field="counted")
    note_c = " ".join((note or "").split())
    if len(note_c) > MAX_NOTE:
        raise ServiceError(f"Observation trop longue ({MAX_NOTE} caractères au plus).", field="note")
    regie_id = actor.regie_id

    def _work(session: Session) -> Closing:
        # Same lock as a payment: no entry can slip in between the totals and the row.
        lock_cash_desk(session, regie_id)
        journal = journal_in_session(session, regie_id, day)
        if journal.closing is not None:
            c = journal.closing
            raise ServiceError(
                f"La caisse du {format_date_long(day)} est déjà clôturée "
                f"(le {c.closed_at.strftime('%d/%m/%Y à %H:%M')} par {c.closed_by})."
            )
        difference = journal.difference(counted_cents)
        if difference != 0 and not note_c:
            word = "excédent" if difference > 0 else "manque"
            raise ServiceError(
                f"Écart de caisse ({word} de {format_amount(abs(difference))}) : "
                "indiquez-en la raison dans l'observation.",
                field="note",
            )
        row = CashDay(
            regie_id=regie_id,
            day=day,
            expected_cash_cents=journal.expected_cash_cents,
            counted_cash_cents=counted_cents,
            note=note_c or None,
            closed_at=now,
            closed_by=actor.tag,
        )
        session.add(row)
        session.flush()
        audit.record(
            session, at=now, actor=actor.tag, action="cash.close", entity="cash_day", entity_id=row.id,
            day=day.isoformat(), expected_cents=journal.expected_cash_cents, counted_cents=counted_cents,
            entries=len(journal.entries), note=note_c or None,
        )
        return Closing(day, journal.expected_cash_cents, counted_cents, note_c or None, now,
                       actor.full_name or actor.login)

    return ctx.db.write(_work)


def regie_for_code(ctx: Context, code: str | None = None) -> int:
    """The régie a system command works for: by code, or the only one there is."""

    def _work(session: Session) -> int:
        if code:
            rid = session.execute(select(col(Regie.id)).where(col(Regie.code) == code)).scalar()
            if rid is None:
                raise ServiceError(f"Régie inconnue : {code}.")
            return int(rid)
        ids = list(session.execute(select(col(Regie.id)).order_by(col(Regie.id)).limit(2)).scalars())
        if not ids:
            raise ServiceError("Aucune régie dans la base de données.")
        if len(ids) > 1:
            raise ServiceError("Plusieurs régies : précisez laquelle avec --regie CODE.")
        return int(ids[0])

    return ctx.db.read(_work)


# --- the journal as a file (same bytes from the screen and from the CLI) ------------

@dataclass(frozen=True)
class JournalFile:
    filename: str
    data: bytes
    lines: int
    journal: DayJournal


def journal_file(ctx: Context, day: date | None = None, fmt: str = "pdf", *,
                 counted_cents: int | None = None) -> JournalFile:
    """The journal of a day rendered as CSV or PDF; `counted_cents` shows the cash
    difference of a day not closed yet."""
    from portail_tui.exports.journal import journal_filename, journal_report

    fmt = check_format(fmt)
    journal = day_journal(ctx, day)
    report = journal_report(journal, edited_at=ctx.clock.now(), counted_cents=counted_cents)
    data = render_report(report, fmt)
    return JournalFile(journal_filename(journal.day, fmt), data, len(journal.entries), journal)
