"""Reading the audit log: filters by family, agent, dates and action; only régisseurs
and admins may read it from the application."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portail_tui.clock import FixedClock
from portail_tui.models import Family
from portail_tui.services import payments
from portail_tui.services.audit_query import list_audit
from portail_tui.services.context import Actor, Context, PermissionDenied, ServiceError


def _two_families(ctx: Context) -> list[tuple[int, int]]:
    return ctx.db.read(lambda s: [tuple(r) for r in s.execute(
        select(Family.id, Family.number).order_by(Family.id).limit(2)).all()])


def _activity(ctx: Context, clock: FixedClock, agent: Actor, regisseur: Actor) -> list[tuple[int, int]]:
    fams = _two_families(ctx)
    payments.take_payment(ctx.as_actor(agent), fams[0][0], amount_cents=1500, mode="especes")
    clock.advance(timedelta(days=2))
    receipt = payments.take_payment(ctx.as_actor(agent), fams[1][0], amount_cents=2500, mode="cb")
    payments.reverse_payment(ctx.as_actor(regisseur), receipt.payment_id, reason="Erreur de famille")
    return fams


def test_filters_by_family_agent_date_and_action(
        demo_ctx: Context, clock: FixedClock, agent: Actor, regisseur: Actor) -> None:
    fams = _activity(demo_ctx, clock, agent, regisseur)
    everything = list_audit(demo_ctx)
    assert [line.action for line in everything.lines][-3:] == ["payment.payment", "payment.payment",
                                                             "payment.reversal"]
    assert everything.lines == sorted(everything.lines, key=lambda line: (line.at, line.id))

    first = list_audit(demo_ctx, family_number=str(fams[0][1]))
    assert [line.action_label for line in first.lines] == ["Règlement"]
    assert first.lines[0].family_number == f"{fams[0][1]:06d}"
    assert first.lines[0].details["amount_cents"] == 1500

    by_regisseur = list_audit(demo_ctx, agent_login="regisseur")
    assert [line.action_label for line in by_regisseur.lines] == ["Annulation de règlement"]
    assert by_regisseur.lines[0].actor_name == regisseur.full_name
    assert "reason=Erreur de famille" in by_regisseur.lines[0].details_text

    recent = list_audit(demo_ctx, since=date(2026, 11, 30))
    assert [line.family_number for line in recent.lines] == [f"{fams[1][1]:06d}"] * 2
    older = list_audit(demo_ctx, until=date(2026, 11, 29), agent_login="agent")
    assert len(older.lines) == 1

    assert [line.action for line in list_audit(demo_ctx, action="payment").lines] == [
        "payment.payment", "payment.payment", "payment.reversal"]
    assert len(list_audit(demo_ctx, action="payment.reversal").lines) == 1


def test_limit_keeps_the_most_recent(demo_ctx: Context, clock: FixedClock, agent: Actor,
                                     regisseur: Actor) -> None:
    _activity(demo_ctx, clock, agent, regisseur)
    page = list_audit(demo_ctx, limit=2)
    assert page.truncated and [line.action for line in page.lines] == ["payment.payment", "payment.reversal"]
    assert not list_audit(demo_ctx, limit=1000).truncated


def test_bad_filters_are_one_french_line(demo_ctx: Context) -> None:
    with pytest.raises(ServiceError, match="Famille inconnue"):
        list_audit(demo_ctx, family_number="999999")
    with pytest.raises(ServiceError, match="Agent inconnu : personne"):
        list_audit(demo_ctx, agent_login="personne")
    with pytest.raises(ServiceError, match="précède"):
        list_audit(demo_ctx, since=date(2026, 11, 28), until=date(2026, 11, 1))


def test_only_regisseur_and_admin_read_it(demo_ctx: Context, agent: Actor, regisseur: Actor,
                                          admin: Actor) -> None:
    with pytest.raises(PermissionDenied, match="consulter le journal d'audit"):
        list_audit(demo_ctx.as_actor(agent))
    assert list_audit(demo_ctx.as_actor(regisseur)).lines
    assert list_audit(demo_ctx.as_actor(admin)).lines
