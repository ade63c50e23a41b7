"""Health data is opt-in (B6): a new agent does not see health forms unless granted.

The column gets a server default of false, agreeing with the model's default, so an
agent row written outside the ORM (a script, a restore of a partial dump) is not
granted health access by omission. Existing rows are not touched: every agent keeps
the access it was given when the default was still true, because those were the
accounts' explicit state at the time.

Revision ID: 0004_health_opt_in
Revises: 0003_family_search_index
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_health_opt_in"
down_revision = "0003_family_search_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agent") as batch:
        batch.alter_column("can_see_health", existing_type=sa.Boolean(), existing_nullable=False,
                           server_default=sa.false())


def downgrade() -> None:
    with op.batch_alter_table("agent") as batch:
        batch.alter_column("can_see_health", existing_type=sa.Boolean(), existing_nullable=False,
                           server_default=None)
