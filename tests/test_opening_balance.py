"""Opening balances (« reprise de solde », G8): after the import the solde of every
family is the balance in the file (both engines), the wallet and the histories agree;
an opening balance is imported once per family, by an administrator only, audited,
never a Payment and never in a cash journal, and the Règlements history shows it as
« Reprise de solde au JJ/MM/AAAA » without a receipt number."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portail_tui.clock import FixedClock
from portail_tui.db import Database
from portail_tui.models import AuditLog, Family, OpeningBalance, Payment
from portail_tui.services import cashdesk, wallet
from portail_tui.services import history as h
from portail_tui.services.context import Context, PermissionDenied
from portail_tui.services.imports import import_families
from tests.support import import_samples as S
from tests.support.payments_town import Seed, book, seed


@pytest.fixture
def town(db: Database) -> Seed:
    sd = seed(db)
    S.add_schools(db, sd.regie_id)
    return sd


def _ctx(db: Database, sd: Seed, who: str = "admin") -> Context:
    return Context(db=db, clock=FixedClock(S.NOW)).as_actor(getattr(sd, who))


def _ids(db: Database) -> dict[str, int]:
    return dict(db.read(lambda s: s.execute(select(Family.reference, Family.id)
                                            .where(Family.reference.is_not(None))).all()))


def test_solde_is_the_balance_of_the_file_for_every_family(db: Database, town: Seed, tmp_path: Path) -> None:
    import_families(_ctx(db, town), S.write_sample_csv(tmp_path / "familles.csv"))
    ctx = _ctx(db, town, "agent")
    ids = _ids(db)
    for ref, cents in S.SAMPLE_BALANCES.items():
        assert wallet.family_solde(ctx, ids[ref]) == cents
        figures = wallet.wallet_figures(ctx, ids[ref])
        assert (figures.solde_cents, figures.opening_cents, figures.paid_cents) == (cents, cents, 0)
    # Neither a payment nor a receipt: the town's payments and today's journal are untouched.
    assert db.read(lambda s: s.execute(select(func.count()).select_from(Payment)).scalar_one()) == 0
    journal = db.read(lambda s: cashdesk.journal_in_session(s, town.regie_id, S.TODAY))
    assert journal.entries == () and journal.total_cents == 0


def test_solde_adds_payments_and_consumption_to_the_opening_balance(db: Database, town: Seed,
                                                                    tmp_path: Path) -> None:
    from portail_tui.services import payments

    import_families(_ctx(db, town), S.write_sample_csv(tmp_path / "familles.csv"))
    benezet = _ids(db)["F001"]
    payments.take_payment(_ctx(db, town, "agent"), benezet, amount_cents=2000, mode="especes")
    book(db, town, date(2026, 11, 20), 350, family_id=benezet)
    assert wallet.family_solde(_ctx(db, town, "agent"), benezet) == -1250 + 2000 - 350
    journal = db.read(lambda s: cashdesk.journal_in_session(s, town.regie_id, S.TODAY))
    assert [e.amount_cents for e in journal.entries] == [2000]  # the payment, never the reprise


def test_history_shows_the_opening_balance_without_receipt(db: Database, town: Seed, tmp_path: Path) -> None:
    import_families(_ctx(db, town), S.write_sample_csv(tmp_path / "familles.csv"))
    ctx = _ctx(db, town, "regisseur")
    fid = _ids(db)["F004"]
    october = h.payment_history(ctx, fid, h.Month(2026, 10))
    (line,) = october.lines
    assert line.kind_label == "Reprise de solde au 31/10/2026"
    assert (line.receipt_number, line.amount_cents, line.mark) == (None, -4510, "")
    assert october.total_cents == -4510
    assert h.payment_history(ctx, fid, h.Month(2026, 11)).lines == ()
    table = h.payments_table(october)
    # The statement's Opération column is too narrow for the whole label: « Reprise de
    # solde » there, the date in Observation (the PDF used to print « Reprise de sol… »).
    assert table.rows[0][0] is None and table.rows[0][2] == "Reprise de solde"
    assert table.rows[0][4] == "arrêté au 31/10/2026"
    csv_text = h.payments_file(ctx, october, "csv").data.decode("utf-8-sig")
    assert "Reprise de solde;" in csv_text and "arrêté au 31/10/2026" in csv_text and "-45,10" in csv_text
    pdf = h.payments_file(ctx, october, "pdf").data
    assert pdf.startswith(b"%PDF")
    from pypdf import PdfReader

    text = "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Reprise de solde" in text and "arrêté au 31/10/2026" in text and "…" not in text


def test_imported_once_per_family(db: Database, town: Seed, tmp_path: Path) -> None:
    path = S.write_sample_csv(tmp_path / "familles.csv")
    first = import_families(_ctx(db, town), path)
    assert (first.balances_added, first.balances_skipped) == (4, 0)
    # The town sends other figures: the first reprise stands, the second is skipped and said so.
    other = tmp_path / "familles-soldes.csv"
    other.write_text(other.read_text(encoding="utf-8-sig").replace("-12,50", "-99,00"), encoding="utf-8-sig")
    dry = import_families(_ctx(db, town), path, dry_run=True)
    assert (dry.balances_added, dry.balances_skipped) == (0, 4)
    second = import_families(_ctx(db, town), path)
    assert (second.balances_added, second.balances_skipped) == (0, 4)
    assert wallet.family_solde(_ctx(db, town), _ids(db)["F001"]) == -1250
    assert db.read(lambda s: s.execute(select(func.count()).select_from(OpeningBalance)).scalar_one()) == 4
    audited = db.read(lambda s: s.execute(select(func.count()).select_from(AuditLog)
                                          .where(AuditLog.action == "opening_balance.import")).scalar_one())
    assert audited == 4


def test_administrator_only(db: Database, town: Seed, tmp_path: Path) -> None:
    from portail_tui.services import permissions

    assert not permissions.allowed(town.regisseur, "opening_balance.import")
    assert permissions.allowed(town.admin, "opening_balance.import")
    with pytest.raises(PermissionDenied, match="reprendre les soldes|importer les familles"):
        import_families(_ctx(db, town, "regisseur"), S.write_sample_csv(tmp_path / "familles.csv"))
    assert db.read(lambda s: s.execute(select(func.count()).select_from(OpeningBalance)).scalar_one()) == 0


@pytest.mark.parametrize(("row", "message"), [
    (["F001", "douze", "31/10/2026"], "ligne 2, colonne « Solde (euros) » : « douze » : Montant invalide"),
    (["F001", "-12,50", "31/10/26 à midi"], "ligne 2, colonne « Date du solde » : « 31/10/26 à midi » n'est pas"
                                             " une date"),
    (["F999", "1,00", "31/10/2026"], "ligne 2, colonne « Référence famille » : « F999 » : famille « F999 » inconnue"),
])
def test_balance_errors_name_line_and_column(sqlite_db: Database, tmp_path: Path, row: list[str],
                                             message: str) -> None:
    from portail_tui.services.imports import ImportRefused
    from portail_tui.services.imports import columns as K

    sd = seed(sqlite_db)
    S.add_schools(sqlite_db, sd.regie_id)
    path = S.write_sample_csv(tmp_path / "familles.csv")
    (tmp_path / "familles-soldes.csv").write_bytes(S.csv_bytes([row, ["F001", "1,00", "31/10/2026"]],
                                                               headers=list(K.BALANCE_HEADERS)))
    with pytest.raises(ImportRefused) as refused:
        import_families(_ctx(sqlite_db, sd), path)
    assert any(e.startswith(message) for e in refused.value.errors), refused.value.errors
    if row[0] == "F001":
        return
    assert "ligne 3" not in " ".join(refused.value.errors)


def test_solde_details_explain_the_opening_balance(db: Database, town: Seed, tmp_path: Path) -> None:
    import_families(_ctx(db, town), S.write_sample_csv(tmp_path / "familles.csv"))
    ids = _ids(db)
    details = wallet.solde_details(_ctx(db, town, "agent"), ids["F001"])
    assert details.opening is not None and details.opening.label == "Reprise de solde au 31/10/2026"
    assert details.figures.solde_cents == -1250
    assert wallet.solde_details(_ctx(db, town, "agent"), town.family_id).opening is None
    from portail_tui.domain.money import format_amount
    from portail_tui.screens.paiement.tables import solde_text

    shown = solde_text(details).plain
    assert shown.startswith(f"Reprise de solde au 31/10/2026 : {format_amount(-1250)}   +   Total payé : ")
    assert f"Solde : {format_amount(-1250)}" in shown


def test_an_opening_balance_is_never_changed_nor_deleted(db: Database, town: Seed, tmp_path: Path) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    import_families(_ctx(db, town), S.write_sample_csv(tmp_path / "familles.csv"))
    for statement in ("UPDATE opening_balance SET amount_cents = 0", "DELETE FROM opening_balance"):
        with pytest.raises(DBAPIError):
            db.write(lambda s, sql=statement: s.execute(text(sql)), attempts=1)
    assert db.read(lambda s: s.execute(select(func.sum(OpeningBalance.amount_cents))).scalar_one()) == sum(
        S.SAMPLE_BALANCES.values())
