"""Reading the files a town hands over: CSV as French Excel writes it (semicolons,
Windows-1252) or as other tools do (commas, UTF-8 with or without BOM), and XLSX.
Whatever the source, the result is the same: header cells and rows of text, each row
with the line number a person sees in their spreadsheet."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from portail_tui.domain.frdates import format_date_short
from portail_tui.services.context import ServiceError
from portail_tui.services.imports import columns as K

BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Sheet:
    """`rows`: (line number, cells as text) for every non-empty line after the header."""

    name: str
    headers: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]
    encoding: str = ""
    delimiter: str = ""


def decode(data: bytes) -> tuple[str, str]:
    """The text and the encoding found: UTF-8 with BOM, UTF-8, else Windows-1252 (what
    French Excel writes). UTF-8 is strict: a cp1252 « é » is never valid UTF-8, so the
    order decides without guessing; bytes cp1252 leaves undefined are refused."""
    if data.startswith(BOM):
        try:
            return data[len(BOM):].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            pass
    else:
        try:
            return data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        raise ServiceError("Encodage du fichier non reconnu : enregistrez-le en CSV UTF-8 ou en CSV (séparateur :"
                           " point-virgule) depuis le tableur.") from None


def _delimiter(first_line: str) -> str:
    return ";" if first_line.count(";") >= first_line.count(",") else ","


def read_csv_bytes(data: bytes, name: str = "") -> Sheet:
    text, encoding = decode(data)
    first = text.split("\n", 1)[0]
    delimiter = _delimiter(first)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    headers: tuple[str, ...] | None = None
    rows: list[tuple[int, tuple[str, ...]]] = []
    start = 1
    try:
        for cells in reader:
            line = start
            start = reader.line_num + 1
            if headers is None:
                if any(c.strip() for c in cells):
                    headers = tuple(c.strip() for c in cells)
                continue
            if any(c.strip() for c in cells):
                rows.append((line, tuple(c.strip() for c in cells)))
    except csv.Error as exc:
        raise ServiceError(f"Fichier CSV illisible ligne {reader.line_num} : {exc}.") from None
    if headers is None:
        raise ServiceError(f"Le fichier {name} est vide : la première ligne doit porter les noms des colonnes.")
    return Sheet(name, headers, tuple(rows), encoding, delimiter)


def cell_text(value: object) -> str:
    """An XLSX cell as the text a person reads in it: dates JJ/MM/AAAA, whole numbers
    without « .0 », decimals with a comma."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_date_short(value.date())
    if isinstance(value, date):
        return format_date_short(value)
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return f"{value:.2f}".replace(".", ",")
    return str(value).strip()


def read_xlsx(path: Path) -> tuple[Sheet, Sheet | None]:
    """The families sheet (« Familles », else the first) and the « Soldes » sheet if any."""
    import zipfile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ServiceError(f"Classeur XLSX illisible : {path.name} ({exc}).") from None
    try:
        names = workbook.sheetnames
        families_name = K.FAMILY_SHEET if K.FAMILY_SHEET in names else names[0]
        families = _sheet(workbook[families_name], families_name)
        balances = _sheet(workbook[K.BALANCE_SHEET], K.BALANCE_SHEET) if K.BALANCE_SHEET in names else None
    finally:
        workbook.close()
    if families is None:
        raise ServiceError(f"La feuille « {families_name} » est vide : la première ligne doit porter les noms"
                           " des colonnes.")
    return families, balances


# A phone number or a postal code typed in a number cell lost its leading zero:
# 612345678, 1000 (a town of the Ain). Only number cells are mended; text is checked as typed.
_LEADING_ZERO = {"phone": 9, "postal_code": 4}


def _mend(value: object, kind: str | None) -> str:
    text = cell_text(value)
    if (kind in _LEADING_ZERO and isinstance(value, int | float) and not isinstance(value, bool)
            and text.isdigit() and len(text) == _LEADING_ZERO[kind]):
        return "0" + text
    return text


def _sheet(ws: object, name: str) -> Sheet | None:
    headers: tuple[str, ...] | None = None
    kinds: list[str | None] = []
    rows: list[tuple[int, tuple[str, ...]]] = []
    for line, values in enumerate(ws.iter_rows(values_only=True), start=1):  # type: ignore[attr-defined]
        if headers is None:
            cells = tuple(cell_text(v) for v in values)
            if any(cells):
                headers = cells
                kinds = [c.field.kind if (c := K.BY_KEY.get(K.header_key(h))) else None for h in headers]
            continue
        cells = tuple(_mend(v, kinds[i] if i < len(kinds) else None) for i, v in enumerate(values))
        if any(cells):
            rows.append((line, cells))
    if headers is None:
        return None
    while headers and not headers[-1]:
        headers = headers[:-1]
    return Sheet(name, headers, tuple(rows))


def balances_path(path: Path) -> Path:
    """The CSV of opening balances beside a families CSV: FICHIER-soldes.csv."""
    return path.with_name(f"{path.stem}{K.BALANCE_SUFFIX}{path.suffix}")


def read_file(path: Path) -> tuple[Sheet, Sheet | None]:
    """The families and, when given, the opening balances of an import file."""
    if not path.is_file():
        raise ServiceError(f"Fichier introuvable : {path}.")
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return read_xlsx(path)
    if suffix not in (".csv", ".txt"):
        raise ServiceError(f"Format non pris en charge : « {path.suffix} » (CSV ou XLSX).")
    families = read_csv_bytes(path.read_bytes(), path.name)
    other = balances_path(path)
    balances = read_csv_bytes(other.read_bytes(), other.name) if other.is_file() else None
    return families, balances
