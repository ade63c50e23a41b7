"""Schools and classes (G1), the attendance marks of the service day (P1–P3), and the
columns both need: who may book an activity, its surcharge, meal and CAF flags, a
child's meal type, the régie's attendance and justification delays (issues 14 and 15).

Revision ID: 0011_schools_attendance
Revises: 0010_database_generation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import portail_tui.models.types

revision = "0011_schools_attendance"
# Written beside other changes in flight: the integrator re-chains this onto the head.
down_revision = "0010_database_generation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "school",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("regie_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kitchen_email", sa.String(length=254), nullable=True),
        sa.Column("closed_from", sa.Date(), nullable=True),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["regie_id"], ["regie.id"], name=op.f("fk_school_regie_id_regie")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_school")),
        sa.UniqueConstraint("regie_id", "code", name=op.f("uq_school_regie_id_code")),
        sa.UniqueConstraint("regie_id", "name", name=op.f("uq_school_regie_id_name")),
    )
    op.create_index(op.f("ix_school_regie_id"), "school", ["regie_id"], unique=False)
    op.create_table(
        "school_class",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"],
                                name=op.f("fk_school_class_school_id_school")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_school_class")),
        sa.UniqueConstraint("school_id", "name", name=op.f("uq_school_class_school_id_name")),
    )
    op.create_index(op.f("ix_school_class_school_id"), "school_class", ["school_id"], unique=False)
    op.create_table(
        "attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("regie_id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("arrived_at", sa.Time(), nullable=True),
        sa.Column("left_at", sa.Time(), nullable=True),
        sa.Column("billed", sa.Boolean(), nullable=False),
        sa.Column("justification_reason", sa.String(length=20),
                  nullable=True),
        sa.Column("justification_received_on", sa.Date(), nullable=True),
        sa.Column("justification_note", sa.String(length=300),
                  nullable=True),
        sa.Column("marked_at", portail_tui.models.types.AwareDateTime(), nullable=False),
        sa.Column("marked_by", sa.String(length=80), nullable=False),
        sa.CheckConstraint(
            "justification_reason IS NULL OR justification_reason IN"
            " ('certificat','hospitalisation','autre')",
            name=op.f("ck_attendance_justification_reason"),
        ),
        sa.CheckConstraint(
            "state IN ('present','absent','absent_justifie','present_non_inscrit')",
            name=op.f("ck_attendance_state"),
        ),
        sa.ForeignKeyConstraint(["activity_id"], ["activity.id"],
                                name=op.f("fk_attendance_activity_id_activity")),
        sa.ForeignKeyConstraint(["booking_id"], ["booking.id"],
                                name=op.f("fk_attendance_booking_id_booking")),
        sa.ForeignKeyConstraint(["child_id"], ["child.id"], name=op.f("fk_attendance_child_id_child")),
        sa.ForeignKeyConstraint(["family_id"], ["family.id"],
                                name=op.f("fk_attendance_family_id_family")),
        sa.ForeignKeyConstraint(["regie_id"], ["regie.id"], name=op.f("fk_attendance_regie_id_regie")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance")),
        sa.UniqueConstraint("booking_id", name=op.f("uq_attendance_booking_id")),
        sa.UniqueConstraint("child_id", "activity_id", "day",
                            name=op.f("uq_attendance_child_id_activity_id_day")),
    )
    op.create_index("ix_attendance_activity_day", "attendance", ["activity_id", "day"], unique=False)
    op.create_index(op.f("ix_attendance_family_id"), "attendance", ["family_id"], unique=False)
    # Plain ADD COLUMN: SQLite's batch mode would rebuild these tables, which the
    # foreign keys pointing at them (bookings, families…) refuse once rows exist.
    for name, column in (
        ("activity", sa.Column("eligible_schools", sa.String(length=400),
                               nullable=True)),
        ("activity", sa.Column("min_age", sa.Integer(), nullable=True)),
        ("activity", sa.Column("max_age", sa.Integer(), nullable=True)),
        ("activity", sa.Column("closed_from", sa.Date(), nullable=True)),
        ("activity", sa.Column("serves_meal", sa.Boolean(), server_default=sa.false(),
                               nullable=False)),
        ("activity", sa.Column("caf_declared", sa.Boolean(), server_default=sa.false(),
                               nullable=False)),
        ("regie", sa.Column("regisseur_name", sa.String(length=120),
                            nullable=True)),
        ("regie", sa.Column("attendance_deadline_days", sa.Integer(), server_default="7",
                            nullable=False)),
        ("regie", sa.Column("justification_delay_days", sa.Integer(), server_default="7",
                            nullable=False)),
        ("regie", sa.Column("bill_first_sick_day", sa.Boolean(), server_default=sa.false(),
                            nullable=False)),
    ):
        op.add_column(name, column)
    # Columns with a CHECK: SQLite takes the constraint inline in ADD COLUMN only.
    checked = (
        ("activity", "surcharge_cents INTEGER DEFAULT '0' NOT NULL",
         "ck_activity_surcharge_positive", "surcharge_cents >= 0"),
        ("child", "meal_type VARCHAR(12) DEFAULT 'standard' NOT NULL", "ck_child_meal_type",
         "meal_type IN ('standard','sans_porc','sans_viande','pai_panier')"),
    )
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, column_sql, check, condition in checked:
        if sqlite:
            op.execute(f"ALTER TABLE {table} ADD COLUMN {column_sql} CONSTRAINT {check} CHECK ({condition})")
        else:
            op.execute(f"ALTER TABLE {table} ADD COLUMN {column_sql}")
            op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {check} CHECK ({condition})")


def downgrade() -> None:
    # Native DROP COLUMN (SQLite 3.35+), for the same reason as the upgrade: no rebuild.
    if op.get_bind().dialect.name != "sqlite":
        op.execute("ALTER TABLE child DROP CONSTRAINT ck_child_meal_type")
        op.execute("ALTER TABLE activity DROP CONSTRAINT ck_activity_surcharge_positive")
    for table, column_name in (
        ("regie", "bill_first_sick_day"), ("regie", "justification_delay_days"),
        ("regie", "attendance_deadline_days"), ("regie", "regisseur_name"),
        ("child", "meal_type"), ("activity", "caf_declared"), ("activity", "serves_meal"),
        ("activity", "surcharge_cents"), ("activity", "closed_from"), ("activity", "max_age"),
        ("activity", "min_age"), ("activity", "eligible_schools"),
    ):
        op.drop_column(table, column_name)
    op.drop_index(op.f("ix_attendance_family_id"), table_name="attendance")
    op.drop_index("ix_attendance_activity_day", table_name="attendance")
    op.drop_table("attendance")
    op.drop_index(op.f("ix_school_class_school_id"), table_name="school_class")
    op.drop_table("school_class")
    op.drop_index(op.f("ix_school_regie_id"), table_name="school")
    op.drop_table("school")
