"""Reading the set-up file (G1): TOML text → `SetupFile`, and every problem in it
with its line and key, in French, so a régisseur fixes the whole file in one pass.

The standard library's `tomllib` gives values but no positions; `key_lines` finds
the line of each table and key by scanning the text (headers and « clé = » lines),
which is all a problem needs. Amounts are French strings (« "2,10" ») read exactly by
`domain.money`; a whole number of euros may be written as an integer; a float is
refused, since 2.1 is not exactly 2,10 € in binary.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any

from portail_tui.domain.frdates import DateError, parse_date_fr
from portail_tui.domain.money import AmountError, parse_amount
from portail_tui.domain.validation import FieldDef, FieldValueError, clean_field
from portail_tui.models import PAYMENT_MODES
from portail_tui.services.regie_setup.model import (
    WEEKDAY_WORDS,
    ActivitySpec,
    PeriodSpec,
    Problem,
    RateSpec,
    RegieSpec,
    SchoolSpec,
    SetupFile,
)

_HEADER = re.compile(r"^\[\[?\s*([^\]]+?)\s*\]\]?")
_KEY = re.compile(r"^((?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*'))*)\s*=")
_CODE = re.compile(r"^[A-Z0-9_]{1,20}$")
_TIME = re.compile(r"^(\d{1,2})[:h](\d{2})$")
_DEADLINE = re.compile(r"^(\d+)\s+jours?\s+avant\s+(?:à|a)\s+(\S+)$")
_WEEKDAY_NAMES = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_EMAIL = FieldDef("email", "E-mail", kind="email", max_length=254)

REGIE_KEYS = ("code", "nom", "adresse", "regisseur", "email", "modes_paiement", "plafond_especes",
              "payfip_numcli", "zone_vacances", "rentree", "delai_pointage_jours",
              "delai_justificatif_jours", "facturer_premier_jour_maladie")
SCHOOL_KEYS = ("nom", "email_cuisine", "classes", "fermee_a_partir_du")
ACTIVITY_KEYS = ("libelle", "lettre", "inscription", "calendrier", "jours", "debut", "fin", "delai",
                 "delai_sans_weekends", "delai_sans_feries", "horizon_jours", "capacite",
                 "liste_attente", "groupe_exclusion", "cumulable", "ecoles", "age_min", "age_max",
                 "supplement_sans_reservation", "repas", "declaree_caf", "fermee_a_partir_du",
                 "tarifs")
RATE_KEYS = ("a_partir_du", "unite", "qf_min", "qf_max", "sans_quotient", "prix")
PERIOD_KEYS = ("activite", "libelle", "du", "au", "inscriptions_du", "inscriptions_au", "capacite",
               "dans")
UNITS = {"jour": "day", "periode": "period", "période": "period"}
RATE_UNITS = {"jour": "day", "semaine": "week", "periode": "period", "période": "period"}
CALENDARS = {"scolaire": "school", "vacances": "holidays"}


def _unquote(part: str) -> str:
    part = part.strip()
    if len(part) >= 2 and part[0] == part[-1] and part[0] in "\"'":
        return part[1:-1]
    return part


def _dotted(name: str) -> str:
    return ".".join(_unquote(p) for p in re.split(r"\.(?=(?:[^\"']*[\"'][^\"']*[\"'])*[^\"']*$)", name))


def key_lines(text: str) -> dict[str, int]:
    """Line (1-based) of each table header and key, as « activites.RS.tarifs[2].prix »
    (arrays of tables numbered from 1, as a person counts them)."""
    lines: dict[str, int] = {}
    counters: dict[str, int] = {}
    prefix = ""
    for n, raw in enumerate(text.splitlines(), start=1):
        s = raw.strip()
        if not s or s.startswith("#"):
            continue
        if s.startswith("["):
            m = _HEADER.match(s)
            if m is None:
                continue
            name = _dotted(m.group(1))
            if s.startswith("[["):
                counters[name] = counters.get(name, 0) + 1
                prefix = f"{name}[{counters[name]}]"
            else:
                prefix = name
            lines.setdefault(prefix, n)
            continue
        k = _KEY.match(s)
        if k is not None:
            key = _dotted(k.group(1))
            lines.setdefault(f"{prefix}.{key}" if prefix else key, n)
    return lines


class _Reader:
    """Typed getters over the parsed tables; each bad value becomes one Problem."""

    def __init__(self, lines: dict[str, int]) -> None:
        self.lines = lines
        self.problems: list[Problem] = []

    def line_of(self, key: str) -> int | None:
        while key:
            if key in self.lines:
                return self.lines[key]
            cut = max(key.rfind("."), key.rfind("["))
            if cut <= 0:
                return None
            key = key[:cut]
        return None

    def problem(self, key: str, message: str) -> None:
        self.problems.append(Problem(self.line_of(key), key, message))

    def table(self, data: Any, key: str) -> dict[str, Any] | None:
        if not isinstance(data, dict):
            self.problem(key, "une table est attendue ([…]).")
            return None
        return data

    def known(self, data: dict[str, Any], key: str, allowed: tuple[str, ...]) -> None:
        for name in data:
            if name not in allowed:
                self.problem(f"{key}.{name}", f"clé inconnue (clés possibles : {', '.join(allowed)}).")

    def get(self, data: dict[str, Any], key: str, name: str, convert: Callable[[Any], Any],
            *, required: bool = False, default: Any = None) -> Any:
        full = f"{key}.{name}"
        if name not in data:
            if required:
                self.problem(full, "valeur obligatoire manquante.")
            return default
        try:
            return convert(data[name])
        except ValueError as exc:
            self.problem(full, str(exc))
            return default


# ----------------------------------------------------------------- value converters


def as_text(max_length: int) -> Callable[[Any], str | None]:
    def convert(v: Any) -> str | None:
        if not isinstance(v, str):
            raise ValueError("un texte entre guillemets est attendu.")
        v = v.strip()
        if len(v) > max_length:
            raise ValueError(f"{max_length} caractères au plus (il y en a {len(v)}).")
        return v or None
    return convert


def as_int(minimum: int = 0, maximum: int = 1_000_000) -> Callable[[Any], int]:
    def convert(v: Any) -> int:
        if isinstance(v, bool) or not isinstance(v, int):
            raise ValueError("un nombre entier est attendu.")
        if not minimum <= v <= maximum:
            raise ValueError(f"nombre entre {minimum} et {maximum} attendu (pas {v}).")
        return v
    return convert


def as_bool(v: Any) -> bool:
    if not isinstance(v, bool):
        raise ValueError("true ou false attendu.")
    return v


def as_date(v: Any) -> date:
    if isinstance(v, datetime) or not isinstance(v, date | str):
        raise ValueError("une date est attendue (2026-09-01 ou \"01/09/2026\").")
    if isinstance(v, date):
        return v
    try:
        return parse_date_fr(v)
    except DateError as exc:
        raise ValueError(f"date invalide « {v} » ({exc}).") from None


def as_time(v: Any) -> time:
    if isinstance(v, time):
        return v.replace(second=0, microsecond=0)
    m = _TIME.match(v.strip()) if isinstance(v, str) else None
    if m is None or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise ValueError(f"heure invalide « {v} » (format HH:MM, par exemple \"11:45\").")
    return time(int(m.group(1)), int(m.group(2)))


def as_cents(v: Any) -> int:
    """Euros as a French string (« "2,10" »), or a whole number of euros."""
    if isinstance(v, bool | float):
        example = f"{v:.2f}".replace(".", ",") if isinstance(v, float) else "2,10"
        raise ValueError(f"écrivez le montant entre guillemets, par exemple \"{example}\".")
    if isinstance(v, int):
        return v * 100
    if not isinstance(v, str):
        raise ValueError("un montant est attendu, par exemple \"2,10\".")
    try:
        return parse_amount(v, allow_zero=True, allow_negative=True)
    except AmountError as exc:
        raise ValueError(f"montant invalide « {v} » : {exc.message}") from None


def as_weekdays(v: Any) -> str:
    if not isinstance(v, str) or not v.strip():
        raise ValueError("jours attendus, par exemple \"lun mar jeu ven\".")
    digits: set[str] = set()
    for word in re.split(r"[\s,]+", v.strip().lower()):
        if word in WEEKDAY_WORDS:
            digits.add(str(WEEKDAY_WORDS.index(word) + 1))
        elif word in _WEEKDAY_NAMES:
            digits.add(str(_WEEKDAY_NAMES.index(word) + 1))
        else:
            raise ValueError(f"jour inconnu « {word} » (lun mar mer jeu ven sam dim).")
    return "".join(sorted(digits))


def as_deadline(v: Any) -> tuple[int, time]:
    m = _DEADLINE.match(v.strip()) if isinstance(v, str) else None
    if m is None:
        raise ValueError(f"délai invalide « {v} » (par exemple \"2 jours avant à 11:45\").")
    return int(m.group(1)), as_time(m.group(2))


def as_codes(v: Any) -> tuple[str, ...]:
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise ValueError("une liste de codes est attendue, par exemple [\"JFERRY\", \"PASTEUR\"].")
    return tuple(x.strip() for x in v)


def as_names(v: Any) -> tuple[str, ...]:
    if not isinstance(v, list) or not all(isinstance(x, str) and x.strip() for x in v):
        raise ValueError("une liste de noms est attendue, par exemple [\"CP\", \"CE1\"].")
    out = tuple(x.strip() for x in v)
    if any(len(x) > 20 for x in out):
        raise ValueError("un nom de classe a 20 caractères au plus.")
    return out


def as_email(v: Any) -> str | None:
    text = as_text(254)(v)
    if text is None:
        return None
    try:
        return str(clean_field(_EMAIL, text, date.today()).value)
    except FieldValueError as exc:
        raise ValueError(f"« {text} » : {exc.message}") from None


def as_choice(choices: dict[str, str]) -> Callable[[Any], str]:
    def convert(v: Any) -> str:
        if not isinstance(v, str) or v.strip().lower() not in choices:
            raise ValueError(f"« {v} » inconnu (valeurs possibles : {', '.join(sorted(set(choices) - {'période'}))}).")
        return choices[v.strip().lower()]
    return convert


def as_modes(v: Any) -> tuple[str, ...]:
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise ValueError("une liste de modes est attendue, par exemple [\"especes\", \"cheque\"].")
    unknown = [x for x in v if x not in PAYMENT_MODES]
    if unknown:
        raise ValueError(f"mode de paiement inconnu « {unknown[0]} »"
                         f" (modes possibles : {', '.join(PAYMENT_MODES)}).")
    return tuple(v)


# ----------------------------------------------------------------------- sections


def _regie(r: _Reader, data: Any) -> RegieSpec | None:
    t = r.table(data, "regie")
    if t is None:
        return None
    r.known(t, "regie", REGIE_KEYS)
    k = "regie"
    spec = RegieSpec(
        code=r.get(t, k, "code", as_text(20), required=True) or "",
        name=r.get(t, k, "nom", as_text(120), required=True) or "",
        address=r.get(t, k, "adresse", as_text(300)),
        regisseur_name=r.get(t, k, "regisseur", as_text(120)),
        email=r.get(t, k, "email", as_email),
        payment_modes=r.get(t, k, "modes_paiement", as_modes, required=True, default=()),
        cash_limit_cents=r.get(t, k, "plafond_especes", as_cents, default=30000),
        payfip_numcli=r.get(t, k, "payfip_numcli", as_text(20)),
        school_zone=r.get(t, k, "zone_vacances", as_choice({"a": "A", "b": "B", "c": "C"}),
                          default="A"),
        school_year_start=r.get(t, k, "rentree", as_date),
        attendance_deadline_days=r.get(t, k, "delai_pointage_jours", as_int(0, 365), default=7),
        justification_delay_days=r.get(t, k, "delai_justificatif_jours", as_int(0, 365), default=7),
        bill_first_sick_day=r.get(t, k, "facturer_premier_jour_maladie", as_bool, default=False),
    )
    if spec.cash_limit_cents <= 0:
        r.problem("regie.plafond_especes", "le plafond d'espèces doit être positif.")
    return spec


def _school(r: _Reader, code: str, data: Any) -> SchoolSpec | None:
    k = f"ecoles.{code}"
    t = r.table(data, k)
    if t is None:
        return None
    r.known(t, k, SCHOOL_KEYS)
    return SchoolSpec(
        code=code,
        name=r.get(t, k, "nom", as_text(120), required=True) or code,
        kitchen_email=r.get(t, k, "email_cuisine", as_email),
        classes=r.get(t, k, "classes", as_names, default=()),
        closed_from=r.get(t, k, "fermee_a_partir_du", as_date),
    )


def _rate(r: _Reader, key: str, data: Any) -> RateSpec | None:
    t = r.table(data, key)
    if t is None:
        return None
    r.known(t, key, RATE_KEYS)
    price = r.get(t, key, "prix", as_cents, required=True)
    start = r.get(t, key, "a_partir_du", as_date, required=True)
    no_quotient = r.get(t, key, "sans_quotient", as_bool, default=False)
    qf_min = r.get(t, key, "qf_min", as_int(0, 100_000), default=0)
    qf_max = r.get(t, key, "qf_max", as_int(0, 100_000))
    unit = r.get(t, key, "unite", as_choice(RATE_UNITS), default="day")
    if no_quotient and ("qf_min" in t or "qf_max" in t):
        r.problem(key, "un tarif sans quotient n'a ni qf_min ni qf_max.")
    if price is not None and price < 0:
        r.problem(f"{key}.prix", "prix négatif.")
    if start is None:
        return None
    # A bad price was reported; the bracket still counts for the checks between brackets.
    return RateSpec(valid_from=start, price_cents=price if price is not None else 0, qf_min=qf_min, qf_max=qf_max,
                    no_quotient=no_quotient, key=key, unit=unit)


def _activity(r: _Reader, code: str, data: Any) -> ActivitySpec | None:
    k = f"activites.{code}"
    t = r.table(data, k)
    if t is None:
        return None
    r.known(t, k, ACTIVITY_KEYS)
    deadline = r.get(t, k, "delai", as_deadline, default=(2, time(0, 0)))
    spec = ActivitySpec(
        code=code,
        label=r.get(t, k, "libelle", as_text(80), required=True) or code,
        letter=r.get(t, k, "lettre", as_text(1), required=True) or "",
        start_time=r.get(t, k, "debut", as_time, required=True, default=time(0, 0)),
        end_time=r.get(t, k, "fin", as_time, required=True, default=time(23, 59)),
        weekdays=r.get(t, k, "jours", as_weekdays, default="1245"),
        booking_unit=r.get(t, k, "inscription", as_choice(UNITS), default="day"),
        runs_on=r.get(t, k, "calendrier", as_choice(CALENDARS), default="school"),
        deadline_days=deadline[0],
        deadline_time=deadline[1],
        deadline_skip_weekends=r.get(t, k, "delai_sans_weekends", as_bool, default=False),
        deadline_skip_holidays=r.get(t, k, "delai_sans_feries", as_bool, default=False),
        horizon_days=r.get(t, k, "horizon_jours", as_int(1, 730), default=60),
        capacity=r.get(t, k, "capacite", as_int(0, 1_000_000)),
        waiting_list=r.get(t, k, "liste_attente", as_bool, default=True),
        exclusion_group=r.get(t, k, "groupe_exclusion", as_text(20)),
        combinable_in_group=r.get(t, k, "cumulable", as_bool, default=False),
        eligible_schools=r.get(t, k, "ecoles", as_codes),
        min_age=r.get(t, k, "age_min", as_int(0, 25)),
        max_age=r.get(t, k, "age_max", as_int(0, 25)),
        surcharge_cents=r.get(t, k, "supplement_sans_reservation", as_cents, default=0),
        serves_meal=r.get(t, k, "repas", as_bool, default=False),
        caf_declared=r.get(t, k, "declaree_caf", as_bool, default=False),
        closed_from=r.get(t, k, "fermee_a_partir_du", as_date),
    )
    rates = t.get("tarifs", [])
    if not isinstance(rates, list):
        r.problem(f"{k}.tarifs", "une liste de tarifs est attendue ([[activites.CODE.tarifs]]).")
        rates = []
    for i, item in enumerate(rates, start=1):
        rate = _rate(r, f"{k}.tarifs[{i}]", item)
        if rate is not None:
            spec.rates.append(rate)
    return spec


def _period(r: _Reader, key: str, data: Any) -> PeriodSpec | None:
    t = r.table(data, key)
    if t is None:
        return None
    r.known(t, key, PERIOD_KEYS)
    values = {
        "activity": r.get(t, key, "activite", as_text(20), required=True),
        "label": r.get(t, key, "libelle", as_text(120), required=True),
        "first_day": r.get(t, key, "du", as_date, required=True),
        "last_day": r.get(t, key, "au", as_date, required=True),
        "booking_opens": r.get(t, key, "inscriptions_du", as_date, required=True),
        "booking_closes": r.get(t, key, "inscriptions_au", as_date, required=True),
    }
    if any(v is None for v in values.values()):
        return None
    return PeriodSpec(**values, capacity=r.get(t, key, "capacite", as_int(0, 1_000_000)),
                      within=r.get(t, key, "dans", as_text(120)), key=key)


def _toml_problem(exc: tomllib.TOMLDecodeError) -> Problem:
    text = str(exc)
    m = re.search(r"\(at line (\d+), column \d+\)", text)
    line = int(m.group(1)) if m else None
    reason = re.sub(r"\s*\(at (?:line \d+, column \d+|end of document)\)", "", text)
    if "twice" in reason or "overwrite" in reason.lower():
        message = f"déclaré deux fois (code en double ?) — {reason}"
    else:
        message = f"syntaxe TOML invalide — {reason}"
    return Problem(line, "(fichier)", message)


def _coded(r: _Reader, data: dict[str, Any], section: str) -> list[tuple[str, Any]]:
    """The tables of a section keyed by code ([ecoles.CODE], [activites.CODE])."""
    tables = r.table(data.get(section, {}), section)
    if tables is None:
        return []
    out = []
    for code, item in tables.items():
        if _CODE.match(code):
            out.append((code, item))
        else:
            r.problem(f"{section}.{code}", "code invalide : 1 à 20 majuscules, chiffres ou _.")
    return out


def parse(text: str) -> tuple[SetupFile | None, list[Problem]]:
    """The file as typed values and every problem found (syntax, values, then the
    rules between values: see `checks.check_file`). None when nothing usable was read."""
    from portail_tui.services.regie_setup.checks import check_file

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return None, [_toml_problem(exc)]
    r = _Reader(key_lines(text))
    r.known(data, "", ("regie", "ecoles", "activites", "periodes"))
    if "regie" not in data:
        r.problem("regie", "la table [regie] manque.")
        return None, r.problems
    regie = _regie(r, data["regie"])
    if regie is None:
        return None, r.problems
    setup = SetupFile(regie=regie)
    for code, item in _coded(r, data, "ecoles"):
        school = _school(r, code, item)
        if school is not None:
            setup.schools.append(school)
    for code, item in _coded(r, data, "activites"):
        activity = _activity(r, code, item)
        if activity is not None:
            setup.activities.append(activity)
    periods = data.get("periodes", [])
    if not isinstance(periods, list):
        r.problem("periodes", "une liste de périodes est attendue ([[periodes]]).")
        periods = []
    for i, item in enumerate(periods, start=1):
        p = _period(r, f"periodes[{i}]", item)
        if p is not None:
            setup.periods.append(p)
    problems = r.problems + check_file(setup, r.line_of)
    problems.sort(key=lambda p: (p.line if p.line is not None else 10**9))
    return setup, problems


def check(text: str) -> list[Problem]:
    """Every problem of the file (empty: it can be applied)."""
    return parse(text)[1]
