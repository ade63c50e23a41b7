"""Dossier famille services on both engines: fiche responsable, second guardian,
children and links, contacts, shared custody, bad input, audit, right-of-access export."""

from __future__ import annotations

import json

import pytest

from portail_tui.services import dossier
from portail_tui.services.context import Context, PermissionDenied, ServiceError
from portail_tui.services.families import search_families
from portail_tui.services.permissions import system_actor
from tests.support.dossier_town import GUARDIAN, LEA, audit_actions, seed


def test_fiche_responsable_every_field(ctx: Context) -> None:
    town = seed(ctx)
    g = dossier.family_file(town.agent, town.family_id).guardian(1)
    assert g is not None
    assert g.values["phone_mobile"] == "06 12 34 56 78"  # stored formatted
    assert g.values["postal_code"] == "87590"
    assert g.display_name == "Mme Hélène Lefèvre"
    assert g.address == "12 rue des Lilas, 87590 Saint-Just-le-Martel"
    changed = {**GUARDIAN, "address_complement": "Bâtiment A", "locality": "Lieu-dit Les Bois",
               "phone_home": "05 55 00 11 22", "phone_work": "+33 5 87 00 11 22"}
    out = dossier.save_guardian(town.agent, town.family_id, 1, changed)
    assert out.values["phone_work"] == "05 87 00 11 22"
    log = audit_actions(ctx, "guardian.update")[-1]
    details = json.loads(log.details)
    assert set(details["changes"]) == {"address_complement", "locality", "phone_home", "phone_work"}
    assert log.actor == "agent:agent" and log.family_id == town.family_id


def test_name_phone_email_changes_refresh_search(ctx: Context) -> None:
    town = seed(ctx)
    assert search_families(town.agent, "durand") == []
    dossier.save_guardian(town.agent, town.family_id, 1,
                          {**GUARDIAN, "last_name": "Durand", "phone_mobile": "07 77 66 55 44",
                           "email": "h.durand@example.fr"})
    assert [h.id for h in search_families(town.agent, "durand")] == [town.family_id]
    assert [h.id for h in search_families(town.agent, "07 77 66")] == [town.family_id]
    assert [h.id for h in search_families(town.agent, "h.durand")] == [town.family_id]
    file = dossier.family_file(town.agent, town.family_id)
    assert file.name == "Durand"  # display name follows the main guardian
    assert file.email == "h.durand@example.fr"


def test_second_guardian_add_and_remove(ctx: Context) -> None:
    town = seed(ctx)
    second = {"civility": "M.", "last_name": "Lefèvre", "first_name": "Jérôme", "phone_mobile": "0698765432"}
    dossier.save_guardian(town.agent, town.family_id, 2, second)
    file = dossier.family_file(town.agent, town.family_id)
    assert [g.rank for g in file.guardians] == [1, 2]
    assert [h.id for h in search_families(town.agent, "jerome")] == [town.family_id]
    dossier.remove_second_guardian(town.agent, town.family_id)
    assert [g.rank for g in dossier.family_file(town.agent, town.family_id).guardians] == [1]
    with pytest.raises(ServiceError):
        dossier.remove_second_guardian(town.agent, town.family_id)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("postal_code", "8759", "5 chiffres"),
        ("email", "helene@", "Adresse électronique invalide"),
        ("phone_mobile", "06 12 34", "Numéro de téléphone invalide"),
        ("last_name", "", "Champ obligatoire"),
        ("last_name", "x" * 10_000, "80 caractères au plus"),
        ("civility", "Dr", "Choisissez parmi"),
    ],
)
def test_bad_guardian_input_is_refused_next_to_the_field(ctx: Context, field: str, value: str,
                                                         message: str) -> None:
    town = seed(ctx)
    before = dossier.family_file(town.agent, town.family_id).guardian(1)
    with pytest.raises(dossier.InvalidFields) as err:
        dossier.save_guardian(town.agent, town.family_id, 1, {**GUARDIAN, field: value})
    assert set(err.value.errors) == {field}
    assert message in err.value.errors[field]
    assert err.value.field == field
    assert dossier.family_file(town.agent, town.family_id).guardian(1) == before  # nothing saved


def test_several_bad_fields_are_all_reported(ctx: Context) -> None:
    town = seed(ctx)
    with pytest.raises(dossier.InvalidFields) as err:
        dossier.save_guardian(town.agent, town.family_id, 1,
                              {**GUARDIAN, "postal_code": "1", "email": "x", "first_name": ""})
    assert set(err.value.errors) == {"postal_code", "email", "first_name"}
    assert "3 champs" in err.value.message


def test_family_info_quotient_and_allocataire(ctx: Context) -> None:
    town = seed(ctx)
    out = dossier.save_family_info(town.agent, town.family_id, {
        "allocataire_type": "caf", "allocataire_number": "1234567", "quotient": "640",
        "quotient_valid_from": "01/01/2026", "quotient_valid_to": "31/12/2026"})
    assert out["allocataire_type"] == "CAF" and out["quotient"] == "640"
    assert out["quotient_valid_to"] == "31/12/2026"
    with pytest.raises(dossier.InvalidFields) as err:
        dossier.save_family_info(town.agent, town.family_id, {
            "quotient": "640", "quotient_valid_from": "01/01/2027", "quotient_valid_to": "31/12/2026"})
    assert "quotient_valid_to" in err.value.errors
    with pytest.raises(dossier.InvalidFields):
        dossier.save_family_info(town.agent, town.family_id, {"quotient": "-3"})


def test_child_add_modify_and_links(ctx: Context) -> None:
    town = seed(ctx)
    file = dossier.family_file(town.agent, town.family_id)
    lea = file.child(town.lea)
    assert lea is not None
    assert lea.values["birth_date"] == "14/03/2018" and lea.values["school_class"] == "CE2"
    assert lea.link["relationship"] == "Parents" and lea.link["parental_authority"] == "oui"
    dossier.update_child(town.agent, town.family_id, town.lea, {**LEA, "school_class": "CM1"})
    dossier.save_link(town.agent, town.family_id, town.lea, {
        "relationship": "mère", "parents_situation": "Séparés", "emergency_contact": "oui",
        "residence": "alternée", "parental_authority": "oui", "caf_affiliation": "non"})
    lea = dossier.family_file(town.agent, town.family_id).child(town.lea)
    assert lea is not None
    assert lea.values["school_class"] == "CM1"
    assert lea.link == {"relationship": "Mère", "parents_situation": "Séparés", "emergency_contact": "oui",
                        "residence": "Alternée", "parental_authority": "oui", "caf_affiliation": "non"}
    assert [a.action for a in audit_actions(ctx, "child.")] == ["child.create", "child.create", "child.update"]


def test_birth_date_in_the_future_is_refused(ctx: Context) -> None:
    town = seed(ctx)
    with pytest.raises(dossier.InvalidFields) as err:
        dossier.add_child(town.agent, town.family_id, {**LEA, "first_name": "Zoé", "birth_date": "29/11/2026"})
    assert err.value.errors == {"birth_date": "La date ne peut pas être dans le futur."}
    with pytest.raises(ServiceError, match="déjà rattaché"):
        dossier.add_child(town.agent, town.family_id, LEA)
    assert len(dossier.family_file(town.agent, town.family_id).children) == 2


def test_shared_custody_child_in_two_families(ctx: Context) -> None:
    town = seed(ctx)
    other = dossier.create_family(town.agent, {"civility": "M.", "last_name": "Martin", "first_name": "Paul"})
    hits = dossier.find_children(town.agent, "léa")
    assert [h.id for h in hits] == [town.lea]
    link = {"relationship": "Père", "parents_situation": "Séparés", "emergency_contact": "oui",
            "residence": "Alternée", "parental_authority": "oui", "caf_affiliation": "non"}
    dossier.attach_child(town.agent, other, town.lea, link)
    mine = dossier.family_file(town.agent, town.family_id).child(town.lea)
    theirs = dossier.family_file(town.agent, other).child(town.lea)
    assert mine is not None and theirs is not None
    assert theirs.other_families == ("Lefèvre (n° 000001)",)
    assert mine.other_families == ("Martin (n° 000002)",)
    assert theirs.link["relationship"] == "Père" and mine.link["relationship"] == "Parents"
    with pytest.raises(ServiceError, match="déjà rattaché"):
        dossier.attach_child(town.agent, other, town.lea, link)
    third = dossier.create_family(town.agent, {"civility": "Mme", "last_name": "Petit", "first_name": "Ana"})
    with pytest.raises(ServiceError, match="deux familles"):
        dossier.attach_child(town.agent, third, town.lea, link)
    assert [h.id for h in search_families(town.agent, "martin lea")] == [other]


def test_contacts(ctx: Context) -> None:
    town = seed(ctx)
    cid = dossier.add_contact(town.agent, town.family_id, {
        "name": "Josette Lefèvre", "phone": "05 55 11 22 33", "relationship": "Grand-mère",
        "may_pick_up": "oui", "emergency": "oui"}, child_id=town.lea)
    file = dossier.family_file(town.agent, town.family_id)
    assert [(c.id, c.values["name"], c.child_name) for c in file.contacts] == [(cid, "Josette Lefèvre", "Léa Lefèvre")]
    dossier.update_contact(town.agent, town.family_id, cid, {
        "name": "Josette Lefèvre", "phone": "06 00 11 22 33", "may_pick_up": "non", "emergency": "oui"})
    assert dossier.family_file(town.agent, town.family_id).contacts[0].values["may_pick_up"] == "non"
    with pytest.raises(dossier.InvalidFields) as err:
        dossier.add_contact(town.agent, town.family_id, {"name": "X", "phone": "12", "may_pick_up": "oui",
                                                         "emergency": "peut-être"})
    assert set(err.value.errors) == {"phone", "emergency"}
    dossier.remove_contact(town.agent, town.family_id, cid)
    assert dossier.family_file(town.agent, town.family_id).contacts == ()
    assert [a.action for a in audit_actions(ctx, "contact.")] == ["contact.create", "contact.update",
                                                                  "contact.remove"]


def test_other_regie_and_anonymous_are_refused(ctx: Context) -> None:
    town = seed(ctx)
    from dataclasses import replace

    stranger = town.agent.as_actor(replace(town.agent.actor, regie_id=town.regie_id + 99))  # type: ignore[arg-type]
    with pytest.raises(ServiceError, match="introuvable"):
        dossier.family_file(stranger, town.family_id)
    with pytest.raises(ServiceError, match="introuvable"):
        dossier.save_guardian(stranger, town.family_id, 1, GUARDIAN)
    anonymous = Context(db=ctx.db, clock=ctx.clock, settings=ctx.settings)
    with pytest.raises(PermissionDenied):
        dossier.save_guardian(anonymous, town.family_id, 1, GUARDIAN)


def test_right_of_access_export(ctx: Context) -> None:
    from portail_tui.services import forms, portal_accounts
    from tests.support.dossier_town import SANTE

    town = seed(ctx)
    forms.submit(town.regisseur, town.lea, "sante", SANTE)
    portal_accounts.create_account(town.agent, town.family_id)
    dossier.add_contact(town.agent, town.family_id, {"name": "Josette", "phone": "0555112233",
                                                     "may_pick_up": "oui", "emergency": "oui"})
    with pytest.raises(PermissionDenied):
        dossier.export_family(town.agent, town.family_id)  # agents cannot export a whole family
    system = ctx.as_actor(system_actor(town.regie_id))
    data = dossier.export_family(system, town.family_id)
    text = json.dumps(data, ensure_ascii=False)
    assert data["famille"]["name"] == "Lefèvre"
    assert {c["first_name"] for c in data["child"]} == {"Léa", "Noé"}
    assert len(data["guardian"]) == 1 and len(data["contact"]) == 1
    assert len(data["form"]) == 10
    sante = next(f for f in data["form"] if f["kind"] == "sante" and f["child_id"] == town.lea)
    assert sante["data"]["medecin_traitant"] == "Dr Amélie Chassagne"
    assert data["portal_account"][0]["identifier"]
    assert "password_hash" not in data["portal_account"][0]
    assert "argon2" not in text
    assert any(m["kind"].startswith("portal") for m in data["outbox"])
    assert all("confidentiel" in m["body_text"] for m in data["outbox"] if m["kind"].startswith("portal"))
    assert any(a["action"] == "child.create" for a in data["audit_log"])
    # A régisseur without the santé right gets the rest, not the health data.
    from dataclasses import replace

    blind = town.regisseur.as_actor(replace(town.regisseur.actor, can_see_health=False))  # type: ignore[arg-type]
    hidden = dossier.export_family(blind, town.family_id)
    sante = next(f for f in hidden["form"] if f["kind"] == "sante" and f["child_id"] == town.lea)
    assert "Chassagne" not in json.dumps(hidden, ensure_ascii=False)
    assert isinstance(sante["data"], str)
    assert audit_actions(ctx, "family.export")[-1].actor == "agent:regisseur"
