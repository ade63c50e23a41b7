"""Whether a holiday period's dates hold together (R3, G5): pure, so the Régie mode,
and any set-up check, refuse the same things with the same words."""

from __future__ import annotations

from datetime import date

from portail_tui.domain.frdates import format_date_short


def period_date_problems(first_day: date, last_day: date, booking_opens: date,
                         booking_closes: date) -> list[tuple[str, str]]:
    """(field, French message) for each problem; empty when the dates are right.
    A period is booked as a whole before it starts: its window closes before its
    first day, and opens before it closes."""
    problems: list[tuple[str, str]] = []
    if last_day < first_day:
        problems.append(("dernier_jour", f"Le dernier jour ({format_date_short(last_day)}) précède le premier "
                                         f"({format_date_short(first_day)})."))
    if booking_closes < booking_opens:
        problems.append(("fermeture", f"La réservation ferme ({format_date_short(booking_closes)}) avant d'ouvrir "
                                      f"({format_date_short(booking_opens)})."))
    if booking_closes >= first_day:
        problems.append(("fermeture", f"La réservation doit fermer avant le premier jour de la période "
                                      f"({format_date_short(first_day)}), pas le "
                                      f"{format_date_short(booking_closes)}."))
    return problems
