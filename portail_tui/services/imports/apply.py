"""Writing the families of an import into the database (G8): what the database already
holds is read once into dicts, each family of the file is compared with it (new,
changed or unchanged), and the new ones go in with bulk inserts in the caller's one
transaction — 20,000 families must take seconds, not the minutes one ORM object per
row would."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Table, func, select
from sqlmodel import Session, col

from portail_tui.domain import forms as F
from portail_tui.domain.text import search_fold
from portail_tui.models import (
    AuditLog,
    Child,
    Contact,
    Family,
    FamilyMember,
    Form,
    Guardian,
    School,
    SchoolClass,
    table_of,
)
from portail_tui.services import audit
from portail_tui.services.bulk_insert import allocate_ids, insert_rows
from portail_tui.services.dossier import ensure_forms
from portail_tui.services.families import build_search_text, refresh_search_text
from portail_tui.services.imports.rows import ChildIn, FamilyIn, Schools, child_identity

FAMILY_COLUMNS = ("allocataire_type", "allocataire_number", "quotient", "quotient_valid_from",
                  "quotient_valid_to")
CHILD_COLUMNS = ("last_name", "first_name", "birth_date", "sex", "school", "school_class", "meal_type")
SHARED_RESIDENCE = "Alternée"


def load_schools(session: Session, regie_id: int) -> Schools:
    """The régie's schools, found by name or by code as a town's file may give either."""
    names: dict[str, str] = {}
    by_id: dict[int, str] = {}
    for school in session.execute(select(School).where(col(School.regie_id) == regie_id)).scalars():
        names[search_fold(school.name)] = school.name
        names[search_fold(school.code)] = school.name
        if school.id is not None:
            by_id[school.id] = school.name
    classes: dict[str, dict[str, str]] = {}
    if by_id:
        for school_id, name in session.execute(
            select(col(SchoolClass.school_id), col(SchoolClass.name)).where(col(SchoolClass.school_id).in_(by_id))
        ).all():
            classes.setdefault(by_id[school_id], {})[search_fold(name)] = name
    return Schools(names, classes)


@dataclass
class Known:
    """What the database holds about the families the file may name, as plain rows
    (attribute access like the models; an ORM object each would cost seconds on a
    town): families by reference, guardians by (family id, rank), each family's
    children with their identity, contacts by family."""

    families: dict[str, Any]
    guardians: dict[tuple[int, int], Any]
    children: dict[int, list[tuple[tuple[str, str, date | None], Any]]]
    contacts: dict[int, list[Any]]
    last_number: int
    child_refs: dict[str, int] = field(default_factory=dict)  # child reference -> child id


def load_references(session: Session, regie_id: int) -> set[str]:
    return {r for r in session.execute(select(col(Family.reference)).where(
        col(Family.regie_id) == regie_id, col(Family.reference).is_not(None))).scalars() if r}


def load_known(session: Session, regie_id: int) -> Known:
    family, guardian, child = table_of(Family), table_of(Guardian), table_of(Child)
    member, contact = table_of(FamilyMember), table_of(Contact)
    families = {f.reference: f for f in session.execute(
        select(family).where(family.c.regie_id == regie_id, family.c.reference.is_not(None))).all()}
    last = session.execute(select(func.max(col(Family.number))).where(col(Family.regie_id) == regie_id)).scalar()
    known = Known(families, {}, {}, {}, int(last or 0))
    if not families:
        return known
    in_regie = select(family.c.id).where(family.c.regie_id == regie_id)
    for g in session.execute(select(guardian).where(guardian.c.family_id.in_(in_regie))).all():
        known.guardians[(g.family_id, g.rank)] = g
    for c in session.execute(
        select(member.c.family_id.label("member_family_id"), *child.c)
        .join(child, child.c.id == member.c.child_id).where(member.c.family_id.in_(in_regie))
    ).all():
        identity = child_identity(c.last_name, c.first_name, c.birth_date)
        known.children.setdefault(c.member_family_id, []).append((identity, c))
        if c.reference:
            known.child_refs[c.reference] = c.id
    for c in session.execute(select(contact).where(contact.c.family_id.in_(in_regie))).all():
        known.contacts.setdefault(c.family_id, []).append(c)
    return known


def _family_columns(fi: FamilyIn) -> dict[str, Any]:
    g1 = fi.guardians[1]
    values = {name: fi.family.get(name) for name in FAMILY_COLUMNS}
    values["name"] = g1["last_name"]
    values["email"] = g1.get("email")
    return values


def _changed(obj: object, values: dict[str, Any]) -> list[str]:
    return [name for name, value in values.items() if getattr(obj, name) != value]


@dataclass
class Plan:
    """The import's outcome before anything is written: `dry_run` shows it as is."""

    new: list[FamilyIn] = field(default_factory=list)
    changed: list[tuple[FamilyIn, Any, list[str]]] = field(default_factory=list)  # with the family's row
    unchanged: int = 0
    child_ids: dict[str, int] = field(default_factory=dict)  # child key -> existing child id
    children_added: int = 0


def _child_values(child: ChildIn) -> dict[str, Any]:
    """The child's columns the file gives (its reference only when it has one)."""
    values = {k: child.values.get(k) for k in CHILD_COLUMNS}
    if child.reference:
        values["reference"] = child.reference
    return values


def _match_child(known: Known, family_id: int, child: ChildIn) -> Any | None:
    """The family's child the row is about: by reference, else by names and birth date."""
    children = known.children.get(family_id, [])
    if child.reference:
        for _identity, existing in children:
            if existing.reference == child.reference:
                return existing
    identity = child.identity
    for known_identity, existing in children:
        if known_identity == identity:
            return existing
    return None


def _contact_changes(known: Known, family_id: int, fi: FamilyIn, child_id_of: dict[str, int]) -> list[str]:
    have = {(c.child_id, search_fold(c.name)): c for c in known.contacts.get(family_id, [])}
    out = []
    for key, values in fi.contacts:
        existing = have.get((child_id_of.get(key), search_fold(values["name"])))
        if existing is None or _changed(existing, values):
            out.append(f"contact {values['name']}")
    return out


def plan(families: Sequence[FamilyIn], known: Known) -> Plan:
    """Which families are new, which changed (and how), which are as the file says."""
    result = Plan()
    for fi in families:
        existing = known.families.get(fi.reference)
        if existing is None:
            result.new.append(fi)
            continue
        fid: int = existing.id
        changes = [f"famille.{n}" for n in _changed(existing, _family_columns(fi))]
        for rank, values in fi.guardians.items():
            guardian = known.guardians.get((fid, rank))
            if guardian is None:
                changes.append(f"responsable {rank}")
            else:
                changes += [f"responsable {rank}.{n}" for n in _changed(guardian, values)]
        own: dict[str, int] = {}
        for child in fi.children:
            match = _match_child(known, fid, child)
            if match is None:
                changes.append(f"enfant {child.values['first_name']}")
                continue
            own[child.key] = match.id
            result.child_ids.setdefault(child.key, match.id)
            changes += [f"enfant {child.values['first_name']}.{n}"
                        for n in _changed(match, _child_values(child))]
        changes += _contact_changes(known, fid, fi, own)
        if changes:
            result.changed.append((fi, existing, changes))
        else:
            result.unchanged += 1
    for fi in families:  # a child of a family already here, named again by its reference elsewhere
        for child in fi.children:
            if child.reference and child.reference in known.child_refs:
                result.child_ids.setdefault(child.key, known.child_refs[child.reference])
    new_keys = {c.key for fi in result.new for c in fi.children}
    new_keys |= {c.key for fi, _, _ in result.changed for c in fi.children}
    result.children_added = len(new_keys - set(result.child_ids))
    return result


# --- writing ------------------------------------------------------------------------------

def _insert_ids(session: Session, table: Table, rows: list[dict[str, Any]]) -> list[int]:
    """Insert `rows` and return their ids, in order."""
    ids = allocate_ids(session, table, len(rows))
    insert_rows(session, table, [{"id": i, **row} for i, row in zip(ids, rows, strict=True)])
    return ids


def _guardian_row(family_id: int, rank: int, values: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {name: None for name in ("address_complement", "street_number", "street_name", "locality",
                                   "postal_code", "city", "phone_home", "phone_mobile", "phone_work", "email")}
    row.update(values)
    row.update(family_id=family_id, rank=rank, civility=values.get("civility") or "")
    return row


@dataclass
class Written:
    added: int = 0
    updated: int = 0
    children: int = 0
    forms: int = 0
    contacts: int = 0
    family_ids: dict[str, int] = field(default_factory=dict)  # reference -> id of every family of the file


def write(session: Session, regie_id: int, the_plan: Plan, known: Known, *, now: datetime,
          actor: str, shared: set[str]) -> Written:
    """Everything the plan says, in the caller's transaction. `shared`: the child keys
    that more than one family of the file names (shared custody: one Child, two links)."""
    out = Written()
    child_ids = dict(the_plan.child_ids)
    # New children first (bulk), whoever their families are.
    pending: dict[str, ChildIn] = {}
    for fi in the_plan.new + [fi for fi, _, _ in the_plan.changed]:
        for child in fi.children:
            if child.key not in child_ids and child.key not in pending:
                pending[child.key] = child
    new_children = [{**{k: c.values.get(k) for k in CHILD_COLUMNS}, "reference": c.reference, "created_at": now}
                    for c in pending.values()]
    for key, cid in zip(pending, _insert_ids(session, table_of(Child), new_children), strict=True):
        child_ids[key] = cid
    out.children = len(pending)
    insert_rows(session, table_of(Form), [
        {"child_id": child_ids[key], "kind": kind, "status": F.A_SAISIR, "data": "{}", "updated_at": now,
         "updated_by": actor} for key in pending for kind in F.KINDS])
    out.forms = len(pending) * len(F.KINDS)
    # New families.
    number = known.last_number
    family_rows: list[dict[str, Any]] = []
    for fi in the_plan.new:
        number += 1
        values = _family_columns(fi)
        # The search words as families.py writes them, from plain records: one ORM
        # object per family, guardian and child would cost more than the whole insert.
        guardians = [cast(Guardian, SimpleNamespace(**_guardian_row(0, rank, g))) for rank, g in fi.guardians.items()]
        kids = [cast(Child, SimpleNamespace(**c.values)) for c in fi.children]
        family = cast(Family, SimpleNamespace(number=number, **values))
        family_rows.append({**values, "regie_id": regie_id, "number": number, "reference": fi.reference,
                            "search_text": build_search_text(family, guardians, kids),
                            "created_at": now, "updated_at": now})
    ids = _insert_ids(session, table_of(Family), family_rows)
    out.added = len(ids)
    guardian_rows, member_rows, contact_rows, audit_rows = [], [], [], []
    for fi, fid in zip(the_plan.new, ids, strict=True):
        out.family_ids[fi.reference] = fid
        guardian_rows += [_guardian_row(fid, rank, g) for rank, g in fi.guardians.items()]
        member_rows += [_member_row(fid, child_ids[c.key], c.key in shared) for c in fi.children]
        contact_rows += [_contact_row(fid, child_ids[key], values) for key, values in fi.contacts]
        audit_rows.append(audit.row(at=now, actor=actor, action="family.import", entity="family", entity_id=fid,
                                    family_id=fid, reference=fi.reference))
    insert_rows(session, table_of(Guardian), guardian_rows)
    insert_rows(session, table_of(FamilyMember), member_rows)
    insert_rows(session, table_of(Contact), contact_rows)
    out.contacts = len(contact_rows)
    insert_rows(session, table_of(AuditLog), audit_rows)  # audit.row's format, copied in bulk
    # Changed families: few, through the ORM, each change audited.
    for fi, row, changes in the_plan.changed:
        _update(session, fi, row.id, known, child_ids, shared, now=now)
        out.updated += 1
        audit.record(session, at=now, actor=actor, action="family.import_update", entity="family",
                     entity_id=row.id, family_id=row.id, reference=fi.reference, changes=changes)
    for ref, row in known.families.items():
        out.family_ids.setdefault(ref, row.id)
    return out


def _member_row(family_id: int, child_id: int, shared: bool) -> dict[str, Any]:
    return {"family_id": family_id, "child_id": child_id, "relationship": "Parents", "parents_situation": None,
            "emergency_contact": True, "residence": SHARED_RESIDENCE if shared else None,
            "parental_authority": True, "caf_affiliation": True}


def _contact_row(family_id: int, child_id: int, values: dict[str, Any]) -> dict[str, Any]:
    return {"family_id": family_id, "child_id": child_id, "name": values["name"], "phone": values["phone"],
            "relationship": values.get("relationship"), "may_pick_up": bool(values.get("may_pick_up")),
            "emergency": True}


def _update(session: Session, fi: FamilyIn, fid: int, known: Known, child_ids: dict[str, int],
            shared: set[str], *, now: datetime) -> None:
    """One changed family, through the ORM (a handful per import, each audited)."""
    family = session.get(Family, fid)
    assert family is not None
    for name, value in _family_columns(fi).items():
        setattr(family, name, value)
    family.updated_at = now
    session.add(family)
    guardians = {g.rank: g for g in session.execute(select(Guardian).where(col(Guardian.family_id) == fid)).scalars()}
    for rank, values in fi.guardians.items():
        guardian = guardians.get(rank)
        if guardian is None:
            guardian = Guardian(**_guardian_row(fid, rank, values))
        else:
            for name, value in values.items():
                setattr(guardian, name, value)
            guardian.civility = values.get("civility") or ""
        session.add(guardian)
    linked = {c.id for _identity, c in known.children.get(fid, [])}
    for child in fi.children:
        cid = child_ids[child.key]
        match = session.get(Child, cid)
        if match is not None:
            for name, value in _child_values(child).items():
                setattr(match, name, value)
            session.add(match)
        if cid not in linked:
            session.add(FamilyMember(**_member_row(fid, cid, child.key in shared)))
            ensure_forms(session, cid, now)
    have = {(c.child_id, search_fold(c.name)): c
            for c in session.execute(select(Contact).where(col(Contact.family_id) == fid)).scalars()}
    for key, values in fi.contacts:
        contact = have.get((child_ids[key], search_fold(values["name"])))
        if contact is None:
            session.add(Contact(**_contact_row(fid, child_ids[key], values)))
        else:
            for name, value in _contact_row(fid, child_ids[key], values).items():
                setattr(contact, name, value)
            session.add(contact)
    session.flush()
    refresh_search_text(session, fid)
