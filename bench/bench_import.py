"""Benchmark: import 20,000 families (about 32,000 children) with their opening balances
from a CSV into a fresh database, as `portail import familles` does (budget: well under
a minute, on SQLite and on PostgreSQL).

    .venv/bin/python bench/bench_import.py                 # SQLite and PostgreSQL
    .venv/bin/python bench/bench_import.py --sqlite-only --families 2000

Generates the file (not timed), migrates a fresh database and declares its schools
(not timed), then times `import_families` — reading, checks, bulk writes, forms,
search words, audit — and a second import of the same file (nothing changes).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portail_tui.clock import PARIS, FixedClock  # noqa: E402
from portail_tui.db import Database, upgrade  # noqa: E402
from portail_tui.services.context import Context  # noqa: E402
from portail_tui.services.imports import columns as K  # noqa: E402

BUDGET_SECONDS = 60.0
NOW = datetime(2026, 11, 28, 10, 0, tzinfo=PARIS)

LAST = ["MARTIN", "BERNARD", "THOMAS", "PETIT", "ROBERT", "RICHARD", "DURAND", "DUBOIS", "MOREAU", "LAURENT",
        "SIMON", "MICHEL", "LEFÈVRE", "LEROY", "ROUX", "DAVID", "BERTRAND", "MOREL", "FOURNIER", "GIRARD",
        "BÉNÉZET", "N'DIAYE", "GARCIA", "MÜLLER", "FAURE", "ANDRÉ", "MERCIER", "BLANC", "GUÉRIN", "BOYER"]
FIRST_ADULT = ["Élodie", "Jean", "Marie", "Pierre", "Nathalie", "Stéphane", "Sophie", "Karim", "Awa", "Hélène",
               "François", "Céline", "Julien", "Inès", "Mathieu", "Aurélie"]
FIRST_CHILD = ["Léa", "Hugo", "Chloé", "Lucas", "Emma", "Nathan", "Jade", "Louis", "Inaya", "Noé", "Zoé", "Gabriel",
               "Lina", "Raphaël", "Manon", "Adam", "Maëlys", "Théo"]
SCHOOLS = [(f"EC{i}", f"École {name}", ("CP", "CE1", "CE2", "CM1", "CM2"))
           for i, name in enumerate(("Jules Ferry", "du Bourg", "Victor Hugo", "Jean Moulin", "des Tilleuls",
                                     "Marie Curie"))]


def generate_csv(path: Path, families: int, seed: int = 1) -> tuple[int, int]:
    """The families CSV (Windows-1252, semicolons: as French Excel writes it) and its
    balances beside it. Returns (families, child rows)."""
    rnd = random.Random(seed)
    headers = [c.header for c in K.COLUMNS]
    col = {h: i for i, h in enumerate(headers)}
    lines = [";".join(headers)]
    balances = [";".join(K.BALANCE_HEADERS)]
    child_rows = 0
    shared_pending: list[list[str]] = []
    for n in range(1, families + 1):
        ref = f"F{n:06d}"
        last = rnd.choice(LAST)
        base = [""] * len(headers)
        base[col[K.FAMILY_REFERENCE]] = ref
        base[col["Civilité responsable 1"]] = rnd.choice(("M.", "Mme"))
        base[col["Nom responsable 1"]] = last
        base[col["Prénom responsable 1"]] = rnd.choice(FIRST_ADULT)
        base[col["N° de voie"]] = str(rnd.randint(1, 120))
        base[col["Nom de voie"]] = "rue des Écoles"
        base[col["Code postal"]] = "87590"
        base[col["Ville"]] = "Saint-Just-le-Martel"
        base[col["Téléphone portable"]] = f"06 {n // 10000 % 100:02d} {n // 100 % 100:02d} {n % 100:02d} 00"
        if n % 2:
            base[col["Courriel"]] = f"famille{n}@exemple.fr"
        if n % 3:
            base[col["Type d'allocataire"]] = "CAF"
            base[col["N° d'allocataire"]] = str(1000000 + n)
            base[col["Quotient familial"]] = str(rnd.randint(200, 2000))
            base[col["Quotient valable du"]] = "01/01/2026"
            base[col["Quotient valable au"]] = "31/12/2026"
        if n % 4 == 0:
            base[col["Civilité responsable 2"]] = "M."
            base[col["Nom responsable 2"]] = last
            base[col["Prénom responsable 2"]] = rnd.choice(FIRST_ADULT)
        kids = 1 if rnd.random() < 0.45 else 2 if rnd.random() < 0.8 else 3
        for k in range(kids):
            row = list(base)
            code, _name, classes = rnd.choice(SCHOOLS)
            row[col["Nom de l'enfant"]] = last
            row[col["Prénom de l'enfant"]] = FIRST_CHILD[(n + k * 7) % len(FIRST_CHILD)]
            row[col["Date de naissance"]] = f"{1 + k * 3:02d}/{1 + n % 12:02d}/{2014 + k + n % 4}"
            row[col["Sexe"]] = rnd.choice("FM")
            row[col["École"]] = code
            row[col["Classe"]] = rnd.choice(classes)
            if k == 0 and n % 50 == 0:  # shared custody: the same child in the next family too
                row[col[K.CHILD_REFERENCE]] = f"E{n:06d}"
                shared_pending.append(row)
            if n % 5 == 0:
                row[col["Contact 1 nom"]] = "Jeanne GRAND"
                row[col["Contact 1 téléphone"]] = "06 55 44 33 22"
                row[col["Contact 1 peut récupérer l'enfant"]] = "oui"
            lines.append(";".join(row))
            child_rows += 1
        if shared_pending and n % 50 == 1:
            shared = shared_pending.pop()
            row = list(base)
            for h in ("Nom de l'enfant", "Prénom de l'enfant", "Date de naissance", "Sexe", "École", "Classe",
                      K.CHILD_REFERENCE):
                row[col[h]] = shared[col[h]]
            lines.append(";".join(row))
            child_rows += 1
        cents = rnd.randint(-20000, 20000)
        sign = "-" if cents < 0 else ""
        balances.append(f"{ref};{sign}{abs(cents) // 100},{abs(cents) % 100:02d};31/08/2026")
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    path.with_name(f"{path.stem}{K.BALANCE_SUFFIX}{path.suffix}").write_bytes(
        ("\r\n".join(balances) + "\r\n").encode("cp1252"))
    return families, child_rows


def _prepare(db: Database) -> Context:
    from portail_tui.models import Regie, School, SchoolClass
    from portail_tui.services.permissions import system_actor

    upgrade(db)

    def work(s):  # type: ignore[no-untyped-def]
        regie = Regie(code="SCOL", name="SERVICES SCOLAIRES")
        s.add(regie)
        s.flush()
        for order, (code, name, classes) in enumerate(SCHOOLS):
            school = School(regie_id=regie.id, code=code, name=name, sort_order=order)
            s.add(school)
            s.flush()
            s.add_all(SchoolClass(school_id=school.id, name=c, sort_order=i) for i, c in enumerate(classes))
        return regie.id

    regie_id = db.write(work)
    return Context(db=db, clock=FixedClock(NOW)).as_actor(system_actor(regie_id, "bench"))


@dataclass(frozen=True)
class Measure:
    engine: str
    families: int
    children: int
    seconds: float
    again_seconds: float
    summary: str
    cpu_seconds: float  # this process only (SQLite's work included, PostgreSQL's server not)


def measure(url: str, csv_path: Path) -> Measure:
    from portail_tui.services.imports import import_families

    db = Database(url)
    try:
        ctx = _prepare(db)
        t0, c0 = time.perf_counter(), time.process_time()
        report = import_families(ctx, csv_path)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        t0 = time.perf_counter()
        again = import_families(ctx, csv_path)
        again_seconds = time.perf_counter() - t0
    finally:
        db.dispose()
    assert again.added == again.updated == 0, again.summary
    return Measure(url.split(":", 1)[0].split("+")[0], report.added, report.children_added, seconds, again_seconds,
                   report.summary, cpu)


def run(families: int, *, postgres: bool = True) -> list[Measure]:
    out = []
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        path = Path(tmp) / "familles.csv"
        generate_csv(path, families)
        out.append(measure(f"sqlite:///{Path(tmp) / 'import.db'}", path))
        if postgres:
            from portail_tui.pgcluster import PgCluster

            if PgCluster.available():
                cluster = PgCluster().start()
                try:
                    out.append(measure(cluster.create_database("bench_import"), path))
                finally:
                    cluster.stop()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=20000)
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    for m in run(args.families, postgres=not args.sqlite_only):
        verdict = "OK" if m.seconds < BUDGET_SECONDS else "HORS BUDGET"
        print(f"{m.engine:<10} {m.families} familles, {m.children} enfants : {m.seconds:.1f} s"
              f" (processeur {m.cpu_seconds:.1f} s) "
              f"(budget {BUDGET_SECONDS:.0f} s : {verdict}) ; réimport sans changement : {m.again_seconds:.1f} s")


if __name__ == "__main__":
    main()


