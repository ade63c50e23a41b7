"""A database generation marker (issue 13, « restores »): `portail db restore` bumps it
in the restored data, so sessions opened before the restore can tell and stop writing.

Revision ID: 0010_database_generation
Revises: 0009_payfip_id_op
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_database_generation"
# Written beside other changes in flight: the integrator re-chains this onto the head.
down_revision = "0009_payfip_id_op"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "database_generation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_database_generation")),
    )
    op.execute("INSERT INTO database_generation (id, generation) VALUES (1, 0)")


def downgrade() -> None:
    op.drop_table("database_generation")
