"""Metadata with named constraints, so Alembic batch migrations on SQLite can find them."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import Table, inspect
from sqlmodel import SQLModel

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION

metadata = SQLModel.metadata


class _Keyed(Protocol):
    @property
    def id(self) -> int | None: ...


def id_of(row: _Keyed) -> int:
    """The primary key of a row that was read or flushed.

    SQLModel types every `id` as `int | None` because it is None before the INSERT; this is
    the one place a caller states "this row exists now", and it fails loudly if it does not."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id yet: flush it before using its key")
    return row.id


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a `table=True` model (SQLModel does not type `__table__`)."""
    table = inspect(model).local_table
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not mapped to a table")
    return table
