"""Bookings (R1–R5, R8, R10, B1–B3, B5): what the Réservations tab, the CLI, the
nightly run and the benchmarks call. One module per use case:

- `setup`      the régie's activities, rates and closures as rule objects
- `children`   the family and the children an agent books for
- `facts`      places, prices and waiting ranks the rules need, gathered once per call
- `month`      the month calendar of one child (R5)
- `options`    the day dialog and the period dialog (R3, R10)
- `patterns`   « every Mon/Tue/Thu/Fri from … to … » (B3)
- `validation` Valider: cancel, check, reserve, insert — one transaction (R10, B2)
- `outcome`    what Valider answers, line by line
- `waiting`    places and the waiting list (B2), the nightly catch-up
- `suivi`      bookings beyond the next 15 days (R8) and their export

Whether a line can be booked is decided in one place, `domain.booking_rules`
(`check_day_line`, `check_period_line`); the cart the screen holds is pure and lives
in `domain.booking_cart`, re-exported here.
"""

from portail_tui.domain.booking_cart import (
    BOOK,
    CANCEL,
    Cart,
    CartLine,
    DayOption,
    DayOptions,
    LineKey,
    OptionView,
    PeriodOption,
    option_view,
    period_key,
    period_view,
    toggle,
    toggle_period,
    wanted,
)
from portail_tui.services.booking.children import ChildChoice, booking_children
from portail_tui.services.booking.month import MonthView, month_view
from portail_tui.services.booking.options import day_options, period_options
from portail_tui.services.booking.outcome import CartResult, LineOutcome
from portail_tui.services.booking.patterns import (
    MAX_PATTERN_DAYS,
    PatternResult,
    SkippedDay,
    default_pattern_range,
    pattern_lines,
)
from portail_tui.services.booking.setup import LIVE, RegieSetup, day_activities, load_setup
from portail_tui.services.booking.suivi import (
    SuiviFile,
    SuiviLine,
    SuiviResult,
    suivi,
    suivi_file,
    suivi_report,
)
from portail_tui.services.booking.validation import validate_cart
from portail_tui.services.booking.waiting import promote_waiting

__all__ = [
    "BOOK",
    "CANCEL",
    "LIVE",
    "MAX_PATTERN_DAYS",
    "Cart",
    "CartLine",
    "CartResult",
    "ChildChoice",
    "DayOption",
    "DayOptions",
    "LineKey",
    "LineOutcome",
    "MonthView",
    "OptionView",
    "PatternResult",
    "PeriodOption",
    "RegieSetup",
    "SkippedDay",
    "SuiviFile",
    "SuiviLine",
    "SuiviResult",
    "booking_children",
    "day_activities",
    "day_options",
    "default_pattern_range",
    "load_setup",
    "month_view",
    "option_view",
    "pattern_lines",
    "period_key",
    "period_options",
    "period_view",
    "promote_waiting",
    "suivi",
    "suivi_file",
    "suivi_report",
    "toggle",
    "toggle_period",
    "validate_cart",
    "wanted",
]
