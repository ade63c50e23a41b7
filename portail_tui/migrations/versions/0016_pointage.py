"""The expected children of an activity and day read from one index (issue 15): the
Pointage list of the largest school (7,800 children in the 20,000-family town) went
from 37 ms of SQLite to 16 ms with the child and family in the index. It replaces
(activity_id, day, status) and the kitchen's (activity_id, day, status, child_id) of
0012, both prefixes of it: no query loses its index.

Revision ID: 0016_pointage
Revises: 0015_day_closures
"""

from __future__ import annotations

from alembic import op

revision = "0016_pointage"
# Written beside other changes in flight: the integrator re-chains this onto the head.
down_revision = "0015_day_closures"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_booking_activity_day_cover", "booking",
                    ["activity_id", "day", "status", "child_id", "family_id"], unique=False)
    op.drop_index("ix_booking_activity_day_status", table_name="booking")
    op.drop_index("ix_booking_activity_day_status_child", table_name="booking")


def downgrade() -> None:
    op.create_index("ix_booking_activity_day_status_child", "booking",
                    ["activity_id", "day", "status", "child_id"], unique=False)
    op.create_index("ix_booking_activity_day_status", "booking", ["activity_id", "day", "status"], unique=False)
    op.drop_index("ix_booking_activity_day_cover", table_name="booking")
