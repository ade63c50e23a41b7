"""`portail nightly` on the demo town, both engines, with a real SMTP server on
loopback: the first run queues and sends the previous day's digests; the second run
sends nothing and changes nothing; a mail server down stops nothing else and loses
nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from portail_tui.clock import PARIS, FixedClock
from portail_tui.db import Database
from portail_tui.models import Form, OutboxMessage, metadata
from portail_tui.services import mail, nightly
from portail_tui.services.context import Context
from tests.support.smtp import SmtpServer

NIGHT = datetime(2026, 11, 28, 3, 0, tzinfo=PARIS)


def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    with db.engine.connect() as conn:
        return {t.name: [tuple(r) for r in conn.execute(
            select(t).order_by(*(list(t.primary_key.columns) or list(t.columns))))]
            for t in metadata.sorted_tables}


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def night(demo_ctx: Context, clock: FixedClock) -> Context:
    clock.set(NIGHT)
    return demo_ctx


def _outbox(ctx: Context, status: str) -> int:
    return ctx.db.read(lambda s: int(s.execute(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == status)).scalar_one()))


def test_second_run_sends_nothing_and_changes_nothing(night: Context, smtp: SmtpServer) -> None:
    settings = mail.SmtpSettings.from_env(smtp.env())
    pending_before = _outbox(night, "pending")
    first = nightly.run_nightly(night, NIGHT.date(), smtp=settings)
    assert first.ok, first
    digests = first.count(nightly.DIGESTS)
    assert digests and digests > 0
    kitchens = first.count(nightly.KITCHEN)  # the demo's two schools with a kitchen address
    assert kitchens == 2
    assert first.delivery is not None and first.delivery.sent == digests + kitchens + pending_before
    assert len(smtp.handler.received) == first.delivery.sent
    subjects = {r.message["Subject"] for r in smtp.handler.received}
    assert "Vos réservations du 27/11/2026" in subjects and len(subjects) == 1 + kitchens

    night.clock.advance(timedelta(minutes=20))  # type: ignore[attr-defined]
    before = snapshot(night.db)
    second = nightly.run_nightly(night, NIGHT.date(), smtp=settings)
    assert second.ok
    assert second.count(nightly.DIGESTS) == 0 and second.count(nightly.FORMS) == 0
    assert second.count(nightly.KITCHEN) == 0
    assert second.delivery is not None and second.delivery.sent == 0
    assert snapshot(night.db) == before
    assert len(smtp.handler.received) == first.delivery.sent


def test_mail_server_down_stops_nothing_and_loses_nothing(night: Context, smtp: SmtpServer) -> None:
    settings = mail.SmtpSettings.from_env(smtp.env())
    smtp.stop()
    first = nightly.run_nightly(night, NIGHT.date(), smtp=settings)
    assert not first.ok
    digests = first.count(nightly.DIGESTS)
    assert digests and first.delivery is not None and first.delivery.connection_error
    assert _outbox(night, "pending") >= digests and _outbox(night, "sent") == 0
    mail_step = next(s for s in first.steps if s.label == nightly.MAIL)
    assert mail_step.error and "injoignable" in mail_step.error

    smtp.start()
    night.clock.advance(timedelta(minutes=10))  # type: ignore[attr-defined]
    again = nightly.run_nightly(night, NIGHT.date(), smtp=settings)
    assert again.ok and again.count(nightly.DIGESTS) == 0
    assert again.delivery is not None and again.delivery.sent >= digests
    message_ids = [r.message["Message-ID"] for r in smtp.handler.received]
    assert len(message_ids) == len(set(message_ids)) == _outbox(night, "sent")  # each one once
    assert _outbox(night, "pending") == 0


def test_school_year_rollover_expires_forms_once(demo_ctx: Context, clock: FixedClock) -> None:
    rollover = date(2027, 9, 2)
    clock.set(datetime(2027, 9, 2, 3, 0, tzinfo=PARIS))
    validated = demo_ctx.db.read(lambda s: int(s.execute(
        select(func.count()).select_from(Form).where(Form.status == "validee")).scalar_one()))
    assert validated > 0
    first = nightly.run_nightly(demo_ctx, rollover, smtp=None)
    assert first.ok
    expired = first.count(nightly.FORMS)
    assert expired and expired > 0
    mail_step = next(s for s in first.steps if s.label == nightly.MAIL)
    assert mail_step.skipped and "PORTAIL_SMTP_HOST" in mail_step.note
    before = snapshot(demo_ctx.db)
    second = nightly.run_nightly(demo_ctx, rollover, smtp=None)
    assert second.count(nightly.FORMS) == 0
    assert snapshot(demo_ctx.db) == before


def test_a_failing_step_does_not_stop_the_others(night: Context, smtp: SmtpServer,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(ctx: Context, today: date) -> int:
        raise RuntimeError("disque plein")

    monkeypatch.setattr(nightly, "expire_forms", broken)
    report = nightly.run_nightly(night, NIGHT.date(), smtp=mail.SmtpSettings.from_env(smtp.env()))
    assert not report.ok
    forms_step = next(s for s in report.steps if s.label == nightly.FORMS)
    assert forms_step.error == "RuntimeError : disque plein"
    assert report.delivery is not None and report.delivery.sent > 0


def test_bad_mail_settings_are_an_error_not_a_skip(night: Context) -> None:
    report = nightly.run_nightly(night, NIGHT.date(), smtp=None, smtp_error="PORTAIL_SMTP_PORT invalide")
    assert not report.ok
    assert next(s for s in report.steps if s.label == nightly.MAIL).error == "PORTAIL_SMTP_PORT invalide"


def test_the_steps_are_the_services_own_functions() -> None:
    """A step renamed in its service breaks nightly's import, not the night: no step is
    looked up by name at run time any more (it used to be skipped as « indisponible »)."""
    from portail_tui.services import booking, booking_digest, forms

    assert nightly.queue_booking_digests is booking_digest.queue_booking_digests
    assert nightly.promote_waiting is booking.promote_waiting
    assert nightly.expire_forms is forms.expire_forms
    assert not hasattr(nightly, "_optional")


def test_places_freed_by_a_raised_capacity_go_to_the_waiting_children(
        night: Context, smtp: SmtpServer) -> None:
    from sqlalchemy import insert, update

    from portail_tui.clock import paris
    from portail_tui.models import Booking, FamilyMember, Slot
    from portail_tui.services.integrity import run_checks

    db = night.db
    slot = db.read(lambda s: s.execute(
        select(Slot).where(Slot.day > NIGHT.date(), Slot.capacity.is_not(None), Slot.taken > 0)
        .order_by(Slot.day, Slot.id)).scalars().first())
    busy = select(Booking.child_id).where(Booking.activity_id == slot.activity_id, Booking.day == slot.day,
                                          Booking.status != "cancelled")
    family_id, child_id = db.read(lambda s: tuple(s.execute(
        select(FamilyMember.family_id, FamilyMember.child_id).where(FamilyMember.child_id.not_in(busy))
        .order_by(FamilyMember.id)).first()))
    with db.engine.begin() as conn:  # a child waiting on a full day, then the régie adds a place
        conn.execute(update(Slot).where(Slot.id == slot.id).values(capacity=slot.taken))
        conn.execute(insert(Booking).values(
            regie_id=1, family_id=family_id, child_id=child_id, activity_id=slot.activity_id, day=slot.day,
            status="waiting", price_cents=0, created_at=paris(date(2026, 11, 20)), created_by="agent:agent"))
        conn.execute(update(Slot).where(Slot.id == slot.id).values(capacity=slot.taken + 1))
    assert any(p.check == "waiting" for p in run_checks(night).problems)
    settings = mail.SmtpSettings.from_env(smtp.env())
    first = nightly.run_nightly(night, NIGHT.date(), smtp=settings)
    assert first.ok and first.count(nightly.PROMOTIONS) == 1
    status = db.read(lambda s: s.execute(select(Booking.status).where(
        Booking.child_id == child_id, Booking.activity_id == slot.activity_id, Booking.day == slot.day,
        Booking.status != "cancelled")).scalar_one())
    assert status == "confirmed"
    assert run_checks(night).ok
    assert nightly.run_nightly(night, NIGHT.date(), smtp=settings).count(nightly.PROMOTIONS) == 0
