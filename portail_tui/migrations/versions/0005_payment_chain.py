"""Payments that REPLACE cannot rewrite (B4): a hash chain of payment rows and a guard
against INSERT OR REPLACE on SQLite.

On SQLite `REPLACE INTO payment` deleted the row it replaced without firing the DELETE
trigger of 0002 (recursive_triggers is off), so an amount could be rewritten. This
adds `chain_digest` (each entry's digest covers its fields and the previous entry's
digest, per régie, in receipt order: services/payment_chain.py), seals the entries
already there in that order, and adds the trigger that refuses an insert reusing an
id, a receipt number or a reversal link (services/payment_guards.py).

The guard is lifted only for the sealing UPDATE, inside this migration's transaction,
and put back (checked) before it commits.

Revision ID: 0005_payment_chain
Revises: 0004_health_opt_in
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

from portail_tui.services.payment_chain import seal_unsealed
from portail_tui.services.payment_guards import guard_faults, install_guards

revision = "0005_payment_chain"
down_revision = "0004_health_opt_in"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    sqlite = conn.dialect.name == "sqlite"
    # Plain ALTER TABLE on both engines (no batch copy on SQLite: it would drop the triggers).
    op.add_column("payment", sa.Column("chain_digest", AutoString(length=64), nullable=True))
    if sqlite:
        op.execute("DROP TRIGGER IF EXISTS payment_no_update")
    else:
        op.execute("ALTER TABLE payment DISABLE TRIGGER payment_immutable")
    seal_unsealed(conn)
    install_guards(conn)
    faults, _ = guard_faults(conn)
    if faults:
        raise RuntimeError(f"payment guard incomplete after migration: {faults}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS payment_no_replace")
        op.execute("ALTER TABLE payment DROP COLUMN chain_digest")
        return
    op.drop_column("payment", "chain_digest")
