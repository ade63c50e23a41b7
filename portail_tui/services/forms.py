"""The five forms of each child (R11) and their validation workflow (R12).

Forms are addressed by (child, kind): a child always has its five forms, created
« à saisir » on first use when older data lacks a row. Agents fill and submit on the
family's behalf; a régisseur validates or rejects with a reason. Every transition
is audited with who, when, from, to (and the reason). Santé forms are visible and
editable only by actors allowed to see health data (B6).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlmodel import Session, col

from portail_tui.clock import paris
from portail_tui.domain import forms as F
from portail_tui.domain.validation import clean_values
from portail_tui.models import Child, Family, FamilyMember, Form
from portail_tui.services import audit, permissions
from portail_tui.services.context import Actor, Context, PermissionDenied, ServiceError
from portail_tui.services.dossier import InvalidFields, ensure_forms
from portail_tui.services.families import format_family_number

HEALTH_HIDDEN = "Données de santé réservées aux agents habilités."


@dataclass(frozen=True)
class FormView:
    child_id: int
    child_name: str
    kind: str
    status: str
    texts: dict[str, str]  # current entry as displayed; empty when hidden
    validated: dict[str, str] | None  # last validated entry; None if never (or hidden)
    changes: tuple[F.FieldChange, ...]  # current vs validated, for a resubmission
    reject_reason: str | None
    submitted_at: datetime | None
    decided_at: datetime | None
    decided_by: str | None
    updated_at: datetime | None
    updated_by: str | None
    expires_on: date | None
    hidden: bool = False
    id: int | None = None

    @property
    def status_label(self) -> str:
        return F.STATUS_LABELS[self.status]

    @property
    def kind_label(self) -> str:
        return F.KIND_LABELS[self.kind]

    @property
    def colour(self) -> str:
        return F.STATUS_COLOURS[self.status]

    @property
    def is_resubmission(self) -> bool:
        return self.validated is not None


@dataclass(frozen=True)
class DraftSaved:
    view: FormView
    warnings: dict[str, str] = field(default_factory=dict)  # to fix before submitting


@dataclass(frozen=True)
class QueueItem:
    child_id: int
    kind: str
    child_name: str
    families: str
    family_id: int
    submitted_at: datetime | None
    updated_by: str | None
    resubmission: bool

    @property
    def kind_label(self) -> str:
        return F.KIND_LABELS[self.kind]


# --------------------------------------------------------------------------- helpers


def _load(text: str | None) -> dict[str, object] | None:
    if text is None:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _dump(texts: Mapping[str, str]) -> str:
    return json.dumps(dict(texts), ensure_ascii=False, sort_keys=True)


def _child(session: Session, actor: Actor, child_id: int) -> Child:
    """The child, if attached to a family of the actor's régie."""
    child = session.get(Child, child_id)
    if child is None:
        raise ServiceError("Enfant introuvable.", field="enfant")
    if actor.kind != "system":
        ok = session.execute(
            select(col(FamilyMember.id))
            .join(Family, col(Family.id) == col(FamilyMember.family_id))
            .where(col(FamilyMember.child_id) == child_id, col(Family.regie_id) == actor.regie_id)
        ).first()
        if not ok:
            raise ServiceError("Enfant introuvable.", field="enfant")
    return child


def _form(session: Session, child_id: int, kind: str, now: datetime, *, lock: bool) -> Form:
    stmt = select(Form).where(col(Form.child_id) == child_id, col(Form.kind) == kind)
    if lock:
        stmt = stmt.with_for_update()
    form: Form | None = session.execute(stmt).scalar_one_or_none()
    if form is None:
        ensure_forms(session, child_id, now)
        session.flush()
        form = session.execute(stmt).scalar_one()
    return form


def _view(form: Form | None, child: Child, kind: str, actor: Actor) -> FormView:
    hidden = kind == F.HEALTH_KIND and not permissions.can_see_health(actor)
    name = f"{child.first_name} {child.last_name}"
    assert child.id is not None  # loaded from the database by _child
    if form is None:
        return FormView(child.id, name, kind, F.A_SAISIR, {} if hidden else F.texts_from_data(kind, {}),
                        None, (), None, None, None, None, None, None, None, hidden)
    data = _load(form.data) or {}
    validated = _load(form.validated_data)
    texts = F.texts_from_data(kind, data)
    vtexts = F.texts_from_data(kind, validated) if validated is not None else None
    changes = tuple(F.diff(kind, vtexts, texts)) if form.status != F.VALIDEE else ()
    if hidden:
        texts, vtexts, changes = {}, None, ()
    return FormView(
        child_id=child.id,
        child_name=name,
        kind=kind,
        status=form.status,
        texts=texts,
        validated=vtexts,
        changes=changes,
        reject_reason=None if hidden else form.reject_reason,
        submitted_at=form.submitted_at,
        decided_at=form.decided_at,
        decided_by=form.decided_by,
        updated_at=form.updated_at,
        updated_by=form.updated_by,
        expires_on=form.expires_on,
        hidden=hidden,
        id=form.id,
    )


def _require_health(actor: Actor, kind: str) -> None:
    if kind == F.HEALTH_KIND and not permissions.can_see_health(actor):
        raise PermissionDenied(HEALTH_HIDDEN)


def _check_kind(kind: str) -> None:
    if kind not in F.KINDS:
        raise ServiceError(f"Type de fiche inconnu : {kind}.")


def _transition(form: Form, event: str, reason: str | None = None) -> str:
    try:
        return F.next_status(form.status, event, reason=reason)
    except F.TransitionError as exc:
        raise ServiceError(exc.message, field=exc.field) from None


def _rollover(ctx: Context, today: date) -> tuple[int, datetime]:
    """Current school year by the configured rollover date, and when it started; a
    bad PORTAIL_ROLLOVER setting is one French sentence, not a crash."""
    try:
        year = F.rollover_year(today, ctx.settings.rollover)
        return year, paris(F.rollover_date(year, ctx.settings.rollover))
    except F.TransitionError as exc:
        raise ServiceError(exc.message) from None


def _families_of(session: Session, child_id: int) -> list[int]:
    return list(session.execute(
        select(col(FamilyMember.family_id))
        .where(col(FamilyMember.child_id) == child_id)
        .order_by(col(FamilyMember.id))
    ).scalars())


def _audit(session: Session, form: Form, *, at: datetime, actor: str, action: str, before: str,
           **details: object) -> None:
    audit.record_for_families(session, _families_of(session, form.child_id), at=at, actor=actor,
                              action=action, entity="form", entity_id=form.id, child_id=form.child_id,
                              kind=form.kind, status_from=before, status_to=form.status, **details)


# --------------------------------------------------------------------------- reading


def child_forms(ctx: Context, child_id: int) -> list[FormView]:
    """The five forms of a child in the guide's order."""
    actor = ctx.require_actor()

    def _work(session: Session) -> list[FormView]:
        child = _child(session, actor, child_id)
        rows: dict[str, Form] = {f.kind: f for f in session.execute(select(Form).where(col(Form.child_id) == child_id)).scalars()}
        return [_view(rows.get(kind), child, kind, actor) for kind in F.KINDS]

    return ctx.db.read(_work)


def get_form(ctx: Context, child_id: int, kind: str) -> FormView:
    _check_kind(kind)
    actor = ctx.require_actor()

    def _work(session: Session) -> FormView:
        child = _child(session, actor, child_id)
        form: Form | None = session.execute(
            select(Form).where(col(Form.child_id) == child_id, col(Form.kind) == kind)
        ).scalar_one_or_none()
        return _view(form, child, kind, actor)

    return ctx.db.read(_work)


# --------------------------------------------------------------------------- filling


def _store_values(form: Form, kind: str, texts: Mapping[str, str], event: str, now: datetime,
                  actor_tag: str) -> tuple[str, list[str]]:
    """Move the form by `event` and keep the values typed; returns the status before and
    the fields whose value changed, for the audit row (which never holds the values)."""
    before = form.status
    form.status = _transition(form, event)
    old = F.texts_from_data(kind, _load(form.data))
    changed = sorted(k for k, v in texts.items() if old.get(k) != v)
    form.data = _dump(texts)
    form.updated_at, form.updated_by = now, actor_tag
    return before, changed


def save_draft(ctx: Context, child_id: int, kind: str, raw: Mapping[str, object]) -> DraftSaved:
    """Enregistrer un brouillon: keeps what was typed, even incomplete or with format
    mistakes (returned as warnings to fix before submitting). Only over-long or
    unprintable text is refused."""
    _check_kind(kind)
    actor = permissions.require(ctx, "form.fill")
    _require_health(actor, kind)
    now = ctx.clock.now()
    result = clean_values(F.fields_for(kind), raw, now.date(), strict=False)
    if result.blocking:
        raise InvalidFields(result.blocking)

    def _work(session: Session) -> DraftSaved:
        child = _child(session, actor, child_id)
        form = _form(session, child_id, kind, now, lock=True)
        before, changed = _store_values(form, kind, result.texts, F.SAVE_DRAFT, now, actor.tag)
        session.add(form)
        session.flush()
        _audit(session, form, at=now, actor=actor.tag, action="form.draft", before=before, fields=changed)
        return DraftSaved(_view(form, child, kind, actor), dict(result.errors))

    return ctx.db.write(_work)


def submit(ctx: Context, child_id: int, kind: str, raw: Mapping[str, object]) -> FormView:
    """Enregistrer: a complete and valid form goes to validation (en validation)."""
    _check_kind(kind)
    actor = permissions.require(ctx, "form.fill")
    _require_health(actor, kind)
    now = ctx.clock.now()
    result = clean_values(F.fields_for(kind), raw, now.date(), strict=True)
    if result.errors:
        raise InvalidFields(result.errors)

    def _work(session: Session) -> FormView:
        child = _child(session, actor, child_id)
        form = _form(session, child_id, kind, now, lock=True)
        before, changed = _store_values(form, kind, result.texts, F.SUBMIT, now, actor.tag)
        form.submitted_at = now
        session.add(form)
        session.flush()
        _audit(session, form, at=now, actor=actor.tag, action="form.submit", before=before, fields=changed)
        return _view(form, child, kind, actor)

    return ctx.db.write(_work)


# --------------------------------------------------------------------------- deciding


def validate_form(ctx: Context, child_id: int, kind: str) -> FormView:
    _check_kind(kind)
    actor = permissions.require(ctx, "form.decide")
    _require_health(actor, kind)
    now = ctx.clock.now()
    today = now.date()
    year, _ = _rollover(ctx, today)

    def _work(session: Session) -> FormView:
        child = _child(session, actor, child_id)
        form = _form(session, child_id, kind, now, lock=True)
        before = form.status
        form.status = _transition(form, F.VALIDATE)
        data = _load(form.data) or {}
        expires = F.form_expiry(kind, data)
        if expires is not None and expires < today:
            raise ServiceError("La date de fin d'assurance est déjà passée : rejetez la fiche avec ce motif.")
        form.validated_data = form.data
        form.expires_on = expires
        form.school_year = year
        form.reject_reason = None
        form.decided_at, form.decided_by = now, actor.tag
        form.updated_at, form.updated_by = now, actor.tag
        session.add(form)
        session.flush()
        _audit(session, form, at=now, actor=actor.tag, action="form.validate", before=before)
        return _view(form, child, kind, actor)

    return ctx.db.write(_work)


def reject_form(ctx: Context, child_id: int, kind: str, reason: str) -> FormView:
    _check_kind(kind)
    actor = permissions.require(ctx, "form.decide")
    _require_health(actor, kind)
    now = ctx.clock.now()
    reason = (reason or "").strip()

    def _work(session: Session) -> FormView:
        child = _child(session, actor, child_id)
        form = _form(session, child_id, kind, now, lock=True)
        before = form.status
        form.status = _transition(form, F.REJECT, reason)
        form.reject_reason = reason
        form.decided_at, form.decided_by = now, actor.tag
        form.updated_at, form.updated_by = now, actor.tag
        session.add(form)
        session.flush()
        _audit(session, form, at=now, actor=actor.tag, action="form.reject", before=before, reason=reason)
        return _view(form, child, kind, actor)

    return ctx.db.write(_work)


def validation_queue(ctx: Context, *, limit: int = 500) -> list[QueueItem]:
    """Forms waiting for a decision across the régie, oldest submission first."""
    actor = ctx.require_actor()

    def _work(session: Session) -> list[QueueItem]:
        rows = session.execute(
            select(col(Form.child_id), col(Form.kind), col(Form.submitted_at), col(Form.updated_by),
                   col(Form.validated_data), col(Child.first_name), col(Child.last_name))
            .join(Child, col(Child.id) == col(Form.child_id))
            .where(col(Form.status) == F.EN_VALIDATION,
                   col(Form.child_id).in_(
                       select(col(FamilyMember.child_id))
                       .join(Family, col(Family.id) == col(FamilyMember.family_id))
                       .where(col(Family.regie_id) == actor.regie_id)
                   ))
            .order_by(col(Form.submitted_at).is_(None), col(Form.submitted_at), col(Form.id))
            .limit(limit)
        ).all()
        child_ids = {r.child_id for r in rows}
        fams: dict[int, list[tuple[int, str]]] = {}
        if child_ids:
            for cid, fid, name, number in session.execute(
                select(col(FamilyMember.child_id), col(Family.id), col(Family.name), col(Family.number))
                .join(Family, col(Family.id) == col(FamilyMember.family_id))
                .where(col(FamilyMember.child_id).in_(child_ids))
                .order_by(col(FamilyMember.id))
            ).all():
                fams.setdefault(cid, []).append((fid, f"{name} (n° {format_family_number(number)})"))
        return [
            QueueItem(
                child_id=r.child_id, kind=r.kind, child_name=f"{r.first_name} {r.last_name}",
                families=" / ".join(n for _, n in fams.get(r.child_id, [])),
                family_id=fams.get(r.child_id, [(0, "")])[0][0],
                submitted_at=r.submitted_at, updated_by=r.updated_by,
                resubmission=r.validated_data is not None,
            )
            for r in rows
        ]

    return ctx.db.read(_work)


# --------------------------------------------------------------------------- counts (alerts)


def family_status_counts(session: Session, family_id: int) -> dict[str, int]:
    """Forms of the family's children by status; a missing row counts « à saisir »."""
    child_ids = list(session.execute(
        select(col(FamilyMember.child_id)).where(col(FamilyMember.family_id) == family_id)
    ).scalars())
    counts = dict.fromkeys(F.STATUSES, 0)
    if not child_ids:
        return counts
    present = 0
    for status, n in session.execute(
        select(col(Form.status), func.count()).where(col(Form.child_id).in_(child_ids)).group_by(col(Form.status))
    ).all():
        counts[status] += n
        present += n
    counts[F.A_SAISIR] += len(child_ids) * len(F.KINDS) - present
    return counts


def regie_status_counts(session: Session, regie_id: int) -> dict[str, int]:
    counts = dict.fromkeys(F.STATUSES, 0)
    for status, n in session.execute(
        select(col(Form.status), func.count())
        .where(col(Form.child_id).in_(
            select(col(FamilyMember.child_id))
            .join(Family, col(Family.id) == col(FamilyMember.family_id))
            .where(col(Family.regie_id) == regie_id)
        ))
        .group_by(col(Form.status))
    ).all():
        counts[status] = n
    return counts


# --------------------------------------------------------------------------- expiry (nightly)


def expire_forms(ctx: Context, today: date) -> int:
    """Validated forms that became outdated turn « à mettre à jour »: insurance whose
    end date has passed, and every form validated before the last school-year
    rollover (`settings.rollover`, MM-DD). Idempotent: a second run the same day
    (or a catch-up run after missed nights) changes nothing more. Returns how many
    forms changed."""
    year, rollover_start = _rollover(ctx, today)
    actor = ctx.actor_tag
    now = ctx.clock.now()

    def _work(session: Session) -> int:
        forms: list[Form] = list(session.execute(
            select(Form).where(col(Form.status) == F.VALIDEE).order_by(col(Form.id)).with_for_update()
        ).scalars())
        changed = 0
        for form in forms:
            why = None
            if form.expires_on is not None and form.expires_on < today:
                why = "assurance échue" if form.kind == "assurance" else "fiche échue"
            elif form.school_year is not None:
                if form.school_year < year:
                    why = f"rentrée scolaire {year}"
            else:
                decided = form.decided_at or form.updated_at
                if decided is not None and decided < rollover_start:
                    why = f"rentrée scolaire {year}"
            if why is None:
                continue
            before = form.status
            form.status = F.next_status(form.status, F.EXPIRE)
            form.updated_at, form.updated_by = now, actor
            session.add(form)
            session.flush()
            _audit(session, form, at=now, actor=actor, action="form.expire", before=before, reason=why)
            changed += 1
        return changed

    return ctx.db.write(_work)
