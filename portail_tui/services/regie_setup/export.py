"""The régie's current set-up written back as a set-up file (G1), with tomlkit so the
file carries comments a régisseur can follow. What `export` writes, `parse` reads back
to the same values, so export → apply changes nothing."""

from __future__ import annotations

from typing import Any

import tomlkit
from sqlalchemy import select
from sqlmodel import Session, col
from tomlkit.items import AoT, Table

from portail_tui.models import Activity, Period, Rate, Regie, School, SchoolClass
from portail_tui.services.regie_setup.model import (
    RATE_UNIT_WORDS,
    cents_text,
    deadline_text,
    hm,
    weekdays_text,
)

HEADER = """\
Paramétrage de la régie : identité, écoles, activités, tarifs et périodes.
Vérifier : portail regie check FICHIER — appliquer : portail regie apply FICHIER --dry-run, puis
sans --dry-run. Les montants sont en euros, entre guillemets, avec une virgule : "2,10".
Les dates s'écrivent 2026-09-01. Rien de ce que des réservations utilisent ne se supprime :
fermez-le à partir d'une date (fermee_a_partir_du)."""


def _put(table: Any, key: str, value: Any) -> None:
    if value is not None:
        table.add(key, value)


def regie_table(regie: Regie) -> Table:
    t = tomlkit.table()
    t.add("code", regie.code)
    t.add("nom", regie.name)
    _put(t, "adresse", regie.address)
    if regie.regisseur_name is not None:
        t.add("regisseur", regie.regisseur_name)
        t["regisseur"].comment("imprimé sur les reçus et le journal de caisse")
    _put(t, "email", regie.email)
    t.add("modes_paiement", [m for m in regie.payment_modes.split(",") if m])
    t.add("plafond_especes", cents_text(regie.cash_limit_cents))
    _put(t, "payfip_numcli", regie.payfip_numcli)
    t.add("zone_vacances", regie.school_zone)
    _put(t, "rentree", regie.school_year_start)
    t.add("delai_pointage_jours", regie.attendance_deadline_days)
    t.add("delai_justificatif_jours", regie.justification_delay_days)
    t.add("facturer_premier_jour_maladie", regie.bill_first_sick_day)
    return t


def school_table(school: School, classes: list[str]) -> Table:
    t = tomlkit.table()
    t.add("nom", school.name)
    _put(t, "email_cuisine", school.kitchen_email)
    t.add("classes", classes)
    _put(t, "fermee_a_partir_du", school.closed_from)
    return t


def activity_table(a: Activity, rates: list[Rate]) -> Table:
    t = tomlkit.table()
    t.add("libelle", a.label)
    t.add("lettre", a.letter)
    t.add("inscription", "periode" if a.booking_unit == "period" else "jour")
    t.add("calendrier", "vacances" if a.runs_on == "holidays" else "scolaire")
    t.add("jours", weekdays_text(a.weekdays))
    t.add("debut", hm(a.start_time))
    t.add("fin", hm(a.end_time))
    t.add("delai", deadline_text(a.deadline_days, a.deadline_time))
    t.add("delai_sans_weekends", a.deadline_skip_weekends)
    t.add("delai_sans_feries", a.deadline_skip_holidays)
    t.add("horizon_jours", a.horizon_days)
    _put(t, "capacite", a.capacity)
    t.add("liste_attente", a.waiting_list)
    _put(t, "groupe_exclusion", a.exclusion_group)
    if a.exclusion_group is not None:
        t.add("cumulable", a.combinable_in_group)
    if a.eligible_schools is not None:
        t.add("ecoles", [c for c in a.eligible_schools.split(",") if c])
    _put(t, "age_min", a.min_age)
    _put(t, "age_max", a.max_age)
    t.add("supplement_sans_reservation", cents_text(a.surcharge_cents))
    t.add("repas", a.serves_meal)
    t.add("declaree_caf", a.caf_declared)
    _put(t, "fermee_a_partir_du", a.closed_from)
    aot = AoT([])
    for r in rates:
        rt = tomlkit.table()
        rt.add("a_partir_du", r.valid_from)
        if r.unit != "day":
            rt.add("unite", RATE_UNIT_WORDS[r.unit])
            rt["unite"].comment("prix fixe de la semaine" if r.unit == "week" else "prix fixe de la période entière")
        if r.no_quotient:
            rt.add("sans_quotient", True)
        else:
            rt.add("qf_min", r.qf_min)
            _put(rt, "qf_max", r.qf_max)
        rt.add("prix", cents_text(r.price_cents))
        aot.append(rt)
    if rates:
        t.add("tarifs", aot)
    return t


def period_table(p: Period, activity_code: str, parent_label: str | None) -> Table:
    t = tomlkit.table()
    t.add("activite", activity_code)
    t.add("libelle", p.label)
    t.add("du", p.first_day)
    t.add("au", p.last_day)
    t.add("inscriptions_du", p.booking_opens)
    t.add("inscriptions_au", p.booking_closes)
    _put(t, "capacite", p.capacity)
    _put(t, "dans", parent_label)
    return t


def export(session: Session, regie: Regie) -> str:
    """The régie's set-up as the text of a set-up file."""
    doc = tomlkit.document()
    for line in HEADER.splitlines():
        doc.add(tomlkit.comment(line))
    doc.add(tomlkit.nl())
    doc.add("regie", regie_table(regie))
    schools = list(session.execute(select(School).where(col(School.regie_id) == regie.id)
                                   .order_by(col(School.sort_order), col(School.id))).scalars())
    if schools:
        ecoles = tomlkit.table(is_super_table=True)
        for s in schools:
            classes = [c.name for c in session.execute(
                select(SchoolClass).where(col(SchoolClass.school_id) == s.id)
                .order_by(col(SchoolClass.sort_order), col(SchoolClass.id))).scalars()]
            ecoles.add(s.code, school_table(s, classes))
        doc.add("ecoles", ecoles)
    activities = list(session.execute(select(Activity).where(col(Activity.regie_id) == regie.id)
                                      .order_by(col(Activity.sort_order), col(Activity.id))).scalars())
    codes = {int(a.id or 0): a.code for a in activities}
    if activities:
        acts = tomlkit.table(is_super_table=True)
        for a in activities:
            # Day prices first, then week, then whole-holiday ones, as the example file.
            rates = sorted(session.execute(select(Rate).where(col(Rate.activity_id) == a.id)).scalars(),
                           key=lambda r: (list(RATE_UNIT_WORDS).index(r.unit), r.valid_from, r.no_quotient,
                                          r.qf_min))
            acts.add(a.code, activity_table(a, rates))
        doc.add("activites", acts)
    periods = list(session.execute(
        select(Period).where(col(Period.activity_id).in_(list(codes)))
        .order_by(col(Period.activity_id), col(Period.first_day), col(Period.parent_id).is_not(None),
                  col(Period.id))).scalars())
    labels = {int(p.id or 0): p.label for p in periods}
    if periods:
        aot = AoT([])
        for p in periods:
            parent = labels.get(p.parent_id) if p.parent_id is not None else None
            aot.append(period_table(p, codes[p.activity_id], parent))
        doc.add("periodes", aot)
    return tomlkit.dumps(doc)
