"""Hypothesis state machine over the booking and wallet services together: random
sequences of bookings (days and holiday periods, shared custody, exclusions, scarce
places), cancellations, payments, reversals, refunds and clock moves. After every
step the invariants hold:

- each slot's counter equals its confirmed bookings and never exceeds the capacity;
- a child waits only for a day (or period) that is full;
- the live bookings are exactly those the model expects (nothing lost, nothing extra);
- each family's solde equals its entries minus what it consumed (computed again in
  bare SQL), and its entries sum to what the model recorded;
- receipt numbers run 1..n without a gap, the counter at n.

SQLite (a fresh copy of a tiny controlled town per example); the same services on
PostgreSQL are exercised by the stress and concurrency tests."""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import date, datetime, timedelta
from itertools import count
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
)
from sqlalchemy import text, update

from portail_tui.clock import PARIS, FixedClock
from portail_tui.db import Database, upgrade
from portail_tui.models import Activity
from portail_tui.services import payments, wallet
from portail_tui.services.booking import BOOK, CANCEL, CartLine, validate_cart
from portail_tui.services.context import Actor, Context, ServiceError
from tests.support.booking_town import Town, build_town

START = datetime(2026, 11, 28, 10, 0, tzinfo=PARIS)  # Saturday
# Mostly two days, so children collide on the same places; also Monday (RS deadline
# today 11:45), Wednesday (CLM only), the closure of 11 December and a day that enters
# the 15-day consumption window as the clock moves.
DAYS = [date(2026, 12, 1)] * 4 + [date(2026, 12, 3)] * 2 + [date(2026, 11, 30), date(2026, 12, 2),
                                                             date(2026, 12, 11), date(2026, 12, 14)]
# R6: what is dated up to today + 15 days is consumed (written here, not imported, so
# the check does not share the service's constant); 14 December starts outside it.
CONSUMED_DAYS = 15
DAY_CODES = ["RS"] * 4 + ["APSM", "APSS", "APSF", "CLM"]
PERIODS = ["noel", "noel-s1", "noel-s2"]
# Rattachements (Noé in shared custody), three times as likely as the wrong pairs.
LINKS = [("MARTIN", "Léa"), ("MARTIN", "Noé"), ("DURAND", "Noé"), ("DURAND", "Jade"), ("PETIT", "Hugo"),
         ("BERNARD", "Chloé")] * 3 + [("PETIT", "Léa"), ("BERNARD", "Noé")]
PERIOD_LINKS = [link for link in LINKS if link[0] != "PETIT"]  # the PETIT family has no quotient rate issue
MAX_ADVANCE = timedelta(days=4)
EXAMPLES = 20
STEPS = 40

_files = count()
SEEN: Counter[str] = Counter()  # what the examples went through, checked at the end


class BookingWalletMachine(RuleBasedStateMachine):
    template: Path
    town: Town
    folder: Path

    payments_made = Bundle("payments")

    def __init__(self) -> None:
        super().__init__()
        path = self.folder / f"fuzz-{next(_files)}.db"
        shutil.copyfile(self.template, path)
        self.path = path
        self.db = Database(f"sqlite:///{path}")
        self.clock = FixedClock(START)
        town = self.town
        self.agent = Context(db=self.db, clock=self.clock, actor=town.agent)
        self.regisseur = self.agent.as_actor(Actor(kind="agent", login="regie", regie_id=town.regie_id,
                                                   full_name="Régisseur de test", role="regisseur"))
        # The model: live bookings (child, activity, day, period) -> family, entries per family.
        self.live: dict[tuple[int, int, date | None, int | None], int] = {}
        self.paid: dict[int, int] = dict.fromkeys(town.families.values(), 0)
        # Cash taken per family and day, net of reversals: the ceiling is per day (CGI 1680).
        self.cash: dict[tuple[int, date], int] = {}
        self.entries = 0
        self.steps_since_clock = 0
        self.links = {(f, c) for f, c in self.db.read(lambda s: s.execute(
            text("SELECT family_id, child_id FROM family_member")).all())}

    def teardown(self) -> None:
        self.db.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    @initialize()
    def nothing_booked_yet(self) -> None:
        assert self.db.read(lambda s: s.execute(text("SELECT COUNT(*) FROM booking")).scalar_one()) == 0

    # --- bookings ---------------------------------------------------------------------

    def _cart(self, family: str, child: str, line: CartLine) -> None:
        fid = self.town.families[family]
        cid = self.town.children[child]
        key = line.key
        before = self._statuses(line)
        result = validate_cart(self.agent, fid, [line])
        out = result.outcomes[0]
        SEEN[out.outcome] += 1
        SEEN["promoted"] += result.promoted
        linked = (fid, cid) in self.links
        if line.action == BOOK:
            if out.outcome in ("confirmed", "waiting"):
                assert linked and key not in self.live, (out, key)
                self.live[key] = fid
            else:
                assert out.outcome == "refused", out
                assert "réessayez" not in out.reason and "entre-temps" not in out.reason, out.reason
                if not linked:
                    assert "non rattaché" in out.reason
                elif key in self.live:
                    assert "déjà réservé" in out.reason, out.reason
            assert result.promoted == 0
        else:
            if out.outcome == "cancelled":
                assert linked and self.live.get(key) == fid, (out, key)
                del self.live[key]
                own, waiting = before
                # A freed place goes to the first child waiting, if any.
                assert result.promoted == (1 if own == "confirmed" and waiting else 0), (before, result)
            else:
                assert out.outcome == "refused", out
                assert "réessayez" not in out.reason and "entre-temps" not in out.reason, out.reason
                if linked and key not in self.live:
                    assert "aucune réservation" in out.reason, out.reason
                elif linked and self.live[key] != fid:
                    assert "autre famille" in out.reason, out.reason
                assert result.promoted == 0

    def _statuses(self, line: CartLine) -> tuple[str | None, int]:
        """This child's booking status and how many wait, for the same place."""
        where = "day = :d" if line.day is not None else "period_id = :p"
        params = {"c": line.child_id, "a": line.activity_id, "d": line.day, "p": line.period_id}

        def work(s):  # type: ignore[no-untyped-def]
            own = s.execute(text(f"SELECT status FROM booking WHERE child_id = :c AND activity_id = :a AND {where}"
                                 " AND status <> 'cancelled'"), params).scalar()
            waiting = s.execute(text(f"SELECT COUNT(*) FROM booking WHERE activity_id = :a AND {where}"
                                     " AND status = 'waiting'"), params).scalar_one()
            return own, waiting

        return self.db.read(work)

    @rule(link=st.sampled_from(LINKS), code=st.sampled_from(DAY_CODES), day=st.sampled_from(DAYS),
          cancel=st.sampled_from([False] * 5 + [True]))
    def day_line(self, link: tuple[str, str], code: str, day: date, cancel: bool) -> None:
        family, child = link
        line = CartLine(action=CANCEL if cancel else BOOK, child_id=self.town.children[child],
                        activity_id=self.town.activities[code], day=day)
        self._cart(family, child, line)

    @rule(link=st.sampled_from(PERIOD_LINKS), period=st.sampled_from(PERIODS),
          cancel=st.sampled_from([False, False, True]))
    def period_line(self, link: tuple[str, str], period: str, cancel: bool) -> None:
        family, child = link
        line = CartLine(action=CANCEL if cancel else BOOK, child_id=self.town.children[child],
                        activity_id=self.town.activities["CLV"], period_id=self.town.periods[period])
        self._cart(family, child, line)

    @precondition(lambda self: bool(self.live))
    @rule(data=st.data())
    def cancel_a_live_booking(self, data: st.DataObject) -> None:
        key = data.draw(st.sampled_from(sorted(self.live, key=str)))
        child_id, activity_id, day, period_id = key
        fid = self.live[key]
        family = next(n for n, i in self.town.families.items() if i == fid)
        child = next(n for n, i in self.town.children.items() if i == child_id)
        self._cart(family, child, CartLine(action=CANCEL, child_id=child_id, activity_id=activity_id, day=day,
                                           period_id=period_id))

    @rule(pair=st.sampled_from([(("MARTIN", "Léa"), ("PETIT", "Hugo")), (("DURAND", "Jade"), ("BERNARD", "Chloé")),
                                (("BERNARD", "Chloé"), ("MARTIN", "Léa"))]),
          code=st.sampled_from(["RS", "APSM", "APSS"]), day=st.sampled_from(DAYS[:6]))
    def crowd(self, pair: tuple[tuple[str, str], tuple[str, str]], code: str, day: date) -> None:
        """Steer towards full places: two children of different families want the same one."""
        for family, child in pair:
            self._cart(family, child, CartLine(action=BOOK, child_id=self.town.children[child],
                                               activity_id=self.town.activities[code], day=day))

    @precondition(lambda self: bool(self.live))
    @rule()
    def cancel_where_a_child_waits(self) -> None:
        """Steer towards promotions: cancel a confirmed booking of a day someone waits for."""
        row = self.db.read(lambda s: s.execute(text(
            "SELECT b.child_id, b.activity_id, b.day, b.family_id FROM booking b WHERE b.status = 'confirmed'"
            " AND b.day IS NOT NULL AND EXISTS (SELECT 1 FROM booking w WHERE w.activity_id = b.activity_id"
            " AND w.day = b.day AND w.status = 'waiting') ORDER BY b.id LIMIT 1")).first())
        if row is None:
            return
        child_id, activity_id, day, fid = row
        family = next(n for n, i in self.town.families.items() if i == fid)
        child = next(n for n, i in self.town.children.items() if i == child_id)
        self._cart(family, child, CartLine(action=CANCEL, child_id=child_id, activity_id=activity_id,
                                           day=date.fromisoformat(str(day))))

    # --- money ------------------------------------------------------------------------

    @rule(target=payments_made, family=st.sampled_from(["MARTIN", "DURAND", "PETIT", "BERNARD"]),
          amount=st.integers(-100, 40_000), mode=st.sampled_from(["especes", "cb", "cheque", "virement"]))
    def pay(self, family: str, amount: int, mode: str):  # type: ignore[no-untyped-def]
        fid = self.town.families[family]
        cheque = ({"cheque_number": "1234567", "cheque_bank": "Banque", "cheque_drawer": "Tireur"}
                  if mode == "cheque" else {})
        day = self.clock.today()
        cash_before = self.cash.get((fid, day), 0)
        refused = amount <= 0 or (mode == "especes" and cash_before + amount > 30_000)
        try:
            receipt = payments.take_payment(self.agent, fid, amount_cents=amount, mode=mode, **cheque)
        except ServiceError:
            assert refused
            return multiple()
        assert not refused
        SEEN["payment"] += 1
        self.entries += 1
        assert receipt.receipt_number == self.entries
        self.paid[fid] += amount
        assert receipt.solde_after_cents == self._solde_sql(fid)
        if mode == "especes":
            self.cash[(fid, day)] = cash_before + amount
        return (receipt.payment_id, fid, amount, mode, day)

    @rule(payment=consumes(payments_made))
    def reverse(self, payment: tuple[int, int, int, str, date]) -> None:
        pid, fid, amount, mode, day = payment
        receipt = payments.reverse_payment(self.regisseur, pid, reason="Erreur de saisie")
        SEEN["reversal"] += 1
        self.entries += 1
        self.paid[fid] -= amount
        if mode == "especes":
            self.cash[(fid, day)] -= amount  # a reversed cash payment frees its day's allowance
        assert receipt.receipt_number == self.entries and receipt.amount_cents == -amount
        with pytest.raises(ServiceError, match="déjà été annulée"):
            payments.reverse_payment(self.regisseur, pid, reason="Deux fois")

    @rule(family=st.sampled_from(["MARTIN", "DURAND", "PETIT", "BERNARD"]), amount=st.integers(1, 20_000))
    def refund(self, family: str, amount: int) -> None:
        fid = self.town.families[family]
        available = self._solde_sql(fid)
        try:
            payments.refund(self.regisseur, fid, amount_cents=amount, mode="virement", reason="Trop-perçu")
        except ServiceError:
            assert available <= 0 or amount > available
            return
        assert 0 < amount <= available
        SEEN["refund"] += 1
        self.entries += 1
        self.paid[fid] -= amount

    # --- time -------------------------------------------------------------------------

    @precondition(lambda self: self.steps_since_clock >= 6)
    @rule(hours=st.integers(1, 30))
    def clock_moves(self, hours: int) -> None:
        self.steps_since_clock = 0
        if self.clock.now() + timedelta(hours=hours) - START <= MAX_ADVANCE:
            self.clock.advance(timedelta(hours=hours))
            SEEN["clock"] += 1

    # --- invariants -------------------------------------------------------------------

    def _solde_sql(self, fid: int) -> int:
        limit = self.clock.today() + timedelta(days=CONSUMED_DAYS)

        def work(s):  # type: ignore[no-untyped-def]
            paid = s.execute(text("SELECT COALESCE(SUM(amount_cents), 0) FROM payment WHERE family_id = :f"),
                             {"f": fid}).scalar_one()
            consumed = s.execute(text(
                "SELECT COALESCE(SUM(b.price_cents), 0) FROM booking b LEFT JOIN period p ON p.id = b.period_id"
                " WHERE b.family_id = :f AND b.status = 'confirmed' AND COALESCE(b.day, p.first_day) <= :l"),
                {"f": fid, "l": limit}).scalar_one()
            return int(paid) - int(consumed)

        return self.db.read(work)

    @invariant()
    def places_never_over_capacity_and_counters_exact(self) -> None:
        self.steps_since_clock += 1
        today = self.clock.today()
        rows = self.db.read(lambda s: s.execute(text(
            "SELECT s.capacity, s.taken, s.day, p.first_day,"
            " (SELECT COUNT(*) FROM booking b WHERE b.activity_id = s.activity_id AND b.status = 'confirmed'"
            "   AND (b.day = s.day OR b.period_id = s.period_id)),"
            " (SELECT COUNT(*) FROM booking b WHERE b.activity_id = s.activity_id AND b.status = 'waiting'"
            "   AND (b.day = s.day OR b.period_id = s.period_id))"
            " FROM slot s LEFT JOIN period p ON p.id = s.period_id")).all())
        for capacity, taken, day, first_day, confirmed, waiting in rows:
            assert taken == confirmed
            assert capacity is None or taken <= capacity
            starts = date.fromisoformat(str(day or first_day))
            if waiting and starts >= today:
                assert capacity is not None and taken == capacity, "waiting while places are free"

    @invariant()
    def live_bookings_are_the_model(self) -> None:
        rows = self.db.read(lambda s: s.execute(text(
            "SELECT child_id, activity_id, day, period_id, family_id FROM booking WHERE status <> 'cancelled'")).all())
        found = {(c, a, date.fromisoformat(d) if d else None, p): f for c, a, d, p, f in rows}
        assert found == self.live

    @invariant()
    def solde_equals_entries(self) -> None:
        for fid, paid in self.paid.items():
            assert self.db.read(lambda s, fid=fid: wallet.paid_cents(s, fid)) == paid
            assert wallet.family_solde(self.agent, fid) == self._solde_sql(fid)
            figures = wallet.wallet_figures(self.agent, fid)
            assert figures.paid_cents == paid and figures.solde_cents == self._solde_sql(fid)

    @invariant()
    def receipts_gapless(self) -> None:
        numbers = self.db.read(lambda s: [r[0] for r in s.execute(
            text("SELECT receipt_number FROM payment ORDER BY receipt_number")).all()])
        assert numbers == list(range(1, self.entries + 1))
        counter = self.db.read(lambda s: s.execute(text("SELECT MAX(last_number) FROM receipt_counter")).scalar())
        assert (counter or 0) == self.entries


def test_booking_and_wallet_services_keep_their_invariants(tmp_path: Path) -> None:
    template = tmp_path / "town.db"
    db = Database(f"sqlite:///{template}")
    upgrade(db)
    town = build_town(db)
    # Scarce places everywhere, so waiting lists and promotions happen in few steps.
    db.write(lambda s: s.execute(update(Activity).where(Activity.code.in_(["RS", "APSM", "APSS", "APSF"]))
                                 .values(capacity=1)))
    db.dispose()
    BookingWalletMachine.template = template
    BookingWalletMachine.town = town
    BookingWalletMachine.folder = tmp_path
    from hypothesis.stateful import run_state_machine_as_test

    SEEN.clear()
    run_state_machine_as_test(BookingWalletMachine, settings=settings(
        max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None, derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
    # The sequences went through every path the invariants are about.
    for what in ("confirmed", "waiting", "cancelled", "refused", "promoted", "payment", "reversal", "refund",
                 "clock"):
        assert SEEN[what] > 0, (what, SEEN)
