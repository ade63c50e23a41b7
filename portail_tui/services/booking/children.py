"""The family and the children an agent books for: a family of another régie is
refused, a child must be attached to the family (shared custody: to both)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session, col

from portail_tui.domain.booking_rules import ChildRule
from portail_tui.models import Child, Family, FamilyMember
from portail_tui.services.context import Context, ServiceError


@dataclass(frozen=True)
class ChildChoice:
    id: int
    first_name: str
    last_name: str
    facts: ChildRule = ChildRule()  # birth date and school, for who may book (G2)

    @property
    def name(self) -> str:
        return self.first_name


def check_regie(ctx: Context, regie_id: int | None) -> None:
    """An agent works for one régie: another régie's family is refused."""
    actor = ctx.actor
    if actor is not None and actor.kind != "system" and actor.regie_id != regie_id:
        raise ServiceError("Cette famille dépend d'une autre régie.", field="famille")


def load_family(session: Session, ctx: Context, family_id: int) -> Family:
    family = session.get(Family, family_id)
    if family is None:
        raise ServiceError("Famille introuvable.", field="famille")
    check_regie(ctx, family.regie_id)
    return family


def family_id_of(family: Family) -> int:
    """A loaded family always has its id (narrows the model's Optional)."""
    assert family.id is not None
    return family.id


def load_children(session: Session, family_id: int) -> dict[int, ChildChoice]:
    rows = session.execute(
        select(col(Child.id), col(Child.first_name), col(Child.last_name), col(Child.birth_date),
               col(Child.school))
        .join(FamilyMember, col(FamilyMember.child_id) == col(Child.id))
        .where(col(FamilyMember.family_id) == family_id)
        .order_by(col(Child.birth_date), col(Child.first_name), col(Child.id))
    ).all()
    return {r.id: ChildChoice(r.id, r.first_name, r.last_name, ChildRule(r.birth_date, r.school))
            for r in rows}


def load_child(session: Session, family_id: int, child_id: int) -> ChildChoice:
    row = session.execute(
        select(col(Child.id), col(Child.first_name), col(Child.last_name), col(Child.birth_date),
               col(Child.school))
        .join(FamilyMember, col(FamilyMember.child_id) == col(Child.id))
        .where(col(FamilyMember.family_id) == family_id, col(Child.id) == child_id)
    ).first()
    if row is None:
        raise ServiceError("Cet enfant n'est pas rattaché à la famille.", field="enfant")
    return ChildChoice(row.id, row.first_name, row.last_name, ChildRule(row.birth_date, row.school))


def booking_children(ctx: Context, family_id: int) -> list[ChildChoice]:
    """The children an agent can book for this family, eldest first."""

    def work(session: Session) -> list[ChildChoice]:
        load_family(session, ctx, family_id)
        return list(load_children(session, family_id).values())

    return ctx.db.read(work)
