"""French dates: names and formats must not depend on the machine locale."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portail_tui.domain.frdates import (
    MONTHS,
    WEEKDAYS,
    WEEKDAYS_SHORT,
    DateError,
    capitalize_first,
    format_date_long,
    format_date_short,
    format_datetime_short,
    format_deadline,
    format_month,
    parse_date_fr,
    parse_month,
)


def test_constants() -> None:
    assert len(MONTHS) == 12
    assert MONTHS[0] == "janvier"
    assert MONTHS[1] == "février"
    assert MONTHS[7] == "août"
    assert MONTHS[11] == "décembre"
    assert WEEKDAYS == ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
    assert WEEKDAYS_SHORT == ("Lun", "Mar", "Mer", "Jeu", "Ven", "Sam", "Dim")


def test_weekdays_follow_python_weekday() -> None:
    monday = date(2026, 11, 23)
    for offset in range(7):
        day = monday + timedelta(days=offset)
        assert format_date_long(day).split()[0] == WEEKDAYS[offset]


@pytest.mark.parametrize(
    ("d", "text"),
    [
        (date(2022, 7, 25), "lundi 25 juillet 2022"),
        (date(2026, 12, 1), "mardi 1er décembre 2026"),
        (date(2026, 2, 2), "lundi 2 février 2026"),
        (date(2026, 8, 15), "samedi 15 août 2026"),
        (date(2026, 11, 29), "dimanche 29 novembre 2026"),
    ],
)
def test_format_date_long(d: date, text: str) -> None:
    assert format_date_long(d) == text


def test_format_date_long_without_year() -> None:
    assert format_date_long(date(2026, 12, 1), year=False) == "mardi 1er décembre"
    assert format_date_long(date(2022, 7, 25), year=False) == "lundi 25 juillet"


def test_format_date_long_accepts_datetime() -> None:
    assert format_date_long(datetime(2022, 7, 25, 23, 59)) == "lundi 25 juillet 2022"


def test_short_formats() -> None:
    assert format_date_short(date(2022, 7, 25)) == "25/07/2022"
    assert format_date_short(date(2026, 1, 5)) == "05/01/2026"
    assert format_datetime_short(datetime(2022, 7, 25, 14, 5)) == "25/07/2022 14:05"
    assert format_datetime_short(datetime(2022, 7, 25, 0, 0)) == "25/07/2022 00:00"


@pytest.mark.parametrize(
    ("dt", "text"),
    [
        (datetime(2026, 11, 24, 11, 45), "mardi 24 novembre à 11h45"),
        (datetime(2026, 11, 24, 10, 0), "mardi 24 novembre à 10h00"),
        (datetime(2026, 12, 1, 9, 5), "mardi 1er décembre à 9h05"),
        (datetime(2026, 11, 26, 0, 0), "jeudi 26 novembre à 0h00"),
    ],
)
def test_format_deadline(dt: datetime, text: str) -> None:
    assert format_deadline(dt) == text


def test_format_month() -> None:
    assert format_month(2026, 11) == "novembre 2026"
    assert format_month(2027, 1) == "janvier 2027"
    with pytest.raises(DateError):
        format_month(2026, 13)
    with pytest.raises(DateError):
        format_month(2026, 0)


def test_capitalize_first() -> None:
    assert capitalize_first("lundi 25 juillet") == "Lundi 25 juillet"
    assert capitalize_first("école de Paris") == "École de Paris"
    assert capitalize_first("aPS") == "APS"  # str.capitalize would give "Aps"
    assert capitalize_first("") == ""


@pytest.mark.parametrize(
    ("text", "d"),
    [
        ("28/11/2026", date(2026, 11, 28)),
        ("28/11/26", date(2026, 11, 28)),
        ("2026-11-28", date(2026, 11, 28)),
        (" 1/2/2027 ", date(2027, 2, 1)),
        ("01/02/2027", date(2027, 2, 1)),
        ("29/02/2028", date(2028, 2, 29)),
        ("28.11.2026", date(2026, 11, 28)),
        ("28-11-2026", date(2026, 11, 28)),
    ],
)
def test_parse_date_fr(text: str, d: date) -> None:
    assert parse_date_fr(text) == d


@pytest.mark.parametrize(
    "text",
    ["", "   ", "demain", "31/11/2026", "29/02/2027", "00/01/2026", "28/13/2026",
     "2026-13-01", "28/11", "28/11/2026 10:00", "2026/11/28", "28/11/202", "١/٢/٢٠٢٦"],
)
def test_parse_date_fr_refuses(text: str) -> None:
    with pytest.raises(DateError) as excinfo:
        parse_date_fr(text)
    assert str(excinfo.value) == "Date invalide : utilisez JJ/MM/AAAA."


def test_date_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        parse_date_fr("n'importe quoi")


@given(st.dates(min_value=date(1000, 1, 1)))
def test_parse_round_trips_short_and_iso(d: date) -> None:
    assert parse_date_fr(format_date_short(d)) == d
    assert parse_date_fr(d.isoformat()) == d


@given(st.dates())
def test_long_format_contains_french_names(d: date) -> None:
    text = format_date_long(d)
    assert text.split()[0] in WEEKDAYS
    assert MONTHS[d.month - 1] in text
    assert text == text.lower()


def test_parse_month() -> None:
    assert parse_month("2026-11") == (2026, 11)
    assert parse_month("11/2026") == (2026, 11)
    assert parse_month(" 1/2027 ") == (2027, 1)


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "13/2026", "", "novembre", "2026-11-28"])
def test_parse_month_refuses(text: str) -> None:
    with pytest.raises(DateError) as excinfo:
        parse_month(text)
    assert str(excinfo.value).startswith("Mois invalide")
