"""Receipt PDF and journal CSV/PDF: what they say, read back from the files."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from pypdf import PdfReader

from portail_tui.exports.csv import render_csv
from portail_tui.exports.journal import journal_filename, journal_report
from portail_tui.exports.pdf import render_pdf
from portail_tui.exports.receipt import receipt_filename, receipt_lines, render_receipt
from portail_tui.services import cashdesk, payments
from portail_tui.services.context import Context
from tests.support.payments_town import TODAY, seed


@pytest.fixture
def town(sqlite_db):  # type: ignore[no-untyped-def]
    return seed(sqlite_db)


@pytest.fixture
def sctx(sqlite_db, clock, settings) -> Context:  # type: ignore[no-untyped-def]
    return Context(db=sqlite_db, clock=clock, settings=settings)


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_receipt_pdf_says_everything(sctx: Context, town) -> None:  # type: ignore[no-untyped-def]
    r = payments.take_payment(sctx.as_actor(town.agent), town.family_id, amount_cents=4050, mode="cheque",
                              cheque_number="1234567", cheque_bank="Crédit Agricole", cheque_drawer="Jean Dupont")
    pdf = render_receipt(r)
    assert pdf.startswith(b"%PDF")
    text = _text(pdf)
    for expected in ("SERVICES SCOLAIRES", "QUITTANCE N° 1", "samedi 28 novembre 2026 à 10 h 00",
                     "n° 000123 — DUPONT", "M. Jean DUPONT", "Chèque n° 1234567", "Crédit Agricole",
                     "40,50", "Quarante euros et cinquante centimes", "Claire Martin",
                     "Exemplaire famille", "Exemplaire régie"):
        assert expected in text, expected
    assert text.count("QUITTANCE N° 1") == 2  # two copies
    assert receipt_filename(r) == "quittance-000001-2026-11-28.pdf"
    assert render_receipt(r) == pdf  # same receipt, same bytes


def test_reversal_and_refund_receipts(sctx: Context, town) -> None:  # type: ignore[no-untyped-def]
    agent, reg = sctx.as_actor(town.agent), sctx.as_actor(town.regisseur)
    p = payments.take_payment(agent, town.family_id, amount_cents=30000, mode="especes")
    rev = payments.reverse_payment(reg, p.payment_id, reason="Erreur de famille")
    text = _text(render_receipt(rev))
    assert "QUITTANCE N° 2 — ANNULATION" in text and "Trois cents euros" in text
    assert ("Annule la quittance", "n° 1") in receipt_lines(rev)
    assert "Erreur de famille" in text and "Paul Bernard" in text
    payments.take_payment(agent, town.family_id, amount_cents=5000, mode="cb")
    ref = payments.refund(reg, town.family_id, amount_cents=2000, mode="virement", reason="Départ")
    text = _text(render_receipt(ref))
    assert "REMBOURSEMENT" in text and "Montant remboursé" in text and "Vingt euros" in text


def test_receipt_with_characters_outside_latin(sctx: Context, town) -> None:  # type: ignore[no-untyped-def]
    r = payments.take_payment(sctx.as_actor(town.agent), town.family_id, amount_cents=1000, mode="cb",
                              payer_name="Ἀλέξανδρος Παπαδόπουλος")
    assert "Παπαδόπουλος" in _text(render_receipt(r))


def test_journal_csv_and_pdf(sctx: Context, town) -> None:  # type: ignore[no-untyped-def]
    agent, reg = sctx.as_actor(town.agent), sctx.as_actor(town.regisseur)
    p = payments.take_payment(agent, town.family_id, amount_cents=4000, mode="especes")
    payments.take_payment(agent, town.family_id, amount_cents=6500, mode="cheque", cheque_number="7654321",
                          cheque_bank="La Banque Postale", cheque_drawer="Anne Dupont")
    sctx.clock.advance(timedelta(minutes=12))  # type: ignore[attr-defined]
    payments.reverse_payment(reg, p.payment_id, reason="Erreur")
    journal = cashdesk.day_journal(agent)
    report = journal_report(journal, edited_at=sctx.clock.now(), counted_cents=50)
    csv = render_csv(report).decode("utf-8-sig")
    assert "1;10:00;000123 DUPONT;Règlement;Espèces;40,00;Claire Martin;annulée par la quittance n° 3" in csv
    assert "3;10:12;000123 DUPONT;Annulation;Espèces;-40,00;Paul Bernard;annule la quittance n° 1 — Erreur" in csv
    assert "2;7654321;La Banque Postale;Anne Dupont;000123 DUPONT;65,00" in csv
    assert "Espèces;2;40,00;-40,00;0,00" in csv
    assert "Écart (compté − attendu);0,50" in csv
    text = _text(render_pdf(report))
    assert "Journal de caisse" in text and "Journée du samedi 28 novembre 2026" in text
    assert "Provisoire" in text and "non clôturée" in text
    cashdesk.close_day(reg, TODAY, counted_cents=0)
    closed = journal_report(cashdesk.day_journal(agent), edited_at=sctx.clock.now())
    text = _text(render_pdf(closed))
    assert "Arrêté de caisse" in text and "clôturée le 28/11/2026 à 10:12 par Paul Bernard" in text
    assert journal_filename(TODAY, "csv") == "journal-caisse-2026-11-28.csv"


def test_regisseur_named_on_receipt_and_journal(sctx: Context, town) -> None:  # type: ignore[no-untyped-def]
    """The régisseur's name of the set-up file (G1) is printed on each receipt, under the
    régie's address, and where the journal is signed; a régie without one prints neither."""
    from sqlalchemy import update

    from portail_tui.models import Regie

    agent = sctx.as_actor(town.agent)
    before = _text(render_receipt(payments.take_payment(agent, town.family_id, amount_cents=1000, mode="cb")))
    assert "Régisseur :" not in before
    sctx.db.write(lambda s: s.execute(update(Regie).values(regisseur_name="Jeanne Trésor")))
    text = _text(render_receipt(payments.take_payment(agent, town.family_id, amount_cents=1000, mode="cb")))
    assert text.count("Régisseur : Jeanne Trésor") == 2  # both copies
    journal = _text(render_pdf(journal_report(cashdesk.day_journal(agent), edited_at=sctx.clock.now())))
    assert "Signature du régisseur (Jeanne Trésor)" in journal
