"""Form status machine (R12): every (status, event) pair, allowed or refused; field
checks of the forms and of the family file records; diff of a resubmission."""

from __future__ import annotations

from datetime import date

import pytest

from portail_tui.domain import forms as F
from portail_tui.domain.validation import (
    EMAIL,
    FUTURE,
    PAST,
    PHONE,
    POSTAL_CODE,
    REQUIRED,
    FieldDef,
    FieldValueError,
    clean_field,
    clean_values,
)

TODAY = date(2026, 11, 28)

# The whole table written out by hand, so a change to TRANSITIONS must be deliberate.
EXPECTED: dict[tuple[str, str], str] = {
    ("a_saisir", "save_draft"): "en_cours",
    ("a_saisir", "submit"): "en_validation",
    ("en_cours", "save_draft"): "en_cours",
    ("en_cours", "submit"): "en_validation",
    ("en_validation", "validate"): "validee",
    ("en_validation", "reject"): "rejetee",
    ("validee", "save_draft"): "en_cours",
    ("validee", "submit"): "en_validation",
    ("validee", "expire"): "a_mettre_a_jour",
    ("rejetee", "save_draft"): "en_cours",
    ("rejetee", "submit"): "en_validation",
    ("a_mettre_a_jour", "save_draft"): "en_cours",
    ("a_mettre_a_jour", "submit"): "en_validation",
}

ALL_PAIRS = [(s, e) for s in F.STATUSES for e in F.EVENTS]


def test_statuses_match_the_model() -> None:
    from portail_tui.models import FORM_KINDS, FORM_STATUSES

    assert set(F.STATUSES) == set(FORM_STATUSES)
    assert F.KINDS == FORM_KINDS


@pytest.mark.parametrize(("status", "event"), ALL_PAIRS, ids=[f"{s}-{e}" for s, e in ALL_PAIRS])
def test_every_transition(status: str, event: str) -> None:
    expected = EXPECTED.get((status, event))
    reason = "Attestation illisible" if event == "reject" else None
    if expected is None:
        assert not F.can(status, event)
        with pytest.raises(F.TransitionError) as err:
            F.next_status(status, event, reason=reason)
        assert err.value.message  # a French sentence, not empty
    else:
        assert F.can(status, event)
        assert F.next_status(status, event, reason=reason) == expected


def test_allowed_events_lists_exactly_the_table() -> None:
    for status in F.STATUSES:
        assert set(F.allowed_events(status)) == {e for (s, e) in EXPECTED if s == status}


@pytest.mark.parametrize("reason", [None, "", "   \n "])
def test_reject_needs_a_reason(reason: str | None) -> None:
    with pytest.raises(F.TransitionError) as err:
        F.next_status("en_validation", "reject", reason=reason)
    assert err.value.field == "reason"
    assert "motif" in err.value.message


def test_reject_reason_length_is_bounded() -> None:
    with pytest.raises(F.TransitionError):
        F.next_status("en_validation", "reject", reason="x" * (F.MAX_REASON_LENGTH + 1))
    assert F.next_status("en_validation", "reject", reason="x" * F.MAX_REASON_LENGTH) == "rejetee"


def test_editing_a_form_under_validation_says_why() -> None:
    with pytest.raises(F.TransitionError, match="en validation"):
        F.next_status("en_validation", "save_draft")


def test_unknown_status_or_event() -> None:
    with pytest.raises(F.TransitionError):
        F.next_status("perdue", "submit")
    with pytest.raises(F.TransitionError):
        F.next_status("a_saisir", "supprimer")


def test_legend_follows_the_guide() -> None:
    assert [label for _, label in F.LEGEND] == [
        "à saisir", "rejetée/corrigée", "en cours de saisie", "en validation", "validée", "à mettre à jour",
    ]
    assert set(F.STATUS_COLOURS) == set(F.STATUSES)
    assert len(set(F.STATUS_COLOURS.values())) == 6


# --------------------------------------------------------------------------- field checks


@pytest.mark.parametrize(
    ("raw", "text"),
    [("06 12 34 56 78", "06 12 34 56 78"), ("0612345678", "06 12 34 56 78"),
     ("+33 6 12 34 56 78", "06 12 34 56 78"), ("0033612345678", "06 12 34 56 78"),
     ("01.23.45.67.89", "01 23 45 67 89")],
)
def test_phone_accepted(raw: str, text: str) -> None:
    assert clean_field(FieldDef("p", "Tél.", "phone"), raw, TODAY).text == text


@pytest.mark.parametrize("raw", ["061234567", "06123456789", "1612345678", "0012345678", "06 12 ab 56 78",
                                 "+44 20 7946 0958", "０６１２３４５６７８"])
def test_phone_refused(raw: str) -> None:
    with pytest.raises(FieldValueError) as err:
        clean_field(FieldDef("p", "Tél.", "phone"), raw, TODAY)
    assert err.value.message == PHONE


@pytest.mark.parametrize("raw", ["1234", "123456", "7500A", "75 0 0"])
def test_postal_code_refused(raw: str) -> None:
    with pytest.raises(FieldValueError) as err:
        clean_field(FieldDef("cp", "Code postal", "postal_code", max_length=10), raw, TODAY)
    assert err.value.message == POSTAL_CODE


def test_postal_code_accepted() -> None:
    assert clean_field(FieldDef("cp", "CP", "postal_code", max_length=10), " 87 590 ", TODAY).text == "87590"


@pytest.mark.parametrize("raw", ["marie", "marie@", "@exemple.fr", "marie@exemple", "ma rie@exemple.fr",
                                 "marie@@exemple.fr", "marie@exemple..fr"])
def test_email_refused(raw: str) -> None:
    with pytest.raises(FieldValueError) as err:
        clean_field(FieldDef("e", "Courriel", "email", max_length=254), raw, TODAY)
    assert err.value.message == EMAIL


def test_email_domain_lowercased() -> None:
    out = clean_field(FieldDef("e", "Courriel", "email", max_length=254), "Marie.Dupont@Exemple.FR", TODAY)
    assert out.text == "Marie.Dupont@exemple.fr"


def test_dates_future_and_past() -> None:
    birth = FieldDef("b", "Naissance", "date", not_future=True)
    assert clean_field(birth, "28/11/2026", TODAY).value == TODAY
    with pytest.raises(FieldValueError) as err:
        clean_field(birth, "29/11/2026", TODAY)
    assert err.value.message == FUTURE
    end = FieldDef("e", "Fin", "date", not_past=True)
    with pytest.raises(FieldValueError) as err:
        clean_field(end, "27/11/2026", TODAY)
    assert err.value.message == PAST
    with pytest.raises(FieldValueError):
        clean_field(birth, "31/02/2020", TODAY)
    with pytest.raises(FieldValueError):
        clean_field(birth, "01/01/1850", TODAY)


def test_overlong_text_is_blocking_even_for_a_draft() -> None:
    fields = (FieldDef("name", "Nom", required=True, max_length=80),)
    result = clean_values(fields, {"name": "x" * 10_000}, TODAY, strict=False)
    assert "80 caractères au plus" in result.errors["name"]
    assert result.blocking == result.errors
    assert "name" not in result.texts


def test_control_characters_are_blocking() -> None:
    fields = (FieldDef("name", "Nom"),)
    result = clean_values(fields, {"name": "Du\x00pont"}, TODAY, strict=False)
    assert "name" in result.blocking


def test_draft_keeps_what_was_typed_and_reports_it() -> None:
    fields = F.GUARDIAN_FIELDS
    raw = {"civility": "Mme", "last_name": "Durand", "first_name": "", "postal_code": "8759",
           "email": "pas-un-courriel"}
    draft = clean_values(fields, raw, TODAY, strict=False)
    assert draft.texts["postal_code"] == "8759"
    assert draft.texts["email"] == "pas-un-courriel"
    assert set(draft.errors) == {"postal_code", "email"}  # no "required" in a draft
    assert not draft.blocking
    strict = clean_values(fields, raw, TODAY, strict=True)
    assert strict.errors["first_name"] == REQUIRED
    assert strict.errors["postal_code"] == POSTAL_CODE


def test_bool_and_choice() -> None:
    fields = F.FORM_FIELDS["reglement"]
    result = clean_values(fields, {"lu_et_approuve": "non", "version": "2026", "date_signature": "01/09/2026"},
                          TODAY)
    assert "lu_et_approuve" in result.errors  # must be "oui"
    ok = clean_values(fields, {"lu_et_approuve": "OUI", "version": "2026", "date_signature": "1/9/2026"}, TODAY)
    assert not ok.errors
    assert ok.texts == {"lu_et_approuve": "oui", "version": "2026", "signataire": "",
                        "date_signature": "01/09/2026"}
    diet = clean_values(F.FORM_FIELDS["sante"], {"regime_alimentaire": "végétarien"}, TODAY, strict=False)
    assert diet.texts["regime_alimentaire"] == "Végétarien"
    bad = clean_values(F.FORM_FIELDS["sante"], {"regime_alimentaire": "carnivore"}, TODAY, strict=False)
    assert "Choisissez parmi" in bad.errors["regime_alimentaire"]


def test_every_form_kind_has_required_fields() -> None:
    for kind in F.KINDS:
        empty = clean_values(F.FORM_FIELDS[kind], {}, TODAY)
        assert empty.errors, kind
        assert all(msg == REQUIRED for msg in empty.errors.values())


def test_insurance_expiry_from_end_date() -> None:
    assert F.form_expiry("assurance", {"date_fin": "31/08/2027"}) == date(2027, 8, 31)
    assert F.form_expiry("assurance", {"date_fin": "2027-08-31"}) == date(2027, 8, 31)
    assert F.form_expiry("assurance", {"date_fin": "n'importe"}) is None
    assert F.form_expiry("sante", {"date_fin": "31/08/2027"}) is None


def test_stored_types_are_read_as_texts() -> None:
    texts = F.texts_from_data("sante", {"allergies": ["arachide", "kiwi"], "pai": True,
                                        "vaccins_a_jour": False, "inconnu": 3})
    assert texts["allergies"] == "arachide, kiwi"
    assert texts["pai"] == "oui" and texts["vaccins_a_jour"] == "non"
    assert texts["medecin_traitant"] == ""
    assert "inconnu" not in texts
    assert F.texts_from_data("assurance", {"date_fin": "2027-08-31"})["date_fin"] == "31/08/2027"
    assert F.texts_from_data("assurance", {"date_fin": "31/13/2027"})["date_fin"] == "31/13/2027"


def test_diff_against_validated_values() -> None:
    validated = {"compagnie": "MAIF", "numero_contrat": "A1", "responsabilite_civile": True,
                 "date_fin": "2026-08-31"}
    current = {"compagnie": "MAIF", "numero_contrat": "B2", "responsabilite_civile": "oui",
               "date_fin": "31/08/2027"}
    changes = F.diff("assurance", validated, current)
    assert [(c.name, c.before, c.after) for c in changes] == [
        ("numero_contrat", "A1", "B2"), ("date_fin", "31/08/2026", "31/08/2027"),
    ]
    assert changes[0].label == "N° de contrat"
    assert F.diff("assurance", None, current) == []
    assert F.diff("assurance", validated, validated) == []


@pytest.mark.parametrize(
    ("today", "year"),
    [(date(2026, 11, 28), 2026), (date(2026, 9, 1), 2026), (date(2026, 8, 31), 2025), (date(2027, 1, 1), 2026)],
)
def test_rollover_year(today: date, year: int) -> None:
    assert F.rollover_year(today, "09-01") == year


@pytest.mark.parametrize("bad", ["", "9/1", "13-01", "02-30", "02-29", "aa-bb"])
def test_rollover_setting_refused(bad: str) -> None:
    with pytest.raises(F.TransitionError):
        F.parse_rollover(bad)


def test_defaults_propose_the_school_year_of_the_rules() -> None:
    assert F.defaults("reglement", 2026) == {"version": "2026-2027"}
    assert F.defaults("assurance", 2026) == {}
