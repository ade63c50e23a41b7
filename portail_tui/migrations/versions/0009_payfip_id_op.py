"""PayFiP web-service mode (issue 13): each request keeps the DGFiP's operation id
(`idOp`, from creerPaiementSecurise), the one key a notification carries and the one
`recupererDetailPaiementSecurise` answers for. Existing rows keep NULL.

Revision ID: 0009_payfip_id_op
Revises: 0006_login_throttle
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0009_payfip_id_op"
# Written beside 0007/0008 (other changes in flight): the integrator re-chains this onto them.
down_revision = "0008_search_words"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("payfip_request",
                  sa.Column("id_op", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    op.create_index(op.f("ix_payfip_request_id_op"), "payfip_request", ["id_op"], unique=True)


def downgrade() -> None:
    op.drop_index(op.f("ix_payfip_request_id_op"), table_name="payfip_request")
    with op.batch_alter_table("payfip_request") as batch:
        batch.drop_column("id_op")
