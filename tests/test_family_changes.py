"""The per-family change counter on both engines (issue 12, « fresh figures »): every
change to a family's bookings or wallet moves it in the same transaction, whoever
writes; a refused change and another family's changes leave it alone."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import update

from portail_tui.models import Booking
from portail_tui.services import payments
from portail_tui.services.context import Context, ServiceError
from portail_tui.services.family_changes import family_change_seq
from tests.support.payments_town import NOW, add_family, book, seed


@pytest.fixture
def town(ctx: Context):  # type: ignore[no-untyped-def]
    return seed(ctx.db)


def test_counter_follows_payments_reversals_and_bookings(ctx: Context, town) -> None:  # type: ignore[no-untyped-def]
    agent, reg = ctx.as_actor(town.agent), ctx.as_actor(town.regisseur)
    other_id, _ = ctx.db.write(lambda s: add_family(s, town.regie_id, 124, name="MARTIN"))
    seq = family_change_seq(agent, town.family_id)
    assert seq == 0 and family_change_seq(agent, other_id) == 0

    p = payments.take_payment(agent, town.family_id, amount_cents=4000, mode="especes")
    assert family_change_seq(agent, town.family_id) > seq
    seq = family_change_seq(agent, town.family_id)

    payments.reverse_payment(reg, p.payment_id, reason="Erreur de famille")
    assert family_change_seq(agent, town.family_id) > seq
    seq = family_change_seq(agent, town.family_id)

    booking_id = book(ctx.db, town, date(2026, 12, 20), 500)  # any writer, even outside the services
    assert family_change_seq(agent, town.family_id) > seq
    seq = family_change_seq(agent, town.family_id)

    ctx.db.write(lambda s: s.execute(
        update(Booking).where(Booking.id == booking_id).values(status="cancelled", cancelled_at=NOW)))
    assert family_change_seq(agent, town.family_id) > seq
    seq = family_change_seq(agent, town.family_id)

    # Refused: nothing written, nothing counted. Another family: untouched.
    with pytest.raises(ServiceError):
        payments.take_payment(agent, town.family_id, amount_cents=30001, mode="especes")
    assert family_change_seq(agent, town.family_id) == seq
    assert family_change_seq(agent, other_id) == 0


def test_counter_of_an_unknown_family_is_refused(ctx: Context, town) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ServiceError, match="introuvable"):
        family_change_seq(ctx.as_actor(town.agent), 999_999)


def test_change_marks_read_the_generation_and_the_counter_together(ctx: Context, town) -> None:  # type: ignore[no-untyped-def]
    """What a tab shown again checks, in one read; an unknown family is refused, as
    every family read (test_regie_isolation checks another régie's)."""
    from portail_tui.services.family_changes import change_marks
    from portail_tui.services.restore_marks import database_generation

    agent = ctx.as_actor(town.agent)
    generation = database_generation(agent)
    assert change_marks(agent, town.family_id) == (generation, family_change_seq(agent, town.family_id))
    payments.take_payment(agent, town.family_id, amount_cents=4000, mode="especes")
    assert change_marks(agent, town.family_id) == (generation, family_change_seq(agent, town.family_id))
    with pytest.raises(ServiceError, match="introuvable"):
        change_marks(agent, 999_999)
