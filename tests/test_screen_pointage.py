"""The Pointage mode through the Pilot: a class of 60 marked with « tous présents » and the
exceptions, keys counted (under 80); the states, the times asked for APS, présent non
inscrit from the child search, the day changed with the arrows, and the French refusal
when the deadline has passed for an agent."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import Session, col
from textual.widgets import DataTable, Input, Static

from portail_tui.app import PortailApp
from portail_tui.clock import PARIS
from portail_tui.db import Database
from portail_tui.models import Activity, Attendance, Booking, Child, Family, FamilyMember, School
from portail_tui.screens.pointage.dialogs import ChildSearchDialog, TimeDialog
from portail_tui.screens.pointage.screen import PointageScreen
from portail_tui.services.context import Actor, Context
from portail_tui.services.families import refresh_search_text
from portail_tui.widgets.keybar import KeyBar
from tests.support.booking_town import CREATED, Town, build_town

FRIDAY = date(2026, 11, 27)
LATE_DAY = date(2026, 11, 13)
SCHOOL = "École élémentaire Jean-Moulin"
OTHER = "École maternelle Les Coquelicots"
CLASS_SIZE = 60
SIZE = (130, 42)
LAST_NAMES = ["ADAM", "BLANC", "CARON", "DUPONT", "ÉTIENNE", "FABRE", "GARNIER", "HENRY", "ISAAC", "JOLY",
              "KLEIN", "LEROY", "MOREL", "NOËL", "OLIVIER", "PERRIN", "QUENTIN", "ROUX", "SIMON", "THOMAS"]
FIRST_NAMES = ["Anna", "Basile", "Capucine"]


class Desk:
    def __init__(self, town: Town, children: list[int], newcomer: int) -> None:
        self.town = town
        self.children = children  # alphabetical, as the list shows them
        self.newcomer = newcomer


def _build(db: Database) -> Desk:
    town = build_town(db)

    def work(s: Session) -> Desk:
        s.add(School(regie_id=town.regie_id, code="JM", name=SCHOOL, sort_order=1))
        s.add(School(regie_id=town.regie_id, code="CQ", name=OTHER, sort_order=2))
        rs, apss = town.activities["RS"], town.activities["APSS"]
        s.get(Activity, rs).surcharge_cents = 550  # type: ignore[union-attr]
        # The test town's RS has 2 places: the service day lists what was booked, places
        # are not its concern.
        kids: list[tuple[str, str, int]] = []
        for n, last in enumerate(LAST_NAMES):
            f = Family(regie_id=town.regie_id, number=100 + n, name=last, created_at=CREATED, updated_at=CREATED)
            s.add(f)
            s.flush()
            for first in FIRST_NAMES:
                c = Child(last_name=last, first_name=first, school=SCHOOL, school_class="CE1", created_at=CREATED)
                s.add(c)
                s.flush()
                assert c.id is not None and f.id is not None
                s.add(FamilyMember(family_id=f.id, child_id=c.id))
                for act in (rs, apss):
                    s.add(Booking(regie_id=town.regie_id, family_id=f.id, child_id=c.id, activity_id=act,
                                  day=FRIDAY, status="confirmed", price_cents=340, created_at=CREATED,
                                  created_by="agent:guichet", confirmed_at=CREATED))
                    s.add(Booking(regie_id=town.regie_id, family_id=f.id, child_id=c.id, activity_id=act,
                                  day=LATE_DAY, status="confirmed", price_cents=340, created_at=CREATED,
                                  created_by="agent:guichet", confirmed_at=CREATED))
                kids.append((last, first, c.id))
        # One child of the other school, and the MARTIN family's Léa without a booking.
        other = Child(last_name="AUTRE", first_name="Zoé", school=OTHER, created_at=CREATED)
        s.add(other)
        s.flush()
        assert other.id is not None
        s.add(FamilyMember(family_id=town.families["PETIT"], child_id=other.id))
        s.add(Booking(regie_id=town.regie_id, family_id=town.families["PETIT"], child_id=other.id,
                      activity_id=rs, day=FRIDAY, status="confirmed", price_cents=340, created_at=CREATED,
                      created_by="agent:guichet", confirmed_at=CREATED))
        s.flush()
        for family_id in s.execute(select(col(Family.id))).scalars():
            refresh_search_text(s, family_id)
        order = sorted(kids, key=lambda k: (k[0].replace("É", "E").replace("Ë", "E"), k[1]))
        return Desk(town, [k[2] for k in order], town.children["Léa"])

    return db.write(work)


@pytest.fixture
def desk(sqlite_db: Database) -> Desk:
    return _build(sqlite_db)


@pytest.fixture
def ctx(sqlite_db: Database, clock, settings) -> Context:  # type: ignore[no-untyped-def]
    return Context(db=sqlite_db, clock=clock, settings=settings)


class Counting:
    """The Pilot, counting every key the agent presses."""

    def __init__(self, pilot: Any) -> None:
        self.pilot = pilot
        self.keys = 0

    async def press(self, *keys: str) -> None:
        self.keys += len(keys)
        await self.pilot.press(*keys)


async def _settle(pilot: Any, app: PortailApp) -> None:
    for _ in range(4):
        await app.workers.wait_for_complete()
        await pilot.pause()


def _states(db: Database, activity_id: int, day: date) -> dict[int, tuple[str, time | None, time | None]]:
    rows = db.read(lambda s: list(s.execute(select(Attendance).where(
        col(Attendance.activity_id) == activity_id, col(Attendance.day) == day)).scalars()))
    return {r.child_id: (r.state, r.arrived_at, r.left_at) for r in rows}


def _column(table: DataTable[Any], key: str) -> list[str]:
    return [str(v) for v in table.get_column(key)]


async def _open(keys: Counting, app: PortailApp, day: date) -> PointageScreen:
    await keys.press("ctrl+t")
    await _settle(keys.pilot, app)
    screen = app.screen
    assert isinstance(screen, PointageScreen)
    while screen.day > day:
        await keys.press("left")
        await _settle(keys.pilot, app)
    return screen


async def test_a_class_of_60_is_marked_in_under_80_keys(desk: Desk, ctx: Context, sqlite_db: Database) -> None:
    app = PortailApp(ctx, actor=desk.town.agent)
    async with app.run_test(size=SIZE) as pilot:
        keys = Counting(pilot)
        await _settle(pilot, app)
        screen = await _open(keys, app, FRIDAY)
        assert screen.day == FRIDAY
        title = str(screen.query_one("#pt-title", Static).render())
        assert "RESTAURANT SCOLAIRE" in title and "60 enfant(s) attendu(s)" in title
        table = screen.query_one("#pt-table", DataTable)
        assert table.row_count == CLASS_SIZE  # the first school; Zoé is in the other one
        assert [str(v) for v in table.get_row_at(0)[:3]] == ["ADAM", "Anna", "CE1"]
        assert _column(table, "recup")[0] == "—"
        hints = screen.query_one(KeyBar).text
        for word in ("p Présent", "a Absent", "j Justifié", "r Retard", "d Parti tôt", "t Tous présents",
                     "n Non inscrit", "← Jour préc.", "→ Jour suiv."):
            assert f" {word} " in hints, word
        await keys.press("t")
        await _settle(pilot, app)
        # The exceptions: 4th absent, 10th absent justifié, 11th absent (the cursor moved down).
        await keys.press("down", "down", "down", "a")
        await keys.press(*["down"] * 5, "j", "a")
        await _settle(pilot, app)
        assert keys.keys < 80
        states = _states(sqlite_db, desk.town.activities["RS"], FRIDAY)
        assert len(states) == CLASS_SIZE
        expected = {desk.children[3]: "absent", desk.children[9]: "absent_justifie", desk.children[10]: "absent"}
        assert {c: s for c, (s, _, _) in states.items() if s != "present"} == expected
        assert _column(table, "etat")[3] == "absent" and _column(table, "etat")[9] == "absent justifié"
        assert table.cursor_row == 11
        assert "0 à pointer" in str(screen.query_one("#pt-title", Static).render())


async def test_aps_times_unbooked_child_and_school_choice(desk: Desk, ctx: Context, sqlite_db: Database) -> None:
    app = PortailApp(ctx, actor=desk.town.agent)
    async with app.run_test(size=SIZE) as pilot:
        keys = Counting(pilot)
        await _settle(pilot, app)
        screen = await _open(keys, app, FRIDAY)
        screen.activity_id = desk.town.activities["APSS"]
        screen._load()
        await _settle(pilot, app)
        assert "APS SOIR" in str(screen.query_one("#pt-title", Static).render())
        await keys.press("r")
        await _settle(pilot, app)
        assert isinstance(app.screen, TimeDialog)
        field = app.screen.query_one(Input)
        field.value = ""
        await keys.press(*"25h", "enter")
        assert isinstance(app.screen, TimeDialog)  # refused in place
        assert "HH:MM" in str(app.screen.query_one("#pt-time-error", Static).render())
        field.value = ""
        await keys.press(*"17h10", "enter")
        await _settle(pilot, app)
        assert app.screen is screen
        await keys.press("up", "d")
        await _settle(pilot, app)
        app.screen.query_one(Input).value = ""
        await keys.press(*"1800", "enter")
        await _settle(pilot, app)
        first = desk.children[0]
        assert _states(sqlite_db, desk.town.activities["APSS"], FRIDAY)[first] == ("present", time(17, 10),
                                                                                    time(18, 0))
        table = screen.query_one("#pt-table", DataTable)
        assert _column(table, "heures")[0] == "arrivé 17:10 · parti 18:00"
        # A time outside the activity's hours: the service's French refusal, shown here.
        await keys.press("up", "r")
        await _settle(pilot, app)
        app.screen.query_one(Input).value = ""
        await keys.press(*"0900", "enter")
        await _settle(pilot, app)
        status = screen.query_one("#pt-status", Static)
        assert "hors des horaires" in str(status.render()) and status.has_class("error")

        # Présent non inscrit: Léa MARTIN, from the child search, on the restaurant.
        screen.activity_id = desk.town.activities["RS"]
        screen.school_chosen, screen.school = True, None
        screen._load()
        await _settle(pilot, app)
        assert screen.query_one("#pt-table", DataTable).row_count == CLASS_SIZE + 1  # every school
        await keys.press("n")
        await _settle(pilot, app)
        assert isinstance(app.screen, ChildSearchDialog)
        await keys.press(*"lea", "enter")
        await _settle(pilot, app)
        assert app.screen is screen
        assert _states(sqlite_db, desk.town.activities["RS"], FRIDAY)[desk.newcomer][0] == "present_non_inscrit"
        assert "5,50\xa0€" in str(screen.query_one("#pt-status", Static).render())
        assert "présent non inscrit" in _column(screen.query_one("#pt-table", DataTable), "etat")


async def test_after_the_deadline_an_agent_is_refused_in_the_screen(desk: Desk, ctx: Context,
                                                                   sqlite_db: Database) -> None:
    app = PortailApp(ctx, actor=desk.town.agent)
    async with app.run_test(size=SIZE) as pilot:
        keys = Counting(pilot)
        await _settle(pilot, app)
        screen = await _open(keys, app, LATE_DAY)
        status = screen.query_one("#pt-status", Static)
        assert "seul un régisseur" in str(status.render())
        await keys.press("p")
        await _settle(pilot, app)
        assert "seul un régisseur" in str(status.render()) and status.has_class("error")
        await keys.press("t")
        await _settle(pilot, app)
        assert _states(sqlite_db, desk.town.activities["RS"], LATE_DAY) == {}
    regisseur = Actor(kind="agent", login="chef", regie_id=desk.town.regie_id, full_name="Régisseur",
                      role="regisseur")
    app = PortailApp(ctx, actor=regisseur)
    async with app.run_test(size=SIZE) as pilot:
        keys = Counting(pilot)
        await _settle(pilot, app)
        screen = await _open(keys, app, LATE_DAY)
        await keys.press("t")
        await _settle(pilot, app)
        assert len(_states(sqlite_db, desk.town.activities["RS"], LATE_DAY)) == CLASS_SIZE


async def test_the_day_moves_with_the_arrows_and_the_date_field(desk: Desk, ctx: Context, clock) -> None:  # type: ignore[no-untyped-def]
    clock.set(datetime(2026, 11, 28, 10, 0, tzinfo=PARIS))
    app = PortailApp(ctx, actor=desk.town.agent)
    async with app.run_test(size=SIZE) as pilot:
        keys = Counting(pilot)
        await _settle(pilot, app)
        screen = await _open(keys, app, date(2026, 11, 28))
        assert "Aucune activité" in str(screen.query_one("#pt-status", Static).render())  # Saturday
        await keys.press("left")
        await _settle(pilot, app)
        assert screen.day == FRIDAY and screen.query_one("#pt-table", DataTable).row_count == CLASS_SIZE
        await keys.press("right", "right")
        await _settle(pilot, app)
        assert screen.day == date(2026, 11, 29)
        day = screen.query_one("#pt-day", Input)
        day.focus()
        day.value = "32/13/2026"
        await keys.press("enter")
        await _settle(pilot, app)
        assert "Date invalide" in str(screen.query_one("#pt-status", Static).render())
        day.value = "13/11/2026"
        await keys.press("enter")
        await _settle(pilot, app)
        assert screen.day == LATE_DAY and screen.query_one("#pt-table", DataTable).has_focus


async def test_accueil_tells_the_régisseur_what_nobody_marked_yesterday(desk: Desk, ctx: Context) -> None:
    regisseur = Actor(kind="agent", login="chef", regie_id=desk.town.regie_id, full_name="Régisseur",
                      role="regisseur")
    app = PortailApp(ctx, actor=regisseur)
    async with app.run_test(size=SIZE) as pilot:
        await _settle(pilot, app)
        alert = str(app.screen.query_one("#pointage-alert", Static).render())
        assert "121 pointages non faits hier (RESTAURANT SCOLAIRE : 61, APS SOIR : 60)" in alert
    app = PortailApp(ctx, actor=desk.town.agent)  # an agent is not told
    async with app.run_test(size=SIZE) as pilot:
        await _settle(pilot, app)
        assert str(app.screen.query_one("#pointage-alert", Static).render()) == ""
