"""Exports shared by every tab and by the CLI: CSV, PDF, files and printing.

A caller describes *what* to export once, as a `Report` (or a bare `ReportTable`),
and renders it in any format; the screen and the CLI therefore write identical files.
Import the submodules directly (PDF rendering pulls in fpdf2, which the CSV path
does not need).

API (all amounts are int cents, dates `date`, instants aware `datetime`):

``portail_tui.exports.tables``
    ``Column(title, kind="text"|"amount"|"date"|"datetime"|"int", width=None, align=None)``
        ``width`` is a relative weight (default by kind), ``align`` "L"/"C"/"R"
        (default: numbers right, text left).
    ``ReportTable(columns, rows, totals=[])``: rows and totals are lists of cells in
        column order; a cell is None, a str (written as is) or a typed value.
    ``Report(*, title, regie, edited_at, subtitle="", period_label="", tables=[(section
        title, ReportTable)], notes=[])`` — keyword-only.
    ``format_cell(value, kind, plain=bool)``: the one formatting rule (plain = CSV).

``portail_tui.exports.csv``
    ``render_csv(report_or_table) -> bytes``: ``;``-separated, UTF-8 with BOM, CRLF,
        amounts "1234,50", dates "28/11/2026", datetimes "28/11/2026 10:05".
        One-table reports give just the table; several tables are separated by their
        section title line and an empty line. Text cells that a spreadsheet would run
        as a formula (=, +, -, @) get a leading apostrophe.
    ``csv_text(report_or_table) -> str``: same without BOM (standard output).
    ``iter_csv(columns, rows, *, bom=True, batch=5000) -> Iterator[bytes]``: the same
        format streamed, for tables too big for memory (feed it to ``write_atomic``).

``portail_tui.exports.pdf``
    ``render_pdf(report) -> bytes``: A4, DejaVu Sans embedded (the Latin-only copy
        shipped in ``portail_tui/fonts/`` for speed, the full font when the text needs
        it; both read once per process, see ``exports.fonts``; bold is the regular
        outline stroked, so one font is embedded), header régie + subtitle, title,
        period, tables with headers repeated on each page, bold totals, notes, footer
        "Édité le 28/11/2026 à 10:05" and "page 1/3". Same report -> same bytes.
        Column widths are relative weights; giving them in mm (summing to 180, the A4
        text width) is the easy way to make usual values fit.

``portail_tui.exports.files``
    ``ExportError(OSError)``: French one-line message (``.message``).
    ``write_atomic(path, data, *, durable=True) -> Path``: temporary file + fsync +
        ``os.replace`` in the same folder, mode 0600 (the service account only); ``data`` is bytes or an iterable of byte
        chunks (streamed exports); nothing partial left; ExportError if not writable.
        ``durable=False`` skips the fsync (batches sync once at the end).
    ``os_error_reason(exc) -> str``: "accès refusé", "disque plein"… for messages.
    ``export_filename(kind, family_number, period, ext) -> str``:
        ``export_filename("releve-consommations", 123, "2026-11", "pdf")`` ->
        ``"releve-consommations-000123-2026-11.pdf"`` (family_number None: omitted).
    ``export_path(settings, filename) -> Path``: under ``settings.exports_dir`` (created).
    ``save_for_agent(settings, filename, data, *, print_title=None, label="Fichier enregistré")
        -> SavedFile(path, message)``: what every screen does with an export: written
        atomically under the exports folder, printed with ``lp`` when ``print_title`` is
        given; message "Fichier enregistré [sur le serveur] : PATH" (preceded by the
        printer's sentence). Screens run it through ``screens.delivery.deliver_from_worker``,
        which also offers the file to the browser in ``portail serve``.

``portail_tui.exports.printing``
    ``print_pdf(path, printer=None, *, title=None) -> str``: ``lp [-d printer]``;
        returns "Envoyé à l'imprimante … (travail …)."; raises ``PrintError``
        (an ExportError) when ``lp`` is missing, no default printer, unknown printer…
    ``is_remote_session(env=None) -> bool``: running over SSH (SSH_CONNECTION…), so a
        screen should say on which server folder the file was written.
"""

from portail_tui.exports.files import ExportError, export_filename, export_path, write_atomic
from portail_tui.exports.tables import Column, Report, ReportTable, format_cell

__all__ = [
    "Column",
    "ExportError",
    "Report",
    "ReportTable",
    "export_filename",
    "export_path",
    "format_cell",
    "write_atomic",
]
