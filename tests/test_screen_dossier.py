"""Dossier famille tab through Textual's Pilot, as an agent would use it: a form filled
as a draft, submitted, rejected with a reason, corrected and resubmitted, validated
from the queue in two keystrokes; santé hidden from the agent without the right;
bad input shown next to the field without losing what was typed."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import DataTable, Input, Select, Static

from portail_tui.app import PortailApp
from portail_tui.clock import FixedClock
from portail_tui.config import Settings
from portail_tui.db import Database
from portail_tui.screens.dossier.editor import RecordEditor
from portail_tui.screens.dossier.forms_editor import FormScreen
from portail_tui.screens.dossier.forms_queue import ValidationQueueScreen
from portail_tui.screens.dossier.screen import DossierScreen
from portail_tui.services.context import Context
from tests.support.dossier_town import ASSURANCE, SANTE, Town, form_row, seed

SIZE = (140, 48)


@pytest.fixture
def town_ctx(sqlite_db: Database, clock: FixedClock, settings: Settings) -> tuple[Town, Context]:
    ctx = Context(db=sqlite_db, clock=clock, settings=settings)
    return seed(ctx), ctx


async def settle(app: PortailApp, pilot: Any) -> None:
    for _ in range(4):
        await app.workers.wait_for_complete()
        await pilot.pause()


async def open_dossier(app: PortailApp, pilot: Any, family_id: int) -> DossierScreen:
    await settle(app, pilot)
    await pilot.press("f5")
    await settle(app, pilot)
    app.select_family(family_id)
    await settle(app, pilot)
    screen = app.screen
    assert isinstance(screen, DossierScreen)
    return screen


def text_of(widget: Static) -> str:
    return str(widget.render())


def fill(screen: Any, values: dict[str, str]) -> None:
    for name, value in values.items():
        widget = screen.query_one(f"#f-{name}")
        if isinstance(widget, Select):
            widget.value = value
        else:
            widget.value = value


async def open_form(app: PortailApp, pilot: Any, row: int) -> FormScreen:
    """From the Dossier tab: children list → Entrée → forms list → row → Entrée."""
    screen = app.screen
    screen.query_one("#dossier-children", DataTable).focus()
    await pilot.press("enter")
    forms_table = screen.query_one("#dossier-forms", DataTable)
    assert screen.focused is forms_table
    forms_table.move_cursor(row=row)
    await pilot.press("enter")
    await settle(app, pilot)
    assert isinstance(app.screen, FormScreen)
    return app.screen


async def test_draft_submit_reject_resubmit_validate(town_ctx: tuple[Town, Context]) -> None:
    town, ctx = town_ctx
    app = PortailApp(ctx, actor=town.regisseur.actor)
    async with app.run_test(size=SIZE) as pilot:
        dossier_screen = await open_dossier(app, pilot, town.family_id)
        assert "Hélène" in text_of(dossier_screen.query_one("#dossier-guardians", Static))
        assert dossier_screen.query_one("#dossier-children", DataTable).row_count == 2

        # Draft: only the insurer, typed key by key.
        form = await open_form(app, pilot, 0)
        assert form.view.kind == "assurance" and form.editable
        await pilot.press(*"MAIF")
        await pilot.press("f7")
        await settle(app, pilot)
        assert form_row(ctx, town.lea, "assurance").status == "en_cours"
        assert "Brouillon enregistré" in text_of(form.query_one("#form-message", Static))
        assert "en cours de saisie" in text_of(form.query_one("#form-title", Static))

        # Submit with a missing field: refused next to it, what was typed kept.
        await pilot.press("f9")
        await settle(app, pilot)
        assert isinstance(app.screen, FormScreen)
        assert text_of(form.query_one("#e-numero_contrat", Static)) == "Champ obligatoire."
        assert form.query_one("#f-compagnie", Input).value == "MAIF"
        fill(form, {k: v for k, v in ASSURANCE.items() if k != "compagnie"})
        await pilot.press("f9")
        await settle(app, pilot)
        assert isinstance(app.screen, DossierScreen)
        assert form_row(ctx, town.lea, "assurance").status == "en_validation"

        # Reject with a reason (an empty reason is refused).
        review = await open_form(app, pilot, 0)
        assert review.reviewing and review.can_decide
        await pilot.press("r")
        await pilot.press("enter")
        await settle(app, pilot)
        assert "motif" in text_of(review.query_one("#form-message", Static))
        assert form_row(ctx, town.lea, "assurance").status == "en_validation"
        await pilot.press(*"Attestation illisible")
        await pilot.press("enter")
        await settle(app, pilot)
        row = form_row(ctx, town.lea, "assurance")
        assert row.status == "rejetee" and row.reject_reason == "Attestation illisible"
        forms_table = dossier_screen.query_one("#dossier-forms", DataTable)
        assert "Attestation illisible" in str(forms_table.get_row_at(0)[3])

        # Correct and resubmit.
        form = await open_form(app, pilot, 0)
        assert "Motif du rejet : Attestation illisible" in text_of(form.query_one("#form-reason-shown", Static))
        assert form.query_one("#f-numero_contrat", Input).value == "123456789"
        fill(form, {"numero_contrat": "555666777"})
        await pilot.press("f9")
        await settle(app, pilot)
        assert form_row(ctx, town.lea, "assurance").status == "en_validation"

        # Validation queue: opened with v, decided in two keystrokes (Entrée, v).
        await pilot.press("v")
        await settle(app, pilot)
        assert isinstance(app.screen, ValidationQueueScreen)
        queue = app.screen
        assert queue.query_one(DataTable).row_count == 1
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, FormScreen)
        await pilot.press("v")
        await settle(app, pilot)
        assert app.screen is queue
        assert queue.query_one(DataTable).row_count == 0
        row = form_row(ctx, town.lea, "assurance")
        assert row.status == "validee" and row.decided_by == "agent:regisseur"


async def test_resubmission_shows_changes_against_validated(town_ctx: tuple[Town, Context]) -> None:
    from portail_tui.services import forms

    town, ctx = town_ctx
    forms.submit(town.agent, town.lea, "assurance", ASSURANCE)
    forms.validate_form(town.regisseur, town.lea, "assurance")
    forms.submit(town.agent, town.lea, "assurance", {**ASSURANCE, "compagnie": "MACIF"})
    app = PortailApp(ctx, actor=town.regisseur.actor)
    async with app.run_test(size=SIZE) as pilot:
        await open_dossier(app, pilot, town.family_id)
        review = await open_form(app, pilot, 0)
        text = text_of(review.query_one("#form-review", Static))
        assert "1 champ(s) modifié(s)" in text
        assert "MAIF → MACIF" in text


async def test_agent_without_health_right_sees_no_health_data(town_ctx: tuple[Town, Context]) -> None:
    from portail_tui.services import forms

    town, ctx = town_ctx
    forms.submit(town.regisseur, town.lea, "sante", SANTE)
    app = PortailApp(ctx, actor=town.agent.actor)
    async with app.run_test(size=SIZE) as pilot:
        await open_dossier(app, pilot, town.family_id)
        form = await open_form(app, pilot, 4)
        assert form.view.kind == "sante" and form.view.hidden
        assert "réservées aux agents habilités" in text_of(form.query_one("#form-hidden", Static))
        assert not form.query("#f-allergies")
        screen_text = " ".join(text_of(w) for w in form.query(Static))
        assert "arachide" not in screen_text and "Chassagne" not in screen_text
        await pilot.press("v")  # not a régisseur: nothing happens
        await settle(app, pilot)
        assert form_row(ctx, town.lea, "sante").status == "en_validation"
        await pilot.press("escape")
        await settle(app, pilot)
        # The agent cannot decide from the queue either.
        await pilot.press("v")
        await settle(app, pilot)
        assert isinstance(app.screen, ValidationQueueScreen)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, FormScreen) and not app.screen.can_decide


async def test_bad_guardian_input_next_to_the_field(town_ctx: tuple[Town, Context]) -> None:
    town, ctx = town_ctx
    app = PortailApp(ctx, actor=town.agent.actor)
    async with app.run_test(size=SIZE) as pilot:
        await open_dossier(app, pilot, town.family_id)
        await pilot.press("e")
        await settle(app, pilot)
        editor = app.screen
        assert isinstance(editor, RecordEditor)
        fill(editor, {"postal_code": "8759", "email": "helene@", "last_name": "x" * 10_000})
        await pilot.press("f9")
        await settle(app, pilot)
        assert app.screen is editor
        assert "5 chiffres" in text_of(editor.query_one("#e-postal_code", Static))
        assert "électronique" in text_of(editor.query_one("#e-email", Static))
        assert "80 caractères au plus" in text_of(editor.query_one("#e-last_name", Static))
        assert editor.query_one("#f-postal_code", Input).value == "8759"  # kept as typed
        fill(editor, {"postal_code": "87000", "email": "helene@example.fr", "last_name": "Durand"})
        await pilot.press("f9")
        await settle(app, pilot)
        assert isinstance(app.screen, DossierScreen)
        assert "Durand" in text_of(app.screen.query_one("#dossier-guardians", Static))


async def test_add_child_and_contact(town_ctx: tuple[Town, Context]) -> None:
    from portail_tui.services import dossier

    town, ctx = town_ctx
    app = PortailApp(ctx, actor=town.agent.actor)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dossier(app, pilot, town.family_id)
        await pilot.press("n")
        await settle(app, pilot)
        editor = app.screen
        assert isinstance(editor, RecordEditor)
        fill(editor, {"first_name": "Zoé", "birth_date": "01/12/2026"})
        await pilot.press("f9")
        await settle(app, pilot)
        assert "futur" in text_of(editor.query_one("#e-birth_date", Static))
        fill(editor, {"birth_date": "01/06/2021", "school_class": "MS"})
        await pilot.press("f9")
        await settle(app, pilot)
        assert screen.query_one("#dossier-children", DataTable).row_count == 3
        await pilot.press("c")
        await settle(app, pilot)
        fill(app.screen, {"name": "Josette Lefèvre", "phone": "0555112233", "relationship": "Grand-mère"})
        await pilot.press("f9")
        await settle(app, pilot)
        assert screen.query_one("#dossier-contacts", DataTable).row_count == 1
    file = dossier.family_file(town.agent, town.family_id)
    assert [c.first_name for c in file.children] == ["Léa", "Noé", "Zoé"]
    assert file.children[2].values["school_class"] == "MS"
    assert file.contacts[0].values["phone"] == "05 55 11 22 33"
    assert file.contacts[0].child_name == "Léa Lefèvre"  # the highlighted child is proposed


async def test_second_guardian_added_then_removed(town_ctx: tuple[Town, Context]) -> None:
    from portail_tui.screens.dossier.editor import ConfirmScreen

    town, ctx = town_ctx
    app = PortailApp(ctx, actor=town.agent.actor)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dossier(app, pilot, town.family_id)
        await pilot.press("s")
        await settle(app, pilot)
        fill(app.screen, {"civility": "M.", "last_name": "Lefèvre", "first_name": "Jérôme"})
        await pilot.press("f9")
        await settle(app, pilot)
        assert "Second responsable : M. Jérôme Lefèvre" in text_of(screen.query_one("#dossier-guardians", Static))
        await pilot.press("S")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("o")
        await settle(app, pilot)
        assert "Second responsable : aucun" in text_of(screen.query_one("#dossier-guardians", Static))


async def test_portal_account_password_shown_once(town_ctx: tuple[Town, Context],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from argon2 import PasswordHasher

    from portail_tui.screens.dossier.editor import ConfirmScreen, MessageScreen
    from portail_tui.services import portal_accounts

    monkeypatch.setattr(portal_accounts, "hash_password",
                        PasswordHasher(time_cost=1, memory_cost=64, parallelism=1).hash)
    town, ctx = town_ctx
    app = PortailApp(ctx, actor=town.agent.actor)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dossier(app, pilot, town.family_id)
        assert "Pas encore de compte" in text_of(screen.query_one("#dossier-account", Static))
        await pilot.press("p")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("o")
        await settle(app, pilot)
        assert isinstance(app.screen, MessageScreen)
        shown = text_of(app.screen.query_one("#message-text", Static))
        assert "Identifiant : 000001" in shown and "Mot de passe provisoire" in shown
        await pilot.press("escape")
        await settle(app, pilot)
        account_line = text_of(screen.query_one("#dossier-account", Static))
        assert "000001" in account_line and "provisoire" in account_line
        assert "Mot de passe provisoire :" not in account_line
