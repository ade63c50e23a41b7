"""Régie, staff, families and the people in them (DESIGN §2, R11)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index, UniqueConstraint, false
from sqlmodel import Field, SQLModel

import portail_tui.models.base  # noqa: F401  (naming convention before any table)
from portail_tui.models.types import AwareDateTime

ROLES = ("agent", "regisseur", "admin")
PAYMENT_MODES = ("especes", "cheque", "cb", "payfip", "virement", "cesu", "ancv")


class Regie(SQLModel, table=True):
    __tablename__ = "regie"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=20, unique=True)
    name: str = Field(max_length=120)
    # Comma-separated codes from PAYMENT_MODES that this régie accepts (B4).
    payment_modes: str = Field(default="especes,cheque,cb,payfip,virement,cesu", max_length=200)
    cash_limit_cents: int = Field(default=30000)
    email: str | None = Field(default=None, max_length=254)
    address: str | None = Field(default=None, max_length=300)
    payfip_numcli: str | None = Field(default=None, max_length=20)
    payfip_mode: str = Field(default="T", max_length=1)
    school_zone: str = Field(default="A", max_length=1)
    # Printed on receipts and the cash journal.
    regisseur_name: str | None = Field(default=None, max_length=120)
    # The service day (P2, P3): marking is open until `attendance_deadline_days` after
    # the day (then régisseur only); a justified absence is not billed when the
    # justification arrives within `justification_delay_days` after it, except its first
    # day when the town bills a jour de carence.
    attendance_deadline_days: int = Field(default=7, sa_column_kwargs={"server_default": "7"})
    justification_delay_days: int = Field(default=7, sa_column_kwargs={"server_default": "7"})
    bill_first_sick_day: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    # The first day of the school year the régie declares in its set-up file (G1).
    school_year_start: date | None = None


class Agent(SQLModel, table=True):
    __tablename__ = "agent"
    __table_args__ = (CheckConstraint("role IN ('agent','regisseur','admin')", name="role"),)
    id: int | None = Field(default=None, primary_key=True)
    regie_id: int = Field(foreign_key="regie.id", index=True)
    login: str = Field(max_length=64, unique=True)
    full_name: str = Field(max_length=120)
    role: str = Field(default="agent", max_length=16)
    password_hash: str = Field(max_length=200)
    active: bool = Field(default=True)
    # Health forms are seen only by agents explicitly granted it (B6, `agent add --sante`);
    # the server default says the same for rows written outside the ORM.
    can_see_health: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    # Failed logins since the last success, and the instant before which the next
    # attempt is refused (the per-account delay of services/login_guard.py).
    failed_attempts: int = Field(default=0)
    locked_until: datetime | None = Field(default=None, sa_type=AwareDateTime)
    last_login_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    created_at: datetime = Field(sa_type=AwareDateTime)


class LoginSource(SQLModel, table=True):
    """Failed logins per source (terminal, SSH address, browser address), whatever the
    account tried: too many in one window and that source waits (login_guard.py).
    Kept in the database so every process serving that source sees the same count."""

    __tablename__ = "login_source"
    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=120, unique=True)
    window_start: datetime = Field(sa_type=AwareDateTime)
    failures: int = Field(default=0)
    wait_until: datetime | None = Field(default=None, sa_type=AwareDateTime)


class Family(SQLModel, table=True):
    __tablename__ = "family"
    __table_args__ = (
        UniqueConstraint("regie_id", "number"),
        # The town's own id of the family (G8 import): how a re-import finds it again.
        Index("ix_family_regie_id_reference", "regie_id", "reference", unique=True),
        # Accueil's quotients expired or expiring soon, read from the index alone.
        Index("ix_family_regie_quotient_to", "regie_id", "quotient_valid_to"),
    )
    id: int | None = Field(default=None, primary_key=True)
    regie_id: int = Field(foreign_key="regie.id", index=True)
    number: int  # account number shown as "000123"
    name: str = Field(max_length=120)  # display name, usually the main guardian's family name
    email: str | None = Field(default=None, max_length=254)
    quotient: int | None = Field(default=None)  # quotient familial (CAF), euros
    quotient_valid_from: date | None = None
    quotient_valid_to: date | None = None
    allocataire_type: str | None = Field(default=None, max_length=40)  # CAF, MSA, autre
    allocataire_number: str | None = Field(default=None, max_length=20)
    # Normalised words (names, number, phones, e-mails) kept up to date by the
    # services, so the search is one indexed LIKE instead of a join over the town.
    search_text: str = Field(default="", max_length=4000)
    reference: str | None = Field(default=None, max_length=40)
    created_at: datetime = Field(sa_type=AwareDateTime)
    updated_at: datetime = Field(sa_type=AwareDateTime)


class Guardian(SQLModel, table=True):
    """Fiche responsable (R11). rank 1 is the main guardian, 2 the second one."""

    __tablename__ = "guardian"
    __table_args__ = (UniqueConstraint("family_id", "rank"),)
    id: int | None = Field(default=None, primary_key=True)
    family_id: int = Field(foreign_key="family.id", index=True)
    rank: int = Field(default=1)
    civility: str = Field(default="", max_length=10)  # M., Mme
    last_name: str = Field(max_length=80)
    first_name: str = Field(max_length=80)
    address_complement: str | None = Field(default=None, max_length=120)
    street_number: str | None = Field(default=None, max_length=10)
    street_name: str | None = Field(default=None, max_length=120)
    locality: str | None = Field(default=None, max_length=120)  # lieu-dit, BP…
    postal_code: str | None = Field(default=None, max_length=5)
    city: str | None = Field(default=None, max_length=80)
    phone_home: str | None = Field(default=None, max_length=20)
    phone_mobile: str | None = Field(default=None, max_length=20)
    phone_work: str | None = Field(default=None, max_length=20)
    email: str | None = Field(default=None, max_length=254)


class Child(SQLModel, table=True):
    __tablename__ = "child"
    __table_args__ = (
        CheckConstraint(
            "meal_type IN ('standard','sans_porc','sans_viande','pai_panier')", name="meal_type"
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    last_name: str = Field(max_length=80)
    first_name: str = Field(max_length=80)
    birth_date: date | None = None
    sex: str | None = Field(default=None, max_length=1)
    school: str | None = Field(default=None, max_length=120)
    school_class: str | None = Field(default=None, max_length=20)
    # What the kitchen must know (P4): standard, sans_porc, sans_viande, pai_panier.
    meal_type: str = Field(default="standard", max_length=12, index=True,  # PAI lists (P4, 0012)
                           sa_column_kwargs={"server_default": "standard"})
    # The town's own id of the child (G8 import): a child in shared custody is named by
    # it in both families' rows, and found again by it on a later import.
    reference: str | None = Field(default=None, max_length=40, index=True)
    created_at: datetime = Field(sa_type=AwareDateTime)


class FamilyMember(SQLModel, table=True):
    """Rattachement: a child attached to a family, with the per-link data of R11.
    A child in shared custody has two links, one per family."""

    __tablename__ = "family_member"
    __table_args__ = (UniqueConstraint("family_id", "child_id"),)
    id: int | None = Field(default=None, primary_key=True)
    family_id: int = Field(foreign_key="family.id", index=True)
    child_id: int = Field(foreign_key="child.id", index=True)
    relationship: str = Field(default="Parent", max_length=40)  # lien de parenté
    parents_situation: str | None = Field(default=None, max_length=40)
    emergency_contact: bool = Field(default=True)
    residence: str | None = Field(default=None, max_length=40)  # lieu de résidence
    parental_authority: bool = Field(default=True)
    caf_affiliation: bool = Field(default=True)


class Contact(SQLModel, table=True):
    __tablename__ = "contact"
    id: int | None = Field(default=None, primary_key=True)
    family_id: int = Field(foreign_key="family.id", index=True)
    child_id: int | None = Field(default=None, foreign_key="child.id")
    name: str = Field(max_length=120)
    phone: str = Field(max_length=20)
    relationship: str | None = Field(default=None, max_length=40)
    may_pick_up: bool = Field(default=False)
    emergency: bool = Field(default=True)


