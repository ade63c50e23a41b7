"""Paiement et solde tab through the Pilot, as an agent at the desk would: a cash
payment, a cheque, the 300 € refusal, a reversal, the closing, the Solde section."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import func, select
from textual.widgets import DataTable, Input, Select, Static, TabbedContent
from textual.worker import WorkerCancelled

from portail_tui.app import PortailApp
from portail_tui.db import Database
from portail_tui.models import AuditLog, CashDay, Payment
from portail_tui.screens.paiement.encaisser import EncaisserModal
from portail_tui.screens.paiement.journal import JournalModal
from portail_tui.screens.paiement.receipt import ReceiptModal
from portail_tui.screens.paiement.reversal import ReversalModal
from portail_tui.screens.paiement.screen import PaiementScreen
from portail_tui.services import payments, wallet
from portail_tui.services.context import Context
from portail_tui.widgets.header import PortailHeader
from tests.support.payments_town import TODAY, add_family, book, seed


@pytest.fixture
def desk(sqlite_db, clock, settings):  # type: ignore[no-untyped-def]
    sd = seed(sqlite_db)
    book(sqlite_db, sd, date(2026, 11, 20), 350)  # consumed
    book(sqlite_db, sd, date(2026, 12, 20), 500)  # estimated
    return Context(db=sqlite_db, clock=clock, settings=settings), sd


async def _settle(pilot, app: PortailApp) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        # The change check runs every CHANGE_CHECK_SECONDS in an exclusive worker: the
        # next one may cancel the one being waited for (under load; as in test_screen_app).
        with contextlib.suppress(WorkerCancelled):
            await app.workers.wait_for_complete()
        await pilot.pause()


async def _open(pilot, app: PortailApp, family_id: int) -> PaiementScreen:  # type: ignore[no-untyped-def]
    await pilot.press("f3")
    await pilot.pause()
    app.select_family(family_id)
    await _settle(pilot, app)
    screen = app.screen
    assert isinstance(screen, PaiementScreen)
    return screen


async def _type_amount(pilot, screen: PaiementScreen, text: str) -> None:  # type: ignore[no-untyped-def]
    field = screen.query_one("#montant", Input)
    field.focus()
    await pilot.press("ctrl+a", "ctrl+k", *text)
    await pilot.pause()


def _text(widget: Static) -> str:
    return str(widget.render())


def _footer_actions(screen: PaiementScreen) -> set[str]:
    return {a.binding.action for a in screen.active_bindings.values() if a.binding.show}


def _payments(ctx: Context) -> list[Payment]:
    return ctx.db.read(lambda s: list(s.execute(select(Payment).order_by(Payment.id)).scalars()))


async def test_figures_as_the_guide(desk) -> None:  # type: ignore[no-untyped-def]
    ctx, sd = desk
    app = PortailApp(ctx, actor=sd.agent)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot, app, sd.family_id)
        assert _text(screen.query_one("#w-regie", Static)) == "SERVICES SCOLAIRES"
        assert "-3,50" in _text(screen.query_one("#w-solde", Static))
        assert "5,00" in _text(screen.query_one("#w-estimated", Static))
        # The proposed amount brings the nouveau solde back to zero.
        assert screen.query_one("#montant", Input).value == "8,50"
        assert "0,00" in _text(screen.query_one("#w-new", Static))
        assert "8,50" in _text(screen.query_one("#total", Static))
        assert screen.query_one("#email", Input).value == "dupont@example.fr"
        assert screen.query_one("#payer", Input).value == "M. Jean DUPONT"
        # The agent types another amount: nouveau solde follows.
        await _type_amount(pilot, screen, "20")
        assert "11,50" in _text(screen.query_one("#w-new", Static))
        # Waiting bookings are counted only when asked for.
        book(ctx.db, sd, date(2026, 12, 21), 700, status="waiting")
        await pilot.click("#type-waiting")
        await _settle(pilot, app)
        assert "12,00" in _text(screen.query_one("#w-estimated", Static))
        assert screen.query_one("#montant", Input).value == "15,50"
        # A bad amount is explained next to the field; nothing happens on F9.
        await _type_amount(pilot, screen, "1e3")
        await pilot.press("f9")
        await pilot.pause()
        assert "invalide" in _text(screen.query_one("#montant-error", Static))
        assert app.screen is screen
        assert _payments(ctx) == []



async def test_calculation_date_in_the_past_is_refused_by_the_service_rule(desk) -> None:  # type: ignore[no-untyped-def]
    """The screen no longer types the rule again: the wallet service's refusal shows
    under the field, the figures stay, and a good date clears it."""
    ctx, sd = desk
    app = PortailApp(ctx, actor=sd.agent)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot, app, sd.family_id)
        until = screen.query_one("#until", Input)
        until.focus()
        await pilot.press("ctrl+a", "ctrl+k", *"01/11/2026")
        await _settle(pilot, app)
        assert "ne peut pas être dans le passé" in _text(screen.query_one("#until-error", Static))
        assert "5,00" in _text(screen.query_one("#w-estimated", Static))
        assert screen.query_one("#montant", Input).value == "8,50"
        await pilot.press("ctrl+a", "ctrl+k", *"31/12/2026")
        await _settle(pilot, app)
        assert _text(screen.query_one("#until-error", Static)) == ""


async def _until(pilot, app: PortailApp, what: str, ready: Callable[[], bool],  # type: ignore[no-untyped-def]
                 patience: float = 120) -> None:
    """Let the app work until `ready()`: a loaded machine (the whole suite on two cores)
    makes it slow, never wrong, so the test waits for the event, not for a time."""
    deadline = time.monotonic() + patience
    while not ready():
        assert time.monotonic() < deadline, f"{what} : toujours pas après {patience:.0f} s"
        await app.workers.wait_for_complete()
        await pilot.pause(0.05)


async def test_cash_payment_at_the_desk(desk) -> None:  # type: ignore[no-untyped-def]
    ctx, sd = desk
    app = PortailApp(ctx, actor=sd.agent)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot, app, sd.family_id)
        await _type_amount(pilot, screen, "40")
        assert screen.query_one("#mode", Select).value == "especes"
        await pilot.press("f9")
        await _until(pilot, app, "le dialogue d'encaissement", lambda: isinstance(app.screen, EncaisserModal))
        await pilot.press("enter")  # the Encaisser button has the focus
        await _until(pilot, app, "la quittance", lambda: isinstance(app.screen, ReceiptModal))
        assert isinstance(app.screen, ReceiptModal)
        receipt = app.screen.receipt
        assert receipt.receipt_number == 1 and receipt.amount_cents == 4000
        assert receipt.solde_after_cents == 4000 - 350
        # One meaning of « Nouveau solde » (R7, the Paiement table): what follows the
        # payment here is the wallet once it is in, worded so.
        shown = " ".join(_text(s) for s in app.screen.query(Static))
        assert "Solde après ce règlement : 36,50" in shown and "Nouveau solde" not in shown
        assert app.screen.pdf is not None and app.screen.pdf.startswith(b"%PDF")
        modal = app.screen
        await pilot.press("e")  # save the receipt PDF
        await _until(pilot, app, "la quittance enregistrée", lambda: modal.saved is not None
                     or "error" in modal.query_one("#receipt-status", Static).classes)
        assert modal.saved is not None, _text(modal.query_one("#receipt-status", Static))
        assert modal.saved.name == "quittance-000001-2026-11-28.pdf"
        await pilot.press("escape")
        await _until(pilot, app, "le guichet à jour", lambda: app.screen is screen
                     and "Quittance n° 1" in _text(screen.query_one("#pay-status", Static))
                     and "36,50" in str(app.screen.query_one(PortailHeader).render())
                     and screen.query_one("#entries", DataTable).row_count == 1)
        assert "Quittance n° 1 enregistrée" in _text(screen.query_one("#pay-status", Static))
        assert "36,50" in str(app.screen.query_one(PortailHeader).render())  # header balance refreshed
        assert screen.query_one("#entries", DataTable).row_count == 1
        [p] = _payments(ctx)
        assert (p.mode, p.amount_cents, p.created_by) == ("especes", 4000, "agent:agent")


async def test_cheque_payment_needs_its_details(desk) -> None:  # type: ignore[no-untyped-def]
    ctx, sd = desk
    app = PortailApp(ctx, actor=sd.agent)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot, app, sd.family_id)
        screen.query_one("#mode", Select).value = "cheque"
        await _type_amount(pilot, screen, "65,00")
        await pilot.press("f9")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, EncaisserModal)
        assert modal.query_one("#cheque_drawer", Input).value == "M. Jean DUPONT"
        await pilot.press("f9")  # no number yet
        await _settle(pilot, app)
        assert "numéro du chèque est obligatoire" in _text(modal.query_one("#cheque_number-error", Static))
        assert _payments(ctx) == []
        await pilot.press(*"1234567", "enter")
        await pilot.press(*"Credit Mutuel", "enter")
        await pilot.press("enter")  # drawer prefilled: Enter on the last field confirms
        await _settle(pilot, app)
        assert isinstance(app.screen, ReceiptModal)
        await pilot.press("escape")
        await _settle(pilot, app)
        [p] = _payments(ctx)
        assert (p.mode, p.amount_cents, p.cheque_number, p.cheque_bank, p.cheque_drawer) == (
            "cheque", 6500, "1234567", "Credit Mutuel", "M. Jean DUPONT")


async def test_cash_over_300_euros_is_refused(desk) -> None:  # type: ignore[no-untyped-def]
    ctx, sd = desk
    app = PortailApp(ctx, actor=sd.agent)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot, app, sd.family_id)
        await _type_amount(pilot, screen, "300,01")
        await pilot.press("f9")
        await pilot.pause()
        assert app.screen is screen  # no dialog
        error = _text(screen.query_one("#montant-error", Static))
        assert "1680" in error and "300,00" in error
        assert _payments(ctx) == []
        # The same amount by card goes through.
        screen.query_one("#mode", Select).value = "cb"
        await pilot.pause()
        await pilot.press("f9")
        await pilot.pause()
        assert isinstance(app.screen, EncaisserModal)


async def test_daily_cash_ceiling_at_the_desk(desk) -> None:  # type: ignore[no-untyped-def]
    """Two cash payments the same day count together (CGI art. 1680): the agent is refused
    before any dialog; the régisseur may go above it, only with a reason, audited."""
    ctx, sd = desk
    payments.take_payment(ctx.as_actor(sd.agent), sd.family_id, amount_cents=20000, mode="especes")
    app = PortailApp(ctx, actor=sd.agent)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot, app, sd.family_id)
        await _type_amount(pilot, screen, "150")
        await pilot.press("f9")
        await pilot.pause()
        assert app.screen is screen
        assert "200,00" in _text(screen.query_one("#montant-error", Static))
    assert len(_payments(ctx)) == 1

    app = PortailApp(ctx, actor=sd.regisseur)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot, app, sd.family_id)
        await _type_amount(pilot, screen, "150")
        await pilot.press("f9")
        await _settle(pilot, app)
        modal = app.screen
        assert isinstance(modal, EncaisserModal)
        assert "1680" in _text(modal.query_one("#encaisser-ceiling", Static))
        assert modal.focused is modal.query_one("#override-reason", Input)
        await pilot.press("f9")  # no reason: refused in place, nothing recorded
        await _settle(pilot, app)
        assert "motif est obligatoire" in _text(modal.query_one("#override-reason-error", Static))
        assert len(_payments(ctx)) == 1
        await pilot.press(*"Caution du séjour", "enter")
        await _settle(pilot, app)
        assert isinstance(app.screen, ReceiptModal)
    assert [p.amount_cents for p in _payments(ctx)] == [20000, 15000]
    reasons = ctx.db.read(lambda s: list(s.execute(
        select(AuditLog.details).where(AuditLog.action == "cash.ceiling_override")).scalars()))
    assert len(reasons) == 1 and "Caution du séjour" in reasons[0]


async def test_reversal_by_the_regisseur(desk) -> None:  # type: ignore[no-untyped-def]
    ctx, sd = desk
    first = payments.take_payment(ctx.as_actor(sd.agent), sd.family_id, amount_cents=4000, mode="especes")
    app = PortailApp(ctx, actor=sd.regisseur)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot, app, sd.family_id)
        screen.query_one("#entries", DataTable).focus()
        await pilot.press("f6")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, ReversalModal)
        assert "reverse" in _footer_actions(screen)
        await pilot.press("enter")  # no reason
        await pilot.pause()
        assert "obligatoire" in _text(modal.query_one("#motif-error", Static))
        await pilot.press(*"Erreur de famille", "enter")
        await _settle(pilot, app)
        assert isinstance(app.screen, ReceiptModal)
        assert app.screen.receipt.kind == "reversal" and app.screen.receipt.reverses_receipt == first.receipt_number
        await pilot.press("escape")
        await _settle(pilot, app)
        rows = screen.query_one("#entries", DataTable)
        assert rows.row_count == 2
        # The original stays, marked; reversing it again is refused without a dialog.
        rows.move_cursor(row=1)
        await pilot.press("f6")
        await pilot.pause()
        assert app.screen is screen
        assert "déjà été annulée" in _text(screen.query_one("#pay-status", Static))
    reversal = _payments(ctx)[-1]
    assert (reversal.kind, reversal.amount_cents, reversal.reason) == ("reversal", -4000, "Erreur de famille")


async def test_agent_cannot_reverse(desk) -> None:  # type: ignore[no-untyped-def]
    ctx, sd = desk
    payments.take_payment(ctx.as_actor(sd.agent), sd.family_id, amount_cents=4000, mode="especes")
    app = PortailApp(ctx, actor=sd.agent)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot, app, sd.family_id)
        screen.query_one("#entries", DataTable).focus()
        await pilot.press("f6")
        await pilot.pause()
        assert app.screen is screen
        # Not offered in the footer, and the key says why rather than nothing.
        assert "ne permet pas" in _text(screen.query_one("#pay-status", Static))
        assert {"reverse", "refund"}.isdisjoint(_footer_actions(screen)) and "encaisser" in _footer_actions(screen)
        assert "F6" not in " ".join(_text(s) for s in screen.query(".section-title"))
        # Agent-facing words: the family's payment, not « votre règlement ».
        assert all("votre" not in _text(s).lower() for s in screen.query(Static) if s.id != "pay-status")
        assert "Total du règlement de la famille" in _text(screen.query_one("#total", Static))
    assert len(_payments(ctx)) == 1


async def test_closing_the_day(desk) -> None:  # type: ignore[no-untyped-def]
    ctx, sd = desk
    agent = ctx.as_actor(sd.agent)
    payments.take_payment(agent, sd.family_id, amount_cents=4000, mode="especes")
    payments.take_payment(agent, sd.family_id, amount_cents=6500, mode="cheque", cheque_number="7654321",
                          cheque_bank="La Banque Postale", cheque_drawer="Anne Dupont")
    app = PortailApp(ctx, actor=sd.regisseur)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot, app, sd.family_id)
        await pilot.press("f10")
        await _settle(pilot, app)
        modal = app.screen
        assert isinstance(modal, JournalModal)
        assert modal.query_one("#journal-entries", DataTable).row_count == 2
        totals = _text(modal.query_one("#journal-totals", Static))
        assert "Espèces attendues : 40,00" in totals and "Chèques à remettre en banque : 1" in totals
        await pilot.press(*"39,50")  # the counted cash field has the focus
        await pilot.pause()
        assert "manque" in _text(modal.query_one("#journal-difference", Static))
        await pilot.press("f9")  # a difference needs a note
        await _settle(pilot, app)
        assert "raison" in _text(modal.query_one("#journal-status", Static))
        assert ctx.db.read(lambda s: s.execute(select(func.count()).select_from(CashDay)).scalar()) == 0
        modal.query_one("#note", Input).value = "Pièce de 50 centimes manquante"
        await pilot.press("f9")
        await _settle(pilot, app)
        assert "clôturée" in _text(modal.query_one("#journal-status", Static))
        assert "Clôturée le 28/11/2026" in _text(modal.query_one("#journal-state", Static))
        await pilot.press("f7")  # the journal as PDF
        await _settle(pilot, app)
        assert modal.last_export.name == "journal-caisse-2026-11-28.pdf"  # type: ignore[attr-defined]
        await pilot.press("escape")
        await _settle(pilot, app)
        assert app.screen is screen
        assert "clôturée" in _text(screen.query_one("#pay-family", Static))
        # A closed day refuses new payments: the dialog says so and records nothing.
        await _type_amount(pilot, screen, "10")
        await pilot.press("f9")
        await pilot.pause()
        await pilot.press("f9")
        await _settle(pilot, app)
        assert isinstance(app.screen, EncaisserModal)
        assert "clôturée" in _text(app.screen.query_one("#encaisser-error", Static))
    day = ctx.db.read(lambda s: s.execute(select(CashDay)).scalars().one())
    assert (day.day, day.expected_cash_cents, day.counted_cash_cents) == (TODAY, 4000, 3950)
    assert len(_payments(ctx)) == 2


async def test_solde_section(desk) -> None:  # type: ignore[no-untyped-def]
    ctx, sd = desk
    payments.take_payment(ctx.as_actor(sd.agent), sd.family_id, amount_cents=1000, mode="cb")
    app = PortailApp(ctx, actor=sd.agent)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot, app, sd.family_id)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert screen.query_one("#pay-sections", TabbedContent).active == "solde-pane"
        figures = _text(screen.query_one("#solde-figures", Static))
        assert "10,00" in figures and "3,50" in figures and "6,50" in figures
        assert screen.query_one("#solde-paid", DataTable).row_count == 1
        assert screen.query_one("#solde-consumed", DataTable).row_count == 1
        upcoming = screen.query_one("#solde-upcoming", DataTable)
        assert upcoming.row_count == 1  # 20/12 enters the window on 05/12
        assert str(upcoming.get_row_at(0)[2]) == "05/12/2026"
        # Filled when it shows: a payment taken while the Paiement section is on screen
        # is in the Solde section's lists when the agent comes back to it.
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert screen.query_one("#pay-sections", TabbedContent).active == "paiement-pane"
        payments.take_payment(ctx.as_actor(sd.agent), sd.family_id, amount_cents=500, mode="cb")
        screen.reload()
        await _settle(pilot, app)
        assert screen.query_one("#solde-paid", DataTable).row_count == 1  # not redrawn while hidden
        await pilot.press("ctrl+s")
        await _settle(pilot, app)
        assert screen.query_one("#solde-paid", DataTable).row_count == 2
        assert "15,00" in _text(screen.query_one("#solde-figures", Static))


async def test_demo_family_shows_real_figures(sqlite_demo_ctx: Context, agent) -> None:  # type: ignore[no-untyped-def]
    fid = sqlite_demo_ctx.db.read(
        lambda s: s.execute(select(Payment.family_id).order_by(Payment.id)).scalars().first())
    expected = wallet.wallet_figures(sqlite_demo_ctx.as_actor(agent), fid)
    app = PortailApp(sqlite_demo_ctx, actor=agent)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot, app, fid)
        from portail_tui.domain.money import format_amount

        assert format_amount(expected.solde_cents) in _text(screen.query_one("#w-solde", Static))
        assert format_amount(expected.estimated_cents) in _text(screen.query_one("#w-estimated", Static))
        assert screen.query_one("#entries", DataTable).row_count >= 1


async def test_refund_by_the_regisseur(desk) -> None:  # type: ignore[no-untyped-def]
    from portail_tui.screens.paiement.refund import RefundModal

    ctx, sd = desk
    payments.take_payment(ctx.as_actor(sd.agent), sd.family_id, amount_cents=5000, mode="cb")
    app = PortailApp(ctx, actor=sd.regisseur)
    async with app.run_test(size=(120, 40)) as pilot:
        await _open(pilot, app, sd.family_id)
        await pilot.press("f8")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, RefundModal)
        assert modal.query_one("#montant", Input).value == "46,50"  # the whole solde is proposed
        modal.query_one("#mode", Select).value = "virement"
        await pilot.press("f9")  # no reason yet
        await _settle(pilot, app)
        assert "motif" in _text(modal.query_one("#motif-error", Static)).lower()
        modal.query_one("#motif", Input).value = "Départ de la commune"
        await pilot.press("f9")
        await _settle(pilot, app)
        assert isinstance(app.screen, ReceiptModal)
        assert app.screen.receipt.kind == "refund" and app.screen.receipt.solde_after_cents == 0
    refund = _payments(ctx)[-1]
    assert (refund.kind, refund.mode, refund.amount_cents) == ("refund", "virement", -4650)


async def test_payfip_link_from_the_screen(desk) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from portail_tui.models import OutboxMessage, PayfipRequest
    from tests.support.dgfip import running_dgfip

    ctx, sd = desk
    standin = running_dgfip()
    dgfip = next(standin)
    ctx = replace(ctx, settings=replace(ctx.settings, payfip_url="https://portail.example.fr/payfip/retour",
                                        payfip_ws_url=dgfip.url))
    app = PortailApp(ctx, actor=sd.agent)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot, app, sd.family_id)
        await _type_amount(pilot, screen, "25")
        await pilot.press("f7")
        await _settle(pilot, app)
        status = _text(screen.query_one("#pay-status", Static))
        assert "Lien de paiement PayFiP (mode test) de 25,00" in status and "dupont@example.fr" in status
    req = ctx.db.read(lambda s: s.execute(select(PayfipRequest)).scalars().one())
    assert (req.amount_cents, req.email, req.status) == (2500, "dupont@example.fr", "pending")
    kinds = ctx.db.read(lambda s: list(s.execute(select(OutboxMessage.kind)).scalars()))
    assert kinds == ["payfip_link"]
    assert _payments(ctx) == []  # nothing is recorded before the platform says "paid"
    assert req.id_op in dgfip.operations
    standin.close()


async def test_a_reversal_in_another_session_shows_without_reopening_the_family(  # type: ignore[no-untyped-def]
        desk, monkeypatch) -> None:
    """Two sessions on one database: the agent's Paiement screen follows what the
    régisseur does elsewhere, when the tab comes back and while it stays visible."""
    ctx, sd = desk
    monkeypatch.setattr(PaiementScreen, "CHANGE_CHECK_SECONDS", 0.2, raising=False)
    first = payments.take_payment(ctx.as_actor(sd.agent), sd.family_id, amount_cents=4000, mode="especes")
    other_db = Database(ctx.db.url)  # the régisseur's own connections
    regisseur = Context(db=other_db, clock=ctx.clock, settings=ctx.settings).as_actor(sd.regisseur)
    app = PortailApp(ctx, actor=sd.agent)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await _open(pilot, app, sd.family_id)
            assert "36,50" in _text(screen.query_one("#w-solde", Static))
            payments.reverse_payment(regisseur, first.payment_id, reason="Erreur de famille")
            await pilot.press("f1")
            await _settle(pilot, app)
            await pilot.press("f3")
            await _settle(pilot, app)
            assert screen.query_one("#entries", DataTable).row_count == 2
            assert "-3,50" in _text(screen.query_one("#w-solde", Static))
            assert "annulée par la quittance" in str(screen.query_one("#entries", DataTable).get_row_at(1)[6])
            # Staying on the tab: the next check brings the régisseur's next entry, and
            # the cursor stays on the entry it was on.
            entries = screen.query_one("#entries", DataTable)
            entries.move_cursor(row=1)
            payments.take_payment(regisseur, sd.family_id, amount_cents=1000, mode="cb")
            await pilot.pause(0.5)
            await _settle(pilot, app)
            assert entries.row_count == 3
            assert entries.cursor_row == 2 and str(entries.get_row_at(2)[0]) == str(first.receipt_number)
            assert "6,50" in _text(screen.query_one("#w-solde", Static))
            assert "6,50" in str(screen.query_one(PortailHeader).render())
    finally:
        other_db.dispose()


async def test_the_amount_is_where_the_cursor_is(desk) -> None:  # type: ignore[no-untyped-def]
    """Entering the tab puts the cursor in the amount, the proposal selected; after a
    payment the refilled amount is selected again, so typing 350 gives 350 (not
    « 6350,50 » with the cursor left where the last amount ended)."""
    ctx, sd = desk
    app = PortailApp(ctx, actor=sd.agent)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot, app, sd.family_id)
        amount = screen.query_one("#montant", Input)
        assert app.focused is amount and amount.value == "8,50"
        await pilot.press("2")
        assert amount.value == "2"
        await pilot.press("f9")
        await pilot.pause()
        assert isinstance(app.screen, EncaisserModal)
        await pilot.press("enter")
        await _settle(pilot, app)
        assert isinstance(app.screen, ReceiptModal)
        await pilot.press("escape")
        await _settle(pilot, app)
        assert app.screen is screen and app.focused is amount and amount.value == "6,50"
        await pilot.press(*"350")
        assert amount.value == "350"
        # Another tab and back: the cursor is in the amount again.
        screen.query_one("#entries", DataTable).focus()
        await pilot.press("f1")
        await _settle(pilot, app)
        await pilot.press("f3")
        await _settle(pilot, app)
        assert app.focused is amount


async def test_the_calculation_date_shows_whole(desk) -> None:  # type: ignore[no-untyped-def]
    ctx, sd = desk
    app = PortailApp(ctx, actor=sd.agent)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot, app, sd.family_id)
        until = screen.query_one("#until", Input)
        until.focus()
        await pilot.press("end")
        await pilot.pause()
        assert until.value == "27/01/2027" and until.cursor_position == 10
        # Room for the ten characters and the cursor after them: nothing scrolled away.
        assert until.content_size.width > len(until.value) and until.scroll_offset.x == 0


async def test_an_invalid_date_is_refused_in_place_and_not_carried_over(desk) -> None:  # type: ignore[no-untyped-def]
    ctx, sd = desk
    other_id = ctx.db.write(lambda s: add_family(s, sd.regie_id, 124, name="MARTIN")[0])
    app = PortailApp(ctx, actor=sd.agent)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot, app, sd.family_id)
        until = screen.query_one("#until", Input)
        error = screen.query_one("#until-error", Static)
        until.focus()
        await pilot.press("ctrl+a", "ctrl+k", *"15/12/2026")
        await _settle(pilot, app)
        assert "0,00" in _text(screen.query_one("#w-estimated", Static))  # the 20/12 booking left out
        await pilot.press("home", "shift+end", *"31/02/2027")  # typed over, never empty
        await _settle(pilot, app)
        # The reason, and which date the figures shown still follow.
        assert "Date invalide" in _text(error) and "Montants calculés jusqu'au 15/12/2026" in _text(error)
        assert "0,00" in _text(screen.query_one("#w-estimated", Static))
        # Half a date left behind: refused when the agent leaves the field.
        await pilot.press("home", "shift+end", *"3/1", "tab")
        await _settle(pilot, app)
        assert "Date invalide" in _text(error)
        # Another family starts from the default date, without the refusal.
        app.select_family(other_id)
        await _settle(pilot, app)
        assert until.value == "27/01/2027" and _text(error) == ""
        assert screen.until_used is None

