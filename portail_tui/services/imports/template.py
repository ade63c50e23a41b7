"""`portail import modele`: the empty file a town fills from its previous software,
with one example row so the expected formats are plain to see (dates JJ/MM/AAAA,
amounts « 12,50 », the same child reference in two families for shared custody)."""

from __future__ import annotations

import csv
import io

from portail_tui.services.context import ServiceError
from portail_tui.services.imports import columns as K
from portail_tui.services.imports.reader import BOM

FORMATS = ("xlsx", "csv")


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
    return BOM + out.getvalue().encode("utf-8")


def template_rows() -> tuple[list[list[str]], list[list[str]]]:
    """(families sheet, balances sheet): headers and one example row each."""
    families = [[c.header for c in K.COLUMNS], [c.example for c in K.COLUMNS]]
    balances = [list(K.BALANCE_HEADERS), list(K.BALANCE_EXAMPLE)]
    return families, balances


def template_files(fmt: str) -> dict[str, bytes]:
    """File suffix ("" for the main file, "-soldes" for the CSV balances) -> content."""
    value = (fmt or "").strip().lower()
    if value not in FORMATS:
        raise ServiceError(f"Format inconnu : « {fmt} » (xlsx ou csv).")
    families, balances = template_rows()
    if value == "csv":
        return {"": _csv(families), K.BALANCE_SUFFIX: _csv(balances)}
    return {"": workbook_bytes(families, balances)}


def workbook_bytes(families: list[list[str]], balances: list[list[str]]) -> bytes:
    """An XLSX with the « Familles » and « Soldes » sheets; every cell is text so that
    phone numbers keep their leading zero and references stay as typed."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    for ws, rows, title in ((workbook.active, families, K.FAMILY_SHEET),
                            (workbook.create_sheet(), balances, K.BALANCE_SHEET)):
        assert ws is not None
        ws.title = title
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                cell = ws.cell(row=r, column=c, value=value)
                cell.number_format = "@"
                if r == 1:
                    cell.font = Font(bold=True)
        for c, header in enumerate(rows[0], start=1):
            ws.column_dimensions[ws.cell(row=1, column=c).column_letter].width = max(12, len(header) + 2)
        ws.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
