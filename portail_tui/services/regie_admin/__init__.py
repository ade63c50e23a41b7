"""What a régisseur changes during the year (G5–G7), in one place for the Régie mode
and the `portail regie fermer` command:

- `capacities` the activities as they are set up (read-only) and the places of a day
               or a period: lowering under what is booked is refused, raising gives
               the places to the children waiting, in order (B2);
- `periods`    holiday periods: add one, change its booking window or capacity;
- `closing`    closing a day for some activities (G6);
- `accounts`   agent accounts and their explicit rights (G7).

Every write asks `permissions.require` first and is audited.
"""

from portail_tui.services.regie_admin.accounts import (
    AgentRow,
    agent_rows,
    set_agent_health,
    set_agent_role,
)
from portail_tui.services.regie_admin.capacities import (
    ActivityInfo,
    CapacityChange,
    DaySlot,
    list_activities,
    month_capacities,
    set_capacity,
)
from portail_tui.services.regie_admin.closing import ClosureImpact, ClosureResult, close_day
from portail_tui.services.regie_admin.periods import (
    PeriodInfo,
    add_period,
    change_period,
    list_periods,
)

__all__ = [
    "ActivityInfo", "AgentRow", "CapacityChange", "ClosureImpact", "ClosureResult", "DaySlot", "PeriodInfo",
    "add_period", "agent_rows", "change_period", "close_day", "list_activities", "list_periods",
    "month_capacities", "set_agent_health", "set_agent_role", "set_capacity",
]
