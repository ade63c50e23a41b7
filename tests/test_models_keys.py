"""`id_of` and `table_of`: the typed way to a row's key and a model's table."""

from __future__ import annotations

import pytest

from portail_tui.models import Family, Regie, id_of, table_of


def test_id_of_returns_the_key_of_a_stored_row() -> None:
    assert id_of(Regie(id=7, code="R", name="Régie")) == 7


def test_id_of_refuses_a_row_not_flushed_yet() -> None:
    with pytest.raises(ValueError, match="flush"):
        id_of(Regie(code="R", name="Régie"))


def test_table_of_is_the_mapped_table() -> None:
    table = table_of(Family)
    assert table.name == "family" and "regie_id" in table.c
