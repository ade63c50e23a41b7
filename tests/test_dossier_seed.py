"""The dossier tests' small town (tests/support/dossier_town.py) builds through the
services."""

from __future__ import annotations

from portail_tui.services import dossier
from portail_tui.services.context import Context
from tests.support.dossier_town import form_row, seed


def test_seed_builds_a_family_with_ten_forms(ctx: Context) -> None:
    town = seed(ctx)
    file = dossier.family_file(town.agent, town.family_id)
    assert file.name == "Lefèvre" and file.number == 1
    assert [c.first_name for c in file.children] == ["Léa", "Noé"]
    assert all(set(c.form_statuses.values()) == {"a_saisir"} for c in file.children)
    assert form_row(ctx, town.lea, "sante").status == "a_saisir"
