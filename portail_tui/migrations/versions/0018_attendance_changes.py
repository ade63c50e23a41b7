"""Attendance marks bump the family's change counter too (issue 12's « fresh figures »,
issue 15's marks): a mark or a justification changes what the family is billed (P2), so
a Paiement or Historiques screen open on that family must know, whoever wrote it (the
Pointage screen, a justification, the demo). Same triggers as 0007's, on `attendance`.

Revision ID: 0018_attendance_changes
Revises: 0017_period_prices
"""

from __future__ import annotations

from alembic import op

revision = "0018_attendance_changes"
down_revision = "0017_period_prices"
branch_labels = None
depends_on = None

_TRIGGERS = (
    ("family_change_attendance_insert", "INSERT"),
    ("family_change_attendance_update", "UPDATE"),
)

_SQLITE_BUMP = (
    "INSERT INTO family_change (family_id, seq) VALUES (NEW.family_id, 1) "
    "ON CONFLICT (family_id) DO UPDATE SET seq = seq + 1;"
)


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for name, event in _TRIGGERS:
        if sqlite:
            op.execute(f"CREATE TRIGGER {name} AFTER {event} ON attendance BEGIN {_SQLITE_BUMP} END")
        else:  # family_change_bump() is 0007's statement-level function
            op.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON attendance REFERENCING NEW TABLE AS changed_rows "
                "FOR EACH STATEMENT EXECUTE FUNCTION family_change_bump()"
            )


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for name, _event in _TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + ("" if sqlite else " ON attendance"))
