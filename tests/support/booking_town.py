"""A tiny, fully controlled town for the booking tests (capacities of 1 or 2 places,
known quotients), built on the empty migrated databases of both engines.

The demo town is used by the screen tests; here every number is chosen by the test.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import select
from sqlmodel import Session

from portail_tui.clock import PARIS
from portail_tui.db import Database
from portail_tui.models import (
    Activity,
    Booking,
    Child,
    Closure,
    Family,
    FamilyMember,
    Period,
    Rate,
    Regie,
    Slot,
)
from portail_tui.services.context import Actor

CREATED = datetime(2026, 9, 1, 8, 0, tzinfo=PARIS)


@dataclass(frozen=True)
class Town:
    regie_id: int
    activities: dict[str, int]  # code -> id
    families: dict[str, int]  # name -> id
    children: dict[str, int]  # first name -> id
    periods: dict[str, int]  # "noel", "noel-s1", "noel-s2"
    agent: Actor


ACTIVITIES = [
    # code, label, letter, start, end, weekdays, runs_on, unit, capacity, group, combinable, prices
    ("RS", "RESTAURANT SCOLAIRE", "R", time(11, 45), time(13, 30), "1245", "school", "day", 2, None,
     False, (210, 340, 450)),
    ("APSM", "APS MATIN", "M", time(7, 30), time(8, 30), "1245", "school", "day", 10, "APS", True,
     (120, 160, 200)),
    ("APSS", "APS SOIR", "S", time(16, 30), time(18, 30), "1245", "school", "day", 10, "APS", True,
     (180, 240, 300)),
    ("APSF", "APS FORFAIT", "F", time(7, 30), time(18, 30), "1245", "school", "day", 10, "APS", False,
     (260, 350, 440)),
    ("CLM", "CENTRE DE LOISIRS MERCREDI", "W", time(8, 0), time(18, 0), "3", "school", "day", 1, None,
     False, (800, 1200, 1600)),
    ("CLV", "CENTRE DE LOISIRS VACANCES", "V", time(8, 0), time(18, 0), "12345", "holidays", "period",
     1, None, False, (900, 1300, 1700)),
]
BRACKETS = ((0, 700), (701, 1200), (1201, None))


def build_town(db: Database) -> Town:
    def work(s: Session) -> Town:
        regie = Regie(code="TEST", name="RÉGIE DE TEST", school_zone="A", email="regie@example.org")
        s.add(regie)
        s.flush()
        rid: int = regie.id  # type: ignore[assignment]
        acts: dict[str, int] = {}
        for i, (code, label, letter, start, end, wd, runs, unit, cap, group, comb, prices) in enumerate(ACTIVITIES):
            a = Activity(regie_id=rid, code=code, label=label, letter=letter, start_time=start, end_time=end,
                         weekdays=wd, runs_on=runs, booking_unit=unit, deadline_days=2, deadline_time=start,
                         horizon_days=60, capacity=cap, waiting_list=code != "CLV", exclusion_group=group,
                         combinable_in_group=comb, sort_order=(i + 1) * 10)
            s.add(a)
            s.flush()
            acts[code] = a.id  # type: ignore[assignment]
            for (lo, hi), price in zip(BRACKETS, prices, strict=True):
                s.add(Rate(activity_id=a.id, qf_min=lo, qf_max=hi, price_cents=price,  # type: ignore[arg-type]
                           valid_from=date(2026, 9, 1)))
        s.add(Closure(regie_id=rid, day=date(2026, 12, 11), reason="Formation des équipes"))
        noel = Period(activity_id=acts["CLV"], label="Vacances de Noël 2026", first_day=date(2026, 12, 21),
                      last_day=date(2027, 1, 1), booking_opens=date(2026, 11, 1),
                      booking_closes=date(2026, 12, 14))
        s.add(noel)
        s.flush()
        s1 = Period(activity_id=acts["CLV"], label="Vacances de Noël 2026 — semaine du lundi 21 décembre",
                    first_day=date(2026, 12, 21), last_day=date(2026, 12, 25), booking_opens=date(2026, 11, 1),
                    booking_closes=date(2026, 12, 14), parent_id=noel.id)
        s2 = Period(activity_id=acts["CLV"], label="Vacances de Noël 2026 — semaine du lundi 28 décembre",
                    first_day=date(2026, 12, 28), last_day=date(2027, 1, 1), booking_opens=date(2026, 11, 1),
                    booking_closes=date(2026, 12, 14), parent_id=noel.id)
        s.add_all([s1, s2])
        families: dict[str, int] = {}
        children: dict[str, int] = {}
        specs = [("MARTIN", 450, "martin@example.org", ["Léa", "Noé"]),
                 ("DURAND", 900, "durand@example.org", ["Jade"]),
                 ("PETIT", None, None, ["Hugo"]),
                 ("BERNARD", 1500, "bernard@example.org", ["Chloé"])]
        for n, (name, qf, email, kids) in enumerate(specs, start=1):
            f = Family(regie_id=rid, number=n, name=name, email=email, quotient=qf, created_at=CREATED,
                       updated_at=CREATED, search_text=f" {name.lower()} ")
            s.add(f)
            s.flush()
            families[name] = f.id  # type: ignore[assignment]
            for k, first in enumerate(kids):
                c = Child(last_name=name, first_name=first, birth_date=date(2018 + k, 1, 1), created_at=CREATED)
                s.add(c)
                s.flush()
                children[first] = c.id  # type: ignore[assignment]
                s.add(FamilyMember(family_id=f.id, child_id=c.id))  # type: ignore[arg-type]
        # Noé lives half-time with the DURAND family too (shared custody).
        s.add(FamilyMember(family_id=families["DURAND"], child_id=children["Noé"]))
        s.flush()
        agent = Actor(kind="agent", login="guichet", regie_id=rid, full_name="Agent de test", role="agent")
        return Town(rid, acts, families, children,
                    {"noel": noel.id, "noel-s1": s1.id, "noel-s2": s2.id}, agent)  # type: ignore[dict-item]

    return db.write(work)


def slot_taken(db: Database, activity_id: int, day: date | None = None, period_id: int | None = None) -> int:
    def work(s: Session) -> int:
        stmt = select(Slot.taken).where(Slot.activity_id == activity_id)
        stmt = stmt.where(Slot.day == day) if day is not None else stmt.where(Slot.period_id == period_id)
        return s.execute(stmt).scalar() or 0

    return db.read(work)


def bookings(db: Database, **where: object) -> list[Booking]:
    def work(s: Session) -> list[Booking]:
        stmt = select(Booking)
        for k, v in where.items():
            stmt = stmt.where(getattr(Booking, k) == v)
        return list(s.execute(stmt.order_by(Booking.id)).scalars())

    return db.read(work)
