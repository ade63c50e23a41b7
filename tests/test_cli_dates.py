"""One way to read a day on the command line: `portail export journal --date` used to
take ISO only and `portail audit --depuis` / `portail nightly --date` French or ISO."""

from __future__ import annotations

from datetime import date

import pytest

from portail_tui.cli.base import CliError, parse_day


@pytest.mark.parametrize("text", ["28/11/2026", "28/11/26", "28.11.2026", "2026-11-28", " 2026-11-28 ", "20261128"])
def test_every_command_reads_the_same_days(text: str) -> None:
    assert parse_day(text, "--date") == date(2026, 11, 28)


def test_no_day_given() -> None:
    assert parse_day(None, "--date") is None and parse_day("", "--date") is None


@pytest.mark.parametrize("text", ["31/02/2026", "demain", "2026-13-01", "28/11"])
def test_a_bad_day_names_the_option(text: str) -> None:
    with pytest.raises(CliError) as excinfo:
        parse_day(text, "--depuis")
    assert excinfo.value.message.startswith("Date invalide pour --depuis")


def test_the_cash_journal_takes_a_french_date() -> None:
    """The journal's own parser used to refuse « 28/11/2026 »; there is only one now."""
    from portail_tui.cli import cash, ops

    assert not hasattr(cash, "_parse_day") and not hasattr(ops, "_parse_day")
