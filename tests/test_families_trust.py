"""A family id or number is no key to another régie's files, and no number typed on a
command line turns into a traceback (issue 13)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select
from sqlmodel import col

from portail_tui.models import Family, Regie
from portail_tui.services.context import Actor, Context, ServiceError
from portail_tui.services.families import family_by_number, family_summary


def _a_family(ctx: Context) -> tuple[int, int]:
    return ctx.db.read(lambda s: tuple(s.execute(
        select(col(Family.id), col(Family.number)).order_by(col(Family.id)).limit(1)).one()))


def _other_regie(ctx: Context) -> int:
    def work(session) -> int:  # type: ignore[no-untyped-def]
        regie = Regie(code="AUTRE", name="Régie d'une autre commune")
        session.add(regie)
        session.flush()
        assert regie.id is not None
        return regie.id

    return ctx.db.write(work)


def test_another_regie_cannot_read_a_family_summary(demo_ctx: Context, regisseur: Actor) -> None:
    family_id, number = _a_family(demo_ctx)
    own = demo_ctx.as_actor(regisseur)
    assert family_summary(own, family_id).id == family_id
    stranger = demo_ctx.as_actor(replace(regisseur, regie_id=_other_regie(demo_ctx), agent_id=None))
    with pytest.raises(ServiceError, match="Famille introuvable"):
        family_summary(stranger, family_id)
    with pytest.raises(ServiceError, match="Famille inconnue"):
        family_by_number(stranger, number)


@pytest.mark.parametrize("typed", ["99999999999999999999999", str(2**31), str(2**63)])
def test_a_huge_family_number_is_unknown_not_a_traceback(demo_ctx: Context, agent: Actor, typed: str) -> None:
    with pytest.raises(ServiceError, match="Famille inconnue"):
        family_by_number(demo_ctx.as_actor(agent), typed)


@pytest.mark.parametrize("typed", ["12a", "-3", "²", "١٢"])
def test_a_family_number_must_be_plain_digits(demo_ctx: Context, agent: Actor, typed: str) -> None:
    with pytest.raises(ServiceError, match="Numéro de famille invalide"):
        family_by_number(demo_ctx.as_actor(agent), typed)
