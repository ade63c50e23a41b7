"""Actualités of the régie (R15)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlmodel import Session, col

from portail_tui.domain.validation import FieldDef
from portail_tui.models import AuditLog, News, Regie, id_of
from portail_tui.services import audit, permissions
from portail_tui.services.context import Context, ServiceError
from portail_tui.services.dossier_fields import check

NEWS_FIELDS: tuple[FieldDef, ...] = (
    FieldDef("title", "Titre", required=True, max_length=200),
    FieldDef("body", "Texte", max_length=4000),
    FieldDef("published_on", "Publiée le", "date", required=True,
             help="JJ/MM/AAAA : une date future programme la publication."),
)


@dataclass(frozen=True)
class NewsItem:
    id: int
    title: str
    body: str
    published_on: date
    withdrawn_at: datetime | None = None
    created_by: str = ""
    updated_at: datetime | None = None

    def state(self, today: date) -> str:
        """« publiée », « programmée » or « retirée », for the management list."""
        if self.withdrawn_at is not None:
            return "retirée"
        return "programmée" if self.published_on > today else "publiée"


def _item(n: News) -> NewsItem:
    return NewsItem(id_of(n), n.title, n.body, n.published_on, n.withdrawn_at, n.created_by,
                    n.updated_at)


def current_news(ctx: Context, *, limit: int = 20) -> list[NewsItem]:
    """News published up to today and not withdrawn, newest first."""
    actor = ctx.require_actor()
    today = ctx.clock.today()

    def _work(session: Session) -> list[NewsItem]:
        rows = session.execute(
            select(News)
            .where(col(News.regie_id) == actor.regie_id, col(News.published_on) <= today,
                   col(News.withdrawn_at).is_(None))
            .order_by(col(News.published_on).desc(), col(News.id).desc())
            .limit(limit)
        ).scalars()
        return [_item(n) for n in rows]

    return ctx.db.read(_work)


def regie_name(ctx: Context) -> str:
    actor = ctx.require_actor()
    return ctx.db.read(lambda s: (s.get(Regie, actor.regie_id) or Regie(code="", name="")).name)


def last_data_update(ctx: Context) -> datetime | None:
    """Date of the last recorded change (the guide's « Dernière mise à jour des données »)."""
    return ctx.db.read(lambda s: s.execute(select(func.max(col(AuditLog.at)))).scalar())


# --------------------------------------------------------------------------- management (régisseurs)


def all_news(ctx: Context, *, limit: int = 200) -> list[NewsItem]:
    """Every news item of the régie (scheduled and withdrawn included), newest first."""
    actor = ctx.require_actor()

    def _work(session: Session) -> list[NewsItem]:
        rows = session.execute(
            select(News).where(col(News.regie_id) == actor.regie_id)
            .order_by(col(News.published_on).desc(), col(News.id).desc()).limit(limit)
        ).scalars()
        return [_item(n) for n in rows]

    return ctx.db.read(_work)


@dataclass(frozen=True)
class _Entry:
    """A checked news form, typed (the field checks return untyped values)."""

    title: str
    body: str
    published_on: date


def _checked(ctx: Context, raw: Mapping[str, object]) -> _Entry:
    values = check(NEWS_FIELDS, raw, ctx.clock.today())
    return _Entry(values["title"], values.get("body") or "", values["published_on"])


def _own(session: Session, regie_id: int, news_id: int) -> News:
    item = session.get(News, news_id)
    if item is None or item.regie_id != regie_id:
        raise ServiceError("Actualité introuvable.")
    return item


def add_news(ctx: Context, raw: Mapping[str, object]) -> NewsItem:
    """Publish (or schedule, with a future date) a news item on Accueil."""
    actor = permissions.require(ctx, "news.manage")
    values = _checked(ctx, raw)
    now = ctx.clock.now()

    def _work(session: Session) -> NewsItem:
        item = News(regie_id=actor.regie_id, title=values.title, body=values.body,
                    published_on=values.published_on, created_by=actor.tag, updated_at=now)
        session.add(item)
        session.flush()
        audit.record(session, at=now, actor=actor.tag, action="news.create", entity="news", entity_id=item.id,
                     title=item.title, published_on=item.published_on)
        return _item(item)

    return ctx.db.write(_work)


def edit_news(ctx: Context, news_id: int, raw: Mapping[str, object]) -> NewsItem:
    actor = permissions.require(ctx, "news.manage")
    values = _checked(ctx, raw)
    now = ctx.clock.now()

    def _work(session: Session) -> NewsItem:
        item = _own(session, actor.regie_id, news_id)
        changed = [k for k in ("title", "body", "published_on") if getattr(item, k) != getattr(values, k)]
        item.title = values.title
        item.body = values.body
        item.published_on = values.published_on
        item.updated_at = now
        session.add(item)
        audit.record(session, at=now, actor=actor.tag, action="news.update", entity="news", entity_id=item.id,
                     fields=changed)
        return _item(item)

    return ctx.db.write(_work)


def withdraw_news(ctx: Context, news_id: int) -> NewsItem:
    """Take a news item off Accueil (kept, with the date it was withdrawn)."""
    actor = permissions.require(ctx, "news.manage")
    now = ctx.clock.now()

    def _work(session: Session) -> NewsItem:
        item = _own(session, actor.regie_id, news_id)
        if item.withdrawn_at is not None:
            raise ServiceError("Cette actualité est déjà retirée.")
        item.withdrawn_at = now
        item.updated_at = now
        session.add(item)
        audit.record(session, at=now, actor=actor.tag, action="news.withdraw", entity="news", entity_id=item.id,
                     title=item.title)
        return _item(item)

    return ctx.db.write(_work)
