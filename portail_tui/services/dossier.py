"""Dossier famille (R11): fiche responsable, second guardian, children and their links
(rattachement), contacts, and the right-of-access export (B6).

Inputs arrive as the text typed in a screen (a mapping field name -> text); every
check lives in the field definitions of `domain.forms`, so a refusal names the field
it is about (`InvalidFields.errors`) and nothing is half-saved. Every change is
audited (B5) with the fields it changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlmodel import Session, col

from portail_tui.domain import forms as F
from portail_tui.domain.text import escape_like, normalize
from portail_tui.models import (
    Child,
    Contact,
    Family,
    FamilyMember,
    Form,
    Guardian,
    id_of,
)
from portail_tui.services import audit, permissions
from portail_tui.services.context import Context, ServiceError
from portail_tui.services.dossier_contacts import add_contact as add_contact
from portail_tui.services.dossier_contacts import remove_contact as remove_contact
from portail_tui.services.dossier_contacts import update_contact as update_contact
from portail_tui.services.dossier_export import export_family as export_family
from portail_tui.services.dossier_export import family_regie_id as family_regie_id
from portail_tui.services.dossier_fields import InvalidFields as InvalidFields
from portail_tui.services.dossier_fields import apply_changes as _apply
from portail_tui.services.dossier_fields import as_text as as_text
from portail_tui.services.dossier_fields import check as check
from portail_tui.services.dossier_fields import load_family as _family
from portail_tui.services.dossier_fields import load_link as _link
from portail_tui.services.dossier_fields import texts_of as texts_of
from portail_tui.services.dossier_fields import touch as _touch
from portail_tui.services.families import format_family_number, refresh_search_text

MAX_FAMILIES_PER_CHILD = 2  # shared custody: one link per household


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class GuardianData:
    id: int
    rank: int
    values: dict[str, str]  # GUARDIAN_FIELDS as displayed

    @property
    def display_name(self) -> str:
        v = self.values
        return " ".join(p for p in (v.get("civility"), v.get("first_name"), v.get("last_name")) if p)

    @property
    def address(self) -> str:
        v = self.values
        street = " ".join(p for p in (v.get("street_number"), v.get("street_name")) if p)
        town = " ".join(p for p in (v.get("postal_code"), v.get("city")) if p)
        return ", ".join(p for p in (v.get("address_complement"), street, v.get("locality"), town) if p)


@dataclass(frozen=True)
class ChildData:
    id: int
    values: dict[str, str]  # CHILD_FIELDS as displayed
    link: dict[str, str]  # LINK_FIELDS as displayed (this family's rattachement)
    other_families: tuple[str, ...]  # "Durand (n° 000012)" for shared custody
    form_statuses: dict[str, str]  # kind -> status

    @property
    def first_name(self) -> str:
        return self.values.get("first_name", "")

    @property
    def full_name(self) -> str:
        return f"{self.values.get('first_name', '')} {self.values.get('last_name', '')}".strip()


@dataclass(frozen=True)
class ContactData:
    id: int
    values: dict[str, str]  # CONTACT_FIELDS as displayed
    child_id: int | None
    child_name: str


@dataclass(frozen=True)
class FamilyFile:
    id: int
    number: int
    name: str
    email: str | None
    values: dict[str, str]  # FAMILY_FIELDS as displayed
    guardians: tuple[GuardianData, ...]
    children: tuple[ChildData, ...]
    contacts: tuple[ContactData, ...]
    updated_at: datetime

    @property
    def number_text(self) -> str:
        return format_family_number(self.number)

    def guardian(self, rank: int) -> GuardianData | None:
        return next((g for g in self.guardians if g.rank == rank), None)

    def child(self, child_id: int) -> ChildData | None:
        return next((c for c in self.children if c.id == child_id), None)


@dataclass(frozen=True)
class ChildHit:
    id: int
    name: str
    birth_date: date | None
    families: str


# --------------------------------------------------------------------------- helpers
# (field values and loaders: `dossier_fields`; contacts: `dossier_contacts`; export: `dossier_export`)


def ensure_forms(session: Session, child_id: int, now: datetime) -> None:
    """The five forms of a child exist from the start, « à saisir »."""
    have = set(session.execute(select(col(Form.kind)).where(col(Form.child_id) == child_id)).scalars())
    for kind in F.KINDS:
        if kind not in have:
            session.add(Form(child_id=child_id, kind=kind, status=F.A_SAISIR, data="{}", updated_at=now))


# --------------------------------------------------------------------------- reading


def family_file(ctx: Context, family_id: int) -> FamilyFile:
    actor = ctx.require_actor()

    def _work(session: Session) -> FamilyFile:
        family = _family(session, actor, family_id)
        guardians = tuple(
            GuardianData(g.id, g.rank, texts_of(g, F.GUARDIAN_FIELDS))
            for g in session.execute(
                select(Guardian).where(col(Guardian.family_id) == family_id).order_by(col(Guardian.rank))
            ).scalars()
        )
        rows = session.execute(
            select(Child, FamilyMember)
            .join(FamilyMember, col(FamilyMember.child_id) == col(Child.id))
            .where(col(FamilyMember.family_id) == family_id)
            .order_by(col(Child.birth_date), col(Child.first_name), col(Child.id))
        ).all()
        child_ids = [c.id for c, _ in rows]
        statuses: dict[int, dict[str, str]] = {cid: dict.fromkeys(F.KINDS, F.A_SAISIR) for cid in child_ids}
        others: dict[int, list[str]] = {cid: [] for cid in child_ids}
        if child_ids:
            for cid, kind, status in session.execute(
                select(col(Form.child_id), col(Form.kind), col(Form.status)).where(col(Form.child_id).in_(child_ids))
            ).all():
                statuses[cid][kind] = status
            for cid, name, number in session.execute(
                select(col(FamilyMember.child_id), col(Family.name), col(Family.number))
                .join(Family, col(Family.id) == col(FamilyMember.family_id))
                .where(col(FamilyMember.child_id).in_(child_ids), col(FamilyMember.family_id) != family_id)
            ).all():
                others[cid].append(f"{name} (n° {format_family_number(number)})")
        children = tuple(
            ChildData(
                id=c.id,
                values=texts_of(c, F.CHILD_FIELDS),
                link=texts_of(link, F.LINK_FIELDS),
                other_families=tuple(others[c.id]),
                form_statuses=statuses[c.id],
            )
            for c, link in rows
        )
        names = {c.id: c.full_name for c in children}
        contacts = tuple(
            ContactData(k.id, texts_of(k, F.CONTACT_FIELDS), k.child_id,
                        names.get(k.child_id, "") if k.child_id else "")
            for k in session.execute(
                select(Contact).where(col(Contact.family_id) == family_id).order_by(col(Contact.id))
            ).scalars()
        )
        return FamilyFile(
            id=id_of(family),
            number=family.number,
            name=family.name,
            email=family.email,
            values=texts_of(family, F.FAMILY_FIELDS),
            guardians=guardians,
            children=children,
            contacts=contacts,
            updated_at=family.updated_at,
        )

    return ctx.db.read(_work)


def find_children(ctx: Context, query: str, *, limit: int = 20) -> list[ChildHit]:
    """Children of the régie by name, to attach one to a second household."""
    actor = ctx.require_actor()
    words = normalize((query or "")[:100]).split()[:4]
    if not words:
        return []

    def _work(session: Session) -> list[ChildHit]:
        # Families whose search words hold every word, then their children whose own
        # normalised names do: accent- and case-insensitive like the family search.
        stmt = select(col(Family.id)).where(col(Family.regie_id) == actor.regie_id)
        for w in words:
            stmt = stmt.where(col(Family.search_text).like(f"%{escape_like(w)}%", escape="\\"))
        family_ids = list(session.execute(stmt.limit(200)).scalars())
        if not family_ids:
            return []
        rows = session.execute(
            select(Child, col(Family.name), col(Family.number))
            .join(FamilyMember, col(FamilyMember.child_id) == col(Child.id))
            .join(Family, col(Family.id) == col(FamilyMember.family_id))
            .where(col(FamilyMember.child_id).in_(
                select(col(FamilyMember.child_id)).where(col(FamilyMember.family_id).in_(family_ids))))
            .order_by(col(Child.last_name), col(Child.first_name), col(Child.id), col(FamilyMember.id))
        ).all()
        hits: dict[int, ChildHit] = {}
        for child, name, number in rows:
            label = f"{name} (n° {format_family_number(number)})"
            if child.id in hits:
                hit = hits[child.id]
                hits[child.id] = ChildHit(hit.id, hit.name, hit.birth_date, f"{hit.families} / {label}")
                continue
            text = normalize(f"{child.first_name} {child.last_name}")
            if all(w in text for w in words):
                hits[child.id] = ChildHit(child.id, f"{child.first_name} {child.last_name}",
                                          child.birth_date, label)
        return list(hits.values())[:limit]

    return ctx.db.read(_work)


# --------------------------------------------------------------------------- fiche responsable


def create_family(ctx: Context, raw_guardian: Mapping[str, object]) -> int:
    """A new family account (next free number of the régie) with its main guardian."""
    actor = permissions.require(ctx, "family.edit")
    now = ctx.clock.now()
    values = check(F.GUARDIAN_FIELDS, raw_guardian, now.date())

    def _work(session: Session) -> int:
        last = session.execute(
            select(func.max(col(Family.number))).where(col(Family.regie_id) == actor.regie_id)
        ).scalar()
        family = Family(regie_id=actor.regie_id, number=(last or 0) + 1, name=values["last_name"],
                        email=values.get("email"), created_at=now, updated_at=now)
        session.add(family)
        session.flush()
        guardian = Guardian(family_id=id_of(family), rank=1, last_name="", first_name="")
        _apply(guardian, F.GUARDIAN_FIELDS, values)
        session.add(guardian)
        session.flush()
        refresh_search_text(session, id_of(family))
        audit.record(session, at=now, actor=actor.tag, action="family.create", entity="family",
                     entity_id=family.id, family_id=family.id, number=family.number)
        return id_of(family)

    return ctx.db.write(_work)


def save_guardian(ctx: Context, family_id: int, rank: int, raw: Mapping[str, object]) -> GuardianData:
    """Create or update the main (rank 1) or second (rank 2) guardian."""
    actor = permissions.require(ctx, "family.edit")
    if rank not in (1, 2):
        raise ServiceError("Responsable 1 ou 2 seulement.")
    now = ctx.clock.now()
    values = check(F.GUARDIAN_FIELDS, raw, now.date())

    def _work(session: Session) -> GuardianData:
        family = _family(session, actor, family_id, lock=True)
        guardian = session.execute(
            select(Guardian).where(col(Guardian.family_id) == family_id, col(Guardian.rank) == rank)
        ).scalar_one_or_none()
        created = guardian is None
        if guardian is None:
            if rank == 2 and not session.execute(
                select(col(Guardian.id)).where(col(Guardian.family_id) == family_id, col(Guardian.rank) == 1)
            ).first():
                raise ServiceError("Saisissez d'abord le responsable principal.")
            guardian = Guardian(family_id=family_id, rank=rank, last_name="", first_name="")
        old_last, old_email = guardian.last_name, guardian.email
        changes = _apply(guardian, F.GUARDIAN_FIELDS, values)
        session.add(guardian)
        if rank == 1:
            # The family's display name and mailing address follow the main guardian
            # unless someone deliberately set them to something else.
            renamed = normalize(guardian.last_name) != normalize(old_last or "")
            if (created or renamed) and normalize(family.name) in ("", normalize(old_last or "")):
                # Keep the house style of the display name (the demo writes it in capitals).
                family.name = guardian.last_name.upper() if family.name.isupper() else guardian.last_name
            if not family.email or family.email == old_email:
                family.email = guardian.email
        session.flush()
        _touch(family, now, session)
        refresh_search_text(session, family_id)
        audit.record(session, at=now, actor=actor.tag, action="guardian.create" if created else "guardian.update",
                     entity="guardian", entity_id=guardian.id, family_id=family_id, rank=rank, changes=changes)
        return GuardianData(id_of(guardian), rank, texts_of(guardian, F.GUARDIAN_FIELDS))

    return ctx.db.write(_work)


def remove_second_guardian(ctx: Context, family_id: int) -> None:
    actor = permissions.require(ctx, "family.edit")
    now = ctx.clock.now()

    def _work(session: Session) -> None:
        family = _family(session, actor, family_id, lock=True)
        guardian = session.execute(
            select(Guardian).where(col(Guardian.family_id) == family_id, col(Guardian.rank) == 2)
        ).scalar_one_or_none()
        if guardian is None:
            raise ServiceError("Cette famille n'a pas de second responsable.")
        gone = texts_of(guardian, F.GUARDIAN_FIELDS)
        session.delete(guardian)
        session.flush()
        _touch(family, now, session)
        refresh_search_text(session, family_id)
        audit.record(session, at=now, actor=actor.tag, action="guardian.remove", entity="guardian",
                     entity_id=guardian.id, family_id=family_id, rank=2,
                     name=f"{gone['first_name']} {gone['last_name']}")

    ctx.db.write(_work)


def save_family_info(ctx: Context, family_id: int, raw: Mapping[str, object]) -> dict[str, str]:
    """Informations allocataire and quotient familial with its validity dates."""
    actor = permissions.require(ctx, "family.edit")
    now = ctx.clock.now()
    values = check(F.FAMILY_FIELDS, raw, now.date())
    start, end = values.get("quotient_valid_from"), values.get("quotient_valid_to")
    if start and end and end < start:
        raise InvalidFields({"quotient_valid_to": "La fin de validité précède le début."})
    if values.get("quotient") is None and (start or end):
        raise InvalidFields({"quotient": "Indiquez le quotient familial dont vous donnez la validité."})

    def _work(session: Session) -> dict[str, str]:
        family = _family(session, actor, family_id, lock=True)
        changes = _apply(family, F.FAMILY_FIELDS, values)
        _touch(family, now, session)
        audit.record(session, at=now, actor=actor.tag, action="family.update", entity="family",
                     entity_id=family_id, family_id=family_id, changes=changes)
        return texts_of(family, F.FAMILY_FIELDS)

    return ctx.db.write(_work)


# --------------------------------------------------------------------------- children and links


def add_child(ctx: Context, family_id: int, raw_child: Mapping[str, object],
              raw_link: Mapping[str, object] | None = None) -> int:
    """A new child attached to this family, with its five forms « à saisir »."""
    actor = permissions.require(ctx, "family.edit")
    now = ctx.clock.now()
    errors: dict[str, str] = {}
    child_values = link_values = None
    try:
        child_values = check(F.CHILD_FIELDS, raw_child, now.date())
    except InvalidFields as exc:
        errors.update(exc.errors)
    try:
        link_values = check(F.LINK_FIELDS, raw_link or default_link_texts(), now.date())
    except InvalidFields as exc:
        errors.update(exc.errors)
    if errors or child_values is None or link_values is None:
        raise InvalidFields(errors)

    def _work(session: Session) -> int:
        family = _family(session, actor, family_id, lock=True)
        twin = session.execute(
            select(col(Child.id))
            .join(FamilyMember, col(FamilyMember.child_id) == col(Child.id))
            .where(col(FamilyMember.family_id) == family_id,
                   func.lower(col(Child.first_name)) == child_values["first_name"].lower(),
                   func.lower(col(Child.last_name)) == child_values["last_name"].lower(),
                   col(Child.birth_date) == child_values["birth_date"])
        ).first()
        if twin:
            raise ServiceError("Cet enfant est déjà rattaché à la famille.", field="first_name")
        child = Child(last_name="", first_name="", created_at=now)
        _apply(child, F.CHILD_FIELDS, child_values)
        session.add(child)
        session.flush()
        link = FamilyMember(family_id=family_id, child_id=id_of(child))
        _apply(link, F.LINK_FIELDS, link_values)
        session.add(link)
        ensure_forms(session, id_of(child), now)
        session.flush()
        _touch(family, now, session)
        refresh_search_text(session, family_id)
        audit.record(session, at=now, actor=actor.tag, action="child.create", entity="child",
                     entity_id=child.id, family_id=family_id,
                     name=f"{child.first_name} {child.last_name}")
        return id_of(child)

    return ctx.db.write(_work)


def default_link_texts() -> dict[str, str]:
    return {"relationship": "Parents", "emergency_contact": "oui", "parental_authority": "oui",
            "caf_affiliation": "oui"}


def update_child(ctx: Context, family_id: int, child_id: int, raw: Mapping[str, object]) -> dict[str, str]:
    actor = permissions.require(ctx, "family.edit")
    now = ctx.clock.now()
    values = check(F.CHILD_FIELDS, raw, now.date())

    def _work(session: Session) -> dict[str, str]:
        family = _family(session, actor, family_id, lock=True)
        _link(session, family_id, child_id)
        child = session.get(Child, child_id)
        assert child is not None
        changes = _apply(child, F.CHILD_FIELDS, values)
        session.add(child)
        session.flush()
        _touch(family, now, session)
        # A shared child is found from both households.
        for fid in session.execute(
            select(col(FamilyMember.family_id)).where(col(FamilyMember.child_id) == child_id)
        ).scalars():
            refresh_search_text(session, fid)
        audit.record(session, at=now, actor=actor.tag, action="child.update", entity="child",
                     entity_id=child_id, family_id=family_id, changes=changes)
        return texts_of(child, F.CHILD_FIELDS)

    return ctx.db.write(_work)


def save_link(ctx: Context, family_id: int, child_id: int, raw: Mapping[str, object]) -> dict[str, str]:
    """The rattachement attributes (lien de parenté, autorité parentale…) of one family."""
    actor = permissions.require(ctx, "family.edit")
    now = ctx.clock.now()
    values = check(F.LINK_FIELDS, raw, now.date())

    def _work(session: Session) -> dict[str, str]:
        family = _family(session, actor, family_id, lock=True)
        link = _link(session, family_id, child_id)
        changes = _apply(link, F.LINK_FIELDS, values)
        session.add(link)
        _touch(family, now, session)
        audit.record(session, at=now, actor=actor.tag, action="link.update", entity="family_member",
                     entity_id=link.id, family_id=family_id, child_id=child_id, changes=changes)
        return texts_of(link, F.LINK_FIELDS)

    return ctx.db.write(_work)


def attach_child(ctx: Context, family_id: int, child_id: int, raw_link: Mapping[str, object]) -> None:
    """Attach an existing child to a second household (shared custody): each family
    then books and pays for its own days."""
    actor = permissions.require(ctx, "family.edit")
    now = ctx.clock.now()
    values = check(F.LINK_FIELDS, raw_link, now.date())

    def _work(session: Session) -> None:
        family = _family(session, actor, family_id, lock=True)
        links = list(session.execute(
            select(col(FamilyMember.family_id)).where(col(FamilyMember.child_id) == child_id)
        ).scalars())
        if not links:
            raise ServiceError("Enfant introuvable.", field="enfant")
        if family_id in links:
            raise ServiceError("Cet enfant est déjà rattaché à cette famille.", field="enfant")
        regies = set(session.execute(select(col(Family.regie_id)).where(col(Family.id).in_(links))).scalars())
        if regies != {family.regie_id}:
            raise ServiceError("Enfant introuvable.", field="enfant")
        if len(links) >= MAX_FAMILIES_PER_CHILD:
            raise ServiceError("Cet enfant est déjà rattaché à deux familles.", field="enfant")
        link = FamilyMember(family_id=family_id, child_id=child_id)
        _apply(link, F.LINK_FIELDS, values)
        session.add(link)
        session.flush()
        _touch(family, now, session)
        refresh_search_text(session, family_id)
        audit.record(session, at=now, actor=actor.tag, action="child.attach", entity="family_member",
                     entity_id=link.id, family_id=family_id, child_id=child_id, other_families=links)

    ctx.db.write(_work)


