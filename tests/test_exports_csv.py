"""CSV exports: the French spreadsheet format, and golden files of the statements."""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path

import pytest

from portail_tui.clock import PARIS
from portail_tui.exports.csv import csv_text, iter_csv, render_csv
from portail_tui.exports.tables import Column, Report, ReportTable
from portail_tui.services import history as h
from portail_tui.services.context import Context
from tests.support.history_town import build

GOLDEN = Path(__file__).parent / "golden"
REGEN = os.environ.get("PORTAIL_REGEN_GOLDEN") == "1"
NOV = h.Month(2026, 11)


def test_format_semicolon_bom_crlf_amounts_and_dates() -> None:
    table = ReportTable(
        [Column("Date", "date"), Column("Libellé"), Column("Montant", "amount"), Column("Heure", "datetime"),
         Column("N°", "int")],
        [[date(2026, 11, 28), "Cantine; « été »", 123450, datetime(2026, 11, 28, 9, 5, tzinfo=PARIS), 7],
         [date(2026, 1, 2), 'Dit "Lulu"', -5, None, None]],
        totals=[["Total", None, 123445, None, None]],
    )
    data = render_csv(table)
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig") == (
        "Date;Libellé;Montant;Heure;N°\r\n"
        '28/11/2026;"Cantine; « été »";1234,50;28/11/2026 09:05;7\r\n'
        '02/01/2026;"Dit ""Lulu""";-0,05;;\r\n'
        "Total;;1234,45;;\r\n"
    )


def test_formula_text_is_neutralised_but_negative_amounts_are_numbers() -> None:
    table = ReportTable([Column("Nom"), Column("Montant", "amount")],
                        [["=HYPERLINK(\"x\")", -1250], ["@SUM(A1)", 100], ["-moins", 0]])
    lines = csv_text(table).splitlines()
    assert lines[1].startswith("\"'=HYPERLINK(") and lines[1].endswith(";-12,50")
    assert lines[2] == "'@SUM(A1);1,00"
    assert lines[3] == "'-moins;0,00"


def test_report_with_several_tables_has_section_lines() -> None:
    t = ReportTable([Column("A")], [["x"]])
    report = Report(title="T", regie="R", edited_at=datetime(2026, 11, 28, tzinfo=PARIS),
                    tables=[("Consommations", t), ("Règlements", t)])
    assert csv_text(report) == "Consommations\r\nA\r\nx\r\n\r\nRèglements\r\nA\r\nx\r\n"
    one = Report(title="T", regie="R", edited_at=datetime(2026, 11, 28, tzinfo=PARIS), tables=[("S", t)])
    assert csv_text(one) == "A\r\nx\r\n"


def test_streaming_equals_rendering() -> None:
    cols = [Column("Jour", "date"), Column("Prix", "amount")]
    rows = [[date(2026, 11, 1 + i % 28), i * 7] for i in range(12_345)]
    streamed = b"".join(iter_csv(cols, iter(rows), batch=1000))
    assert streamed == render_csv(ReportTable(cols, rows))
    assert b"".join(iter_csv(cols, iter([]))) == render_csv(ReportTable(cols, []))


def _check_golden(name: str, data: bytes) -> None:
    path = GOLDEN / name
    if REGEN or not path.exists():
        path.write_bytes(data)
        if not REGEN:
            pytest.fail(f"golden file {name} was missing and has been written: check it and rerun")
    assert data == path.read_bytes(), f"{name} differs from its golden file (PORTAIL_REGEN_GOLDEN=1 to accept)"


@pytest.fixture
def actx(ctx: Context) -> tuple[Context, object]:
    data = build(ctx.db)
    return ctx.as_actor(data.actor), data


def test_golden_payments(actx) -> None:  # type: ignore[no-untyped-def]
    ctx, data = actx
    hist = h.payment_history(ctx, data.family_id, NOV)
    out = h.payments_file(ctx, hist, "csv")
    assert out.filename == "historique-reglements-000123-2026-11.csv"
    _check_golden(out.filename, out.data)


def test_golden_consumptions(actx) -> None:  # type: ignore[no-untyped-def]
    ctx, data = actx
    hist = h.consumption_history(ctx, data.family_id, NOV)
    out = h.consumptions_file(ctx, hist, "csv")
    _check_golden(out.filename, out.data)


def test_golden_consumptions_filtered(actx) -> None:  # type: ignore[no-untyped-def]
    ctx, data = actx
    hist = h.consumption_history(ctx, data.family_id, NOV, child_id=data.noe_id, activity_text="APS")
    out = h.consumptions_file(ctx, hist, "csv")
    assert out.filename == "releve-consommations-000123-2026-11-noe-aps.csv"
    _check_golden(out.filename, out.data)


def test_golden_monthly_statement(actx) -> None:  # type: ignore[no-untyped-def]
    ctx, data = actx
    [statement] = h.monthly_statements(ctx, [data.family_id], NOV)
    out = h.monthly_statement_file(statement, "csv", ctx.clock.now())
    _check_golden(out.filename, out.data)
