"""The town before any family: régie, agents, activities, rates, closures, holiday
periods, the bookable days, and the portal news.

Nothing here draws from the random source: the town's frame depends on ``today``
only, so the families drawn afterwards land on the same calendar for every seed.
"""

from __future__ import annotations

import copy
from datetime import date, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Connection, insert

from portail_tui.demo import names as N
from portail_tui.demo.schools import add_schools
from portail_tui.demo.spec import (
    ACTIVITY_SPECS,
    APSF,
    APSM,
    APSS,
    CLM,
    CLV,
    DEMO_ACCOUNTS,
    EXAMPLE,
    RS,
    TownContext,
)
from portail_tui.domain.booking_rules import PeriodRule
from portail_tui.domain.frdates import format_date_long, format_month
from portail_tui.domain.school_calendar import ETE, DayKind, SchoolCalendar
from portail_tui.models import (
    Activity,
    Agent,
    Closure,
    News,
    Period,
    Rate,
    ReceiptCounter,
    Regie,
    School,
    SchoolClass,
    table_of,
)
from portail_tui.services.consumption import consumption_limit
from portail_tui.services.regie_setup import SetupFile
from portail_tui.services.regie_setup.model import PeriodSpec
from portail_tui.services.regie_setup.rows import (
    activity_values,
    class_values,
    period_values,
    rate_values,
    regie_values,
    school_values,
)


def is_open_day(cal: SchoolCalendar, d: date) -> bool:
    """A weekday that is neither a public holiday nor a closure: the days the régie's
    counter is open and a holiday-period day is billed."""
    return d.weekday() < 5 and not cal.is_public_holiday(d) and not cal.is_closed(d)


class DemoPeriod(NamedTuple):
    """A holiday booking period: a whole holiday or one of its weeks."""

    id: int
    first_day: date
    last_day: date
    opens: date
    closes: date
    open_days: int
    holiday: int  # index of the holiday it belongs to
    whole: bool
    pricing_unit: str  # which flat rate it takes (PeriodRule.pricing_unit)


class TownSetup:
    """Writes the régie and its settings, and keeps what the families' rows are drawn
    against: the calendar with its closures and the holiday periods."""

    def __init__(self, ctx: TownContext) -> None:
        self.ctx = ctx
        self.closures: list[tuple[date, str]] = []
        self.cal = SchoolCalendar(zone="A")
        self.periods: list[DemoPeriod] = []
        self.period_rows: dict[int, dict[str, Any]] = {}
        self.holiday_keys: dict[str, int] = {}  # period label → index of its holiday

    def choose_closures(self, cal: SchoolCalendar) -> list[tuple[date, str]]:
        ctx = self.ctx
        out: list[tuple[date, str]] = []
        d = ctx.sy_start + timedelta(days=35)
        while d < ctx.today - timedelta(days=3) and not (
            d.weekday() == 0 and cal.day_kind(d) == DayKind.SCHOOL_DAY
        ):
            d += timedelta(days=1)
        if d < ctx.today - timedelta(days=3):
            out.append((d, "Fermeture exceptionnelle (travaux de la cuisine centrale)"))
        d = ctx.today + timedelta(days=14)
        limit = ctx.today + timedelta(days=60)
        while d <= limit and not (d.weekday() == 4 and cal.day_kind(d) == DayKind.SCHOOL_DAY):
            d += timedelta(days=1)
        if d <= limit:
            out.append((d, "Journée pédagogique"))
        return out

    def write(self, conn: Connection, hashes: dict[str, str]) -> None:
        """Régie, agents, activities, rates, closures, periods and the receipt counter."""
        ctx = self.ctx
        rid = ctx.regie_id
        setup_at = ctx.at(ctx.sy_start - timedelta(days=7), 9 * 60)
        self.closures = self.choose_closures(SchoolCalendar(zone="A"))
        self.cal = SchoolCalendar(zone="A", closures=frozenset(d for d, _ in self.closures))
        setup = self.setup_file()
        conn.execute(insert(table_of(Regie)), [{"id": rid, **regie_values(setup.regie)}])
        conn.execute(insert(table_of(Agent)), [
            {"id": i, "regie_id": rid, "login": a.login, "full_name": a.full_name,
             "role": a.role, "password_hash": hashes[a.password], "active": True,
             "can_see_health": a.can_see_health, "failed_attempts": 0, "created_at": setup_at}
            for i, a in enumerate(DEMO_ACCOUNTS, start=1)
        ])
        self.write_setup(conn, setup)
        if self.closures:
            conn.execute(insert(table_of(Closure)), [
                {"id": i, "regie_id": rid, "day": d, "reason": reason}
                for i, (d, reason) in enumerate(self.closures, start=1)
            ])
        conn.execute(insert(table_of(ReceiptCounter)), [
            {"regie_id": rid, "last_number": 0}
        ])

    def open_days(self, first: date, last: date) -> int:
        return sum(is_open_day(self.cal, first + timedelta(days=i))
                   for i in range((last - first).days + 1))

    def setup_file(self) -> SetupFile:
        """The example set-up file (G1) adapted to this town: its school year, schools
        and places in proportion to its size, and the holiday periods of the two school years the
        demo spans (each holiday whole and by the week; summer by the week only:
        nobody books two months at once)."""
        ctx = self.ctx
        setup = copy.deepcopy(EXAMPLE)
        setup.regie.school_year_start = ctx.sy_start
        add_schools(setup, ctx.school_groups)
        for i, activity in enumerate(setup.activities):
            activity.capacity = ctx.caps[i]
            for rate in activity.rates:
                rate.valid_from = ctx.sy_start
        clv = ACTIVITY_SPECS[CLV].code
        setup.periods = []
        sy = ctx.sy
        for hkey, hp in enumerate([p for y in (sy, sy + 1) for p in self.cal.holiday_periods(y)]):
            opens = hp.first_day - timedelta(days=45)
            closes = hp.first_day - timedelta(days=7)
            title = f"{hp.name} {hp.first_day.year}"
            whole = None
            if hp.name != ETE:
                whole = title
                setup.periods.append(PeriodSpec(clv, title, hp.first_day, hp.last_day, opens, closes))
                self.holiday_keys[title] = hkey
            for a, b in hp.weeks():
                label = f"{title} — semaine du {format_date_long(a, year=False)}"
                setup.periods.append(PeriodSpec(clv, label, a, b, opens, closes, within=whole))
                self.holiday_keys[label] = hkey
        return setup

    def write_setup(self, conn: Connection, setup: SetupFile) -> None:
        """Schools, classes, activities, rates and periods: the rows `regie apply` would
        write for this file (the same row builders), with the generator's own ids
        (activity id = index in ACTIVITY_SPECS + 1, the families' rows rely on it)."""
        rid = self.ctx.regie_id
        schools: list[dict[str, Any]] = []
        classes: list[dict[str, Any]] = []
        for i, school in enumerate(setup.schools):
            schools.append({"id": i + 1, **school_values(school, rid, i)})
            first = len(classes) + 1
            classes += [{"id": first + k, **class_values(name, i + 1, k)}
                        for k, name in enumerate(school.classes)]
        conn.execute(insert(table_of(School)), schools)
        if classes:
            conn.execute(insert(table_of(SchoolClass)), classes)
        conn.execute(insert(table_of(Activity)), [
            {"id": i + 1, **activity_values(a, rid, i), "active": True}
            for i, a in enumerate(setup.activities)
        ])
        rates: list[dict[str, Any]] = []
        for i, a in enumerate(setup.activities):
            first = len(rates) + 1
            rates += [{"id": first + k, **r} for k, r in enumerate(rate_values(a, i + 1))]
        conn.execute(insert(table_of(Rate)), rates)
        ids = {a.code: i + 1 for i, a in enumerate(setup.activities)}
        rows: list[dict[str, Any]] = []
        by_label: dict[str, int] = {}
        wholes = {p.within for p in setup.periods if p.within is not None}
        for p in setup.periods:
            pid = len(rows) + 1
            parent = by_label[p.within] if p.within is not None else None
            rows.append({"id": pid, **period_values(p, ids[p.activity], parent)})
            by_label[p.label] = pid
            self.periods.append(DemoPeriod(pid, p.first_day, p.last_day, p.booking_opens, p.booking_closes,
                                           self.open_days(p.first_day, p.last_day),
                                           self.holiday_keys[p.label], p.label in wholes,
                                           PeriodRule(pid, ids[p.activity], p.label, p.first_day, p.last_day,
                                                      p.booking_opens, p.booking_closes,
                                                      parent_id=parent).pricing_unit))
        if rows:
            conn.execute(insert(table_of(Period)), rows)
        self.period_rows = {r["id"]: r for r in rows}

    def write_news(self, conn: Connection) -> None:
        ctx = self.ctx
        items: list[tuple[str, str, date]] = []
        t = ctx.today
        month = format_month(t.year, t.month)
        menu = "\n".join(f"• {dish}" for dish in N.MENU_DISHES)
        items.append((f"Menus du restaurant scolaire — {month}",
                      f"Voici les menus du mois de {month}. Les repas sont préparés par la cuisine"
                      f" centrale avec des produits locaux.\n{menu}", date(t.year, t.month, 1)))
        upcoming = [p for p in self.periods if p.whole and p.closes >= t]
        if upcoming:
            p = upcoming[0]
            row = self.period_rows[p.id]
            items.append((f"Inscriptions au centre de loisirs : {row['label']}",
                          f"Les inscriptions au centre de loisirs pour les {row['label'][0].lower()}"
                          f"{row['label'][1:]} (du {format_date_long(p.first_day)} au"
                          f" {format_date_long(p.last_day)}) sont ouvertes du"
                          f" {format_date_long(p.opens)} au {format_date_long(p.closes)}"
                          " inclus, à la semaine ou pour toute la période.", min(p.opens, t)))
        future = [d for d, _reason in self.closures if d > t]
        if future:
            d = future[0]
            items.append(("Fermeture exceptionnelle : journée pédagogique",
                          f"Les services périscolaires (restaurant scolaire, APS) seront fermés le"
                          f" {format_date_long(d)} en raison d'une journée pédagogique. Les"
                          " réservations de ce jour ne sont pas facturées.", t - timedelta(days=5)))
        items.append(("Payez en ligne par carte bancaire",
                      "Vous pouvez régler vos factures en ligne par carte bancaire grâce au service"
                      " PayFiP de la DGFiP, depuis l'onglet « Paiement et solde ».", ctx.sy_start))
        conn.execute(insert(table_of(News)), [
            {"id": i, "regie_id": ctx.regie_id, "title": title, "body": body, "published_on": pub,
             "withdrawn_at": None, "created_by": "agent:regisseur", "updated_at": ctx.at(pub, 540)}
            for i, (title, body, pub) in enumerate(items, start=1)
        ])


class DemoDays:
    """The bookable days from the start of the school year to the 60-day horizon, with
    what the booking draws need per day (index ``di`` into these lists)."""

    def __init__(self, ctx: TownContext, cal: SchoolCalendar) -> None:
        today = ctx.today
        end = today + timedelta(days=60)
        self.days: list[date] = []
        self.kinds: list[DayKind] = []
        d = ctx.sy_start
        while d <= end:
            kind = cal.day_kind(d)
            if kind in (DayKind.SCHOOL_DAY, DayKind.WEDNESDAY):
                self.days.append(d)
                self.kinds.append(kind)
            d += timedelta(days=1)
        self.parity = [d.isocalendar()[1] % 2 for d in self.days]
        months: dict[tuple[int, int], int] = {}
        self.month = [months.setdefault((d.year, d.month), len(months)) for d in self.days]
        limit = consumption_limit(today)
        self.consumed = [d <= limit for d in self.days]
        # Created-date window per month: late enough for the 60-day horizon, early enough
        # for every deadline of the month, never after today.
        firsts: dict[int, date] = {}
        lasts: dict[int, date] = {}
        for d, m in zip(self.days, self.month, strict=True):
            firsts.setdefault(m, d)
            lasts[m] = d
        self.month_window: list[tuple[date, int]] = []
        for m in range(len(months)):
            lo = lasts[m] - timedelta(days=59)
            hi = min(firsts[m] - timedelta(days=3), today)
            if lo > hi:
                lo = hi
            self.month_window.append((lo, (hi - lo).days))
        # Days by (activity, weekday): canteen and APS on school days, CLM on Wednesdays.
        self.by_wd: dict[tuple[int, int], list[int]] = {}
        for di, day in enumerate(self.days):
            wd = day.weekday()
            acts = (CLM,) if self.kinds[di] == DayKind.WEDNESDAY else (RS, APSM, APSS, APSF)
            for a in acts:
                self.by_wd.setdefault((a, wd), []).append(di)

    def __len__(self) -> int:
        return len(self.days)

    def first_on_or_after(self, soon: date, kind: DayKind) -> int | None:
        for di, day in enumerate(self.days):
            if day >= soon and self.kinds[di] == kind:
                return di
        return None
