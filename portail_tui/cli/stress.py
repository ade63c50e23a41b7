"""`portail stress`: several agents' counters on one database at once, then every
invariant of places and money verified (see portail_tui/devtools/stress.py).

It writes fictitious bookings and payments, so it never runs on the régie's own
database: by default on a throwaway SQLite file, with `--postgres` on a throwaway
PostgreSQL server, or with `--db URL` on a database that must be empty.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import ExitStack
from pathlib import Path

import typer
from rich.table import Table

from portail_tui.cli.base import CliError, app, console, friendly

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
    from portail_tui.db import Database
    from portail_tui.devtools import stress as s
    from portail_tui.devtools.reset import database_has_data

    if db and postgres:
        raise CliError("Choisissez --db ou --postgres, pas les deux.")
    if journals is not None and journals.exists() and any(journals.iterdir()):
        raise CliError(f"Le dossier des journaux doit être vide : {journals}")
    with ExitStack() as stack:
        work = Path(tempfile.mkdtemp(prefix="portail-stress-"))
        stack.callback(shutil.rmtree, work, ignore_errors=True)
        if postgres:
            from portail_tui.devtools.pgcluster import PgCluster

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
            town = s.prepare_town(database, families=families, seed=seed)
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

            report = s.run_stress(url, town, processes=processes, seconds=seconds, folder=folder, seed=seed,
                                  progress=progress)
        print_report(report, load_before, os.getloadavg())
    if not report.ok:
        raise typer.Exit(1)


def print_report(report, load_before: tuple[float, ...], load_after: tuple[float, ...]) -> None:  # type: ignore[no-untyped-def]
    from portail_tui.devtools.stress import ERROR_LABELS, failure_lines

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
