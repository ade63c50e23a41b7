"""Holiday periods priced per week and per whole holiday (G1/G3): a rate says what
its price buys — a day, a week or a whole period.

Revision ID: 0017_period_prices
Revises: 0016_pointage
"""

from __future__ import annotations

from alembic import op

revision = "0017_period_prices"
# Written beside other changes in flight: the integrator re-chains this onto the head.
down_revision = "0016_pointage"
branch_labels = None
depends_on = None

_COLUMN = "unit VARCHAR(6) DEFAULT 'day' NOT NULL"
_CHECK = "unit IN ('day','week','period')"


def upgrade() -> None:
    # Plain ADD COLUMN, no batch rebuild (see 0011): SQLite takes the CHECK inline only.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE rate ADD COLUMN {_COLUMN} CONSTRAINT ck_rate_unit CHECK ({_CHECK})")
    else:
        op.execute(f"ALTER TABLE rate ADD COLUMN {_COLUMN}")
        op.execute(f"ALTER TABLE rate ADD CONSTRAINT ck_rate_unit CHECK ({_CHECK})")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.execute("ALTER TABLE rate DROP CONSTRAINT ck_rate_unit")
    op.drop_column("rate", "unit")
