"""Exports, prints and receipts at the counter never end the session (issue 12): the
PDF font removed under a running session, or any unexpected error in an export worker,
gives a French message in place and the application stays up."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from textual.widgets import Input, Static

from portail_tui.app import PortailApp
from portail_tui.exports import fonts
from portail_tui.screens.historiques.screen import HistoriquesScreen
from portail_tui.screens.paiement.encaisser import EncaisserModal
from portail_tui.screens.paiement.receipt import ReceiptModal
from portail_tui.screens.paiement.screen import PaiementScreen
from portail_tui.services import history
from portail_tui.services.context import Context
from tests.support.payments_town import book, seed


@pytest.fixture
def desk(sqlite_db, clock, settings):  # type: ignore[no-untyped-def]
    sd = seed(sqlite_db)
    book(sqlite_db, sd, date(2026, 11, 20), 350)
    return Context(db=sqlite_db, clock=clock, settings=settings), sd


@pytest.fixture
def font_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This session's fonts in a folder of their own, as an installation's would be,
    none read yet."""
    folder = tmp_path / "fonts"
    shutil.copytree(fonts.FONT_DIR, folder)
    monkeypatch.setattr(fonts, "FONT_DIR", folder)
    for cache in ("_BYTES", "_PROTOTYPES", "_EMBEDDED"):
        monkeypatch.setattr(fonts, cache, {})
    return folder


async def _settle(pilot, app: PortailApp) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


def _text(widget: Static) -> str:
    return str(widget.render())


async def _pay(pilot, app: PortailApp, family_id: int, amount: str) -> ReceiptModal:  # type: ignore[no-untyped-def]
    await pilot.press("f3")
    await pilot.pause()
    app.select_family(family_id)
    await _settle(pilot, app)
    screen = app.screen
    assert isinstance(screen, PaiementScreen)
    field = screen.query_one("#montant", Input)
    field.focus()
    await pilot.press("ctrl+a", "ctrl+k", *amount, "f9")
    await pilot.pause()
    assert isinstance(app.screen, EncaisserModal)
    await pilot.press("enter")
    await _settle(pilot, app)
    modal = app.screen
    assert isinstance(modal, ReceiptModal)
    return modal


async def _statement(pilot, app: PortailApp) -> Static:  # type: ignore[no-untyped-def]
    """F2 then F7 on the family open; the Historiques status line."""
    await pilot.press("f2")
    await _settle(pilot, app)
    screen = app.screen
    assert isinstance(screen, HistoriquesScreen)
    await pilot.press("f7")
    await _settle(pilot, app)
    return screen.query_one("#hist-status", Static)


async def test_font_removed_mid_session(desk, font_dir: Path) -> None:  # type: ignore[no-untyped-def]
    """A redeploy deletes the font files while the session is open: the receipt and the
    statement made afterwards are still written (the fonts were read once, into memory)."""
    ctx, sd = desk
    app = PortailApp(ctx, actor=sd.agent)
    async with app.run_test(size=(130, 42)) as pilot:
        first = await _pay(pilot, app, sd.family_id, "10")
        assert first.pdf is not None
        await pilot.press("escape")
        await _settle(pilot, app)
        shutil.rmtree(font_dir)
        modal = await _pay(pilot, app, sd.family_id, "20")
        modal.pdf = None  # as when rendering failed with the payment: the dialog renders again
        await pilot.press("e")
        await _settle(pilot, app)
        assert modal.saved == ctx.settings.exports_dir / "quittance-000002-2026-11-28.pdf"
        assert modal.saved.read_bytes().startswith(b"%PDF")
        await pilot.press("escape")
        await _settle(pilot, app)
        status = await _statement(pilot, app)
        assert "Fichier enregistré" in _text(status) and not status.has_class("error")
        assert app.is_running


async def test_font_missing_from_the_start_is_a_french_message(desk, font_dir: Path) -> None:  # type: ignore[no-untyped-def]
    ctx, sd = desk
    shutil.rmtree(font_dir)
    app = PortailApp(ctx, actor=sd.agent)
    async with app.run_test(size=(130, 42)) as pilot:
        modal = await _pay(pilot, app, sd.family_id, "10")
        assert modal.pdf is None  # the payment is recorded all the same
        await pilot.press("e")
        await _settle(pilot, app)
        status = modal.query_one("#receipt-status", Static)
        assert "PDF impossible : la police DejaVuSans-Latin.ttf est illisible" in _text(status)
        assert status.has_class("error") and modal.saved is None
        await pilot.press("i")  # printing the receipt: the same message, nothing queued
        await _settle(pilot, app)
        assert "PDF impossible" in _text(status)
        await pilot.press("escape")
        await _settle(pilot, app)
        status = await _statement(pilot, app)
        assert "PDF impossible : la police" in _text(status) and status.has_class("error")
        assert app.is_running


async def test_unexpected_error_in_an_export_is_a_french_message(desk, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """A bug or a broken library in an export worker: a message, the traceback in the log."""
    ctx, sd = desk

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(history, "payments_file", broken)
    monkeypatch.setattr(history, "consumptions_file", broken)
    app = PortailApp(ctx, actor=sd.agent)
    async with app.run_test(size=(130, 42)) as pilot:
        await pilot.press("f3")
        await pilot.pause()
        app.select_family(sd.family_id)
        await _settle(pilot, app)
        status = await _statement(pilot, app)
        assert "Fichier non produit : erreur inattendue (RuntimeError)" in _text(status)
        assert status.has_class("error")
        await pilot.press("f8")
        await _settle(pilot, app)
        assert "erreur inattendue" in _text(status)
        assert app.is_running
