"""What the régie bills of a service day (P2), without I/O.

présent and absent are consumed: the booking was not cancelled in time, the meal was
cooked and the staff was there. A justified absence is waived when its justification
reaches the régie within the régie's delay after the absence — except the first day of
the illness when the town bills a jour de carence. présent non inscrit is consumed too,
through the booking created at the surcharge price. One illness is a run of the
child's absence days that no booked day of the child interrupts (a week-end, a
Wednesday without booking or a holiday in between do not end it): the carence day is
billed once per illness, and the delay runs from the illness's last day.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from portail_tui.domain.frdates import format_date_short

PRESENT = "present"
ABSENT = "absent"
JUSTIFIED = "absent_justifie"
UNBOOKED = "present_non_inscrit"
BOOKED = "reserve"  # not marked yet: no Attendance row

STATE_LABELS = {
    BOOKED: "réservé",
    PRESENT: "présent",
    ABSENT: "absent",
    JUSTIFIED: "absence justifiée",
    UNBOOKED: "présent non inscrit",
}
WAIVED_LABEL = "absence justifiée — non facturée"

REASON_LABELS = {
    "certificat": "certificat médical",
    "hospitalisation": "hospitalisation",
    "autre": "autre",
}


def state_label(state: str | None, billed: bool = True) -> str:
    """The word a statement prints for a consumption: « réservé » when nobody marked
    it, « absence justifiée — non facturée » when the rule waived it."""
    if state is None:
        return STATE_LABELS[BOOKED]
    if state == JUSTIFIED and not billed:
        return WAIVED_LABEL
    return STATE_LABELS.get(state, state)


def split_illnesses(days: Iterable[date], booked_days: Iterable[date]) -> list[list[date]]:
    """The absence days grouped into illnesses: a booked day of the child that is not
    among the absence days ends one illness (the child came back, or was absent
    without justification)."""
    absent = sorted(set(days))
    if not absent:
        return []
    breaks = sorted(set(booked_days) - set(absent))
    runs: list[list[date]] = [[absent[0]]]
    for day in absent[1:]:
        previous = runs[-1][-1]
        if any(previous < b < day for b in breaks):
            runs.append([day])
        else:
            runs[-1].append(day)
    return runs


def justification_deadline(illness: Iterable[date], delay_days: int) -> date:
    """The last day a justification is accepted for this illness."""
    return max(illness) + timedelta(days=delay_days)


def describe_absence(illness: Iterable[date]) -> str:
    """« l'absence du 10/11/2026 » or « l'absence du 10/11/2026 au 13/11/2026 »."""
    days = sorted(illness)
    if days[0] == days[-1]:
        return f"l'absence du {format_date_short(days[0])}"
    return f"l'absence du {format_date_short(days[0])} au {format_date_short(days[-1])}"


def late_reason(illness: Iterable[date], received_on: date, delay_days: int) -> str | None:
    """The French refusal when the justification came after the delay, else None."""
    days = sorted(illness)
    if received_on <= justification_deadline(days, delay_days):
        return None
    unit = "jour" if delay_days == 1 else "jours"
    return (f"justificatif reçu le {format_date_short(received_on)} : le délai de {delay_days} {unit} "
            f"après {describe_absence(days)} est dépassé")


@dataclass(frozen=True)
class Billing:
    """The outcome of one illness's justification: the days billed anyway (the carence
    day) and the days waived, or the refusal when the justification came too late."""

    billed: tuple[date, ...]
    waived: tuple[date, ...]
    refusal: str | None = None

    @property
    def accepted(self) -> bool:
        return self.refusal is None


def justification_billing(
    illness: Iterable[date], received_on: date, delay_days: int, bill_first_day: bool, *, continues: bool = False
) -> Billing:
    """P2 for one illness: in time, every day is waived but the first when the town
    bills a jour de carence; late, nothing is waived and the refusal says why.
    `continues`: the illness goes on from days already justified (a second certificate
    prolongs the first), so its carence day was billed then."""
    days = tuple(sorted(set(illness)))
    if not days:
        return Billing((), ())
    refusal = late_reason(days, received_on, delay_days)
    if refusal is not None:
        return Billing(days, (), refusal)
    if bill_first_day and not continues:
        return Billing(days[:1], days[1:])
    return Billing((), days)
