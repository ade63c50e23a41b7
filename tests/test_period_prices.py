"""Holiday periods priced per week and per whole holiday (issue 14, G1/G3): a week takes
the activity's week rate for the family's quotient, a whole holiday its period rate,
and without such a rate the day rate × open days as before; the price is frozen at
confirmation (B1) and the wallet's coût estimé follows it. The set-up file carries the
unit (`unite`), checked and exported back.

The booking town's Noël 2026: the whole holiday 21 Dec–1 Jan (8 open days: the 25th and
the 1st are public holidays) and its two weeks (4 open days each). CLV day rates
9 / 13 / 17 € by bracket (QF 0–700, 701–1200, 1201+)."""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlalchemy import select, update
from sqlmodel import Session, col

from portail_tui.domain.booking_cart import BOOK, CartLine
from portail_tui.domain.booking_rules import ActivityRule, PeriodRule, RateRule, period_price
from portail_tui.domain.school_calendar import SchoolCalendar
from portail_tui.models import Activity, Booking, Rate
from portail_tui.services.booking import period_options
from portail_tui.services.booking.validation import validate_cart
from portail_tui.services.context import Context
from portail_tui.services.regie_setup import apply, check, example_text, export, parse, the_regie
from portail_tui.services.regie_setup.init import init_regie
from portail_tui.services.wallet import wallet_figures
from tests.support.booking_town import BRACKETS, Town, build_town

START = date(2026, 9, 1)
WEEK = (4000, 5800, 7600)  # « 40 € la semaine » for the first bracket
WHOLE = (7500, 11000, 14500)  # « 75 € les deux semaines »


@pytest.fixture
def town(ctx: Context) -> Town:
    t = build_town(ctx.db)

    def unlimited(s: Session) -> None:
        # One place per period in the booking town: here every child gets one.
        s.execute(update(Activity).where(col(Activity.id) == t.activities["CLV"]).values(capacity=None))

    ctx.db.write(unlimited)
    return t


def add_rates(ctx: Context, town: Town, unit: str, prices: tuple[int, int, int], *,
              valid_from: date = START, no_quotient: int | None = None) -> None:
    def work(s: Session) -> None:
        for (lo, hi), price in zip(BRACKETS, prices, strict=True):
            s.add(Rate(activity_id=town.activities["CLV"], qf_min=lo, qf_max=hi, price_cents=price,
                       valid_from=valid_from, unit=unit))
        if no_quotient is not None:
            s.add(Rate(activity_id=town.activities["CLV"], price_cents=no_quotient, valid_from=valid_from,
                       unit=unit, no_quotient=True))

    ctx.db.write(work)


def book(ctx: Context, town: Town, family: str, child: str, period: str) -> tuple[str, int | None]:
    line = CartLine(BOOK, town.children[child], town.activities["CLV"], period_id=town.periods[period])
    out = validate_cart(ctx.as_actor(town.agent), town.families[family], [line]).outcomes[0]
    return out.outcome, out.price_cents


def stored_price(ctx: Context, booking_period: int, child_id: int) -> int:
    return int(ctx.db.read(lambda s: s.execute(
        select(col(Booking.price_cents)).where(col(Booking.period_id) == booking_period,
                                               col(Booking.child_id) == child_id)).scalar_one()))


# --- booking: the one place a period line is priced ------------------------------------


def test_a_week_costs_the_week_rate_of_the_family_bracket(ctx: Context, town: Town) -> None:
    add_rates(ctx, town, "week", WEEK)
    assert book(ctx, town, "MARTIN", "Léa", "noel-s1") == ("confirmed", 4000)  # QF 450
    assert book(ctx, town, "DURAND", "Jade", "noel-s1") == ("confirmed", 5800)  # QF 900
    assert book(ctx, town, "BERNARD", "Chloé", "noel-s2") == ("confirmed", 7600)  # QF 1500
    # No quotient and no « sans quotient » week rate: the top bracket of the week rates.
    assert book(ctx, town, "PETIT", "Hugo", "noel-s2") == ("confirmed", 7600)
    # The flat price, whatever the public holiday inside the week (4 open days × 9 € = 36 €).
    assert stored_price(ctx, town.periods["noel-s1"], town.children["Léa"]) == 4000
    # Coût estimé (R7) and the period list (the cart's price) follow the frozen price.
    agent = ctx.as_actor(town.agent)
    assert wallet_figures(agent, town.families["MARTIN"]).estimated_cents == 4000
    shown = {o.period.id: o.price_cents for o in period_options(agent, town.families["MARTIN"], town.children["Noé"])}
    assert shown[town.periods["noel-s1"]] == 4000 and shown[town.periods["noel-s2"]] == 4000


def test_a_whole_holiday_costs_the_period_rate(ctx: Context, town: Town) -> None:
    add_rates(ctx, town, "week", WEEK)
    add_rates(ctx, town, "period", WHOLE, no_quotient=16000)
    assert book(ctx, town, "MARTIN", "Léa", "noel") == ("confirmed", 7500)
    assert book(ctx, town, "DURAND", "Jade", "noel") == ("confirmed", 11000)
    # The « sans quotient » rate of that unit for a family without a quotient (G3).
    assert book(ctx, town, "PETIT", "Hugo", "noel") == ("confirmed", 16000)
    # Its weeks keep the week rate.
    assert book(ctx, town, "BERNARD", "Chloé", "noel-s1") == ("confirmed", 7600)


def test_without_a_flat_rate_the_day_rate_times_open_days(ctx: Context, town: Town) -> None:
    assert book(ctx, town, "MARTIN", "Léa", "noel-s1") == ("confirmed", 4 * 900)
    add_rates(ctx, town, "week", WEEK)  # weeks only: the whole holiday stays per day
    assert book(ctx, town, "DURAND", "Jade", "noel") == ("confirmed", 8 * 1300)
    # A week rate starting after the week's first day is not in force for it.
    add_rates(ctx, town, "period", WHOLE, valid_from=date(2027, 1, 4))
    assert book(ctx, town, "BERNARD", "Chloé", "noel") == ("confirmed", 8 * 1700)


def test_the_price_is_frozen_when_the_rate_changes(ctx: Context, town: Town) -> None:
    add_rates(ctx, town, "week", WEEK)
    assert book(ctx, town, "MARTIN", "Léa", "noel-s1") == ("confirmed", 4000)

    def new_week_rates(s: Session) -> None:
        s.execute(update(Rate).where(col(Rate.unit) == "week").values(valid_to=date(2026, 11, 30)))

    ctx.db.write(new_week_rates)
    add_rates(ctx, town, "week", (4500, 6500, 8500), valid_from=date(2026, 12, 1))
    assert stored_price(ctx, town.periods["noel-s1"], town.children["Léa"]) == 4000  # B1
    assert book(ctx, town, "MARTIN", "Noé", "noel-s1") == ("confirmed", 4500)
    assert wallet_figures(ctx.as_actor(town.agent), town.families["MARTIN"]).estimated_cents == 4000 + 4500


# --- the pure rule ---------------------------------------------------------------------


def _period(first: date, last: date, parent: int | None = None) -> PeriodRule:
    return PeriodRule(1, 6, "p", first, last, date(2027, 6, 1), date(2027, 6, 30), parent_id=parent)


def test_which_flat_rate_a_period_takes() -> None:
    assert _period(date(2027, 7, 12), date(2027, 7, 16), parent=9).pricing_unit == "week"
    # A summer week booked on its own is a week; a holiday without weeks, a whole period.
    assert _period(date(2027, 7, 12), date(2027, 7, 16)).pricing_unit == "week"
    assert _period(date(2027, 7, 5), date(2027, 7, 16)).pricing_unit == "period"
    clv = ActivityRule(id=6, code="CLV", label="CLV", letter="V", start_time=time(8), end_time=time(18),
                       weekdays="12345", runs_on="holidays", booking_unit="period")
    rates = [RateRule(0, None, 900, START), RateRule(0, None, 4000, START, unit="week")]
    cal = SchoolCalendar("A")
    assert period_price(clv, _period(date(2027, 7, 12), date(2027, 7, 16)), rates, 300, cal) == 4000
    assert period_price(clv, _period(date(2027, 7, 5), date(2027, 7, 16)), rates, 300, cal) == 9 * 900  # 14 July off
    # A period without an open day has no price, flat rate or not.
    assert period_price(clv, _period(date(2027, 7, 17), date(2027, 7, 18)), rates, 300, cal) is None


# --- the set-up file ---------------------------------------------------------------------

WEEK_ON_RS = """
[[activites.RS.tarifs]]
a_partir_du = 2026-09-01
unite = "semaine"
qf_min = 0
prix = "10,00"
"""


def test_a_week_rate_only_on_a_period_activity() -> None:
    text = example_text().replace("[activites.APSM]", WEEK_ON_RS + "\n[activites.APSM]")
    problems = check(text)
    assert [p.key for p in problems] == ["activites.RS.tarifs[4].unite"]
    assert "inscription = \"periode\"" in problems[0].message
    line = text.splitlines()[problems[0].line - 1] if problems[0].line else ""
    assert line.startswith("unite")


def test_week_brackets_are_checked_on_their_own() -> None:
    text = example_text()
    # Overlapping week brackets: 650 already in 0–700 — reported once, at the week rate.
    bad = text.replace('unite = "semaine"\nqf_min = 701', 'unite = "semaine"\nqf_min = 650')
    assert bad != text
    problems = check(bad)
    assert len(problems) == 1 and problems[0].key.endswith(".qf_min")
    assert "chevauchent" in problems[0].message and "à la semaine" in problems[0].message
    # A bad unit word is refused with the possible ones.
    problems = check(text.replace('\nunite = "semaine"\n', '\nunite = "mois"\n', 1))
    assert any(p.key.endswith("tarifs[4].unite") and "jour, periode, semaine" in p.message for p in problems)
    # Day, week and period brackets starting the same day are three sets, not duplicates.
    assert check(text) == []


def test_export_apply_is_a_no_op_and_a_new_day_rate_leaves_week_rates(ctx: Context) -> None:
    init_regie(ctx, name="Régie test", code="TEST", admin_login="admin", password="motdepasse1")
    setup, problems = parse(example_text())
    assert setup is not None and not problems
    apply(ctx, setup)
    units = ctx.db.read(lambda s: sorted(s.execute(select(col(Rate.unit))).scalars()))
    assert units.count("week") == 3 and units.count("period") == 3
    exported = ctx.db.read(lambda s: export(s, the_regie(s, ctx)))
    assert exported.count('unite = "semaine"') == 3 and exported.count('unite = "periode"') == 3
    assert exported.index('prix = "9,00"') < exported.index('unite = "semaine"') < exported.index('unite = "periode"')
    again, problems = parse(exported)
    assert again is not None and not problems
    assert apply(ctx, again).is_noop
    # New day prices for the holiday centre close the day rates only (G3), per unit.
    new_day = "\n".join(f'[[activites.CLV.tarifs]]\na_partir_du = 2027-01-04\nqf_min = {lo}\n'
                        + (f"qf_max = {hi}\n" if hi is not None else "") + 'prix = "10,00"\n'
                        for lo, hi in BRACKETS)
    changed, problems = parse(example_text().replace("# --- Périodes", new_day + "\n# --- Périodes"))
    assert changed is not None and not problems, [str(p) for p in problems]
    plan = apply(ctx, changed)
    closed = [c.name for c in plan.of("modification") if c.kind == "tarif"]
    assert len(closed) == 3 and not any("semaine" in n or "période" in n for n in closed)
    week_ends = ctx.db.read(lambda s: set(s.execute(select(col(Rate.valid_to)).where(col(Rate.unit) != "day"))
                                          .scalars()))
    assert week_ends == {None}
