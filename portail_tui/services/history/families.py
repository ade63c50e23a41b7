"""The family a statement is about, its children, and the batch's list of families."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session, col

from portail_tui.domain.text import normalize
from portail_tui.models import Child, Family, FamilyMember, Regie
from portail_tui.services.context import Context, ServiceError
from portail_tui.services.families import format_family_number


@dataclass(frozen=True)
class FamilyRef:
    id: int
    number: int
    name: str
    regie_name: str

    @property
    def number_text(self) -> str:
        return format_family_number(self.number)

    @property
    def subtitle(self) -> str:
        return f"Famille {self.name} — n° {self.number_text}"


def family_ref(session: Session, ctx: Context, family_id: int) -> FamilyRef:
    row = session.execute(
        select(col(Family.id), col(Family.number), col(Family.name), col(Family.regie_id), col(Regie.name))
        .join(Regie, col(Regie.id) == col(Family.regie_id))
        .where(col(Family.id) == family_id)
    ).first()
    actor = ctx.actor
    if row is None or (actor is not None and actor.kind != "system" and row[3] != actor.regie_id):
        raise ServiceError("Famille introuvable.", field="famille")
    return FamilyRef(id=row[0], number=row[1], name=row[2], regie_name=row[4])


def family_refs(session: Session, family_ids: Sequence[int]) -> dict[int, FamilyRef]:
    rows = session.execute(
        select(col(Family.id), col(Family.number), col(Family.name), col(Regie.name))
        .join(Regie, col(Regie.id) == col(Family.regie_id))
        .where(col(Family.id).in_(list(family_ids)))
    ).all()
    return {r[0]: FamilyRef(id=r[0], number=r[1], name=r[2], regie_name=r[3]) for r in rows}


def children_of(session: Session, family_id: int) -> tuple[tuple[int, str], ...]:

    rows = session.execute(
        select(col(Child.id), col(Child.first_name))
        .join(FamilyMember, col(FamilyMember.child_id) == col(Child.id))
        .where(col(FamilyMember.family_id) == family_id)
        .order_by(col(Child.birth_date), col(Child.first_name))
    ).all()
    return tuple((r[0], r[1]) for r in rows)


def find_child(history_children: Iterable[tuple[int, str]], name: str) -> int:
    """The child whose first name is `name` (accents and case ignored), for --enfant."""
    wanted = normalize(name)
    children = list(history_children)
    matches = [cid for cid, first in children if normalize(first) == wanted]
    if not matches:
        matches = [cid for cid, first in children if normalize(first).startswith(wanted)] if wanted else []
    if len(matches) == 1:
        return matches[0]
    known = ", ".join(first for _, first in children) or "aucun enfant"
    if not matches:
        raise ServiceError(f"Aucun enfant « {name} » dans cette famille (enfants : {known}).", field="enfant")
    raise ServiceError(f"Plusieurs enfants correspondent à « {name} » ({known}) : précisez le prénom.",
                       field="enfant")


def family_children(ctx: Context, family_id: int) -> tuple[tuple[int, str], ...]:
    def _work(session: Session) -> tuple[tuple[int, str], ...]:
        family_ref(session, ctx, family_id)
        return children_of(session, family_id)

    return ctx.db.read(_work)


def family_ids_by_number(ctx: Context) -> list[int]:
    """Every family of the database (or of the actor's régie), by account number."""
    def _work(session: Session) -> list[int]:
        stmt = select(col(Family.id)).order_by(col(Family.regie_id), col(Family.number))
        if ctx.actor is not None and ctx.actor.kind != "system":
            stmt = stmt.where(col(Family.regie_id) == ctx.actor.regie_id)
        return list(session.execute(stmt).scalars())

    return ctx.db.read(_work)
