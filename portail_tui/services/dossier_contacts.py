"""Dossier famille (R11): the family's contacts (people to call, who may fetch a child)."""

from __future__ import annotations

from collections.abc import Mapping

from sqlmodel import Session

from portail_tui.domain import forms as F
from portail_tui.models import Contact, id_of
from portail_tui.services import audit, permissions
from portail_tui.services.context import Context, ServiceError
from portail_tui.services.dossier_fields import (
    apply_changes,
    check,
    load_family,
    load_link,
    texts_of,
    touch,
)


def _contact_child(session: Session, family_id: int, child_id: int | None) -> None:
    if child_id is not None:
        load_link(session, family_id, child_id)


def add_contact(ctx: Context, family_id: int, raw: Mapping[str, object], *, child_id: int | None = None) -> int:
    actor = permissions.require(ctx, "family.edit")
    now = ctx.clock.now()
    values = check(F.CONTACT_FIELDS, raw, now.date())

    def _work(session: Session) -> int:
        family = load_family(session, actor, family_id, lock=True)
        _contact_child(session, family_id, child_id)
        contact = Contact(family_id=family_id, child_id=child_id, name="", phone="")
        apply_changes(contact, F.CONTACT_FIELDS, values)
        session.add(contact)
        session.flush()
        touch(family, now, session)
        audit.record(session, at=now, actor=actor.tag, action="contact.create", entity="contact",
                     entity_id=contact.id, family_id=family_id, name=contact.name)
        return id_of(contact)

    return ctx.db.write(_work)


def _own_contact(session: Session, family_id: int, contact_id: int) -> Contact:
    contact = session.get(Contact, contact_id)
    if contact is None or contact.family_id != family_id:
        raise ServiceError("Contact introuvable.", field="contact")
    return contact


def update_contact(ctx: Context, family_id: int, contact_id: int, raw: Mapping[str, object]) -> dict[str, str]:
    actor = permissions.require(ctx, "family.edit")
    now = ctx.clock.now()
    values = check(F.CONTACT_FIELDS, raw, now.date())

    def _work(session: Session) -> dict[str, str]:
        family = load_family(session, actor, family_id, lock=True)
        contact = _own_contact(session, family_id, contact_id)
        changes = apply_changes(contact, F.CONTACT_FIELDS, values)
        session.add(contact)
        touch(family, now, session)
        audit.record(session, at=now, actor=actor.tag, action="contact.update", entity="contact",
                     entity_id=contact_id, family_id=family_id, changes=changes)
        return texts_of(contact, F.CONTACT_FIELDS)

    return ctx.db.write(_work)


def remove_contact(ctx: Context, family_id: int, contact_id: int) -> None:
    actor = permissions.require(ctx, "family.edit")
    now = ctx.clock.now()

    def _work(session: Session) -> None:
        family = load_family(session, actor, family_id, lock=True)
        contact = _own_contact(session, family_id, contact_id)
        name = contact.name
        session.delete(contact)
        touch(family, now, session)
        audit.record(session, at=now, actor=actor.tag, action="contact.remove", entity="contact",
                     entity_id=contact_id, family_id=family_id, name=name)

    ctx.db.write(_work)
