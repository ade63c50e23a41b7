"""`portail export reglements|consommations|releves`: the statements of the Historiques
tab from a shell or a night job — the very files the screen writes.

Every check (month, family, child, filter, format, destination) happens before
anything is written; files are written under a temporary name and renamed, so an
error never leaves a partial file behind.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from portail_tui.cli.base import (
    STDOUT,
    CliError,
    console,
    export_app,
    friendly,
    output_format,
    output_path,
    precheck_output,
    state,
    system_context,
    write_output,
)
from portail_tui.config import Settings

SORTIE_HELP = "Fichier à écrire ; « - » écrit le CSV sur la sortie standard. Par défaut : dossier d'exports."
FORMAT_HELP = "csv ou pdf (par défaut : d'après l'extension de --sortie, sinon pdf)."


def _emit(sortie: str | None, filename: str, data: bytes, lines: int) -> None:
    path = write_output(sortie, filename, data)
    if path is not None:
        plural = "s" if lines > 1 else ""
        console.print(f"Fichier écrit : {path} ({lines} ligne{plural}).", highlight=False, soft_wrap=True)


@export_app.command("reglements")
@friendly
def export_reglements(
    famille: str = typer.Option(..., "--famille", help="Numéro de la famille (ex. 123 ou 000123)."),
    mois: str = typer.Option(..., "--mois", help="Mois AAAA-MM (mois en cours ou les deux précédents)."),
    fmt: str | None = typer.Option(None, "--format", help=FORMAT_HELP),
    sortie: str | None = typer.Option(None, "--sortie", help=SORTIE_HELP),
) -> None:
    """Historique des règlements d'une famille pour un mois (quittances, modes, annulations, total)."""
    from portail_tui.services import history as h
    from portail_tui.services.families import family_by_number

    fmt_value = output_format(fmt, sortie)
    precheck_output(sortie)
    with system_context() as ctx:
        month = h.parse_history_month(mois, ctx.clock.today())
        family_id = family_by_number(ctx, famille)
        hist = h.payment_history(ctx, family_id, month)
        out = h.payments_file(ctx, hist, fmt_value)
    _emit(sortie, out.filename, out.data, out.lines)


@export_app.command("consommations")
@friendly
def export_consommations(
    mois: str = typer.Option(..., "--mois", help="Mois AAAA-MM (mois en cours ou les deux précédents)."),
    famille: str | None = typer.Option(None, "--famille",
                                       help="Numéro de la famille ; sans elle : toute la commune (CSV)."),
    enfant: str | None = typer.Option(None, "--enfant", help="Prénom d'un enfant de la famille."),
    activite: str | None = typer.Option(None, "--activite",
                                        help="Texte d'activité : « APS » garde APS MATIN, SOIR et FORFAIT."),
    etat: str | None = typer.Option(None, "--etat", help="État du pointage : reserve, present, absent,"
                                    " absent_justifie ou present_non_inscrit."),
    fmt: str | None = typer.Option(None, "--format", help=FORMAT_HELP),
    sortie: str | None = typer.Option(None, "--sortie", help=SORTIE_HELP),
) -> None:
    """Relevé des consommations d'un mois (R6) : par famille, filtrable par enfant, activité et
    état du pointage ;
    sans --famille, toutes les consommations de la commune en CSV."""
    from portail_tui.services import history as h
    from portail_tui.services.families import family_by_number

    if famille is None:
        if enfant:
            raise CliError("--enfant demande --famille.")
        if etat:
            raise CliError("--etat demande --famille.")
        fmt_value = output_format(fmt, sortie, default="csv")
        if fmt_value != "csv":
            raise CliError("Les consommations de toute la commune s'exportent en CSV : --format csv.")
        precheck_output(sortie)
        _town_consumptions(mois, activite or "", sortie)
        return
    fmt_value = output_format(fmt, sortie)
    precheck_output(sortie)
    with system_context() as ctx:
        month = h.parse_history_month(mois, ctx.clock.today())
        family_id = family_by_number(ctx, famille)
        child_id = h.find_child(h.family_children(ctx, family_id), enfant) if enfant else None
        hist = h.consumption_history(ctx, family_id, month, child_id=child_id, activity_text=activite or "",
                                     attendance=(etat or "").strip())
        if hist.filter.active and not hist.lines:
            raise CliError(f"Aucune consommation ne correspond au filtre ({hist.filter.describe()}) "
                           f"en {month.label} pour la famille n° {hist.family.number_text}.")
        out = h.consumptions_file(ctx, hist, fmt_value)
    _emit(sortie, out.filename, out.data, out.lines)


def _town_consumptions(mois: str, activite: str, sortie: str | None) -> None:
    from portail_tui.exports.csv import iter_csv
    from portail_tui.exports.files import export_filename, write_atomic
    from portail_tui.services import history as h

    with system_context() as ctx:
        month = h.parse_history_month(mois, ctx.clock.today())
        suffix = f"{month.key}-{activite}" if activite.strip() else month.key
        filename = export_filename("consommations-commune", None, suffix, "csv")
        count = 0

        def rows() -> Iterator[list[object]]:
            nonlocal count
            for row in h.town_consumption_rows(ctx, month, activity_text=activite):
                count += 1
                yield row

        if sortie == STDOUT:
            for chunk in iter_csv(h.TOWN_CONSUMPTION_COLUMNS, rows(), bom=False):
                sys.stdout.buffer.write(chunk)
            sys.stdout.buffer.flush()
        else:
            chunks = iter_csv(h.TOWN_CONSUMPTION_COLUMNS, rows())
            path = write_atomic(output_path(sortie, filename), chunks)
            console.print(f"Fichier écrit : {path} ({count} lignes).", highlight=False, soft_wrap=True)
    if activite.strip() and count == 0:
        # Nothing partial was left: a file with only a header is still a correct answer for
        # scripts, but a person who typed a filter wants to know it matched nothing.
        raise CliError(f"Aucune consommation ne correspond à l'activité « {activite} » en {month.label}.")


# --- relevés of the whole town ----------------------------------------------------------

CHUNK = 250


@dataclass(frozen=True)
class _Job:
    url: str
    settings: Settings
    now: datetime
    year: int
    month: int
    fmt: str
    folder: str
    family_ids: tuple[int, ...]


_worker_db: Any = None


def _worker_init(url: str) -> None:
    global _worker_db
    from portail_tui.db import Database

    _worker_db = Database(url)


def _releves_chunk(job: _Job, db: Any = None) -> tuple[int, int, int, str | None]:
    """Runs in a worker process (its own Database): write the statements of one chunk.
    Returns (families done, written, skipped, error message or None)."""
    from portail_tui.clock import FixedClock
    from portail_tui.exports.files import ExportError, write_atomic
    from portail_tui.services import history as h
    from portail_tui.services.context import Context, ServiceError

    db = db if db is not None else _worker_db
    ctx = Context(db=db, clock=FixedClock(job.now), settings=job.settings)
    month = h.Month(job.year, job.month)
    written = skipped = 0
    try:
        for statement in h.monthly_statements(ctx, job.family_ids, month):
            if statement.empty:
                skipped += 1
                continue
            out = h.monthly_statement_file(statement, job.fmt, job.now)
            write_atomic(Path(job.folder) / out.filename, out.data, durable=False)
            written += 1
    except (ExportError, ServiceError) as exc:
        return len(job.family_ids), written, skipped, exc.message
    except Exception as exc:  # noqa: BLE001 - crosses a process boundary: say it in one line
        from portail_tui.db import DatabaseError

        reason = str(exc) if isinstance(exc, DatabaseError) else f"{type(exc).__name__} : {exc}"
        return len(job.family_ids), written, skipped, f"Relevés interrompus : {reason.splitlines()[0]}"
    return len(job.family_ids), written, skipped, None


@export_app.command("releves")
@friendly
def export_releves(
    mois: str = typer.Option(..., "--mois", help="Mois AAAA-MM (mois en cours ou les deux précédents)."),
    dossier: Path = typer.Option(..., "--dossier", help="Dossier où écrire un relevé par famille."),
    fmt: str = typer.Option("pdf", "--format", help="pdf ou csv."),
    processus: int = typer.Option(0, "--processus", help="Nombre de processus (0 : un par cœur)."),
) -> None:
    """Relevé mensuel (consommations et règlements) de chaque famille, un fichier par famille ;
    les familles sans activité ce mois-là sont ignorées et comptées."""
    from portail_tui.exports.files import ExportError, os_error_reason
    from portail_tui.services import history as h
    from portail_tui.services.export_formats import check_format

    fmt_value = check_format(fmt)
    folder = dossier.expanduser()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"Impossible de créer le dossier {folder} : {os_error_reason(exc)}.") from exc
    if not os.access(folder, os.W_OK):
        raise ExportError(f"Impossible d'écrire dans le dossier {folder} : accès refusé.")
    started = time.perf_counter()
    with system_context() as ctx:
        month = h.parse_history_month(mois, ctx.clock.today())
        now = ctx.clock.now()
        ids = h.family_ids_by_number(ctx)
    if fmt_value == "pdf":
        from portail_tui.exports.pdf import latin_font_files

        latin_font_files()  # build the font cache once, before the workers race for it
    workers = processus if processus > 0 else min(os.cpu_count() or 1, 2)
    jobs = [
        _Job(state.settings.database_url, state.settings, now, month.year, month.month, fmt_value,
             str(folder), tuple(ids[i:i + CHUNK]))
        for i in range(0, len(ids), CHUNK)
    ]
    written = skipped = 0
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=console, transient=False)
    with progress:
        task = progress.add_task(f"Relevés de {month.label}", total=len(ids))
        for done, ok, empty, error in _run(jobs, workers):
            if error:
                raise CliError(error)
            written += ok
            skipped += empty
            progress.advance(task, done)
    os.sync()  # the workers skipped the per-file fsync: one flush for the whole batch
    seconds = time.perf_counter() - started
    console.print(
        f"{written} relevé{'s' if written > 1 else ''} écrit{'s' if written > 1 else ''} dans {folder} ; "
        f"{skipped} famille{'s' if skipped > 1 else ''} sans activité en {month.label} ignorée"
        f"{'s' if skipped > 1 else ''} ({seconds:.1f} s).",
        highlight=False, soft_wrap=True,
    )


def _run(jobs: list[_Job], workers: int) -> Iterator[tuple[int, int, int, str | None]]:
    if workers <= 1 or len(jobs) <= 1:
        from portail_tui.db import Database

        db = Database(jobs[0].url) if jobs else None
        try:
            for job in jobs:
                yield _releves_chunk(job, db)
        finally:
            if db is not None:
                db.dispose()
        return
    # spawn: each worker starts clean and opens its own Database (no inherited connection
    # or thread, e.g. the progress bar's).
    mp = multiprocessing.get_context("spawn")
    url = jobs[0].url
    with mp.Pool(processes=workers, initializer=_worker_init, initargs=(url,)) as pool:
        yield from pool.imap_unordered(_releves_chunk, jobs)


# --- lists of the service day (P4, P5) ----------------------------------------------------


@export_app.command("repas")
@friendly
def export_repas(
    date_text: str = typer.Option(..., "--date", help="Jour JJ/MM/AAAA (avec --semaine : un jour de la semaine)."),
    semaine: bool = typer.Option(False, "--semaine", help="Toute la semaine, du lundi au vendredi."),
    fmt: str | None = typer.Option(None, "--format", help=FORMAT_HELP),
    sortie: str | None = typer.Option(None, "--sortie", help=SORTIE_HELP),
) -> None:
    """Repas à préparer par école et par régime (standard, sans porc, sans viande, PAI panier repas) ;
    seuls les enfants avec PAI sont nommés."""
    from portail_tui.cli.base import parse_day
    from portail_tui.services.service_day.meals import meal_counts, meal_days, meals_file

    day = parse_day(date_text, "--date")
    assert day is not None
    fmt_value = output_format(fmt, sortie)
    precheck_output(sortie)
    with system_context() as ctx:
        out = meals_file(ctx, meal_counts(ctx, meal_days(day, week=semaine)), fmt_value)
    _emit(sortie, out.filename, out.data, out.lines)


@export_app.command("emargement")
@friendly
def export_emargement(
    date_text: str = typer.Option(..., "--date", help="Jour JJ/MM/AAAA."),
    activite: str = typer.Option(..., "--activite", help="Code de l'activité (ex. APSS)."),
    ecole: str | None = typer.Option(None, "--ecole", help="Code ou nom d'une école ; sans elle : toutes."),
    fmt: str | None = typer.Option(None, "--format", help=FORMAT_HELP),
    sortie: str | None = typer.Option(None, "--sortie", help=SORTIE_HELP),
) -> None:
    """Feuille d'émargement d'une activité pour un jour : enfants attendus par école, classe,
    case à cocher et, pour les activités du soir, la signature de qui vient chercher l'enfant."""
    from portail_tui.cli.base import parse_day
    from portail_tui.services.service_day.sheets import attendance_sheets, sheets_file

    day = parse_day(date_text, "--date")
    assert day is not None
    fmt_value = output_format(fmt, sortie)
    precheck_output(sortie)
    with system_context() as ctx:
        sheets = attendance_sheets(ctx, day, activite, ecole)
        out = sheets_file(ctx, sheets, fmt_value, school_code=(ecole or "").strip())
    _emit(sortie, out.filename, out.data, out.lines)


@export_app.command("caf")
@friendly
def export_caf(
    mois: str = typer.Option(..., "--mois", help="Mois AAAA-MM."),
    fmt: str | None = typer.Option(None, "--format", help="csv ou pdf (par défaut : d'après --sortie, sinon csv)."),
    sortie: str | None = typer.Option(None, "--sortie", help=SORTIE_HELP),
) -> None:
    """Heures réalisées et facturées du mois pour la CAF, par activité déclarée et tranche d'âge
    (moins de 6 ans, 6 ans et plus au 1er du mois)."""
    from portail_tui.services.service_day.caf import caf_file, caf_statement, parse_caf_month

    fmt_value = output_format(fmt, sortie, default="csv")
    precheck_output(sortie)
    year, month = parse_caf_month(mois)
    with system_context() as ctx:
        out = caf_file(ctx, caf_statement(ctx, year, month), fmt_value)
    _emit(sortie, out.filename, out.data, out.lines)
