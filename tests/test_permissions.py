"""Roles enforced in the services, not only hidden in the UI: every refusal of the
permission table that a service implements, with the allowed role succeeding (so each
test can fail), and nothing changed by a refusal. Health data (santé) for agents
without the right."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from portail_tui.models import Agent, AuditLog, Family, FamilyMember, News, Payment
from portail_tui.services import auth, permissions
from portail_tui.services.context import Actor, Context, PermissionDenied

SERVICES = Path(__file__).resolve().parent.parent / "portail_tui" / "services"

# Actions whose refusals are exercised below, and actions every agent may do (their only
# refusal is "not an agent": tested with no actor and with a family actor).
TESTED_REFUSALS = {"payment.reverse", "payment.refund", "cash.close", "news.manage", "form.decide",
                   "agent.manage", "audit.read", "export.family",
                   "payment.cash_override",  # refused to an agent in test_payments_cash_ceiling.py
                   # refused to a régisseur in test_import_families.py and test_opening_balance.py
                   "import.families", "opening_balance.import",
                   "regie.manage",  # refused to an agent in test_regie_admin.py
                   "attendance.late"}  # refused to an agent in test_attendance_marking.py
ADMIN_ONLY = {"agent.manage", "import.families", "opening_balance.import"}
ANY_AGENT = {"booking.write", "payment.take", "cash.count", "form.fill", "family.edit", "portal.manage",
             "attendance.mark"}

def _count(ctx: Context, model: Any) -> int:
    return ctx.db.read(lambda s: int(s.execute(select(func.count()).select_from(model)).scalar_one()))

def _family(ctx: Context) -> int:
    return ctx.db.read(lambda s: s.execute(select(Family.id).order_by(Family.id)).scalars().first())

def _child(ctx: Context) -> int:
    return ctx.db.read(lambda s: s.execute(select(FamilyMember.child_id).order_by(FamilyMember.id)).scalars().first())

def _refused(fn: Any, *args: Any, what: str, **kwargs: Any) -> None:
    with pytest.raises(PermissionDenied, match=what):
        fn(*args, **kwargs)

def test_rule_table_is_complete_and_used_consistently() -> None:
    """Every action a service asks for is in the table (a typo would fail at run time in
    front of an agent), and every action of the table is accounted for here."""
    used = set()
    for path in SERVICES.rglob("*.py"):
        used |= set(re.findall(r'require\(ctx, "([a-z_.]+)"\)', path.read_text(encoding="utf-8")))
    assert used <= set(permissions.RULES), used - set(permissions.RULES)
    assert set(permissions.RULES) == TESTED_REFUSALS | ANY_AGENT
    for action in ANY_AGENT:
        assert permissions.RULES[action][0] == permissions.AGENT
    for action in TESTED_REFUSALS - ADMIN_ONLY:
        assert permissions.RULES[action][0] == permissions.REGISSEUR
    for action in ADMIN_ONLY:
        assert permissions.RULES[action][0] == permissions.ADMIN

def test_agent_cannot_reverse_or_refund(demo_ctx: Context, agent: Actor, regisseur: Actor) -> None:
    from portail_tui.services import payments

    as_agent = demo_ctx.as_actor(agent)
    family = _family(demo_ctx)
    receipt = payments.take_payment(as_agent, family, amount_cents=3000, mode="especes")
    before = _count(demo_ctx, Payment)
    _refused(payments.reverse_payment, as_agent, receipt.payment_id, reason="Erreur", what="annuler un règlement")
    _refused(payments.refund, as_agent, family, amount_cents=1000, mode="especes", reason="Départ",
             what="rembourser une famille")
    assert _count(demo_ctx, Payment) == before
    as_regisseur = demo_ctx.as_actor(regisseur)
    payments.reverse_payment(as_regisseur, receipt.payment_id, reason="Erreur de saisie")
    assert _count(demo_ctx, Payment) == before + 1

def test_agent_cannot_close_the_cash_day(demo_ctx: Context, agent: Actor, regisseur: Actor) -> None:
    from portail_tui.services import cashdesk

    day = demo_ctx.clock.today()
    _refused(cashdesk.close_day, demo_ctx.as_actor(agent), day, counted_cents=0, what="clôturer la caisse")
    expected = cashdesk.day_journal(demo_ctx.as_actor(regisseur), day).expected_cash_cents
    closing = cashdesk.close_day(demo_ctx.as_actor(regisseur), day, counted_cents=expected)
    assert closing.counted_cash_cents == expected

def test_agent_cannot_manage_news(demo_ctx: Context, agent: Actor, regisseur: Actor) -> None:
    from portail_tui.services import news

    raw = {"title": "Fermeture exceptionnelle", "body": "Le centre sera fermé lundi.",
           "published_on": "28/11/2026"}
    before = _count(demo_ctx, News)
    _refused(news.add_news, demo_ctx.as_actor(agent), raw, what="gérer les actualités")
    assert _count(demo_ctx, News) == before
    item = news.add_news(demo_ctx.as_actor(regisseur), raw)
    _refused(news.withdraw_news, demo_ctx.as_actor(agent), item.id, what="gérer les actualités")
    _refused(news.edit_news, demo_ctx.as_actor(agent), item.id, raw, what="gérer les actualités")

def test_agent_cannot_validate_or_reject_forms(demo_ctx: Context, agent: Actor) -> None:
    from portail_tui.services import forms

    child = _child(demo_ctx)
    audit_before = _count(demo_ctx, AuditLog)
    _refused(forms.validate_form, demo_ctx.as_actor(agent), child, "assurance", what="valider ou rejeter")
    _refused(forms.reject_form, demo_ctx.as_actor(agent), child, "assurance", "Illisible",
             what="valider ou rejeter")
    assert _count(demo_ctx, AuditLog) == audit_before

def test_only_admin_manages_agents(demo_ctx: Context, agent: Actor, regisseur: Actor, admin: Actor) -> None:
    before = _count(demo_ctx, Agent)
    for who in (agent, regisseur):
        _refused(auth.add_agent, demo_ctx.as_actor(who), "nouvelle", "motdepasse1",
                 what="gérer les comptes des agents")
    assert _count(demo_ctx, Agent) == before
    auth.add_agent(demo_ctx.as_actor(admin), "nouvelle", "motdepasse1")
    assert _count(demo_ctx, Agent) == before + 1

def test_agent_cannot_read_the_audit_log(demo_ctx: Context, agent: Actor, regisseur: Actor) -> None:
    from portail_tui.services.audit_query import list_audit

    _refused(list_audit, demo_ctx.as_actor(agent), what="consulter le journal d'audit")
    assert list_audit(demo_ctx.as_actor(regisseur)).lines

def test_agent_cannot_export_a_whole_family(demo_ctx: Context, agent: Actor, regisseur: Actor) -> None:
    from portail_tui.services import dossier

    family = _family(demo_ctx)
    _refused(dossier.export_family, demo_ctx.as_actor(agent), family, what="exporter toutes les données")
    assert dossier.export_family(demo_ctx.as_actor(regisseur), family)

def test_health_data_needs_the_right(demo_ctx: Context, agent: Actor, regisseur: Actor) -> None:
    from portail_tui.services import forms

    assert not agent.can_see_health and regisseur.can_see_health
    child = _child(demo_ctx)
    hidden = forms.get_form(demo_ctx.as_actor(agent), child, "sante")
    assert hidden.hidden
    shown = forms.get_form(demo_ctx.as_actor(regisseur), child, "sante")
    assert not shown.hidden
    _refused(forms.save_draft, demo_ctx.as_actor(agent), child, "sante", {}, what="Données de santé réservées")
    _refused(forms.submit, demo_ctx.as_actor(agent), child, "sante", {}, what="Données de santé réservées")

def test_not_logged_in_or_family_actor_cannot_act_as_an_agent(demo_ctx: Context) -> None:
    from portail_tui.services import dossier, payments

    family = _family(demo_ctx)
    _refused(payments.take_payment, demo_ctx, family, amount_cents=1000, mode="especes", what="connecté")
    famille = Actor(kind="famille", login="dupont", regie_id=1, full_name="Famille Dupont")
    _refused(payments.take_payment, demo_ctx.as_actor(famille), family, amount_cents=1000, mode="especes",
             what="encaisser un règlement")
    _refused(dossier.save_family_info, demo_ctx.as_actor(famille), family, {}, what="modifier le dossier")
    from portail_tui.services import booking, forms, portal_accounts

    _refused(booking.validate_cart, demo_ctx.as_actor(famille), family, [], what="modifier des réservations")
    _refused(forms.save_draft, demo_ctx.as_actor(famille), _child(demo_ctx), "assurance", {},
             what="saisir une fiche")
    _refused(portal_accounts.create_account, demo_ctx.as_actor(famille), family,
             what="gérer les comptes du portail")
    _refused(booking.validate_cart, demo_ctx, family, [], what="connecté")
    assert not permissions.allowed(famille, "booking.write")
    assert permissions.allowed(permissions.system_actor(1), "payment.refund")
    assert not permissions.allowed(None, "payment.take")

@pytest.mark.parametrize("action", sorted(permissions.RULES))
def test_table_allows_exactly_its_roles(action: str) -> None:
    roles, what = permissions.RULES[action]
    for role in ("agent", "regisseur", "admin"):
        actor = Actor(kind="agent", login=role, regie_id=1, role=role)
        assert permissions.allowed(actor, action) == (role in roles)
    assert what and what[0].islower()



@pytest.mark.parametrize("action", sorted(permissions.RULES))
def test_require_refuses_every_role_not_listed(action: str) -> None:
    """The one mechanism refuses, with the table's French description, every agent role
    the table does not list, a family and nobody; it lets the listed roles through."""
    roles, what = permissions.RULES[action]
    ctx = Context(db=None, clock=None)  # type: ignore[arg-type]  # require() needs only the actor
    for role in ("agent", "regisseur", "admin"):
        actor = Actor(kind="agent", login=role, regie_id=1, role=role)
        if role in roles:
            assert permissions.require(ctx.as_actor(actor), action) is actor
        else:
            de = "d'" if what[0] in "aeéiou" else "de "  # « d'annuler », « de gérer »
            _refused(permissions.require, ctx.as_actor(actor), action,
                     what=re.escape(f"Votre rôle ne permet pas {de}{what}."))
    famille = Actor(kind="famille", login="dupont", regie_id=1)
    _refused(permissions.require, ctx.as_actor(famille), action, what=re.escape(what))
    _refused(permissions.require, ctx, action, what="connecté")


def test_one_permission_mechanism() -> None:
    """Roles are checked through permissions.RULES only: no role test of its own anywhere."""
    root = SERVICES.parent
    offenders = [str(path.relative_to(root)) for path in root.rglob("*.py")
                 if "require_role" in path.read_text(encoding="utf-8")]
    assert offenders == []
    assert not hasattr(Context, "require_role")
