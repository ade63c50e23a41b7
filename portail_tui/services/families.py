"""Finding a family and summarising it for the header."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, select, text, true
from sqlmodel import Session, col

from portail_tui.domain.cash_entries import format_family_number as format_family_number
from portail_tui.domain.frdates import format_date_short
from portail_tui.domain.text import digits_only, escape_like, phone_digits, search_fold
from portail_tui.models import Child, Family, FamilyMember, Guardian, Regie, id_of
from portail_tui.services.context import Actor, Context, ServiceError

MAX_QUERY_LENGTH = 100
MAX_TOKENS = 6
TRIGRAM = 3
# One letter matches half the town: wait for a second one (digits: account numbers).
MIN_QUERY_LENGTH = 2
# A query of digits and phone punctuation only is a number: « 06.93.39.31.06 », « +33 6 93 ».
_NUMBER_QUERY_RE = re.compile(r"[\d\s.\-/()+]*\d[\d\s.\-/()+]*")


def build_search_text(family: Family, guardians: list[Guardian], children: list[Child]) -> str:
    """Everything an agent may type to find this family, normalised once at write time
    so that the search is a plain LIKE over one column. Migration 0008 recomputes the
    stored words with the same parts: change both together."""
    parts: list[str] = [family.name, format_family_number(family.number), family.email or ""]
    for g in guardians:
        parts += [g.last_name, g.first_name, g.email or ""]
        parts += [phone_digits(p or "") for p in (g.phone_home, g.phone_mobile, g.phone_work)]
    for c in children:
        parts += [c.last_name, c.first_name]
    words = " ".join(search_fold(p) for p in parts if p)
    return f" {words} "[:4000]


def refresh_search_text(session: Session, family_id: int) -> None:
    """Recompute a family's search words after any change to its people."""
    family = session.get(Family, family_id)
    if family is None:
        return
    guardians = list(session.execute(select(Guardian).where(col(Guardian.family_id) == family_id)).scalars())
    children = list(
        session.execute(
            select(Child).join(FamilyMember, col(FamilyMember.child_id) == col(Child.id)).where(
                col(FamilyMember.family_id) == family_id
            )
        ).scalars()
    )
    family.search_text = build_search_text(family, guardians, children)
    session.add(family)


@dataclass(frozen=True)
class FamilyHit:
    id: int
    number: int
    name: str
    guardian: str
    children: str
    city: str
    phone: str

    @property
    def number_text(self) -> str:
        return format_family_number(self.number)


def _tokens(query: str) -> list[str]:
    # Control characters (NUL from a paste…) can't be searched and PostgreSQL refuses them.
    query = "".join(ch for ch in (query or "")[:MAX_QUERY_LENGTH] if ch.isprintable())
    if _NUMBER_QUERY_RE.fullmatch(query.strip()):
        return [phone_digits(query)]
    tokens = []
    for raw in search_fold(query).split():
        digits = digits_only(raw)
        # "06 12 34" typed with spaces still finds the phone: digits glue together below.
        tokens.append(digits if digits and len(digits) == len(raw) else raw)
    return tokens[:MAX_TOKENS]


def search_families(ctx: Context, query: str, *, limit: int = 30) -> list[FamilyHit]:
    """Live search, accent- and case-insensitive, over names, account number,
    phones and e-mails. Any text is accepted: wildcards are escaped, overlong input cut."""
    tokens = _tokens(query)
    if not tokens or (len("".join(tokens)) < MIN_QUERY_LENGTH and not "".join(tokens).isdigit()):
        return []
    # Digit groups are glued ("06 12 34" finds 0612345678 as typed either way).
    digits = "".join(t for t in tokens if t.isdigit())
    needles = [t for t in tokens if not t.isdigit()] + ([digits] if digits else [])
    conditions = []
    indexed = [n for n in needles if len(n) >= TRIGRAM] if ctx.db.is_sqlite else []
    if indexed:
        # SQLite: the FTS5 trigram index (migration 0003) answers substring queries of
        # three characters or more; a quoted phrase is taken literally.
        match = " AND ".join('"' + n.replace('"', '""') + '"' for n in indexed)
        conditions.append(col(Family.id).in_(select(text("rowid")).select_from(text("family_search"))
                                        .where(text("family_search MATCH :fts_query"))
                                        .params(fts_query=match)))
    for needle in needles:
        if needle not in indexed:
            # PostgreSQL's pg_trgm GIN index serves these LIKEs itself.
            conditions.append(col(Family.search_text).like(f"%{escape_like(needle)}%", escape="\\"))
    regie_id = ctx.actor.regie_id if ctx.actor else None

    def _work(session: Session) -> list[FamilyHit]:
        stmt = select(col(Family.id), col(Family.number), col(Family.name)).where(and_(*conditions))
        if regie_id is not None:
            stmt = stmt.where(col(Family.regie_id) == regie_id)
        # No ORDER BY in the database: sorting the whole match set of a common word
        # ("mar", "le") cost more than the search. The first `limit` matches are
        # sorted here; the screen asks for more letters when the list is full.
        rows = sorted(session.execute(stmt.limit(limit)).all(), key=lambda r: (r.name, r.number))
        if digits and digits == query.strip() and len(digits) <= 9:
            exact = session.execute(
                select(col(Family.id), col(Family.number), col(Family.name)).where(col(Family.number) == int(digits))
                .where(col(Family.regie_id) == regie_id if regie_id is not None else true())
            ).first()
            if exact is not None:  # an account number typed in full comes first
                rows = [exact] + [r for r in rows if r.id != exact.id][: limit - 1]
        if not rows:
            return []
        ids = [r.id for r in rows]
        guardians: dict[int, Guardian] = {}
        for g in session.execute(
            select(Guardian).where(col(Guardian.family_id).in_(ids), col(Guardian.rank) == 1)
        ).scalars():
            guardians[g.family_id] = g
        kids: dict[int, list[str]] = {}
        for fid, first in session.execute(
            select(col(FamilyMember.family_id), col(Child.first_name))
            .join(Child, col(Child.id) == col(FamilyMember.child_id))
            .where(col(FamilyMember.family_id).in_(ids))
            .order_by(col(Child.first_name))
        ).all():
            kids.setdefault(fid, []).append(first)
        hits = []
        for r in rows:
            g = guardians.get(r.id)
            hits.append(
                FamilyHit(
                    id=r.id,
                    number=r.number,
                    name=r.name,
                    guardian=f"{g.civility} {g.first_name} {g.last_name}".strip() if g else "",
                    children=", ".join(kids.get(r.id, [])),
                    city=(g.city or "") if g else "",
                    phone=(g.phone_mobile or g.phone_home or "") if g else "",
                )
            )
        return hits

    return ctx.db.read(_work)


@dataclass(frozen=True)
class ChildInfo:
    id: int
    first_name: str
    last_name: str
    birth_date: object
    school_class: str | None


# Account numbers are 32-bit integers in the database (PostgreSQL INTEGER).
MAX_FAMILY_NUMBER = 2**31 - 1


@dataclass(frozen=True)
class FamilySummary:
    """What the header and every tab show about the current family."""

    id: int
    number: int
    name: str
    email: str | None
    quotient: int | None
    regie_name: str
    guardian: str
    children: tuple[ChildInfo, ...]
    quotient_valid_to: date | None = None

    @property
    def number_text(self) -> str:
        return format_family_number(self.number)

    def quotient_notice(self, today: date, until: date | None = None) -> str | None:
        return quotient_expiry_notice(self.quotient, self.quotient_valid_to, today, until)

    def quotient_day_notice(self, days: list[date]) -> str | None:
        return quotient_days_notice(self.quotient, self.quotient_valid_to, days)


# A quotient ending within this many days is announced (Accueil, Réservations).
QUOTIENT_NOTICE_DAYS = 30


def quotient_expiry_notice(quotient: int | None, valid_to: date | None, today: date,
                           until: date | None = None) -> str | None:
    """Expired, or ending within 30 days (or before `until`, the last day the agent is
    looking at): once it ends the days are priced at the full tariff (`effective_quotient`)
    with nothing else telling the agent why prices jumped."""
    if quotient is None or valid_to is None:
        return None
    if valid_to < today:
        return (f"Quotient familial expiré le {format_date_short(valid_to)} : plein tarif jusqu'à"
                " sa mise à jour (fiche famille).")
    if (valid_to - today).days <= QUOTIENT_NOTICE_DAYS or (until is not None and valid_to < until):
        return (f"Quotient familial valable jusqu'au {format_date_short(valid_to)} : à renouveler,"
                " plein tarif au-delà.")
    return None


def quotient_days_notice(quotient: int | None, valid_to: date | None, days: list[date]) -> str | None:
    """Where a price is shown (day dialog, recap): the days priced after the quotient ends."""
    if quotient is None or valid_to is None:
        return None
    after = [d for d in days if d > valid_to]
    if not after:
        return None
    what = "ce jour" if len(days) == 1 else f"{len(after)} jour(s) après cette date"
    return (f"Quotient familial valable jusqu'au {format_date_short(valid_to)} : {what} au plein tarif"
            " (tranche la plus haute) tant qu'il n'est pas renouvelé.")


def family_in_regie(session: Session, actor: Actor | None, family_id: int) -> Family:
    """Every service given a family id asks this first (issue 13): another régie's family
    is as unknown as a missing one, its name, e-mail, money and bookings are not this
    agent's. The system (CLI, nightly jobs, no actor) acts for any régie."""
    family = session.get(Family, family_id)
    if family is None or (actor is not None and actor.kind != "system" and family.regie_id != actor.regie_id):
        raise ServiceError("Famille introuvable.")
    return family


def family_summary(ctx: Context, family_id: int) -> FamilySummary:
    def _work(session: Session) -> FamilySummary:
        family = family_in_regie(session, ctx.actor, family_id)
        regie = session.get(Regie, family.regie_id)
        g = session.execute(
            select(Guardian).where(col(Guardian.family_id) == family_id).order_by(col(Guardian.rank))
        ).scalars().first()
        children = tuple(
            ChildInfo(c.id, c.first_name, c.last_name, c.birth_date, c.school_class)
            for c in session.execute(
                select(Child)
                .join(FamilyMember, col(FamilyMember.child_id) == col(Child.id))
                .where(col(FamilyMember.family_id) == family_id)
                .order_by(col(Child.birth_date), col(Child.first_name))
            ).scalars()
        )
        return FamilySummary(
            id=id_of(family),
            number=family.number,
            name=family.name,
            email=family.email,
            quotient=family.quotient,
            regie_name=regie.name if regie else "",
            guardian=f"{g.civility} {g.first_name} {g.last_name}".strip() if g else "",
            children=children,
            quotient_valid_to=family.quotient_valid_to,
        )

    return ctx.db.read(_work)


def family_by_number(ctx: Context, number: int | str) -> int:
    """Family id from an account number as typed ("123", "000123"); French error if unknown."""
    text = str(number).strip()
    if not (text.isascii() and text.isdigit()):
        raise ServiceError(f"Numéro de famille invalide : {text[:40]!r}.", field="famille")
    if int(text) > MAX_FAMILY_NUMBER:  # no such account; the database would overflow, not answer
        raise ServiceError(f"Famille inconnue : n° {text[:40]}.", field="famille")

    def _work(session: Session) -> int | None:
        stmt = select(col(Family.id)).where(col(Family.number) == int(text))
        if ctx.actor is not None:
            stmt = stmt.where(col(Family.regie_id) == ctx.actor.regie_id)
        return session.execute(stmt).scalar()

    fid = ctx.db.read(_work)
    if fid is None:
        raise ServiceError(f"Famille inconnue : n° {text}.", field="famille")
    return fid
