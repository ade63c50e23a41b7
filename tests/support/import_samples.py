"""Sample import files (G8) for the import tests and the go-live test: a small town of
four families and six rows, with accents (« Élodie Bénézet »), a second guardian, an
emergency contact, and one child in shared custody (reference E900 in F001 and F003),
plus their opening balances. Written as CSV (any encoding and separator) or XLSX.

Imported by the test modules; it holds no test itself."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path

from portail_tui.clock import PARIS
from portail_tui.db import Database
from portail_tui.models import School, SchoolClass
from portail_tui.services.imports import columns as K
from portail_tui.services.imports.template import workbook_bytes

H = [c.header for c in K.COLUMNS]

# The schools of the example set-up file (portail regie exemple), so that the go-live test
# can import the samples after « portail regie apply » of that file.
SCHOOLS = (("COQUELICOTS", "École maternelle Les Coquelicots", ("PS", "MS", "GS")),
           ("JMOULIN", "École élémentaire Jean-Moulin", ("CP", "CE1", "CE2", "CM1", "CM2")),
           ("BOURG", "École primaire du Bourg", ("PS-MS", "GS-CP", "CE1-CE2", "CM1-CM2")))
JMOULIN = "École élémentaire Jean-Moulin"


def add_schools(db: Database, regie_id: int) -> None:
    """The schools the sample rows name, as `portail regie apply` of the example file
    declares them (tests that do not go through the set-up file)."""
    def work(s):  # type: ignore[no-untyped-def]
        for order, (code, name, classes) in enumerate(SCHOOLS):
            school = School(regie_id=regie_id, code=code, name=name, sort_order=order)
            s.add(school)
            s.flush()
            for i, cls in enumerate(classes):
                s.add(SchoolClass(school_id=school.id, name=cls, sort_order=i))

    db.write(work)


def row(**values: str) -> list[str]:
    """One row: keys are headers with spaces, apostrophes and accents as Python names
    allow — simpler: pass a dict through `row_of`."""
    return row_of(values)


def row_of(values: dict[str, str]) -> list[str]:
    unknown = set(values) - set(H)
    assert not unknown, unknown
    return [values.get(h, "") for h in H]


def family(ref: str, last: str, first: str, *, email: str = "", civ: str = "Mme", qf: str = "",
           phone: str = "06 12 34 56 78", **extra: str) -> dict[str, str]:
    values = {"Référence famille": ref, "Civilité responsable 1": civ, "Nom responsable 1": last,
              "Prénom responsable 1": first, "Code postal": "87590", "Ville": "Saint-Just-le-Martel",
              "Téléphone portable": phone, "Courriel": email, "Quotient familial": qf}
    if qf:
        values.update({"Type d'allocataire": "CAF", "N° d'allocataire": f"9{ref[1:]}",
                       "Quotient valable du": "01/01/2026", "Quotient valable au": "31/12/2026"})
    values.update(extra)
    return values


def child(last: str, first: str, born: str, *, school: str = JMOULIN, cls: str = "CE1",
          ref: str = "", sex: str = "F", meal: str = "Standard") -> dict[str, str]:
    return {"Nom de l'enfant": last, "Prénom de l'enfant": first, "Date de naissance": born, "Sexe": sex,
            "École": school, "Classe": cls, "Référence enfant": ref, "Régime alimentaire": meal}


def sample_rows() -> list[list[str]]:
    benezet = family("F001", "BÉNÉZET", "Élodie", email="elodie.benezet@exemple.fr", qf="640",
                     **{"Civilité responsable 2": "M.", "Nom responsable 2": "BÉNÉZET",
                        "Prénom responsable 2": "Marc", "Téléphone portable responsable 2": "07 11 22 33 44"})
    martin = family("F002", "MARTIN", "Jean", civ="M.", email="jean.martin@exemple.fr", phone="0698765432",
                    **{"Contact 1 nom": "Jeanne MARTIN", "Contact 1 téléphone": "06 55 44 33 22",
                       "Contact 1 lien": "Grand-mère", "Contact 1 peut récupérer l'enfant": "oui"})
    durand = family("F003", "DURAND", "Paul", civ="M.", email="", phone="06 00 00 00 01")
    noemail = family("F004", "N'DIAYE", "Awa", email="", phone="07 00 00 00 02", qf="320")
    return [
        row_of({**benezet, **child("BÉNÉZET", "Léa", "04/03/2018", ref="E900", cls="CE2")}),
        row_of({**benezet, **child("BÉNÉZET", "Hugo", "12/09/2020", school="École maternelle Les Coquelicots",
                                   cls="GS", sex="M", meal="Sans porc")}),
        row_of({**martin, **child("MARTIN", "Chloé", "30/06/2019", school="BOURG", cls="CE1-CE2")}),
        row_of({**durand, **child("BÉNÉZET", "Léa", "04/03/2018", ref="E900", cls="CE2")}),
        row_of({**noemail, **child("N'DIAYE", "Moussa", "15/01/2017", school="", cls="", sex="M")}),
        row_of({**noemail, **child("N'DIAYE", "Fatou", "15/01/2017", school="École primaire du Bourg", cls="")}),
    ]


# Signed: what the family had in credit (positive) or still owed (negative).
SAMPLE_BALANCES = {"F001": -1250, "F002": 800, "F003": 0, "F004": -4510}
BALANCE_DAY = "31/10/2026"


def balance_rows() -> list[list[str]]:
    def euros(cents: int) -> str:
        sign = "-" if cents < 0 else ""
        return f"{sign}{abs(cents) // 100},{abs(cents) % 100:02d}"

    return [[ref, euros(c), BALANCE_DAY] for ref, c in SAMPLE_BALANCES.items()]


def csv_bytes(rows: list[list[str]], *, headers: list[str] | None = None, encoding: str = "utf-8-sig",
              delimiter: str = ";") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(H if headers is None else headers)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def write_sample_csv(path: Path, *, rows: list[list[str]] | None = None, balances: bool = True,
                     encoding: str = "utf-8-sig", delimiter: str = ";") -> Path:
    """The families CSV at `path` and, with `balances`, FICHIER-soldes.csv beside it."""
    path.write_bytes(csv_bytes(sample_rows() if rows is None else rows, encoding=encoding, delimiter=delimiter))
    if balances:
        path.with_name(f"{path.stem}{K.BALANCE_SUFFIX}{path.suffix}").write_bytes(
            csv_bytes(balance_rows(), headers=list(K.BALANCE_HEADERS), encoding=encoding, delimiter=delimiter))
    return path


def write_sample_xlsx(path: Path, *, rows: list[list[str]] | None = None, balances: bool = True) -> Path:
    """The same town as one workbook: « Familles » and « Soldes » sheets."""
    families = [H, *(sample_rows() if rows is None else rows)]
    sheet = [list(K.BALANCE_HEADERS), *balance_rows()] if balances else [list(K.BALANCE_HEADERS)]
    path.write_bytes(workbook_bytes(families, sheet))
    return path


NOW = datetime(2026, 11, 28, 10, 0, tzinfo=PARIS)
TODAY = date(2026, 11, 28)
