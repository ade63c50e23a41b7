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
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

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
from tests.support.dgfip import Dgfip, running_dgfip
from tests.support.payments_town import receipt_numbers, seed

runner = CliRunner()


@pytest.fixture
def dgfip() -> Iterator[Dgfip]:
    yield from running_dgfip()


@pytest.fixture
def town(sqlite_db: Database, clock, settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
         dgfip: Dgfip):
    sd = seed(sqlite_db)
    settings = replace(settings, payfip_url="https://portail.example.fr/payfip/retour", payfip_ws_url=dgfip.url)
    ctx = Context(db=sqlite_db, clock=clock, settings=settings)
    agent, reg = ctx.as_actor(sd.agent), ctx.as_actor(sd.regisseur)
    p = payments.take_payment(agent, sd.family_id, amount_cents=4000, mode="especes")
    payments.take_payment(agent, sd.family_id, amount_cents=6500, mode="cheque", cheque_number="7654321",
                          cheque_bank="La Banque Postale", cheque_drawer="Anne Dupont")
    payments.reverse_payment(reg, p.payment_id, reason="Erreur")
    monkeypatch.setenv("PORTAIL_EXPORTS_DIR", str(tmp_path / "exports"))
    monkeypatch.delenv("PORTAIL_DATABASE_URL", raising=False)
    monkeypatch.setenv("PORTAIL_PAYFIP_URL", ctx.settings.payfip_url or "")
    monkeypatch.setenv("PORTAIL_PAYFIP_WS_URL", dgfip.url)
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


def test_payfip_resultat(town, dgfip: Dgfip) -> None:  # type: ignore[no-untyped-def]
    sd, ctx = town
    link = _link(ctx, sd)
    res = run(ctx.db.url, "payfip", "resultat", f"{link.reference}")
    assert res.exit_code == 0 and "pas encore connu" in res.output, res.output
    dgfip.pay(link.id_op, "P")
    res = run(ctx.db.url, "payfip", "resultat", f"idop={link.id_op}")
    assert res.exit_code == 0, res.output
    assert "Paiement PayFiP enregistré : quittance n° 4" in res.output
    res = run(ctx.db.url, "payfip", "resultat", link.id_op)
    assert res.exit_code == 0 and "déjà traitée" in res.output
    res = run(ctx.db.url, "payfip", "resultat", "refdet=PF0019999999999&resultrans=P")
    assert res.exit_code == 1 and "inconnue" in res.output
    assert receipt_numbers(ctx.db, sd.regie_id) == [1, 2, 3, 4]


def test_payfip_resultat_retries_what_the_dgfip_could_not_confirm(town, dgfip: Dgfip) -> None:  # type: ignore[no-untyped-def]
    sd, ctx = town
    first, second = _link(ctx, sd), _link(ctx, sd, 1000)
    dgfip.pay(first.id_op, "P")
    dgfip.pay(second.id_op, "V")
    dgfip.stop()
    res = run(ctx.db.url, "payfip", "resultat")
    assert res.exit_code == 1 and "injoignable" in res.output and "Traceback" not in res.output
    assert receipt_numbers(ctx.db, sd.regie_id) == [1, 2, 3]
    dgfip.start()
    res = run(ctx.db.url, "payfip", "resultat")
    assert res.exit_code == 0, res.output
    assert "2 demande(s) en attente vérifiée(s), 2 paiement(s) enregistré(s)." in res.output
    assert receipt_numbers(ctx.db, sd.regie_id) == [1, 2, 3, 4, 5]


def test_payfip_lien(town, dgfip: Dgfip) -> None:  # type: ignore[no-untyped-def]
    _, ctx = town
    res = run(ctx.db.url, "payfip", "lien", "--famille", "123", "--montant", "12,50")
    assert res.exit_code == 0, res.output
    (idop,) = dgfip.operations
    assert f"https://www.payfip.gouv.fr/tpa/paiementws.web?idop={idop}" in res.output
    assert dgfip.operations[idop]["montant"] == "1250"
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


def test_payfip_endpoint(town, dgfip: Dgfip) -> None:  # type: ignore[no-untyped-def]
    sd, ctx = town
    lines: list[str] = []
    server = make_payfip_server(replace(ctx, actor=None), "127.0.0.1", 0, log=lines.append)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}/payfip/retour"
    try:
        link = _link(ctx, sd)
        # The probe: a forged success on a reference. The DGFiP has no result: nothing.
        status, _ = _get(f"{base}?refdet={link.reference}&resultrans=P&montant=4250")
        assert status == 202
        dgfip.pay(link.id_op, "P")
        # The DGFiP's notification, a form POST with the operation id.
        req = urllib.request.Request(base, data=f"idOp={link.id_op}".encode(), method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert resp.status == 200
        # The family's browser comes back with it too: answered OK, recorded once.
        assert _get(f"{base}?idop={link.id_op}") == (200, "OK\n")
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


def test_payfip_serve_refuses_a_bad_port(town) -> None:  # type: ignore[no-untyped-def]
    _, ctx = town
    for port in ("99999", "-1", "0"):
        res = run(ctx.db.url, "payfip", "serve", "--port", port)
        assert res.exit_code == 1 and f"Port invalide : {port} (un nombre de 1 à 65535)." in res.output
        assert "Traceback" not in res.output


def test_payfip_serve_warns_beyond_loopback(town) -> None:  # type: ignore[no-untyped-def]
    _, ctx = town
    with socket.socket() as busy:  # the port is taken: the command stops after its warning
        busy.bind(("0.0.0.0", 0))
        busy.listen()
        port = busy.getsockname()[1]
        res = run(ctx.db.url, "payfip", "serve", "--host", "0.0.0.0", "--port", str(port))
    assert res.exit_code == 1 and "Impossible d'écouter sur 0.0.0.0" in res.output
    assert "Attention : écoute sur 0.0.0.0" in res.output and "proxy" in res.output
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        res = run(ctx.db.url, "payfip", "serve", "--port", str(busy.getsockname()[1]))
    assert res.exit_code == 1 and "Attention" not in res.output


@pytest.mark.slow
def test_payfip_serve_command(town, dgfip: Dgfip) -> None:  # type: ignore[no-untyped-def]
    sd, ctx = town
    link = _link(ctx, sd)
    dgfip.pay(link.id_op, "P")
    port = _free_port()
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PORTAIL_PAYFIP_WS_URL": dgfip.url}
    proc = subprocess.Popen([sys.executable, "-m", "portail_tui", "--db", ctx.db.url, "--today", "2026-11-28",
                             "payfip", "serve", "--port", str(port)], cwd=root, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        first = proc.stdout.readline()  # type: ignore[union-attr]
        assert f"127.0.0.1:{port}" in first, first
        status = None
        for _ in range(50):
            try:
                status, _body = _get(f"http://127.0.0.1:{port}/?idop={link.id_op}")
                break
            except urllib.error.URLError:
                time.sleep(0.1)
        assert status == 200
        line = proc.stdout.readline()  # type: ignore[union-attr]
        assert "quittance n° 4" in line and " 127.0.0.1 GET " in line and link.reference in line
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert receipt_numbers(ctx.db, sd.regie_id) == [1, 2, 3, 4]
