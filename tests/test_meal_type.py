"""A child's meal type (P4) is set in the family file: four choices in French, the code
stored, the change audited; a bad choice is refused next to the field. Service on both
engines, the child editor through the Pilot."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portail_tui.app import PortailApp
from portail_tui.clock import FixedClock
from portail_tui.config import Settings
from portail_tui.db import Database
from portail_tui.models import Child
from portail_tui.screens.dossier.editor import RecordEditor
from portail_tui.services import dossier
from portail_tui.services.context import Context
from tests.support.dossier_town import LEA, audit_actions, seed
from tests.test_screen_dossier import SIZE, fill, open_dossier, settle


def _meal(ctx: Context, child_id: int) -> str:
    return ctx.db.read(lambda s: s.execute(select(Child.meal_type).where(Child.id == child_id)).scalar_one())


def test_meal_type_set_in_the_family_file_and_audited(ctx: Context) -> None:
    town = seed(ctx)
    lea = dossier.family_file(town.agent, town.family_id).child(town.lea)
    assert lea is not None and lea.values["meal_type"] == "Standard"
    out = dossier.update_child(town.agent, town.family_id, town.lea, {**LEA, "meal_type": "sans porc"})
    assert out["meal_type"] == "Sans porc"
    assert _meal(ctx, town.lea) == "sans_porc"
    update = audit_actions(ctx, "child.update")[-1]
    assert '"meal_type": ["Standard", "Sans porc"]' in (update.details or "")
    with pytest.raises(dossier.InvalidFields) as err:
        dossier.update_child(town.agent, town.family_id, town.lea, {**LEA, "meal_type": "végétarien"})
    assert "meal_type" in err.value.errors and "Choisissez parmi" in err.value.errors["meal_type"]
    assert _meal(ctx, town.lea) == "sans_porc"
    dossier.update_child(town.agent, town.family_id, town.lea, {**LEA, "meal_type": ""})
    assert _meal(ctx, town.lea) == "standard"  # empty means standard, never a broken row
    new = dossier.add_child(town.agent, town.family_id, {**LEA, "first_name": "Zoé",
                                                         "meal_type": "PAI panier repas"})
    assert _meal(ctx, new) == "pai_panier"


async def test_meal_type_chosen_in_the_child_editor(sqlite_db: Database, clock: FixedClock,
                                                    settings: Settings) -> None:
    ctx = Context(db=sqlite_db, clock=clock, settings=settings)
    town = seed(ctx)
    app = PortailApp(ctx, actor=town.agent.actor)
    async with app.run_test(size=SIZE) as pilot:
        await open_dossier(app, pilot, town.family_id)
        await pilot.press("m")
        await settle(app, pilot)
        editor = app.screen
        assert isinstance(editor, RecordEditor)
        fill(editor, {"meal_type": "Sans viande"})
        await pilot.press("f9")
        await settle(app, pilot)
        assert not isinstance(app.screen, RecordEditor)
    assert _meal(ctx, town.lea) == "sans_viande"
