"""Histories (R9): a family's règlements and consommations of one month, and the
statements built from them.

The same functions feed the Historiques screen, the `portail export` commands and the
night batch, so a statement written from the screen is the very file the CLI writes.
Callers import from here (`from portail_tui.services import history as h`); the
modules behind it: months (the three months R9 allows), families (whose statement),
payments (règlements), consumptions (R6 lines of a month, through consumption.py),
batches (many families, the whole town) and statements (reports and files).
"""

from __future__ import annotations

from portail_tui.services.export_formats import check_format
from portail_tui.services.history.batches import (
    MonthlyStatement,
    monthly_statements,
    town_consumption_rows,
)
from portail_tui.services.history.consumptions import (
    ATTENDANCE_FILTERS,
    CANCELLED,
    CONSUMED,
    UPCOMING,
    ActivityTotal,
    ConsumptionFilter,
    ConsumptionHistory,
    ConsumptionLine,
    consumption_history,
    consumption_lines_for,
)
from portail_tui.services.history.families import (
    FamilyRef,
    family_children,
    family_ids_by_number,
    find_child,
)
from portail_tui.services.history.months import (
    HISTORY_MONTHS,
    Month,
    check_month,
    history_months,
    parse_history_month,
)
from portail_tui.services.history.payments import (
    PaymentHistory,
    PaymentLine,
    payment_history,
    payment_lines_for,
)
from portail_tui.services.history.statements import (
    CONSUMPTION_COLUMNS,
    CONSUMPTIONS_KIND,
    MONTHLY_KIND,
    PAYMENT_COLUMNS,
    PAYMENTS_KIND,
    TOWN_CONSUMPTION_COLUMNS,
    StatementFile,
    consumptions_file,
    consumptions_report,
    consumptions_table,
    monthly_statement_file,
    monthly_statement_report,
    payments_file,
    payments_report,
    payments_table,
    statement_filename_parts,
)

__all__ = [
    "ATTENDANCE_FILTERS", "CANCELLED", "CONSUMED", "CONSUMPTIONS_KIND", "CONSUMPTION_COLUMNS", "HISTORY_MONTHS", "MONTHLY_KIND",
    "PAYMENTS_KIND", "PAYMENT_COLUMNS", "TOWN_CONSUMPTION_COLUMNS", "UPCOMING",
    "ActivityTotal", "ConsumptionFilter", "ConsumptionHistory", "ConsumptionLine", "FamilyRef", "Month",
    "MonthlyStatement", "PaymentHistory", "PaymentLine", "StatementFile",
    "check_format", "check_month", "consumption_history", "consumption_lines_for", "consumptions_file",
    "consumptions_report", "consumptions_table", "family_children", "family_ids_by_number", "find_child",
    "history_months", "monthly_statement_file", "monthly_statement_report", "monthly_statements",
    "parse_history_month", "payment_history", "payment_lines_for", "payments_file", "payments_report",
    "payments_table", "statement_filename_parts", "town_consumption_rows",
]
