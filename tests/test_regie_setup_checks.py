"""`regie check`: every problem of a set-up file named by its line and key, in French
(G1–G3). Each test breaks the shipped example file in one place."""

from __future__ import annotations

from datetime import date, time

import pytest

from portail_tui.services.regie_setup import check, example_text, parse
from portail_tui.services.regie_setup.model import Problem


def _line_of(text: str, needle: str, occurrence: int = 1) -> int:
    n = 0
    for i, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            n += 1
            if n == occurrence:
                return i
    raise AssertionError(needle)


def _broken(old: str, new: str, count: int = 1) -> tuple[str, list[Problem]]:
    text = example_text()
    assert old in text, old
    text = text.replace(old, new, count)
    return text, check(text)


def _only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


def test_the_example_file_has_no_problem_and_reads_to_exact_values() -> None:
    setup, problems = parse(example_text())
    assert problems == []
    assert setup is not None
    assert setup.regie.cash_limit_cents == 30000
    rs = setup.activities[0]
    assert (rs.code, rs.weekdays, rs.start_time, rs.deadline_days, rs.deadline_time) == (
        "RS", "1245", time(11, 45), 2, time(11, 45))
    assert [r.price_cents for r in rs.rates] == [210, 340, 450]
    assert rs.rates[0].valid_from == date(2026, 9, 1)
    assert [s.code for s in setup.schools] == ["COQUELICOTS", "JMOULIN", "BOURG"]
    assert setup.activities[-1].booking_unit == "period"
    assert [p.within for p in setup.periods][:3] == [None, "Vacances d'hiver 2027", "Vacances d'hiver 2027"]


def test_overlapping_brackets() -> None:
    text, problems = _broken("qf_min = 701\nqf_max = 1200\nprix = \"3,40\"",
                             "qf_min = 650\nqf_max = 1200\nprix = \"3,40\"")
    p = _only(problems)
    assert p.key == "activites.RS.tarifs[2].qf_min"
    assert p.line == _line_of(text, "qf_min = 650")
    assert "chevauchent" in p.message
    assert str(p).startswith(f"ligne {p.line}, clé activites.RS.tarifs[2].qf_min : ")


def test_gap_between_brackets() -> None:
    text, problems = _broken("qf_min = 701\nqf_max = 1200\nprix = \"3,40\"",
                             "qf_min = 801\nqf_max = 1200\nprix = \"3,40\"")
    p = _only(problems)
    assert p.key == "activites.RS.tarifs[2].qf_min" and "trou" in p.message and "701 à 800" in p.message


def test_last_bracket_with_a_ceiling_is_a_gap() -> None:
    text, problems = _broken("qf_min = 1201                         # la dernière tranche n'a pas de qf_max",
                             "qf_min = 1201\nqf_max = 5000")
    p = _only(problems)
    assert p.key == "activites.RS.tarifs[3].qf_max" and "au-delà de 5000" in p.message
    assert p.line == _line_of(text, "qf_max = 5000")


def test_first_bracket_not_from_zero() -> None:
    _text, problems = _broken("qf_min = 0\nqf_max = 700\nprix = \"2,10\"", "qf_min = 100\nqf_max = 700\nprix = \"2,10\"")
    assert "de 0 à 99" in _only(problems).message


def test_unknown_school_in_an_activity() -> None:
    text, problems = _broken("declaree_caf = false\n\n[[activites.RS.tarifs]]",
                             "declaree_caf = false\necoles = [\"JMOULIN\", \"PASTEUR\"]\n\n[[activites.RS.tarifs]]")
    p = _only(problems)
    assert p.key == "activites.RS.ecoles" and "PASTEUR" in p.message
    assert p.line == _line_of(text, "ecoles = [\"JMOULIN\"")


def test_unknown_activity_in_a_period() -> None:
    text, problems = _broken('activite = "CLV"\nlibelle = "Vacances d\'hiver 2027"\n',
                             'activite = "CLX"\nlibelle = "Vacances d\'hiver 2027"\n')
    messages = [str(p) for p in problems]
    assert any("periodes[1].activite" in m and "activité inconnue « CLX »" in m for m in messages)
    assert problems[0].line == _line_of(text, 'activite = "CLX"')


def test_period_on_a_day_activity() -> None:
    _text, problems = _broken('activite = "CLV"\nlibelle = "Vacances de printemps 2027"\n',
                              'activite = "CLM"\nlibelle = "Vacances de printemps 2027"\n')
    assert any("se réserve à la journée" in p.message for p in problems)


def test_period_window_closing_after_its_first_day() -> None:
    text, problems = _broken("inscriptions_au = 2027-02-08\n\n[[periodes]]",
                             "inscriptions_au = 2027-02-16\n\n[[periodes]]")
    p = _only(problems)
    assert p.key == "periodes[1].inscriptions_au"
    assert "16/02/2027" in p.message and "après le premier jour" in p.message
    assert p.line == _line_of(text, "inscriptions_au = 2027-02-16")


def test_week_outside_its_holiday_and_unknown_parent() -> None:
    _text, problems = _broken('dans = "Vacances d\'hiver 2027"', 'dans = "Vacances de Noël"')
    p = _only(problems)
    assert p.key == "periodes[2].dans" and "inconnue" in p.message


def test_negative_price() -> None:
    _text, problems = _broken('prix = "2,10"', 'prix = "-2,10"')
    p = _only(problems)
    assert p.key == "activites.RS.tarifs[1].prix" and p.message == "prix négatif."


def test_price_as_a_float_is_refused() -> None:
    _text, problems = _broken('prix = "2,10"', "prix = 2.10")
    p = _only(problems)
    assert p.key == "activites.RS.tarifs[1].prix" and "entre guillemets" in p.message


def test_whole_euros_as_an_integer() -> None:
    setup, problems = parse(example_text().replace('prix = "8,00"', "prix = 8"))
    assert problems == [] and setup is not None
    assert setup.activities[4].rates[0].price_cents == 800


def test_bad_time() -> None:
    text, problems = _broken('debut = "11:45"', 'debut = "25:00"')
    p = _only(problems)
    assert p.key == "activites.RS.debut" and "25:00" in p.message
    assert p.line == _line_of(text, 'debut = "25:00"')


def test_end_before_start() -> None:
    _text, problems = _broken('fin = "13:30"', 'fin = "11:00"')
    assert _only(problems).key == "activites.RS.fin"


def test_bad_weekday() -> None:
    _text, problems = _broken('jours = "mer"', 'jours = "mer jedi"')
    p = _only(problems)
    assert p.key == "activites.CLM.jours" and "jour inconnu « jedi »" in p.message


def test_bad_deadline() -> None:
    _text, problems = _broken('delai = "2 jours avant à 11:45"', 'delai = "la veille"')
    assert _only(problems).key == "activites.RS.delai"


def test_duplicate_code() -> None:
    text, problems = _broken("[activites.APSS]", "[activites.APSM]")
    p = _only(problems)
    assert "deux fois" in p.message and p.line is not None


def test_duplicate_class_and_school_name() -> None:
    _text, problems = _broken('classes = ["PS", "MS", "GS"]', 'classes = ["PS", "MS", "PS"]')
    assert _only(problems).key == "ecoles.COQUELICOTS.classes"
    _text, problems = _broken('nom = "École primaire du Bourg"', 'nom = "École élémentaire Jean-Moulin"')
    assert _only(problems).key == "ecoles.BOURG.nom"


def test_letter_used_twice() -> None:
    _text, problems = _broken('lettre = "S"', 'lettre = "M"')
    p = _only(problems)
    assert p.key == "activites.APSS.lettre" and "APSM" in p.message


def test_unknown_payment_mode() -> None:
    text, problems = _broken('"cesu", "ancv"]', '"cesu", "bitcoin"]')
    p = _only(problems)
    assert p.key == "regie.modes_paiement" and "bitcoin" in p.message
    assert p.line == _line_of(text, "modes_paiement =")


def test_unknown_key_and_missing_value() -> None:
    _text, problems = _broken('libelle = "APS MATIN"', 'libele = "APS MATIN"')
    keys = {p.key for p in problems}
    assert "activites.APSM.libele" in keys and "activites.APSM.libelle" in keys


def test_age_range_and_bad_code() -> None:
    _text, problems = _broken("# age_min = 3", "age_min = 9\nage_max = 6")
    assert _only(problems).key == "activites.CLM.age_min"
    _text, problems = _broken("[ecoles.BOURG]", "[ecoles.bourg]")
    assert _only(problems).key == "ecoles.bourg"


def test_duplicate_rate_and_two_unknown_quotient_rates() -> None:
    extra = ('\n[[activites.RS.tarifs]]\na_partir_du = 2026-09-01\nsans_quotient = true\nprix = "4,50"\n') * 2
    _text, problems = _broken("[activites.APSM]", extra + "\n[activites.APSM]")
    assert any("en double" in p.message for p in problems)


def test_toml_syntax_error_has_its_line() -> None:
    text, problems = _broken('nom = "REGIE DES SERVICES SCOLAIRES"', 'nom = "REGIE DES SERVICES SCOLAIRES')
    p = _only(problems)
    assert p.line == _line_of(text, 'nom = "REGIE DES SERVICES SCOLAIRES') and "TOML" in p.message


@pytest.mark.parametrize("amount,cents", [('"12,50"', 1250), ('"1 234,50"', 123450), ("3", 300)])
def test_cash_ceiling_amounts(amount: str, cents: int) -> None:
    setup, problems = parse(example_text().replace('plafond_especes = "300,00"', f"plafond_especes = {amount}"))
    assert problems == [] and setup is not None and setup.regie.cash_limit_cents == cents
