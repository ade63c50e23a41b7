"""An empty régie, ready to configure (G1): one régie with default settings, its
receipt counter and one administrator, in a database that holds no régie yet. The
rest (identity, schools, activities, rates) comes from the set-up file."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlmodel import Session, col

from portail_tui.models import PAYMENT_MODES, Regie
from portail_tui.models.payment import ReceiptCounter
from portail_tui.services import audit, auth
from portail_tui.services.context import Context, ServiceError
from portail_tui.services.receipt_counter import ensure_counter


def init_regie(ctx: Context, *, name: str, code: str, admin_login: str, password: str,
               admin_name: str | None = None) -> Regie:
    """Create the régie and its administrator; refuses a database that has a régie."""
    name = (name or "").strip()
    code = (code or "").strip().upper()
    if not name or len(name) > 120:
        raise ServiceError("Nom de la régie obligatoire (120 caractères au plus).", field="nom")
    if not code or len(code) > 20 or not code.replace("_", "").isalnum():
        raise ServiceError("Code de la régie invalide : 1 à 20 lettres ou chiffres.", field="code")
    if len(password) < auth.MIN_PASSWORD_LENGTH:
        raise ServiceError(f"Mot de passe trop court ({auth.MIN_PASSWORD_LENGTH} caractères au moins).",
                           field="password")
    now = ctx.clock.now()

    def create(session: Session) -> Regie:
        existing = session.execute(select(func.count()).select_from(Regie)).scalar_one()
        if existing:
            raise ServiceError("La base contient déjà une régie : « regie init » ne s'utilise que sur"
                               " une base vide.")
        regie = Regie(code=code, name=name, payment_modes=",".join(PAYMENT_MODES))
        session.add(regie)
        session.flush()
        ensure_counter(session, int(regie.id or 0))
        return regie

    regie = ctx.db.write(create)
    rid = int(regie.id or 0)
    try:
        auth.add_agent(ctx, admin_login, password, role="admin", full_name=admin_name,
                       can_see_health=False, regie_id=rid)
    except ServiceError:
        # The régie alone is of no use: leave the database as empty as it was.
        def undo(session: Session) -> None:
            session.execute(delete(ReceiptCounter).where(col(ReceiptCounter.regie_id) == rid))
            session.execute(delete(Regie).where(col(Regie.id) == rid))

        ctx.db.write(undo)
        raise
    ctx.db.write(lambda session: audit.record(
        session, at=now, actor=ctx.actor_tag, action="regie.init", entity="regie", entity_id=rid,
        name=name, code=code, admin=admin_login))
    return regie
