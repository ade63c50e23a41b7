"""Issue 14's acceptance test: a real town goes live, from an empty database, the way
the README's « Mise en service » tells a town hall's IT person to do it — and then an
agent works at the counter with what was imported.

One test per engine (a SQLite file; a fresh PostgreSQL database owned by its owner role,
the application connecting as its own role, as in production). Only two doors are used:
the real `portail` command (subprocesses, passwords on standard input, as typed in a
shell) and the application (Textual Pilot, date and size pinned like the screen tests).
The demo generator is never called: every row comes from the set-up file, the two
import files and what the agent does.

Steps:
 1. `portail db upgrade` on the empty base, `portail regie init` (password on stdin);
 2. `portail regie exemple` → `check` → `apply --dry-run` (nothing written) → `apply`;
 3. `portail import familles` of a Windows-1252 `;` CSV and of an XLSX (other families),
    each with opening balances (« reprise de solde »), the CSV first in --dry-run;
 4. `portail comptes envoyer` (twice: idempotent), `portail agent add guichet --role
    agent` (password on stdin);
 5. the application: log in as « guichet », Ctrl+F by name, the header's solde is the
    imported balance, semaine type in Réservations and Valider, a cash payment in
    Paiement (Encaisser), the month's statement exported as PDF from Historiques (pypdf
    reads the family and the « Reprise de solde » in it);
 6. `portail nightly` exits 0, `portail db check` too;
 7. the figures: for every imported family, the solde (services.wallet) is the file's
    balance minus what was consumed plus what was paid — today, and once December's
    bookings are consumed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlmodel import SQLModel, col
from textual.widgets import Input, Static
from textual.worker import WorkerCancelled

from portail_tui.app import PortailApp
from portail_tui.clock import PARIS, FixedClock
from portail_tui.config import Settings
from portail_tui.db import Database
from portail_tui.models import Booking, Family, OpeningBalance, Payment
from portail_tui.screens.historiques.screen import HistoriquesScreen
from portail_tui.screens.login import LoginScreen
from portail_tui.screens.paiement.encaisser import EncaisserModal
from portail_tui.screens.paiement.receipt import ReceiptModal
from portail_tui.screens.paiement.screen import PaiementScreen
from portail_tui.screens.reservations.pattern import PatternDialog
from portail_tui.screens.reservations.recap import RecapDialog
from portail_tui.screens.reservations.screen import ReservationsScreen
from portail_tui.screens.search import FamilySearchScreen
from portail_tui.services import wallet
from portail_tui.services.consumption import CONSUMPTION_WINDOW_DAYS
from portail_tui.services.context import Context
from portail_tui.services.imports import columns as K
from portail_tui.services.imports.template import workbook_bytes
from portail_tui.widgets.header import PortailHeader
from tests.conftest import ENGINES, PG_APP, PG_OWNER
from tests.support import import_samples as S

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 28)
NOW = datetime(2026, 11, 28, 10, 0, tzinfo=PARIS)
SIZE = (130, 42)
AGENT = ("guichet", "Guichet-2026")
ADMIN = ("admin", "Administrateur-2026")

# The XLSX holds two families the CSV does not (other references, other children), their
# balances dated in November so that this month's statement shows the reprise.
XLSX_BALANCES = {"F101": -2340, "F102": 1500}
XLSX_BALANCE_DAY = "01/11/2026"


def xlsx_rows() -> list[list[str]]:
    lefebvre = S.family("F101", "LEFEBVRE", "Sophie", email="sophie.lefebvre@exemple.fr", qf="900")
    petit = S.family("F102", "PETIT", "Nadia", phone="06 22 33 44 55", qf="450")
    return [
        S.row_of({**lefebvre, **S.child("LEFEBVRE", "Tom", "02/05/2017", cls="CM1", sex="M")}),
        S.row_of({**petit, **S.child("PETIT", "Inès", "10/10/2019", school="École primaire du Bourg",
                                     cls="CE1-CE2")}),
    ]


def write_xlsx(path: Path) -> Path:
    def euros(cents: int) -> str:
        sign = "-" if cents < 0 else ""
        return f"{sign}{abs(cents) // 100},{abs(cents) % 100:02d}"

    balances = [[ref, euros(c), XLSX_BALANCE_DAY] for ref, c in XLSX_BALANCES.items()]
    path.write_bytes(workbook_bytes([S.H, *xlsx_rows()], [list(K.BALANCE_HEADERS), *balances]))
    return path


# --------------------------------------------------------------------------- the base


@dataclass
class Base:
    """An empty database as the IT person gets it: `owner_url` runs the migrations,
    `url` is what the application and every other command connect with."""

    engine: str
    owner_url: str
    url: str
    app_role: str | None


@pytest.fixture(params=ENGINES)
def empty_base(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Base]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'portail.db'}"  # not even the file exists yet
        yield Base("sqlite", url, url, None)
        return
    cluster = request.getfixturevalue("pg_cluster")
    name = f"golive_{uuid.uuid4().hex[:10]}"
    cluster.create_database(name, owner=PG_OWNER[0])  # CREATE DATABASE … OWNER, nothing in it
    yield Base("postgresql", cluster.url(name, user=PG_OWNER[0], password=PG_OWNER[1]),
               cluster.url(name, user=PG_APP[0], password=PG_APP[1]), PG_APP[0])
    cluster.drop_database(name)


class Shell:
    """`portail …` as typed in a shell in `workdir`: a real process of the entry point,
    the date pinned, nothing inherited from the developer's PORTAIL_*/PG* settings."""

    def __init__(self, url: str, workdir: Path) -> None:
        self.url = url
        self.workdir = workdir
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "PORTAIL_"))}
        env.update(PYTHONPATH=str(ROOT), HOME=str(workdir), PORTAIL_DATA_DIR=str(workdir / "data"),
                   PORTAIL_EXPORTS_DIR=str(workdir / "exports"))
        self.env = env

    def run(self, *args: str, stdin: str | None = None, url: str | None = None,
            expect: int = 0) -> str:
        cmd = [sys.executable, "-m", "portail_tui", "--db", url or self.url, "--today", TODAY.isoformat(), *args]
        done = subprocess.run(cmd, input=stdin, capture_output=True, text=True, env=self.env,
                              cwd=self.workdir, timeout=600)
        out = done.stdout + done.stderr
        assert done.returncode == expect, f"portail {' '.join(args)} → {done.returncode}\n{out}"
        assert "Traceback" not in out, out
        return out


def row_counts(url: str) -> dict[str, int]:
    """Rows in every table of the schema: what « nothing written » is measured with."""
    db = Database(url)
    try:
        def work(s):  # type: ignore[no-untyped-def]
            return {t.name: int(s.execute(select(func.count()).select_from(t)).scalar_one())
                    for t in SQLModel.metadata.sorted_tables}
        return db.read(work)
    finally:
        db.dispose()


# --------------------------------------------------------------------------- the counter


async def settle(app: PortailApp, pilot) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        with contextlib.suppress(WorkerCancelled):
            await app.workers.wait_for_complete()
        await pilot.pause()


async def until(app: PortailApp, pilot, what: str, ready: Callable[[], bool],  # type: ignore[no-untyped-def]
                patience: float = 120) -> None:
    """Wait for the event, not for a time: two shared cores make the app slow, never wrong."""
    deadline = time.monotonic() + patience
    while not ready():
        assert time.monotonic() < deadline, (f"{what} : toujours pas après {patience:.0f} s"
                                             f" (écran : {type(app.screen).__name__})")
        with contextlib.suppress(WorkerCancelled):
            await app.workers.wait_for_complete()
        await pilot.pause(0.05)


async def type_text(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press(*list(text))


def header(app: PortailApp) -> str:
    return str(app.screen.query_one(PortailHeader).render())


def statement_text(path: Path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(str(path)).pages)


async def the_counter(ctx: Context) -> Path:
    """The agent's morning: log in, find LEFEBVRE, check the solde, book with the
    semaine type, take cash, export the statement. Returns the statement's PDF."""
    app = PortailApp(open_context=lambda: ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, LoginScreen)
        await type_text(pilot, AGENT[0])
        await pilot.press("enter")
        await type_text(pilot, AGENT[1])
        await pilot.press("enter")
        await until(app, pilot, "l'accueil après connexion", lambda: app.current_mode == "accueil")

        # Ctrl+F, the family by name, Entrée.
        await pilot.press("ctrl+f")
        await until(app, pilot, "la recherche", lambda: isinstance(app.screen, FamilySearchScreen))
        await type_text(pilot, "lefebvre")
        await until(app, pilot, "la famille trouvée",
                    lambda: isinstance(app.screen, FamilySearchScreen) and bool(app.screen.hits))
        hit = app.screen.hits[0]  # type: ignore[attr-defined]
        assert hit.name.startswith("LEFEBVRE"), hit
        await pilot.press("enter")
        await until(app, pilot, "la famille choisie", lambda: app.current_family_id == hit.id)
        # The header's solde is the imported balance: nothing consumed nor paid yet.
        await until(app, pilot, "le solde dans l'en-tête", lambda: "Solde" in header(app))
        assert "Solde : -23,40" in header(app), header(app)

        # Réservations: semaine type (T) on the first activity offered, default weekdays
        # and dates, then Valider (V, V, V as the recap asks).
        await pilot.press("f4")
        await until(app, pilot, "l'onglet Réservations", lambda: isinstance(app.screen, ReservationsScreen))
        await settle(app, pilot)
        booking_screen = app.screen
        assert isinstance(booking_screen, ReservationsScreen)
        await pilot.press("t")
        await until(app, pilot, "la semaine type", lambda: isinstance(app.screen, PatternDialog))
        await pilot.press("space")
        await pilot.press("tab", "tab", "tab")
        await pilot.press("enter")
        await settle(app, pilot)
        cart_lines = len(booking_screen.cart)
        assert cart_lines > 3, str(app.screen.query_one("#pattern-message").render())
        await pilot.press("escape")
        await until(app, pilot, "le calendrier", lambda: app.screen is booking_screen)
        await pilot.press("v")  # Valider: the recap of the cart
        await until(app, pilot, "le récapitulatif", lambda: isinstance(app.screen, RecapDialog))
        recap = app.screen
        assert isinstance(recap, RecapDialog)
        await pilot.press("v")  # Valider: recorded
        await until(app, pilot, "les réservations validées", lambda: recap.result is not None)
        assert recap.result is not None and len(recap.result.confirmed) == cart_lines
        await pilot.press("escape")
        await until(app, pilot, "le calendrier après Valider", lambda: app.screen is booking_screen)
        assert not booking_screen.cart

        # Paiement: 30 € in cash, F9 then Encaisser, the receipt.
        await pilot.press("f3")
        await until(app, pilot, "l'onglet Paiement", lambda: isinstance(app.screen, PaiementScreen))
        await settle(app, pilot)
        pay_screen = app.screen
        amount = pay_screen.query_one("#montant", Input)
        amount.focus()
        await pilot.press("ctrl+a", "ctrl+k", "3", "0")
        await pilot.press("f9")
        await until(app, pilot, "le dialogue d'encaissement", lambda: isinstance(app.screen, EncaisserModal))
        await pilot.press("enter")
        await until(app, pilot, "la quittance", lambda: isinstance(app.screen, ReceiptModal))
        assert app.screen.receipt.amount_cents == 3000  # type: ignore[attr-defined]
        await pilot.press("escape")
        await until(app, pilot, "le guichet", lambda: app.screen is pay_screen)

        # Historiques: the month's règlements as PDF (F7).
        await pilot.press("f2")
        await until(app, pilot, "l'onglet Historiques", lambda: isinstance(app.screen, HistoriquesScreen))
        await settle(app, pilot)
        hist = app.screen
        assert isinstance(hist, HistoriquesScreen)
        await pilot.press("f7")
        await until(app, pilot, "le relevé exporté", lambda: hist.last_export is not None
                    or "error" in hist.query_one("#hist-status", Static).classes)
        assert hist.last_export is not None, str(hist.query_one("#hist-status", Static).render())
        return hist.last_export


# --------------------------------------------------------------------------- the test


def imported_balances() -> dict[str, int]:
    return {**S.SAMPLE_BALANCES, **XLSX_BALANCES}


def family_figures(url: str, on: date) -> list[tuple[str, int, int, int, int]]:
    """(reference, opening, consumed as of `on`, paid, wallet's solde) of every family,
    the first three read from the rows themselves, not through the wallet. « Consumed »
    is the house's (R7): confirmed bookings up to `on` + CONSUMPTION_WINDOW_DAYS."""
    db = Database(url)
    try:
        def work(s):  # type: ignore[no-untyped-def]
            out = []
            for fam in s.execute(select(Family).order_by(col(Family.number))).scalars():
                opening = s.execute(select(col(OpeningBalance.amount_cents))
                                    .where(col(OpeningBalance.family_id) == fam.id)).scalar_one()
                consumed = s.execute(select(func.coalesce(func.sum(col(Booking.price_cents)), 0)).where(
                    col(Booking.family_id) == fam.id, col(Booking.status) == "confirmed",
                    col(Booking.day) <= on + timedelta(days=CONSUMPTION_WINDOW_DAYS))).scalar_one()
                paid = s.execute(select(func.coalesce(func.sum(col(Payment.amount_cents)), 0))
                                 .where(col(Payment.family_id) == fam.id)).scalar_one()
                out.append((fam.reference, int(opening), int(consumed), int(paid),
                            wallet.solde_cents(s, fam.id, on)))
            return out
        return db.read(work)
    finally:
        db.dispose()


def test_a_town_goes_live_from_an_empty_base(empty_base: Base, tmp_path: Path) -> None:
    work = tmp_path / "mairie"
    work.mkdir()
    sh = Shell(empty_base.url, work)

    # 1. The schema, then the régie and its administrator (password on stdin, twice if asked).
    if empty_base.app_role is None:
        sh.run("db", "upgrade")
    else:
        out = sh.run("db", "upgrade", "--role-application", empty_base.app_role, url=empty_base.owner_url)
        assert f"« {empty_base.app_role} »" in out
    out = sh.run("regie", "init", "--nom", "Régie des services scolaires", "--admin", ADMIN[0],
                 stdin=f"{ADMIN[1]}\n{ADMIN[1]}\n")
    assert "créée" in out

    # 2. The set-up file: the commented example, checked, simulated (nothing written), applied.
    sh.run("regie", "exemple", "regie.toml")
    assert (work / "regie.toml").is_file()
    assert "aucun problème" in sh.run("regie", "check", "regie.toml")
    before = row_counts(empty_base.url)
    out = sh.run("regie", "apply", "regie.toml", "--dry-run")
    assert "rien n'a été modifié" in out
    assert row_counts(empty_base.url) == before
    sh.run("regie", "apply", "regie.toml")
    after = row_counts(empty_base.url)
    assert after["school"] == 3 and after["activity"] > before["activity"]
    assert "aucun problème" in sh.run("regie", "check", "regie.toml")

    # 3. The families: the template the town's old software exports into, then a
    #    Windows-1252 « ; » CSV (F001–F004) and an XLSX (F101, F102), each with its
    #    opening balances beside it.
    sh.run("import", "modele", "--sortie", "modele.xlsx")
    assert (work / "modele.xlsx").is_file()
    csv_file = S.write_sample_csv(work / "familles.csv", encoding="cp1252")
    assert b"\xc9lodie" in csv_file.read_bytes()  # « Élodie » in Windows-1252 indeed
    counts = row_counts(empty_base.url)
    out = sh.run("import", "familles", csv_file.name, "--dry-run")
    assert "Familles : 4 ajoutées" in out and row_counts(empty_base.url) == counts
    out = sh.run("import", "familles", csv_file.name)
    assert "Familles : 4 ajoutées" in out and "Soldes de reprise : 4 importé(s)" in out
    out = sh.run("import", "familles", write_xlsx(work / "familles.xlsx").name)
    assert "Familles : 2 ajoutées" in out and "Soldes de reprise : 2 importé(s)" in out
    again = sh.run("import", "familles", csv_file.name)  # a second run changes nothing
    assert "0 ajoutée, 0 modifiée, 4 inchangées" in again

    # The families with an e-mail (F001, F002, F101) get their portal accounts, mails queued.
    assert "Comptes créés : 3" in sh.run("comptes", "envoyer")
    assert "Comptes créés : 0" in sh.run("comptes", "envoyer")

    # 4. The counter's agent.
    assert "Agent « guichet » créé" in sh.run("agent", "add", AGENT[0], "--role", "agent",
                                               stdin=f"{AGENT[1]}\n{AGENT[1]}\n")

    # 5. The application, as the agent uses it.
    db = Database(empty_base.url)
    try:
        settings = Settings(database_url=empty_base.url, exports_dir=work / "exports", today=TODAY)
        ctx = Context(db=db, clock=FixedClock(NOW), settings=settings)
        pdf = asyncio.run(the_counter(ctx))
    finally:
        db.dispose()
    assert pdf.is_file() and pdf.suffix == ".pdf"
    text = statement_text(pdf)
    assert "LEFEBVRE" in text, text
    assert "Reprise de solde" in text and "arrêté au 01/11/2026" in text, text
    assert "Espèces" in text and "30,00" in text, text

    # 6. The night's job, and the base's own checks.
    sh.run("nightly")
    sh.run("db", "check")

    # 7. Figures: solde = file balance − consumed + paid, for every imported family.
    expected = imported_balances()
    for on in (TODAY, date(2026, 12, 31)):
        rows = family_figures(empty_base.url, on)
        assert sorted(r[0] for r in rows) == sorted(expected)
        for ref, opening, consumed, paid, solde in rows:
            assert opening == expected[ref], ref
            assert solde == expected[ref] - consumed + paid, (ref, on, opening, consumed, paid, solde)
    final = {r[0]: r for r in family_figures(empty_base.url, date(2026, 12, 31))}
    assert final["F101"][3] == 3000  # the cash payment
    assert final["F101"][2] > 0  # the semaine type's bookings, consumed by the end of December
    assert all(final[ref][2] == final[ref][3] == 0 for ref in expected if ref != "F101")
