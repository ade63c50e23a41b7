"""Initial schema, generated from the models by portail_tui.devtools.regen_migration.

Revision ID: 0001_initial
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    #
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("entity", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("family_id", sa.Integer(), nullable=True),
        sa.Column("details", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"], unique=False)
    op.create_index("ix_audit_log_family_at", "audit_log", ["family_id", "at"], unique=False)
    op.create_table(
        "child",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_name", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("first_name", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("sex", sqlmodel.sql.sqltypes.AutoString(length=1), nullable=True),
        sa.Column("school", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("school_class", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_child")),
    )
    op.create_table(
        "regie",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("payment_modes", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("cash_limit_cents", sa.Integer(), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("payfip_numcli", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("payfip_mode", sqlmodel.sql.sqltypes.AutoString(length=1), nullable=False),
        sa.Column("school_zone", sqlmodel.sql.sqltypes.AutoString(length=1), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_regie")),
        sa.UniqueConstraint("code", name=op.f("uq_regie_code")),
    )
    op.create_table(
        "activity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("regie_id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("letter", sqlmodel.sql.sqltypes.AutoString(length=1), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("end_time", sa.Time(), nullable=False),
        sa.Column("weekdays", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("runs_on", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("booking_unit", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        sa.Column("deadline_days", sa.Integer(), nullable=False),
        sa.Column("deadline_time", sa.Time(), nullable=False),
        sa.Column("deadline_skip_weekends", sa.Boolean(), nullable=False),
        sa.Column("deadline_skip_holidays", sa.Boolean(), nullable=False),
        sa.Column("horizon_days", sa.Integer(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("waiting_list", sa.Boolean(), nullable=False),
        sa.Column("exclusion_group", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("combinable_in_group", sa.Boolean(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "booking_unit IN ('day','period')", name=op.f("ck_activity_booking_unit")
        ),
        sa.CheckConstraint("runs_on IN ('school','holidays')", name=op.f("ck_activity_runs_on")),
        sa.ForeignKeyConstraint(
            ["regie_id"], ["regie.id"], name=op.f("fk_activity_regie_id_regie")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity")),
        sa.UniqueConstraint("regie_id", "code", name=op.f("uq_activity_regie_id_code")),
    )
    op.create_index(op.f("ix_activity_regie_id"), "activity", ["regie_id"], unique=False)
    op.create_table(
        "agent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("regie_id", sa.Integer(), nullable=False),
        sa.Column("login", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("full_name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("password_hash", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("can_see_health", sa.Boolean(), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("last_login_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("role IN ('agent','regisseur','admin')", name=op.f("ck_agent_role")),
        sa.ForeignKeyConstraint(["regie_id"], ["regie.id"], name=op.f("fk_agent_regie_id_regie")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent")),
        sa.UniqueConstraint("login", name=op.f("uq_agent_login")),
    )
    op.create_index(op.f("ix_agent_regie_id"), "agent", ["regie_id"], unique=False)
    op.create_table(
        "cash_day",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("regie_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("expected_cash_cents", sa.Integer(), nullable=False),
        sa.Column("counted_cash_cents", sa.Integer(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=False),
        sa.Column("closed_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["regie_id"], ["regie.id"], name=op.f("fk_cash_day_regie_id_regie")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cash_day")),
        sa.UniqueConstraint("regie_id", "day", name=op.f("uq_cash_day_regie_id_day")),
    )
    op.create_table(
        "closure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("regie_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.ForeignKeyConstraint(["regie_id"], ["regie.id"], name=op.f("fk_closure_regie_id_regie")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_closure")),
        sa.UniqueConstraint("regie_id", "day", name=op.f("uq_closure_regie_id_day")),
    )
    op.create_table(
        "family",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("regie_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
        sa.Column("quotient", sa.Integer(), nullable=True),
        sa.Column("quotient_valid_from", sa.Date(), nullable=True),
        sa.Column("quotient_valid_to", sa.Date(), nullable=True),
        sa.Column("allocataire_type", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("allocataire_number", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("search_text", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["regie_id"], ["regie.id"], name=op.f("fk_family_regie_id_regie")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_family")),
        sa.UniqueConstraint("regie_id", "number", name=op.f("uq_family_regie_id_number")),
    )
    op.create_index(op.f("ix_family_regie_id"), "family", ["regie_id"], unique=False)
    op.create_table(
        "form",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("validated_data", sa.Text(), nullable=True),
        sa.Column("reject_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("school_year", sa.Integer(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.CheckConstraint(
            "kind IN ('assurance','contact','reglement','autorisations','sante')",
            name=op.f("ck_form_kind"),
        ),
        sa.CheckConstraint(
            "status IN ('a_saisir','en_cours','en_validation','validee','rejetee','a_mettre_a_jour')",
            name=op.f("ck_form_status"),
        ),
        sa.ForeignKeyConstraint(["child_id"], ["child.id"], name=op.f("fk_form_child_id_child")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_form")),
        sa.UniqueConstraint("child_id", "kind", name=op.f("uq_form_child_id_kind")),
    )
    op.create_index(op.f("ix_form_child_id"), "form", ["child_id"], unique=False)
    op.create_index(op.f("ix_form_status"), "form", ["status"], unique=False)
    op.create_table(
        "news",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("regie_id", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(), nullable=True),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["regie_id"], ["regie.id"], name=op.f("fk_news_regie_id_regie")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_news")),
    )
    op.create_index(op.f("ix_news_regie_id"), "news", ["regie_id"], unique=False)
    op.create_table(
        "receipt_counter",
        sa.Column("regie_id", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["regie_id"], ["regie.id"], name=op.f("fk_receipt_counter_regie_id_regie")
        ),
        sa.PrimaryKeyConstraint("regie_id", name=op.f("pk_receipt_counter")),
    )
    op.create_table(
        "contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=True),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("relationship", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("may_pick_up", sa.Boolean(), nullable=False),
        sa.Column("emergency", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["child_id"], ["child.id"], name=op.f("fk_contact_child_id_child")),
        sa.ForeignKeyConstraint(
            ["family_id"], ["family.id"], name=op.f("fk_contact_family_id_family")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact")),
    )
    op.create_index(op.f("ix_contact_family_id"), "contact", ["family_id"], unique=False)
    op.create_table(
        "family_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("relationship", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("parents_situation", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("emergency_contact", sa.Boolean(), nullable=False),
        sa.Column("residence", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("parental_authority", sa.Boolean(), nullable=False),
        sa.Column("caf_affiliation", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"], ["child.id"], name=op.f("fk_family_member_child_id_child")
        ),
        sa.ForeignKeyConstraint(
            ["family_id"], ["family.id"], name=op.f("fk_family_member_family_id_family")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_family_member")),
        sa.UniqueConstraint(
            "family_id", "child_id", name=op.f("uq_family_member_family_id_child_id")
        ),
    )
    op.create_index(op.f("ix_family_member_child_id"), "family_member", ["child_id"], unique=False)
    op.create_index(
        op.f("ix_family_member_family_id"), "family_member", ["family_id"], unique=False
    )
    op.create_table(
        "guardian",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("civility", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("last_name", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("first_name", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column(
            "address_complement", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True
        ),
        sa.Column("street_number", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
        sa.Column("street_name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("locality", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("postal_code", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True),
        sa.Column("city", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.Column("phone_home", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("phone_mobile", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("phone_work", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
        sa.ForeignKeyConstraint(
            ["family_id"], ["family.id"], name=op.f("fk_guardian_family_id_family")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guardian")),
        sa.UniqueConstraint("family_id", "rank", name=op.f("uq_guardian_family_id_rank")),
    )
    op.create_index(op.f("ix_guardian_family_id"), "guardian", ["family_id"], unique=False)
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=True),
        sa.Column("to_addr", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=True),
        sa.Column("dedup_key", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["family_id"], ["family.id"], name=op.f("fk_outbox_family_id_family")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_outbox_dedup_key")),
    )
    op.create_index("ix_outbox_status_next", "outbox", ["status", "next_attempt_at"], unique=False)
    op.create_table(
        "payment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("regie_id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column("receipt_number", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("mode", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("payer_name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("cheque_number", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("cheque_bank", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.Column("cheque_drawer", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("reference", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.Column("reverses_id", sa.Integer(), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("business_day", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.CheckConstraint(
            "(kind = 'payment' AND amount_cents > 0) OR (kind = 'refund' AND amount_cents < 0) OR kind = 'reversal'",
            name=op.f("ck_payment_kind_sign"),
        ),
        sa.CheckConstraint(
            "(kind = 'reversal') = (reverses_id IS NOT NULL)", name=op.f("ck_payment_reversal_link")
        ),
        sa.CheckConstraint("kind IN ('payment','reversal','refund')", name=op.f("ck_payment_kind")),
        sa.CheckConstraint("amount_cents <> 0", name=op.f("ck_payment_amount_not_zero")),
        sa.ForeignKeyConstraint(
            ["family_id"], ["family.id"], name=op.f("fk_payment_family_id_family")
        ),
        sa.ForeignKeyConstraint(["regie_id"], ["regie.id"], name=op.f("fk_payment_regie_id_regie")),
        sa.ForeignKeyConstraint(
            ["reverses_id"], ["payment.id"], name=op.f("fk_payment_reverses_id_payment")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment")),
        sa.UniqueConstraint(
            "regie_id", "receipt_number", name=op.f("uq_payment_regie_id_receipt_number")
        ),
        sa.UniqueConstraint("reverses_id", name=op.f("uq_payment_reverses_id")),
    )
    op.create_index(
        "ix_payment_family_created", "payment", ["family_id", "created_at"], unique=False
    )
    op.create_index("ix_payment_regie_day", "payment", ["regie_id", "business_day"], unique=False)
    op.create_table(
        "period",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("booking_opens", sa.Date(), nullable=False),
        sa.Column("booking_closes", sa.Date(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["activity_id"], ["activity.id"], name=op.f("fk_period_activity_id_activity")
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["period.id"], name=op.f("fk_period_parent_id_period")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_period")),
    )
    op.create_index(op.f("ix_period_activity_id"), "period", ["activity_id"], unique=False)
    op.create_table(
        "portal_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column("identifier", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("password_hash", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        sa.Column("provisional_expires_at", sa.DateTime(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_login_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["family_id"], ["family.id"], name=op.f("fk_portal_account_family_id_family")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_account")),
        sa.UniqueConstraint("family_id", name=op.f("uq_portal_account_family_id")),
        sa.UniqueConstraint("identifier", name=op.f("uq_portal_account_identifier")),
    )
    op.create_table(
        "rate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("qf_min", sa.Integer(), nullable=False),
        sa.Column("qf_max", sa.Integer(), nullable=True),
        sa.Column("price_cents", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.CheckConstraint("price_cents >= 0", name=op.f("ck_rate_price_positive")),
        sa.ForeignKeyConstraint(
            ["activity_id"], ["activity.id"], name=op.f("fk_rate_activity_id_activity")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate")),
    )
    op.create_index(op.f("ix_rate_activity_id"), "rate", ["activity_id"], unique=False)
    op.create_table(
        "booking",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("regie_id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=True),
        sa.Column("period_id", sa.Integer(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("price_cents", sa.Integer(), nullable=False),
        sa.Column("quotient_used", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(), nullable=True),
        sa.Column("cancelled_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.CheckConstraint(
            "status IN ('confirmed','waiting','cancelled')", name=op.f("ck_booking_status")
        ),
        sa.CheckConstraint(
            "(day IS NULL) <> (period_id IS NULL)", name=op.f("ck_booking_day_or_period")
        ),
        sa.CheckConstraint("price_cents >= 0", name=op.f("ck_booking_price_positive")),
        sa.ForeignKeyConstraint(
            ["activity_id"], ["activity.id"], name=op.f("fk_booking_activity_id_activity")
        ),
        sa.ForeignKeyConstraint(["child_id"], ["child.id"], name=op.f("fk_booking_child_id_child")),
        sa.ForeignKeyConstraint(
            ["family_id"], ["family.id"], name=op.f("fk_booking_family_id_family")
        ),
        sa.ForeignKeyConstraint(
            ["period_id"], ["period.id"], name=op.f("fk_booking_period_id_period")
        ),
        sa.ForeignKeyConstraint(["regie_id"], ["regie.id"], name=op.f("fk_booking_regie_id_regie")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking")),
    )
    op.create_index(
        "ix_booking_activity_day_status", "booking", ["activity_id", "day", "status"], unique=False
    )
    op.create_index("ix_booking_child_day", "booking", ["child_id", "day"], unique=False)
    op.create_index("ix_booking_created_at", "booking", ["created_at"], unique=False)
    op.create_index("ix_booking_family_day", "booking", ["family_id", "day"], unique=False)
    op.create_index(op.f("ix_booking_period_id"), "booking", ["period_id"], unique=False)
    op.create_index(
        "uq_booking_live_day",
        "booking",
        ["child_id", "activity_id", "day"],
        unique=True,
        sqlite_where=sa.text("status <> 'cancelled' AND day IS NOT NULL"),
        postgresql_where=sa.text("status <> 'cancelled' AND day IS NOT NULL"),
    )
    op.create_index(
        "uq_booking_live_period",
        "booking",
        ["child_id", "activity_id", "period_id"],
        unique=True,
        sqlite_where=sa.text("status <> 'cancelled' AND period_id IS NOT NULL"),
        postgresql_where=sa.text("status <> 'cancelled' AND period_id IS NOT NULL"),
    )
    op.create_table(
        "password_reset",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["portal_account.id"],
            name=op.f("fk_password_reset_account_id_portal_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_reset")),
    )
    op.create_index(
        op.f("ix_password_reset_account_id"), "password_reset", ["account_id"], unique=False
    )
    op.create_table(
        "payfip_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("regie_id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column("reference", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("object", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("numauto", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("dattrans", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
        sa.Column("heurtrans", sqlmodel.sql.sqltypes.AutoString(length=4), nullable=True),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("result_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["family_id"], ["family.id"], name=op.f("fk_payfip_request_family_id_family")
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payment.id"], name=op.f("fk_payfip_request_payment_id_payment")
        ),
        sa.ForeignKeyConstraint(
            ["regie_id"], ["regie.id"], name=op.f("fk_payfip_request_regie_id_regie")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payfip_request")),
        sa.UniqueConstraint("reference", name=op.f("uq_payfip_request_reference")),
    )
    op.create_index(
        op.f("ix_payfip_request_family_id"), "payfip_request", ["family_id"], unique=False
    )
    op.create_table(
        "slot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=True),
        sa.Column("period_id", sa.Integer(), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("taken", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "taken >= 0 AND (capacity IS NULL OR taken <= capacity)", name=op.f("ck_slot_capacity")
        ),
        sa.ForeignKeyConstraint(
            ["activity_id"], ["activity.id"], name=op.f("fk_slot_activity_id_activity")
        ),
        sa.ForeignKeyConstraint(
            ["period_id"], ["period.id"], name=op.f("fk_slot_period_id_period")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slot")),
        sa.UniqueConstraint("activity_id", "day", name=op.f("uq_slot_activity_id_day")),
        sa.UniqueConstraint("activity_id", "period_id", name=op.f("uq_slot_activity_id_period_id")),
    )
    # ### end Alembic commands ###


def downgrade() -> None:
    #
    op.drop_table("slot")
    op.drop_index(op.f("ix_payfip_request_family_id"), table_name="payfip_request")
    op.drop_table("payfip_request")
    op.drop_index(op.f("ix_password_reset_account_id"), table_name="password_reset")
    op.drop_table("password_reset")
    op.drop_index(
        "uq_booking_live_period",
        table_name="booking",
        sqlite_where=sa.text("status <> 'cancelled' AND period_id IS NOT NULL"),
        postgresql_where=sa.text("status <> 'cancelled' AND period_id IS NOT NULL"),
    )
    op.drop_index(
        "uq_booking_live_day",
        table_name="booking",
        sqlite_where=sa.text("status <> 'cancelled' AND day IS NOT NULL"),
        postgresql_where=sa.text("status <> 'cancelled' AND day IS NOT NULL"),
    )
    op.drop_index(op.f("ix_booking_period_id"), table_name="booking")
    op.drop_index("ix_booking_family_day", table_name="booking")
    op.drop_index("ix_booking_created_at", table_name="booking")
    op.drop_index("ix_booking_child_day", table_name="booking")
    op.drop_index("ix_booking_activity_day_status", table_name="booking")
    op.drop_table("booking")
    op.drop_index(op.f("ix_rate_activity_id"), table_name="rate")
    op.drop_table("rate")
    op.drop_table("portal_account")
    op.drop_index(op.f("ix_period_activity_id"), table_name="period")
    op.drop_table("period")
    op.drop_index("ix_payment_regie_day", table_name="payment")
    op.drop_index("ix_payment_family_created", table_name="payment")
    op.drop_table("payment")
    op.drop_index("ix_outbox_status_next", table_name="outbox")
    op.drop_table("outbox")
    op.drop_index(op.f("ix_guardian_family_id"), table_name="guardian")
    op.drop_table("guardian")
    op.drop_index(op.f("ix_family_member_family_id"), table_name="family_member")
    op.drop_index(op.f("ix_family_member_child_id"), table_name="family_member")
    op.drop_table("family_member")
    op.drop_index(op.f("ix_contact_family_id"), table_name="contact")
    op.drop_table("contact")
    op.drop_table("receipt_counter")
    op.drop_index(op.f("ix_news_regie_id"), table_name="news")
    op.drop_table("news")
    op.drop_index(op.f("ix_form_status"), table_name="form")
    op.drop_index(op.f("ix_form_child_id"), table_name="form")
    op.drop_table("form")
    op.drop_index(op.f("ix_family_regie_id"), table_name="family")
    op.drop_table("family")
    op.drop_table("closure")
    op.drop_table("cash_day")
    op.drop_index(op.f("ix_agent_regie_id"), table_name="agent")
    op.drop_table("agent")
    op.drop_index(op.f("ix_activity_regie_id"), table_name="activity")
    op.drop_table("activity")
    op.drop_table("regie")
    op.drop_table("child")
    op.drop_index("ix_audit_log_family_at", table_name="audit_log")
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")
    # ### end Alembic commands ###
