"""`portail db check` catches each kind of damage, made by raw SQL behind the
application's back, on both engines; the demo town itself is clean."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from sqlalchemy import func, insert, select, text, update

from portail_tui.clock import paris
from portail_tui.db import Database
from portail_tui.domain.payment_chain import entry_digest
from portail_tui.models import (
    Booking,
    Family,
    FamilyMember,
    PayfipRequest,
    Payment,
    ReceiptCounter,
    Slot,
)
from portail_tui.services import cashdesk, payments
from portail_tui.services.context import Actor, Context
from portail_tui.services.integrity import run_checks
from portail_tui.services.payment_chain import previous_digest, stored_instant

TODAY = date(2026, 11, 28)


def _problems(ctx: Context, check: str | None = None) -> list[str]:
    report = run_checks(ctx)
    return [p.message for p in report.problems if check is None or p.check == check]


def _raw(db: Database, *statements) -> None:  # type: ignore[no-untyped-def]
    with db.engine.begin() as conn:
        for stmt in statements:
            conn.execute(text(stmt) if isinstance(stmt, str) else stmt)


def _next_receipt(db: Database) -> tuple[int, int]:
    regie_id, last = db.read(lambda s: s.execute(select(ReceiptCounter.regie_id, ReceiptCounter.last_number)).one())
    return regie_id, last + 1


def _payment_row(db: Database, **values: object) -> dict[str, object]:
    """A forged entry, sealed into the chain by someone who knows how (so each test
    sees the one check it is about; test_payment_chain.py covers unsealed rows)."""
    regie_id, number = _next_receipt(db)
    family_id = db.read(lambda s: s.execute(select(Family.id).order_by(Family.id)).scalars().first())
    next_id = db.read(lambda s: s.execute(select(func.max(Payment.id))).scalar_one()) + 1
    row: dict[str, object] = {
        "id": next_id, "regie_id": regie_id, "family_id": family_id, "receipt_number": number,
        "kind": "payment", "mode": "especes", "amount_cents": 1000, "payer_name": "X", "business_day": TODAY,
        "created_at": paris(TODAY), "created_by": "agent:intrus", "cheque_number": None, "cheque_bank": None,
        "cheque_drawer": None, "reference": None, "reverses_id": None, "reason": None,
    }
    row.update(values)
    previous = db.read(lambda s: previous_digest(s, row["regie_id"], row["receipt_number"]))
    row["chain_digest"] = entry_digest(previous, {**row, "created_at": stored_instant(row["created_at"])})
    return row


def test_demo_town_is_clean(demo_ctx: Context) -> None:
    report = run_checks(demo_ctx)
    assert report.problems == []
    assert report.warnings == [] and len(report.checks) == (12 if demo_ctx.db.is_sqlite else 11)  # + file modes
    assert report.examined["règlements"] > 0 and report.examined["réservations"] > 0


def test_gap_in_receipt_numbers(demo_ctx: Context) -> None:
    regie_id, number = _next_receipt(demo_ctx.db)
    _raw(demo_ctx.db, insert(Payment).values(**_payment_row(demo_ctx.db, receipt_number=number + 1)),
         update(ReceiptCounter).values(last_number=number + 1))
    found = _problems(demo_ctx, "receipts")
    assert found == [f"Régie {_regie_name(demo_ctx)} : quittance(s) manquante(s) n° {number} (1 au total)."]


def _regie_name(ctx: Context) -> str:
    from portail_tui.models import Regie

    return ctx.db.read(lambda s: s.execute(select(Regie.name)).scalar_one())


def test_receipt_counter_behind_the_last_receipt(demo_ctx: Context) -> None:
    _raw(demo_ctx.db, update(ReceiptCounter).values(last_number=ReceiptCounter.last_number - 3))
    found = _problems(demo_ctx, "receipts")
    assert len(found) == 1 and "compteur de quittances est à" in found[0]


def test_reversal_that_does_not_mirror_its_original(demo_ctx: Context) -> None:
    db = demo_ctx.db
    original = db.read(lambda s: s.execute(
        select(Payment).where(Payment.kind == "payment", Payment.amount_cents > 500)
        .order_by(Payment.id)).scalars().first())
    row = _payment_row(db, kind="reversal", amount_cents=-(original.amount_cents - 100),
                       reverses_id=original.id, family_id=original.family_id)
    _raw(db, insert(Payment).values(**row), update(ReceiptCounter).values(last_number=row["receipt_number"]))
    found = _problems(demo_ctx)
    assert len(found) == 1 and "Annulation(s) d'un autre montant" in found[0]
    assert str(row["receipt_number"]) in found[0]


def test_entry_whose_sign_contradicts_its_kind(demo_ctx: Context, db_owner: Database) -> None:
    db = demo_ctx.db
    row = _payment_row(db, kind="refund", amount_cents=-500)
    _raw(db, insert(Payment).values(**row), update(ReceiptCounter).values(last_number=row["receipt_number"]))
    assert _problems(demo_ctx) == []  # a refund is negative: fine
    if db.is_sqlite:  # the CHECK would refuse it: only a bypass can make it
        with db.engine.begin() as conn:
            conn.exec_driver_sql("PRAGMA ignore_check_constraints = ON")
            r = _payment_row(db, kind="payment", amount_cents=-700)
            conn.execute(insert(Payment).values(**r))
            conn.execute(update(ReceiptCounter).values(last_number=r["receipt_number"]))
    else:
        r = _payment_row(db, kind="payment", amount_cents=-700)
        _raw(db_owner, "ALTER TABLE payment DROP CONSTRAINT ck_payment_kind_sign",
             insert(Payment).values(**r), update(ReceiptCounter).values(last_number=r["receipt_number"]))
    found = _problems(demo_ctx, "entries")
    assert len(found) == 1 and "signe contraire" in found[0] and str(r["receipt_number"]) in found[0]


def test_payment_modified_behind_the_guard(demo_ctx: Context, agent: Actor, db_owner: Database) -> None:
    db = demo_ctx.db
    family_id = db.read(lambda s: s.execute(select(Family.id).order_by(Family.id)).scalars().first())
    receipt = payments.take_payment(demo_ctx.as_actor(agent), family_id, amount_cents=4000, mode="especes")
    assert _problems(demo_ctx) == []
    if db.is_sqlite:
        _raw(db_owner, "DROP TRIGGER payment_no_update")
    else:  # only the schema owner can: the application's role may not
        _raw(db_owner, "ALTER TABLE payment DISABLE TRIGGER payment_immutable")
    _raw(db_owner, update(Payment).where(Payment.id == receipt.payment_id).values(amount_cents=400))
    found = run_checks(demo_ctx).problems
    kinds = {p.check for p in found}
    assert kinds == {"guard", "audit", "chain"}
    audit_line = next(p.message for p in found if p.check == "audit")
    assert f"n° {receipt.receipt_number}" in audit_line and "modifié" in audit_line


def test_entry_added_to_a_closed_cash_day(demo_ctx: Context, regisseur: Actor) -> None:
    db = demo_ctx.db
    as_regisseur = demo_ctx.as_actor(regisseur)
    day = TODAY - timedelta(days=1)
    expected = cashdesk.day_journal(as_regisseur, day).expected_cash_cents
    cashdesk.close_day(as_regisseur, day, counted_cents=expected)
    assert _problems(demo_ctx) == []
    row = _payment_row(db, business_day=day, created_at=paris(TODAY, time(11, 0)))  # after the closing
    _raw(db, insert(Payment).values(**row), update(ReceiptCounter).values(last_number=row["receipt_number"]))
    found = _problems(demo_ctx, "cash_days")
    assert len(found) == 2
    assert "puis écriture(s) ajoutée(s)" in found[0] and str(row["receipt_number"]) in found[0]
    assert "espèces attendues" in found[1]


def _free_child(db: Database, activity_id: int, day: date) -> tuple[int, int]:
    """A (family, child) with no live booking of that activity that day."""
    busy = select(Booking.child_id).where(Booking.activity_id == activity_id, Booking.day == day,
                                          Booking.status != "cancelled")
    return db.read(lambda s: tuple(s.execute(
        select(FamilyMember.family_id, FamilyMember.child_id)
        .where(FamilyMember.child_id.not_in(busy)).order_by(FamilyMember.id)).first()))


def _booking(db: Database, slot: Slot, status: str) -> dict[str, object]:
    family_id, child_id = _free_child(db, slot.activity_id, slot.day)
    return {"regie_id": 1, "family_id": family_id, "child_id": child_id, "activity_id": slot.activity_id,
            "day": slot.day, "status": status, "price_cents": 350, "created_at": paris(TODAY),
            "created_by": "agent:intrus"}


def _future_slot(db: Database) -> Slot:
    return db.read(lambda s: s.execute(
        select(Slot).where(Slot.day > TODAY, Slot.capacity.is_not(None), Slot.taken > 0)
        .order_by(Slot.day, Slot.id)).scalars().first())


def test_slot_over_capacity_and_counter_drift(demo_ctx: Context) -> None:
    db = demo_ctx.db
    slot = _future_slot(db)
    _raw(db, update(Slot).where(Slot.id == slot.id).values(capacity=slot.taken),  # full, legally
         insert(Booking).values(**_booking(db, slot, "confirmed")))             # one too many
    found = _problems(demo_ctx, "slots")
    assert len(found) == 2
    assert found[0].startswith("Capacité dépassée") and f"{slot.taken + 1} pour {slot.taken} places" in found[0]
    assert f"compteur {slot.taken}, réservations confirmées {slot.taken + 1}" in found[1]


def test_waiting_while_places_are_free(demo_ctx: Context) -> None:
    db = demo_ctx.db
    slot = _future_slot(db)
    _raw(db, update(Slot).where(Slot.id == slot.id).values(capacity=slot.taken + 2),
         insert(Booking).values(**_booking(db, slot, "waiting")))
    found = _problems(demo_ctx)
    assert len(found) == 1 and "liste d'attente alors que des places sont libres" in found[0]
    assert "2 place(s) libre(s)" in found[0]


def test_waiting_on_a_past_day_is_not_a_problem(demo_ctx: Context) -> None:
    db = demo_ctx.db
    slot = db.read(lambda s: s.execute(
        select(Slot).where(Slot.day < TODAY, Slot.capacity.is_not(None), Slot.taken < Slot.capacity)
        .order_by(Slot.id)).scalars().first())
    _raw(db, insert(Booking).values(**_booking(db, slot, "waiting")))
    assert _problems(demo_ctx) == []


def test_booking_of_a_child_not_in_the_family(demo_ctx: Context) -> None:
    db = demo_ctx.db
    booking_id, family_id = db.read(lambda s: s.execute(
        select(Booking.id, Booking.family_id).where(Booking.status == "confirmed").order_by(Booking.id)).first())
    other = db.read(lambda s: s.execute(select(func.max(Family.id))).scalar_one())
    assert other != family_id
    _raw(db, update(Booking).where(Booking.id == booking_id).values(family_id=other))
    found = _problems(demo_ctx, "bookings")
    assert found == [f"Réservation(s) d'un enfant non rattaché à la famille : n° {booking_id}."]


def test_paid_payfip_request_without_its_payment(demo_ctx: Context) -> None:
    db = demo_ctx.db
    family_id = db.read(lambda s: s.execute(select(Family.id).order_by(Family.id)).scalars().first())
    _raw(db, insert(PayfipRequest).values(
        regie_id=1, family_id=family_id, reference="PF-TEST-1", amount_cents=2500, object="Test",
        email="a@example.org", status="paid", created_at=paris(TODAY), created_by="system"))
    found = _problems(demo_ctx, "payfip")
    assert len(found) == 1 and "PF-TEST-1" in found[0]


def test_broken_reference_in_sqlite_file(sqlite_demo_ctx: Context) -> None:
    import sqlite3

    path = sqlite_demo_ctx.db.engine.url.database
    with sqlite3.connect(path) as conn:  # foreign keys are off by default in a bare connection
        conn.execute("INSERT INTO contact (family_id, name, phone, may_pick_up, emergency)"
                     " VALUES (999999, 'Fantôme', '0600000000', 0, 1)")
    found = _problems(sqlite_demo_ctx, "storage")
    assert found == ["Références cassées (clés étrangères) : contact (1)"]


@pytest.mark.parametrize("count", [1, 20])
def test_long_lists_are_shortened(demo_ctx: Context, count: int) -> None:
    regie_id, number = _next_receipt(demo_ctx.db)
    _raw(demo_ctx.db, insert(Payment).values(**_payment_row(demo_ctx.db, receipt_number=number + count)),
         update(ReceiptCounter).values(last_number=number + count))
    found = _problems(demo_ctx, "receipts")[0]
    assert f"({count} au total)" in found
    assert ("(+8)" in found) == (count == 20)
