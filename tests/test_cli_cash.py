"""`portail export journal` and `portail payfip serve|resultat|lien`."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlencode

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from typer.testing import CliRunner

import portail_tui.cli  # noqa: F401  (registers every command)
from portail_tui.cli.base import app
from portail_tui.db import Database
from portail_tui.models import OutboxMessage
from portail_tui.services import payfip, payments
from portail_tui.services.context import Context
from portail_tui.services.payfip_server import make_payfip_server
from tests.support.payments_town import receipt_numbers, seed

runner = CliRunner()


@pytest.fixture
def town(sqlite_db: Database, clock, settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    sd = seed(sqlite_db)
    ctx = Context(db=sqlite_db, clock=clock, settings=settings)
    agent, reg = ctx.as_actor(sd.agent), ctx.as_actor(sd.regisseur)
    p = payments.take_payment(agent, sd.family_id, amount_cents=4000, mode="especes")
    payments.take_payment(agent, sd.family_id, amount_cents=6500, mode="cheque", cheque_number="7654321",
                          cheque_bank="La Banque Postale", cheque_drawer="Anne Dupont")
    payments.reverse_payment(reg, p.payment_id, reason="Erreur")
    monkeypatch.setenv("PORTAIL_EXPORTS_DIR", str(tmp_path / "exports"))
    monkeypatch.delenv("PORTAIL_DATABASE_URL", raising=False)
    return sd, ctx


def run(url: str, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["--db", url, "--today", "2026-11-28", *args])


def test_journal_csv_to_a_file(town, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, ctx = town
    out = tmp_path / "j.csv"
    res = run(ctx.db.url, "export", "journal", "--date", "2026-11-28", "--format", "csv", "--sortie", str(out))
    assert res.exit_code == 0, res.output
    text = out.read_bytes().decode("utf-8-sig")
    assert "2;10:00;000123 DUPONT;Règlement;Chèque;65,00;Claire Martin;chèque n° 7654321" in text
    assert "3;10:00;000123 DUPONT;Annulation;Espèces;-40,00;Paul Bernard" in text
    assert "Fichier écrit" in res.output and "3 écriture(s), journée non clôturée" in res.output


def test_journal_pdf_in_the_exports_folder(town, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, ctx = town
    res = run(ctx.db.url, "export", "journal", "--compte", "0,50")
    assert res.exit_code == 0, res.output
    path = tmp_path / "exports" / "journal-caisse-2026-11-28.pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(path.read_bytes())).pages)
    assert "Journal de caisse" in text and "Chèques à remettre en banque" in text
    assert "0,50" in text


def test_journal_date_in_french(town) -> None:  # type: ignore[no-untyped-def]
    _, ctx = town
    res = run(ctx.db.url, "export", "journal", "--date", "28/11/2026", "--sortie", "-")
    assert res.exit_code == 0, res.output
    assert "Espèces" in res.output


def test_journal_to_stdout(town) -> None:  # type: ignore[no-untyped-def]
    _, ctx = town
    res = run(ctx.db.url, "export", "journal", "--sortie", "-")
    assert res.exit_code == 0, res.output
    assert res.output.startswith("Écritures de la journée")


@pytest.mark.parametrize(
    "args,message",
    [
        (["--date", "31/02/2026"], "Date invalide pour --date"),
        (["--format", "xls"], "Format inconnu"),
        (["--format", "pdf", "--sortie", "-"], "que le CSV"),
        (["--compte", "abc"], "--compte"),
        (["--sortie", "/nulle/part/j.csv"], "n'existe pas"),
        (["--regie", "NOPE"], "Régie inconnue"),
    ],
)
def test_journal_errors(town, args: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    _, ctx = town
    res = run(ctx.db.url, "export", "journal", *args)
    assert res.exit_code == 1
    assert message in res.output
    assert "Traceback" not in res.output


def _link(ctx: Context, sd, amount: int = 4250) -> payfip.PayfipLink:  # type: ignore[no-untyped-def]
    return payfip.request_payment(ctx.as_actor(sd.agent), sd.family_id, amount_cents=amount, send_email=False)


def _result(link: payfip.PayfipLink, code: str = "P") -> str:
    return urlencode({**link.params, "resultrans": code, "numauto": "998877", "dattrans": "28112026",
                      "heurtrans": "1105"})


def test_payfip_resultat(town) -> None:  # type: ignore[no-untyped-def]
    sd, ctx = town
    link = _link(ctx, sd)
    res = run(ctx.db.url, "payfip", "resultat", _result(link))
    assert res.exit_code == 0, res.output
    assert "Paiement PayFiP enregistré : quittance n° 4" in res.output
    res = run(ctx.db.url, "payfip", "resultat", _result(link))
    assert res.exit_code == 0 and "déjà traitée" in res.output
    res = run(ctx.db.url, "payfip", "resultat", "refdet=PF0019999999999&resultrans=P")
    assert res.exit_code == 1 and "inconnue" in res.output
    assert receipt_numbers(ctx.db, sd.regie_id) == [1, 2, 3, 4]


def test_payfip_lien(town) -> None:  # type: ignore[no-untyped-def]
    _, ctx = town
    res = run(ctx.db.url, "payfip", "lien", "--famille", "123", "--montant", "12,50")
    assert res.exit_code == 0, res.output
    assert "https://www.payfip.gouv.fr/tpa/paiement.web?" in res.output and "montant=1250" in res.output
    kinds = ctx.db.read(lambda s: list(s.execute(select(OutboxMessage.kind)).scalars()))
    assert "payfip_link" in kinds
    res = run(ctx.db.url, "payfip", "lien", "--famille", "123", "--montant", "abc")
    assert res.exit_code == 1 and "--montant" in res.output


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def test_payfip_endpoint(town) -> None:  # type: ignore[no-untyped-def]
    sd, ctx = town
    lines: list[str] = []
    server = make_payfip_server(replace(ctx, actor=None), "127.0.0.1", 0, log=lines.append)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}/payfip/retour"
    try:
        link = _link(ctx, sd)
        assert _get(f"{base}?{_result(link)}") == (200, "OK\n")
        # The same notification again, as a form POST: answered OK, recorded once.
        req = urllib.request.Request(base, data=_result(link).encode(), method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert resp.status == 200
        status, body = _get(f"{base}?refdet=PF0019999999999&resultrans=P")
        assert status == 400 and "inconnue" in body
        assert _get(base)[0] == 400
    finally:
        server.shutdown()
        server.server_close()
    assert receipt_numbers(ctx.db, sd.regie_id) == [1, 2, 3, 4]
    assert any("quittance n° 4" in line for line in lines)
    assert any("déjà traitée" in line for line in lines)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_payfip_serve_command(town) -> None:  # type: ignore[no-untyped-def]
    sd, ctx = town
    link = _link(ctx, sd)
    port = _free_port()
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "portail_tui", "--db", ctx.db.url, "--today", "2026-11-28",
                             "payfip", "serve", "--port", str(port)], cwd=root, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        first = proc.stdout.readline()  # type: ignore[union-attr]
        assert f"127.0.0.1:{port}" in first, first
        status = None
        for _ in range(50):
            try:
                status, _body = _get(f"http://127.0.0.1:{port}/?{_result(link)}")
                break
            except urllib.error.URLError:
                time.sleep(0.1)
        assert status == 200
        assert "quittance n° 4" in proc.stdout.readline()  # type: ignore[union-attr]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert receipt_numbers(ctx.db, sd.regie_id) == [1, 2, 3, 4]
