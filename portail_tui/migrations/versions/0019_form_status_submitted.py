"""Accueil's régie counts from indexes (issue 12, warm switch to Accueil): the forms
awaiting validation on (status, submitted_at), which replaces (status), its prefix, so
the count and the oldest date of 16,000 waiting forms read the index alone; and the
quotients expired or expiring soon on (regie_id, quotient_valid_to) instead of a walk
over every family of the régie.

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
    op.create_index("ix_family_regie_quotient_to", "family", ["regie_id", "quotient_valid_to"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_family_regie_quotient_to", table_name="family")
    op.create_index("ix_form_status", "form", ["status"], unique=False)
    op.drop_index("ix_form_status_submitted", table_name="form")
