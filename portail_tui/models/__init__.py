"""All tables. Importing this package registers every table on the shared metadata."""

from portail_tui.models.activity import Activity, ActivityClosure, Closure, Period, Rate, Slot
from portail_tui.models.base import id_of, metadata, table_of
from portail_tui.models.booking import BOOKING_STATUSES, Booking
from portail_tui.models.changes import FamilyChange
from portail_tui.models.core import (
    PAYMENT_MODES,
    ROLES,
    Agent,
    Child,
    Contact,
    Family,
    FamilyMember,
    Guardian,
    Regie,
)
from portail_tui.models.dossier import FORM_KINDS, FORM_STATUSES, Form, PasswordReset, PortalAccount
from portail_tui.models.opening import OpeningBalance
from portail_tui.models.ops import AuditLog, News, OutboxMessage
from portail_tui.models.payment import (
    PAYMENT_KINDS,
    CashDay,
    PayfipRequest,
    Payment,
    ReceiptCounter,
)
from portail_tui.models.setup import (
    ATTENDANCE_STATES,
    JUSTIFICATION_REASONS,
    MEAL_TYPES,
    Attendance,
    School,
    SchoolClass,
)

__all__ = [
    "BOOKING_STATUSES", "FORM_KINDS", "FORM_STATUSES", "PAYMENT_KINDS", "PAYMENT_MODES", "ROLES",
    "Activity", "Agent", "AuditLog", "Booking", "CashDay", "Child", "Closure", "Contact", "Family",
    "FamilyMember", "Form", "Guardian", "News", "OutboxMessage", "PasswordReset", "Payment",
    "PayfipRequest", "Period", "PortalAccount", "Rate", "ReceiptCounter", "Regie", "Slot", "id_of",
    "metadata", "table_of",
    "FamilyChange",
    "ATTENDANCE_STATES", "JUSTIFICATION_REASONS", "MEAL_TYPES", "Attendance", "School",
    "SchoolClass",
    "OpeningBalance",
    "ActivityClosure",
]
