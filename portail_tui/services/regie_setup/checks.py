"""The rules between values of the set-up file (G1–G3): brackets that overlap or leave
a gap, a school or an activity named but not described, a letter used twice, a booking
window closing after the period starts… Values themselves were checked while reading
(parse.py); these need the whole file."""

from __future__ import annotations

from collections.abc import Callable
from itertools import groupby

from portail_tui.domain.frdates import format_date_short
from portail_tui.services.regie_setup.model import (
    RATE_UNIT_NAMES,
    ActivitySpec,
    Problem,
    RateSpec,
    SetupFile,
)

LineOf = Callable[[str], "int | None"]


class _Problems:
    def __init__(self, line_of: LineOf) -> None:
        self.line_of = line_of
        self.items: list[Problem] = []

    def add(self, key: str, message: str) -> None:
        self.items.append(Problem(self.line_of(key), key, message))


def _check_generation(out: _Problems, act: ActivitySpec, rates: list[RateSpec]) -> None:
    """One set of brackets of one unit starting the same day must cover every quotient
    once (day, week and whole-period prices are separate sets)."""
    start = format_date_short(rates[0].valid_from)
    what = "tranches"
    if rates[0].unit != "day":
        start += f" (tarifs {RATE_UNIT_NAMES[rates[0].unit]})"
        what += f" {RATE_UNIT_NAMES[rates[0].unit]}"
    unknown = [r for r in rates if r.no_quotient]
    for extra in unknown[1:]:
        out.add(extra.key, f"deux tarifs sans quotient à partir du {start}.")
    brackets = sorted((r for r in rates if not r.no_quotient), key=lambda r: r.qf_min)
    if not brackets:
        out.add(unknown[0].key, f"aucune tranche de quotient à partir du {start}.")
        return
    for r in brackets:
        if r.qf_max is not None and r.qf_max < r.qf_min:
            out.add(f"{r.key}.qf_max", f"qf_max ({r.qf_max}) inférieur à qf_min ({r.qf_min}).")
    first = brackets[0]
    if first.qf_min != 0:
        out.add(f"{first.key}.qf_min",
                f"trou dans les {what} : aucun tarif pour un quotient de 0 à {first.qf_min - 1}.")
    for prev, cur in zip(brackets, brackets[1:], strict=False):
        if prev.qf_max is None or cur.qf_min <= prev.qf_max:
            if cur.qf_min == prev.qf_min:
                out.add(f"{cur.key}.qf_min",
                        f"deux tranches commencent à {cur.qf_min} à partir du {start}.")
            else:
                upto = "sans plafond" if prev.qf_max is None else f"jusqu'à {prev.qf_max}"
                out.add(f"{cur.key}.qf_min",
                        f"{what} qui se chevauchent : {cur.qf_min} est déjà dans la tranche"
                        f" {prev.qf_min} {upto} ({prev.key}).")
        elif cur.qf_min > prev.qf_max + 1:
            out.add(f"{cur.key}.qf_min",
                    f"trou dans les {what} : aucun tarif pour un quotient de {prev.qf_max + 1}"
                    f" à {cur.qf_min - 1}.")
    last = brackets[-1]
    if last.qf_max is not None:
        out.add(f"{last.key}.qf_max",
                f"trou dans les {what} : aucun tarif au-delà de {last.qf_max}"
                " (la dernière tranche n'a pas de qf_max).")


def _check_activity(out: _Problems, act: ActivitySpec, schools: set[str]) -> None:
    k = f"activites.{act.code}"
    if act.end_time <= act.start_time:
        out.add(f"{k}.fin", "l'heure de fin doit suivre l'heure de début.")
    if act.min_age is not None and act.max_age is not None and act.min_age > act.max_age:
        out.add(f"{k}.age_min", f"âge minimum ({act.min_age}) supérieur à l'âge maximum ({act.max_age}).")
    for code in act.eligible_schools or ():
        if code not in schools:
            out.add(f"{k}.ecoles", f"école inconnue « {code} » (décrivez-la dans [ecoles.{code}]).")
    if act.surcharge_cents < 0:
        out.add(f"{k}.supplement_sans_reservation", "supplément négatif.")
    if act.combinable_in_group and act.exclusion_group is None:
        out.add(f"{k}.cumulable", "cumulable n'a de sens qu'avec un groupe_exclusion.")
    if not act.rates:
        out.add(k, "aucun tarif : ajoutez au moins un [[activites."
                   f"{act.code}.tarifs]].")
    seen: dict[tuple[object, ...], RateSpec] = {}
    for r in act.rates:
        if r.identity() in seen:
            out.add(r.key, f"tarif en double (déjà {seen[r.identity()].key}).")
        seen.setdefault(r.identity(), r)
        if r.unit != "day" and act.booking_unit != "period":
            out.add(f"{r.key}.unite", f"un tarif {RATE_UNIT_NAMES[r.unit]} ne va qu'avec une activité"
                                      " réservée par période (inscription = \"periode\").")
    by_start = sorted(act.rates, key=lambda r: (r.unit, r.valid_from))
    for _start, group in groupby(by_start, key=lambda r: (r.unit, r.valid_from)):
        _check_generation(out, act, list(group))


def check_file(setup: SetupFile, line_of: LineOf) -> list[Problem]:
    """Every problem between values of the file."""
    out = _Problems(line_of)
    names: dict[str, str] = {}
    for s in setup.schools:
        if s.name.lower() in names:
            out.add(f"ecoles.{s.code}.nom", f"nom d'école déjà utilisé par {names[s.name.lower()]}.")
        names.setdefault(s.name.lower(), s.code)
        seen: set[str] = set()
        for c in s.classes:
            if c.lower() in seen:
                out.add(f"ecoles.{s.code}.classes", f"classe « {c} » en double.")
            seen.add(c.lower())
    schools = {s.code for s in setup.schools}
    letters: dict[str, str] = {}
    for act in setup.activities:
        if act.letter:
            if act.letter.upper() in letters:
                out.add(f"activites.{act.code}.lettre",
                        f"lettre « {act.letter} » déjà utilisée par {letters[act.letter.upper()]}.")
            letters.setdefault(act.letter.upper(), act.code)
        _check_activity(out, act, schools)
    _check_periods(out, setup)
    return out.items


def _check_periods(out: _Problems, setup: SetupFile) -> None:
    activities = {a.code: a for a in setup.activities}
    labels: dict[tuple[str, str], str] = {}
    for p in setup.periods:
        k = p.key
        act = activities.get(p.activity)
        if act is None:
            out.add(f"{k}.activite", f"activité inconnue « {p.activity} » (décrivez-la dans"
                                     f" [activites.{p.activity}]).")
        elif act.booking_unit != "period":
            out.add(f"{k}.activite", f"{p.activity} se réserve à la journée, pas par période.")
        if p.last_day < p.first_day:
            out.add(f"{k}.au", "la période finit avant de commencer.")
        if p.booking_closes < p.booking_opens:
            out.add(f"{k}.inscriptions_au", "la fenêtre d'inscription se ferme avant de s'ouvrir.")
        if p.booking_closes > p.first_day:
            out.add(f"{k}.inscriptions_au",
                    f"la fenêtre d'inscription se ferme le {format_date_short(p.booking_closes)},"
                    f" après le premier jour de la période ({format_date_short(p.first_day)}).")
        ident = (p.activity, p.label.lower())
        if ident in labels:
            out.add(f"{k}.libelle", f"période « {p.label} » en double (déjà {labels[ident]}).")
        labels.setdefault(ident, k)
    by_label = {(p.activity, p.label.lower()): p for p in setup.periods}
    for p in setup.periods:
        if p.within is None:
            continue
        parent = by_label.get((p.activity, p.within.lower()))
        if parent is None or parent is p:
            out.add(f"{p.key}.dans", f"période « {p.within} » inconnue pour {p.activity}.")
        elif parent.within is not None:
            out.add(f"{p.key}.dans", f"« {p.within} » est elle-même dans une autre période.")
        elif not (parent.first_day <= p.first_day and p.last_day <= parent.last_day):
            out.add(f"{p.key}.du", f"la semaine déborde de la période « {parent.label} ».")
