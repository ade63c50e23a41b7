from portail_tui.domain.roles import role_label


def test_role_labels_in_french() -> None:
    assert role_label("agent") == "agent"
    assert role_label("regisseur") == "régisseur"
    assert role_label("admin") == "administrateur"
    assert role_label("inconnu") == "inconnu"
