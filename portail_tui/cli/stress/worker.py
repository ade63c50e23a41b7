"""One agent's counter, as a separate process: the operations it draws, how an error it
meets is classified, and starting or killing the processes (`portail stress`)."""

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
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from portail_tui.cli.stress.town import StressTown, station_actor

if TYPE_CHECKING:
    from portail_tui.services.booking import CartResult
from portail_tui.clock import Clock
from portail_tui.config import Settings
from portail_tui.db import Database, _is_retryable
from portail_tui.services.context import Context, ServiceError

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


def _journal_write(journal: TextIO, record: dict[str, Any]) -> None:
    journal.write(json.dumps(record, default=str) + "\n")
    journal.flush()


def _op_search(ctx: Context, town: StressTown, rng: random.Random, st: _WorkerState, journal: TextIO) -> str:
    from portail_tui.services.families import search_families

    word = rng.choice(town.words)
    search_families(ctx, word[: rng.randint(3, max(3, len(word)))])
    return "ok"


def _op_look(ctx: Context, town: StressTown, rng: random.Random, st: _WorkerState, journal: TextIO) -> str:
    from portail_tui.services.booking import month_view
    from portail_tui.services.wallet import wallet_figures

    fid, cid = rng.choice(town.pairs)
    if rng.random() < 0.5:
        d = rng.choice(town.hot)[1]
        month_view(ctx, fid, cid, d.year, d.month)
    else:
        wallet_figures(ctx, fid)
    return "ok"


def _line_outcome(result: CartResult, journal: TextIO, what: str) -> str:
    outcome = result.outcomes[0]
    if outcome.outcome == "refused":
        if any(w in outcome.reason for w in RETRY_WORDINGS):
            raise RetryExposed(f"{what} : {outcome.reason}")
        return f"refusée ({outcome.reason})"
    return str(outcome.outcome)


def _op_book(ctx: Context, town: StressTown, rng: random.Random, st: _WorkerState, journal: TextIO) -> str:
    from portail_tui.services.booking import BOOK, CartLine, validate_cart

    fid, cid = rng.choice(town.pairs)
    act, d = rng.choice(town.hot)
    result = validate_cart(ctx, fid, [CartLine(action=BOOK, child_id=cid, activity_id=act, day=d)])
    out = result.outcomes[0]
    if out.outcome in ("confirmed", "waiting"):
        _journal_write(journal, {"op": "book", "booking": out.booking_id, "status": out.outcome,
                                 "family": fid, "child": cid, "activity": act, "day": d.isoformat()})
        st.booked.append((fid, cid, act, d))
    return _line_outcome(result, journal, "réservation")


def _op_cancel(ctx: Context, town: StressTown, rng: random.Random, st: _WorkerState, journal: TextIO) -> str:
    from portail_tui.services.booking import CANCEL, CartLine, day_options, validate_cart

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


def _op_pay(ctx: Context, town: StressTown, rng: random.Random, st: _WorkerState, journal: TextIO) -> str:
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


def _op_reverse(ctx: Context, town: StressTown, rng: random.Random, st: _WorkerState, journal: TextIO) -> str:
    from portail_tui.services.payments import reverse_payment

    if not st.paid:
        return "rien à annuler"
    pid, fid = st.paid.pop(rng.randrange(len(st.paid)))
    receipt = reverse_payment(ctx, pid, reason="Erreur de saisie (test de charge)")
    _journal_write(journal, {"op": "reverse", "payment": receipt.payment_id, "receipt": receipt.receipt_number,
                             "family": fid, "amount": receipt.amount_cents, "reverses": pid})
    return "ok"


def _op_refund(ctx: Context, town: StressTown, rng: random.Random, st: _WorkerState, journal: TextIO) -> str:
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
                  actor=station_actor(spec.town.regie_id, spec.index, spec.role))
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
                  seed: int = 1, regisseurs: int | None = None, ready_timeout: float = 300) -> list[subprocess.Popen[bytes]]:
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
            procs.append(subprocess.Popen([sys.executable, "-m", "portail_tui.cli.stress", str(spec_path)],
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


def kill_workers(procs: list[subprocess.Popen[bytes]]) -> None:
    """kill -9, as a power cut or the OOM killer would."""
    for p in procs:
        if p.poll() is None:
            os.kill(p.pid, signal.SIGKILL)
    for p in procs:
        p.wait(timeout=30)

