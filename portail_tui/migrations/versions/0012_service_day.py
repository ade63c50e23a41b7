"""Indexes for the service-day lists (P4, P6): the kitchen's meal counts read a week of
canteen bookings for the whole town (booking rows scattered over the file: the child
is taken from the index instead), the absent and unbooked marks of those days by state,
and the few PAI children by meal type.

Revision ID: 0012_service_day
Revises: 0011_schools_attendance
"""

from __future__ import annotations

from alembic import op

revision = "0012_service_day"
# Written beside other changes in flight: the integrator re-chains this onto the head.
down_revision = "0011_schools_attendance"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_booking_activity_day_status_child", "booking",
                    ["activity_id", "day", "status", "child_id"], unique=False)
    op.create_index("ix_attendance_activity_state_day", "attendance", ["activity_id", "state", "day"],
                    unique=False)
    op.create_index(op.f("ix_child_meal_type"), "child", ["meal_type"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_child_meal_type"), table_name="child")
    op.drop_index("ix_attendance_activity_state_day", table_name="attendance")
    op.drop_index("ix_booking_activity_day_status_child", table_name="booking")
