"""Bringing in the families a town already has (G8): the sample town goes in whole,
re-importing changes nothing, a changed row updates its family (audited), shared
custody gives one child two links, each kind of error names its line, column and value
and refuses the whole file (nothing written), --partiel keeps the valid families and
writes the rejects beside the file, a dry run writes nothing."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from portail_tui.clock import FixedClock
from portail_tui.db import Database
from portail_tui.models import (
    AuditLog,
    Child,
    Contact,
    Family,
    FamilyMember,
    Form,
    Guardian,
    OpeningBalance,
)
from portail_tui.services import families as fam_service
from portail_tui.services.context import Context, PermissionDenied
from portail_tui.services.imports import ImportRefused, import_families, rejects_path
from tests.support import import_samples as S
from tests.support.payments_town import Seed, seed

TABLES = (Family, Guardian, Child, FamilyMember, Form, Contact, OpeningBalance)


@pytest.fixture
def town(db: Database) -> Seed:
    sd = seed(db)
    S.add_schools(db, sd.regie_id)
    return sd


def _ctx(db: Database, sd: Seed, who: str = "admin") -> Context:
    return Context(db=db, clock=FixedClock(S.NOW)).as_actor(getattr(sd, who))


def _counts(db: Database) -> dict[str, int]:
    return db.read(lambda s: {m.__name__: int(s.execute(select(func.count()).select_from(m)).scalar_one())
                              for m in TABLES})


def _family(db: Database, ref: str) -> Family:
    return db.read(lambda s: s.execute(select(Family).where(Family.reference == ref)).scalar_one())


def test_sample_town_goes_in(db: Database, town: Seed, tmp_path: Path) -> None:
    before = _counts(db)
    report = import_families(_ctx(db, town), S.write_sample_csv(tmp_path / "familles.csv"))
    assert report.summary == "Familles : 4 ajoutées, 0 modifiée, 0 inchangée."
    after = _counts(db)
    assert after["Family"] - before["Family"] == 4
    assert after["Child"] - before["Child"] == 5  # six rows, Léa (E900) in two families
    assert after["FamilyMember"] - before["FamilyMember"] == 6
    assert after["Form"] - before["Form"] == 5 * 5
    assert report.forms_created == 25
    assert after["Guardian"] - before["Guardian"] == 5  # F001 has a second guardian
    assert after["Contact"] - before["Contact"] == 1
    benezet = _family(db, "F001")
    assert (benezet.name, benezet.email, benezet.quotient) == ("BÉNÉZET", "elodie.benezet@exemple.fr", 640)
    assert benezet.number == 124  # after the seed's family n° 123, as the Dossier tab numbers them

    def forms(s: Any) -> set[str]:
        return set(s.execute(select(Form.status)).scalars())

    assert db.read(forms) == {"a_saisir"}
    # Shared custody: one child, linked to both families, living in each in turn.
    links = db.read(lambda s: s.execute(
        select(FamilyMember.family_id, FamilyMember.residence).join(Child, Child.id == FamilyMember.child_id)
        .where(Child.first_name == "Léa", Child.last_name == "BÉNÉZET")).all())
    assert sorted(r.family_id for r in links) == sorted([benezet.id, _family(db, "F003").id])
    assert {r.residence for r in links} == {"Alternée"}
    hugo = db.read(lambda s: s.execute(select(Child).where(Child.first_name == "Hugo")).scalar_one())
    assert (hugo.school, hugo.school_class, hugo.meal_type) == ("École maternelle Les Coquelicots", "GS",
                                                                "sans_porc")
    chloe = db.read(lambda s: s.execute(select(Child).where(Child.first_name == "Chloé")).scalar_one())
    assert (chloe.school, chloe.school_class) == ("École primaire du Bourg", "CE1-CE2")  # by its code BOURG
    # The search finds them the way families.py stores words.
    ctx = _ctx(db, town)
    assert [h.id for h in fam_service.search_families(ctx, "benezet elodie")] == [benezet.id]
    assert [h.id for h in fam_service.search_families(ctx, "ndiaye fatou")] == [_family(db, "F004").id]


def test_reimport_changes_nothing(db: Database, town: Seed, tmp_path: Path) -> None:
    path = S.write_sample_csv(tmp_path / "familles.csv")
    import_families(_ctx(db, town), path)
    before = _counts(db)
    audit_before = db.read(lambda s: s.execute(select(func.count()).select_from(AuditLog)).scalar_one())
    report = import_families(_ctx(db, town), path)
    assert report.summary == "Familles : 0 ajoutée, 0 modifiée, 4 inchangées."
    assert (report.balances_added, report.balances_skipped) == (0, 4)
    assert _counts(db) == before
    # Only the import's own line in the audit.
    audit_after = db.read(lambda s: s.execute(select(func.count()).select_from(AuditLog)).scalar_one())
    assert audit_after == audit_before + 1


def test_changed_row_updates_that_family_and_is_audited(db: Database, town: Seed, tmp_path: Path) -> None:
    path = S.write_sample_csv(tmp_path / "familles.csv")
    import_families(_ctx(db, town), path)
    rows = S.sample_rows()
    q = S.H.index("Quotient familial")
    phone = S.H.index("Téléphone portable")
    for r in rows:
        if r[0] == "F002":
            r[q] = "910"
            r[phone] = "06 11 11 11 11"
    before = _counts(db)
    report = import_families(_ctx(db, town), S.write_sample_csv(path, rows=rows, balances=False))
    assert report.summary == "Familles : 0 ajoutée, 1 modifiée, 3 inchangées."
    martin = _family(db, "F002")
    assert martin.quotient == 910
    assert _counts(db) == before
    guardian = db.read(lambda s: s.execute(select(Guardian).where(Guardian.family_id == martin.id)).scalar_one())
    assert guardian.phone_mobile == "06 11 11 11 11"
    assert "0611111111" in martin.search_text
    entry = db.read(lambda s: s.execute(select(AuditLog).where(AuditLog.action == "family.import_update")).scalar_one())
    assert entry.family_id == martin.id and entry.actor == "agent:admin"
    assert set(json.loads(entry.details)["changes"]) == {"famille.quotient", "responsable 1.phone_mobile"}


def test_dry_run_writes_nothing(db: Database, town: Seed, tmp_path: Path) -> None:
    before = _counts(db)
    report = import_families(_ctx(db, town), S.write_sample_csv(tmp_path / "familles.csv"), dry_run=True)
    assert report.summary == "Familles : 4 ajoutées, 0 modifiée, 0 inchangée."
    assert report.children_added == 5
    assert _counts(db) == before


def test_xlsx_goes_in_like_the_csv(db: Database, town: Seed, tmp_path: Path) -> None:
    report = import_families(_ctx(db, town), S.write_sample_xlsx(tmp_path / "familles.xlsx"))
    assert report.summary == "Familles : 4 ajoutées, 0 modifiée, 0 inchangée."
    assert report.balances_added == 4
    lea = db.read(lambda s: s.execute(select(Child).where(Child.first_name == "Léa", Child.last_name == "BÉNÉZET"))
                  .scalar_one())
    assert lea.birth_date is not None and lea.birth_date.isoformat() == "2018-03-04"
    again = import_families(_ctx(db, town), S.write_sample_csv(tmp_path / "familles.csv"))
    assert again.summary == "Familles : 0 ajoutée, 0 modifiée, 4 inchangées."


@pytest.mark.parametrize(("encoding", "delimiter"), [
    ("cp1252", ";"), ("utf-8-sig", ";"), ("utf-8", ","), ("cp1252", ","), ("utf-8-sig", ","),
])
def test_encodings_and_separators_are_detected(sqlite_db: Database, tmp_path: Path, encoding: str,
                                               delimiter: str) -> None:
    sd = seed(sqlite_db)
    S.add_schools(sqlite_db, sd.regie_id)
    path = S.write_sample_csv(tmp_path / "familles.csv", encoding=encoding, delimiter=delimiter)
    report = import_families(_ctx(sqlite_db, sd), path)
    assert report.added == 4
    g = sqlite_db.read(lambda s: s.execute(select(Guardian).where(Guardian.first_name == "Élodie")).scalar_one())
    assert (g.last_name, g.first_name) == ("BÉNÉZET", "Élodie")  # never « Ã‰lodie »
    assert report.encoding == encoding


def test_regisseur_may_not_import(db: Database, town: Seed, tmp_path: Path) -> None:
    path = S.write_sample_csv(tmp_path / "familles.csv", balances=False)
    with pytest.raises(PermissionDenied, match="importer les familles"):
        import_families(_ctx(db, town, "regisseur"), path)
    assert _counts(db)["Family"] == 1


# --- errors --------------------------------------------------------------------------------

def _with(changes: dict[str, str], line: int = 2) -> list[list[str]]:
    """The sample rows with `changes` applied to the row at file line `line` (header = 1)."""
    rows = S.sample_rows()
    for header, value in changes.items():
        rows[line - 2][S.H.index(header)] = value
    return rows


ERRORS = [
    ({"Date de naissance": "31/02/2015"}, 4,
     "ligne 4, colonne « Date de naissance » : « 31/02/2015 » n'est pas une date"),
    ({"École": "École Victor Hugo"}, 2, "ligne 2, colonne « École » : « École Victor Hugo » : école inconnue"
     " (écoles déclarées : École maternelle Les Coquelicots, École primaire du Bourg, École élémentaire Jean-Moulin)"),
    ({"Classe": "6e"}, 2, "ligne 2, colonne « Classe » : « 6e » : classe inconnue pour l'école École élémentaire"
     " Jean-Moulin"),
    ({"Téléphone portable": "06 12 34"}, 6, "ligne 6, colonne « Téléphone portable » : « 06 12 34 » : Numéro de"
     " téléphone invalide"),
    ({"Courriel": "jean.martin@"}, 4, "ligne 4, colonne « Courriel » : « jean.martin@ » : Adresse électronique"
     " invalide"),
    ({"Code postal": "8759"}, 5, "ligne 5, colonne « Code postal » : « 8759 » : Le code postal doit comporter"),
    ({"Quotient familial": "six cents"}, 2, "ligne 2, colonne « Quotient familial » : « six cents » n'est pas un"
     " nombre"),
    ({"Référence famille": "F001"}, 4, "ligne 4, colonne « Civilité responsable 1 » : « M. » : la référence"
     " famille « F001 » figure déjà ligne 2 avec une autre valeur"),
    ({"Prénom de l'enfant": "Léa", "Date de naissance": "04/03/2018"}, 3,
     "ligne 3, colonne « Prénom de l'enfant » : « Léa » : cet enfant figure déjà dans cette famille"),
    ({"Nom de l'enfant": "DURAND"}, 5, "ligne 5, colonne « Référence enfant » : « E900 » : même référence enfant"
     " que la ligne 2"),
    ({"Nom responsable 1": ""}, 6, "ligne 6, colonne « Nom responsable 1 » : valeur obligatoire manquante"),
    ({"Sexe": "X"}, 6, "ligne 6, colonne « Sexe » : « X » : Choisissez parmi : F, M."),
    ({"Nom de l'enfant": "BÉNÉZET", "Prénom de l'enfant": "Léa", "Date de naissance": "04/03/2018",
      "Référence enfant": "E900", "École": S.JMOULIN, "Classe": "CE2"}, 4,
     "ligne 5, colonne « Référence enfant » : « E900 » : enfant déjà rattaché à deux familles (lignes 2 et 4)"),
]


@pytest.mark.parametrize(("changes", "line", "message"), ERRORS, ids=[e[2][:40] for e in ERRORS])
def test_each_error_names_line_column_value_and_refuses_the_file(sqlite_db: Database, tmp_path: Path,
                                                                 changes: dict[str, str], line: int,
                                                                 message: str) -> None:
    sd = seed(sqlite_db)
    S.add_schools(sqlite_db, sd.regie_id)
    before = _counts(sqlite_db)
    path = S.write_sample_csv(tmp_path / "familles.csv", rows=_with(changes, line))
    with pytest.raises(ImportRefused) as refused:
        import_families(_ctx(sqlite_db, sd), path)
    assert any(e.startswith(message) for e in refused.value.errors), refused.value.errors
    assert "rien n'a été importé" in refused.value.message
    assert _counts(sqlite_db) == before


def test_errors_are_all_listed(sqlite_db: Database, tmp_path: Path) -> None:
    sd = seed(sqlite_db)
    S.add_schools(sqlite_db, sd.regie_id)
    rows = _with({"Date de naissance": "31/02/2015", "Courriel": "pas-un-courriel"}, 2)
    rows[3][S.H.index("Code postal")] = "ABCDE"
    with pytest.raises(ImportRefused) as refused:
        import_families(_ctx(sqlite_db, sd), S.write_sample_csv(tmp_path / "f.csv", rows=rows))
    errors = refused.value.errors
    assert [e.split(" :")[0] for e in errors] == [
        "ligne 2, colonne « Courriel »", "ligne 2, colonne « Date de naissance »", "ligne 5, colonne « Code postal »"]
    assert refused.value.message.startswith("Fichier refusé : 3 erreurs")


def test_no_school_declared_says_apply_the_regie_file_first(sqlite_db: Database, tmp_path: Path) -> None:
    sd = seed(sqlite_db)  # no School rows
    with pytest.raises(ImportRefused) as refused:
        import_families(_ctx(sqlite_db, sd), S.write_sample_csv(tmp_path / "f.csv"))
    assert ("ligne 2, colonne « École » : « École élémentaire Jean-Moulin » : aucune école n'est déclarée : appliquez d'abord le fichier de la régie"
            " (portail regie apply).") in refused.value.errors


@pytest.mark.parametrize(("headers", "message"), [
    ([*S.H, "Pointure"], "colonne inconnue : « Pointure »"),
    ([h for h in S.H if h != "Date de naissance"], "colonne(s) obligatoire(s) absente(s) : « Date de naissance »"),
])
def test_unknown_or_missing_columns_are_refused(sqlite_db: Database, tmp_path: Path, headers: list[str],
                                                message: str) -> None:
    sd = seed(sqlite_db)
    S.add_schools(sqlite_db, sd.regie_id)
    path = tmp_path / "f.csv"
    rows = [[r[S.H.index(h)] if h in S.H else "42" for h in headers] for r in S.sample_rows()]
    path.write_bytes(S.csv_bytes(rows, headers=headers))
    with pytest.raises(ImportRefused) as refused:
        import_families(_ctx(sqlite_db, sd), path)
    assert any(message in e for e in refused.value.errors), refused.value.errors


def test_headers_in_any_order_and_case(sqlite_db: Database, tmp_path: Path) -> None:
    sd = seed(sqlite_db)
    S.add_schools(sqlite_db, sd.regie_id)
    order = list(reversed(range(len(S.H))))
    headers = [S.H[i].upper() for i in order]
    rows = [[r[i] for i in order] for r in S.sample_rows()]
    path = tmp_path / "f.csv"
    path.write_bytes(S.csv_bytes(rows, headers=headers))
    assert import_families(_ctx(sqlite_db, sd), path).added == 4


def test_partial_imports_the_valid_families_and_writes_the_rejects(db: Database, town: Seed,
                                                                   tmp_path: Path) -> None:
    rows = _with({"Date de naissance": "31/02/2015"}, 3)  # F001's second child: F001 rejected whole
    path = S.write_sample_csv(tmp_path / "familles.csv", rows=rows)
    report = import_families(_ctx(db, town), path, partial=True)
    assert report.summary == "Familles : 3 ajoutées, 0 modifiée, 0 inchangée, 1 rejetée."
    assert report.rejects_path == rejects_path(path) == tmp_path / "familles-rejets.csv"
    with report.rejects_path.open(encoding="utf-8-sig", newline="") as f:
        rejected = list(csv.reader(f, delimiter=";"))
    assert rejected[0] == [*S.H, "Motif du rejet"]
    assert [r[0] for r in rejected[1:]] == ["F001", "F001"]
    assert rejected[2][-1].startswith("ligne 3, colonne « Date de naissance » : « 31/02/2015 »")
    assert "rejetée avec ses autres lignes" in rejected[1][-1]
    # F003 still has Léa (shared custody with the rejected family), F001's balance waits for F001.
    refs = db.read(lambda s: set(s.execute(select(Family.reference).where(Family.reference.is_not(None))).scalars()))
    assert refs == {"F002", "F003", "F004"}
    assert report.balances_added == 3
    # Corrected, the rejects file goes in and the rest is unchanged.
    fixed = rejects_path(path)
    lines = fixed.read_text(encoding="utf-8-sig").replace("31/02/2015", "12/09/2020")
    fixed.write_text(lines, encoding="utf-8-sig")
    again = import_families(_ctx(db, town), fixed)
    assert again.summary == "Familles : 1 ajoutée, 0 modifiée, 0 inchangée."
    lea_links = db.read(lambda s: s.execute(select(func.count()).select_from(FamilyMember).join(
        Child, Child.id == FamilyMember.child_id).where(Child.last_name == "BÉNÉZET", Child.first_name == "Léa"))
        .scalar_one())
    assert lea_links == 2
    assert _counts(db)["Child"] == 1 + 5  # the seed's child and the sample's five: Léa found by her reference


def test_xlsx_cells_typed_by_the_spreadsheet(sqlite_db: Database, tmp_path: Path) -> None:
    """Dates as date cells, phone numbers and postal codes as numbers (their leading zero
    lost), the quotient as a number: read as a person reads them."""
    from datetime import datetime as dt

    from openpyxl import Workbook

    sd = seed(sqlite_db)
    S.add_schools(sqlite_db, sd.regie_id)
    values = {**S.family("F010", "ROUX", "Inès", qf="", email="ines.roux@exemple.fr"),
              **S.child("ROUX", "Noé", "", sex="M")}
    values["Code postal"] = ""
    row: list[object] = S.row_of(values)
    row[S.H.index("Date de naissance")] = dt(2019, 5, 17)
    row[S.H.index("Téléphone portable")] = 612345678
    row[S.H.index("Code postal")] = 1000
    row[S.H.index("Quotient familial")] = 512.0
    workbook = Workbook()
    ws = workbook.active
    assert ws is not None
    ws.append(S.H)
    ws.append(row)
    path = tmp_path / "familles.xlsx"
    workbook.save(path)
    assert import_families(_ctx(sqlite_db, sd), path).added == 1
    g = sqlite_db.read(lambda s: s.execute(select(Guardian).where(Guardian.first_name == "Inès")).scalar_one())
    assert (g.phone_mobile, g.postal_code) == ("06 12 34 56 78", "01000")
    assert _family(sqlite_db, "F010").quotient == 512
    noe = sqlite_db.read(lambda s: s.execute(select(Child).where(Child.first_name == "Noé")).scalar_one())
    assert noe.birth_date is not None and noe.birth_date.isoformat() == "2019-05-17"


def test_quotient_validity_must_end_after_it_starts(sqlite_db: Database, tmp_path: Path) -> None:
    sd = seed(sqlite_db)
    S.add_schools(sqlite_db, sd.regie_id)
    rows = _with({"Quotient valable du": "01/09/2026", "Quotient valable au": "31/08/2026"}, 5)
    with pytest.raises(ImportRefused) as refused:
        import_families(_ctx(sqlite_db, sd), S.write_sample_csv(tmp_path / "f.csv", rows=rows))
    assert ("ligne 5, colonne « Quotient valable au » : « 31/08/2026 » : la fin de validité du quotient précède"
            " son début (01/09/2026).") in refused.value.errors
