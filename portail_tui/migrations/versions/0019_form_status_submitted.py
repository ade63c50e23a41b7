"""The forms awaiting validation counted from one index (issue 12, warm switch to
Accueil): (status, submitted_at) replaces (status), its prefix, so the count and the
oldest submission date of 16,000 waiting forms read the index alone.

Revision ID: 0019_form_status_submitted
Revises: 0018_attendance_changes
"""

from __future__ import annotations

from alembic import op

revision = "0019_form_status_submitted"
down_revision = "0018_attendance_changes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_form_status_submitted", "form", ["status", "submitted_at"], unique=False)
    op.drop_index("ix_form_status", table_name="form")


def downgrade() -> None:
    op.create_index("ix_form_status", "form", ["status"], unique=False)
    op.drop_index("ix_form_status_submitted", table_name="form")
