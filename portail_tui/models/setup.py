"""What a town sets up once a year besides its activities (G1): schools and their
classes, and the attendance marks of the service day (P1–P3)."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

import portail_tui.models.base  # noqa: F401  (naming convention before any table)
from portail_tui.models.types import AwareDateTime

ATTENDANCE_STATES = ("present", "absent", "absent_justifie", "present_non_inscrit")
JUSTIFICATION_REASONS = ("certificat", "hospitalisation", "autre")
MEAL_TYPES = ("standard", "sans_porc", "sans_viande", "pai_panier")


class School(SQLModel, table=True):
    """A school of the town. Children name their school by `name` (Child.school); the
    kitchen's meal list for the school goes to `kitchen_email` (P4). A school is never
    deleted once children point to it (G4): it is closed from a date."""

    __tablename__ = "school"
    __table_args__ = (UniqueConstraint("regie_id", "code"), UniqueConstraint("regie_id", "name"))
    id: int | None = Field(default=None, primary_key=True)
    regie_id: int = Field(foreign_key="regie.id", index=True)
    code: str = Field(max_length=20)
    name: str = Field(max_length=120)
    kitchen_email: str | None = Field(default=None, max_length=254)
    closed_from: date | None = None
    sort_order: int = Field(default=0)


class SchoolClass(SQLModel, table=True):
    """A class of a school (« CP », « CE1-CE2 »…), as Child.school_class names it."""

    __tablename__ = "school_class"
    __table_args__ = (UniqueConstraint("school_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="school.id", index=True)
    name: str = Field(max_length=20)
    sort_order: int = Field(default=0)


class Attendance(SQLModel, table=True):
    """The mark of one child at one activity on one day (P1). A booked child's mark
    points at its booking; « présent non inscrit » points at the booking created to bill
    the surcharge (P2). `billed` is false only for a justified absence that the régie's
    rules waive (justification in time, first day billed when the town applies a
    jour de carence): R6 leaves those bookings out. Every change is audited with the
    previous state (P3); the row is never deleted."""

    __tablename__ = "attendance"
    __table_args__ = (
        UniqueConstraint("child_id", "activity_id", "day"),
        UniqueConstraint("booking_id"),
        CheckConstraint(
            "state IN ('present','absent','absent_justifie','present_non_inscrit')", name="state"
        ),
        CheckConstraint(
            "justification_reason IS NULL OR justification_reason IN"
            " ('certificat','hospitalisation','autre')",
            name="justification_reason",
        ),
        Index("ix_attendance_activity_day", "activity_id", "day"),
        Index("ix_attendance_activity_state_day", "activity_id", "state", "day"),  # P4 lists, 0012
    )
    id: int | None = Field(default=None, primary_key=True)
    regie_id: int = Field(foreign_key="regie.id")
    booking_id: int | None = Field(default=None, foreign_key="booking.id")
    family_id: int = Field(foreign_key="family.id", index=True)
    child_id: int = Field(foreign_key="child.id")
    activity_id: int = Field(foreign_key="activity.id")
    day: date
    state: str = Field(max_length=20)
    arrived_at: time | None = None  # APS: arrived late
    left_at: time | None = None  # APS: left early
    billed: bool = Field(default=True)
    justification_reason: str | None = Field(default=None, max_length=20)
    justification_received_on: date | None = None
    justification_note: str | None = Field(default=None, max_length=300)
    marked_at: datetime = Field(sa_type=AwareDateTime)
    marked_by: str = Field(max_length=80)
