"""The service day's attendance (P1–P3, P6): who is expected (`lists`), marking
(`marking`), the child search of « présent non inscrit » (`search`). What a justified
absence costs is decided by the justification's module, not here."""

from portail_tui.services.attendance.lists import (
    NO_SCHOOL,
    PointageActivity,
    PointageList,
    PointageRow,
    pointage_activities,
    pointage_list,
    unmarked,
    unmarked_notice,
)
from portail_tui.services.attendance.marking import (
    Mark,
    Unbooked,
    add_unbooked,
    mark,
    mark_all_present,
)
from portail_tui.services.attendance.search import ChildHit, search_children

__all__ = [
    "NO_SCHOOL",
    "ChildHit",
    "Mark",
    "PointageActivity",
    "PointageList",
    "PointageRow",
    "Unbooked",
    "add_unbooked",
    "mark",
    "mark_all_present",
    "pointage_activities",
    "pointage_list",
    "search_children",
    "unmarked",
    "unmarked_notice",
]
