"""After the run: the workers' summaries merged, every invariant of places and money
checked on the data and against the workers' journals (`portail stress`)."""

from __future__ import annotations

import json
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, select, text
from sqlmodel import Session, col

from portail_tui.cli.stress.town import StressTown
from portail_tui.cli.stress.worker import kill_workers, start_workers
from portail_tui.clock import Clock
from portail_tui.config import Settings
from portail_tui.db import Database
from portail_tui.models import Booking
from portail_tui.services.context import Context


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

    def places(session: Session) -> None:
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

    def receipts(session: Session) -> None:
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

    # R6/R7 written again here (not the service's constant): consumed = confirmed and dated up
    # to today + 15 days, less the justified absences the régie waives (P2); the solde adds
    # the opening balance taken over from the previous software (G8).
    limit = town.today + timedelta(days=15)  # on purpose not consumption_limit: an independent check

    def soldes(session: Session) -> dict[int, int]:
        paid = dict(session.execute(text(
            "SELECT family_id, SUM(amount_cents) FROM payment GROUP BY family_id")).all())
        consumed = dict(session.execute(text(
            "SELECT b.family_id, SUM(b.price_cents) FROM booking b LEFT JOIN period p ON p.id = b.period_id"
            " WHERE b.status = 'confirmed' AND COALESCE(b.day, p.first_day) <= :limit"
            " AND NOT EXISTS (SELECT 1 FROM attendance a WHERE a.booking_id = b.id AND NOT a.billed)"
            " GROUP BY b.family_id"),
            {"limit": limit}).all())
        opening = dict(session.execute(text(
            "SELECT family_id, SUM(amount_cents) FROM opening_balance GROUP BY family_id")).all())
        return {fid: int(paid.get(fid) or 0) + int(opening.get(fid) or 0) - int(consumed.get(fid) or 0)
                for fid in town.family_ids}

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

    def load(session: Session) -> tuple[dict[int, Any], dict[int, str], Counter[str]]:
        pays: dict[int, Any] = {}
        for chunk in _chunks(pay_ids):
            for row in session.execute(text(
                    "SELECT id, receipt_number, family_id, amount_cents FROM payment WHERE id IN :ids")
                    .bindparams(bindparam("ids", expanding=True)), {"ids": chunk}).all():
                pays[row[0]] = row
        statuses: dict[int, str] = {}
        for chunk in _chunks(book_ids + cancel_ids):
            for bid, status in session.execute(
                    select(col(Booking.id), col(Booking.status)).where(col(Booking.id).in_(chunk))).all():
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

