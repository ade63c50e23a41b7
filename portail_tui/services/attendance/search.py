"""The child search of « présent non inscrit » (P2): the agent types a name as the
child or the staff says it, and picks the child, not the family."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session, col

from portail_tui.domain.text import search_fold
from portail_tui.models import Child, Family, FamilyMember
from portail_tui.services.context import Context
from portail_tui.services.families import search_families


@dataclass(frozen=True)
class ChildHit:
    child_id: int
    family_id: int
    first_name: str
    last_name: str
    school: str | None
    school_class: str | None
    family_name: str
    family_number: int

    @property
    def name(self) -> str:
        return f"{self.last_name} {self.first_name}"


def search_children(ctx: Context, query: str, *, limit: int = 30) -> list[ChildHit]:
    """Children of the families the family search finds (names, account number, phone):
    those whose own name matches every word typed come first, or all the families'
    children when the words named a parent. A child of two households appears once
    per family (the agent picks who is billed)."""
    families = search_families(ctx, query, limit=limit)
    if not families:
        return []
    ids = [f.id for f in families]

    def work(session: Session) -> list[ChildHit]:
        rows = session.execute(
            select(col(Child.id), col(FamilyMember.family_id), col(Child.first_name), col(Child.last_name),
                   col(Child.school), col(Child.school_class), col(Family.name), col(Family.number))
            .join(FamilyMember, col(FamilyMember.child_id) == col(Child.id))
            .join(Family, col(Family.id) == col(FamilyMember.family_id))
            .where(col(FamilyMember.family_id).in_(ids))
        ).all()
        return [ChildHit(*r) for r in rows]

    hits = ctx.db.read(work)
    words = [w for w in search_fold(query).split() if not w.isdigit()]
    named = [h for h in hits if words and all(w in search_fold(f"{h.first_name} {h.last_name}") for w in words)]
    chosen = named or hits
    chosen.sort(key=lambda h: (search_fold(h.last_name), search_fold(h.first_name), h.family_number))
    return chosen[:limit]
