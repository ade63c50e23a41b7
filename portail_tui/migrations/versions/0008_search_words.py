"""Family search words recomputed (issue 12): apostrophes are dropped instead of spaced
(« N'Diaye » is stored "ndiaye", found by "ndiaye" and "n'diaye") and phones are stored
as their ten national digits (« +33 6 93 39 31 06 » -> "0693393106").

The parts are those of services.families.build_search_text at this revision; the FTS5
table (SQLite) follows through its update trigger, the pg_trgm index by itself.
Downgrade keeps the new words: the old search still finds every family by them, except
a name typed with its apostrophe as a space, which the old words served.

Revision ID: 0008_search_words
Revises: 0006_login_throttle
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from portail_tui.domain.cash_entries import format_family_number
from portail_tui.domain.text import phone_digits, search_fold

revision = "0008_search_words"
# Written beside 0007 (another change in flight): the integrator re-chains this onto it.
down_revision = "0007_family_changes"
branch_labels = None
depends_on = None

MAX_LENGTH = 4000


def _words(parts: list[str]) -> str:
    words = " ".join(search_fold(p) for p in parts if p)
    return f" {words} "[:MAX_LENGTH]


def upgrade() -> None:
    bind = op.get_bind()
    people: dict[int, list[str]] = {}
    for g in bind.execute(sa.text(
            "SELECT family_id, last_name, first_name, email, phone_home, phone_mobile, phone_work "
            "FROM guardian ORDER BY id")).all():
        people.setdefault(g.family_id, []).extend(
            [g.last_name, g.first_name, g.email or ""]
            + [phone_digits(p or "") for p in (g.phone_home, g.phone_mobile, g.phone_work)])
    kids: dict[int, list[str]] = {}
    for c in bind.execute(sa.text(
            "SELECT m.family_id, c.last_name, c.first_name FROM family_member m "
            "JOIN child c ON c.id = m.child_id ORDER BY m.id")).all():
        kids.setdefault(c.family_id, []).extend([c.last_name, c.first_name])
    updates = []
    for f in bind.execute(sa.text("SELECT id, name, number, email, search_text FROM family")).all():
        words = _words([f.name, format_family_number(f.number), f.email or ""]
                       + people.get(f.id, []) + kids.get(f.id, []))
        if words != f.search_text:
            updates.append({"id": f.id, "words": words})
    if updates:
        bind.execute(sa.text("UPDATE family SET search_text = :words WHERE id = :id"), updates)


def downgrade() -> None:
    pass
