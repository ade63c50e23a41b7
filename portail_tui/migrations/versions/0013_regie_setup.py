"""The set-up file (G1, G3): a rate for families without a known quotient, and the
school-year start the régie declares.

Revision ID: 0013_regie_setup
Revises: 0012_service_day
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_regie_setup"
# Written beside other changes in flight: the integrator re-chains this onto the head.
down_revision = "0012_service_day"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN: rate and regie are pointed to by other rows (no batch rebuild).
    op.add_column("rate", sa.Column("no_quotient", sa.Boolean(), server_default=sa.false(),
                                    nullable=False))
    op.add_column("regie", sa.Column("school_year_start", sa.Date(), nullable=True))


def downgrade() -> None:
    op.drop_column("regie", "school_year_start")
    op.drop_column("rate", "no_quotient")
