"""Money guards: the database itself refuses to UPDATE or DELETE a payment (B4).

Revision ID: 0002_money_guards
Revises: 0001_initial
"""

from __future__ import annotations

from alembic import op

revision = "0002_money_guards"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

MESSAGE = "Un règlement ne peut être ni modifié ni supprimé : passez une écriture d'annulation."


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER payment_no_{event.lower()} BEFORE {event} ON payment "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE.replace(chr(39), chr(39) * 2)}'); END"
            )
        return
    op.execute(
        "CREATE FUNCTION payment_immutable() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN RAISE EXCEPTION '%', $msg${MESSAGE}$msg$ USING ERRCODE = 'integrity_constraint_violation'; END $$"
    )
    op.execute(
        "CREATE TRIGGER payment_immutable BEFORE UPDATE OR DELETE ON payment "
        "FOR EACH ROW EXECUTE FUNCTION payment_immutable()"
    )
    op.execute(
        "CREATE TRIGGER payment_no_truncate BEFORE TRUNCATE ON payment "
        "FOR EACH STATEMENT EXECUTE FUNCTION payment_immutable()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS payment_no_update")
        op.execute("DROP TRIGGER IF EXISTS payment_no_delete")
        return
    op.execute("DROP TRIGGER IF EXISTS payment_no_truncate ON payment")
    op.execute("DROP TRIGGER IF EXISTS payment_immutable ON payment")
    op.execute("DROP FUNCTION IF EXISTS payment_immutable()")
