"""Bookings of the demo town: each child's weekly pattern over the bookable days, the
holiday leisure centre by period, and the two showcase slots filled to capacity.

Capacity counters are kept while bookings are drawn, so no slot is ever overbooked
and surplus demand goes to the waiting list; the slots themselves are written from
these counters at the end. What each family consumed is summed on the way, for the
payments drawn afterwards.

``bookings_for`` runs millions of times for a big town: its loop reads locals and
pre-converted day values only (``day_value``, ``tsproc``), never an ORM object.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from portail_tui.demo.families import ChildDraft, FamilyDraft
from portail_tui.demo.loader import BulkLoader
from portail_tui.demo.setup import DemoDays, DemoPeriod
from portail_tui.demo.spec import (
    ACTIVITY_SPECS,
    APSF,
    APSM,
    APSS,
    CLM,
    CLV,
    DAY_ACTIVITIES,
    RS,
    TownContext,
)
from portail_tui.domain.school_calendar import DayKind
from portail_tui.models import Booking, table_of
from portail_tui.services.consumption import consumption_limit

# Family no 1 (Hélène and Jérôme Lefèvre, children Léa and Noé) is the one the README
# and the tests start from: its children always have something booked.
SHOWCASE_PLANS: dict[int, list[tuple[int, set[int], int]]] = {
    1: [(RS, {0, 1, 3, 4}, 0), (APSS, {1, 3}, 0), (CLM, {2}, 1)],
    2: [(RS, {0, 1, 3, 4}, 0), (APSM, {0, 3}, 0)],
}


class BookingMaker:
    """Draws bookings child by child and keeps the capacity counters and what each
    family consumed."""

    def __init__(self, ctx: TownContext, days: DemoDays, periods: list[DemoPeriod],
                 loader: BulkLoader) -> None:
        self.rng = ctx.rng
        self.at = ctx.at
        self.today = ctx.today
        self.caps = ctx.caps
        self.periods = periods
        self.days = days.days
        self.day_parity = days.parity
        self.day_month = days.month
        self.day_consumed = days.consumed
        self.month_window = days.month_window
        self.by_wd = days.by_wd
        bt = table_of(Booking)
        dproc = loader.processor(bt, "day") or (lambda v: v)
        self.tsproc: Callable[[Any], Any] = loader.processor(bt, "created_at") or (lambda v: v)
        self.day_value = [dproc(d) for d in self.days]
        self.booking_id = 0
        # Amount consumed per family id (index 0 unused).
        self.consumed = [0] * (ctx.n_families + 1)
        n = len(days)
        self.taken = [[0] * n for _ in ACTIVITY_SPECS]
        self.seen = [[0] * n for _ in ACTIVITY_SPECS]
        self.period_taken: dict[int, int] = {}
        self.period_seen: dict[int, int] = {}
        # Two slots are filled on purpose, just past the 48 h deadline, so the waiting
        # list can be shown: APS SOIR on the next school day, CLM on the next Wednesday.
        self.targets: list[tuple[int, int]] = []
        soon = ctx.today + timedelta(days=3)
        for act, kind in ((APSS, DayKind.SCHOOL_DAY), (CLM, DayKind.WEDNESDAY)):
            di = days.first_on_or_after(soon, kind)
            if di is not None:
                self.targets.append((act, di))
        self.target_candidates: dict[tuple[int, int], list[tuple[int, FamilyDraft]]] = {
            t: [] for t in self.targets
        }
        self.slot_capacity: dict[tuple[int, int], int] = {}

    def plan(self) -> list[tuple[int, set[int], int]]:
        """A child's weekly pattern: (activity, weekdays, every_other_week 0/1)."""
        rng = self.rng
        plan: list[tuple[int, set[int], int]] = []
        school = [0, 1, 3, 4]
        if rng.random() < 0.50:
            k = rng.choices((4, 3, 2), (45, 30, 25))[0]
            plan.append((RS, set(rng.sample(school, k)), 0))
        r = rng.random()
        if r < 0.30:
            days = set(rng.sample(school, rng.choice((1, 2, 3, 4, 4))))
            if r < 0.06:
                plan.append((APSM, days, 0))
            elif r < 0.16:
                plan.append((APSS, days, 0))
            elif r < 0.22:
                plan += [(APSM, days, 0), (APSS, days, 0)]
            else:
                plan.append((APSF, days, 0))
        if rng.random() < 0.11:
            plan.append((CLM, {2}, 0 if rng.random() < 0.7 else 1))
        return plan

    def bookings_for(self, kid: ChildDraft, out: list[tuple[Any, ...]]) -> None:
        rng = self.rng
        rnd = rng.random
        fams = kid.families
        shared = len(fams) > 1
        cvals: list[tuple[Any, bool, datetime] | None] = [None] * len(self.month_window)
        agent_tag = "agent:agent"
        taken_all, seen_all, caps = self.taken, self.seen, self.caps
        day_value, day_month, day_parity = self.day_value, self.day_month, self.day_parity
        consumed = self.consumed
        plan = SHOWCASE_PLANS.get(kid.id) or self.plan()
        booked: set[tuple[int, int]] = set()
        for act, wds, every_other in plan:
            aid = act + 1
            taken, seen, cap = taken_all[act], seen_all[act], caps[act]
            prices = ACTIVITY_SPECS[act].prices
            for wd in wds:
                for di in self.by_wd.get((act, wd), ()):
                    if every_other and day_parity[di]:
                        continue
                    r = rnd()
                    if r < 0.03:  # absent, sick, or simply not booked that day
                        continue
                    m = day_month[di]
                    cv = cvals[m]
                    if cv is None:
                        cv = cvals[m] = self.created(m)
                    fam = fams[day_parity[di]] if shared else fams[0]
                    price = prices[fam.bracket]
                    actor = fam.tag if cv[1] else agent_tag
                    seen[di] += 1
                    self.booking_id += 1
                    if r < 0.045 and cv[2].date() < self.today:
                        cancel = self.cancel_time(cv[2], self.days[di])
                        out.append((self.booking_id, 1, fam.id, kid.id, aid, day_value[di], None,
                                    "cancelled", price, fam.quotient, cv[0], actor, cv[0], cancel, actor))
                        continue
                    t = taken[di]
                    if t < cap:
                        taken[di] = t + 1
                        if self.day_consumed[di]:
                            consumed[fam.id] += price
                        out.append((self.booking_id, 1, fam.id, kid.id, aid, day_value[di], None,
                                    "confirmed", price, fam.quotient, cv[0], actor, cv[0], None, None))
                    else:
                        out.append((self.booking_id, 1, fam.id, kid.id, aid, day_value[di], None,
                                    "waiting", price, fam.quotient, cv[0], actor, None, None, None))
                    booked.add((act, di))
        for act, di in self.targets:
            if (act, di) in booked or (act == APSS and (APSF, di) in booked):
                continue
            fam = fams[day_parity[di]] if shared else fams[0]
            self.target_candidates[(act, di)].append((kid.id, fam))
        self.holiday_bookings(kid, out)

    def created(self, m: int) -> tuple[Any, bool, datetime]:
        rng = self.rng
        lo, span = self.month_window[m]
        d = lo + timedelta(days=rng.randint(0, span))
        web = rng.random() < 0.6
        if d >= self.today:
            dt = self.at(self.today, rng.randint(360, 470))
        elif web:
            dt = self.at(d, rng.randint(420, 1379))
        else:
            if d.weekday() >= 5 and d - timedelta(days=d.weekday() - 4) >= lo:
                d -= timedelta(days=d.weekday() - 4)
            dt = self.at(d, rng.randint(510, 1049))
        return (self.tsproc(dt), web, dt)

    def cancel_time(self, created: datetime, day: date) -> Any:
        last = min(day - timedelta(days=3), self.today - timedelta(days=1))
        span = max(0, (last - created.date()).days)
        dt = created + timedelta(days=self.rng.randint(0, span), minutes=self.rng.randint(5, 240))
        return self.tsproc(dt)

    def holiday_bookings(self, kid: ChildDraft, out: list[tuple[Any, ...]]) -> None:
        """Holiday leisure centre, by period: a week or the whole holiday, booked inside
        the window, for holidays whose window has opened."""
        rng = self.rng
        fams = kid.families
        by_holiday: dict[int, list[DemoPeriod]] = {}
        for p in self.periods:
            if p.opens <= self.today:
                by_holiday.setdefault(p.holiday, []).append(p)
        cap = self.caps[CLV]
        clv = ACTIVITY_SPECS[CLV]
        for rows in by_holiday.values():
            if rng.random() >= 0.18:
                continue
            wholes = [p for p in rows if p.whole]
            weeks = [p for p in rows if not p.whole]
            pick = wholes[0] if wholes and rng.random() < 0.3 else rng.choice(weeks)
            pid, first, _last, opens, closes, open_days, _h, _w, unit = pick
            fam = fams[first.isocalendar()[1] % 2] if len(fams) > 1 else fams[0]
            end = min(closes, self.today - timedelta(days=1))
            if end < opens:
                continue
            d = opens + timedelta(days=rng.randint(0, (end - opens).days))
            web = rng.random() < 0.6
            dt = self.at(d, rng.randint(420, 1379) if web else rng.randint(510, 1049))
            cv = self.tsproc(dt)
            actor = fam.tag if web else "agent:agent"
            price = clv.period_price(unit, fam.bracket, open_days)
            self.booking_id += 1
            self.period_seen[pid] = self.period_seen.get(pid, 0) + 1
            taken = self.period_taken.get(pid, 0)
            if taken < cap:
                self.period_taken[pid] = taken + 1
                if first <= consumption_limit(self.today):
                    self.consumed[fam.id] += price
                out.append((self.booking_id, 1, fam.id, kid.id, CLV + 1, None, pid, "confirmed",
                            price, fam.quotient, cv, actor, cv, None, None))
            else:
                out.append((self.booking_id, 1, fam.id, kid.id, CLV + 1, None, pid, "waiting",
                            price, fam.quotient, cv, actor, None, None, None))

    def fill_targets(self) -> list[tuple[Any, ...]]:
        """Fill the two showcase slots to capacity, then put a few children on their
        waiting list. A town too small to fill the normal capacity gets a reduced one
        for that day (an outing with limited places)."""
        rng = self.rng
        out: list[tuple[Any, ...]] = []
        for act, di in self.targets:
            cands = self.target_candidates[(act, di)]
            rng.shuffle(cands)
            taken = self.taken[act][di]
            free = self.caps[act] - taken
            waiting = min(3, len(cands))
            if len(cands) - waiting < free:
                free = max(0, len(cands) - waiting)
                self.slot_capacity[(act, di)] = taken + free
            price_list = ACTIVITY_SPECS[act].prices
            for i, (kid_id, fam) in enumerate(cands[: free + waiting]):
                d = self.today - timedelta(days=rng.randint(0, 3))
                dt = self.at(d, rng.randint(510, 1049) if d < self.today else rng.randint(360, 470))
                cv = self.tsproc(dt)
                price = price_list[fam.bracket]
                self.booking_id += 1
                self.seen[act][di] += 1
                if i < free:
                    self.taken[act][di] += 1
                    if self.day_consumed[di]:
                        self.consumed[fam.id] += price
                    out.append((self.booking_id, 1, fam.id, kid_id, act + 1, self.day_value[di],
                                None, "confirmed", price, fam.quotient, cv, "agent:agent", cv, None, None))
                else:
                    out.append((self.booking_id, 1, fam.id, kid_id, act + 1, self.day_value[di],
                                None, "waiting", price, fam.quotient, cv, "agent:agent", None, None, None))
        return out

    def slot_rows(self) -> list[tuple[Any, ...]]:
        """One slot per day and activity, and per holiday period, that saw a booking."""
        slots: list[tuple[Any, ...]] = []
        for act in DAY_ACTIVITIES:
            for di, seen in enumerate(self.seen[act]):
                if seen:
                    cap = self.slot_capacity.get((act, di), self.caps[act])
                    slots.append((len(slots) + 1, act + 1, self.days[di], None, cap, self.taken[act][di]))
        for pid in sorted(self.period_seen):
            slots.append((len(slots) + 1, CLV + 1, None, pid, self.caps[CLV], self.period_taken.get(pid, 0)))
        return slots
