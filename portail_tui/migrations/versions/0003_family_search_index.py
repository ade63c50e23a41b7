"""Indexed substring search over families' search words.

SQLite: an FTS5 table with the trigram tokenizer, kept in step with family.search_text
by triggers. PostgreSQL: a pg_trgm GIN index, which plain LIKE '%…%' uses by itself.
Either way a keystroke query reads the few matching rows instead of the whole town.

Revision ID: 0003_family_search_index
Revises: 0002_money_guards
"""

from __future__ import annotations

from alembic import op

revision = "0003_family_search_index"
down_revision = "0002_money_guards"
branch_labels = None
depends_on = None

SQLITE_UP = [
    "CREATE VIRTUAL TABLE family_search USING fts5("
    "search_text, content='family', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER family_search_ai AFTER INSERT ON family BEGIN "
    "INSERT INTO family_search(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER family_search_ad AFTER DELETE ON family BEGIN "
    "INSERT INTO family_search(family_search, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER family_search_au AFTER UPDATE OF search_text ON family BEGIN "
    "INSERT INTO family_search(family_search, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO family_search(rowid, search_text) VALUES (new.id, new.search_text); END",
    "INSERT INTO family_search(family_search) VALUES ('rebuild')",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_UP:
            op.execute(statement)
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE INDEX ix_family_search_trgm ON family USING gin (search_text gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("family_search_ai", "family_search_ad", "family_search_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS family_search")
        return
    op.execute("DROP INDEX IF EXISTS ix_family_search_trgm")
