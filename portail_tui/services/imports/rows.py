"""From the rows of an import file to families ready to write, or to errors that each
name their line, column and value in French (G8). Nothing here touches the database:
what the checks need from it (the régie's schools and classes, the references already
known) is given to them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from portail_tui.domain.frdates import DateError, parse_date_fr
from portail_tui.domain.money import AmountError, parse_amount
from portail_tui.domain.text import search_fold
from portail_tui.domain.validation import Cleaned, FieldValueError, clean_field
from portail_tui.services.dossier import MAX_FAMILIES_PER_CHILD
from portail_tui.services.imports import columns as K
from portail_tui.services.imports.reader import Sheet

NO_SCHOOL = ("aucune école n'est déclarée : appliquez d'abord le fichier de la régie"
             " (portail regie apply)")


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    value: str
    message: str

    @property
    def text(self) -> str:
        where = f"ligne {self.line}" + (f", colonne « {self.column} »" if self.column else "")
        what = f"« {self.value} » : " if self.value and not self.message.startswith("«") else ""
        return f"{where} : {what}{self.message}"


@dataclass
class ChildIn:
    key: str  # the child reference, or the family's reference and the child's identity
    line: int
    values: dict[str, Any]  # last_name, first_name, birth_date, sex, school, school_class, meal_type
    reference: str | None = None  # the town's own id of the child (shared custody)

    @property
    def identity(self) -> tuple[str, str, date | None]:
        return child_identity(self.values["last_name"], self.values["first_name"], self.values["birth_date"])


@dataclass
class FamilyIn:
    """One family as the file describes it, over all its rows."""

    reference: str
    lines: list[int]
    family: dict[str, Any]
    guardians: dict[int, dict[str, Any]]  # rank -> values (rank 2 only the columns it has)
    children: list[ChildIn] = field(default_factory=list)
    contacts: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (child key, values)


@dataclass
class BalanceIn:
    reference: str
    line: int
    amount_cents: int
    as_of: date


@dataclass
class Parsed:
    families: list[FamilyIn]
    rejected: dict[str, list[RowError]]  # family reference (or "" for a row without one) -> errors
    rows_of: dict[str, list[tuple[int, tuple[str, ...]]]]  # reference -> raw rows, for the rejects file
    headers: tuple[str, ...]
    file_errors: list[str] = field(default_factory=list)
    balances: list[BalanceIn] = field(default_factory=list)
    balance_errors: list[RowError] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        found = [e for errs in self.rejected.values() for e in errs] + self.balance_errors
        return self.file_errors + [e.text for e in sorted(found, key=lambda e: (e.line, e.column))]


@lru_cache(maxsize=65536)
def _fold(name: str) -> str:
    return search_fold(name)  # names repeat across a town: fold each once


def child_identity(last: str, first: str, birth: date | None) -> tuple[str, str, date | None]:
    """Who a child is when the file gives no child reference: names (accents and case
    aside) and birth date."""
    return (_fold(last), _fold(first), birth)


@dataclass(frozen=True)
class Schools:
    """The régie's schools by folded name and code, with the classes each declares."""

    names: dict[str, str]  # folded name or code -> School.name
    classes: dict[str, dict[str, str]]  # School.name -> folded class -> SchoolClass.name


def _message(column: K.ImportColumn, value: str, exc: FieldValueError) -> str:
    kind = column.field.kind
    if kind == "date":
        return f"« {value} » n'est pas une date ({exc.message.rstrip('.')})."
    if kind == "int":
        return f"« {value} » n'est pas un nombre ({exc.message.rstrip('.')})."
    if value:
        return f"« {value} » : {exc.message}"
    return exc.message


def check_headers(headers: tuple[str, ...]) -> tuple[list[K.ImportColumn | None], list[str]]:
    """Each header cell's column, or the file-level errors: unknown, doubled or missing
    columns (order is free)."""
    found: list[K.ImportColumn | None] = []
    errors: list[str] = []
    seen: set[str] = set()
    for cell in headers:
        if not cell.strip():
            found.append(None)
            continue
        column = K.BY_KEY.get(K.header_key(cell))
        if column is None:
            if K.header_key(cell) == K.header_key(K.REJECT_REASON):
                found.append(None)  # a rejects file sent back once corrected
                continue
            errors.append(f"colonne inconnue : « {cell} » (les colonnes attendues sont celles du modèle,"
                          " « portail import modele »).")
            found.append(None)
            continue
        if column.header in seen:
            errors.append(f"colonne « {column.header} » en double.")
        seen.add(column.header)
        found.append(column)
    missing = [h for h in K.REQUIRED_HEADERS if h not in seen]
    if missing:
        errors.append("colonne(s) obligatoire(s) absente(s) : " + ", ".join(f"« {h} »" for h in missing) + ".")
    return found, errors


Checked = dict[tuple[int, str], "Cleaned | FieldValueError"]


def _clean_row(line: int, cells: tuple[str, ...], columns: list[K.ImportColumn | None], today: date,
               schools: Schools, checked: Checked) -> tuple[dict[str, dict[str, Any]], dict[str, str], list[RowError]]:
    """Values by group, the raw text of each header, and this row's errors. `checked`
    keeps each (column, text) already checked: a family's data repeats on each of its
    children's rows, and towns, schools and dates repeat across the file."""
    groups: dict[str, dict[str, Any]] = {}
    raw: dict[str, str] = {}
    errors: list[RowError] = []
    for index, column in enumerate(columns):
        if column is None:
            continue
        value = cells[index].strip() if index < len(cells) else ""
        raw[column.header] = value
        if not value:
            groups.setdefault(column.group, {})[column.field.name] = None
            continue
        cleaned = checked.get((index, value))
        if cleaned is None:
            try:
                cleaned = clean_field(column.field, value, today)
            except FieldValueError as exc:
                cleaned = exc
            checked[(index, value)] = cleaned
        if isinstance(cleaned, FieldValueError):
            errors.append(RowError(line, column.header, value, _message(column, value, cleaned)))
            continue
        groups.setdefault(column.group, {})[column.field.name] = cleaned.value
    for group, names in (("ref", ("reference",)), ("guardian1", ("civility", "last_name", "first_name")),
                         ("child", ("last_name", "first_name", "birth_date"))):
        for name in names:
            column = K.BY_FIELD[(group, name)]
            if groups.get(group, {}).get(name) is None and not any(e.column == column.header for e in errors):
                errors.append(RowError(line, column.header, "", "valeur obligatoire manquante."))
    family = groups.get("family", {})
    start, end = family.get("quotient_valid_from"), family.get("quotient_valid_to")
    if start is not None and end is not None and start > end:
        errors.append(RowError(line, "Quotient valable au", raw.get("Quotient valable au", ""),
                               f"la fin de validité du quotient précède son début ({raw.get('Quotient valable du')})."))
    child = groups.setdefault("child", {})
    child["meal_type"] = K.MEAL_BY_LABEL.get(child.get("meal_type") or "", "standard")
    school = child.get("school")
    if school:
        if not schools.names:
            errors.append(RowError(line, "École", school, NO_SCHOOL + "."))
        elif (school_name := schools.names.get(_fold(school))) is None:
            errors.append(RowError(line, "École", school, "école inconnue (écoles déclarées : "
                                   + ", ".join(sorted(set(schools.names.values()))) + ")."))
        else:
            child["school"] = school_name
            classes = schools.classes.get(school_name) or {}
            wanted = child.get("school_class")
            if wanted and classes:
                if (cls := classes.get(_fold(wanted))) is None:
                    errors.append(RowError(line, "Classe", wanted, f"classe inconnue pour l'école {school_name}."))
                else:
                    child["school_class"] = cls
    for group in ("guardian2", "contact1", "contact2"):
        values = groups.get(group, {})
        if any(v is not None for v in values.values()):
            needed = ("last_name", "first_name") if group == "guardian2" else ("name", "phone")
            for name in needed:
                if values.get(name) is None:
                    column = K.BY_FIELD[(group, name)]
                    if not any(e.column == column.header for e in errors):
                        errors.append(RowError(line, column.header, "", "valeur obligatoire manquante."))
    return groups, raw, errors


FAMILY_GROUPS = ("family", "guardian1", "guardian2")


def _family_values(groups: Mapping[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {g: dict(groups.get(g, {})) for g in FAMILY_GROUPS}


def parse_families(sheet: Sheet, today: date, schools: Schools,
                   progress: Callable[[int, int], None] | None = None) -> Parsed:
    columns, file_errors = check_headers(sheet.headers)
    parsed = Parsed(families=[], rejected={}, rows_of={}, headers=sheet.headers, file_errors=file_errors)
    if file_errors:
        return parsed
    by_ref: dict[str, FamilyIn] = {}
    first_values: dict[str, tuple[int, dict[str, dict[str, Any]]]] = {}
    children_seen: dict[str, tuple[int, dict[str, Any]]] = {}  # child key -> first line and values
    checked: Checked = {}
    child_lines: dict[str, list[int]] = {}  # child key -> the lines (one per family) naming it
    for done, (line, cells) in enumerate(sheet.rows, start=1):
        if progress is not None and done % 2000 == 0:
            progress(done, len(sheet.rows))
        groups, raw, errors = _clean_row(line, cells, columns, today, schools, checked)
        ref = str(groups.get("ref", {}).get("reference") or "")
        parsed.rows_of.setdefault(ref, []).append((line, cells))
        family_values = _family_values(groups)
        if ref and ref in first_values and not errors:
            first_line, values = first_values[ref]
            for column in K.COLUMNS:  # the first column that differs, in the template's order
                group, name = column.group, column.field.name
                if group in FAMILY_GROUPS and values[group].get(name) != family_values[group].get(name):
                    errors.append(RowError(
                        line, column.header, raw.get(column.header, ""),
                        f"la référence famille « {ref} » figure déjà ligne {first_line} avec une autre valeur"
                        " (référence en double ?)."))
                    break
        child = groups["child"]
        child_ref = child.pop("reference", None)
        key = f"E|{child_ref}" if child_ref else "I|{}|{}|{}|{}".format(ref, *child_identity(
            child.get("last_name") or "", child.get("first_name") or "", child.get("birth_date")))
        if not errors:
            family = by_ref.get(ref)
            identity = child_identity(child.get("last_name") or "", child.get("first_name") or "",
                                      child.get("birth_date"))
            if family is not None and any(c.key == key or c.identity == identity for c in family.children):
                errors.append(RowError(line, K.CHILD_REFERENCE if child_ref else "Prénom de l'enfant",
                                       child_ref or raw.get("Prénom de l'enfant", ""),
                                       "cet enfant figure déjà dans cette famille (ligne en double)."))
            elif key in children_seen and children_seen[key][1] != child:
                errors.append(RowError(line, K.CHILD_REFERENCE, child_ref or "",
                                       f"même référence enfant que la ligne {children_seen[key][0]} avec d'autres"
                                       " données (nom, date de naissance, école…)."))
            elif len(child_lines.get(key, ())) >= MAX_FAMILIES_PER_CHILD:
                errors.append(RowError(line, K.CHILD_REFERENCE, child_ref or "",
                                       "enfant déjà rattaché à deux familles (lignes "
                                       + " et ".join(map(str, child_lines[key])) + ") : deux foyers au plus."))
        if errors:
            parsed.rejected.setdefault(ref, []).extend(errors)
            continue
        children_seen.setdefault(key, (line, child))
        child_lines.setdefault(key, []).append(line)
        if ref not in by_ref:
            first_values[ref] = (line, family_values)
            guardians = {1: family_values["guardian1"]}
            if family_values["guardian2"].get("last_name"):
                guardians[2] = family_values["guardian2"]
            for guardian in guardians.values():
                guardian["civility"] = guardian.get("civility") or ""  # NOT NULL, "" when not given
            by_ref[ref] = FamilyIn(ref, [], dict(family_values["family"]), guardians)
        family = by_ref[ref]
        family.lines.append(line)
        family.children.append(ChildIn(key, line, child, child_ref))
        for group in ("contact1", "contact2"):
            contact = groups.get(group, {})
            if contact.get("name"):
                contact["may_pick_up"] = bool(contact.get("may_pick_up"))
                family.contacts.append((key, contact))
    parsed.families = [f for ref, f in by_ref.items() if ref not in parsed.rejected]
    return parsed


def parse_balances(sheet: Sheet, known: set[str]) -> tuple[list[BalanceIn], list[RowError], list[str]]:
    """The opening balances: reference, signed amount in euros (« -12,50 » owed, « 8,00 »
    credit), date. `known`: the references of the file and of the database."""
    index: dict[str, int] = {}
    file_errors: list[str] = []
    for i, header_cell in enumerate(sheet.headers):
        key = K.header_key(header_cell)
        match = next((h for h in K.BALANCE_HEADERS if K.header_key(h) == key), None)
        if match is None and header_cell.strip() and key != K.header_key(K.REJECT_REASON):
            file_errors.append(f"{sheet.name} : colonne inconnue « {header_cell} » (attendues : "
                               + ", ".join(f"« {h} »" for h in K.BALANCE_HEADERS) + ").")
        elif match is not None:
            index[match] = i
    missing = [h for h in K.BALANCE_HEADERS if h not in index]
    if missing:
        file_errors.append(f"{sheet.name} : colonne(s) absente(s) : " + ", ".join(f"« {h} »" for h in missing) + ".")
    if file_errors:
        return [], [], file_errors
    balances: list[BalanceIn] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for line, cells in sheet.rows:
        def cell(header: str, cells: tuple[str, ...] = cells) -> str:
            i = index[header]
            return cells[i].strip() if i < len(cells) else ""

        ref, amount_text, day_text = cell(K.FAMILY_REFERENCE), cell(K.BALANCE_AMOUNT), cell(K.BALANCE_DATE)
        row_errors: list[RowError] = []
        if not ref:
            row_errors.append(RowError(line, K.FAMILY_REFERENCE, "", "valeur obligatoire manquante."))
        elif ref in seen:
            row_errors.append(RowError(line, K.FAMILY_REFERENCE, ref, f"solde déjà donné ligne {seen[ref]}."))
        elif ref not in known:
            row_errors.append(RowError(line, K.FAMILY_REFERENCE, ref, f"famille « {ref} » inconnue (ni dans le"
                                       " fichier des familles ni dans la base)."))
        try:
            amount = parse_amount(amount_text, allow_zero=True, allow_negative=True)
        except AmountError as exc:
            row_errors.append(RowError(line, K.BALANCE_AMOUNT, amount_text, f"« {amount_text} » : {exc.message}"))
            amount = 0
        try:
            as_of = parse_date_fr(day_text)
        except DateError:
            row_errors.append(RowError(line, K.BALANCE_DATE, day_text, f"« {day_text} » n'est pas une date (JJ/MM/AAAA)."))
            as_of = date.min
        if row_errors:
            errors.extend(row_errors)
            continue
        seen[ref] = line
        balances.append(BalanceIn(ref, line, amount, as_of))
    return balances, errors, []
