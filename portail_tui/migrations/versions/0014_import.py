"""Bringing in the families a town already has (G8): the town's own reference of a
family and of a child, matched on re-import, and the opening balances (« reprise de
solde »).

Revision ID: 0014_import
Revises: 0013_regie_setup
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import portail_tui.models.types

revision = "0014_import"
# Written beside other changes in flight: the integrator re-chains this onto the head.
down_revision = "0013_regie_setup"
branch_labels = None
depends_on = None

IMMUTABLE = "Une reprise de solde ne se modifie ni ne se supprime."


def upgrade() -> None:
    # Plain ADD COLUMN and a unique index: no rebuild of a table other rows point to.
    op.add_column("family", sa.Column("reference", sa.String(length=40),
                                      nullable=True))
    op.create_index("ix_family_regie_id_reference", "family", ["regie_id", "reference"], unique=True)
    op.add_column("child", sa.Column("reference", sa.String(length=40), nullable=True))
    op.create_index(op.f("ix_child_reference"), "child", ["reference"], unique=False)
    op.create_table(
        "opening_balance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("regie_id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("created_at", portail_tui.models.types.AwareDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(["family_id"], ["family.id"],
                                name=op.f("fk_opening_balance_family_id_family")),
        sa.ForeignKeyConstraint(["regie_id"], ["regie.id"],
                                name=op.f("fk_opening_balance_regie_id_regie")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opening_balance")),
        sa.UniqueConstraint("family_id", name=op.f("uq_opening_balance_family_id")),
    )
    op.create_index(op.f("ix_opening_balance_regie_id"), "opening_balance", ["regie_id"], unique=False)
    # Never changed nor deleted once written (a money figure, like a payment): on
    # PostgreSQL the application's role may only add and read rows (db.APPEND_ONLY_TABLES);
    # SQLite has no roles, so triggers refuse it.
    if op.get_bind().dialect.name == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER opening_balance_no_{event.lower()} BEFORE {event} ON opening_balance "
                       f"BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS opening_balance_no_update")
        op.execute("DROP TRIGGER IF EXISTS opening_balance_no_delete")
    op.drop_index(op.f("ix_opening_balance_regie_id"), table_name="opening_balance")
    op.drop_table("opening_balance")
    op.drop_index(op.f("ix_child_reference"), table_name="child")
    op.drop_column("child", "reference")
    op.drop_index("ix_family_regie_id_reference", table_name="family")
    op.drop_column("family", "reference")
