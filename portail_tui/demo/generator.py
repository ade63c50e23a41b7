"""The demo town: a deterministic, realistic fictional régie filled in one transaction.

Why it is written this way:

- *Deterministic*: everything is drawn from one ``random.Random(seed)`` in a fixed
  order, and dates derive from ``today``, so two runs with the same arguments give
  the same town (tests and benchmarks rely on it).
- *Fast*: ``--families 20000`` means tens of thousands of children and millions of
  bookings. No ORM object is built per row: rows are plain tuples with primary keys
  assigned here (so rows link without round-trips), inserted with the driver's own
  bulk path (``executemany`` for SQLite, ``COPY`` for PostgreSQL). Values that need
  conversion (dates, aware datetimes) go through the column types' own bind
  processors, once per distinct value for the big table, so what is stored is exactly
  what SQLAlchemy would have stored. The booking table's secondary indexes are
  dropped during the load and rebuilt from their own definitions afterwards (one
  sort instead of millions of B-tree insertions).
- *Consistent*: all of it is one transaction; capacity counters (``Slot.taken``) are
  counted while bookings are drawn, so no slot is ever overbooked and surplus demand
  goes to the waiting list; receipt numbers are given in chronological order with no
  gap, and the receipt counter ends at the last one.
"""

from __future__ import annotations

import json
import random
import time as _time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Table, func, insert, select, text

from portail_tui.clock import PARIS
from portail_tui.db import Database
from portail_tui.demo import names as N
from portail_tui.domain.frdates import format_date_long, format_month
from portail_tui.domain.school_calendar import (
    ETE,
    DayKind,
    SchoolCalendar,
    school_year_of,
)
from portail_tui.domain.text import normalize
from portail_tui.models import (
    Activity,
    Agent,
    AuditLog,
    Booking,
    Child,
    Closure,
    Contact,
    Family,
    FamilyMember,
    Form,
    Guardian,
    News,
    Payment,
    Period,
    Rate,
    ReceiptCounter,
    Regie,
    Slot,
)
from portail_tui.services.auth import hash_password
from portail_tui.services.families import build_search_text

Progress = Callable[[str, int, int], None]

REGIE_CODE = "SCOLAIRE"
REGIE_NAME = "REGIE DES SERVICES SCOLAIRES"
PAYMENT_MODES = "especes,cheque,cb,payfip,virement,cesu,ancv"
SHARED_RESIDENCE = "alternée"
# Quotient familial brackets (euros), inclusive; None = no upper bound.
QF_BRACKETS: tuple[tuple[int, int | None], ...] = ((0, 700), (701, 1200), (1201, None))
# Capacities are those of a 150-family town; a bigger town gets proportionally more
# places (more schools, more staff), otherwise a 20,000-family town would be one
# endless waiting list.
CAPACITY_BASE_FAMILIES = 150
CHUNK_FAMILIES = 500


@dataclass(frozen=True)
class DemoAccount:
    login: str
    password: str
    role: str
    description: str


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("agent", "agent1234", "agent",
                "Agent d'accueil : réservations, règlements, dossiers, sans accès aux fiches santé"),
    DemoAccount("regisseur", "regie1234", "regisseur",
                "Régisseur : tout ce que fait l'agent, plus fiches santé, annulations et arrêté de caisse"),
    DemoAccount("admin", "admin1234", "admin",
                "Administrateur : comptes des agents et paramétrage de la régie"),
)
_AGENT_NAMES = {"agent": "Sylvie Marchand", "regisseur": "Jean-Marc Delage", "admin": "Administrateur"}


@dataclass(frozen=True)
class DemoReport:
    families: int
    children: int
    bookings: int
    payments: int
    seconds: float


class DemoError(RuntimeError):
    """The demo town cannot be created; the message is French and shown as is."""


@dataclass(frozen=True)
class _ActivitySpec:
    code: str
    label: str
    letter: str
    start: time
    end: time
    weekdays: str
    runs_on: str
    unit: str
    capacity: int
    group: str | None
    combinable: bool
    prices: tuple[int, int, int]  # cents, per QF bracket (per day for a period activity)


ACTIVITY_SPECS: tuple[_ActivitySpec, ...] = (
    _ActivitySpec("RS", "RESTAURANT SCOLAIRE", "R", time(11, 45), time(13, 30), "1245", "school",
                  "day", 120, None, False, (210, 340, 450)),
    _ActivitySpec("APSM", "APS MATIN", "M", time(7, 30), time(8, 30), "1245", "school", "day", 40,
                  "APS", True, (120, 160, 200)),
    _ActivitySpec("APSS", "APS SOIR", "S", time(16, 30), time(18, 30), "1245", "school", "day", 40,
                  "APS", True, (180, 240, 300)),
    _ActivitySpec("APSF", "APS FORFAIT", "F", time(7, 30), time(18, 30), "1245", "school", "day", 30,
                  "APS", False, (260, 350, 440)),
    _ActivitySpec("CLM", "CENTRE DE LOISIRS MERCREDI", "W", time(8, 0), time(18, 0), "3", "school",
                  "day", 40, None, False, (800, 1200, 1600)),
    _ActivitySpec("CLV", "CENTRE DE LOISIRS VACANCES", "V", time(8, 0), time(18, 0), "12345",
                  "holidays", "period", 48, None, False, (900, 1300, 1700)),
)
RS, APSM, APSS, APSF, CLM, CLV = range(6)
DAY_ACTIVITIES = (RS, APSM, APSS, APSF, CLM)
# Family no 1 (Hélène and Jérôme Lefèvre, children Léa and Noé) is the one the README
# and the tests start from: its children always have something booked.
SHOWCASE_PLANS: dict[int, list[tuple[int, set[int], int]]] = {
    1: [(RS, {0, 1, 3, 4}, 0), (APSS, {1, 3}, 0), (CLM, {2}, 1)],
    2: [(RS, {0, 1, 3, 4}, 0), (APSM, {0, 3}, 0)],
}


def bracket_index(quotient: int | None) -> int:
    """Which QF bracket a family's quotient falls in; no quotient means the full price."""
    if quotient is None:
        return len(QF_BRACKETS) - 1
    for i, (lo, hi) in enumerate(QF_BRACKETS):
        if quotient >= lo and (hi is None or quotient <= hi):
            return i
    return len(QF_BRACKETS) - 1


def capacity_scale(families: int) -> int:
    return max(1, -(-families // CAPACITY_BASE_FAMILIES))


# --------------------------------------------------------------------------- loader


class _Loader:
    """Bulk inserts through the driver, inside the caller's transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dialect = conn.dialect
        self.sqlite = self.dialect.name == "sqlite"
        self.raw: Any = conn.connection.driver_connection
        self._sql: dict[tuple[str, tuple[str, ...]], str] = {}

    def processor(self, table: Table, column: str) -> Callable[[Any], Any] | None:
        col_type = table.c[column].type
        return cast(
            "Callable[[Any], Any] | None",
            col_type.dialect_impl(self.dialect).bind_processor(self.dialect),
        )

    def insert(
        self, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]], *, convert: bool = True
    ) -> None:
        """Insert `rows` (tuples in `columns` order). With `convert`, values go through the
        columns' bind processors first; the booking loader pre-converts instead."""
        if not rows:
            return
        if convert:
            procs = [(i, p) for i, c in enumerate(columns) if (p := self.processor(table, c))]
            if procs:
                converted = []
                for row in rows:
                    lst = list(row)
                    for i, p in procs:
                        if lst[i] is not None:
                            lst[i] = p(lst[i])
                    converted.append(tuple(lst))
                rows = converted
        quote = self.dialect.identifier_preparer.quote
        cols = ", ".join(quote(c) for c in columns)
        name = quote(table.name)
        if self.sqlite:
            marks = ", ".join("?" for _ in columns)
            self.raw.executemany(f"INSERT INTO {name} ({cols}) VALUES ({marks})", rows)
            return
        with self.raw.cursor() as cur, cur.copy(f"COPY {name} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def drop_indexes(self, table: Table) -> list[str]:
        """Drop the table's secondary indexes (not those backing constraints) and return
        the SQL that recreates them exactly."""
        if self.sqlite:
            rows = self.raw.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?"
                " AND sql IS NOT NULL",
                (table.name,),
            ).fetchall()
        else:
            rows = self.conn.execute(
                text(
                    "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x"
                    " JOIN pg_class i ON i.oid = x.indexrelid"
                    " JOIN pg_class t ON t.oid = x.indrelid"
                    " WHERE t.relname = :t AND t.relnamespace = current_schema()::regnamespace"
                    " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)"
                ),
                {"t": table.name},
            ).all()
        quote = self.dialect.identifier_preparer.quote
        for name, _sql in rows:
            self.conn.exec_driver_sql(f"DROP INDEX {quote(name)}")
        return [sql for _name, sql in rows]

    def create_indexes(self, statements: Iterable[str]) -> None:
        for sql in statements:
            self.conn.exec_driver_sql(sql)

    def fix_sequences(self, tables: Iterable[Table]) -> None:
        """Explicit ids do not move PostgreSQL's sequences: move them past the data."""
        if self.sqlite:
            return
        for table in tables:
            self.conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence(:t, 'id'),"
                    f" COALESCE((SELECT MAX(id) FROM {self.dialect.identifier_preparer.quote(table.name)}), 1),"
                    f" (SELECT COUNT(*) > 0 FROM {self.dialect.identifier_preparer.quote(table.name)}))"
                ),
                {"t": table.name},
            )


# --------------------------------------------------------------------------- people


@dataclass(slots=True)
class _Person:
    """Duck-typed stand-in for Guardian/Child/Family rows, for `build_search_text`."""

    last_name: str = ""
    first_name: str = ""
    email: str | None = None
    phone_home: str | None = None
    phone_mobile: str | None = None
    phone_work: str | None = None
    name: str = ""
    number: int = 0


@dataclass(slots=True)
class _Fam:
    id: int
    number: int
    quotient: int | None
    bracket: int
    tag: str
    payer: str
    kind: str  # couple, single, shared
    guardians: list[_Person] = field(default_factory=list)
    guardian_rows: list[tuple[Any, ...]] = field(default_factory=list)
    children: list[_Person] = field(default_factory=list)
    row: tuple[Any, ...] = ()


@dataclass(slots=True)
class _Kid:
    id: int
    first_name: str
    last_name: str
    sex: str
    class_index: int
    families: list[_Fam]


# --------------------------------------------------------------------------- the town


class _Town:
    def __init__(self, families: int, seed: int, today: date, progress: Progress | None) -> None:
        self.n_families = families
        self.rng = random.Random(seed)
        self.today = today
        self.progress = progress or (lambda _s, _d, _t: None)
        self.sy = school_year_of(today)
        self.sy_start = date(self.sy, 9, 1)
        self.scale = capacity_scale(families)
        self.caps = [spec.capacity * self.scale for spec in ACTIVITY_SPECS]
        self.now = datetime.combine(today, time(8, 0), tzinfo=PARIS)
        self.regie_id = 1
        self.n_children = 0

    # ------------------------------------------------------------------ helpers

    def at(self, d: date, minutes: int) -> datetime:
        return datetime(d.year, d.month, d.day, minutes // 60, minutes % 60, tzinfo=PARIS)

    def phone(self, prefix: str) -> str:
        r = self.rng.randrange(10**8)
        digits = f"{prefix}{r:08d}"[:10]
        return " ".join(digits[i:i + 2] for i in range(0, 10, 2))

    def email(self, first: str, last: str) -> str:
        local = f"{normalize(first)}.{normalize(last)}".replace(" ", "-")
        if self.rng.random() < 0.35:
            local += str(self.rng.randint(2, 99))
        return f"{local}@{self.rng.choice(N.EMAIL_DOMAINS)}"

    # ------------------------------------------------------------------ setup

    def choose_closures(self, cal: SchoolCalendar) -> list[tuple[date, str]]:
        out: list[tuple[date, str]] = []
        d = self.sy_start + timedelta(days=35)
        while d < self.today - timedelta(days=3) and not (
            d.weekday() == 0 and cal.day_kind(d) == DayKind.SCHOOL_DAY
        ):
            d += timedelta(days=1)
        if d < self.today - timedelta(days=3):
            out.append((d, "Fermeture exceptionnelle (travaux de la cuisine centrale)"))
        d = self.today + timedelta(days=14)
        limit = self.today + timedelta(days=60)
        while d <= limit and not (d.weekday() == 4 and cal.day_kind(d) == DayKind.SCHOOL_DAY):
            d += timedelta(days=1)
        if d <= limit:
            out.append((d, "Journée pédagogique"))
        return out

    def setup(self, conn: Connection, hashes: dict[str, str]) -> None:
        rid = self.regie_id
        setup_at = self.at(self.sy_start - timedelta(days=7), 9 * 60)
        conn.execute(insert(Regie.__table__), [{
            "id": rid, "code": REGIE_CODE, "name": REGIE_NAME, "payment_modes": PAYMENT_MODES,
            "cash_limit_cents": 30000, "email": "regie.scolaire@saint-just-le-martel.example",
            "address": f"Mairie, 1 place de la Mairie, {N.MAIN_TOWN[0]} {N.MAIN_TOWN[1]}",
            "payfip_numcli": "012345", "payfip_mode": "T", "school_zone": "A",
        }])
        conn.execute(insert(Agent.__table__), [
            {"id": i, "regie_id": rid, "login": a.login, "full_name": _AGENT_NAMES[a.login],
             "role": a.role, "password_hash": hashes[a.password], "active": True,
             "can_see_health": a.role != "agent", "failed_attempts": 0, "created_at": setup_at}
            for i, a in enumerate(DEMO_ACCOUNTS, start=1)
        ])
        conn.execute(insert(Activity.__table__), [
            {"id": i + 1, "regie_id": rid, "code": s.code, "label": s.label, "letter": s.letter,
             "start_time": s.start, "end_time": s.end, "weekdays": s.weekdays, "runs_on": s.runs_on,
             "booking_unit": s.unit, "deadline_days": 2, "deadline_time": s.start,
             "deadline_skip_weekends": False, "deadline_skip_holidays": False, "horizon_days": 60,
             "capacity": self.caps[i], "waiting_list": True, "exclusion_group": s.group,
             "combinable_in_group": s.combinable, "sort_order": (i + 1) * 10, "active": True}
            for i, s in enumerate(ACTIVITY_SPECS)
        ])
        rates = []
        for i, s in enumerate(ACTIVITY_SPECS):
            for b, (lo, hi) in enumerate(QF_BRACKETS):
                rates.append({"id": len(rates) + 1, "activity_id": i + 1, "qf_min": lo, "qf_max": hi,
                              "price_cents": s.prices[b], "valid_from": self.sy_start, "valid_to": None})
        conn.execute(insert(Rate.__table__), rates)

        base = SchoolCalendar(zone="A")
        self.closures = self.choose_closures(base)
        if self.closures:
            conn.execute(insert(Closure.__table__), [
                {"id": i, "regie_id": rid, "day": d, "reason": reason}
                for i, (d, reason) in enumerate(self.closures, start=1)
            ])
        self.cal = SchoolCalendar(zone="A", closures=frozenset(d for d, _ in self.closures))
        self.setup_periods(conn)
        conn.execute(insert(ReceiptCounter.__table__), [{"regie_id": rid, "last_number": 0}])

    def open_days(self, first: date, last: date) -> int:
        n = 0
        d = first
        while d <= last:
            if d.weekday() < 5 and not self.cal.is_public_holiday(d) and not self.cal.is_closed(d):
                n += 1
            d += timedelta(days=1)
        return n

    def setup_periods(self, conn: Connection) -> None:
        """Whole holidays and their weeks (summer by the week only: nobody books two
        months at once), each with its booking window."""
        rows = []
        # (id, first_day, last_day, opens, closes, open_days, holiday key, is_whole)
        self.periods: list[tuple[int, date, date, date, date, int, int, bool]] = []
        for hkey, hp in enumerate(
            [p for y in (self.sy, self.sy + 1) for p in self.cal.holiday_periods(y)]
        ):
            opens = hp.first_day - timedelta(days=45)
            closes = hp.first_day - timedelta(days=7)
            title = f"{hp.name} {hp.first_day.year}"
            parent = None
            if hp.name != ETE:
                parent = len(rows) + 1
                rows.append({"id": parent, "activity_id": CLV + 1, "label": title,
                             "first_day": hp.first_day, "last_day": hp.last_day,
                             "booking_opens": opens, "booking_closes": closes, "capacity": None,
                             "parent_id": None})
                self.periods.append((parent, hp.first_day, hp.last_day, opens, closes,
                                     self.open_days(hp.first_day, hp.last_day), hkey, True))
            for a, b in hp.weeks():
                pid = len(rows) + 1
                rows.append({"id": pid, "activity_id": CLV + 1,
                             "label": f"{title} — semaine du {format_date_long(a, year=False)}",
                             "first_day": a, "last_day": b, "booking_opens": opens,
                             "booking_closes": closes, "capacity": None, "parent_id": parent})
                self.periods.append((pid, a, b, opens, closes, self.open_days(a, b), hkey, False))
        if rows:
            conn.execute(insert(Period.__table__), rows)
        self.period_rows = {r["id"]: r for r in rows}

    def setup_days(self) -> None:
        """The bookable days from the start of the school year to the 60-day horizon."""
        end = self.today + timedelta(days=60)
        self.days: list[date] = []
        self.day_wd: list[int] = []
        kinds: list[DayKind] = []
        d = self.sy_start
        while d <= end:
            kind = self.cal.day_kind(d)
            if kind in (DayKind.SCHOOL_DAY, DayKind.WEDNESDAY):
                self.days.append(d)
                self.day_wd.append(d.weekday())
                kinds.append(kind)
            d += timedelta(days=1)
        n = len(self.days)
        self.day_parity = [d.isocalendar()[1] % 2 for d in self.days]
        months: dict[tuple[int, int], int] = {}
        self.day_month = [months.setdefault((d.year, d.month), len(months)) for d in self.days]
        limit = self.today + timedelta(days=15)
        self.day_consumed = [d <= limit for d in self.days]
        # Created-date window per month: late enough for the 60-day horizon, early enough
        # for every deadline of the month, never after today.
        firsts: dict[int, date] = {}
        lasts: dict[int, date] = {}
        for d, m in zip(self.days, self.day_month, strict=True):
            firsts.setdefault(m, d)
            lasts[m] = d
        self.month_window: list[tuple[date, int]] = []
        for m in range(len(months)):
            lo = lasts[m] - timedelta(days=59)
            hi = min(firsts[m] - timedelta(days=3), self.today)
            if lo > hi:
                lo = hi
            self.month_window.append((lo, (hi - lo).days))
        # Days by (activity, weekday): canteen and APS on school days, CLM on Wednesdays.
        self.by_wd: dict[tuple[int, int], list[int]] = {}
        for di in range(n):
            wd = self.day_wd[di]
            acts = (CLM,) if kinds[di] == DayKind.WEDNESDAY else (RS, APSM, APSS, APSF)
            for a in acts:
                self.by_wd.setdefault((a, wd), []).append(di)
        self.taken = [[0] * n for _ in ACTIVITY_SPECS]
        self.seen = [[0] * n for _ in ACTIVITY_SPECS]
        self.period_taken: dict[int, int] = {}
        self.period_seen: dict[int, int] = {}
        # Two slots are filled on purpose, just past the 48 h deadline, so the waiting
        # list can be shown: APS SOIR on the next school day, CLM on the next Wednesday.
        self.targets: list[tuple[int, int]] = []
        soon = self.today + timedelta(days=3)
        for act, kind in ((APSS, DayKind.SCHOOL_DAY), (CLM, DayKind.WEDNESDAY)):
            for di in range(n):
                if self.days[di] >= soon and kinds[di] == kind:
                    self.targets.append((act, di))
                    break
        self.target_candidates: dict[tuple[int, int], list[tuple[int, _Fam]]] = {
            t: [] for t in self.targets
        }
        self.slot_capacity: dict[tuple[int, int], int] = {}

    # ------------------------------------------------------------------ values

    def prepare_converters(self, loader: _Loader) -> None:
        bt = cast(Table, Booking.__table__)
        dproc = loader.processor(bt, "day") or (lambda v: v)
        self.tsproc = loader.processor(bt, "created_at") or (lambda v: v)
        self.day_value = [dproc(d) for d in self.days]

    # ------------------------------------------------------------------ families

    def quotient(self) -> int | None:
        r = self.rng.random()
        if r < 0.04:
            return None
        if r < 0.36:
            return self.rng.randint(180, 700)
        if r < 0.70:
            return self.rng.randint(701, 1200)
        return self.rng.randint(1201, 2600)

    def address(self) -> dict[str, Any]:
        rng = self.rng
        postal, city = N.MAIN_TOWN if rng.random() < 0.86 else rng.choice(N.NEIGHBOUR_TOWNS)
        return {
            "address_complement": rng.choice(N.COMPLEMENTS) if rng.random() < 0.12 else None,
            "street_number": str(rng.randint(1, 48)) + (" bis" if rng.random() < 0.04 else ""),
            "street_name": rng.choice(N.STREETS),
            "locality": rng.choice(N.LOCALITIES) if rng.random() < 0.15 else None,
            "postal_code": postal,
            "city": city,
        }

    def guardian(self, fam: _Fam, rank: int, civility: str, first: str, last: str,
                 addr: dict[str, Any]) -> None:
        rng = self.rng
        person = _Person(
            last_name=last, first_name=first, email=self.email(first, last),
            phone_home=self.phone("0555") if rng.random() < 0.35 else None,
            phone_mobile=self.phone(rng.choice(("06", "07"))),
            phone_work=self.phone(rng.choice(("0555", "0587"))) if rng.random() < 0.25 else None,
        )
        fam.guardians.append(person)
        self.guardian_id += 1
        fam.guardian_rows.append((
            self.guardian_id, fam.id, rank, civility, last, first, addr["address_complement"],
            addr["street_number"], addr["street_name"], addr["locality"], addr["postal_code"],
            addr["city"], person.phone_home, person.phone_mobile, person.phone_work, person.email,
        ))

    def new_family(self, kind: str, quotient: int | None = None) -> _Fam:
        self.family_id += 1
        q = self.quotient() if quotient is None else quotient
        number = self.family_id
        return _Fam(id=self.family_id, number=number, quotient=q, bracket=bracket_index(q),
                    tag=f"famille:{number:06d}", payer="", kind=kind)

    def finish_family(self, fam: _Fam, created: datetime) -> None:
        rng = self.rng
        g1 = fam.guardians[0]
        display = g1.last_name.upper()
        fam.payer = f"{g1.first_name} {g1.last_name}"
        r = rng.random()
        alloc_type = "CAF" if r < 0.86 else ("MSA" if r < 0.94 else None)
        alloc_number = f"{rng.randint(10**6, 10**7 - 1)}" if alloc_type else None
        stand_in = _Person(name=display, number=fam.number, email=g1.email)
        search = build_search_text(cast(Family, stand_in), cast(list[Guardian], fam.guardians),
                                   cast(list[Child], fam.children))
        year = self.today.year
        updated = max(created, self.at(date(year, 1, rng.randint(2, 28)), rng.randint(540, 1020)))
        if updated > self.now:
            updated = created
        fam.row = (
            fam.id, self.regie_id, fam.number, display, g1.email, fam.quotient,
            date(year, 1, 1) if fam.quotient is not None else None,
            date(year, 12, 31) if fam.quotient is not None else None,
            alloc_type, alloc_number, search, created, updated,
        )

    def family_created_at(self) -> datetime:
        rng = self.rng
        d = date(self.sy - rng.randint(0, 5), rng.randint(3, 6), rng.randint(1, 28))
        return self.at(d, rng.randint(510, 1050))

    def new_kid(self, last: str, class_index: int, first: str | None = None,
                sex: str | None = None) -> _Kid:
        rng = self.rng
        sex = sex or rng.choice("FM")
        if first is None:
            first = rng.choice(N.GIRLS if sex == "F" else N.BOYS)
        self.child_id += 1
        return _Kid(self.child_id, first, last, sex, class_index, [])

    def kid_classes(self, count: int) -> list[int]:
        picks = sorted(self.rng.sample(range(8), count), reverse=True)
        return picks

    def household(self) -> list[_Fam]:
        """One household: a couple, a single parent, or two separated parents sharing
        custody (two families, the shared children linked to both)."""
        rng = self.rng
        remaining = self.n_families - self.family_id
        showcase = self.family_id == 0
        r = rng.random()
        if not showcase and (self.family_id == 1 or r < 0.065) and remaining >= 2:
            return self.shared_household()
        created = self.family_created_at()
        kind = "couple" if (showcase or r < 0.80) else "single"
        fam = self.new_family(kind, quotient=640 if showcase else None)
        addr = self.address()
        kids: list[_Kid]
        if showcase:
            # The family every demo and test starts from: "lea" must find it.
            self.guardian(fam, 1, "Mme", "Hélène", "Lefèvre", addr)
            self.guardian(fam, 2, "M.", "Jérôme", "Lefèvre", addr)
            kids = [self.new_kid("Lefèvre", 4, "Léa", "F"), self.new_kid("Lefèvre", 2, "Noé", "M")]
            situation, residence, link = "Mariés", "domicile familial", "Parents"
        elif kind == "couple":
            father_last = rng.choice(N.LAST_NAMES)
            mother_last = father_last if rng.random() < 0.7 else rng.choice(N.LAST_NAMES)
            mother = ("Mme", rng.choice(N.WOMEN), mother_last)
            father = ("M.", rng.choice(N.MEN), father_last)
            first, second = (mother, father) if rng.random() < 0.75 else (father, mother)
            self.guardian(fam, 1, *first, addr)
            self.guardian(fam, 2, *second, addr)
            kid_last = father_last
            if mother_last != father_last and rng.random() < 0.15:
                kid_last = f"{father_last}-{mother_last}"
            kids = [self.new_kid(kid_last, c) for c in self.kid_classes(self.kid_count())]
            situation = rng.choice(N.SITUATIONS_COUPLE)
            residence, link = "domicile familial", "Parents"
        else:
            is_mother = rng.random() < 0.8
            civ, pool = ("Mme", N.WOMEN) if is_mother else ("M.", N.MEN)
            last = rng.choice(N.LAST_NAMES)
            self.guardian(fam, 1, civ, rng.choice(pool), last, addr)
            kids = [self.new_kid(last, c) for c in self.kid_classes(self.kid_count())]
            situation = rng.choice(N.SITUATIONS_SINGLE)
            residence = "chez la mère" if is_mother else "chez le père"
            link = "Mère" if is_mother else "Père"
        for kid in kids:
            self.link(fam, kid, link, situation, residence, caf=True)
        self.finish_family(fam, created)
        self.kids.extend(kids)
        return [fam]

    def kid_count(self) -> int:
        r = self.rng.random()
        return 1 if r < 0.45 else 2 if r < 0.85 else 3 if r < 0.97 else 4

    def shared_household(self) -> list[_Fam]:
        rng = self.rng
        created = self.family_created_at()
        father_last = rng.choice(N.LAST_NAMES)
        mother_last = rng.choice(N.LAST_NAMES) if rng.random() < 0.6 else father_last
        mother_fam = self.new_family("shared")
        self.guardian(mother_fam, 1, "Mme", rng.choice(N.WOMEN), mother_last, self.address())
        father_fam = self.new_family("shared")
        self.guardian(father_fam, 1, "M.", rng.choice(N.MEN), father_last, self.address())
        situation = rng.choice(("Séparés", "Divorcés"))
        shared = [self.new_kid(father_last, c)
                  for c in self.kid_classes(1 if rng.random() < 0.6 else 2)]
        for kid in shared:
            self.link(mother_fam, kid, "Mère", situation, SHARED_RESIDENCE, caf=True)
            self.link(father_fam, kid, "Père", situation, SHARED_RESIDENCE, caf=False)
        own: list[_Kid] = []
        if rng.random() < 0.25:  # a younger half-sibling living with the mother
            kid = self.new_kid(mother_last, rng.randint(0, 2))
            self.link(mother_fam, kid, "Mère", "Vie maritale", "domicile familial", caf=True)
            own.append(kid)
        self.finish_family(mother_fam, created)
        self.finish_family(father_fam, created + timedelta(days=rng.randint(0, 30)))
        self.kids.extend(shared + own)
        return [mother_fam, father_fam]

    def link(self, fam: _Fam, kid: _Kid, relationship: str, situation: str, residence: str,
             *, caf: bool) -> None:
        kid.families.append(fam)
        fam.children.append(_Person(last_name=kid.last_name, first_name=kid.first_name))
        self.member_id += 1
        self.members.append((self.member_id, fam.id, kid.id, relationship, situation, True,
                             residence, True, caf))

    # ------------------------------------------------------------------ per child rows

    def child_row(self, kid: _Kid) -> tuple[Any, ...]:
        rng = self.rng
        birth_year = self.sy - 3 - kid.class_index
        birth = date(birth_year, 1, 1) + timedelta(days=rng.randint(0, 364))
        school = N.MATERNELLE if kid.class_index < 3 else N.ELEMENTAIRE
        fam = kid.families[0]
        created = fam.row[11]
        return (kid.id, kid.last_name, kid.first_name, birth, kid.sex, school,
                N.CLASSES[kid.class_index], created)

    def contacts(self, fam: _Fam) -> None:
        rng = self.rng
        g1 = fam.guardians[0]
        for _ in range(1 if rng.random() < 0.55 else 2):
            link = rng.choice(N.CONTACT_LINKS)
            female = link in ("Grand-mère", "Tante", "Voisine", "Assistante maternelle", "Marraine")
            first = rng.choice(N.WOMEN if female else N.MEN)
            last = g1.last_name if link.startswith("Grand") and rng.random() < 0.6 else rng.choice(N.LAST_NAMES)
            self.contact_id += 1
            self.contact_rows.append((
                self.contact_id, fam.id, None, f"{first} {last}", self.phone(rng.choice(("06", "07", "0555"))),
                link, rng.random() < 0.65, True,
            ))

    def forms(self, kid: _Kid) -> None:
        rng = self.rng
        fam = kid.families[0]
        g1 = fam.guardians[0]
        sy_end = date(self.sy + 1, 8, 31)
        for kind in ("assurance", "contact", "reglement", "autorisations", "sante"):
            r = rng.random()
            status = ("validee" if r < 0.74 else "en_validation" if r < 0.84 else
                      "a_saisir" if r < 0.91 else "en_cours" if r < 0.95 else
                      "rejetee" if r < 0.98 else "a_mettre_a_jour")
            data = {} if status == "a_saisir" else self.form_data(kind, kid, g1)
            if status == "en_cours":
                data = dict(list(data.items())[: max(1, len(data) // 2)])
            year = self.sy - 1 if status == "a_mettre_a_jour" else self.sy
            expires = date(year + 1, 8, 31) if status != "a_saisir" else None
            if kind == "assurance" and status != "a_saisir":
                data["date_fin"] = (expires or sy_end).isoformat()
            submitted = decided = None
            decided_by = reason = validated = None
            if status in ("validee", "rejetee", "a_mettre_a_jour"):
                sub_day = date(year, 8, 20) + timedelta(days=rng.randint(0, 30))
                sub_day = min(sub_day, self.today - timedelta(days=2))
                submitted = self.at(sub_day, rng.randint(420, 1380))
                decided = submitted + timedelta(days=rng.randint(1, 5), minutes=rng.randint(0, 240))
                decided = min(decided, self.now - timedelta(minutes=30))
                decided_by = "agent:regisseur" if kind == "sante" or rng.random() < 0.3 else "agent:agent"
                if status == "rejetee":
                    reason = rng.choice(N.REJECT_REASONS[kind])
                else:
                    validated = data
            elif status == "en_validation":
                sub_day = self.today - timedelta(days=rng.randint(0, 20))
                minutes = rng.randint(360, 470) if sub_day == self.today else rng.randint(420, 1379)
                submitted = self.at(sub_day, minutes)
            updated = decided or submitted or fam.row[11]
            updated_by = (decided_by if decided else fam.tag) if status != "a_saisir" else "system"
            self.form_id += 1
            data_json = json.dumps(data, ensure_ascii=False, sort_keys=True)
            self.form_rows.append((
                self.form_id, kid.id, kind, status, data_json,
                data_json if validated is not None else None, reason, expires, year if status != "a_saisir" else None,
                submitted, decided, decided_by, updated, updated_by,
            ))

    def form_data(self, kind: str, kid: _Kid, g1: _Person) -> dict[str, Any]:
        rng = self.rng
        signer = f"{g1.first_name} {g1.last_name}"
        if kind == "assurance":
            return {"compagnie": rng.choice(N.INSURERS),
                    "numero_contrat": f"{rng.randint(10**8, 10**9 - 1)}",
                    "responsabilite_civile": True, "individuelle_accident": rng.random() < 0.8}
        if kind == "contact":
            return {"contact_urgence": f"{rng.choice(N.WOMEN)} {rng.choice(N.LAST_NAMES)}",
                    "telephone": self.phone("06"), "lien": rng.choice(N.CONTACT_LINKS)}
        if kind == "reglement":
            return {"lu_et_approuve": True, "signataire": signer,
                    "date_signature": date(self.sy, 8, rng.randint(20, 31)).isoformat()}
        if kind == "autorisations":
            return {"droit_a_l_image": rng.random() < 0.7, "sortie_seul": kid.class_index >= 6 and rng.random() < 0.4,
                    "transport_en_car": True, "soins_d_urgence": True}
        allergies = rng.sample(N.ALLERGIES, rng.choice((0, 0, 0, 0, 1, 1, 2)))
        return {"allergies": allergies, "pai": bool(allergies) and rng.random() < 0.6,
                "regime_alimentaire": rng.choice(N.DIETS), "vaccins_a_jour": rng.random() < 0.97,
                "medecin_traitant": rng.choice(N.DOCTORS), "telephone_medecin": self.phone("0555")}

    # ------------------------------------------------------------------ bookings

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

    def bookings_for(self, kid: _Kid, out: list[tuple[Any, ...]]) -> None:
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

    def holiday_bookings(self, kid: _Kid, out: list[tuple[Any, ...]]) -> None:
        """Holiday leisure centre, by period: a week or the whole holiday, booked inside
        the window, for holidays whose window has opened."""
        rng = self.rng
        fams = kid.families
        by_holiday: dict[int, list[tuple[int, date, date, date, date, int, int, bool]]] = {}
        for p in self.periods:
            if p[3] <= self.today:
                by_holiday.setdefault(p[6], []).append(p)
        cap = self.caps[CLV]
        prices = ACTIVITY_SPECS[CLV].prices
        for rows in by_holiday.values():
            if rng.random() >= 0.18:
                continue
            wholes = [p for p in rows if p[7]]
            weeks = [p for p in rows if not p[7]]
            pick = wholes[0] if wholes and rng.random() < 0.3 else rng.choice(weeks)
            pid, first, _last, opens, closes, open_days, _h, _w = pick
            fam = fams[first.isocalendar()[1] % 2] if len(fams) > 1 else fams[0]
            end = min(closes, self.today - timedelta(days=1))
            if end < opens:
                continue
            d = opens + timedelta(days=rng.randint(0, (end - opens).days))
            web = rng.random() < 0.6
            dt = self.at(d, rng.randint(420, 1379) if web else rng.randint(510, 1049))
            cv = self.tsproc(dt)
            actor = fam.tag if web else "agent:agent"
            price = prices[fam.bracket] * open_days
            self.booking_id += 1
            self.period_seen[pid] = self.period_seen.get(pid, 0) + 1
            taken = self.period_taken.get(pid, 0)
            if taken < cap:
                self.period_taken[pid] = taken + 1
                if first <= self.today + timedelta(days=15):
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

    # ------------------------------------------------------------------ payments

    def payments(self, fams: list[tuple[int, str, str]]) -> list[tuple[Any, ...]]:
        """Prepaid wallets: each family paid roughly what it consumed over the last three
        months, in one to four payments, leaving most balances near zero."""
        rng = self.rng
        start = self.today - timedelta(days=91)
        span = 90
        entries: list[list[Any]] = []
        for fid, tag, payer in fams:
            consumed = self.consumed[fid]
            r = rng.random()
            if r < 0.62:
                target = rng.randint(-300, 300)
            elif r < 0.82:
                target = -rng.randint(1000, 9000)
            else:
                target = rng.randint(500, 6000)
            total = consumed + target
            if consumed == 0:
                total = target if target >= 2000 else 0
            if total < 100:
                continue
            k = rng.choices((1, 2, 3, 4), (20, 30, 35, 15))[0]
            k = max(1, min(k, total // 2000))
            remaining = total
            for j in range(k):
                if j == k - 1:
                    amount = remaining
                else:
                    share = total / k * rng.uniform(0.75, 1.25)
                    amount = max(100, int(round(share / 100)) * 100)
                    amount = min(amount, remaining - 100 * (k - 1 - j))
                remaining -= amount
                offset = int(span * (j + rng.random()) / k)
                entries.append(self.payment_entry(fid, tag, payer, amount, start + timedelta(days=offset)))
        # A cheque came back unpaid: the régisseur reversed it (never deleted, B4).
        cheques = [e for e in entries if e[2] == "cheque" and e[1].date() < self.today - timedelta(days=10)]
        for e in rng.sample(cheques, min(len(cheques), max(1, self.n_families // 5000))):
            day = self.next_open_day(e[1].date() + timedelta(days=rng.randint(3, 6)))
            if day >= self.today:
                continue
            entries.append([e[0], self.at(day, rng.randint(540, 1000)), e[2], -e[3], "reversal", e, e[6],
                            None, None, None, "Chèque rejeté par la banque (défaut de provision)",
                            "agent:regisseur", None])
        entries.sort(key=lambda e: (e[1], e[0]))
        rows = []
        for number, e in enumerate(entries, start=1):
            e.append(number)
        for e in entries:
            fid, created, mode, amount, kind, orig, payer, cnum, bank, drawer, reason, by, ref = e[:13]
            number = e[13]
            rows.append((number, self.regie_id, fid, number, kind, mode, amount, payer, cnum, bank,
                         drawer, ref, orig[13] if orig else None, reason, created.date(), created, by))
        return rows

    def next_open_day(self, d: date) -> date:
        while d.weekday() >= 5 or self.cal.is_public_holiday(d) or self.cal.is_closed(d):
            d += timedelta(days=1)
        return d

    def payment_entry(self, fid: int, tag: str, payer: str, amount: int, day: date) -> list[Any]:
        rng = self.rng
        modes = ["cb", "cheque", "payfip", "virement"]
        weights = [25, 22, 22, 10]
        if amount <= 30000:
            modes.append("especes")
            weights.append(13)
        if amount % 100 == 0:
            modes.append("cesu")
            weights.append(5)
        if amount % 1000 == 0:
            modes.append("ancv")
            weights.append(4)
        mode = rng.choices(modes, weights)[0]
        cnum = bank = drawer = ref = None
        if mode == "payfip":
            by = tag
            created = self.at(day, rng.randint(420, 1379))
            ref = f"PF{day:%Y%m%d}{fid:06d}{rng.randint(0, 99):02d}"
        else:
            by = "agent:agent" if rng.random() < 0.75 else "agent:regisseur"
            if mode == "virement":
                ref = f"VIR {day:%d%m%y} {rng.randint(10**5, 10**6 - 1)}"
            elif mode == "cesu":
                ref = f"CESU {rng.randint(10**6, 10**7 - 1)}"
            elif mode == "ancv":
                ref = f"ANCV {rng.randint(10**6, 10**7 - 1)}"
            elif mode == "cheque":
                cnum = f"{rng.randint(10**6, 10**7 - 1)}"
                bank = rng.choice(N.BANKS)
                drawer = payer
            day = self.next_open_day(day)
            created = self.at(day, rng.randint(510, 1049))
        last = self.today - timedelta(days=1)
        if created.date() > last:
            created = self.at(last, min(created.hour * 60 + created.minute, 1049))
        return [fid, created, mode, amount, "payment", None, payer, cnum, bank, drawer, None, by, ref]

    # ------------------------------------------------------------------ news

    def news(self, conn: Connection) -> None:
        items: list[tuple[str, str, date]] = []
        t = self.today
        month = format_month(t.year, t.month)
        menu = "\n".join(f"• {dish}" for dish in N.MENU_DISHES)
        items.append((f"Menus du restaurant scolaire — {month}",
                      f"Voici les menus du mois de {month}. Les repas sont préparés par la cuisine"
                      f" centrale avec des produits locaux.\n{menu}", date(t.year, t.month, 1)))
        upcoming = [p for p in self.periods if p[7] and p[4] >= t]
        if upcoming:
            p = upcoming[0]
            row = self.period_rows[p[0]]
            items.append((f"Inscriptions au centre de loisirs : {row['label']}",
                          f"Les inscriptions au centre de loisirs pour les {row['label'][0].lower()}"
                          f"{row['label'][1:]} (du {format_date_long(p[1])} au {format_date_long(p[2])})"
                          f" sont ouvertes du {format_date_long(p[3])} au {format_date_long(p[4])}"
                          " inclus, à la semaine ou pour toute la période.", min(p[3], t)))
        future = [d for d, reason in self.closures if d > t]
        if future:
            d = future[0]
            items.append(("Fermeture exceptionnelle : journée pédagogique",
                          f"Les services périscolaires (restaurant scolaire, APS) seront fermés le"
                          f" {format_date_long(d)} en raison d'une journée pédagogique. Les"
                          " réservations de ce jour ne sont pas facturées.", t - timedelta(days=5)))
        items.append(("Payez en ligne par carte bancaire",
                      "Vous pouvez régler vos factures en ligne par carte bancaire grâce au service"
                      " PayFiP de la DGFiP, depuis l'onglet « Paiement et solde ».", self.sy_start))
        conn.execute(insert(News.__table__), [
            {"id": i, "regie_id": self.regie_id, "title": title, "body": body, "published_on": pub,
             "withdrawn_at": None, "created_by": "agent:regisseur", "updated_at": self.at(pub, 540)}
            for i, (title, body, pub) in enumerate(items, start=1)
        ])

    # ------------------------------------------------------------------ run

    def run(self, conn: Connection, hashes: dict[str, str]) -> tuple[int, int, int, int]:
        loader = _Loader(conn)
        self.setup(conn, hashes)
        self.setup_days()
        self.prepare_converters(loader)
        self.news(conn)
        bulk_tables = [cast(Table, m.__table__) for m in (Family, Guardian, Child, FamilyMember,
                                                            Contact, Form, Booking, Slot, Payment)]
        indexes = [sql for table in bulk_tables for sql in loader.drop_indexes(table)]
        self.family_id = self.guardian_id = self.child_id = self.member_id = 0
        self.contact_id = self.form_id = self.booking_id = 0
        self.consumed = [0] * (self.n_families + 1)
        pay_families: list[tuple[int, str, str]] = []
        n_bookings = 0
        self.progress("Familles", 0, self.n_families)
        while self.family_id < self.n_families:
            self.kids: list[_Kid] = []
            self.members: list[tuple[Any, ...]] = []
            self.contact_rows: list[tuple[Any, ...]] = []
            self.form_rows: list[tuple[Any, ...]] = []
            chunk: list[_Fam] = []
            while self.family_id < self.n_families and len(chunk) < CHUNK_FAMILIES:
                chunk += self.household()
            bookings: list[tuple[Any, ...]] = []
            child_rows = []
            for kid in self.kids:
                child_rows.append(self.child_row(kid))
                self.forms(kid)
                self.bookings_for(kid, bookings)
            for fam in chunk:
                self.contacts(fam)
                pay_families.append((fam.id, fam.tag, fam.payer))
            loader.insert(cast(Table, Family.__table__), FAMILY_COLS, [f.row for f in chunk])
            loader.insert(cast(Table, Guardian.__table__), GUARDIAN_COLS,
                          [g for f in chunk for g in f.guardian_rows])
            loader.insert(cast(Table, Child.__table__), CHILD_COLS, child_rows)
            loader.insert(cast(Table, FamilyMember.__table__), MEMBER_COLS, self.members)
            loader.insert(cast(Table, Contact.__table__), CONTACT_COLS, self.contact_rows)
            loader.insert(cast(Table, Form.__table__), FORM_COLS, self.form_rows)
            loader.insert(cast(Table, Booking.__table__), BOOKING_COLS, bookings, convert=False)
            n_bookings += len(bookings)
            self.n_children += len(self.kids)
            self.progress("Familles", self.family_id, self.n_families)

        extra = self.fill_targets()
        loader.insert(cast(Table, Booking.__table__), BOOKING_COLS, extra, convert=False)
        n_bookings += len(extra)

        self.progress("Places", 0, 1)
        slots = []
        for act in DAY_ACTIVITIES:
            for di, seen in enumerate(self.seen[act]):
                if seen:
                    cap = self.slot_capacity.get((act, di), self.caps[act])
                    slots.append((len(slots) + 1, act + 1, self.days[di], None, cap, self.taken[act][di]))
        for pid in sorted(self.period_seen):
            slots.append((len(slots) + 1, CLV + 1, None, pid, self.caps[CLV], self.period_taken.get(pid, 0)))
        loader.insert(cast(Table, Slot.__table__), SLOT_COLS, slots)
        self.progress("Places", 1, 1)

        self.progress("Règlements", 0, 1)
        payments = self.payments(pay_families)
        loader.insert(cast(Table, Payment.__table__), PAYMENT_COLS, payments)
        conn.execute(
            ReceiptCounter.__table__.update()
            .where(ReceiptCounter.__table__.c.regie_id == self.regie_id)
            .values(last_number=len(payments))
        )
        self.progress("Règlements", 1, 1)

        self.progress("Index", 0, 1)
        loader.create_indexes(indexes)
        loader.fix_sequences(
            cast(Table, m.__table__)
            for m in (Regie, Agent, Activity, Rate, Closure, Period, News, Family, Guardian, Child,
                      FamilyMember, Contact, Form, Booking, Slot, Payment)
        )
        conn.execute(insert(AuditLog.__table__), [{
            "at": self.now, "actor": "system", "action": "demo.generate", "entity": "regie",
            "entity_id": self.regie_id, "family_id": None,
            "details": json.dumps({"families": self.n_families, "today": self.today.isoformat(),
                                   "bookings": n_bookings, "payments": len(payments)}, sort_keys=True),
        }])
        self.progress("Index", 1, 1)
        return self.n_families, self.n_children, n_bookings, len(payments)


FAMILY_COLS = ("id", "regie_id", "number", "name", "email", "quotient", "quotient_valid_from",
               "quotient_valid_to", "allocataire_type", "allocataire_number", "search_text",
               "created_at", "updated_at")
GUARDIAN_COLS = ("id", "family_id", "rank", "civility", "last_name", "first_name",
                 "address_complement", "street_number", "street_name", "locality", "postal_code",
                 "city", "phone_home", "phone_mobile", "phone_work", "email")
CHILD_COLS = ("id", "last_name", "first_name", "birth_date", "sex", "school", "school_class",
              "created_at")
MEMBER_COLS = ("id", "family_id", "child_id", "relationship", "parents_situation",
               "emergency_contact", "residence", "parental_authority", "caf_affiliation")
CONTACT_COLS = ("id", "family_id", "child_id", "name", "phone", "relationship", "may_pick_up",
                "emergency")
FORM_COLS = ("id", "child_id", "kind", "status", "data", "validated_data", "reject_reason",
             "expires_on", "school_year", "submitted_at", "decided_at", "decided_by", "updated_at",
             "updated_by")
BOOKING_COLS = ("id", "regie_id", "family_id", "child_id", "activity_id", "day", "period_id",
                "status", "price_cents", "quotient_used", "created_at", "created_by",
                "confirmed_at", "cancelled_at", "cancelled_by")
SLOT_COLS = ("id", "activity_id", "day", "period_id", "capacity", "taken")
PAYMENT_COLS = ("id", "regie_id", "family_id", "receipt_number", "kind", "mode", "amount_cents",
                "payer_name", "cheque_number", "cheque_bank", "cheque_drawer", "reference",
                "reverses_id", "reason", "business_day", "created_at", "created_by")


def _refuse_if_not_empty(conn: Connection) -> None:
    families = conn.execute(select(func.count()).select_from(Family.__table__)).scalar_one()
    if families:
        raise DemoError(
            f"La base contient déjà {families} famille(s) : la commune de démonstration ne peut"
            " être créée que dans une base vide."
        )
    if conn.execute(select(func.count()).select_from(Regie.__table__)).scalar_one():
        raise DemoError(
            "La base contient déjà une régie : la commune de démonstration ne peut être créée"
            " que dans une base vide."
        )


def generate(
    db: Database,
    *,
    families: int = 150,
    seed: int = 1,
    today: date,
    progress: Progress | None = None,
) -> DemoReport:
    """Fill an empty, migrated database with the demo town, in one transaction.

    Refuses (DemoError) a database that already has families or a régie. `progress`
    is called as ``progress(stage, done, total)`` with French stage names.
    """
    if families < 1 or families > 999_999:
        raise DemoError("Le nombre de familles doit être compris entre 1 et 999 999.")
    started = _time.perf_counter()
    hashes = {a.password: hash_password(a.password) for a in DEMO_ACCOUNTS}
    town = _Town(families, seed, today, progress)
    engine = db.engine.execution_options(portail_write=True)
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            # A bulk load into an empty database, in one transaction: page writes need no
            # durability before the final commit; a cache as big as the town keeps every
            # page in memory until then (no spill into the WAL, index rebuilds read from
            # memory); ids are assigned here, so foreign keys are consistent by
            # construction and are not checked row by row (the tests run
            # `PRAGMA foreign_key_check`, and PostgreSQL checks them anyway).
            raw.execute("PRAGMA synchronous=OFF")
            raw.execute(f"PRAGMA cache_size=-{min(1_048_576, max(65_536, families * 48))}")
            raw.execute("PRAGMA temp_store=MEMORY")
            raw.execute("PRAGMA foreign_keys=OFF")
            # CHECK constraints with IN lists cost SQLite an ephemeral table per row (half
            # of the insert time); the rows are valid by construction, PostgreSQL checks
            # them, and the tests run `PRAGMA integrity_check`, which checks them too.
            raw.execute("PRAGMA ignore_check_constraints=ON")
        try:
            with conn.begin():
                _refuse_if_not_empty(conn)
                counts = town.run(conn, hashes)
        finally:
            if sqlite:
                raw.execute("PRAGMA foreign_keys=ON")
                raw.execute("PRAGMA ignore_check_constraints=OFF")
                raw.execute("PRAGMA synchronous=NORMAL")
                raw.execute("PRAGMA cache_size=-2000")
                raw.execute("PRAGMA temp_store=DEFAULT")
        # Planner statistics for the freshly loaded tables; then fold the WAL into the
        # main file so the database is one self-contained file (benchmarks copy it).
        if sqlite:
            raw.execute("PRAGMA analysis_limit=1000")
            raw.execute("ANALYZE")
            raw.execute("PRAGMA analysis_limit=0")
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            conn.commit()
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    return DemoReport(*counts, seconds=_time.perf_counter() - started)
