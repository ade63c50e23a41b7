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
from portail_tui.services.context import Actor, Context, ServiceError
from portail_tui.services.restore_marks import read_generation


def family_change_seq(ctx: Context, family_id: int) -> int:
    """The family's change number (0 before its first change); refuses a family of
    another régie like every other family read."""
    actor = ctx.require_actor()
    return ctx.db.read(lambda session: _read_seq(session, actor, family_id))


def change_marks(ctx: Context, family_id: int) -> tuple[int, int]:
    """What a screen shown again checks, in one read: the database's generation
    (restore_marks: a restore under open sessions) and the family's change number.
    Refuses a family of another régie, as `family_change_seq`."""
    actor = ctx.require_actor()
    return ctx.db.read(lambda session: (read_generation(session), _read_seq(session, actor, family_id)))


def _read_seq(session: Session, actor: Actor, family_id: int) -> int:
    row = session.execute(
        select(col(Family.regie_id), col(FamilyChange.seq))
        .select_from(Family)
        .outerjoin(FamilyChange, col(FamilyChange.family_id) == col(Family.id))
        .where(col(Family.id) == family_id)
    ).first()
    if row is None or (actor.kind != "system" and row[0] != actor.regie_id):
        raise ServiceError("Famille introuvable.")
    return int(row[1] or 0)
