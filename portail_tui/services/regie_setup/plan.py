"""What applying a set-up file changes (G1), and applying it: one walk over the file
and the rows, which either only records the changes (the plan, the dry run) or also
makes them. Walking once for both is what guarantees that `apply` does exactly what
the dry run printed.

Nothing a booking or a child points to is deleted (G4): the plan refuses it with the
count and says to close it from a date. A rate in force is never rewritten (G3, B1):
a new price is a new set of brackets from a start date, which closes the previous one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlmodel import Session, SQLModel, col

from portail_tui.domain.frdates import format_date_short
from portail_tui.models import (
    Activity,
    Attendance,
    Booking,
    Child,
    Family,
    FamilyMember,
    Period,
    Rate,
    Regie,
    School,
    SchoolClass,
    Slot,
)
from portail_tui.services import audit
from portail_tui.services.context import Context, ServiceError
from portail_tui.services.regie_setup.model import RATE_UNIT_NAMES, SetupFile, cents_text
from portail_tui.services.regie_setup.rows import (
    activity_values,
    class_values,
    period_values,
    rate_identity,
    rate_values,
    regie_values,
    school_values,
)

ADDED, CHANGED, UNCHANGED, REMOVED = "ajout", "modification", "inchangé", "suppression"
ACTIONS = (ADDED, CHANGED, REMOVED, UNCHANGED)
KINDS = ("régie", "école", "classe", "activité", "tarif", "période")
_AUDIT_ENTITY = {"régie": "regie", "école": "school", "classe": "school_class",
                 "activité": "activity", "tarif": "rate", "période": "period"}


# Columns as the set-up file names them, for the plan a person reads.
FILE_KEYS = {
    "code": "code", "name": "nom", "address": "adresse", "regisseur_name": "regisseur",
    "email": "email", "payment_modes": "modes_paiement", "cash_limit_cents": "plafond_especes",
    "payfip_numcli": "payfip_numcli", "school_zone": "zone_vacances", "school_year_start": "rentree",
    "attendance_deadline_days": "delai_pointage_jours",
    "justification_delay_days": "delai_justificatif_jours",
    "bill_first_sick_day": "facturer_premier_jour_maladie", "kitchen_email": "email_cuisine",
    "closed_from": "fermee_a_partir_du", "sort_order": "ordre", "label": "libelle",
    "letter": "lettre", "start_time": "debut", "end_time": "fin", "weekdays": "jours",
    "runs_on": "calendrier", "booking_unit": "inscription", "deadline_days": "delai (jours)",
    "deadline_time": "delai (heure)", "deadline_skip_weekends": "delai_sans_weekends",
    "deadline_skip_holidays": "delai_sans_feries", "horizon_days": "horizon_jours",
    "capacity": "capacite", "waiting_list": "liste_attente", "exclusion_group": "groupe_exclusion",
    "combinable_in_group": "cumulable", "eligible_schools": "ecoles", "min_age": "age_min",
    "max_age": "age_max", "surcharge_cents": "supplement_sans_reservation", "serves_meal": "repas",
    "caf_declared": "declaree_caf", "qf_max": "qf_max", "price_cents": "prix", "unit": "unite",
    "valid_to": "fin de validité", "first_day": "du", "last_day": "au",
    "booking_opens": "inscriptions_du", "booking_closes": "inscriptions_au", "parent_id": "dans",
}


@dataclass(frozen=True)
class Change:
    kind: str  # one of KINDS
    name: str
    action: str  # one of ACTIONS
    fields: tuple[tuple[str, str, str], ...] = ()  # (column, before, after) as text

    def line(self) -> str:
        text = f"{self.kind} {self.name}"
        if self.fields:
            text += " : " + ", ".join(f"{c} {b} → {a}" for c, b, a in self.fields)
        return text


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)

    def of(self, action: str) -> list[Change]:
        return [c for c in self.changes if c.action == action]

    @property
    def is_noop(self) -> bool:
        return all(c.action == UNCHANGED for c in self.changes)

    def lines(self) -> list[str]:
        """The plan as a person reads it: grouped by action, then by kind."""
        out: list[str] = []
        titles = {ADDED: "Ajouts", CHANGED: "Modifications", REMOVED: "Suppressions",
                  UNCHANGED: "Inchangés"}
        for action in ACTIONS:
            changes = self.of(action)
            out.append(f"{titles[action]} : {len(changes)}")
            if action == UNCHANGED:
                counts = {k: sum(c.kind == k for c in changes) for k in KINDS}
                out += [f"  {k} : {n}" for k, n in counts.items() if n]
                continue
            for kind in KINDS:
                out += [f"  {c.line()}" for c in changes if c.kind == kind]
        if self.refusals:
            out.append(f"Refus : {len(self.refusals)}")
            out += [f"  {r}" for r in self.refusals]
        return out


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, date):
        return format_date_short(value)
    if isinstance(value, time):
        return f"{value.hour:02d}:{value.minute:02d}"
    return str(value)


def _money_text(column: str, value: Any) -> str:
    if value is not None and column.endswith("_cents"):
        return cents_text(int(value))
    return _text(value)


def _diff(row: Any, values: dict[str, Any], skip: Sequence[str] = ()) -> tuple[tuple[str, str, str], ...]:
    out = []
    for column, new in values.items():
        if column in skip:
            continue
        old = getattr(row, column)
        if old != new:
            out.append((FILE_KEYS.get(column, column), _money_text(column, old), _money_text(column, new)))
    return tuple(out)


class _Walk:
    """One pass over the file and the régie's rows; `write` makes the changes too."""

    def __init__(self, session: Session, regie: Regie, setup: SetupFile, today: date,
                 write: bool, record: Callable[[Change, str, int | None], None]) -> None:
        self.s = session
        self.regie = regie
        self.rid = int(regie.id or 0)
        self.setup = setup
        self.today = today
        self.write = write
        self.record = record
        self.plan = Plan()

    def note(self, change: Change, entity_id: int | None = None) -> None:
        self.plan.changes.append(change)
        if self.write and change.action != UNCHANGED:
            self.record(change, _AUDIT_ENTITY[change.kind], entity_id)

    def refuse(self, message: str) -> None:
        self.plan.refusals.append(message)

    def count(self, stmt: Any) -> int:
        return int(self.s.execute(stmt).scalar_one())

    def upsert(self, kind: str, name: str, row: SQLModel | None, model: type[SQLModel],
               values: dict[str, Any], skip: Sequence[str] = ()) -> Any:
        """Add the row or change its differing columns; returns the row (or None in a dry
        run for a row that does not exist yet)."""
        if row is None:
            self.note(Change(kind, name, ADDED))
            if not self.write:
                return None
            row = model(**values)
            self.s.add(row)
            self.s.flush()
            return row
        fields = _diff(row, values, skip)
        self.note(Change(kind, name, CHANGED if fields else UNCHANGED, fields), getattr(row, "id", None))
        if self.write and fields:
            for column, value in values.items():
                setattr(row, column, value)
            self.s.add(row)
        return row

    # -------------------------------------------------------------------- sections

    def run(self) -> Plan:
        values = regie_values(self.setup.regie)
        fields = _diff(self.regie, values)
        self.note(Change("régie", self.regie.code, CHANGED if fields else UNCHANGED, fields), self.rid)
        if self.write and fields:
            for column, value in values.items():
                setattr(self.regie, column, value)
            self.s.add(self.regie)
        self.schools()
        self.activities()
        if self.write:
            self.s.flush()
        return self.plan

    def _children_of_regie(self) -> Any:
        return (select(col(FamilyMember.child_id)).join(Family, col(Family.id) == col(FamilyMember.family_id))
                .where(col(Family.regie_id) == self.rid))

    def schools(self) -> None:
        kept = {s.code: s for s in self.s.execute(select(School).where(col(School.regie_id) == self.rid)).scalars()}
        wanted = {spec.code for spec in self.setup.schools}
        rows = {code: row for code, row in kept.items() if code not in wanted}
        for code, row in rows.items():
            children = self.count(select(func.count()).select_from(Child).where(
                col(Child.school) == row.name, col(Child.id).in_(self._children_of_regie())))
            if children:
                self.refuse(f"{children} enfant(s) pointent vers l'école {code} : fermez-la à partir"
                            " d'une date (fermee_a_partir_du) au lieu de la retirer du fichier.")
                continue
            self.note(Change("école", code, REMOVED), row.id)
            if self.write:
                # Before the additions: a new code may take the removed school's name.
                self.s.execute(delete(SchoolClass).where(col(SchoolClass.school_id) == row.id))
                self.s.delete(row)
                self.s.flush()
        for i, spec in enumerate(self.setup.schools):
            row = kept.get(spec.code)
            old_name = row.name if row is not None else None
            row = self.upsert("école", spec.code, row, School, school_values(spec, self.rid, i))
            if self.write and old_name is not None and old_name != spec.name:
                # Children name their school: a renamed school keeps its children.
                self.s.execute(update(Child).where(col(Child.school) == old_name,
                                                   col(Child.id).in_(self._children_of_regie()))
                               .values(school=spec.name))
            # Children's rows carry the new name once written; in a dry run, still the old one.
            self.classes(spec.code, row, list(spec.classes),
                         spec.name if self.write else (old_name or spec.name))

    def classes(self, code: str, school: School | None, names: list[str], school_name: str) -> None:
        rows: dict[str, SchoolClass] = {}
        if school is not None and school.id is not None:
            rows = {c.name: c for c in self.s.execute(
                select(SchoolClass).where(col(SchoolClass.school_id) == school.id)).scalars()}
        sid = int(school.id) if school is not None and school.id is not None else 0
        for i, name in enumerate(names):
            self.upsert("classe", f"{code} / {name}", rows.pop(name, None), SchoolClass,
                        class_values(name, sid, i))
        for name, row in rows.items():
            children = self.count(select(func.count()).select_from(Child).where(
                col(Child.school) == school_name, col(Child.school_class) == name,
                col(Child.id).in_(self._children_of_regie())))
            if children:
                self.refuse(f"{children} enfant(s) sont dans la classe {name} de l'école {code} :"
                            " gardez-la dans le fichier.")
                continue
            self.note(Change("classe", f"{code} / {name}", REMOVED), row.id)
            if self.write:
                self.s.delete(row)

    def activities(self) -> None:
        rows = {a.code: a for a in self.s.execute(
            select(Activity).where(col(Activity.regie_id) == self.rid)).scalars()}
        for i, spec in enumerate(self.setup.activities):
            row = self.upsert("activité", spec.code, rows.pop(spec.code, None), Activity,
                              activity_values(spec, self.rid, i))
            aid = int(row.id) if row is not None else 0
            self.rates(spec.code, aid, rate_values(spec, aid))
            self.periods(spec.code, aid)
        for code, row in rows.items():
            self.remove_activity(code, row)

    def remove_activity(self, code: str, row: Activity) -> None:
        bookings = self.count(select(func.count()).select_from(Booking)
                              .where(col(Booking.activity_id) == row.id))
        marks = self.count(select(func.count()).select_from(Attendance)
                           .where(col(Attendance.activity_id) == row.id))
        if bookings or marks:
            self.refuse(f"{bookings:,} réservation(s) pointent vers {code} : fermez-la à partir"
                        " d'une date (fermee_a_partir_du) au lieu de la retirer du fichier."
                        .replace(",", "\u202f"))
            return
        self.note(Change("activité", code, REMOVED), row.id)
        for r in self.s.execute(select(Rate).where(col(Rate.activity_id) == row.id)).scalars():
            self.note(Change("tarif", _rate_name(code, r.valid_from, r.no_quotient, r.qf_min, r.qf_max, r.unit),
                             REMOVED), r.id)
        for p in self.s.execute(select(Period).where(col(Period.activity_id) == row.id)).scalars():
            self.note(Change("période", f"{code} / {p.label}", REMOVED), p.id)
        if self.write:
            self.s.execute(delete(Slot).where(col(Slot.activity_id) == row.id))
            self.s.execute(delete(Rate).where(col(Rate.activity_id) == row.id))
            self.s.execute(update(Period).where(col(Period.activity_id) == row.id).values(parent_id=None))
            self.s.execute(delete(Period).where(col(Period.activity_id) == row.id))
            self.s.delete(row)

    def rates(self, code: str, aid: int, wanted: list[dict[str, Any]]) -> None:
        rows: dict[tuple[str, date, bool, int], Rate] = {}
        if aid:
            for r in self.s.execute(select(Rate).where(col(Rate.activity_id) == aid)).scalars():
                rows[rate_identity({"unit": r.unit, "valid_from": r.valid_from, "no_quotient": r.no_quotient,
                                    "qf_min": r.qf_min})] = r
        for values in wanted:
            ident = rate_identity(values)
            name = _rate_name(code, values["valid_from"], values["no_quotient"], values["qf_min"],
                              values["qf_max"], values["unit"])
            row = rows.pop(ident, None)
            if row is not None and row.valid_from <= self.today:
                fixed = _diff(row, values, skip=("activity_id", "valid_to"))
                if fixed:
                    self.refuse(f"tarif {name} en vigueur depuis le {format_date_short(row.valid_from)} :"
                                " un nouveau prix s'écrit comme un nouveau tarif avec sa date de"
                                " début (a_partir_du), les réservations confirmées gardent leur prix.")
                    continue
            self.upsert("tarif", name, row, Rate, values, skip=("activity_id",))
        for row in rows.values():
            name = _rate_name(code, row.valid_from, row.no_quotient, row.qf_min, row.qf_max, row.unit)
            if row.valid_from <= self.today:
                self.refuse(f"tarif {name} déjà appliqué : il reste dans le fichier (un tarif"
                            " passé ne se supprime pas, un nouveau tarif le remplace à sa date).")
                continue
            self.note(Change("tarif", name, REMOVED), row.id)
            if self.write:
                self.s.delete(row)

    def periods(self, code: str, aid: int) -> None:
        rows: dict[str, Period] = {}
        if aid:
            rows = {p.label: p for p in self.s.execute(
                select(Period).where(col(Period.activity_id) == aid)).scalars()}
        specs = [p for p in self.setup.periods if p.activity == code]
        ids: dict[str, int | None] = {}
        # Whole holidays first, so that their weeks can point at them.
        for spec in sorted(specs, key=lambda p: p.within is not None):
            parent = ids.get(spec.within) if spec.within is not None else None
            row = rows.pop(spec.label, None)
            if spec.within is not None and parent is None and row is not None:
                parent = row.parent_id  # dry run: the parent is new, compare what we can
            row = self.upsert("période", f"{code} / {spec.label}", row, Period,
                              period_values(spec, aid, parent),
                              skip=("parent_id",) if not self.write and parent is None else ())
            ids[spec.label] = row.id if row is not None else None
        for label, row in sorted(rows.items(), key=lambda kv: kv[1].parent_id is None):
            bookings = self.count(select(func.count()).select_from(Booking)
                                  .where(col(Booking.period_id) == row.id))
            if bookings:
                self.refuse(f"{bookings} réservation(s) pointent vers la période {code} / {label} :"
                            " gardez-la dans le fichier.")
                continue
            self.note(Change("période", f"{code} / {label}", REMOVED), row.id)
            if self.write:
                self.s.execute(delete(Slot).where(col(Slot.period_id) == row.id))
                self.s.execute(update(Period).where(col(Period.parent_id) == row.id).values(parent_id=None))
                self.s.delete(row)


def _rate_name(code: str, start: date, no_quotient: bool, qf_min: int, qf_max: int | None,
               unit: str = "day") -> str:
    bracket = "sans quotient" if no_quotient else (
        f"QF {qf_min}+" if qf_max is None else f"QF {qf_min}–{qf_max}")
    per = f" {RATE_UNIT_NAMES[unit]}" if unit != "day" else ""
    return f"{code}{per} {bracket} dès le {format_date_short(start)}"


def the_regie(session: Session, ctx: Context) -> Regie:
    """The régie being set up: the agent's, else the only one of the database."""
    if ctx.actor is not None:
        regie = session.get(Regie, ctx.actor.regie_id)
        if regie is None:
            raise ServiceError("Régie introuvable.")
        return regie
    regies: list[Regie] = list(session.execute(select(Regie)).scalars())
    if not regies:
        raise ServiceError("Aucune régie dans la base : lancez d'abord « portail regie init ».")
    if len(regies) > 1:
        raise ServiceError("La base contient plusieurs régies : connectez-vous à la vôtre.")
    return regies[0]


def plan(session: Session, regie: Regie, setup: SetupFile, today: date) -> Plan:
    """What applying `setup` would change, without changing anything."""
    return _Walk(session, regie, setup, today, False, lambda *_: None).run()


def apply(ctx: Context, setup: SetupFile, *, dry_run: bool = False) -> Plan:
    """Apply the file in one transaction, audited, or only plan it (`dry_run`). Refused
    whole (ServiceError listing every refusal) when something cannot be removed or a
    rate in force would be rewritten."""
    if ctx.actor is not None and ctx.actor.role not in ("regisseur", "admin"):
        from portail_tui.services.context import PermissionDenied

        raise PermissionDenied("Le paramétrage de la régie est réservé au régisseur et à l'administrateur.")
    at = ctx.clock.now()
    today = ctx.clock.today()

    def work(session: Session) -> Plan:
        regie = the_regie(session, ctx)
        planned = plan(session, regie, setup, today)
        if planned.refusals:
            raise ServiceError("Fichier refusé, rien n'a été modifié :\n"
                               + "\n".join(f"- {r}" for r in planned.refusals))
        if dry_run or planned.is_noop:
            return planned

        def record(change: Change, entity: str, entity_id: int | None) -> None:
            audit.record(session, at=at, actor=ctx.actor_tag, action="regie.setup", entity=entity,
                         entity_id=entity_id, change=change.action, name=change.name,
                         fields=[list(f) for f in change.fields])

        return _Walk(session, regie, setup, today, True, record).run()

    if dry_run:
        return ctx.db.read(work)
    return ctx.db.write(work)
