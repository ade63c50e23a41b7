"""Booking services on SQLite and PostgreSQL: month states, day dialog, cart validation
(one transaction, re-checked deadlines, capacity and waiting list, promotion with an
e-mail), periods, patterns, suivi, digest e-mails, audit."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from portail_tui.clock import PARIS, FixedClock
from portail_tui.domain.day_states import DayState
from portail_tui.models import AuditLog, OutboxMessage
from portail_tui.services.booking import (
    BOOK,
    CANCEL,
    Cart,
    CartLine,
    booking_children,
    day_options,
    month_view,
    pattern_lines,
    period_options,
    suivi,
    toggle,
    validate_cart,
)
from portail_tui.services.booking_digest import queue_booking_digests
from portail_tui.services.context import Context, PermissionDenied, ServiceError
from tests.support.booking_town import Town, bookings, build_town, slot_taken

TUE = date(2026, 12, 1)
THU = date(2026, 12, 3)


@pytest.fixture
def town(ctx: Context) -> Town:
    return build_town(ctx.db)


@pytest.fixture
def actx(ctx: Context, town: Town) -> Context:
    return ctx.as_actor(town.agent)


def book(town: Town, child: str, code: str, day: date | None = None, period: str | None = None,
         action: str = BOOK) -> CartLine:
    return CartLine(action=action, child_id=town.children[child], activity_id=town.activities[code],
                    day=day, period_id=town.periods[period] if period else None, child_name=child,
                    activity_label=code)


def audit_actions(ctx: Context) -> list[str]:
    return ctx.db.read(lambda s: [a.action for a in s.execute(select(AuditLog).order_by(AuditLog.id)).scalars()])


# --- reading ---------------------------------------------------------------------------


def test_children_and_month_states(actx: Context, town: Town) -> None:
    kids = booking_children(actx, town.families["MARTIN"])
    assert [k.first_name for k in kids] == ["Léa", "Noé"]
    view = month_view(actx, town.families["MARTIN"], town.children["Léa"], 2026, 12, pending_days={THU})
    assert view.cell(TUE).state is DayState.OPEN
    assert view.cell(THU).state is DayState.PENDING
    closure = view.cell(date(2026, 12, 11))
    assert closure.state is DayState.NOTHING and "Formation des équipes" in closure.detail
    assert view.cell(date(2026, 12, 25)).state is DayState.NOTHING
    assert view.cell(date(2026, 12, 22)).state is DayState.OPEN  # holiday centre window open
    jan = month_view(actx, town.families["MARTIN"], town.children["Léa"], 2027, 1)
    assert jan.cell(date(2027, 1, 29)).state is DayState.NOT_YET_OPEN
    assert jan.cell(date(2027, 1, 27)).state is DayState.OPEN  # day 60, a Wednesday


def test_child_of_another_family_refused(actx: Context, town: Town) -> None:
    with pytest.raises(ServiceError, match="pas rattaché"):
        month_view(actx, town.families["MARTIN"], town.children["Jade"], 2026, 12)


def test_day_options_show_price_places_deadline(actx: Context, town: Town) -> None:
    opts = day_options(actx, town.families["MARTIN"], town.children["Léa"], TUE)
    codes = [o.rule.code for o in opts.options]
    assert codes == ["RS", "APSM", "APSS", "APSF"]  # no Wednesday centre on a Tuesday
    rs = opts.options[0]
    assert rs.price_cents == 210  # QF 450: first bracket
    assert rs.places_text == "2 places"
    assert rs.deadline_text == "jusqu'au dimanche 29 novembre à 11h45"
    wed = day_options(actx, town.families["MARTIN"], town.children["Léa"], date(2026, 12, 2))
    assert [o.rule.code for o in wed.options] == ["CLM"]
    holiday = day_options(actx, town.families["MARTIN"], town.children["Léa"], date(2026, 12, 22))
    assert holiday.options == () and "par période" in holiday.note


# --- validation ------------------------------------------------------------------------


def test_valider_records_everything_in_one_go(actx: Context, town: Town) -> None:
    fam = town.families["MARTIN"]
    result = validate_cart(actx, fam, [book(town, "Léa", "RS", TUE), book(town, "Léa", "APSM", TUE),
                                       book(town, "Noé", "RS", TUE)])
    assert len(result.confirmed) == 3 and not result.refused
    assert result.summary == "3 réservations enregistrées."
    rows = bookings(actx.db, family_id=fam)
    assert {(b.child_id, b.price_cents, b.status, b.created_by) for b in rows} == {
        (town.children["Léa"], 210, "confirmed", "agent:guichet"),
        (town.children["Léa"], 120, "confirmed", "agent:guichet"),
        (town.children["Noé"], 210, "confirmed", "agent:guichet"),
    }
    assert all(b.quotient_used == 450 and b.confirmed_at is not None for b in rows)
    assert slot_taken(actx.db, town.activities["RS"], TUE) == 2
    assert audit_actions(actx).count("booking.create") == 3
    view = month_view(actx, fam, town.children["Léa"], 2026, 12)
    assert view.cell(TUE).letters == "R M"


def test_unknown_quotient_pays_top_bracket(actx: Context, town: Town) -> None:
    result = validate_cart(actx, town.families["PETIT"], [book(town, "Hugo", "RS", TUE)])
    assert result.confirmed[0].price_cents == 450


def test_full_goes_to_waiting_then_cancellation_promotes(actx: Context, town: Town) -> None:
    rs = town.activities["RS"]
    validate_cart(actx, town.families["MARTIN"], [book(town, "Léa", "RS", THU), book(town, "Noé", "RS", THU)])
    waiting = validate_cart(actx, town.families["DURAND"], [book(town, "Jade", "RS", THU)])
    assert len(waiting.waiting) == 1 and "1 en liste d'attente" in waiting.summary
    later = validate_cart(actx, town.families["BERNARD"], [book(town, "Chloé", "RS", THU)])
    assert len(later.waiting) == 1
    assert slot_taken(actx.db, rs, THU) == 2
    opts = day_options(actx, town.families["BERNARD"], town.children["Chloé"], THU)
    assert opts.option(rs).booked_status == "waiting" and opts.option(rs).waiting_rank == 2
    assert opts.option(rs).places_text == "complet"

    result = validate_cart(actx, town.families["MARTIN"], [book(town, "Léa", "RS", THU, action=CANCEL)])
    assert len(result.cancelled) == 1 and result.promoted == 1
    jade = bookings(actx.db, child_id=town.children["Jade"])[0]
    assert jade.status == "confirmed" and jade.price_cents == 340 and jade.confirmed_at is not None
    chloe = bookings(actx.db, child_id=town.children["Chloé"])[0]
    assert chloe.status == "waiting"
    assert slot_taken(actx.db, rs, THU) == 2
    mails = actx.db.read(lambda s: list(s.execute(select(OutboxMessage)).scalars()))
    assert [(m.to_addr, m.kind) for m in mails] == [("durand@example.org", "booking_promoted")]
    assert "Jade" in mails[0].body_text and "jeudi 3 décembre" in mails[0].body_text
    assert "booking.promote" in audit_actions(actx)
    # Cancelling a waiting booking frees nothing and promotes nobody.
    res = validate_cart(actx, town.families["BERNARD"], [book(town, "Chloé", "RS", THU, action=CANCEL)])
    assert res.promoted == 0 and slot_taken(actx.db, rs, THU) == 2


def test_period_full_without_waiting_list_is_refused(actx: Context, town: Town) -> None:
    first = validate_cart(actx, town.families["MARTIN"], [book(town, "Léa", "CLV", period="noel")])
    assert first.confirmed[0].price_cents == 8 * 900
    again = validate_cart(actx, town.families["PETIT"], [book(town, "Hugo", "CLV", period="noel")])
    assert again.refused[0].reason == "complet"
    week = validate_cart(actx, town.families["MARTIN"], [book(town, "Léa", "CLV", period="noel-s1")])
    assert week.refused[0].reason == "déjà inscrit : Vacances de Noël 2026"
    opts = period_options(actx, town.families["MARTIN"], town.children["Léa"])
    labels = [(o.period.label, o.booked_status, o.covered_by) for o in opts]
    assert labels[0] == ("Vacances de Noël 2026", "confirmed", None)
    assert labels[1][2] == "Vacances de Noël 2026"
    assert slot_taken(actx.db, town.activities["CLV"], period_id=town.periods["noel"]) == 1


def test_period_outside_window(actx: Context, town: Town, clock: FixedClock) -> None:
    clock.set(datetime(2026, 12, 15, 9, 0, tzinfo=PARIS))
    result = validate_cart(actx, town.families["MARTIN"], [book(town, "Léa", "CLV", period="noel")])
    assert result.refused[0].reason == "période : inscription du 1er novembre au 14 décembre"
    assert bookings(actx.db) == []


@pytest.mark.parametrize(
    ("code", "day", "reason"),
    [
        ("RS", date(2026, 11, 27), "jour passé"),
        ("RS", date(2027, 1, 29), "ouvre le 30 novembre"),
        ("RS", date(2026, 12, 11), "fermé ce jour (Formation des équipes)"),
        ("RS", date(2026, 12, 2), "pas d'activité ce jour"),
        ("CLV", date(2026, 12, 22), "inscription par période uniquement"),
    ],
)
def test_bad_days_refused_nothing_recorded(actx: Context, town: Town, code: str, day: date,
                                           reason: str) -> None:
    result = validate_cart(actx, town.families["MARTIN"], [book(town, "Léa", code, day)])
    assert [o.reason for o in result.refused] == [reason]
    assert bookings(actx.db) == [] and audit_actions(actx) == []


def test_exclusions_and_duplicates(actx: Context, town: Town) -> None:
    fam = town.families["MARTIN"]
    result = validate_cart(actx, fam, [book(town, "Léa", "APSM", TUE), book(town, "Léa", "APSF", TUE),
                                       book(town, "Léa", "APSS", TUE)])
    assert [o.outcome for o in result.outcomes] == ["confirmed", "refused", "confirmed"]
    assert result.outcomes[1].reason == "incompatible avec APS MATIN"
    dup = validate_cart(actx, fam, [book(town, "Léa", "APSM", TUE)])
    assert dup.refused[0].reason == "déjà réservé"
    # Swapping for the forfait in one cart: cancellations run first.
    swap = validate_cart(actx, fam, [book(town, "Léa", "APSF", TUE), book(town, "Léa", "APSM", TUE, action=CANCEL),
                                     book(town, "Léa", "APSS", TUE, action=CANCEL)])
    assert [o.outcome for o in swap.outcomes] == ["confirmed", "cancelled", "cancelled"]
    live = [b for b in bookings(actx.db, child_id=town.children["Léa"]) if b.status != "cancelled"]
    assert [b.activity_id for b in live] == [town.activities["APSF"]]


def test_deadline_rechecked_at_valider(actx: Context, town: Town, clock: FixedClock) -> None:
    """The family talked past the Monday canteen deadline (Saturday 11:45): the Monday
    line is refused at Valider, the others recorded."""
    mon = date(2026, 11, 30)
    lines = [book(town, "Léa", "RS", mon), book(town, "Léa", "RS", TUE)]
    clock.set(datetime(2026, 11, 28, 11, 46, tzinfo=PARIS))
    result = validate_cart(actx, town.families["MARTIN"], lines)
    assert [o.outcome for o in result.outcomes] == ["refused", "confirmed"]
    assert result.outcomes[0].reason == "délai dépassé : réservable jusqu'au samedi 28 novembre à 11h45"
    assert "1 refusée" in result.summary


def test_cancel_after_deadline_refused(actx: Context, town: Town, clock: FixedClock) -> None:
    fam = town.families["MARTIN"]
    validate_cart(actx, fam, [book(town, "Léa", "RS", TUE)])
    clock.set(datetime(2026, 11, 29, 11, 46, tzinfo=PARIS))
    result = validate_cart(actx, fam, [book(town, "Léa", "RS", TUE, action=CANCEL)])
    assert result.refused[0].reason.startswith("délai dépassé : annulable jusqu'au dimanche 29 novembre")
    assert bookings(actx.db)[0].status == "confirmed"


def test_shared_custody_child(actx: Context, town: Town) -> None:
    validate_cart(actx, town.families["MARTIN"], [book(town, "Noé", "RS", TUE)])
    other = town.families["DURAND"]
    assert validate_cart(actx, other, [book(town, "Noé", "RS", TUE)]).refused[0].reason == "déjà réservé"
    cancel = validate_cart(actx, other, [book(town, "Noé", "RS", TUE, action=CANCEL)])
    assert cancel.refused[0].reason == "réservation faite par l'autre famille"
    opt = day_options(actx, other, town.children["Noé"], TUE).option(town.activities["RS"])
    assert opt.other_family


def test_needs_an_agent(ctx: Context, town: Town) -> None:
    with pytest.raises(PermissionDenied):
        validate_cart(ctx, town.families["MARTIN"], [book(town, "Léa", "RS", TUE)])


def test_toggle_in_dialog_then_validate(actx: Context, town: Town) -> None:
    fam = town.families["MARTIN"]
    opts = day_options(actx, fam, town.children["Léa"], TUE)
    cart = Cart(fam)
    m, s, f = (town.activities[c] for c in ("APSM", "APSS", "APSF"))
    assert toggle(cart, opts, m) is None and toggle(cart, opts, s) is None
    assert toggle(cart, opts, f) is None  # the forfait removes M and S
    assert [line.activity_id for line in cart.lines()] == [f]
    refusal = toggle(cart, opts, m)
    assert refusal is not None and "APS FORFAIT" in refusal
    result = validate_cart(actx, fam, cart.lines())
    assert len(result.confirmed) == 1


# --- patterns ----------------------------------------------------------------------------


def test_pattern_fills_open_days_and_lists_the_rest(actx: Context, town: Town) -> None:
    fam, lea = town.families["MARTIN"], town.children["Léa"]
    validate_cart(actx, fam, [book(town, "Léa", "RS", date(2026, 12, 7))])
    result = pattern_lines(actx, fam, lea, [town.activities["RS"], town.activities["APSS"]],
                           {1, 2, 4, 5}, date(2026, 11, 30), date(2026, 12, 18))
    days = sorted({line.day for line in result.lines})
    assert date(2026, 11, 30) in days and date(2026, 12, 11) not in days
    assert all(d.isoweekday() in (1, 2, 4, 5) for d in days)
    reasons = {(s.day, s.activity_label): s.reason for s in result.skipped}
    assert reasons[(date(2026, 12, 11), "RESTAURANT SCOLAIRE")] == "fermé ce jour (Formation des équipes)"
    assert reasons[(date(2026, 12, 7), "RESTAURANT SCOLAIRE")] == "déjà réservé"
    # 12 Mondays/Tuesdays/Thursdays/Fridays, minus the closure: 11 for APS SOIR, 10 for
    # the canteen (already booked on the 7th).
    assert len(result.lines) == 21
    validated = validate_cart(actx, fam, result.lines)
    assert len(validated.confirmed) == 21


def test_pattern_refuses_excluded_choice(actx: Context, town: Town) -> None:
    with pytest.raises(ServiceError, match="ne peuvent pas être choisies ensemble"):
        pattern_lines(actx, town.families["MARTIN"], town.children["Léa"],
                      [town.activities["APSM"], town.activities["APSF"]], {1}, TUE, TUE + timedelta(days=7))
    with pytest.raises(ServiceError, match="avant la date de début"):
        pattern_lines(actx, town.families["MARTIN"], town.children["Léa"], [town.activities["RS"]], {1},
                      THU, TUE)


# --- suivi (R8) --------------------------------------------------------------------------


def test_suivi_lists_beyond_15_days_with_waiting_rank(actx: Context, town: Town) -> None:
    fam = town.families["MARTIN"]
    far = date(2026, 12, 17)
    validate_cart(actx, fam, [book(town, "Léa", "RS", TUE), book(town, "Léa", "RS", far),
                              book(town, "Noé", "APSS", far), book(town, "Léa", "CLV", period="noel")])
    validate_cart(actx, town.families["DURAND"], [book(town, "Jade", "RS", far)])
    validate_cart(actx, town.families["PETIT"], [book(town, "Hugo", "RS", far)])  # third: waiting
    result = suivi(actx, fam)
    assert [(line.child_name, line.activity_code) for line in result.lines] == [
        ("Léa", "RS"), ("Noé", "APSS"), ("Léa", "CLV")]
    assert result.total_cents == 210 + 180 + 8 * 900
    aps = suivi(actx, fam, activity_text="aps")
    assert [line.activity_code for line in aps.lines] == ["APSS"]
    lea = suivi(actx, fam, child_name="lea")
    assert {line.child_name for line in lea.lines} == {"Léa"}
    hugo = suivi(actx, town.families["PETIT"])
    assert hugo.lines[0].status_text == "En attente (rang 1)"
    with pytest.raises(ServiceError, match="Aucun enfant « Zoé »"):
        suivi(actx, fam, child_name="Zoé")


def test_suivi_activity_filter_reads_like_the_histories(actx: Context, town: Town) -> None:
    """Every typed word must start a word of the activity (`domain.text.activity_matches`,
    as in Historiques): « soir aps » keeps APS SOIR (suivi kept nothing), « is » keeps
    nothing (suivi kept CENTRE DE LOISIRS VACANCES, « is » being inside LOISIRS)."""
    fam = town.families["MARTIN"]
    far = date(2026, 12, 17)
    validate_cart(actx, fam, [book(town, "Léa", "RS", far), book(town, "Noé", "APSS", far),
                              book(town, "Léa", "CLV", period="noel")])
    assert [line.activity_code for line in suivi(actx, fam, activity_text="soir aps").lines] == ["APSS"]
    assert suivi(actx, fam, activity_text="is").lines == ()
    assert [line.activity_code for line in suivi(actx, fam, activity_text="loisirs").lines] == ["CLV"]


def test_a_period_covers_the_same_days_for_price_calendar_and_pending(actx: Context, town: Town) -> None:
    """1 Nov 2027 (All Saints, a Monday of the Toussaint holidays) is not billed: the
    calendar no longer shows « V » booked on it and the cart no longer marks it."""
    from sqlmodel import Session

    from portail_tui.models import Period
    from portail_tui.services.booking import toggle_period

    def add_period(s: Session) -> int:
        p = Period(activity_id=town.activities["CLV"], label="Vacances de la Toussaint 2027",
                   first_day=date(2027, 10, 25), last_day=date(2027, 11, 5),
                   booking_opens=date(2026, 11, 1), booking_closes=date(2027, 10, 15))
        s.add(p)
        s.flush()
        assert p.id is not None
        return p.id

    pid = actx.db.write(add_period)
    fam, lea = town.families["MARTIN"], town.children["Léa"]
    all_saints = date(2027, 11, 1)
    popt = next(o for o in period_options(actx, fam, lea) if o.period.id == pid)
    assert popt.price_cents == 9 * 900  # 5 + 4 days, the public holiday not billed (unchanged)
    assert all_saints not in popt.days and len(popt.days) == 9
    cart = Cart(fam)
    assert toggle_period(cart, lea, "Léa", popt) is None
    pending = cart.pending_days(lea)
    assert all_saints not in pending and date(2027, 11, 2) in pending and date(2027, 10, 25) in pending
    result = validate_cart(actx, fam, cart.lines())
    assert [o.price_cents for o in result.confirmed] == [9 * 900]
    nov = month_view(actx, fam, lea, 2027, 11)
    assert nov.cell(all_saints).letters == ""
    assert nov.cell(date(2027, 11, 2)).letters == "V"
    assert month_view(actx, fam, lea, 2027, 10).cell(date(2027, 10, 25)).letters == "V"


# --- digest (R10) ------------------------------------------------------------------------


def test_nightly_digest_is_idempotent(actx: Context, town: Town, clock: FixedClock) -> None:
    validate_cart(actx, town.families["MARTIN"], [book(town, "Léa", "RS", TUE), book(town, "Noé", "RS", THU)])
    validate_cart(actx, town.families["PETIT"], [book(town, "Hugo", "RS", TUE)])  # no e-mail address
    clock.advance(timedelta(hours=1))
    validate_cart(actx, town.families["MARTIN"], [book(town, "Noé", "RS", THU, action=CANCEL)])
    clock.set(datetime(2026, 11, 29, 2, 0, tzinfo=PARIS))
    assert queue_booking_digests(actx, date(2026, 11, 28)) == 1
    assert queue_booking_digests(actx, date(2026, 11, 28)) == 0
    assert queue_booking_digests(actx, date(2026, 11, 27)) == 0
    mails = actx.db.read(lambda s: list(s.execute(select(OutboxMessage)).scalars()))
    assert len(mails) == 1
    m = mails[0]
    assert m.dedup_key == f"digest:{town.families['MARTIN']}:2026-11-28"
    assert m.to_addr == "martin@example.org" and m.subject == "Vos réservations du 28/11/2026"
    assert "Mardi 1er décembre 2026 : Léa — RESTAURANT SCOLAIRE (11h45–13h30) : réservée (2,10\u00a0€)" in m.body_text
    assert "Jeudi 3 décembre 2026 : Noé — RESTAURANT SCOLAIRE (11h45–13h30) : réservée puis annulée" in m.body_text


def test_audit_details(actx: Context, town: Town) -> None:
    validate_cart(actx, town.families["MARTIN"], [book(town, "Léa", "RS", TUE)])
    row = actx.db.read(lambda s: s.execute(select(AuditLog)).scalar_one())
    details = json.loads(row.details)
    assert row.actor == "agent:guichet" and row.family_id == town.families["MARTIN"]
    assert details["activity"] == "RS" and details["day"] == "2026-12-01" and details["price_cents"] == 210


def test_nightly_promotion_after_capacity_raised(actx: Context, town: Town) -> None:
    from sqlalchemy import update

    from portail_tui.models import Slot
    from portail_tui.services.booking import promote_waiting

    rs = town.activities["RS"]
    validate_cart(actx, town.families["MARTIN"], [book(town, "Léa", "RS", THU), book(town, "Noé", "RS", THU)])
    validate_cart(actx, town.families["DURAND"], [book(town, "Jade", "RS", THU)])
    validate_cart(actx, town.families["BERNARD"], [book(town, "Chloé", "RS", THU)])
    assert promote_waiting(actx, actx.clock.today()) == 0
    actx.db.write(lambda s: s.execute(update(Slot).where(Slot.activity_id == rs, Slot.day == THU).values(capacity=3)))
    assert promote_waiting(actx, actx.clock.today()) == 1
    assert promote_waiting(actx, actx.clock.today()) == 0
    assert bookings(actx.db, child_id=town.children["Jade"])[0].status == "confirmed"
    assert bookings(actx.db, child_id=town.children["Chloé"])[0].status == "waiting"
    assert slot_taken(actx.db, rs, THU) == 3


def test_cancel_that_lost_a_race_is_replayed_not_refused(actx: Context, town: Town, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL (READ COMMITTED): another agent changes the booking between our read
    and our conditional UPDATE. The cart is run again on fresh data instead of showing
    the agent a 'modified meanwhile' refusal a retry would have avoided (found by
    `portail stress`)."""
    if actx.db.is_sqlite:
        pytest.skip("SQLite writes take the lock at BEGIN IMMEDIATE: no one can change it meanwhile")
    from sqlalchemy import text

    import portail_tui.services.booking.validation as booking_module

    validate_cart(actx, town.families["MARTIN"], [book(town, "Léa", "RS", THU), book(town, "Noé", "RS", THU)])
    validate_cart(actx, town.families["BERNARD"], [book(town, "Chloé", "RS", THU)])  # waiting
    chloe_id = town.children["Chloé"]
    real_check = booking_module.check_cancel_day
    calls = []

    def racing_check(*args, **kwargs):  # type: ignore[no-untyped-def]
        if not calls:  # first attempt: another terminal promotes Chloé right now
            with actx.db.engine.connect() as other:
                other.execute(text("UPDATE booking SET status = 'confirmed' WHERE child_id = :c"),
                              {"c": chloe_id})
                other.commit()
        calls.append(1)
        return real_check(*args, **kwargs)

    monkeypatch.setattr(booking_module, "check_cancel_day", racing_check)
    res = validate_cart(actx, town.families["BERNARD"], [book(town, "Chloé", "RS", THU, action=CANCEL)])
    assert len(calls) == 2  # replayed once
    assert len(res.cancelled) == 1 and not res.refused
    assert bookings(actx.db, child_id=chloe_id)[0].status == "cancelled"
