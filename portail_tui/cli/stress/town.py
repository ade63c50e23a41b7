"""The town the stress agents work on: the demo town, with a few places made scarce so
the agents fight for them (`portail stress`, see the package docstring)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlmodel import Session, col

from portail_tui.clock import Clock
from portail_tui.config import Settings
from portail_tui.db import Database, upgrade
from portail_tui.models import Activity, Booking, Family, FamilyMember, Regie, Slot
from portail_tui.services.context import Actor, Context

# The date the demo town is generated for and the workers' calendar day (a Saturday:
# the hot days are the school days of the following weeks, inside every deadline).
DEFAULT_TODAY = date(2026, 11, 28)
HOT_ACTIVITIES = ("RS", "APSS", "APSM", "CLM")

# --- the town ------------------------------------------------------------------------


@dataclass(frozen=True)
class StressTown:
    """What the workers need to know (plain data, handed to them as JSON): who can be
    booked, where places are scarce, what agents type in the search."""

    regie_id: int
    today: date
    pairs: tuple[tuple[int, int], ...]  # (family_id, child_id) rattachements
    hot: tuple[tuple[int, date], ...]  # (activity_id, day) with few places
    words: tuple[str, ...]  # what agents type in the family search
    family_ids: tuple[int, ...]

    def to_json(self) -> dict[str, Any]:
        return {"regie_id": self.regie_id, "today": self.today.isoformat(),
                "pairs": [list(p) for p in self.pairs],
                "hot": [[a, d.isoformat()] for a, d in self.hot],
                "words": list(self.words), "family_ids": list(self.family_ids)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StressTown:
        return cls(regie_id=data["regie_id"], today=date.fromisoformat(data["today"]),
                   pairs=tuple((f, c) for f, c in data["pairs"]),
                   hot=tuple((a, date.fromisoformat(d)) for a, d in data["hot"]),
                   words=tuple(data["words"]), family_ids=tuple(data["family_ids"]))


def prepare_town(db: Database, *, families: int = 80, seed: int = 1, today: date = DEFAULT_TODAY,
                 hot_slots: int = 8, hot_capacity: int = 3) -> StressTown:
    """Migrate, generate the demo town (the database must be empty), then make a few
    bookable (activity, day) pairs scarce: `hot_capacity` free places each, so the
    agents fight for them and the waiting lists fill."""
    from portail_tui.demo.generator import generate

    upgrade(db)
    generate(db, families=families, seed=seed, today=today)
    return make_scarce(db, today=today, hot_slots=hot_slots, hot_capacity=hot_capacity, seed=seed)


def make_scarce(db: Database, *, today: date, hot_slots: int, hot_capacity: int, seed: int = 1) -> StressTown:
    from portail_tui.services.booking import day_options

    regie_id = db.read(lambda s: s.execute(select(func.min(Regie.id))).scalar_one())
    pairs: list[tuple[int, int]] = db.read(lambda s: [(int(f), int(c)) for f, c in s.execute(
        select(col(FamilyMember.family_id), col(FamilyMember.child_id))
        .join(Family, col(Family.id) == col(FamilyMember.family_id))
        .where(col(Family.regie_id) == regie_id).order_by(col(FamilyMember.id))).all()])
    names: list[str] = db.read(lambda s: [r[0] for r in s.execute(
        select(col(Family.name)).where(col(Family.regie_id) == regie_id))])
    family_ids = sorted({f for f, _ in pairs})
    codes: dict[str, int] = db.read(lambda s: {c: int(i) for c, i in s.execute(
        select(col(Activity.code), col(Activity.id)).where(col(Activity.regie_id) == regie_id)).all()})
    ctx = Context(db=db, clock=Clock(today), settings=Settings(database_url=db.url),
                  actor=station_actor(regie_id, 0, "regisseur"))
    # Bookable days and activities, as a child's day dialog sees them.
    fid, cid = pairs[0]
    candidates: list[tuple[int, date]] = []
    for n in range(3, 30):
        d = today + timedelta(days=n)
        if d.weekday() >= 5:
            continue
        for opt in day_options(ctx, fid, cid, d).options:
            if opt.rule.code in HOT_ACTIVITIES and opt.book.ok and not opt.book.waiting:
                candidates.append((opt.rule.id, d))
    rng = random.Random(seed)
    rng.shuffle(candidates)

    def work(session: Session) -> list[tuple[int, date]]:
        chosen: list[tuple[int, date]] = []
        for act, d in candidates:
            waiting = session.execute(select(func.count()).select_from(Booking).where(
                col(Booking.activity_id) == act, col(Booking.day) == d, col(Booking.status) == "waiting")).scalar_one()
            if waiting:
                continue
            confirmed = session.execute(select(func.count()).select_from(Booking).where(
                col(Booking.activity_id) == act, col(Booking.day) == d,
                col(Booking.status) == "confirmed")).scalar_one()
            slot = session.execute(select(Slot).where(col(Slot.activity_id) == act, col(Slot.day) == d)).scalars().first()
            if slot is None:
                session.execute(insert(Slot).values(activity_id=act, day=d, period_id=None,
                                                    capacity=confirmed + hot_capacity, taken=confirmed))
            else:
                session.execute(update(Slot).where(Slot.id == slot.id)
                                .values(capacity=slot.taken + hot_capacity))
            chosen.append((act, d))
            if len(chosen) == hot_slots:
                break
        return chosen

    hot = db.write(work)
    if not hot:
        raise RuntimeError("aucun créneau réservable trouvé pour le test de charge")
    words = sorted({n.split()[0].lower() for n in names if n.strip()} | {c.lower() for c in codes})
    return StressTown(regie_id=regie_id, today=today, pairs=tuple(pairs), hot=tuple(sorted(hot)),
                      words=tuple(words), family_ids=tuple(family_ids))


def station_actor(regie_id: int, index: int, role: str) -> Actor:
    """The agent (or régisseur) at counter `index`, as the audit rows will name them."""
    return Actor(kind="agent", login=f"poste{index}", regie_id=regie_id, role=role,
                 full_name=f"Agent du poste {index}")

