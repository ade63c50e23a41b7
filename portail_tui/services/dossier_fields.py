"""What every dossier write shares: typed field values from screen text, the changes they
make (for the audit row), and loading the family or link a write is about.

Kept apart from `dossier` so contacts and the right-of-access export can use it without a
cycle; `dossier` re-exports the public names.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, SQLModel, col

from portail_tui.domain.forms import MEAL_TYPE_LABELS
from portail_tui.domain.frdates import format_date_short
from portail_tui.domain.validation import FieldDef, clean_values
from portail_tui.models import Family, FamilyMember, table_of
from portail_tui.services.context import Actor, ServiceError


class InvalidFields(ServiceError):
    """Several fields refused at once; `errors` maps each field to its French message."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        n = len(self.errors)
        first_field = next(iter(self.errors), None)
        message = (next(iter(self.errors.values())) if n == 1
                   else f"{n} champs à corriger : voir les messages sous chaque champ.")
        super().__init__(message, field=first_field)


def as_text(value: object) -> str:
    """A column value as the text a person reads and types."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, date) and not isinstance(value, datetime):
        return format_date_short(value)
    return str(value)


# Choice fields whose column stores a code, not the French label the person picks:
# field name -> {code: label}; the first code is the value of an empty entry.
CODED_CHOICES: dict[str, dict[str, str]] = {"meal_type": MEAL_TYPE_LABELS}


def _label(name: str, value: object) -> object:
    labels = CODED_CHOICES.get(name)
    return labels.get(value, value) if labels is not None and isinstance(value, str) else value


def _code(name: str, value: object) -> object:
    labels = CODED_CHOICES.get(name)
    if labels is None:
        return value
    if value is None or value == "":
        return next(iter(labels))
    return next((code for code, label in labels.items() if label == value or code == value), value)


def texts_of(obj: object, fields: tuple[FieldDef, ...]) -> dict[str, str]:
    return {fd.name: as_text(_label(fd.name, getattr(obj, fd.name, None))) for fd in fields}


def check(fields: tuple[FieldDef, ...], raw: Mapping[str, object], today: date) -> dict[str, Any]:
    """Typed values of a complete, valid entry, or InvalidFields naming each bad field."""
    result = clean_values(fields, raw, today, strict=True)
    if result.errors:
        raise InvalidFields(result.errors)
    return result.values


def apply_changes(obj: SQLModel, fields: tuple[FieldDef, ...], values: Mapping[str, Any]) -> dict[str, list[str]]:
    """Set the attributes; return {field: [before, after]} of what actually changed."""
    changes: dict[str, list[str]] = {}
    for fd in fields:
        new = _code(fd.name, values.get(fd.name))
        old = getattr(obj, fd.name)
        if isinstance(old, str) and new is None:
            new = None if nullable(obj, fd.name) else ""
        if old != new:
            changes[fd.name] = [as_text(_label(fd.name, old)), as_text(_label(fd.name, new))]
            setattr(obj, fd.name, new)
    return changes


def nullable(obj: SQLModel, name: str) -> bool:
    column = table_of(type(obj)).c.get(name)
    return bool(column is not None and column.nullable)


def load_family(session: Session, actor: Actor, family_id: int, *, lock: bool = False) -> Family:
    stmt = select(Family).where(col(Family.id) == family_id)
    if lock:
        stmt = stmt.with_for_update()
    family: Family | None = session.execute(stmt).scalar_one_or_none()
    if family is None or (actor.kind != "system" and family.regie_id != actor.regie_id):
        raise ServiceError("Famille introuvable.", field="famille")
    return family


def load_link(session: Session, family_id: int, child_id: int) -> FamilyMember:
    link: FamilyMember | None = session.execute(
        select(FamilyMember).where(col(FamilyMember.family_id) == family_id, col(FamilyMember.child_id) == child_id)
    ).scalar_one_or_none()
    if link is None:
        raise ServiceError("Cet enfant n'est pas rattaché à cette famille.", field="enfant")
    return link


def touch(family: Family, now: datetime, session: Session) -> None:
    family.updated_at = now
    session.add(family)
