"""Days closed for some activities (G6): the closure per activity and day, and the
reason kept on each booking the closure cancelled (issue 14).

Revision ID: 0015_day_closures
Revises: 0014_import
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import portail_tui.models.types

revision = "0015_day_closures"
# Written beside other changes in flight: the integrator re-chains this onto the head.
down_revision = "0014_import"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "activity_closure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("regie_id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("closed_at", portail_tui.models.types.AwareDateTime(), nullable=False),
        sa.Column("closed_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.ForeignKeyConstraint(["activity_id"], ["activity.id"],
                                name=op.f("fk_activity_closure_activity_id_activity")),
        sa.ForeignKeyConstraint(["regie_id"], ["regie.id"], name=op.f("fk_activity_closure_regie_id_regie")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_closure")),
        sa.UniqueConstraint("activity_id", "day", name=op.f("uq_activity_closure_activity_id_day")),
    )
    op.create_index(op.f("ix_activity_closure_regie_id"), "activity_closure", ["regie_id"], unique=False)
    # Plain ADD COLUMN: a batch rebuild of booking is refused once rows point at it.
    op.add_column("booking", sa.Column("cancel_reason", sqlmodel.sql.sqltypes.AutoString(length=120),
                                       nullable=True))


def downgrade() -> None:
    op.drop_column("booking", "cancel_reason")
    op.drop_index(op.f("ix_activity_closure_regie_id"), table_name="activity_closure")
    op.drop_table("activity_closure")
