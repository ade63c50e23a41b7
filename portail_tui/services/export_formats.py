"""The formats a report is exported in, checked and rendered one way for every service
(histories, suivi des réservations, journal de caisse), so the screen, the CLI and the
night batch accept the same words and write the same bytes."""

from __future__ import annotations

from portail_tui.exports.tables import Report
from portail_tui.services.context import ServiceError

FORMATS = ("csv", "pdf")


def check_format(fmt: str) -> str:
    """"CSV " -> "csv"; anything but csv or pdf is refused in French."""
    value = (fmt or "").strip().lower()
    if value not in FORMATS:
        raise ServiceError(f"Format inconnu : « {fmt} » (csv ou pdf).", field="format")
    return value


def render_report(report: Report, fmt: str) -> bytes:
    """The report in `fmt` ("csv" or "pdf"); the renderers are imported on demand (the PDF
    one pulls in fpdf2, which a CSV export does not need)."""
    if check_format(fmt) == "csv":
        from portail_tui.exports.csv import render_csv

        return render_csv(report)
    from portail_tui.exports.pdf import render_pdf

    return render_pdf(report)
