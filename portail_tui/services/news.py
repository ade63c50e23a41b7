"""Actualités of the régie (R15)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlmodel import Session

from portail_tui.models import AuditLog, News, Regie
from portail_tui.services.context import Context


@dataclass(frozen=True)
class NewsItem:
    id: int
    title: str
    body: str
    published_on: date


def current_news(ctx: Context, *, limit: int = 20) -> list[NewsItem]:
    """News published up to today and not withdrawn, newest first."""
    actor = ctx.require_actor()
    today = ctx.clock.today()

    def _work(session: Session) -> list[NewsItem]:
        rows = session.execute(
            select(News)
            .where(News.regie_id == actor.regie_id, News.published_on <= today, News.withdrawn_at.is_(None))
            .order_by(News.published_on.desc(), News.id.desc())
            .limit(limit)
        ).scalars()
        return [NewsItem(n.id, n.title, n.body, n.published_on) for n in rows]  # type: ignore[arg-type]

    return ctx.db.read(_work)


def regie_name(ctx: Context) -> str:
    actor = ctx.require_actor()
    return ctx.db.read(lambda s: (s.get(Regie, actor.regie_id) or Regie(code="", name="")).name)


def last_data_update(ctx: Context) -> datetime | None:
    """Date of the last recorded change (the guide's « Dernière mise à jour des données »)."""
    return ctx.db.read(lambda s: s.execute(select(func.max(AuditLog.at))).scalar())
