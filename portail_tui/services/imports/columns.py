"""The columns of the family import file and of its opening-balance sheet (G8): one
row per child, the family's data repeated on each of its children's rows.

Every column reuses the field definition of the family file (domain/forms.py), so a
phone, an e-mail or a postal code is checked by the same rule as on the Dossier tab;
the header is the French words a town-hall agent reads in the template.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace

from portail_tui.domain import forms as F
from portail_tui.domain.validation import FieldDef


@dataclass(frozen=True)
class ImportColumn:
    """`group` says where the value goes (family, guardian1, guardian2, child, contact1,
    contact2, ref); `field` is the family file's own definition, renamed."""

    header: str
    group: str
    field: FieldDef
    example: str = ""


def _f(fields: tuple[FieldDef, ...], name: str) -> FieldDef:
    return next(fd for fd in fields if fd.name == name)


MEAL_LABELS = {"standard": "Standard", "sans_porc": "Sans porc", "sans_viande": "Sans viande",
               "pai_panier": "PAI panier-repas"}
MEAL_BY_LABEL = {label: code for code, label in MEAL_LABELS.items()}

FAMILY_REFERENCE = "Référence famille"
CHILD_REFERENCE = "Référence enfant"
REJECT_REASON = "Motif du rejet"


def _col(header: str, group: str, fd: FieldDef, example: str = "", **changes: object) -> ImportColumn:
    return ImportColumn(header, group, replace(fd, label=header, **changes), example)  # type: ignore[arg-type]


G = F.GUARDIAN_FIELDS
C = F.CHILD_FIELDS
K = F.CONTACT_FIELDS

COLUMNS: tuple[ImportColumn, ...] = (
    _col(FAMILY_REFERENCE, "ref", FieldDef("reference", FAMILY_REFERENCE, required=True, max_length=40), "F00123"),
    _col("Civilité responsable 1", "guardian1", _f(G, "civility"), "Mme"),
    _col("Nom responsable 1", "guardian1", _f(G, "last_name"), "BÉNÉZET"),
    _col("Prénom responsable 1", "guardian1", _f(G, "first_name"), "Élodie"),
    _col("Complément d'adresse", "guardian1", _f(G, "address_complement"), ""),
    _col("N° de voie", "guardian1", _f(G, "street_number"), "12"),
    _col("Nom de voie", "guardian1", _f(G, "street_name"), "rue des Écoles"),
    _col("Lieu-dit", "guardian1", _f(G, "locality"), ""),
    _col("Code postal", "guardian1", _f(G, "postal_code"), "87590"),
    _col("Ville", "guardian1", _f(G, "city"), "Saint-Just-le-Martel"),
    _col("Téléphone domicile", "guardian1", _f(G, "phone_home"), "05 55 12 34 56"),
    _col("Téléphone portable", "guardian1", _f(G, "phone_mobile"), "06 12 34 56 78"),
    _col("Téléphone travail", "guardian1", _f(G, "phone_work"), ""),
    _col("Courriel", "guardian1", _f(G, "email"), "elodie.benezet@exemple.fr"),
    _col("Type d'allocataire", "family", _f(F.FAMILY_FIELDS, "allocataire_type"), "CAF"),
    _col("N° d'allocataire", "family", _f(F.FAMILY_FIELDS, "allocataire_number"), "1234567"),
    _col("Quotient familial", "family", _f(F.FAMILY_FIELDS, "quotient"), "640"),
    _col("Quotient valable du", "family", _f(F.FAMILY_FIELDS, "quotient_valid_from"), "01/01/2026"),
    _col("Quotient valable au", "family", _f(F.FAMILY_FIELDS, "quotient_valid_to"), "31/12/2026"),
    _col(CHILD_REFERENCE, "child", FieldDef("reference", CHILD_REFERENCE, max_length=40), "E00456"),
    _col("Nom de l'enfant", "child", _f(C, "last_name"), "BÉNÉZET"),
    _col("Prénom de l'enfant", "child", _f(C, "first_name"), "Léa"),
    _col("Date de naissance", "child", _f(C, "birth_date"), "04/03/2018"),
    _col("Sexe", "child", _f(C, "sex"), "F"),
    _col("École", "child", _f(C, "school"), ""),
    _col("Classe", "child", _f(C, "school_class"), "CE2"),
    _col("Régime alimentaire", "child",
         FieldDef("meal_type", "Régime alimentaire", "choice", choices=tuple(MEAL_LABELS.values()),
                  max_length=20), "Standard"),
    _col("Civilité responsable 2", "guardian2", _f(G, "civility"), "M.", required=False),
    _col("Nom responsable 2", "guardian2", _f(G, "last_name"), "BÉNÉZET", required=False),
    _col("Prénom responsable 2", "guardian2", _f(G, "first_name"), "Marc", required=False),
    _col("Téléphone portable responsable 2", "guardian2", _f(G, "phone_mobile"), "07 12 34 56 78"),
    _col("Courriel responsable 2", "guardian2", _f(G, "email"), ""),
    _col("Contact 1 nom", "contact1", _f(K, "name"), "Jeanne MARTIN", required=False),
    _col("Contact 1 téléphone", "contact1", _f(K, "phone"), "06 98 76 54 32", required=False),
    _col("Contact 1 lien", "contact1", _f(K, "relationship"), "Grand-mère"),
    _col("Contact 1 peut récupérer l'enfant", "contact1", _f(K, "may_pick_up"), "oui", required=False),
    _col("Contact 2 nom", "contact2", _f(K, "name"), "", required=False),
    _col("Contact 2 téléphone", "contact2", _f(K, "phone"), "", required=False),
    _col("Contact 2 lien", "contact2", _f(K, "relationship"), ""),
    _col("Contact 2 peut récupérer l'enfant", "contact2", _f(K, "may_pick_up"), "", required=False),
)

BALANCE_AMOUNT = "Solde (euros)"
BALANCE_DATE = "Date du solde"
BALANCE_HEADERS = (FAMILY_REFERENCE, BALANCE_AMOUNT, BALANCE_DATE)
BALANCE_EXAMPLE = ("F00123", "-12,50", "31/08/2026")
BALANCE_SHEET = "Soldes"
FAMILY_SHEET = "Familles"
BALANCE_SUFFIX = "-soldes"


def header_key(text: str) -> str:
    """A header as compared: case, accents, apostrophes and spacing do not matter, so
    « Date de naissance », « DATE DE NAISSANCE » and « date  de naissance » are one."""
    folded = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode().casefold()
    folded = folded.replace("’", "'").replace("°", "")
    return " ".join(folded.replace("'", " ").replace("-", " ").split())


BY_KEY: dict[str, ImportColumn] = {header_key(c.header): c for c in COLUMNS}
BY_FIELD: dict[tuple[str, str], ImportColumn] = {(c.group, c.field.name): c for c in COLUMNS}
REQUIRED_HEADERS = tuple(c.header for c in COLUMNS
                         if c.field.required and c.group in ("ref", "guardian1", "child"))
