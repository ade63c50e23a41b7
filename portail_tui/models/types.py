"""Column types shared by the tables."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from portail_tui.clock import PARIS


class AwareDateTime(TypeDecorator[datetime]):
    """Stores instants as naive UTC (portable between SQLite and PostgreSQL) and
    hands them back as Europe/Paris aware datetimes, so no caller ever mixes zones.
    A naive value given to the database is taken as Paris wall-clock time."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=PARIS)
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: object, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # raw SQLite text, e.g. from a trigger
            value = datetime.fromisoformat(value)
        if not isinstance(value, datetime):
            raise TypeError(f"AwareDateTime column holds {type(value).__name__}, not a datetime")
        return value.replace(tzinfo=UTC).astimezone(PARIS)
