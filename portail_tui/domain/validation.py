"""Field definitions and checks shared by the family file and its forms (R11, R12).

Every entry screen (fiche responsable, enfant, contact, the five forms) is described
by a tuple of `FieldDef`, so the rules for a postal code or a phone number live in
one place and a screen can show each message next to its field.

Values travel as the text a person reads and types ("06 12 34 56 78", "05/03/2026",
"oui"): cleaning turns what was typed into that canonical text plus a typed value
(date, bool, int) for the services that store columns.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from portail_tui.domain.frdates import DateError, format_date_short, parse_date_fr

__all__ = [
    "FIELD_KINDS",
    "Cleaned",
    "FieldDef",
    "FieldErrors",
    "FieldValueError",
    "CleanResult",
    "clean_field",
    "clean_values",
    "format_phone",
    "parse_bool_text",
]

FIELD_KINDS = ("text", "date", "bool", "phone", "email", "postal_code", "choice", "int")

REQUIRED = "Champ obligatoire."
POSTAL_CODE = "Le code postal doit comporter 5 chiffres."
EMAIL = "Adresse électronique invalide (ex. prenom.nom@exemple.fr)."
PHONE = "Numéro de téléphone invalide : 10 chiffres commençant par 0 (ex. 06 12 34 56 78)."
FUTURE = "La date ne peut pas être dans le futur."
PAST = "La date est déjà passée."
TOO_OLD = "Date invalide : année antérieure à 1900."
BOOL = "Répondez oui ou non."
INT = "Nombre entier positif attendu."
CONTROL = "Caractères non imprimables refusés."

_EMAIL_RE = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+")
_TRUE = {"oui", "o", "yes", "y", "true", "1", "vrai", "x"}
_FALSE = {"non", "n", "no", "false", "0", "faux"}


class FieldValueError(ValueError):
    """One refused value; the message is French and meant for the field's label."""

    def __init__(self, message: str, *, blocking: bool = False) -> None:
        super().__init__(message)
        self.message = message
        # Blocking: even a draft cannot keep it (too long for storage, unprintable).
        self.blocking = blocking


class FieldErrors(ValueError):
    """Several refused fields at once: `errors` maps a field name to its message."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        first = next(iter(self.errors.values()), "Saisie invalide.")
        super().__init__(first)


@dataclass(frozen=True)
class FieldDef:
    """One input: its name in the data, the French label, how it is checked."""

    name: str
    label: str
    kind: str = "text"
    required: bool = False
    max_length: int = 120
    choices: tuple[str, ...] = ()
    not_future: bool = False
    not_past: bool = False
    must_be_true: bool = False
    help: str = ""
    minimum: int = 0
    maximum: int = 1_000_000

    def __post_init__(self) -> None:
        if self.kind not in FIELD_KINDS:
            raise ValueError(f"unknown field kind {self.kind!r}")


@dataclass(frozen=True)
class Cleaned:
    """Canonical text (what is stored in a form and shown back) and typed value."""

    text: str
    value: Any = None


@dataclass
class CleanResult:
    texts: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    # The subset of `errors` that a draft cannot keep either.
    blocking: dict[str, str] = field(default_factory=dict)


def parse_bool_text(text: str) -> bool | None:
    t = (text or "").strip().casefold()
    if not t:
        return None
    if t in _TRUE:
        return True
    if t in _FALSE:
        return False
    raise FieldValueError(BOOL)


def format_phone(digits: str) -> str:
    return " ".join(digits[i:i + 2] for i in range(0, len(digits), 2))


def _clean_phone(text: str) -> Cleaned:
    compact = re.sub(r"[\s.\-/()]", "", text)
    if compact.startswith("+33"):
        compact = "0" + compact[3:]
    elif compact.startswith("0033"):
        compact = "0" + compact[4:]
    if not (compact.isascii() and compact.isdigit()) or len(compact) != 10 or compact[0] != "0" or compact[1] == "0":
        raise FieldValueError(PHONE)
    return Cleaned(format_phone(compact), format_phone(compact))


def _clean_email(text: str) -> Cleaned:
    if len(text) > 254 or not _EMAIL_RE.fullmatch(text):
        raise FieldValueError(EMAIL)
    local, domain = text.rsplit("@", 1)
    canonical = f"{local}@{domain.lower()}"
    return Cleaned(canonical, canonical)


def _clean_date(fd: FieldDef, text: str, today: date) -> Cleaned:
    try:
        d = parse_date_fr(text)
    except DateError as exc:
        raise FieldValueError(exc.message) from None
    if d.year < 1900:
        raise FieldValueError(TOO_OLD)
    if fd.not_future and d > today:
        raise FieldValueError(FUTURE)
    if fd.not_past and d < today:
        raise FieldValueError(PAST)
    return Cleaned(format_date_short(d), d)


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cf") and ch not in "\n\t" for ch in text)


def clean_field(fd: FieldDef, raw: object, today: date) -> Cleaned:
    """Check one value. Empty gives Cleaned("", None); `required` is checked by
    `clean_values`, so a draft may leave fields empty."""
    if raw is None:
        text = ""
    elif isinstance(raw, bool):
        text = "oui" if raw else "non"
    elif isinstance(raw, date):
        text = format_date_short(raw)
    else:
        text = str(raw)
    text = text.strip()
    if len(text) > fd.max_length:
        raise FieldValueError(f"{fd.max_length} caractères au plus (vous en avez saisi {len(text)}).",
                              blocking=True)
    if _has_control(text):
        raise FieldValueError(CONTROL, blocking=True)
    if fd.kind != "text":
        text = " ".join(text.split())
    if not text:
        return Cleaned("", None)
    if fd.kind == "text":
        return Cleaned(text, text)
    if fd.kind == "postal_code":
        compact = text.replace(" ", "")
        if len(compact) != 5 or not (compact.isascii() and compact.isdigit()):
            raise FieldValueError(POSTAL_CODE)
        return Cleaned(compact, compact)
    if fd.kind == "email":
        return _clean_email(text)
    if fd.kind == "phone":
        return _clean_phone(text)
    if fd.kind == "date":
        return _clean_date(fd, text, today)
    if fd.kind == "bool":
        b = parse_bool_text(text)
        return Cleaned("oui" if b else "non", b)
    if fd.kind == "choice":
        for choice in fd.choices:
            if choice.casefold() == text.casefold():
                return Cleaned(choice, choice)
        raise FieldValueError("Choisissez parmi : " + ", ".join(fd.choices) + ".")
    # int
    compact = text.replace(" ", "").replace("\u202f", "")
    if not (compact.isascii() and compact.isdigit()):
        raise FieldValueError(INT)
    n = int(compact)
    if not fd.minimum <= n <= fd.maximum:
        raise FieldValueError(f"Valeur attendue entre {fd.minimum} et {fd.maximum}.")
    return Cleaned(str(n), n)


def clean_values(
    fields: tuple[FieldDef, ...],
    raw: Mapping[str, object],
    today: date,
    *,
    strict: bool = True,
) -> CleanResult:
    """Check every field. `strict` (Enregistrer) adds the required checks; a draft
    (Enregistrer un brouillon) keeps what was typed for fields whose format is wrong
    and reports them, so nothing typed is lost. Over-long input is an error either way.
    Keys of `raw` that are not fields are ignored."""
    result = CleanResult()
    for fd in fields:
        value = raw.get(fd.name)
        try:
            cleaned = clean_field(fd, value, today)
        except FieldValueError as exc:
            result.errors[fd.name] = exc.message
            if exc.blocking:
                result.blocking[fd.name] = exc.message
            else:
                result.texts[fd.name] = "" if value is None else str(value).strip()
            continue
        result.texts[fd.name] = cleaned.text
        result.values[fd.name] = cleaned.value
        if strict and fd.required and cleaned.value is None:
            result.errors[fd.name] = REQUIRED
        elif strict and fd.must_be_true and cleaned.value is False:
            result.errors[fd.name] = f"« {fd.label} » doit être « oui »."
    return result
