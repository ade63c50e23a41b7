"""Small explicit data for the history and export tests (no test here).

One régie, the LEFÈVRE family (n° 123, children Chloé and Noé) with a known set of
bookings and payments around Saturday 28 November 2026, and a neighbour family whose
rows must never leak into LEFÈVRE's statements. Exact totals are asserted against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from portail_tui.clock import PARIS
from portail_tui.db import Database
from portail_tui.models import (
    Activity,
    Booking,
    Child,
    Family,
    FamilyMember,
    Payment,
    Period,
    Regie,
)
from portail_tui.services.context import Actor

REGIE_NAME = "Régie des écoles de Saint-Œuf"
CREATED = datetime(2026, 9, 1, 8, 0, tzinfo=PARIS)

# Expected figures for November 2026 seen on 28/11/2026.
NOV_CANTEEN_CENTS = 5 * 350  # 2, 3, 5, 6 (consommé) + 30 Nov (à venir)
NOV_TOTAL_CENTS = NOV_CANTEEN_CENTS + 150 + 200 + 300
NOV_PAYMENTS_TOTAL = 4000 + 6000 - 6000 + 2500


@dataclass
class HistoryData:
    regie_id: int
    family_id: int
    other_family_id: int
    chloe_id: int
    noe_id: int
    activities: dict[str, int]

    @property
    def actor(self) -> Actor:
        return Actor(kind="agent", login="agent", regie_id=self.regie_id, full_name="Agent Test")


def at(d: date, hh: int = 10, mm: int = 0) -> datetime:
    return datetime.combine(d, time(hh, mm), tzinfo=PARIS)


def build(db: Database) -> HistoryData:
    def _work(s) -> HistoryData:  # type: ignore[no-untyped-def]
        regie = Regie(code="SOEUF", name=REGIE_NAME)
        s.add(regie)
        s.flush()
        fam = Family(regie_id=regie.id, number=123, name="LEFÈVRE", created_at=CREATED, updated_at=CREATED)
        other = Family(regie_id=regie.id, number=124, name="DURAND", created_at=CREATED, updated_at=CREATED)
        s.add_all([fam, other])
        s.flush()
        chloe = Child(last_name="LEFÈVRE", first_name="Chloé", birth_date=date(2017, 3, 4), created_at=CREATED)
        noe = Child(last_name="LEFÈVRE", first_name="Noé", birth_date=date(2019, 6, 7), created_at=CREATED)
        zoe = Child(last_name="DURAND", first_name="Zoé", birth_date=date(2018, 1, 2), created_at=CREATED)
        s.add_all([chloe, noe, zoe])
        s.flush()
        s.add_all([FamilyMember(family_id=fam.id, child_id=chloe.id), FamilyMember(family_id=fam.id, child_id=noe.id),
                   FamilyMember(family_id=other.id, child_id=zoe.id)])
        acts = {}
        for order, (code, label, start, end, unit) in enumerate([
            ("CANTINE", "RESTAURANT SCOLAIRE", time(11, 30), time(13, 30), "day"),
            ("APS_MATIN", "APS MATIN", time(7, 30), time(8, 30), "day"),
            ("APS_SOIR", "APS SOIR", time(16, 30), time(18, 30), "day"),
            ("APS_FORFAIT", "APS FORFAIT", time(7, 30), time(18, 30), "day"),
            ("ALSH", "CENTRE DE LOISIRS", time(8, 0), time(18, 0), "period"),
        ], start=1):
            a = Activity(regie_id=regie.id, code=code, label=label, letter=label[0], start_time=start,
                         end_time=end, booking_unit=unit, runs_on="holidays" if unit == "period" else "school",
                         sort_order=order)
            s.add(a)
            s.flush()
            acts[code] = a.id
        toussaint = Period(activity_id=acts["ALSH"], label="Toussaint — semaine 1", first_day=date(2026, 10, 19),
                           last_day=date(2026, 10, 23), booking_opens=date(2026, 9, 1),
                           booking_closes=date(2026, 10, 9))
        s.add(toussaint)
        s.flush()

        def book(child: Child, family: Family, code: str, day: date | None, price: int,
                 status: str = "confirmed", period: Period | None = None) -> None:
            s.add(Booking(regie_id=regie.id, family_id=family.id, child_id=child.id, activity_id=acts[code],
                          day=day, period_id=period.id if period else None, status=status, price_cents=price,
                          created_at=CREATED, created_by="agent:agent",
                          cancelled_at=CREATED if status == "cancelled" else None))

        for d in (2, 3, 5, 6):
            book(chloe, fam, "CANTINE", date(2026, 11, d), 350)
        book(chloe, fam, "CANTINE", date(2026, 11, 30), 350)  # à venir
        book(chloe, fam, "CANTINE", date(2026, 11, 10), 350, status="cancelled")
        book(noe, fam, "APS_MATIN", date(2026, 11, 3), 150)
        book(noe, fam, "APS_SOIR", date(2026, 11, 3), 200)
        book(noe, fam, "APS_FORFAIT", date(2026, 11, 5), 300)
        book(noe, fam, "CANTINE", date(2026, 11, 12), 350, status="waiting")  # never consumed
        book(chloe, fam, "CANTINE", date(2026, 12, 1), 350)  # December, à venir
        book(chloe, fam, "CANTINE", date(2026, 12, 14), 350)  # beyond today + 15 days
        book(chloe, fam, "CANTINE", date(2026, 10, 5), 340)
        book(noe, fam, "ALSH", None, 1250, period=toussaint)
        book(zoe, other, "CANTINE", date(2026, 11, 2), 350)
        s.flush()

        def pay(family: Family, number: int, day: date, hh: int, mode: str, amount: int, kind: str = "payment",
                reverses: Payment | None = None, cheque: str | None = None, reason: str | None = None) -> Payment:
            p = Payment(regie_id=regie.id, family_id=family.id, receipt_number=number, kind=kind, mode=mode,
                        amount_cents=amount, business_day=day, created_at=at(day, hh), created_by="agent:agent",
                        reverses_id=reverses.id if reverses else None, cheque_number=cheque,
                        cheque_bank="Banque Postale" if cheque else None, reason=reason)
            s.add(p)
            s.flush()
            return p

        pay(fam, 40, date(2026, 10, 15), 9, "especes", 3000)
        pay(fam, 41, date(2026, 11, 5), 10, "especes", 4000)
        cheque = pay(fam, 42, date(2026, 11, 12), 11, "cheque", 6000, cheque="1234567")
        pay(fam, 43, date(2026, 11, 13), 9, "cheque", -6000, kind="reversal", reverses=cheque,
            reason="Chèque sans provision")
        pay(fam, 44, date(2026, 11, 20), 16, "cb", 2500)
        pay(other, 45, date(2026, 11, 21), 10, "especes", 1000)
        return HistoryData(regie_id=regie.id, family_id=fam.id, other_family_id=other.id, chloe_id=chloe.id,
                           noe_id=noe.id, activities=acts)

    return db.write(_work)
