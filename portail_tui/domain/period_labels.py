"""How a holiday period is named in the lists: a week under its holiday."""

from __future__ import annotations

# Between a holiday's label and its week's own name: "Vacances de Noël — semaine 1".
SEPARATOR = " — "


def name_within(label: str, holiday_label: str | None) -> str | None:
    """A week's own name when its label starts with its holiday's ("semaine 1" for
    "Vacances de Noël — semaine 1" under "Vacances de Noël"), else None: listed under
    the holiday, repeating it would only push the dates out of sight."""
    if not holiday_label:
        return None
    prefix = holiday_label + SEPARATOR
    if label.startswith(prefix) and len(label) > len(prefix):
        return label[len(prefix):]
    return None
