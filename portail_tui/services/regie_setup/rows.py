"""Column values of each set-up row, built from the typed file: the one translation
from the set-up file to the tables, used by `apply` (compared with the rows, then
written) and by the demo generator (bulk-inserted with its own ids), so the demo town
is exactly what the same file would give a real town."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from portail_tui.services.regie_setup.model import (
    ActivitySpec,
    PeriodSpec,
    RateSpec,
    RegieSpec,
    SchoolSpec,
)

_ONE_DAY = timedelta(days=1)


def regie_values(spec: RegieSpec) -> dict[str, Any]:
    return {
        "code": spec.code,
        "name": spec.name,
        "address": spec.address,
        "regisseur_name": spec.regisseur_name,
        "email": spec.email,
        "payment_modes": ",".join(spec.payment_modes),
        "cash_limit_cents": spec.cash_limit_cents,
        "payfip_numcli": spec.payfip_numcli,
        "school_zone": spec.school_zone,
        "school_year_start": spec.school_year_start,
        "attendance_deadline_days": spec.attendance_deadline_days,
        "justification_delay_days": spec.justification_delay_days,
        "bill_first_sick_day": spec.bill_first_sick_day,
    }


def school_values(spec: SchoolSpec, regie_id: int, position: int) -> dict[str, Any]:
    return {"regie_id": regie_id, "code": spec.code, "name": spec.name,
            "kitchen_email": spec.kitchen_email, "closed_from": spec.closed_from,
            "sort_order": (position + 1) * 10}


def class_values(name: str, school_id: int, position: int) -> dict[str, Any]:
    return {"school_id": school_id, "name": name, "sort_order": (position + 1) * 10}


def activity_values(spec: ActivitySpec, regie_id: int, position: int) -> dict[str, Any]:
    return {
        "regie_id": regie_id,
        "code": spec.code,
        "label": spec.label,
        "letter": spec.letter,
        "start_time": spec.start_time,
        "end_time": spec.end_time,
        "weekdays": spec.weekdays,
        "runs_on": spec.runs_on,
        "booking_unit": spec.booking_unit,
        "deadline_days": spec.deadline_days,
        "deadline_time": spec.deadline_time,
        "deadline_skip_weekends": spec.deadline_skip_weekends,
        "deadline_skip_holidays": spec.deadline_skip_holidays,
        "horizon_days": spec.horizon_days,
        "capacity": spec.capacity,
        "waiting_list": spec.waiting_list,
        "exclusion_group": spec.exclusion_group,
        "combinable_in_group": spec.combinable_in_group,
        "sort_order": (position + 1) * 10,
        "eligible_schools": None if spec.eligible_schools is None else ",".join(spec.eligible_schools),
        "min_age": spec.min_age,
        "max_age": spec.max_age,
        "closed_from": spec.closed_from,
        "surcharge_cents": spec.surcharge_cents,
        "serves_meal": spec.serves_meal,
        "caf_declared": spec.caf_declared,
    }


def rate_values(spec: ActivitySpec, activity_id: int) -> list[dict[str, Any]]:
    """The activity's rates, each valid until the day before the next start date of the
    same unit (G3): a new set of brackets closes the previous one, never rewrites it; a
    new set of day prices leaves the week prices alone."""
    ends: dict[tuple[str, date], date | None] = {}
    for unit in {r.unit for r in spec.rates}:
        starts = sorted({r.valid_from for r in spec.rates if r.unit == unit})
        for i, s in enumerate(starts):
            ends[(unit, s)] = starts[i + 1] - _ONE_DAY if i + 1 < len(starts) else None
    return [_rate(r, activity_id, ends[(r.unit, r.valid_from)])
            for r in sorted(spec.rates, key=lambda r: r.identity())]


def _rate(r: RateSpec, activity_id: int, valid_to: date | None) -> dict[str, Any]:
    return {"activity_id": activity_id, "qf_min": 0 if r.no_quotient else r.qf_min,
            "qf_max": None if r.no_quotient else r.qf_max, "price_cents": r.price_cents,
            "valid_from": r.valid_from, "valid_to": valid_to, "no_quotient": r.no_quotient,
            "unit": r.unit}


def period_values(spec: PeriodSpec, activity_id: int, parent_id: int | None) -> dict[str, Any]:
    return {"activity_id": activity_id, "label": spec.label, "first_day": spec.first_day,
            "last_day": spec.last_day, "booking_opens": spec.booking_opens,
            "booking_closes": spec.booking_closes, "capacity": spec.capacity,
            "parent_id": parent_id}


def rate_identity(values: dict[str, Any]) -> tuple[str, date, bool, int]:
    """The key a rate row is matched by: unit, start date, « sans quotient », bracket floor."""
    return (str(values["unit"]), values["valid_from"], bool(values["no_quotient"]),
            0 if values["no_quotient"] else int(values["qf_min"]))
