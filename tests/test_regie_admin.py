"""The Régie mode's services on SQLite and PostgreSQL (G5–G7): capacities lowered and
raised (promotion in order), holiday periods, closing a day (bookings cancelled with
the reason, solde right, one mail per family, idempotent, calendar beige), agent
accounts and their explicit rights."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from portail_tui.domain.day_states import DayState
from portail_tui.models import AuditLog, OutboxMessage
from portail_tui.services import auth, regie_admin
from portail_tui.services.booking import BOOK, CartLine, day_options, month_view, validate_cart
from portail_tui.services.context import Actor, Context, PermissionDenied, ServiceError
from portail_tui.services.regie_admin import accounts
from portail_tui.services.wallet import family_solde
from tests.support.booking_town import Town, bookings, build_town, slot_taken

TUE = date(2026, 12, 1)


@pytest.fixture
def town(ctx: Context) -> Town:
    return build_town(ctx.db)


@pytest.fixture
def actx(ctx: Context, town: Town) -> Context:
    return ctx.as_actor(town.agent)


@pytest.fixture
def rctx(ctx: Context, town: Town) -> Context:
    return ctx.as_actor(Actor(kind="agent", login="chef", regie_id=town.regie_id, full_name="Régisseur",
                              role="regisseur"))


def book(actx: Context, town: Town, family: str, child: str, code: str, day: date = TUE) -> None:
    line = CartLine(action=BOOK, child_id=town.children[child], activity_id=town.activities[code], day=day,
                    child_name=child, activity_label=code)
    result = validate_cart(actx, town.families[family], [line])
    assert not result.refused, result.refused


def actions(ctx: Context, action: str) -> list[AuditLog]:
    return ctx.db.read(lambda s: list(s.execute(select(AuditLog).where(AuditLog.action == action)).scalars()))


def outbox(ctx: Context, kind: str) -> list[OutboxMessage]:
    return ctx.db.read(lambda s: list(s.execute(
        select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)).scalars()))


# --- capacities (G5) -------------------------------------------------------------------


def test_lowering_under_what_is_booked_is_refused_with_the_numbers(actx: Context, rctx: Context,
                                                                   town: Town) -> None:
    book(actx, town, "MARTIN", "Léa", "RS")
    book(actx, town, "DURAND", "Jade", "RS")
    rs = town.activities["RS"]
    with pytest.raises(ServiceError, match="2 places réservées : la capacité ne peut pas descendre à 1"):
        regie_admin.set_capacity(rctx, rs, 1, day=TUE)
    day = next(d for d in regie_admin.month_capacities(rctx, rs, 2026, 12) if d.day == TUE)
    assert (day.capacity, day.taken) == (2, 2)
    assert not actions(rctx, "slot.capacity")
    # Lowering to what is booked is fine; a day nobody booked yet gets its slot.
    assert regie_admin.set_capacity(rctx, rs, 2, day=TUE).after == 2
    regie_admin.set_capacity(rctx, rs, 0, day=date(2026, 12, 3))
    thu = next(d for d in regie_admin.month_capacities(rctx, rs, 2026, 12) if d.day == date(2026, 12, 3))
    assert (thu.capacity, thu.taken) == (0, 0)


def test_raising_promotes_the_waiting_children_in_order(actx: Context, rctx: Context, town: Town) -> None:
    rs = town.activities["RS"]
    book(actx, town, "MARTIN", "Léa", "RS")
    book(actx, town, "MARTIN", "Noé", "RS")
    book(actx, town, "BERNARD", "Chloé", "RS")  # waiting, first
    book(actx, town, "PETIT", "Hugo", "RS")  # waiting, second
    assert [b.status for b in bookings(actx.db, activity_id=rs, day=TUE)] == ["confirmed"] * 2 + ["waiting"] * 2
    day = next(d for d in regie_admin.month_capacities(rctx, rs, 2026, 12) if d.day == TUE)
    assert (day.capacity, day.taken, day.waiting) == (2, 2, 2)
    change = regie_admin.set_capacity(rctx, rs, 3, day=TUE)
    assert (change.before, change.after, change.promoted) == (2, 3, 1)
    status = {b.child_id: b.status for b in bookings(actx.db, activity_id=rs, day=TUE)}
    assert status[town.children["Chloé"]] == "confirmed" and status[town.children["Hugo"]] == "waiting"
    assert [m.to_addr for m in outbox(actx, "booking_promoted")] == ["bernard@example.org"]
    assert slot_taken(actx.db, rs, TUE) == 3
    assert regie_admin.set_capacity(rctx, rs, None, day=TUE).promoted == 1  # unlimited: everyone
    assert slot_taken(actx.db, rs, TUE) == 4
    audit = actions(rctx, "slot.capacity")
    assert len(audit) == 2 and audit[0].actor == "agent:chef" and '"promoted": 1' in audit[0].details


def test_an_agent_may_not_change_capacities(actx: Context, town: Town) -> None:
    with pytest.raises(PermissionDenied):
        regie_admin.set_capacity(actx, town.activities["RS"], 5, day=TUE)
    with pytest.raises(PermissionDenied):
        regie_admin.close_day(actx, TUE, [town.activities["RS"]], "Grève", dry_run=True)
    with pytest.raises(PermissionDenied):
        regie_admin.list_activities(actx)


def test_activities_read_only_with_rates_and_deadline(rctx: Context, town: Town) -> None:
    acts = {a.code: a for a in regie_admin.list_activities(rctx)}
    rs = acts["RS"]
    assert rs.deadline == "2 jours avant à 11h45" and rs.weekdays == "lun, mar, jeu, ven"
    assert rs.rates[0].startswith("QF 0 à 700 : 2,10") and acts["CLV"].by_period


# --- periods ---------------------------------------------------------------------------


def test_add_a_period_and_its_checks(rctx: Context, town: Town) -> None:
    clv = town.activities["CLV"]
    with pytest.raises(ServiceError, match="doit fermer avant le premier jour"):
        regie_admin.add_period(rctx, clv, "Hiver", date(2027, 2, 8), date(2027, 2, 12), date(2027, 1, 4),
                               date(2027, 2, 8))
    with pytest.raises(ServiceError, match="précède le premier"):
        regie_admin.add_period(rctx, clv, "Hiver", date(2027, 2, 12), date(2027, 2, 8), date(2027, 1, 4),
                               date(2027, 1, 30))
    with pytest.raises(ServiceError, match="à la journée"):
        regie_admin.add_period(rctx, town.activities["RS"], "Hiver", date(2027, 2, 8), date(2027, 2, 12),
                               date(2027, 1, 4), date(2027, 1, 30))
    with pytest.raises(ServiceError, match="libellé"):
        regie_admin.add_period(rctx, clv, " ", date(2027, 2, 8), date(2027, 2, 12), date(2027, 1, 4),
                               date(2027, 1, 30))
    p = regie_admin.add_period(rctx, clv, "Vacances d'hiver 2027", date(2027, 2, 8), date(2027, 2, 12),
                               date(2027, 1, 4), date(2027, 1, 30), capacity=12)
    assert p.capacity == 12 and p.taken == 0
    assert any(x.id == p.id and x.label == "Vacances d'hiver 2027" for x in regie_admin.list_periods(rctx))
    changed = regie_admin.change_period(rctx, p.id, booking_closes=date(2027, 2, 1))
    assert changed.booking_closes == date(2027, 2, 1)
    with pytest.raises(ServiceError, match="doit fermer avant"):
        regie_admin.change_period(rctx, p.id, booking_closes=date(2027, 2, 9))
    assert len(actions(rctx, "period.add")) == 1 and len(actions(rctx, "period.window")) == 1


def test_period_capacity_follows_g5(actx: Context, rctx: Context, town: Town) -> None:
    noel = town.periods["noel"]
    line = CartLine(action=BOOK, child_id=town.children["Léa"], activity_id=town.activities["CLV"],
                    period_id=noel, child_name="Léa", activity_label="CLV")
    assert not validate_cart(actx, town.families["MARTIN"], [line]).refused
    with pytest.raises(ServiceError, match="1 places réservées : la capacité ne peut pas descendre à 0"):
        regie_admin.change_period(rctx, noel, capacity=0, booking_closes=date(2026, 12, 15))
    unchanged = next(p for p in regie_admin.list_periods(rctx) if p.id == noel)
    assert unchanged.booking_closes == date(2026, 12, 14)  # nothing half-saved
    assert regie_admin.change_period(rctx, noel, capacity=5).capacity == 5
    assert slot_taken(actx.db, town.activities["CLV"], period_id=noel) == 1


# --- closing a day (G6) ----------------------------------------------------------------


def test_closing_a_day(actx: Context, rctx: Context, town: Town) -> None:
    rs, apss = town.activities["RS"], town.activities["APSS"]
    martin = town.families["MARTIN"]
    solde_before = family_solde(actx, martin)
    book(actx, town, "MARTIN", "Léa", "RS")
    book(actx, town, "MARTIN", "Léa", "APSS")
    book(actx, town, "MARTIN", "Noé", "RS")
    book(actx, town, "PETIT", "Hugo", "RS")  # waiting (2 places), family without e-mail
    book(actx, town, "DURAND", "Jade", "APSS")
    book(actx, town, "MARTIN", "Léa", "RS", date(2026, 12, 3))  # another day: untouched
    assert family_solde(actx, martin) < solde_before

    dry = regie_admin.close_day(rctx, TUE, [rs, apss], "Grève du personnel", dry_run=True)
    assert (dry.impact.families, dry.impact.bookings, dry.impact.waiting) == (3, 4, 1)
    assert dry.impact.families_without_email == 1 and not dry.changed
    assert "4 réservations et 1 demande en liste d'attente annulées, 3 familles" in dry.impact.summary
    assert slot_taken(actx.db, rs, TUE) == 2 and not outbox(actx, "day_closed")

    done = regie_admin.close_day(rctx, TUE, [rs, apss], "Grève du personnel")
    assert done.changed and done.mails == 2
    tue = [b for b in bookings(actx.db, day=TUE)]
    assert {b.status for b in tue} == {"cancelled"}
    assert {b.cancel_reason for b in tue} == {"Grève du personnel"} and {b.cancelled_by for b in tue} == {"agent:chef"}
    assert slot_taken(actx.db, rs, TUE) == 0 and slot_taken(actx.db, apss, TUE) == 0
    assert [b.status for b in bookings(actx.db, day=date(2026, 12, 3))] == ["confirmed"]
    mails = outbox(actx, "day_closed")
    assert sorted(m.to_addr for m in mails) == ["durand@example.org", "martin@example.org"]
    martin_mail = next(m for m in mails if m.to_addr == "martin@example.org")
    assert "Grève du personnel" in martin_mail.subject
    assert "- Léa : APS SOIR" in martin_mail.body_text and "- Léa : RESTAURANT SCOLAIRE" in martin_mail.body_text
    assert "- Noé : RESTAURANT SCOLAIRE" in martin_mail.body_text
    # Never consumed: the solde is what it was without that day (the 3 December stays).
    thu_price = bookings(actx.db, day=date(2026, 12, 3))[0].price_cents
    assert family_solde(actx, martin) == solde_before - thu_price
    assert len(actions(rctx, "day.close")) == 2
    closed = next(d for d in regie_admin.month_capacities(rctx, rs, 2026, 12) if d.day == TUE)
    assert (closed.capacity, closed.taken, closed.waiting, closed.closed) == (0, 0, 0, "Grève du personnel")
    with pytest.raises(ServiceError, match="fermé ce jour"):
        regie_admin.set_capacity(rctx, rs, 10, day=TUE)

    # Idempotent: closing again does nothing and says so.
    again = regie_admin.close_day(rctx, TUE, [rs, apss], "Grève du personnel")
    assert not again.changed and again.impact.already_closed == ("RS", "APSS")
    assert "Déjà fermé" in again.impact.summary and "rien n'a changé" in again.impact.summary
    assert len(outbox(actx, "day_closed")) == 2 and len(actions(rctx, "day.close")) == 2

    # The calendar: the other activities still run that day, and say what is closed…
    view = month_view(actx, martin, town.children["Léa"], 2026, 12)
    cell = view.cell(TUE)
    assert cell.state is DayState.OPEN and "RESTAURANT SCOLAIRE fermé ce jour (Grève du personnel)" in cell.detail
    # … a closed activity can no longer be booked that day …
    line = CartLine(action=BOOK, child_id=town.children["Léa"], activity_id=rs, day=TUE, child_name="Léa",
                    activity_label="RS")
    assert validate_cart(actx, martin, [line]).refused
    options = day_options(actx, martin, town.children["Léa"], TUE)
    assert rs not in {o.rule.id for o in options.options}
    assert options.note == "Fermé ce jour : RESTAURANT SCOLAIRE (Grève du personnel), APS SOIR (Grève du personnel)."
    # … and once every activity of the day is closed, the day is beige with the reason.
    regie_admin.close_day(rctx, TUE, [town.activities[c] for c in ("RS", "APSM", "APSS", "APSF")],
                          "Grève du personnel")
    cell = month_view(actx, martin, town.children["Léa"], 2026, 12).cell(TUE)
    assert cell.state is DayState.NOTHING and "Grève du personnel" in cell.detail


def test_closing_refusals(rctx: Context, town: Town) -> None:
    rs = town.activities["RS"]
    with pytest.raises(ServiceError, match="motif"):
        regie_admin.close_day(rctx, TUE, [rs], "  ")
    with pytest.raises(ServiceError, match="au moins une activité"):
        regie_admin.close_day(rctx, TUE, [], "Grève")
    with pytest.raises(ServiceError, match="est passé"):
        regie_admin.close_day(rctx, date(2026, 11, 27), [rs], "Grève")
    with pytest.raises(ServiceError, match="n'a pas lieu"):
        regie_admin.close_day(rctx, date(2026, 12, 2), [rs], "Grève")  # a Wednesday
    with pytest.raises(ServiceError, match="par période"):
        regie_admin.close_day(rctx, date(2026, 12, 22), [town.activities["CLV"]], "Grève")


# --- agent accounts (G7) ---------------------------------------------------------------


def test_accounts_rights_are_explicit_and_admin_only(ctx: Context, rctx: Context, town: Town) -> None:
    auth.add_agent(ctx, "boss", "motdepasse1", role="admin", regie_id=town.regie_id)
    auth.add_agent(ctx, "nouveau", "motdepasse1", regie_id=town.regie_id)
    admin = ctx.as_actor(Actor(kind="agent", login="boss", regie_id=town.regie_id, role="admin"))
    rows = {r.login: r for r in regie_admin.agent_rows(admin)}
    assert rows["nouveau"].role == "agent" and not rows["nouveau"].can_see_health  # G7: nothing by default
    with pytest.raises(PermissionDenied):
        regie_admin.agent_rows(rctx)  # a régisseur does not manage accounts
    with pytest.raises(PermissionDenied):
        regie_admin.set_agent_health(rctx, "nouveau", True)
    regie_admin.set_agent_health(admin, "nouveau", True)
    regie_admin.set_agent_role(admin, "nouveau", "regisseur")
    accounts.set_active(admin, "nouveau", False)
    row = {r.login: r for r in regie_admin.agent_rows(admin)}["nouveau"]
    assert row.can_see_health and row.role == "regisseur" and not row.active
    accounts.set_active(admin, "nouveau", True)
    accounts.reset_password(admin, "nouveau", "autrechose1")
    assert auth.login(ctx, "nouveau", "autrechose1").role == "regisseur"
    with pytest.raises(ServiceError, match="votre propre compte"):
        regie_admin.set_agent_role(admin, "boss", "agent")
    other = ctx.as_actor(Actor(kind="agent", login="nouveau", regie_id=town.regie_id, role="admin"))
    with pytest.raises(ServiceError, match="dernier administrateur"):
        accounts.set_active(other, "boss", False)
    assert [a.details for a in actions(ctx, "agent.health")] == ['{"after": true, "before": false, "login": "nouveau"}']
    assert len(actions(ctx, "agent.role")) == 1
    assert ctx.db.read(lambda s: s.execute(select(func.count()).select_from(AuditLog)).scalar_one()) > 0


def test_two_regisseurs_closing_at_once_close_once(actx: Context, rctx: Context, town: Town) -> None:
    from concurrent.futures import ThreadPoolExecutor

    book(actx, town, "MARTIN", "Léa", "RS")
    book(actx, town, "DURAND", "Jade", "RS")
    rs = town.activities["RS"]
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _i: regie_admin.close_day(rctx, TUE, [rs], "Inondation"), range(2)))
    assert sorted(r.changed for r in results) == [False, True]
    assert len(outbox(actx, "day_closed")) == 2 and len(actions(rctx, "day.close")) == 1


def test_rates_read_with_their_unit() -> None:
    """The Activités section lists a holiday centre's day, week and whole-holiday brackets:
    each says what its price buys, and the « sans quotient » rate says so."""
    from datetime import date as _date

    from portail_tui.domain.booking_rules import RateRule
    from portail_tui.services.regie_admin.capacities import rate_text

    start = _date(2026, 9, 1)
    assert rate_text(RateRule(0, 700, 210, start)) == "QF 0 à 700 : 2,10\u00a0€"
    assert rate_text(RateRule(701, None, 5800, start, unit="week")) == "QF 701 et plus : 58,00\u00a0€ la semaine"
    assert rate_text(RateRule(0, None, 14500, start, no_quotient=True, unit="period")) == \
        "Sans quotient : 145,00\u00a0€ la période"
