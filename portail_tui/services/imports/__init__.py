"""Bringing in the families a town already has (G8): the template, the import of a
CSV or XLSX file with its opening balances, the rejects file of a partial import.

`import_families` is the one entry point (the CLI `portail import familles` and the
go-live test call it); the modules behind it: columns (the file's columns, reusing the
family file's field rules), reader (CSV and XLSX to rows of text), rows (checks, each
error naming line, column and value), apply (compare with the database and write in
bulk), template (`portail import modele`).
"""

from __future__ import annotations

import csv
import io
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlmodel import Session

from portail_tui.services import audit, permissions
from portail_tui.services.context import Context, ServiceError
from portail_tui.services.imports import columns as K
from portail_tui.services.imports.apply import (
    Plan,
    Written,
    load_known,
    load_references,
    load_schools,
    plan,
    write,
)
from portail_tui.services.imports.reader import BOM, Sheet, read_file
from portail_tui.services.imports.rows import BalanceIn, Parsed, parse_balances, parse_families
from portail_tui.services.opening_balance import existing_openings, record_opening_balances

Progress = Callable[[str, int, int], None]
"""(what is being done, done, total): the CLI draws it as a progress bar."""


class ImportRefused(ServiceError):
    """The file is refused as a whole: `errors` lists every problem found, in French."""

    def __init__(self, errors: list[str]) -> None:
        count = len(errors)
        super().__init__(f"Fichier refusé : {count} erreur{'s' if count > 1 else ''}, rien n'a été importé.")
        self.errors = errors


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n > 1 else ''}"


@dataclass
class ImportReport:
    dry_run: bool
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0  # families
    children_added: int = 0
    forms_created: int = 0
    contacts_added: int = 0
    balances_added: int = 0
    balances_skipped: int = 0  # families that already had their opening balance
    errors: list[str] = field(default_factory=list)
    rejects_path: Path | None = None
    encoding: str = ""

    @property
    def summary(self) -> str:
        """« 0 ajoutée, 0 modifiée, 3 inchangées »."""
        return (f"Familles : {_plural(self.added, 'ajoutée')}, {_plural(self.updated, 'modifiée')}, "
                f"{_plural(self.unchanged, 'inchangée')}"
                + (f", {_plural(self.rejected, 'rejetée')}" if self.rejected else "") + ".")


def _rejects_csv(parsed: Parsed) -> bytes:
    """The rejected families' rows as they came, with « Motif du rejet »: the town
    corrects this file and imports it again."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    headers = [h for h in parsed.headers if K.header_key(h) != K.header_key(K.REJECT_REASON)]
    writer.writerow([*headers, K.REJECT_REASON])
    for ref, errors in parsed.rejected.items():
        by_line: dict[int, list[str]] = {}
        for e in errors:
            by_line.setdefault(e.line, []).append(e.text)
        first = min(by_line)
        for line, cells in parsed.rows_of.get(ref, []):
            reason = " ; ".join(by_line.get(line, [])) or (
                f"famille « {ref} » rejetée avec ses autres lignes (voir ligne {first})")
            writer.writerow([*list(cells)[:len(headers)] + [""] * (len(headers) - len(cells)), reason])
    return BOM + out.getvalue().encode("utf-8")


def rejects_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}-rejets.csv")


def _balances(parsed: Parsed, sheet: Sheet | None, known_refs: set[str]) -> None:
    if sheet is None:
        return
    file_refs = {f.reference for f in parsed.families} | set(parsed.rejected)
    balances, errors, file_errors = parse_balances(sheet, file_refs | known_refs)
    parsed.file_errors += file_errors
    parsed.balance_errors = errors
    parsed.balances = [b for b in balances if b.reference not in parsed.rejected]


def import_families(ctx: Context, path: Path, *, dry_run: bool = False, partial: bool = False,
                    progress: Progress | None = None) -> ImportReport:
    """Import (or with `dry_run`, only check and count) the families of `path` into the
    actor's régie. Without `partial`, one error refuses the whole file (ImportRefused,
    nothing written); with it, the valid families go in and the rejected rows are
    written beside the file (FICHIER-rejets.csv). Re-importing the same file changes
    nothing; a family whose rows changed is updated and audited."""
    actor = permissions.require(ctx, "import.families")
    regie_id = actor.regie_id
    now = ctx.clock.now()
    step = progress or (lambda _what, _done, _total: None)
    step("Lecture du fichier", 0, 1)
    families_sheet, balances_sheet = read_file(path)
    if balances_sheet is not None:
        permissions.require(ctx, "opening_balance.import")

    def _read(session: Session) -> tuple[Parsed, set[str]]:
        schools = load_schools(session, regie_id)
        rows = len(families_sheet.rows)
        step("Contrôle des lignes", 0, rows)
        parsed = parse_families(families_sheet, now.date(), schools,
                                lambda done, total: step("Contrôle des lignes", done, total))
        step("Contrôle des lignes", rows, rows)
        known_refs = load_references(session, regie_id) if balances_sheet is not None else set()
        return parsed, known_refs

    parsed, known_refs = ctx.db.read(_read)
    _balances(parsed, balances_sheet, known_refs)
    if parsed.file_errors:
        raise ImportRefused(parsed.file_errors)
    if parsed.errors and not partial:
        raise ImportRefused(parsed.errors)
    if partial and parsed.rejected and not dry_run and not os.access(path.parent, os.W_OK):
        # Checked before writing: the valid families must not go in without their rejects.
        raise ServiceError(f"Impossible d'écrire les lignes rejetées dans {path.parent} : accès refusé.")
    report = ImportReport(dry_run=dry_run, errors=parsed.errors, rejected=len(parsed.rejected),
                          encoding=families_sheet.encoding)
    keys = Counter(c.key for f in parsed.families for c in f.children)
    shared = {k for k, n in keys.items() if n > 1}
    what = "Écriture dans la base" if not dry_run else "Comparaison avec la base"
    step(what, 0, 1)

    def _work(session: Session) -> None:
        known = load_known(session, regie_id)
        the_plan = plan(parsed.families, known)
        report.unchanged = the_plan.unchanged
        if dry_run:
            _count_plan(report, the_plan)
            if parsed.balances:
                have = existing_openings(session, [known.families[b.reference].id for b in parsed.balances
                                                   if b.reference in known.families])
                report.balances_skipped = len(have)
                report.balances_added = len(parsed.balances) - len(have)
            return
        written = write(session, regie_id, the_plan, known, now=now, actor=actor.tag, shared=shared)
        _count_written(report, written)
        _write_balances(session, report, regie_id, parsed.balances, written.family_ids, now, actor.tag)
        audit.record(session, at=now, actor=actor.tag, action="import.families", entity="family",
                     file=path.name, added=report.added, updated=report.updated, unchanged=report.unchanged,
                     rejected=report.rejected, balances=report.balances_added)

    if dry_run:
        ctx.db.read(_work)
    else:
        ctx.db.write(_work)
    if partial and parsed.rejected and not dry_run:
        from portail_tui.exports.files import write_atomic

        report.rejects_path = write_atomic(rejects_path(path), _rejects_csv(parsed))
    step(what, 1, 1)
    return report


def _count_plan(report: ImportReport, the_plan: Plan) -> None:
    report.added = len(the_plan.new)
    report.updated = len(the_plan.changed)
    report.children_added = the_plan.children_added


def _count_written(report: ImportReport, written: Written) -> None:
    report.added, report.updated = written.added, written.updated
    report.children_added, report.forms_created = written.children, written.forms
    report.contacts_added = written.contacts


def _write_balances(session: Session, report: ImportReport, regie_id: int, balances: list[BalanceIn],
                    family_ids: dict[str, int], now: datetime, actor: str) -> None:
    if not balances:
        return
    items = [(family_ids[b.reference], b.amount_cents, b.as_of) for b in balances if b.reference in family_ids]
    missing = [b for b in balances if b.reference not in family_ids]
    if missing:  # cannot happen: parse_balances checked every reference
        raise ServiceError(f"Référence famille inconnue : {missing[0].reference}.")
    result = record_opening_balances(session, regie_id, items, now=now, actor=actor)
    report.balances_added = result.added
    report.balances_skipped = len(result.skipped)


__all__ = ["ImportRefused", "ImportReport", "Progress", "import_families", "rejects_path"]
