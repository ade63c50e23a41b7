"""The booking test town with what the service day reads: two schools with kitchen
addresses, children with schools, classes and meal types, a canteen that serves
meals, CAF-declared APS and leisure centre, a health form the kitchen must never see.
Bookings and attendance marks are written directly: the tests choose every one."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import update
from sqlmodel import Session

from portail_tui.clock import PARIS
from portail_tui.db import Database
from portail_tui.models import Activity, Attendance, Booking, Child, Contact, Form, School
from tests.support.booking_town import CREATED, Town, build_town

SECRET = "ALLERGIE ARACHIDE SECRETE"
# child: (school, class, meal type, birth date)
CHILDREN = {
    "Léa": ("École Jules Ferry", "CE2", "standard", date(2018, 1, 1)),
    "Noé": ("ÉCOLE JULES FERRY", "GS", "sans_porc", date(2021, 3, 1)),  # under 6 in 2026
    "Jade": ("École Pasteur", "CM1", "pai_panier", date(2017, 5, 2)),
    "Hugo": ("École Pasteur", "CP", "sans_viande", date(2020, 12, 1)),  # 5 on 1 Dec 2026
    "Chloé": (None, None, "standard", date(2018, 6, 1)),
}


@dataclass(frozen=True)
class DayTown:
    town: Town
    schools: dict[str, int]  # code -> id

    def family_of(self, child: str) -> int:
        return {"Léa": self.town.families["MARTIN"], "Noé": self.town.families["MARTIN"],
                "Jade": self.town.families["DURAND"], "Hugo": self.town.families["PETIT"],
                "Chloé": self.town.families["BERNARD"]}[child]


def build(db: Database) -> DayTown:
    town = build_town(db)

    def work(s: Session) -> dict[str, int]:
        acts = town.activities
        s.execute(update(Activity).where(Activity.id == acts["RS"]).values(serves_meal=True))  # type: ignore[arg-type]
        for code in ("APSM", "APSS", "CLM", "CLV"):
            s.execute(update(Activity).where(Activity.id == acts[code]).values(caf_declared=True))  # type: ignore[arg-type]
        schools = {}
        for i, (code, name, mail) in enumerate((("JF", "École Jules Ferry", "cuisine.jf@example.org"),
                                                 ("PA", "École Pasteur", "cuisine.pasteur@example.org"),
                                                 ("VH", "École Victor Hugo", None))):
            school = School(regie_id=town.regie_id, code=code, name=name, kitchen_email=mail, sort_order=i)
            s.add(school)
            s.flush()
            schools[code] = school.id
        for first, (school_name, klass, meal, born) in CHILDREN.items():
            s.execute(update(Child).where(Child.id == town.children[first]).values(  # type: ignore[arg-type]
                school=school_name, school_class=klass, meal_type=meal, birth_date=born))
        s.add(Form(child_id=town.children["Jade"], kind="sante", status="validee",
                   data=json.dumps({"allergies": SECRET}), updated_at=CREATED))
        s.add(Contact(family_id=town.families["MARTIN"], name="GRAND-MÈRE Odette", phone="0600000001",
                      may_pick_up=True))
        s.add(Contact(family_id=town.families["MARTIN"], child_id=town.children["Léa"], name="VOISINE Anne",
                      phone="0600000002", may_pick_up=True))
        s.add(Contact(family_id=town.families["MARTIN"], name="ONCLE Paul", phone="0600000003",
                      may_pick_up=False))
        return schools

    return DayTown(town, db.write(work))


def book(db: Database, dt: DayTown, child: str, code: str, day: date, *, status: str = "confirmed",
         price: int = 300) -> int:
    def work(s: Session) -> int:
        b = Booking(regie_id=dt.town.regie_id, family_id=dt.family_of(child), child_id=dt.town.children[child],
                    activity_id=dt.town.activities[code], day=day, status=status, price_cents=price,
                    created_at=CREATED, created_by="agent:test")
        s.add(b)
        s.flush()
        return b.id  # type: ignore[return-value]

    return db.write(work)


def mark(db: Database, dt: DayTown, child: str, code: str, day: date, state: str, *,
         booking_id: int | None = None, arrived: time | None = None, left: time | None = None,
         billed: bool = True) -> None:
    def work(s: Session) -> None:
        s.add(Attendance(regie_id=dt.town.regie_id, booking_id=booking_id, family_id=dt.family_of(child),
                         child_id=dt.town.children[child], activity_id=dt.town.activities[code], day=day,
                         state=state, arrived_at=arrived, left_at=left, billed=billed,
                         marked_at=datetime(2026, 11, 28, 9, 0, tzinfo=PARIS), marked_by="agent:test"))

    db.write(work)
