"""The receipt (quittance) of a payment, reversal or refund, as a PDF (B4).

One A4 page holds two identical copies separated by a cut line: the top one for the
family, the bottom one for the régie's file. The amount is written in figures and in
words, as on a cheque, so that it cannot be altered unnoticed.

The data is a `domain.cash_entries.Receipt`, built by `services.payments`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fpdf import FPDF
from fpdf.enums import TextMode

from portail_tui.domain.cash_entries import Receipt
from portail_tui.domain.frdates import format_date_long
from portail_tui.domain.money import amount_in_words, format_amount
from portail_tui.exports.fonts import FAMILY, install_font

MARGIN = 15.0
COPY_HEIGHT = 133.0  # half an A4 page, minus the cut line
# Bold is the regular font's outlines stroked (PDF text render mode 2): one embedded
# font instead of two halves the per-receipt font work, the costliest part of it.
BOLD_STROKE = 0.45


_TITLES = {"payment": "", "reversal": " — ANNULATION", "refund": " — REMBOURSEMENT"}
_AMOUNT_LABELS = {"payment": "Montant reçu", "reversal": "Montant annulé", "refund": "Montant remboursé"}
_PAYER_LABELS = {"payment": "Reçu de", "reversal": "Payeur d'origine", "refund": "Remboursé à"}
_AGENT_LABELS = {"payment": "Encaissé par", "reversal": "Annulé par", "refund": "Remboursé par"}


def receipt_filename(receipt: Receipt) -> str:
    """"quittance-000042-2026-11-28.pdf"."""
    return f"quittance-{receipt.receipt_number:06d}-{receipt.business_day.isoformat()}.pdf"


def _when(moment: datetime) -> str:
    return f"{format_date_long(moment.date())} à {moment.hour} h {moment.minute:02d}"


def _mode_text(r: Receipt) -> str:
    text = r.mode_label
    if r.mode == "cheque":
        parts = [f"n° {r.cheque_number}"] if r.cheque_number else []
        parts += [p for p in (r.cheque_bank, f"tireur {r.cheque_drawer}" if r.cheque_drawer else None) if p]
        if parts:
            text += " " + " — ".join(parts)
    elif r.reference:
        text += f" (référence {r.reference})"
    return text


def receipt_lines(r: Receipt) -> list[tuple[str, str]]:
    """The labelled lines of a receipt, in order (also what tests read back)."""
    lines = [
        ("Date", _when(r.created_at)),
        ("Compte famille", f"n° {r.family_number_text} — {r.family_name}"),
        (_PAYER_LABELS.get(r.kind, "Payeur"), r.payer_name or "—"),
        ("Mode de règlement", _mode_text(r)),
    ]
    if r.kind == "reversal" and r.reverses_receipt is not None:
        lines.append(("Annule la quittance", f"n° {r.reverses_receipt}"))
    if r.reason:
        lines.append(("Motif", r.reason))
    if r.business_day != r.created_at.date():
        lines.append(("Journée de caisse", format_date_long(r.business_day)))
    return lines


def _words(cents: int) -> str:
    words = amount_in_words(abs(cents))
    return words[:1].upper() + words[1:]


def _strings(r: Receipt) -> list[str]:
    return [r.regie_name, r.regie_address, r.regisseur_name, r.agent_name, *(v for _, v in receipt_lines(r))]


def _style(pdf: FPDF, size: float) -> None:
    pdf.set_font(FAMILY, "", size)


def _bold_cell(pdf: FPDF, size: float, w: float, h: float, text: str, **kwargs: Any) -> None:
    """A cell in "bold": the outlines stroked, inside q/Q so that the text render mode
    (which outlives the text object) does not leak into the following text."""
    with pdf.local_context(text_mode=TextMode.FILL_STROKE, line_width=BOLD_STROKE, draw_color=(0, 0, 0)):
        pdf.set_font(FAMILY, "", size)
        pdf.cell(w, h, text, **kwargs)
    pdf.set_font(FAMILY, "", size)


def _copy(pdf: FPDF, r: Receipt, top: float, label: str) -> None:
    width = pdf.w - 2 * MARGIN
    pdf.set_xy(MARGIN, top)
    _bold_cell(pdf, 13, width * 0.65, 7, r.regie_name)
    _style(pdf, 8.5)
    pdf.cell(width * 0.35, 7, label, align="R", new_x="LMARGIN", new_y="NEXT")
    if r.regie_address:
        _style(pdf, 9)
        pdf.cell(width, 5, r.regie_address, new_x="LMARGIN", new_y="NEXT")
    if r.regisseur_name:
        _style(pdf, 9)
        pdf.cell(width, 5, f"Régisseur : {r.regisseur_name}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    _bold_cell(pdf, 16, width, 9, f"QUITTANCE N° {r.receipt_number}{_TITLES.get(r.kind, '')}",
               new_x="LMARGIN", new_y="NEXT")
    pdf.set_draw_color(120, 120, 120)
    pdf.set_line_width(0.2)
    pdf.line(MARGIN, pdf.get_y() + 1, pdf.w - MARGIN, pdf.get_y() + 1)
    pdf.ln(4)
    label_w = 48.0
    for name, value in receipt_lines(r):
        _style(pdf, 10)
        pdf.set_text_color(90, 90, 90)
        pdf.cell(label_w, 6.5, f"{name} :")
        pdf.set_text_color(0, 0, 0)
        pdf.multi_cell(width - label_w, 6.5, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    # The amount, boxed: figures then words.
    box_top = pdf.get_y()
    pdf.set_fill_color(240, 243, 247)
    pdf.set_draw_color(120, 120, 120)
    pdf.set_line_width(0.2)
    pdf.rect(MARGIN, box_top, width, 19, style="DF")
    pdf.set_xy(MARGIN + 3, box_top + 2)
    _style(pdf, 10)
    pdf.cell(label_w - 3, 8, f"{_AMOUNT_LABELS.get(r.kind, 'Montant')} :")
    _bold_cell(pdf, 15, width - label_w - 3, 8, format_amount(abs(r.amount_cents)),
               new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(MARGIN + 3)
    _style(pdf, 10)
    pdf.cell(label_w - 3, 7, "En lettres :")
    pdf.multi_cell(width - label_w - 3, 7, _words(r.amount_cents), new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(box_top + 22)
    if r.solde_after_cents is not None:
        _style(pdf, 10)
        pdf.cell(width, 6, f"Solde du porte-monnaie après l'opération : {format_amount(r.solde_after_cents)}",
                 new_x="LMARGIN", new_y="NEXT")
    pdf.cell(width, 6, f"{_AGENT_LABELS.get(r.kind, 'Enregistré par')} : {r.agent_name}",
             new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(top + COPY_HEIGHT - 12)
    _style(pdf, 7.5)
    pdf.set_text_color(90, 90, 90)
    pdf.multi_cell(width, 4, "Quittance délivrée par la régie de recettes, à conserver. Toute correction fait "
                   "l'objet d'une nouvelle quittance ; aucune quittance n'est jamais supprimée.",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)


def render_receipt(receipt: Receipt) -> bytes:
    """The receipt as PDF bytes (A4, family copy above, régie copy below)."""
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    install_font(pdf, _strings(receipt))
    pdf.set_creation_date(receipt.created_at)
    pdf.set_title(f"Quittance n° {receipt.receipt_number}")
    pdf.set_author(receipt.regie_name)
    pdf.set_creator("Portail Familles")
    pdf.set_producer("Portail Familles")
    pdf.add_page()
    _copy(pdf, receipt, MARGIN, "Exemplaire famille")
    cut = MARGIN + COPY_HEIGHT + 2
    pdf.set_draw_color(160, 160, 160)
    pdf.set_line_width(0.2)
    pdf.set_dash_pattern(dash=2, gap=1.5)
    pdf.line(5, cut, pdf.w - 5, cut)
    pdf.set_dash_pattern()
    _copy(pdf, receipt, cut + 4, "Exemplaire régie")
    return bytes(pdf.output())
