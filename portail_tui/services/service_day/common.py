"""What the service-day lists share: which régie they are about, the town's schools in
their printed order, and how a child's school text is matched to a School row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from portail_tui.domain.frdates import capitalize_first, format_date_long
from portail_tui.domain.text import normalize
from portail_tui.models import Regie, School
from portail_tui.services.context import Context, ServiceError

NO_SCHOOL = "École non renseignée"
# Marks that mean the child was not there: no meal to cook, no hour attended.
ABSENT_STATES = ("absent", "absent_justifie")
PRESENT_STATES = ("present", "present_non_inscrit")
UNBOOKED = "present_non_inscrit"


def regie_of(session: Session, ctx: Context) -> Regie:
    """The agent's régie; for the system (CLI, nightly) the town's first régie — a
    counter edition serves one town, and the lists are the town's."""
    actor = ctx.actor
    if actor is not None and actor.kind != "system":
        regie = session.get(Regie, actor.regie_id)
    else:
        regie = session.execute(select(Regie).order_by(col(Regie.id)).limit(1)).scalar_one_or_none()
    if regie is None:
        raise ServiceError("Aucune régie n'est configurée.")
    return regie


@dataclass(frozen=True)
class SchoolRef:
    key: str  # normalised name, "" for a child without school
    label: str
    order: tuple[int, int, str]
    school_id: int | None = None
    code: str = ""
    kitchen_email: str | None = None


class Schools:
    """The régie's schools, looked up by the name children carry (Child.school is free
    text typed in the family file: matched without case or accents). A name that is no
    School row still gets its own group, after the known schools."""

    def __init__(self, rows: list[School]) -> None:
        self.known: dict[str, SchoolRef] = {}
        self.by_code: dict[str, SchoolRef] = {}
        for s in rows:
            ref = SchoolRef(normalize(s.name), s.name, (0, s.sort_order, s.name), s.id, s.code, s.kitchen_email)
            self.known.setdefault(ref.key, ref)
            self.by_code[s.code.casefold()] = ref

    @classmethod
    def load(cls, session: Session, regie_id: int) -> Schools:
        rows = list(session.execute(
            select(School).where(col(School.regie_id) == regie_id)
            .order_by(col(School.sort_order), col(School.name))
        ).scalars())
        return cls(rows)

    def ref(self, name: str | None) -> SchoolRef:
        key = normalize(name or "")
        found = self.known.get(key)
        if found is not None:
            return found
        if not key:
            return SchoolRef("", NO_SCHOOL, (2, 0, ""))
        return SchoolRef(key, (name or "").strip(), (1, 0, key))

    def find(self, text: str) -> SchoolRef | None:
        """A school typed on the command line: its code or its name."""
        wanted = text.strip()
        return self.by_code.get(wanted.casefold()) or self.known.get(normalize(wanted))


def week_of(day: date) -> tuple[date, ...]:
    """Monday to Friday of the week holding `day` (the kitchen plans by school week)."""
    monday = day - timedelta(days=day.weekday())
    return tuple(monday + timedelta(days=i) for i in range(5))


def day_label(day: date) -> str:
    return capitalize_first(format_date_long(day))


def days_label(days: tuple[date, ...]) -> str:
    if len(days) == 1:
        return day_label(days[0])
    return f"Semaine du {format_date_long(days[0])} au {format_date_long(days[-1])}"


def format_hours(minutes: int) -> str:
    """Hours with two decimals and a French comma (« 1234,50 »: a French spreadsheet
    reads it as a number), rounded to the hundredth of an hour from exact minutes."""
    hundredths = (minutes * 100 + 30) // 60
    whole, cents = divmod(hundredths, 100)
    return f"{whole},{cents:02d}"


@dataclass(frozen=True)
class ListFile:
    """A rendered list: what the CLI writes and the nightly mail attaches."""

    filename: str
    data: bytes
    lines: int
