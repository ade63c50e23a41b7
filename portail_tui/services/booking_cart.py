"""Old home of the cart: it moved to `domain/booking_cart.py` (pure rules, no database)
and is re-exported by `services.booking`. Kept so screens importing this path keep
working until they import from `services.booking`."""

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

__all__ = [
    "BOOK",
    "CANCEL",
    "Cart",
    "CartLine",
    "DayOption",
    "DayOptions",
    "LineKey",
    "OptionView",
    "PeriodOption",
    "option_view",
    "period_key",
    "period_view",
    "toggle",
    "toggle_period",
    "wanted",
]
