from portail_tui.domain.period_labels import name_within


def test_week_named_within_its_holiday() -> None:
    assert name_within("Vacances de Noël — semaine 1", "Vacances de Noël") == "semaine 1"


def test_label_kept_when_not_under_its_holiday() -> None:
    assert name_within("Vacances de Noël", None) is None
    assert name_within("Semaine du 21 décembre", "Vacances de Noël") is None
    assert name_within("Vacances de Noël — ", "Vacances de Noël") is None
