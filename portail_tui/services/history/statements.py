"""Statements: the `*_report` builders turn a history into an exports `Report`, so a
statement written from the screen is the very file the CLI and the night batch write."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from portail_tui.domain.frdates import capitalize_first, format_date_short
from portail_tui.domain.money import format_amount
from portail_tui.exports.tables import Column, Report, ReportTable
from portail_tui.services.consumption import CONSUMPTION_WINDOW_DAYS
from portail_tui.services.context import Context
from portail_tui.services.export_formats import check_format, render_report
from portail_tui.services.history.batches import MonthlyStatement
from portail_tui.services.history.consumptions import ConsumptionHistory
from portail_tui.services.history.months import Month
from portail_tui.services.history.payments import PaymentHistory, PaymentLine
from portail_tui.services.opening_balance import LABEL as OPENING_LABEL

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

# État holds « absence justifiée — non facturée » (P2) whole: the activity gives way
# (a long period label is cut with an ellipsis, the CSV keeps it whole).
CONSUMPTION_COLUMNS = [
    Column("Date", "date", width=20),
    Column("Enfant", width=26),
    Column("Activité", width=64),
    Column("État", width=52),
    Column("Prix", "amount", width=18),
]


TOWN_CONSUMPTION_COLUMNS = [
    Column("Famille", width=16),
    Column("Nom", width=30),
    *CONSUMPTION_COLUMNS,
]


def _period_label(month: Month) -> str:
    return capitalize_first(month.label)


def payments_table(history: PaymentHistory) -> ReportTable:
    rows: list[list[object]] = [_payment_row(ln) for ln in history.lines]
    count = len(history.lines)
    label = f"Total du mois ({count} opération{'s' if count > 1 else ''})"
    return ReportTable(PAYMENT_COLUMNS, rows, totals=[[label, None, None, None, None, history.total_cents]])


def _payment_row(ln: PaymentLine) -> list[object]:
    if ln.opening_on is not None:
        # « Reprise de solde au 31/10/2026 » is wider than the Opération column: the PDF
        # cut it to « Reprise de sol… ». The date goes to Observation, which has room.
        return [None, ln.at, OPENING_LABEL, "", f"arrêté au {format_date_short(ln.opening_on)}", ln.amount_cents]
    return [ln.receipt_number, ln.at, ln.kind_label, ln.mode_text, ln.observation, ln.amount_cents]


def consumptions_table(history: ConsumptionHistory) -> ReportTable:
    rows: list[list[object]] = [
        [ln.day, ln.child_name, ln.label, ln.state, ln.shown_price]
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
        f"(aujourd'hui + {CONSUMPTION_WINDOW_DAYS} jours){upcoming} ; "
        "les réservations annulées ne sont pas comptées."
        + (" Les absences justifiées dans le délai ne sont pas facturées." if history.waived_count else "")
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
