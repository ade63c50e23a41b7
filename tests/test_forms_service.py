"""Forms workflow on both engines (R12): draft, submit, validate, reject with reason,
resubmission diff, queue order, santé privacy (B6), nightly expiry, audit."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from portail_tui.clock import PARIS, FixedClock
from portail_tui.services import forms
from portail_tui.services.context import Context, PermissionDenied, ServiceError
from portail_tui.services.dossier import InvalidFields
from tests.support.dossier_town import ASSURANCE, SANTE, audit_actions, form_row, seed


def test_draft_keeps_what_was_typed_and_warns(ctx: Context) -> None:
    town = seed(ctx)
    saved = forms.save_draft(town.agent, town.lea, "assurance",
                             {"compagnie": "MAIF", "date_fin": "31/13/2027", "responsabilite_civile": "oui"})
    assert saved.view.status == "en_cours"
    assert saved.view.status_label == "en cours de saisie"
    assert saved.view.texts["date_fin"] == "31/13/2027"  # kept as typed
    assert set(saved.warnings) == {"date_fin"}
    assert forms.get_form(town.agent, town.lea, "assurance").texts["compagnie"] == "MAIF"


def test_overlong_draft_is_refused_and_changes_nothing(ctx: Context) -> None:
    town = seed(ctx)
    with pytest.raises(InvalidFields) as err:
        forms.save_draft(town.agent, town.lea, "contact", {"contact_urgence": "x" * 10_000})
    assert "contact_urgence" in err.value.errors
    assert form_row(ctx, town.lea, "contact").status == "a_saisir"


def test_submit_refuses_incomplete_form_with_field_messages(ctx: Context) -> None:
    town = seed(ctx)
    with pytest.raises(InvalidFields) as err:
        forms.submit(town.agent, town.lea, "assurance", {**ASSURANCE, "numero_contrat": "", "date_fin": "01/01/2020"})
    assert err.value.errors == {"numero_contrat": "Champ obligatoire.", "date_fin": "La date est déjà passée."}
    assert form_row(ctx, town.lea, "assurance").status == "a_saisir"


def test_full_cycle_with_rejection_and_diff(ctx: Context, clock: FixedClock) -> None:
    town = seed(ctx)
    forms.save_draft(town.agent, town.lea, "assurance", {"compagnie": "MAIF"})
    view = forms.submit(town.agent, town.lea, "assurance", ASSURANCE)
    assert view.status == "en_validation" and view.changes == ()
    with pytest.raises(ServiceError, match="en validation"):
        forms.save_draft(town.agent, town.lea, "assurance", ASSURANCE)
    with pytest.raises(ServiceError, match="motif"):
        forms.reject_form(town.regisseur, town.lea, "assurance", "   ")
    clock.advance(timedelta(hours=1))
    view = forms.reject_form(town.regisseur, town.lea, "assurance", "Attestation de l'an dernier")
    assert view.status == "rejetee" and view.reject_reason == "Attestation de l'an dernier"
    assert view.decided_by == "agent:regisseur"
    clock.advance(timedelta(hours=1))
    forms.submit(town.agent, town.lea, "assurance", ASSURANCE)
    view = forms.validate_form(town.regisseur, town.lea, "assurance")
    assert view.status == "validee" and view.reject_reason is None
    assert view.expires_on == date(2027, 8, 31)
    assert view.validated == view.texts
    # A later update shows what changed against the validated values.
    forms.submit(town.agent, town.lea, "assurance", {**ASSURANCE, "numero_contrat": "987654321"})
    view = forms.get_form(town.regisseur, town.lea, "assurance")
    assert view.is_resubmission
    assert [(c.name, c.before, c.after) for c in view.changes] == [("numero_contrat", "123456789", "987654321")]
    moves = [(json.loads(a.details)["status_from"], json.loads(a.details)["status_to"], a.actor)
             for a in audit_actions(ctx, "form.")]
    assert moves == [
        ("a_saisir", "en_cours", "agent:agent"),
        ("en_cours", "en_validation", "agent:agent"),
        ("en_validation", "rejetee", "agent:regisseur"),
        ("rejetee", "en_validation", "agent:agent"),
        ("en_validation", "validee", "agent:regisseur"),
        ("validee", "en_validation", "agent:agent"),
    ]
    reject = audit_actions(ctx, "form.reject")[0]
    assert json.loads(reject.details)["reason"] == "Attestation de l'an dernier"
    assert reject.family_id == town.family_id


def test_agents_cannot_decide(ctx: Context) -> None:
    town = seed(ctx)
    forms.submit(town.agent, town.lea, "assurance", ASSURANCE)
    with pytest.raises(PermissionDenied):
        forms.validate_form(town.agent, town.lea, "assurance")
    with pytest.raises(PermissionDenied):
        forms.reject_form(town.agent, town.lea, "assurance", "non")
    assert form_row(ctx, town.lea, "assurance").status == "en_validation"


def test_deciding_twice_is_refused(ctx: Context) -> None:
    town = seed(ctx)
    forms.submit(town.agent, town.lea, "assurance", ASSURANCE)
    forms.validate_form(town.regisseur, town.lea, "assurance")
    with pytest.raises(ServiceError, match="Seule une fiche en validation"):
        forms.reject_form(town.regisseur, town.lea, "assurance", "trop tard")
    with pytest.raises(ServiceError):
        forms.validate_form(town.regisseur, town.lea, "contact")  # still à saisir


def test_health_form_hidden_from_agent_without_the_right(ctx: Context) -> None:
    town = seed(ctx)
    forms.submit(town.regisseur, town.lea, "sante", SANTE)
    view = forms.get_form(town.agent, town.lea, "sante")
    assert view.hidden and view.texts == {} and view.status == "en_validation"
    assert all(not v.texts for v in forms.child_forms(town.agent, town.lea) if v.kind == "sante")
    with pytest.raises(PermissionDenied):
        forms.save_draft(town.agent, town.lea, "sante", SANTE)
    with pytest.raises(PermissionDenied):
        forms.submit(town.agent, town.lea, "sante", SANTE)
    blind_regisseur = town.regisseur.as_actor(replace(town.regisseur.actor, can_see_health=False))  # type: ignore[arg-type]
    with pytest.raises(PermissionDenied):
        forms.validate_form(blind_regisseur, town.lea, "sante")
    visible = forms.get_form(town.regisseur, town.lea, "sante")
    assert visible.texts["allergies"] == "arachide" and visible.texts["regime_alimentaire"] == "Sans porc"
    # The audit says which fields changed, never the health values themselves.
    assert "arachide" not in " ".join(a.details for a in audit_actions(ctx, "form."))


def test_queue_oldest_first_across_families(ctx: Context, clock: FixedClock) -> None:
    town = seed(ctx)
    forms.submit(town.agent, town.noe, "assurance", ASSURANCE)
    clock.advance(timedelta(minutes=5))
    forms.submit(town.agent, town.lea, "assurance", ASSURANCE)
    clock.advance(timedelta(minutes=5))
    forms.submit(town.regisseur, town.lea, "sante", SANTE)
    queue = forms.validation_queue(town.regisseur)
    assert [(q.child_name, q.kind) for q in queue] == [
        ("Noé Lefèvre", "assurance"), ("Léa Lefèvre", "assurance"), ("Léa Lefèvre", "sante")]
    assert queue[0].families == "Lefèvre (n° 000001)" and queue[0].family_id == town.family_id
    forms.validate_form(town.regisseur, town.noe, "assurance")
    assert [q.child_name for q in forms.validation_queue(town.regisseur)] == ["Léa Lefèvre", "Léa Lefèvre"]


def test_counts_for_alerts(ctx: Context) -> None:
    town = seed(ctx)
    forms.submit(town.agent, town.lea, "assurance", ASSURANCE)
    forms.save_draft(town.agent, town.lea, "contact", {"contact_urgence": "Mamie"})

    def counts(s):  # type: ignore[no-untyped-def]
        return forms.family_status_counts(s, town.family_id), forms.regie_status_counts(s, town.regie_id)

    fam, regie = ctx.db.read(counts)
    assert fam["a_saisir"] == 8 and fam["en_validation"] == 1 and fam["en_cours"] == 1
    assert regie["en_validation"] == 1


def _validated(town, clock: FixedClock, child: int, kind: str, data: dict) -> None:  # type: ignore[no-untyped-def]
    forms.submit(town.agent if kind != "sante" else town.regisseur, child, kind, data)
    forms.validate_form(town.regisseur, child, kind)


def test_expiry_insurance_end_and_rollover_idempotent(ctx: Context, clock: FixedClock) -> None:
    town = seed(ctx)
    _validated(town, clock, town.lea, "assurance", {**ASSURANCE, "date_fin": "31/12/2026"})
    _validated(town, clock, town.noe, "assurance", ASSURANCE)  # ends 31/08/2027
    _validated(town, clock, town.lea, "sante", SANTE)
    system = Context(db=ctx.db, clock=ctx.clock, settings=ctx.settings)  # as `portail nightly` runs
    assert forms.expire_forms(system, date(2026, 12, 31)) == 0  # the last day still covered
    assert forms.expire_forms(system, date(2027, 1, 1)) == 1
    assert form_row(ctx, town.lea, "assurance").status == "a_mettre_a_jour"
    assert forms.expire_forms(system, date(2027, 1, 1)) == 0  # idempotent
    assert forms.expire_forms(system, date(2027, 8, 31)) == 0
    # Rollover (09-01): everything validated during the previous school year.
    assert forms.expire_forms(system, date(2027, 9, 1)) == 2
    assert forms.expire_forms(system, date(2027, 9, 1)) == 0
    assert form_row(ctx, town.lea, "sante").status == "a_mettre_a_jour"
    logs = audit_actions(ctx, "form.expire")
    assert [(a.entity_id, json.loads(a.details)["reason"]) for a in logs] == [
        (form_row(ctx, town.lea, "assurance").id, "assurance échue"),
        (form_row(ctx, town.lea, "sante").id, "rentrée scolaire 2027"),
        (form_row(ctx, town.noe, "assurance").id, "assurance échue"),
    ]
    assert all(a.actor == "system" for a in logs)
    # An expired form can be filled again and goes back to validation.
    clock.set(datetime(2027, 9, 2, 9, tzinfo=PARIS))
    forms.submit(town.agent, town.noe, "assurance", {**ASSURANCE, "date_fin": "31/08/2028"})
    assert form_row(ctx, town.noe, "assurance").status == "en_validation"


def test_rollover_date_from_settings(ctx: Context) -> None:
    town = seed(ctx)
    _validated(town, None, town.lea, "contact",  # type: ignore[arg-type]
               {"contact_urgence": "Mamie", "telephone": "0612345678"})
    late = Context(db=ctx.db, clock=ctx.clock, settings=replace(ctx.settings, rollover="08-25"))
    assert forms.expire_forms(late, date(2027, 8, 24)) == 0
    assert forms.expire_forms(late, date(2027, 8, 25)) == 1


def test_forms_created_on_demand_for_older_rows(ctx: Context) -> None:
    from sqlalchemy import delete

    from portail_tui.models import Form

    town = seed(ctx)
    ctx.db.write(lambda s: s.execute(delete(Form).where(Form.child_id == town.noe)))
    views = forms.child_forms(town.agent, town.noe)
    assert [v.status for v in views] == ["a_saisir"] * 5 and all(v.id is None for v in views)
    forms.save_draft(town.agent, town.noe, "reglement", {"version": "2026"})
    assert form_row(ctx, town.noe, "reglement").status == "en_cours"
    assert form_row(ctx, town.noe, "sante").status == "a_saisir"


def test_unknown_child_or_kind(ctx: Context) -> None:
    town = seed(ctx)
    with pytest.raises(ServiceError, match="introuvable"):
        forms.get_form(town.agent, 999, "assurance")
    with pytest.raises(ServiceError, match="inconnu"):
        forms.get_form(town.agent, town.lea, "piscine")


def test_bad_rollover_setting_is_a_french_refusal(ctx: Context) -> None:
    town = seed(ctx)
    bad = Context(db=ctx.db, clock=ctx.clock, settings=replace(ctx.settings, rollover="13-45"))
    with pytest.raises(ServiceError, match="rentrée invalide"):
        forms.expire_forms(bad, date(2027, 1, 1))
    forms.submit(town.agent, town.lea, "assurance", ASSURANCE)
    with pytest.raises(ServiceError, match="rentrée invalide"):
        forms.validate_form(bad.as_actor(town.regisseur.actor), town.lea, "assurance")  # type: ignore[arg-type]
