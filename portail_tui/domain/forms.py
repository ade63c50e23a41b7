"""The five forms of a child and their life cycle (R11, R12), plus the field sets of
the family file records (fiche responsable, enfant, rattachement, contact).

Status machine (the guide's colour legend):

    à saisir ──brouillon──▶ en cours de saisie ──enregistrer──▶ en validation
        │                        ▲   │                            │      │
        └──────enregistrer───────┼───┼────────────────────────────┘      │
                                 │   ▼                          valider  rejeter (motif)
    à mettre à jour ◀─expire── validée ◀──────────────────────────┘      │
        (fin d'assurance, rentrée scolaire)           rejetée ◀──────────┘

A validated, rejected or outdated form can be edited again (draft) or submitted
again; a form waiting for a decision cannot change until it is decided.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from portail_tui.domain.frdates import DateError, format_date_short, parse_date_fr
from portail_tui.domain.validation import FieldDef

# --------------------------------------------------------------------------- statuses

A_SAISIR = "a_saisir"
EN_COURS = "en_cours"
EN_VALIDATION = "en_validation"
VALIDEE = "validee"
REJETEE = "rejetee"
A_METTRE_A_JOUR = "a_mettre_a_jour"
STATUSES = (A_SAISIR, EN_COURS, EN_VALIDATION, VALIDEE, REJETEE, A_METTRE_A_JOUR)

SAVE_DRAFT = "save_draft"
SUBMIT = "submit"
VALIDATE = "validate"
REJECT = "reject"
EXPIRE = "expire"
EVENTS = (SAVE_DRAFT, SUBMIT, VALIDATE, REJECT, EXPIRE)

STATUS_LABELS: dict[str, str] = {
    A_SAISIR: "à saisir",
    EN_COURS: "en cours de saisie",
    EN_VALIDATION: "en validation",
    VALIDEE: "validée",
    REJETEE: "rejetée",
    A_METTRE_A_JOUR: "à mettre à jour",
}
# Colours of the guide's legend (orange, red, yellow, green, blue, purple).
STATUS_COLOURS: dict[str, str] = {
    A_SAISIR: "#e67e22",
    REJETEE: "#c0392b",
    EN_COURS: "#d4ac0d",
    EN_VALIDATION: "#27ae60",
    VALIDEE: "#2e86c1",
    A_METTRE_A_JOUR: "#8e44ad",
}
# The legend as the guide prints it, in its order.
LEGEND: tuple[tuple[str, str], ...] = (
    (A_SAISIR, "à saisir"),
    (REJETEE, "rejetée/corrigée"),
    (EN_COURS, "en cours de saisie"),
    (EN_VALIDATION, "en validation"),
    (VALIDEE, "validée"),
    (A_METTRE_A_JOUR, "à mettre à jour"),
)

EVENT_LABELS: dict[str, str] = {
    SAVE_DRAFT: "enregistrer un brouillon",
    SUBMIT: "transmettre à la validation",
    VALIDATE: "valider",
    REJECT: "rejeter",
    EXPIRE: "passer à mettre à jour",
}

_EDITABLE = (A_SAISIR, EN_COURS, VALIDEE, REJETEE, A_METTRE_A_JOUR)
TRANSITIONS: dict[tuple[str, str], str] = {
    **{(s, SAVE_DRAFT): EN_COURS for s in _EDITABLE},
    **{(s, SUBMIT): EN_VALIDATION for s in _EDITABLE},
    (EN_VALIDATION, VALIDATE): VALIDEE,
    (EN_VALIDATION, REJECT): REJETEE,
    (VALIDEE, EXPIRE): A_METTRE_A_JOUR,
}

MAX_REASON_LENGTH = 500


class TransitionError(ValueError):
    """A refused change of status; French message for the agent."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def allowed_events(status: str) -> tuple[str, ...]:
    return tuple(e for e in EVENTS if (status, e) in TRANSITIONS)


def can(status: str, event: str) -> bool:
    return (status, event) in TRANSITIONS


def next_status(status: str, event: str, *, reason: str | None = None) -> str:
    """The status after `event`, or TransitionError saying why not."""
    if status not in STATUSES:
        raise TransitionError(f"Statut de fiche inconnu : {status!r}.")
    if event not in EVENTS:
        raise TransitionError(f"Action inconnue : {event!r}.")
    target = TRANSITIONS.get((status, event))
    if target is None:
        label = STATUS_LABELS[status]
        if event in (SAVE_DRAFT, SUBMIT) and status == EN_VALIDATION:
            raise TransitionError(
                "La fiche est en validation : elle ne peut plus être modifiée avant la décision du régisseur."
            )
        if event in (VALIDATE, REJECT):
            raise TransitionError(
                f"Seule une fiche en validation peut être {'validée' if event == VALIDATE else 'rejetée'}"
                f" (celle-ci est « {label} »)."
            )
        raise TransitionError(f"Impossible de {EVENT_LABELS[event]} une fiche « {label} ».")
    if event == REJECT:
        text = (reason or "").strip()
        if not text:
            raise TransitionError("Indiquez le motif du rejet : la famille doit savoir quoi corriger.",
                                  field="reason")
        if len(text) > MAX_REASON_LENGTH:
            raise TransitionError(f"Motif trop long ({MAX_REASON_LENGTH} caractères au plus).", field="reason")
    return target


# --------------------------------------------------------------------------- kinds and fields

KINDS = ("assurance", "contact", "reglement", "autorisations", "sante")
KIND_LABELS: dict[str, str] = {
    "assurance": "Fiche assurance",
    "contact": "Fiche de contact",
    "reglement": "Fiche règlement intérieur",
    "autorisations": "Fiche d'autorisations",
    "sante": "Fiche santé",
}
KIND_SHORT: dict[str, str] = {
    "assurance": "Assurance",
    "contact": "Contact",
    "reglement": "Règlement",
    "autorisations": "Autorisations",
    "sante": "Santé",
}
HEALTH_KIND = "sante"

# Data keys are the ones the demo town and the family portal share (French words).
FORM_FIELDS: dict[str, tuple[FieldDef, ...]] = {
    "assurance": (
        FieldDef("compagnie", "Compagnie d'assurance", required=True, max_length=120),
        FieldDef("numero_contrat", "N° de contrat", required=True, max_length=40),
        FieldDef("responsabilite_civile", "Responsabilité civile", "bool", required=True, must_be_true=True),
        FieldDef("individuelle_accident", "Individuelle accident", "bool"),
        FieldDef("date_fin", "Date de fin de validité", "date", required=True, not_past=True,
                 help="JJ/MM/AAAA : la fiche passera « à mettre à jour » après cette date."),
    ),
    "contact": (
        FieldDef("contact_urgence", "Personne à prévenir en cas d'urgence", required=True, max_length=120),
        FieldDef("telephone", "Téléphone de cette personne", "phone", required=True),
        FieldDef("lien", "Lien avec l'enfant", max_length=40),
        FieldDef("personnes_autorisees", "Autres personnes autorisées à venir chercher l'enfant",
                 max_length=300),
    ),
    "reglement": (
        FieldDef("lu_et_approuve", "Règlement intérieur lu et accepté", "bool", required=True,
                 must_be_true=True),
        FieldDef("version", "Version du règlement", required=True, max_length=40, help="Ex. : 2026-2027"),
        FieldDef("signataire", "Signataire", max_length=120),
        FieldDef("date_signature", "Date d'acceptation", "date", required=True, not_future=True),
    ),
    "autorisations": (
        FieldDef("droit_a_l_image", "Droit à l'image (photos, vidéos)", "bool", required=True),
        FieldDef("sortie_seul", "Autorisé à partir seul", "bool", required=True),
        FieldDef("transport_en_car", "Transport (car, véhicule de service)", "bool", required=True),
        FieldDef("soins_d_urgence", "Soins médicaux et hospitalisation d'urgence", "bool", required=True),
    ),
    "sante": (
        FieldDef("allergies", "Allergies", max_length=300),
        FieldDef("pai", "Projet d'accueil individualisé (PAI)", "bool", required=True),
        FieldDef("regime_alimentaire", "Régime alimentaire", "choice", required=True,
                 choices=("Aucun", "Sans porc", "Sans viande", "Végétarien", "Autre")),
        FieldDef("vaccins_a_jour", "Vaccinations à jour", "bool", required=True),
        FieldDef("medecin_traitant", "Médecin traitant", required=True, max_length=120),
        FieldDef("telephone_medecin", "Téléphone du médecin", "phone"),
    ),
}


def fields_for(kind: str) -> tuple[FieldDef, ...]:
    try:
        return FORM_FIELDS[kind]
    except KeyError:
        raise TransitionError(f"Type de fiche inconnu : {kind!r}.") from None


def school_year_label(year: int) -> str:
    return f"{year}-{year + 1}"


def defaults(kind: str, school_year: int) -> dict[str, str]:
    """Values proposed in an empty field (the agent may change them)."""
    if kind == "reglement":
        return {"version": school_year_label(school_year)}
    return {}


def _as_text(fd: FieldDef, value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    text = str(value)
    if fd.kind == "date":
        try:
            return format_date_short(parse_date_fr(text))
        except DateError:
            return text  # a draft keeps what was typed
    return text


def texts_from_data(kind: str, data: Mapping[str, object] | None) -> dict[str, str]:
    """The form's values as a person reads and types them, whatever the stored types
    (older rows and imports hold booleans, lists and ISO dates)."""
    data = data or {}
    return {fd.name: _as_text(fd, data.get(fd.name)) for fd in fields_for(kind)}


def form_expiry(kind: str, texts: Mapping[str, object]) -> date | None:
    """The day after which a validated form is outdated (insurance end date)."""
    if kind != "assurance":
        return None
    try:
        return parse_date_fr(str(texts.get("date_fin") or ""))
    except DateError:
        return None


@dataclass(frozen=True)
class FieldChange:
    name: str
    label: str
    before: str
    after: str


def diff(kind: str, validated: Mapping[str, object] | None, current: Mapping[str, object]) -> list[FieldChange]:
    """The fields of a resubmitted form that differ from the last validated values,
    in the form's order (never validated: nothing to compare, empty list)."""
    if validated is None:
        return []
    changes = []
    for fd in fields_for(kind):
        before = _as_text(fd, validated.get(fd.name)).strip()
        after = _as_text(fd, current.get(fd.name)).strip()
        if before != after:
            changes.append(FieldChange(fd.name, fd.label, before, after))
    return changes


# --------------------------------------------------------------------------- school year

def parse_rollover(text: str) -> tuple[int, int]:
    """"09-01" -> (9, 1). 29 February is refused: it would not happen every year."""
    try:
        month_s, day_s = (text or "").strip().split("-")
        month, day = int(month_s), int(day_s)
        date(2001, month, day)
    except ValueError:
        raise TransitionError(f"Date de rentrée invalide : {text!r} (attendu MM-JJ, ex. 09-01).") from None
    return month, day


def rollover_year(today: date, rollover: str) -> int:
    """Year of the last rollover date on or before `today`: forms validated before
    it belong to an earlier school year and must be updated."""
    month, day = parse_rollover(rollover)
    return today.year if (today.month, today.day) >= (month, day) else today.year - 1


def rollover_date(year: int, rollover: str) -> date:
    month, day = parse_rollover(rollover)
    return date(year, month, day)


# --------------------------------------------------------------------------- family file records

CIVILITIES = ("M.", "Mme")
ALLOCATAIRE_TYPES = ("CAF", "MSA", "Autre", "Aucun")

GUARDIAN_FIELDS: tuple[FieldDef, ...] = (
    FieldDef("civility", "Civilité", "choice", required=True, choices=CIVILITIES, max_length=10),
    FieldDef("last_name", "Nom", required=True, max_length=80),
    FieldDef("first_name", "Prénom", required=True, max_length=80),
    FieldDef("address_complement", "Complément d'adresse", max_length=120, help="Ex. : bâtiment A"),
    FieldDef("street_number", "N° de voie", max_length=10),
    FieldDef("street_name", "Nom de voie", max_length=120),
    FieldDef("locality", "Localité, lieu-dit, BP…", max_length=120),
    FieldDef("postal_code", "Code postal", "postal_code", max_length=10),
    FieldDef("city", "Ville", max_length=80),
    FieldDef("phone_home", "Tél. domicile", "phone", max_length=20),
    FieldDef("phone_mobile", "Tél. mobile", "phone", max_length=20),
    FieldDef("phone_work", "Tél. professionnel", "phone", max_length=20),
    FieldDef("email", "Courriel", "email", max_length=254),
)

FAMILY_FIELDS: tuple[FieldDef, ...] = (
    FieldDef("allocataire_type", "Type d'allocataire", "choice", choices=ALLOCATAIRE_TYPES, max_length=40),
    FieldDef("allocataire_number", "N° d'allocataire", max_length=20),
    FieldDef("quotient", "Quotient familial (€)", "int", max_length=7, maximum=100_000),
    FieldDef("quotient_valid_from", "QF valable du", "date"),
    FieldDef("quotient_valid_to", "QF valable au", "date"),
)

# A child's meal type (P4), as the kitchen list and the family file name it; the database
# stores the code (models.setup.MEAL_TYPES, same order).
MEAL_TYPE_LABELS: dict[str, str] = {
    "standard": "Standard",
    "sans_porc": "Sans porc",
    "sans_viande": "Sans viande",
    "pai_panier": "PAI panier repas",
}

CHILD_FIELDS: tuple[FieldDef, ...] = (
    FieldDef("last_name", "Nom", required=True, max_length=80),
    FieldDef("first_name", "Prénom", required=True, max_length=80),
    FieldDef("birth_date", "Date de naissance", "date", required=True, not_future=True),
    FieldDef("sex", "Sexe", "choice", choices=("F", "M"), max_length=1),
    FieldDef("school", "École", max_length=120),
    FieldDef("school_class", "Classe", max_length=20),
    FieldDef("meal_type", "Repas", "choice", choices=tuple(MEAL_TYPE_LABELS.values()), max_length=20,
             help="Standard si vide ; PAI panier repas : l'enfant apporte son repas"),
)

RELATIONSHIPS = ("Parents", "Mère", "Père", "Tuteur", "Grand-parent", "Famille d'accueil", "Autre")
PARENTS_SITUATIONS = ("Mariés", "Pacsés", "Vie maritale", "Séparés", "Divorcés", "Célibataire",
                      "Veuf ou veuve")
RESIDENCES = ("Domicile familial", "Alternée", "Chez la mère", "Chez le père", "Autre")

LINK_FIELDS: tuple[FieldDef, ...] = (
    FieldDef("relationship", "Lien de parenté", "choice", required=True, choices=RELATIONSHIPS, max_length=40),
    FieldDef("parents_situation", "Situation des parents", "choice", choices=PARENTS_SITUATIONS, max_length=40),
    FieldDef("emergency_contact", "Contact d'urgence", "bool", required=True),
    FieldDef("residence", "Lieu de résidence", "choice", choices=RESIDENCES, max_length=40),
    FieldDef("parental_authority", "Autorité parentale", "bool", required=True),
    FieldDef("caf_affiliation", "Affiliation CAF", "bool", required=True),
)

CONTACT_FIELDS: tuple[FieldDef, ...] = (
    FieldDef("name", "Nom et prénom", required=True, max_length=120),
    FieldDef("phone", "Téléphone", "phone", required=True, max_length=20),
    FieldDef("relationship", "Lien avec l'enfant", max_length=40),
    FieldDef("may_pick_up", "Peut venir chercher l'enfant", "bool", required=True),
    FieldDef("emergency", "À appeler en cas d'urgence", "bool", required=True),
)
