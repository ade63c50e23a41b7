"""Reading the audit log: filters by family, agent, dates and action; only régisseurs
and admins may read it from the application."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

import portail_tui
from portail_tui.clock import FixedClock
from portail_tui.models import Family
from portail_tui.services import payfip, payments
from portail_tui.services.audit_query import ACTION_LABELS, action_label, list_audit
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


# --- every action written has a French label ------------------------------------------------

_ACTION_RE = re.compile(r"^[a-z_]+\.[a-z_]+$")
# f-strings naming an action: the values their placeholder takes.
_ACTION_TEMPLATES = {
    "payment.": lambda: sorted(payments.KIND_LABELS),
    "payfip.": lambda: sorted(payfip.RESULTS.values()),
}


def _literal_actions(node: ast.expr, where: str) -> Iterator[str]:
    """The action codes an `action=` expression (or an audit row's "action" value) can take."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and _ACTION_RE.match(node.value):
        yield node.value
    elif isinstance(node, ast.IfExp):
        yield from _literal_actions(node.body, where)
        yield from _literal_actions(node.orelse, where)
    elif isinstance(node, ast.JoinedStr):
        head = node.values[0]
        prefix = head.value if isinstance(head, ast.Constant) else ""
        assert prefix in _ACTION_TEMPLATES, f"{where}: action en f-string inconnue du test ({prefix!r})"
        yield from (prefix + value for value in _ACTION_TEMPLATES[prefix]())


def _written_actions() -> dict[str, str]:
    """Action code -> where it is written: `action=` arguments anywhere in portail_tui
    (audit.record and its wrappers) and the "action" key of audit rows inserted in bulk."""
    root = Path(portail_tui.__file__).parent
    found: dict[str, str] = {}
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            where = f"{path.relative_to(root.parent)}:{getattr(node, 'lineno', 0)}"
            values: list[ast.expr] = []
            if isinstance(node, ast.Call):
                values = [kw.value for kw in node.keywords if kw.arg == "action"]
            elif isinstance(node, ast.Dict):
                values = [v for k, v in zip(node.keys, node.values, strict=True)
                          if isinstance(k, ast.Constant) and k.value == "action"]
            for value in values:
                for action in _literal_actions(value, where):
                    found.setdefault(action, where)
    return found


def test_every_audited_action_has_a_french_label() -> None:
    written = _written_actions()
    # The scan sees the usual paths: plain calls, conditional codes, f-strings, bulk rows.
    assert {"payment.refund", "guardian.update", "payfip.refused", "booking.waiting",
            "demo.generate", "form.expire"} <= written.keys()
    missing = {action: where for action, where in written.items() if action not in ACTION_LABELS}
    assert not missing, f"actions sans libellé dans audit_query.ACTION_LABELS : {missing}"
    assert all(action_label(action) != action for action in written)


def test_rows_of_the_one_writer_read_back(demo_ctx: Context) -> None:
    """audit.record, audit.row + record_many (bulk writers) and record_for_families (a
    child of two households) store the format list_audit parses: details as a JSON object."""
    from portail_tui.services import audit

    fams = _two_families(demo_ctx)
    now = demo_ctx.clock.now()
    day = now.date()

    def _write(session) -> None:  # type: ignore[no-untyped-def]
        audit.record(session, at=now, actor="system", action="nightly.run", entity="regie", day=day)
        audit.record_many(session, [audit.row(at=now, actor="system", action="booking.create", entity="booking",
                                              entity_id=7, family_id=fams[0][0], day=day, price_cents=350)])
        audit.record_for_families(session, [f for f, _ in fams], at=now, actor="system",
                                  action="form.validate", entity="form", entity_id=9, kind="assurance")
        audit.record_for_families(session, [], at=now, actor="system", action="form.expire",
                                  entity="form", entity_id=10)

    demo_ctx.db.write(_write)
    lines = sorted(list_audit(demo_ctx, since=day).lines[-5:],
                   key=lambda line: (line.action, line.family_number or ""))
    assert [(line.action, line.family_number) for line in lines] == [
        ("booking.create", f"{fams[0][1]:06d}"), ("form.expire", None),
        ("form.validate", f"{fams[0][1]:06d}"), ("form.validate", f"{fams[1][1]:06d}"),
        ("nightly.run", None)]
    assert lines[0].details == {"day": day.isoformat(), "price_cents": 350}
    assert lines[2].details == {"kind": "assurance"}
    assert lines[4].details == {"day": day.isoformat()}


def test_audit_rows_are_built_in_audit_py_only() -> None:
    """No service builds an AuditLog row itself: the format lives in services/audit.py."""
    root = Path(portail_tui.__file__).parent
    builders = [str(path.relative_to(root)) for path in root.rglob("*.py")
                if "AuditLog(" in path.read_text(encoding="utf-8") and path.name != "ops.py"]
    assert builders == ["services/audit.py"]
