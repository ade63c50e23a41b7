"""Amounts: parsing what agents type, French display, and amounts in words."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portail_tui.domain.money import (
    AmountError,
    amount_in_words,
    format_amount,
    format_amount_plain,
    parse_amount,
)

NNBSP = "\u202f"
NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("12,5", 1250),
        ("12.50", 1250),
        ("12,50 €", 1250),
        ("12,50€", 1250),
        (" 40 ", 4000),
        ("40€", 4000),
        ("40 EUR", 4000),
        ("0,05", 5),
        ("0.5", 50),
        ("1 234,50", 123450),
        ("1\u00a0234,50", 123450),
        ("1\u202f234,50", 123450),
        ("1 234 567,89", 123456789),
        ("1234", 123400),
        ("12,", 1200),
        ("+7", 700),
        ("007,10", 710),
        (f"1{NNBSP}234,50{NBSP}€", 123450),
    ],
)
def test_parse_accepts_common_inputs(text: str, cents: int) -> None:
    assert parse_amount(text) == cents


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Montant obligatoire."),
        ("   ", "Montant obligatoire."),
        ("€", "Montant invalide"),
        ("abc", "Montant invalide"),
        ("1e3", "Montant invalide"),
        ("12,,5", "Montant invalide"),
        ("1 23", "Montant invalide"),
        ("12 50", "Montant invalide"),
        (",50", "Montant invalide"),
        ("12€50", "Montant invalide"),
        ("--3", "Montant invalide"),
        ("١٢", "Montant invalide"),  # Arabic-Indic digits are not read silently
        ("1.234,50", "Montant ambigu"),
        ("1,234.50", "Montant ambigu"),
        ("1.234.567", "Montant ambigu"),
        ("12,345", "Deux décimales au plus."),
        ("0,001", "Deux décimales au plus."),
        ("-3", "Le montant doit être positif."),
        ("-0,01", "Le montant doit être positif."),
        ("0", "Le montant doit être supérieur à zéro."),
        ("0,00 €", "Le montant doit être supérieur à zéro."),
    ],
)
def test_parse_refuses_with_french_message(text: str, message: str) -> None:
    with pytest.raises(AmountError) as excinfo:
        parse_amount(text)
    assert str(excinfo.value).startswith(message)
    assert excinfo.value.message == str(excinfo.value)


def test_amount_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        parse_amount("abc")


def test_zero_allowed_on_request() -> None:
    assert parse_amount("0", allow_zero=True) == 0
    assert parse_amount("-0", allow_zero=True) == 0


def test_negative_allowed_on_request() -> None:
    assert parse_amount("-3", allow_negative=True) == -300
    assert parse_amount("-12,50 €", allow_negative=True) == -1250
    assert parse_amount("\u22121 234,5", allow_negative=True) == -123450


def test_maximum_message_uses_french_format() -> None:
    assert parse_amount("10 000", maximum_cents=1_000_000) == 1_000_000
    with pytest.raises(AmountError) as excinfo:
        parse_amount("10000,01", maximum_cents=1_000_000)
    assert str(excinfo.value) == f"Montant trop élevé (maximum 10{NNBSP}000,00{NBSP}€)."


@pytest.mark.parametrize(
    ("cents", "text"),
    [
        (0, f"0,00{NBSP}€"),
        (5, f"0,05{NBSP}€"),
        (1250, f"12,50{NBSP}€"),
        (99999, f"999,99{NBSP}€"),
        (100000, f"1{NNBSP}000,00{NBSP}€"),
        (123450, f"1{NNBSP}234,50{NBSP}€"),
        (123456789, f"1{NNBSP}234{NNBSP}567,89{NBSP}€"),
        (-1200, f"-12,00{NBSP}€"),
        (-123450, f"-1{NNBSP}234,50{NBSP}€"),
    ],
)
def test_format_amount(cents: int, text: str) -> None:
    assert format_amount(cents) == text


def test_format_amount_without_currency_and_plain() -> None:
    assert format_amount(123450, currency=False) == f"1{NNBSP}234,50"
    assert format_amount_plain(123450) == "1234,50"
    assert format_amount_plain(5) == "0,05"
    assert format_amount_plain(-123450) == "-1234,50"


@given(st.integers(min_value=1, max_value=10**13))
def test_parse_round_trips_format(cents: int) -> None:
    assert parse_amount(format_amount(cents)) == cents
    assert parse_amount(format_amount(cents, currency=False)) == cents
    assert parse_amount(format_amount_plain(cents)) == cents


@given(st.integers(min_value=-(10**13), max_value=10**13))
def test_parse_round_trips_signed(cents: int) -> None:
    kwargs = {"allow_zero": True, "allow_negative": True}
    assert parse_amount(format_amount(cents), **kwargs) == cents
    assert parse_amount(format_amount_plain(cents), **kwargs) == cents


@given(st.text(max_size=30))
def test_parse_only_raises_amount_error(text: str) -> None:
    try:
        cents = parse_amount(text, allow_zero=True, allow_negative=True)
    except AmountError as error:
        assert str(error)
    else:
        assert isinstance(cents, int)


@pytest.mark.parametrize(
    ("cents", "words"),
    [
        (0, "zéro euro"),
        (1, "zéro euro et un centime"),
        (5, "zéro euro et cinq centimes"),
        (100, "un euro"),
        (101, "un euro et un centime"),
        (200, "deux euros"),
        (1700, "dix-sept euros"),
        (2100, "vingt et un euros"),
        (2200, "vingt-deux euros"),
        (4050, "quarante euros et cinquante centimes"),
        (7000, "soixante-dix euros"),
        (7100, "soixante et onze euros"),
        (7200, "soixante-douze euros"),
        (8000, "quatre-vingts euros"),
        (8100, "quatre-vingt-un euros"),
        (9000, "quatre-vingt-dix euros"),
        (9100, "quatre-vingt-onze euros"),
        (9900, "quatre-vingt-dix-neuf euros"),
        (10000, "cent euros"),
        (10100, "cent un euros"),
        (20000, "deux cents euros"),
        (20100, "deux cent un euros"),
        (28000, "deux cent quatre-vingts euros"),
        (100000, "mille euros"),
        (100100, "mille un euros"),
        (200000, "deux mille euros"),
        (2000000, "vingt mille euros"),
        (8000000, "quatre-vingt mille euros"),
        (20000000, "deux cent mille euros"),
        (100000000, "un million d'euros"),
        (200000000, "deux millions d'euros"),
        (200000100, "deux millions un euros"),
        (8000000000, "quatre-vingts millions d'euros"),
        (20000000000, "deux cents millions d'euros"),
        (100000000000, "un milliard d'euros"),
        (
            123456789,
            "un million deux cent trente-quatre mille cinq cent soixante-sept euros "
            "et quatre-vingt-neuf centimes",
        ),
        (-4050, "moins quarante euros et cinquante centimes"),
        (-100, "moins un euro"),
    ],
)
def test_amount_in_words(cents: int, words: str) -> None:
    assert amount_in_words(cents) == words


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_amount_in_words_never_empty(cents: int) -> None:
    words = amount_in_words(cents)
    assert words
    assert words == words.strip()
    assert "  " not in words
    assert "euro" in words
    assert words.startswith("moins ") == (cents < 0)


@given(st.integers(min_value=0, max_value=99))
def test_cents_in_words_follow_the_same_rules(cents: int) -> None:
    # "quatre-vingts" takes its s only when it ends the number, also for centimes.
    words = amount_in_words(100 + cents)
    assert ("quatre-vingts" in words) == (cents == 80)
