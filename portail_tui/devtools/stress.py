"""Concurrent agents on one database: the proof that places and money hold under load.

Why this exists: the booking and cash-desk services are correct one call at a time
(unit and property tests), but a town hall runs several counters at once, each its own
process (one per SSH session), against one SQLite file or one PostgreSQL server. This
module starts N such processes for a fixed time, each acting as an agent — searching
families, booking the same scarce places, cancelling, taking payments, a régisseur
reversing and refunding — then verifies from the data alone that nothing broke:

- no place over capacity, each counter equal to its confirmed bookings;
- waiting lists consistent (nobody waiting for a day with a free place);
- receipt numbers gapless and unique, the counter at the last one;
- every family's solde equal to its entries (computed again with bare SQL);
- everything a worker saw committed is in the database (workers append each
  committed id to a journal file, flushed after the commit, so a crash test can kill
  them at any instant and still check that no committed write was lost);
- no error reached an agent that a retry could have hidden: a lock or serialization
  error, or a refusal that only says "someone else was changing it, try again".

Used by `portail stress`, `tests/test_stress.py` and `tests/test_crash_safety.py`.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from portail_tui.clock import Clock
from portail_tui.config import Settings
from portail_tui.db import Database, _is_retryable, upgrade
from portail_tui.models import Activity, Booking, Family, FamilyMember, Regie, Slot
from portail_tui.services.context import Actor, Context, ServiceError

# The date the demo town is generated for and the workers' calendar day (a Saturday:
# the hot days are the school days of the following weeks, inside every deadline).
DEFAULT_TODAY = date(2026, 11, 28)
HOT_ACTIVITIES = ("RS", "APSS", "APSM", "CLM")
# Refusal wordings that only mean "another counter was changing it at the same
# moment": a person cannot act on them except by trying again, which the program
# could have done itself. Any of them reaching an agent is a failure.
RETRY_WORDINGS = ("réessayez", "en même temps", "modifiée entre-temps", "modifié entre-temps")

# op name -> weight (agents search and look far more than they write)
OPS: dict[str, int] = {
    "search": 22,
    "look": 12,
    "book": 30,
    "cancel": 14,
    "pay": 16,
    "reverse": 3,
    "refund": 3,
}
REGISSEUR_OPS = ("reverse", "refund")


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
    pairs = db.read(lambda s: [tuple(r) for r in s.execute(
        select(FamilyMember.family_id, FamilyMember.child_id).join(Family, Family.id == FamilyMember.family_id)
        .where(Family.regie_id == regie_id).order_by(FamilyMember.id)).all()])
    names = db.read(lambda s: [r[0] for r in s.execute(select(Family.name).where(Family.regie_id == regie_id))])
    family_ids = sorted({f for f, _ in pairs})
    codes = db.read(lambda s: dict(s.execute(select(Activity.code, Activity.id)
                                             .where(Activity.regie_id == regie_id)).all()))
    ctx = Context(db=db, clock=Clock(today), settings=Settings(database_url=db.url),
                  actor=_actor(regie_id, 0, "regisseur"))
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

    def work(session) -> list[tuple[int, date]]:  # type: ignore[no-untyped-def]
        chosen: list[tuple[int, date]] = []
        for act, d in candidates:
            waiting = session.execute(select(func.count()).select_from(Booking).where(
                Booking.activity_id == act, Booking.day == d, Booking.status == "waiting")).scalar_one()
            if waiting:
                continue
            confirmed = session.execute(select(func.count()).select_from(Booking).where(
                Booking.activity_id == act, Booking.day == d, Booking.status == "confirmed")).scalar_one()
            slot = session.execute(select(Slot).where(Slot.activity_id == act, Slot.day == d)).scalars().first()
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


def _actor(regie_id: int, index: int, role: str) -> Actor:
    return Actor(kind="agent", login=f"poste{index}", regie_id=regie_id, role=role,
                 full_name=f"Agent du poste {index}")


# --- the workers ---------------------------------------------------------------------


@dataclass(frozen=True)
class WorkerSpec:
    """Everything one agent process needs, written as JSON next to its journal."""

    url: str
    index: int
    role: str
    town: StressTown
    seconds: float
    seed: int
    folder: str

    def path(self, suffix: str) -> Path:
        return Path(self.folder) / f"poste{self.index}.{suffix}"

    def to_json(self) -> dict[str, Any]:
        return {"url": self.url, "index": self.index, "role": self.role, "town": self.town.to_json(),
                "seconds": self.seconds, "seed": self.seed, "folder": self.folder}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WorkerSpec:
        return cls(url=data["url"], index=data["index"], role=data["role"],
                   town=StressTown.from_json(data["town"]), seconds=data["seconds"], seed=data["seed"],
                   folder=data["folder"])


@dataclass
class _WorkerState:
    booked: list[tuple[int, int, int, date]] = field(default_factory=list)  # fid, cid, act, day
    paid: list[tuple[int, int]] = field(default_factory=list)  # payment id, family id
    outcomes: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    errors: Counter[str] = field(default_factory=Counter)
    samples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    latency: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))


class RetryExposed(Exception):
    """A refusal whose only cause is another counter acting at the same moment."""


def classify(exc: BaseException) -> str:
    """The kind of an error that reached the agent; every kind but "refusal" is a failure."""
    if isinstance(exc, RetryExposed):
        return "retry_exposed"
    if isinstance(exc, ServiceError):
        return "retry_exposed" if any(w in exc.message for w in RETRY_WORDINGS) else "refusal"
    if isinstance(exc, IntegrityError):
        return "integrity"
    if isinstance(exc, OperationalError | DBAPIError):
        return "lock" if _is_retryable(exc) else "database"
    return "crash"


def _journal_write(journal, record: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    journal.write(json.dumps(record, default=str) + "\n")
    journal.flush()


def _op_search(ctx: Context, town: StressTown, rng: random.Random, st: _WorkerState, journal) -> str:  # type: ignore[no-untyped-def]
    from portail_tui.services.families import search_families

    word = rng.choice(town.words)
    search_families(ctx, word[: rng.randint(3, max(3, len(word)))])
    return "ok"


def _op_look(ctx: Context, town: StressTown, rng: random.Random, st: _WorkerState, journal) -> str:  # type: ignore[no-untyped-def]
    from portail_tui.services.booking import month_view
    from portail_tui.services.wallet import wallet_figures

    fid, cid = rng.choice(town.pairs)
    if rng.random() < 0.5:
        d = rng.choice(town.hot)[1]
        month_view(ctx, fid, cid, d.year, d.month)
    else:
        wallet_figures(ctx, fid)
    return "ok"


def _line_outcome(result, journal, what: str) -> str:  # type: ignore[no-untyped-def]
    outcome = result.outcomes[0]
    if outcome.outcome == "refused":
        if any(w in outcome.reason for w in RETRY_WORDINGS):
            raise RetryExposed(f"{what} : {outcome.reason}")
        return f"refusée ({outcome.reason})"
    return outcome.outcome


def _op_book(ctx: Context, town: StressTown, rng: random.Random, st: _WorkerState, journal) -> str:  # type: ignore[no-untyped-def]
    from portail_tui.services.booking import validate_cart
    from portail_tui.services.booking_cart import BOOK, CartLine

    fid, cid = rng.choice(town.pairs)
    act, d = rng.choice(town.hot)
    result = validate_cart(ctx, fid, [CartLine(action=BOOK, child_id=cid, activity_id=act, day=d)])
    out = result.outcomes[0]
    if out.outcome in ("confirmed", "waiting"):
        _journal_write(journal, {"op": "book", "booking": out.booking_id, "status": out.outcome,
                                 "family": fid, "child": cid, "activity": act, "day": d.isoformat()})
        st.booked.append((fid, cid, act, d))
    return _line_outcome(result, journal, "réservation")


def _op_cancel(ctx: Context, town: StressTown, rng: random.Random, st: _WorkerState, journal) -> str:  # type: ignore[no-untyped-def]
    from portail_tui.services.booking import day_options, validate_cart
    from portail_tui.services.booking_cart import CANCEL, CartLine

    if st.booked and rng.random() < 0.6:
        fid, cid, act, d = st.booked.pop(rng.randrange(len(st.booked)))
    else:  # someone else's booking on a hot day: two counters may cancel it at once
        fid, cid = rng.choice(town.pairs)
        act, d = rng.choice(town.hot)
    opt = day_options(ctx, fid, cid, d).option(act)
    if opt.booking_id is None or opt.other_family:
        return "rien à annuler"
    result = validate_cart(ctx, fid, [CartLine(action=CANCEL, child_id=cid, activity_id=act, day=d)])
    out = result.outcomes[0]
    if out.outcome == "cancelled":
        _journal_write(journal, {"op": "cancel", "booking": out.booking_id, "promoted": result.promoted})
    return _line_outcome(result, journal, "annulation")


PAY_MODES = ("especes", "cb", "cheque", "virement")


def _op_pay(ctx: Context, town: StressTown, rng: random.Random, st: _WorkerState, journal) -> str:  # type: ignore[no-untyped-def]
    from portail_tui.services.payments import take_payment

    fid = rng.choice(town.family_ids)
    mode = rng.choice(PAY_MODES)
    amount = rng.randint(100, 29_000)
    cheque = ({"cheque_number": str(rng.randint(1_000_000, 9_999_999)), "cheque_bank": "La Banque Postale",
               "cheque_drawer": "Titulaire du compte"} if mode == "cheque" else {})
    receipt = take_payment(ctx, fid, amount_cents=amount, mode=mode, **cheque)
    _journal_write(journal, {"op": "pay", "payment": receipt.payment_id, "receipt": receipt.receipt_number,
                             "family": fid, "amount": amount})
    st.paid.append((receipt.payment_id, fid))
    return "ok"


def _op_reverse(ctx: Context, town: StressTown, rng: random.Random, st: _WorkerState, journal) -> str:  # type: ignore[no-untyped-def]
    from portail_tui.services.payments import reverse_payment

    if not st.paid:
        return "rien à annuler"
    pid, fid = st.paid.pop(rng.randrange(len(st.paid)))
    receipt = reverse_payment(ctx, pid, reason="Erreur de saisie (test de charge)")
    _journal_write(journal, {"op": "reverse", "payment": receipt.payment_id, "receipt": receipt.receipt_number,
                             "family": fid, "amount": receipt.amount_cents, "reverses": pid})
    return "ok"


def _op_refund(ctx: Context, town: StressTown, rng: random.Random, st: _WorkerState, journal) -> str:  # type: ignore[no-untyped-def]
    from portail_tui.services.payments import refund

    fid = rng.choice(town.family_ids)
    receipt = refund(ctx, fid, amount_cents=rng.randint(100, 2_000), mode="especes",
                     reason="Trop-perçu (test de charge)")
    _journal_write(journal, {"op": "refund", "payment": receipt.payment_id, "receipt": receipt.receipt_number,
                             "family": fid, "amount": receipt.amount_cents})
    return "ok"


_OP_FUNCTIONS: dict[str, Callable[..., str]] = {
    "search": _op_search, "look": _op_look, "book": _op_book, "cancel": _op_cancel,
    "pay": _op_pay, "reverse": _op_reverse, "refund": _op_refund,
}


def run_worker(spec: WorkerSpec) -> None:
    """One agent's counter until the time is up. Every exception is caught, classified
    and counted: the loop goes on, as an agent would after reading the message."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    from portail_tui.services import booking, families, payments, wallet  # noqa: F401  (imported before the start)

    db = Database(spec.url)
    st = _WorkerState()
    rng = random.Random(spec.seed * 1000 + spec.index)
    ctx = Context(db=db, clock=Clock(spec.town.today), settings=Settings(database_url=spec.url),
                  actor=_actor(spec.town.regie_id, spec.index, spec.role))
    ops = [op for op in OPS if spec.role == "regisseur" or op not in REGISSEUR_OPS]
    weights = [OPS[op] for op in ops]
    try:
        db.ping()
        _warm_up(ctx, spec.town)
        with open(spec.path("journal"), "a", encoding="utf-8") as journal:
            start_at = _wait_for_go(spec)
            end = start_at + spec.seconds
            while time.time() < end:
                op = rng.choices(ops, weights)[0]
                t0 = time.perf_counter()
                try:
                    outcome = _OP_FUNCTIONS[op](ctx, spec.town, rng, st, journal)
                except Exception as exc:  # noqa: BLE001 - every error an agent would see is counted
                    kind = classify(exc)
                    msg = getattr(exc, "message", None) or f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
                    if kind == "refusal":
                        outcome = f"refusée ({_AMOUNT.sub('… €', msg)})"
                    else:
                        st.errors[kind] += 1
                        if len(st.samples[kind]) < 5:
                            st.samples[kind].append(f"{op}: {msg}")
                            if kind == "crash":
                                st.samples[kind].append(traceback.format_exc(limit=6))
                        outcome = f"erreur {kind}"
                st.latency[op].append((time.perf_counter() - t0) * 1000)
                st.outcomes[op][outcome] += 1
    finally:
        db.dispose()
    summary = {
        "index": spec.index,
        "role": spec.role,
        "outcomes": {op: dict(c) for op, c in st.outcomes.items()},
        "errors": dict(st.errors),
        "samples": dict(st.samples),
        "latency": {op: _quantiles(v) for op, v in st.latency.items()},
    }
    tmp = spec.path("summary.tmp")
    tmp.write_text(json.dumps(summary, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, spec.path("summary.json"))


def _warm_up(ctx: Context, town: StressTown) -> None:
    """Read once what every operation reads (calendars, rates, prepared statements),
    so the measured operations are an agent's ordinary ones, not a program start."""
    from portail_tui.services.booking import day_options, month_view
    from portail_tui.services.families import search_families
    from portail_tui.services.wallet import wallet_figures

    fid, cid = town.pairs[0]
    act, d = town.hot[0]
    search_families(ctx, town.words[0])
    month_view(ctx, fid, cid, d.year, d.month)
    day_options(ctx, fid, cid, d)
    wallet_figures(ctx, fid)


def _wait_for_go(spec: WorkerSpec) -> float:
    """Say "ready" (connected, modules loaded), then wait for the common start time the
    parent writes once every agent is ready: they all start together, however long
    each took to start on a busy machine."""
    spec.path("ready").touch()
    go = Path(spec.folder) / "go"
    limit = time.time() + 600
    while not go.exists():
        if time.time() > limit:
            raise SystemExit("pas de signal de départ")
        time.sleep(0.02)
    start_at = float(go.read_text(encoding="utf-8") or time.time())
    delay = start_at - time.time()
    if delay > 0:
        time.sleep(delay)
    return start_at


_AMOUNT = re.compile(r"-?\d[\d\u00a0\u202f .,]*\s?€")  # refusals grouped whatever the amount


def _quantiles(values: list[float]) -> dict[str, float]:
    values = sorted(values)
    if not values:
        return {"n": 0}

    def q(p: float) -> float:
        return values[max(0, min(len(values) - 1, round(p * (len(values) - 1))))]

    return {"n": len(values), "p50": q(0.5), "p95": q(0.95), "max": values[-1],
            "mean": statistics.fmean(values)}


def start_workers(url: str, town: StressTown, *, processes: int, seconds: float, folder: Path,
                  seed: int = 1, regisseurs: int | None = None, ready_timeout: float = 300) -> list[subprocess.Popen]:
    """Start the agent processes — real separate programs, as separate SSH sessions
    would be — and return once all are connected and have been told to start. One in
    four is a régisseur, who also reverses and refunds."""
    folder.mkdir(parents=True, exist_ok=True)
    regisseurs = max(1, processes // 4) if regisseurs is None else regisseurs
    procs = []
    for i in range(processes):
        spec = WorkerSpec(url=url, index=i + 1, role="regisseur" if i < regisseurs else "agent", town=town,
                          seconds=seconds, seed=seed, folder=str(folder))
        spec_path = spec.path("spec.json")
        spec_path.write_text(json.dumps(spec.to_json()), encoding="utf-8")
        with open(spec.path("log"), "ab") as log:
            procs.append(subprocess.Popen([sys.executable, "-m", "portail_tui.devtools.stress", str(spec_path)],
                                          stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL))
    limit = time.time() + ready_timeout
    while not all((folder / f"poste{i + 1}.ready").exists() for i in range(processes)):
        dead = [p for p in procs if p.poll() is not None]
        if dead or time.time() > limit:
            kill_workers(procs)
            logs = "\n".join((folder / f"poste{i + 1}.log").read_text(errors="replace")[-2000:]
                             for i in range(processes) if (folder / f"poste{i + 1}.log").exists())
            raise RuntimeError(f"les postes n'ont pas démarré :\n{logs}")
        time.sleep(0.05)
    (folder / "go.tmp").write_text(repr(time.time() + 0.2), encoding="utf-8")
    os.replace(folder / "go.tmp", folder / "go")
    return procs


def kill_workers(procs: list[subprocess.Popen]) -> None:
    """kill -9, as a power cut or the OOM killer would."""
    for p in procs:
        if p.poll() is None:
            os.kill(p.pid, signal.SIGKILL)
    for p in procs:
        p.wait(timeout=30)


# --- verification --------------------------------------------------------------------


@dataclass
class StressReport:
    engine: str
    processes: int
    seconds: float
    elapsed: float = 0.0
    outcomes: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    errors: Counter[str] = field(default_factory=Counter)
    samples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    latency: dict[str, dict[str, float]] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)
    missing_summaries: list[int] = field(default_factory=list)

    @property
    def failures(self) -> int:
        return sum(n for kind, n in self.errors.items() if kind != "refusal")

    @property
    def ok(self) -> bool:
        return not self.violations and self.failures == 0

    @property
    def operations(self) -> int:
        return sum(sum(c.values()) for c in self.outcomes.values())


def collect(folder: Path, report: StressReport, processes: int) -> None:
    """Merge the workers' summaries; a worker without one died (or was killed)."""
    lat: dict[str, list[tuple[int, dict[str, float]]]] = defaultdict(list)
    for i in range(1, processes + 1):
        path = folder / f"poste{i}.summary.json"
        if not path.exists():
            report.missing_summaries.append(i)
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        for op, counts in data["outcomes"].items():
            report.outcomes[op].update(counts)
        report.errors.update(data["errors"])
        for kind, msgs in data["samples"].items():
            report.samples[kind].extend(msgs)
        for op, q in data["latency"].items():
            if q.get("n"):
                lat[op].append((int(q["n"]), q))
    for op, parts in lat.items():
        # Per-worker quantiles, combined conservatively: the worst p95 and max.
        report.latency[op] = {"n": sum(n for n, _ in parts),
                              "p50": statistics.median(q["p50"] for _, q in parts),
                              "p95": max(q["p95"] for _, q in parts),
                              "max": max(q["max"] for _, q in parts)}


def read_journal(path: Path) -> list[dict[str, Any]]:
    """A worker's committed writes. One killed while writing leaves at most a torn
    last line: that write is simply not claimed (its commit may or may not be in)."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


def read_journals(folder: Path) -> list[dict[str, Any]]:
    return [r for path in sorted(folder.glob("poste*.journal")) for r in read_journal(path)]


def verify(db: Database, town: StressTown, folder: Path, report: StressReport, *, complete: bool = True) -> None:
    """Check every invariant on the data and against the workers' journals. With
    `complete` (no worker killed), the journals must account for every entry the
    workers made; after a crash they may miss the last one of each worker."""
    from portail_tui.services.integrity import run_checks
    from portail_tui.services.wallet import family_solde

    v = report.violations
    ctx = Context(db=db, clock=Clock(town.today), settings=Settings(database_url=db.url))
    check = run_checks(ctx)
    v.extend(f"portail db check : {p.message}" for p in check.problems)

    def places(session) -> None:  # type: ignore[no-untyped-def]
        rows = session.execute(text(
            "SELECT s.activity_id, s.day, s.capacity, s.taken,"
            " (SELECT COUNT(*) FROM booking b WHERE b.activity_id = s.activity_id AND b.day = s.day"
            "   AND b.status = 'confirmed') AS confirmed,"
            " (SELECT COUNT(*) FROM booking b WHERE b.activity_id = s.activity_id AND b.day = s.day"
            "   AND b.status = 'waiting') AS waiting"
            " FROM slot s WHERE s.day IS NOT NULL")).all()
        report.checked["créneaux"] = len(rows)
        for act, d, cap, taken, confirmed, waiting in rows:
            if cap is not None and confirmed > cap:
                v.append(f"créneau {act}/{d} : {confirmed} confirmés pour {cap} places")
            if taken != confirmed:
                v.append(f"créneau {act}/{d} : compteur {taken}, confirmés {confirmed}")
            day = d if isinstance(d, date) else date.fromisoformat(str(d))
            if waiting and day >= town.today and (cap is None or confirmed < cap):
                v.append(f"créneau {act}/{d} : {waiting} en attente avec {cap - confirmed if cap else '∞'}"
                         " place(s) libre(s)")
        doubles = session.execute(text(
            "SELECT child_id, activity_id, day, COUNT(*) FROM booking WHERE status <> 'cancelled'"
            " AND day IS NOT NULL GROUP BY child_id, activity_id, day HAVING COUNT(*) > 1")).all()
        for child, act, d, n in doubles:
            v.append(f"enfant {child} réservé {n} fois pour l'activité {act} le {d}")

    def receipts(session) -> None:  # type: ignore[no-untyped-def]
        numbers: dict[int, list[int]] = defaultdict(list)
        for regie_id, n in session.execute(text("SELECT regie_id, receipt_number FROM payment")).all():
            numbers[regie_id].append(n)
        counters = dict(session.execute(text("SELECT regie_id, last_number FROM receipt_counter")).all())
        report.checked["quittances"] = sum(len(x) for x in numbers.values())
        for regie_id, ns in numbers.items():
            if sorted(ns) != list(range(1, len(ns) + 1)):
                dup = [n for n, c in Counter(ns).items() if c > 1]
                gaps = sorted(set(range(1, max(ns) + 1)) - set(ns))
                v.append(f"régie {regie_id} : quittances en double {dup[:10]}, manquantes {gaps[:10]}")
            if counters.get(regie_id) != max(ns):
                v.append(f"régie {regie_id} : compteur {counters.get(regie_id)}, dernière quittance {max(ns)}")

    # R6 written again here (not the service's constant): consumed = dated up to today + 15 days.
    limit = town.today + timedelta(days=15)

    def soldes(session) -> dict[int, int]:  # type: ignore[no-untyped-def]
        paid = dict(session.execute(text(
            "SELECT family_id, SUM(amount_cents) FROM payment GROUP BY family_id")).all())
        consumed = dict(session.execute(text(
            "SELECT b.family_id, SUM(b.price_cents) FROM booking b LEFT JOIN period p ON p.id = b.period_id"
            " WHERE b.status = 'confirmed' AND COALESCE(b.day, p.first_day) <= :limit GROUP BY b.family_id"),
            {"limit": limit}).all())
        return {fid: int(paid.get(fid) or 0) - int(consumed.get(fid) or 0) for fid in town.family_ids}

    db.read(places)
    db.read(receipts)
    expected = db.read(soldes)
    for fid in town.family_ids:
        shown = family_solde(ctx, fid)
        if shown != expected[fid]:
            v.append(f"famille {fid} : solde affiché {shown}, écritures {expected[fid]}")
    report.checked["soldes"] = len(town.family_ids)
    _verify_journals(db, folder, report, complete=complete)


def _verify_journals(db: Database, folder: Path, report: StressReport, *, complete: bool) -> None:
    v = report.violations
    records = read_journals(folder)
    report.checked["écritures journalisées"] = len(records)
    pay_ids = [r["payment"] for r in records if "payment" in r]
    book_ids = [r["booking"] for r in records if r["op"] == "book"]
    cancel_ids = [r["booking"] for r in records if r["op"] == "cancel"]

    def load(session) -> tuple[dict[int, Any], dict[int, str], Counter[str]]:  # type: ignore[no-untyped-def]
        pays: dict[int, Any] = {}
        for chunk in _chunks(pay_ids):
            for row in session.execute(text(
                    "SELECT id, receipt_number, family_id, amount_cents FROM payment WHERE id IN :ids")
                    .bindparams(bindparam("ids", expanding=True)), {"ids": chunk}).all():
                pays[row[0]] = row
        statuses: dict[int, str] = {}
        for chunk in _chunks(book_ids + cancel_ids):
            for bid, status in session.execute(
                    select(Booking.id, Booking.status).where(Booking.id.in_(chunk))).all():
                statuses[bid] = status
        made = Counter(r[0] for r in session.execute(text(
            "SELECT created_by FROM payment WHERE created_by LIKE 'agent:poste%'")).all())
        return pays, statuses, made

    pays, statuses, made = db.read(load)
    for r in records:
        if "payment" in r:
            row = pays.get(r["payment"])
            if row is None:
                v.append(f"écriture n° {r['payment']} ({r['op']}) journalisée comme enregistrée, absente de la base")
            elif row[1] != r["receipt"] or row[2] != r["family"] or row[3] != r["amount"]:
                v.append(f"écriture n° {r['payment']} différente de ce qui a été enregistré")
        elif r["op"] == "book" and r["booking"] not in statuses:
            v.append(f"réservation n° {r['booking']} journalisée comme enregistrée, absente de la base")
        elif r["op"] == "cancel" and statuses.get(r["booking"]) != "cancelled":
            v.append(f"annulation de la réservation n° {r['booking']} journalisée, réservation "
                     f"{statuses.get(r['booking'], 'absente')}")
    logged: Counter[str] = Counter()
    for path in folder.glob("poste*.journal"):
        logged[f"agent:{path.stem}"] = sum(1 for r in read_journal(path) if "payment" in r)
    for tag in set(made) | set(logged):
        extra = made[tag] - logged[tag]
        # A killed worker may have committed its last entry without journalling it.
        if extra < 0 or (extra > 0 and complete) or extra > 1:
            v.append(f"{tag} : {made[tag]} écritures en base, {logged[tag]} journalisées")


def _chunks(ids: list[int], size: int = 500) -> list[list[int]]:
    return [ids[i:i + size] for i in range(0, len(ids), size)]


# --- the whole run ---------------------------------------------------------------------


def run_stress(url: str, town: StressTown, *, processes: int, seconds: float, folder: Path,
               seed: int = 1, progress: Callable[[float], None] | None = None) -> StressReport:
    """Start the agents, wait for them, then verify everything. The database must be
    prepared (`prepare_town`)."""
    db = Database(url)
    report = StressReport(engine=db.engine.dialect.name, processes=processes, seconds=seconds)
    try:
        procs = start_workers(url, town, processes=processes, seconds=seconds, folder=folder, seed=seed)
        t0 = time.perf_counter()
        deadline = time.time() + seconds + 120
        try:
            while any(p.poll() is None for p in procs):
                if progress is not None:
                    progress(time.perf_counter() - t0)
                if time.time() > deadline:
                    report.violations.append("des postes ne se sont pas arrêtés à temps (bloqués ?)")
                    kill_workers(procs)
                    break
                time.sleep(0.25)
        except KeyboardInterrupt:
            kill_workers(procs)
            raise
        for i, p in enumerate(procs, start=1):
            if p.wait(timeout=10) != 0:
                tail = (folder / f"poste{i}.log").read_text(errors="replace").strip().splitlines()[-1:]
                report.violations.append(f"le poste {i} s'est arrêté avec le code {p.returncode} {tail}")
        report.elapsed = time.perf_counter() - t0
        collect(folder, report, processes)
        for i in report.missing_summaries:
            report.violations.append(f"le poste {i} n'a pas rendu son bilan")
        verify(db, town, folder, report, complete=True)
    finally:
        db.dispose()
    return report


def failure_lines(report: StressReport) -> list[str]:
    """Every reason the run failed, in French, for the CLI and the tests."""
    lines = list(report.violations)
    for kind, n in sorted(report.errors.items()):
        if kind != "refusal" and n:
            lines.append(f"{n} erreur(s) « {ERROR_LABELS.get(kind, kind)} » montrée(s) à un agent : "
                         + " | ".join(report.samples.get(kind, [])[:3]))
    return lines


ERROR_LABELS = {
    "lock": "verrou ou conflit de sérialisation",
    "retry_exposed": "réessayez (conflit qu'une nouvelle tentative aurait masqué)",
    "integrity": "contrainte d'intégrité",
    "database": "base de données",
    "crash": "erreur inattendue",
}


__all__ = [
    "DEFAULT_TODAY", "StressReport", "StressTown", "WorkerSpec", "classify", "collect",
    "failure_lines", "kill_workers", "make_scarce", "prepare_town", "read_journals", "run_stress",
    "run_worker", "start_workers", "verify",
]


if __name__ == "__main__":  # one agent process: python -m portail_tui.devtools.stress SPEC.json
    run_worker(WorkerSpec.from_json(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))))
