"""Failed logins per source (issue 13): the per-source limit of services/login_guard.py.

The per-account delay reuses the agent and portal_account columns `failed_attempts`
and `locked_until` (now "refuse attempts before"), so no existing row changes: an
account locked under the old rule simply waits out its old lock.

Revision ID: 0006_login_throttle
Revises: 0004_health_opt_in
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0006_login_throttle"
# Written beside 0005 (another change in flight): the integrator re-chains this onto it.
down_revision = "0005_payment_chain"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("window_start", sa.DateTime(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("wait_until", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_source")),
        sa.UniqueConstraint("source", name=op.f("uq_login_source_source")),
    )


def downgrade() -> None:
    op.drop_table("login_source")
