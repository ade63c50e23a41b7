"""A change counter per family (issue 12, « fresh figures »): screens read one number to
know whether another agent changed the family's bookings or wallet since they loaded.

Triggers bump it inside the writing transaction, whoever writes (desk, portal, PayFiP
return, nightly jobs, CLI, demo). Bookings and payments are never deleted (the
database refuses it for payments), so only inserts and updates count. On PostgreSQL
the triggers are per statement with transition tables, so a bulk COPY bumps each
family once; SQLite only has row triggers, whose UPSERT costs one B-tree lookup.

Revision ID: 0007_family_changes
Revises: 0006_login_throttle
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_family_changes"
# Written beside other changes in flight: the integrator re-chains this onto the head.
down_revision = "0006_login_throttle"
branch_labels = None
depends_on = None

# (trigger, event, table). An update never moves a booking to another family.
_TRIGGERS = (
    ("family_change_booking_insert", "INSERT", "booking"),
    ("family_change_booking_update", "UPDATE", "booking"),
    ("family_change_payment_insert", "INSERT", "payment"),
)

_SQLITE_BUMP = (
    "INSERT INTO family_change (family_id, seq) VALUES (NEW.family_id, 1) "
    "ON CONFLICT (family_id) DO UPDATE SET seq = seq + 1;"
)

_PG_FUNCTION = (
    "CREATE FUNCTION family_change_bump() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "INSERT INTO family_change (family_id, seq) "
    "SELECT DISTINCT family_id, 1 FROM changed_rows ORDER BY family_id "
    "ON CONFLICT (family_id) DO UPDATE SET seq = family_change.seq + 1; "
    "RETURN NULL; END $$"
)


def upgrade() -> None:
    op.create_table(
        "family_change",
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["family_id"], ["family.id"], name=op.f("fk_family_change_family_id_family")),
        sa.PrimaryKeyConstraint("family_id", name=op.f("pk_family_change")),
    )
    if op.get_bind().dialect.name == "sqlite":
        for name, event, table in _TRIGGERS:
            op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {_SQLITE_BUMP} END")
        return
    op.execute(_PG_FUNCTION)
    for name, event, table in _TRIGGERS:
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING NEW TABLE AS changed_rows "
            "FOR EACH STATEMENT EXECUTE FUNCTION family_change_bump()"
        )


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for name, _event, table in _TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + ("" if sqlite else f" ON {table}"))
    if not sqlite:
        op.execute("DROP FUNCTION IF EXISTS family_change_bump()")
    op.drop_table("family_change")
