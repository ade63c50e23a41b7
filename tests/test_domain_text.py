"""Search normalisation: what the agent types must find what is stored."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portail_tui.domain.text import (
    activity_matches,
    digits_only,
    escape_like,
    normalize,
    phone_digits,
    search_fold,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Léa", "lea"),
        ("  JEAN-FRANÇOIS  ", "jean francois"),
        ("Cœur", "coeur"),
        ("ŒUVRE", "oeuvre"),
        ("Lætitia", "laetitia"),
        ("Straße", "strasse"),
        ("L'Haÿ-les-Roses", "l hay les roses"),
        ("d’Artagnan", "d artagnan"),  # typographic apostrophe
        ("Marie  -  Hélène", "marie helene"),
        ("Zoé\tNoël\n", "zoe noel"),
        ("ÀÂÄÉÈÊËÎÏÔÖÙÛÜÇ", "aaaeeeeiioouuuc"),
        ("Jean–Luc", "jean luc"),  # en dash
        ("", ""),
        ("   ", ""),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_normalize_makes_search_variants_equal() -> None:
    assert normalize("Jean-François") == normalize("jean francois") == normalize("JEAN FRANCOIS")


def test_normalize_keeps_other_characters() -> None:
    assert normalize("Léa 😀") == "lea 😀"
    assert normalize('"Dupont" & fils') == '"dupont" & fils'
    assert normalize("50% a_b") == "50% a_b"


@given(st.text(max_size=500))
def test_normalize_never_raises_and_is_idempotent(s: str) -> None:
    once = normalize(s)
    assert normalize(once) == once
    assert once == once.strip()
    assert "  " not in once


def test_normalize_long_string() -> None:
    s = "Élodie-" * 72
    result = normalize(s)
    assert result == " ".join(["elodie"] * 72)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("06 12 34 56 78", "0612345678"),
        ("06.12.34.56.78", "0612345678"),
        ("+33 6 12 34 56 78", "33612345678"),
        ("tél : 01-23", "0123"),
        ("aucun", ""),
        ("١٢٣", ""),  # only ASCII digits are kept
        ("", ""),
    ],
)
def test_digits_only(raw: str, expected: str) -> None:
    assert digits_only(raw) == expected


@given(st.text(max_size=500))
def test_digits_only_never_raises(s: str) -> None:
    result = digits_only(s)
    assert result.isascii() and (result == "" or result.isdigit())


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("dupont", "dupont"),
        ("50%", "50\\%"),
        ("a_b", "a\\_b"),
        ("c:\\temp", "c:\\\\temp"),
        ("%_\\", "\\%\\_\\\\"),
        ("l'école 😀", "l'école 😀"),
        ("", ""),
    ],
)
def test_escape_like(raw: str, expected: str) -> None:
    assert escape_like(raw) == expected


def test_escape_like_custom_escape() -> None:
    assert escape_like("50%!", escape="!") == "50!%!!"
    assert escape_like("a\\b", escape="!") == "a\\b"
    with pytest.raises(ValueError):
        escape_like("x", escape="")
    with pytest.raises(ValueError):
        escape_like("x", escape="!!")


def _unescape(s: str, escape: str = "\\") -> str:
    out, pending = [], False
    for ch in s:
        if pending:
            assert ch in ("%", "_", escape)
            out.append(ch)
            pending = False
        elif ch == escape:
            pending = True
        else:
            assert ch not in ("%", "_"), "unescaped wildcard"
            out.append(ch)
    assert not pending
    return "".join(out)


@given(st.text(max_size=500))
def test_escape_like_leaves_no_bare_wildcard(s: str) -> None:
    assert _unescape(escape_like(s)) == s


def test_compatibility_capitals_are_folded() -> None:
    # NFKD turns "℠" into capitals: folding must happen after it too (found by hypothesis).
    assert normalize("℠") == "sm"


@pytest.mark.parametrize(
    ("query", "kept"),
    [
        ("APS", {"APS_MATIN", "APS_SOIR", "APS_FORFAIT"}),
        ("soir aps", {"APS_SOIR"}),  # words in any order (suivi used to keep nothing)
        ("is", set()),  # a word must start a word, not sit inside "LOISIRS" (suivi kept it)
        ("loisirs", {"CL"}),
        ("", {"APS_MATIN", "APS_SOIR", "APS_FORFAIT", "CL", "CANTINE"}),
        ("restaurant", {"CANTINE"}),
    ],
)
def test_activity_filter_is_one_rule_for_suivi_and_histories(query: str, kept: set[str]) -> None:
    activities = {
        "APS_MATIN": "APS MATIN", "APS_SOIR": "APS SOIR", "APS_FORFAIT": "APS FORFAIT",
        "CL": "CENTRE DE LOISIRS", "CANTINE": "RESTAURANT SCOLAIRE",
    }
    assert {code for code, label in activities.items() if activity_matches(query, code, label)} == kept


@pytest.mark.parametrize("typed,digits", [
    ("06.93.39.31.06", "0693393106"),
    ("+33 6 93 39 31 06", "0693393106"),
    ("+33 (0)6 93 39 31 06", "0693393106"),
    ("0033 6 93 39 31 06", "0693393106"),
    ("0033693393106", "0693393106"),
    ("+33 6 93", "0693"),
    ("003312", "003312"),  # an account number, not a prefix
    ("000123", "000123"),
])
def test_phone_digits(typed: str, digits: str) -> None:
    assert phone_digits(typed) == digits


def test_search_fold_drops_apostrophes_keeps_hyphens_as_spaces() -> None:
    assert search_fold("N'Diaye") == search_fold("N’DIAYE") == "ndiaye"
    assert search_fold("D'Almeida") == "dalmeida"
    assert search_fold("Jean-François") == "jean francois"
