"""A small town for the dossier/forms tests (the demo town is bigger and slower):
one régie, an agent without the santé right, a régisseur with it, one family with
two children built through the services themselves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from portail_tui.clock import PARIS
from portail_tui.models import Agent, AuditLog, Form, Regie
from portail_tui.services import dossier
from portail_tui.services.context import Actor, Context

NOW = datetime(2026, 11, 28, 10, tzinfo=PARIS)

GUARDIAN = {
    "civility": "Mme", "last_name": "Lefèvre", "first_name": "Hélène", "street_number": "12",
    "street_name": "rue des Lilas", "postal_code": "87590", "city": "Saint-Just-le-Martel",
    "phone_mobile": "0612345678", "email": "helene.lefevre@example.fr",
}
LEA = {"last_name": "Lefèvre", "first_name": "Léa", "birth_date": "14/03/2018", "sex": "F",
       "school": "École élémentaire Jean-Moulin", "school_class": "CE2"}
NOE = {"last_name": "Lefèvre", "first_name": "Noé", "birth_date": "02/10/2020", "sex": "M",
       "school": "École maternelle Les Coquelicots", "school_class": "GS"}

ASSURANCE = {"compagnie": "MAIF", "numero_contrat": "123456789", "responsabilite_civile": "oui",
             "individuelle_accident": "oui", "date_fin": "31/08/2027"}
SANTE = {"allergies": "arachide", "pai": "oui", "regime_alimentaire": "sans porc", "vaccins_a_jour": "oui",
         "medecin_traitant": "Dr Amélie Chassagne", "telephone_medecin": "05 55 12 34 56"}


@dataclass
class Town:
    regie_id: int
    agent: Context  # no santé right
    regisseur: Context
    family_id: int
    lea: int
    noe: int


def _staff(ctx: Context) -> tuple[int, Actor, Actor]:
    def work(s):  # type: ignore[no-untyped-def]
        regie = Regie(code="SCOLAIRE", name="REGIE DES SERVICES SCOLAIRES")
        s.add(regie)
        s.flush()
        rows = []
        for login, role, health in (("agent", "agent", False), ("regisseur", "regisseur", True)):
            a = Agent(regie_id=regie.id, login=login, full_name=login.title(), role=role,
                      password_hash="x", can_see_health=health, created_at=NOW)
            s.add(a)
            s.flush()
            rows.append(Actor(kind="agent", login=login, regie_id=regie.id, agent_id=a.id,
                              full_name=a.full_name, role=role, can_see_health=health))
        return regie.id, rows[0], rows[1]

    return ctx.db.write(work)


def seed(ctx: Context) -> Town:
    regie_id, agent, regisseur = _staff(ctx)
    actx = ctx.as_actor(agent)
    fid = dossier.create_family(actx, GUARDIAN)
    lea = dossier.add_child(actx, fid, LEA)
    noe = dossier.add_child(actx, fid, NOE)
    return Town(regie_id, actx, ctx.as_actor(regisseur), fid, lea, noe)


def audit_actions(ctx: Context, action_prefix: str = "") -> list[AuditLog]:
    return ctx.db.read(lambda s: list(s.execute(
        select(AuditLog).where(AuditLog.action.startswith(action_prefix)).order_by(AuditLog.id)
    ).scalars()))


def form_row(ctx: Context, child_id: int, kind: str) -> Form:
    return ctx.db.read(lambda s: s.execute(
        select(Form).where(Form.child_id == child_id, Form.kind == kind)
    ).scalar_one())
