"""Has anything changed for this family since a screen loaded it? One indexed read.

The counter is kept by the database (triggers of migration 0007 on booking and
payment), so every writer bumps it in its own transaction and no service has to
remember to. A screen notes the number before it loads, and reloads when the
number moves: another agent reversed a payment, booked a day, took a payment.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session, col

from portail_tui.models import Family, FamilyChange
from portail_tui.services.context import Context, ServiceError


def family_change_seq(ctx: Context, family_id: int) -> int:
    """The family's change number (0 before its first change); refuses a family of
    another régie like every other family read."""
    actor = ctx.require_actor()

    def _work(session: Session) -> int:
        row = session.execute(
            select(col(Family.regie_id), col(FamilyChange.seq))
            .select_from(Family)
            .outerjoin(FamilyChange, col(FamilyChange.family_id) == col(Family.id))
            .where(col(Family.id) == family_id)
        ).first()
        if row is None or (actor.kind != "system" and row[0] != actor.regie_id):
            raise ServiceError("Famille introuvable.")
        return int(row[1] or 0)

    return ctx.db.read(_work)
