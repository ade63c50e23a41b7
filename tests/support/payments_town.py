"""A small régie for the wallet, payment, cash-desk and PayFiP tests (no demo town needed):
one régie with every payment mode, three agents, families with a guardian and a child,
an activity with bookings on both sides of the 15-day window.

Imported by the other test modules; it holds no test itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from portail_tui.clock import PARIS
from portail_tui.db import Database
from portail_tui.models import (
    Activity,
    Agent,
    Booking,
    Child,
    Family,
    FamilyMember,
    Guardian,
    Payment,
    Period,
    Regie,
)
from portail_tui.services.context import Actor

TODAY = date(2026, 11, 28)
NOW = datetime(2026, 11, 28, 10, 0, tzinfo=PARIS)


@dataclass(frozen=True)
class Seed:
    regie_id: int
    family_id: int
    child_id: int
    activity_id: int
    holiday_activity_id: int
    agent: Actor
    regisseur: Actor
    admin: Actor


def _actor(agent: Agent) -> Actor:
    return Actor(kind="agent", login=agent.login, regie_id=agent.regie_id, agent_id=agent.id,
                 full_name=agent.full_name, role=agent.role)


def add_family(session, regie_id: int, number: int, name: str = "DUPONT",  # type: ignore[no-untyped-def]
               email: str | None = "dupont@example.fr") -> tuple[int, int]:
    fam = Family(regie_id=regie_id, number=number, name=name, email=email, created_at=NOW, updated_at=NOW)
    child = Child(last_name=name, first_name="Léa", birth_date=date(2018, 3, 4), created_at=NOW)
    session.add_all([fam, child])
    session.flush()
    session.add(Guardian(family_id=fam.id, rank=1, civility="M.", last_name=name, first_name="Jean",
                         email=email))
    session.add(Guardian(family_id=fam.id, rank=2, civility="Mme", last_name=name, first_name="Anne"))
    session.add(FamilyMember(family_id=fam.id, child_id=child.id))
    session.flush()
    return fam.id, child.id


def seed(db: Database, *, modes: str = "especes,cheque,cb,payfip,virement,cesu,ancv") -> Seed:
    def work(s):  # type: ignore[no-untyped-def]
        regie = Regie(code="SCOL", name="SERVICES SCOLAIRES", payment_modes=modes,
                      address="Place de la Mairie, 87590 Saint-Just-le-Martel",
                      payfip_numcli="123456", payfip_mode="T")
        s.add(regie)
        s.flush()
        agents = [
            Agent(regie_id=regie.id, login="agent", full_name="Claire Martin", role="agent",
                  password_hash="x", created_at=NOW),
            Agent(regie_id=regie.id, login="regisseur", full_name="Paul Bernard", role="regisseur",
                  password_hash="x", created_at=NOW),
            Agent(regie_id=regie.id, login="admin", full_name="Admin Istrateur", role="admin",
                  password_hash="x", created_at=NOW),
        ]
        s.add_all(agents)
        act = Activity(regie_id=regie.id, code="RS", label="RESTAURANT SCOLAIRE", letter="R",
                       start_time=time(11, 45), end_time=time(13, 30))
        holiday = Activity(regie_id=regie.id, code="CLV", label="CENTRE DE LOISIRS VACANCES", letter="V",
                           start_time=time(8, 0), end_time=time(18, 0), runs_on="holidays",
                           booking_unit="period")
        s.add_all([act, holiday])
        s.flush()
        fid, cid = add_family(s, regie.id, 123)
        return Seed(regie.id, fid, cid, act.id, holiday.id, *(_actor(a) for a in agents))

    return db.write(work)


def book(db: Database, sd: Seed, day: date, price: int, *, status: str = "confirmed",
         family_id: int | None = None, child_id: int | None = None) -> int:
    def work(s):  # type: ignore[no-untyped-def]
        b = Booking(regie_id=sd.regie_id, family_id=family_id or sd.family_id,
                    child_id=child_id or sd.child_id, activity_id=sd.activity_id, day=day,
                    status=status, price_cents=price, created_at=NOW, created_by="agent:agent",
                    cancelled_at=NOW if status == "cancelled" else None)
        s.add(b)
        s.flush()
        return b.id

    return db.write(work)


def book_period(db: Database, sd: Seed, first_day: date, days: int, price: int) -> int:
    def work(s):  # type: ignore[no-untyped-def]
        p = Period(activity_id=sd.holiday_activity_id, label="Vacances de Noël, semaine 1",
                   first_day=first_day, last_day=first_day + timedelta(days=days - 1),
                   booking_opens=TODAY - timedelta(days=30), booking_closes=first_day)
        s.add(p)
        s.flush()
        b = Booking(regie_id=sd.regie_id, family_id=sd.family_id, child_id=sd.child_id,
                    activity_id=sd.holiday_activity_id, period_id=p.id, status="confirmed",
                    price_cents=price, created_at=NOW, created_by="agent:agent")
        s.add(b)
        s.flush()
        return b.id

    return db.write(work)


def receipt_numbers(db: Database, regie_id: int) -> list[int]:
    return db.read(lambda s: sorted(s.execute(
        select(Payment.receipt_number).where(Payment.regie_id == regie_id)).scalars()))
