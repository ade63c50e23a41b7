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

`portail stress` is product code (a town checks its own server with it), so it lives
under the CLI rather than in devtools: `town` prepares the database, `worker` is one
counter's process (started as ``python -m portail_tui.cli.stress SPEC.json``), `verify`
checks the invariants. Also used by `tests/test_stress.py`, `tests/test_crash_safety.py`
and the benchmarks, which import those modules. This one only holds the command, and
imports them when it runs: every `portail` command imports this package at start-up.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from portail_tui.cli.base import CliError, app, console, friendly

if TYPE_CHECKING:
    from portail_tui.cli.stress.verify import StressReport

OP_LABELS = {
    "search": "Recherche de famille",
    "look": "Calendrier ou solde consulté",
    "book": "Réservation (places rares)",
    "cancel": "Annulation",
    "pay": "Encaissement",
    "reverse": "Annulation de règlement (régisseur)",
    "refund": "Remboursement (régisseur)",
}


@app.command("stress")
@friendly
def stress(
    processes: int = typer.Option(8, "--processes", "--postes", min=2, max=64,
                                  help="Nombre de postes (processus) simultanés."),
    seconds: float = typer.Option(30.0, "--seconds", "--secondes", min=1.0, max=3600.0,
                                  help="Durée de la charge, en secondes."),
    db: str | None = typer.Option(None, "--db", help="URL d'une base VIDE (sinon fichier SQLite jetable)."),
    postgres: bool = typer.Option(False, "--postgres", help="Serveur PostgreSQL jetable."),
    families: int = typer.Option(80, "--familles", min=10, max=20000, help="Familles de la commune de test."),
    seed: int = typer.Option(1, "--graine", help="Graine du tirage des opérations."),
    journals: Path | None = typer.Option(None, "--journaux", help="Dossier où garder les journaux des postes."),
) -> None:
    """Test de charge : plusieurs postes réservent, annulent et encaissent en même temps ;
    vérifie ensuite places, listes d'attente, quittances et soldes ; code 1 si problème."""
    from portail_tui.cli.stress.town import prepare_town
    from portail_tui.cli.stress.verify import run_stress
    from portail_tui.db import Database, database_has_data

    if db and postgres:
        raise CliError("Choisissez --db ou --postgres, pas les deux.")
    if journals is not None and journals.exists() and any(journals.iterdir()):
        raise CliError(f"Le dossier des journaux doit être vide : {journals}")
    with ExitStack() as stack:
        work = Path(tempfile.mkdtemp(prefix="portail-stress-"))
        stack.callback(shutil.rmtree, work, ignore_errors=True)
        if postgres:
            from portail_tui.pgcluster import PgCluster

            if not PgCluster.available():
                raise CliError("PostgreSQL introuvable sur cette machine (initdb/postgres).")
            cluster = stack.enter_context(PgCluster())
            url = cluster.create_database("portail_stress")
        elif db:
            url = db
        else:
            url = f"sqlite:///{work / 'stress.db'}"
        database = Database(url)
        try:
            if database_has_data(database):
                raise CliError("Cette base contient déjà des données : le test de charge y écrirait des"
                               " réservations et des règlements fictifs. Donnez une base vide.")
            console.print(f"Préparation de la commune de test ({families} familles)…", highlight=False)
            town = prepare_town(database, families=families, seed=seed)
        finally:
            database.dispose()
        folder = journals or (work / "journaux")
        load_before = os.getloadavg()
        console.print(f"{processes} postes pendant {seconds:g} s sur {database.engine.dialect.name}"
                      f" ({len(town.hot)} créneaux à {len(town.pairs)} enfants-familles pour quelques"
                      " places)…", highlight=False)
        with console.status("Postes au travail…") as status:
            def progress(elapsed: float) -> None:
                status.update(f"Postes au travail… {min(elapsed, seconds):.0f}/{seconds:g} s")

            report = run_stress(url, town, processes=processes, seconds=seconds, folder=folder, seed=seed,
                                  progress=progress)
        print_report(report, load_before, os.getloadavg())
    if not report.ok:
        raise typer.Exit(1)


def print_report(report: StressReport, load_before: tuple[float, ...], load_after: tuple[float, ...]) -> None:
    from portail_tui.cli.stress.verify import ERROR_LABELS, failure_lines

    table = Table(title=f"Opérations des agents ({report.operations} en {report.elapsed:.0f} s)")
    table.add_column("Opération")
    table.add_column("Nombre", justify="right")
    table.add_column("p50 ms", justify="right")
    table.add_column("p95 ms", justify="right")
    table.add_column("Résultats")
    for op, label in OP_LABELS.items():
        counts = report.outcomes.get(op)
        if not counts:
            continue
        lat = report.latency.get(op, {})
        outcomes = ", ".join(f"{k} {n}" for k, n in counts.most_common())
        table.add_row(label, str(sum(counts.values())), f"{lat.get('p50', 0):.0f}", f"{lat.get('p95', 0):.0f}",
                      outcomes)
    console.print(table)
    before, after = (f"{x[0]:.1f}".replace(".", ",") for x in (load_before, load_after))
    console.print(f"Charge de la machine (load average 1 min) : {before} au début, {after} à la fin,"
                  f" sur {os.cpu_count()} cœur(s).", highlight=False)
    errors = {k: n for k, n in report.errors.items() if n}
    if errors:
        console.print("Erreurs montrées aux agents : " + ", ".join(
            f"{ERROR_LABELS.get(k, k)} {n}" for k, n in sorted(errors.items())), highlight=False)
    else:
        console.print("Erreurs montrées aux agents : aucune (verrous et conflits tous absorbés).",
                      highlight=False)
    checked = ", ".join(f"{n} {what}" for what, n in report.checked.items())
    problems = failure_lines(report)
    if not problems:
        console.print(f"[bold green]Aucune violation[/] ({checked}) : places dans la capacité, listes"
                      " d'attente cohérentes, quittances sans trou ni doublon, soldes égaux aux"
                      " écritures, écritures validées toutes présentes.", highlight=False)
        return
    console.print(f"[bold red]{len(problems)} problème(s) :[/]", highlight=False)
    for line in problems:
        console.print(f"  ✗ {line}", highlight=False, soft_wrap=True)
