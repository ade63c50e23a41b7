"""The Réservations tab driven with the keyboard, as an agent on the phone would:
open a day (Enter), toggle (Space), exclusions, recap removal, Annuler, Valider,
semaine type, holiday period, and a cancellation that gives the place to a waiting
child. Demo town, pinned clock (Saturday 28 November 2026 10:00), 120×40 terminal."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select, update
from textual.widgets import DataTable, Input

from portail_tui.app import PortailApp
from portail_tui.clock import PARIS, FixedClock
from portail_tui.domain.day_states import DayState
from portail_tui.models import Booking, OutboxMessage, Slot
from portail_tui.screens.dossier.editor import ConfirmScreen
from portail_tui.screens.reservations.day import DayDialog
from portail_tui.screens.reservations.pattern import PatternDialog
from portail_tui.screens.reservations.period import PeriodDialog
from portail_tui.screens.reservations.recap import RecapDialog
from portail_tui.screens.reservations.screen import ReservationsScreen
from portail_tui.services.booking import (
    BOOK,
    CartLine,
    booking_children,
    day_options,
    validate_cart,
)
from portail_tui.services.context import Actor, Context
from portail_tui.services.families import family_by_number
from portail_tui.widgets.month_calendar import MonthCalendar

SIZE = (120, 40)


async def settle(app: PortailApp, pilot) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


async def open_tab(app: PortailApp, pilot, family_id: int) -> ReservationsScreen:  # type: ignore[no-untyped-def]
    await pilot.press("f4")
    app.select_family(family_id)
    await settle(app, pilot)
    screen = app.screen
    assert isinstance(screen, ReservationsScreen)
    return screen


async def go_to(app: PortailApp, pilot, day: date) -> MonthCalendar:  # type: ignore[no-untyped-def]
    cal = app.screen.query_one(MonthCalendar)
    for _ in range(80):
        if cal.cursor == day:
            break
        await pilot.press("right" if cal.cursor < day else "left")
    assert cal.cursor == day
    await settle(app, pilot)
    return cal


def free_day(ctx: Context, family_id: int, child_id: int, codes: set[str]) -> date:
    """A December day where the child has none of `codes` booked and all are open."""
    for n in range(1, 18):
        d = date(2026, 12, n)
        if d.weekday() in (2, 5, 6):
            continue
        opts = day_options(ctx, family_id, child_id, d)
        chosen = [o for o in opts.options if o.rule.code in codes]
        if len(chosen) == len(codes) and all(o.booked_status is None and o.book.ok for o in chosen):
            return d
    raise AssertionError("no free day in the demo town")


def live(ctx: Context, **where: object) -> list[Booking]:
    def work(s):  # type: ignore[no-untyped-def]
        stmt = select(Booking).where(Booking.status != "cancelled")
        for k, v in where.items():
            stmt = stmt.where(getattr(Booking, k) == v)
        return list(s.execute(stmt).scalars())

    return ctx.db.read(work)


@pytest.fixture
def actx(sqlite_demo_ctx: Context, agent: Actor) -> Context:
    return sqlite_demo_ctx.as_actor(agent)


@pytest.fixture
def family(actx: Context) -> tuple[int, int, int]:
    fid = family_by_number(actx, 1)
    kids = booking_children(actx, fid)
    return fid, kids[0].id, kids[1].id


async def test_calendar_states_in_words_and_month_keys(actx: Context, agent: Actor,
                                                       family: tuple[int, int, int]) -> None:
    app = PortailApp(actx, actor=agent)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tab(app, pilot, family[0])
        cal = screen.query_one(MonthCalendar)
        assert cal.has_focus and cal.cursor == date(2026, 11, 30)  # Saturday: next weekday
        text = cal.render().plain
        assert "Novembre 2026" in text and "Lun" in text and "Ven" in text and "Sam" not in text
        assert "Lundi 30 novembre 2026 : ouvert" in text
        assert cal.cell(date(2026, 11, 27)).state is DayState.CLOSED  # yesterday
        await pilot.press("pagedown")
        await settle(app, pilot)
        assert (cal.year, cal.month) == (2026, 12) and cal.loaded
        assert "Décembre 2026" in cal.render().plain
        assert cal.cell(date(2026, 12, 25)).state is DayState.NOTHING
        await pilot.press("pagedown", "pagedown")
        await settle(app, pilot)
        assert cal.cell(date(2027, 2, 1)).state is DayState.NOT_YET_OPEN
        assert "pas encore ouvert" in cal.render().plain
        await pilot.press("home")
        await settle(app, pilot)
        assert cal.cursor == date(2026, 11, 30)


async def test_book_a_day_with_enter_space_and_valider(actx: Context, agent: Actor,
                                                      family: tuple[int, int, int]) -> None:
    fid, lea, _ = family
    day = free_day(actx, fid, lea, {"APSM"})
    app = PortailApp(actx, actor=agent)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tab(app, pilot, fid)
        cal = await go_to(app, pilot, day)
        await pilot.press("enter")
        await settle(app, pilot)
        dialog = app.screen
        assert isinstance(dialog, DayDialog)
        codes = [o.rule.code for o in dialog.options.options]
        for _ in range(codes.index("APSM")):
            await pilot.press("down")
        row = codes.index("APSM")

        def line_colour() -> str:
            cell = dialog.query_one("#day-table", DataTable).get_row_at(row)[0]
            return cell.style.bgcolor.triplet.hex

        assert line_colour() == "#5fd75f"  # may be chosen: the calendar's open green (app.tcss)
        await pilot.press("space")
        assert [line.activity_id for line in screen.cart.lines()] == [dialog.options.options[codes.index("APSM")].activity_id]
        assert line_colour() == "#ffaf5f"  # chosen: the calendar's pending orange
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen is screen
        assert cal.cell(day).state is DayState.PENDING
        assert "en cours" in cal.render().plain
        await pilot.press("v")
        await settle(app, pilot)
        assert isinstance(app.screen, RecapDialog)
        await pilot.press("v")
        await settle(app, pilot)
        recap = app.screen
        assert isinstance(recap, RecapDialog) and recap.result is not None
        assert recap.result.summary == "1 réservation enregistrée."
        await pilot.press("escape")
        await settle(app, pilot)
        assert not screen.cart
        assert "M" in cal.cell(day).letters and cal.cell(day).state is DayState.OPEN
    rows = live(actx, child_id=lea, day=day)
    assert any(b.created_by == "agent:agent" and b.status == "confirmed" for b in rows)


async def test_exclusions_live_in_the_day_dialog(actx: Context, agent: Actor,
                                                family: tuple[int, int, int]) -> None:
    fid, lea, _ = family
    day = free_day(actx, fid, lea, {"APSM", "APSS", "APSF"})
    app = PortailApp(actx, actor=agent)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tab(app, pilot, fid)
        await go_to(app, pilot, day)
        await pilot.press("enter")
        await settle(app, pilot)
        dialog = app.screen
        assert isinstance(dialog, DayDialog)
        codes = [o.rule.code for o in dialog.options.options]
        ids = {o.rule.code: o.activity_id for o in dialog.options.options}

        async def pick(code: str) -> None:
            table = dialog.query_one("#day-table")
            table.move_cursor(row=codes.index(code))
            await pilot.press("space")

        await pick("APSM")
        await pick("APSS")
        assert {line.activity_id for line in screen.cart.lines()} == {ids["APSM"], ids["APSS"]}
        await pick("APSF")  # the forfait removes APS MATIN and APS SOIR
        assert [line.activity_id for line in screen.cart.lines()] == [ids["APSF"]]
        await pick("APSM")  # now unavailable: refused with a reason, cart unchanged
        assert [line.activity_id for line in screen.cart.lines()] == [ids["APSF"]]
        message = str(dialog.query_one("#day-message").render())
        assert "APS FORFAIT" in message
        table_text = " ".join(str(c) for c in dialog.query_one("#day-table").get_row_at(codes.index("APSM")))
        assert "[/]" in table_text and "exclu par APS FORFAIT" in table_text


async def test_recap_removal_and_annuler(actx: Context, agent: Actor, family: tuple[int, int, int]) -> None:
    fid, lea, noe = family
    day_lea = free_day(actx, fid, lea, {"APSM"})
    before = len(live(actx, family_id=fid))
    app = PortailApp(actx, actor=agent)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tab(app, pilot, fid)
        cal = await go_to(app, pilot, day_lea)
        for _ in range(2):  # two lines: APS MATIN on this day and the next weekday
            await pilot.press("enter")
            await settle(app, pilot)
            dialog = app.screen
            assert isinstance(dialog, DayDialog)
            codes = [o.rule.code for o in dialog.options.options]
            if "APSM" in codes:
                dialog.query_one("#day-table").move_cursor(row=codes.index("APSM"))
                await pilot.press("space")
            await pilot.press("escape")
            await settle(app, pilot)
            await pilot.press("right")
            await settle(app, pilot)
        lines = screen.cart.lines()
        assert len(lines) >= 1
        await pilot.press("v")
        await settle(app, pilot)
        recap = app.screen
        assert isinstance(recap, RecapDialog)
        assert recap.query_one("#recap-table").row_count == len(lines)
        await pilot.press("delete")  # the guide's red cross on the first line
        assert len(screen.cart) == len(lines) - 1
        await pilot.press("escape")  # Fermer: back to the calendar, the rest still pending
        await settle(app, pilot)
        assert len(screen.cart) == len(lines) - 1
        await pilot.press("a")  # Annuler: drop every pending change, once confirmed
        await settle(app, pilot)
        if len(lines) > 1:
            assert isinstance(app.screen, ConfirmScreen) and len(screen.cart) == len(lines) - 1
            await pilot.press("o")
            await settle(app, pilot)
        assert not screen.cart
        assert cal.cell(day_lea).state is not DayState.PENDING
    assert len(live(actx, family_id=fid)) == before  # nothing recorded


async def test_late_day_refused_in_dialog(actx: Context, agent: Actor, family: tuple[int, int, int]) -> None:
    fid, lea, _ = family
    clock = actx.clock
    assert isinstance(clock, FixedClock)
    clock.set(datetime(2026, 11, 28, 18, 0, tzinfo=PARIS))  # past every Monday 30 deadline
    app = PortailApp(actx, actor=agent)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tab(app, pilot, fid)
        cal = screen.query_one(MonthCalendar)
        assert cal.cell(date(2026, 11, 30)).state is DayState.CLOSED
        await pilot.press("enter")
        await settle(app, pilot)
        dialog = app.screen
        assert isinstance(dialog, DayDialog)
        free = [i for i, o in enumerate(dialog.options.options) if o.booked_status is None]
        dialog.query_one("#day-table").move_cursor(row=free[0])
        await pilot.press("space")
        assert not screen.cart
        assert "délai dépassé" in str(dialog.query_one("#day-message").render())


async def test_semaine_type_fills_the_cart_then_valider(actx: Context, agent: Actor,
                                                       family: tuple[int, int, int]) -> None:
    fid, _, noe = family
    app = PortailApp(actx, actor=agent)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tab(app, pilot, fid)
        await pilot.press("e")  # second child
        await settle(app, pilot)
        assert screen.child_id == noe
        await pilot.press("t")
        await settle(app, pilot)
        dialog = app.screen
        assert isinstance(dialog, PatternDialog)
        labels = [a.label for a in dialog.activities]
        for _ in range(labels.index("APS SOIR")):
            await pilot.press("down")
        await pilot.press("space")  # APS SOIR; weekdays default to Mon, Tue, Thu, Fri
        choice = str(dialog.query_one("#pattern-choice").render())
        assert choice == "Choix : APS SOIR — lundi, mardi, jeudi, vendredi"
        await pilot.press("tab", "tab", "tab")  # weekdays, Du, Au
        await pilot.press("enter")
        await settle(app, pilot)
        added = len(screen.cart)
        assert added > 5
        assert "ajouté" in str(dialog.query_one("#pattern-message").render())
        assert all(line.child_id == noe and line.action == BOOK for line in screen.cart.lines())
        await pilot.press("escape")
        await settle(app, pilot)
        await pilot.press("v")
        await settle(app, pilot)
        await pilot.press("v")
        await settle(app, pilot)
        recap = app.screen
        assert isinstance(recap, RecapDialog) and recap.result is not None
        assert len(recap.result.confirmed) + len(recap.result.waiting) == added


async def test_holiday_period_booked_as_a_whole(actx: Context, agent: Actor,
                                               family: tuple[int, int, int]) -> None:
    fid, lea, _ = family
    app = PortailApp(actx, actor=agent)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tab(app, pilot, fid)
        cal = await go_to(app, pilot, date(2026, 12, 22))
        await pilot.press("enter")  # a holiday day opens the periods (P does the same)
        await settle(app, pilot)
        dialog = app.screen
        assert isinstance(dialog, PeriodDialog)
        first = dialog.options[0]
        assert first.period.label.startswith("Vacances de Noël") and first.book.ok
        await pilot.press("space")
        assert [line.period_id for line in screen.cart.lines()] == [first.period.id]
        await pilot.press("down")
        await pilot.press("space")  # a week of the same holiday: already covered
        assert len(screen.cart) == 1
        await pilot.press("escape")
        await settle(app, pilot)
        assert cal.cell(first.period.first_day).state is DayState.PENDING
        await pilot.press("v")
        await settle(app, pilot)
        await pilot.press("v")
        await settle(app, pilot)
        assert app.screen.result.summary == "1 réservation enregistrée."  # type: ignore[attr-defined]
    rows = live(actx, child_id=lea, period_id=first.period.id)
    assert len(rows) == 1 and rows[0].price_cents > 0


async def test_cancellation_gives_the_place_to_the_waiting_child(actx: Context, agent: Actor,
                                                               family: tuple[int, int, int]) -> None:
    fid, lea, _ = family
    day = free_day(actx, fid, lea, {"APSM"})
    apsm = next(o.activity_id for o in day_options(actx, fid, lea, day).options if o.rule.code == "APSM")
    validate_cart(actx, fid, [CartLine(BOOK, lea, apsm, day)])
    # The slot becomes full, and a child of family 2 goes on the waiting list.
    actx.db.write(lambda s: s.execute(update(Slot).where(Slot.activity_id == apsm, Slot.day == day)
                                      .values(capacity=Slot.taken)))
    other = family_by_number(actx, 2)
    other_child = booking_children(actx, other)[0].id
    waiting = validate_cart(actx, other, [CartLine(BOOK, other_child, apsm, day)])
    assert len(waiting.waiting) == 1
    app = PortailApp(actx, actor=agent)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tab(app, pilot, fid)
        await go_to(app, pilot, day)
        await pilot.press("enter")
        await settle(app, pilot)
        dialog = app.screen
        assert isinstance(dialog, DayDialog)
        codes = [o.rule.code for o in dialog.options.options]
        dialog.query_one("#day-table").move_cursor(row=codes.index("APSM"))
        await pilot.press("space")  # unbooking = a pending cancellation
        assert [line.action for line in screen.cart.lines()] == ["cancel"]
        await pilot.press("v")  # straight from the day to the recap
        await settle(app, pilot)
        assert isinstance(app.screen, RecapDialog)
        await pilot.press("v")
        await settle(app, pilot)
        result = app.screen.result  # type: ignore[attr-defined]
        assert len(result.cancelled) == 1 and result.promoted == 1
        assert "attribuée à un enfant en attente" in result.summary
    promoted = live(actx, child_id=other_child, day=day, activity_id=apsm)
    assert promoted[0].status == "confirmed"
    mails = actx.db.read(lambda s: list(s.execute(
        select(OutboxMessage).where(OutboxMessage.kind == "booking_promoted")).scalars()))
    assert len(mails) == 1 and mails[0].family_id == other


async def test_suivi_tab_lists_and_exports(actx: Context, agent: Actor, family: tuple[int, int, int]) -> None:
    fid, _, _ = family
    app = PortailApp(actx, actor=agent)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tab(app, pilot, fid)
        await pilot.press("f9")
        await settle(app, pilot)
        table = screen.query_one("#suivi-table")
        assert screen.suivi_result is not None and table.row_count == len(screen.suivi_result.lines) > 0
        assert all(line.first_day > date(2026, 12, 13) for line in screen.suivi_result.lines)
        await pilot.press("f6")
        await settle(app, pilot)
        assert screen.last_export is not None and screen.last_export.name.endswith(".csv")
        assert screen.last_export.read_bytes().startswith("\ufeffDate;".encode())
        # Gestion keys are off in the suivi section.
        await pilot.press("v")
        await settle(app, pilot)
        assert app.screen is screen


async def test_pattern_month_in_one_key_then_valider_within_15_keys(actx: Context, agent: Actor,
                                                                    family: tuple[int, int, int]) -> None:
    """APS MATIN Mon/Tue/Thu/Fri for January, from the open family to the recorded bookings
    (31 keys for the canteen when both dates had to be typed; Léa's canteen is booked already)."""
    fid, lea, _ = family
    app = PortailApp(actx, actor=agent)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tab(app, pilot, fid)
        keys: list[str] = []

        async def press(*k: str) -> None:
            keys.extend(k)
            for key in k:
                await pilot.press(key)
                await settle(app, pilot)

        await press("t")
        dialog = app.screen
        assert isinstance(dialog, PatternDialog)
        ranges = str(dialog.query_one("#pattern-ranges").render())
        assert "3 janvier 2027" in ranges and "0 jusqu'au" in ranges
        labels = [a.label for a in dialog.activities]
        await press(*["down"] * labels.index("APS MATIN"), "space")
        await press("3")  # January 2027, added at once
        lines = screen.cart.lines()
        assert len(lines) > 10 and {line.day.month for line in lines} == {1}
        assert {line.day.weekday() for line in lines} <= {0, 1, 3, 4}
        assert all(line.child_id == lea and line.activity_label == "APS MATIN" for line in lines)
        await press("escape", "v", "v")
        recap = app.screen
        assert isinstance(recap, RecapDialog) and recap.result is not None
        assert len(recap.result.confirmed) + len(recap.result.waiting) == len(lines)
        assert len(keys) <= 15, keys


async def test_pattern_digits_are_typed_in_a_date_field(actx: Context, agent: Actor,
                                                       family: tuple[int, int, int]) -> None:
    app = PortailApp(actx, actor=agent)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tab(app, pilot, family[0])
        await pilot.press("t")
        await settle(app, pilot)
        dialog = app.screen
        assert isinstance(dialog, PatternDialog)
        start = dialog.query_one("#pattern-start", Input)
        start.focus()
        start.value = ""
        await pilot.press("0", "4", "/", "0", "1")
        await settle(app, pilot)
        assert start.value == "04/01" and not screen.cart


async def test_pagedown_from_a_trailing_week_day_shows_the_next_month(actx: Context, agent: Actor,
                                                                       family: tuple[int, int, int]) -> None:
    app = PortailApp(actx, actor=agent)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tab(app, pilot, family[0])
        cal = screen.query_one(MonthCalendar)
        await pilot.press("up", "down")  # 23 then 30 November
        await pilot.press("right", "right")  # 2 December, drawn in November's last week
        await settle(app, pilot)
        assert cal.cursor == date(2026, 12, 2) and (cal.year, cal.month) == (2026, 11)
        await pilot.press("pagedown")
        await settle(app, pilot)
        assert (cal.year, cal.month) == (2026, 12) and cal.cursor.month == 12
        await pilot.press("pagedown")
        await settle(app, pilot)
        assert (cal.year, cal.month) == (2027, 1)
        await pilot.press("pageup", "pageup")
        await settle(app, pilot)
        assert (cal.year, cal.month) == (2026, 11)


async def test_annuler_asks_before_dropping_the_cart(actx: Context, agent: Actor,
                                                    family: tuple[int, int, int]) -> None:
    fid, lea, _ = family
    app = PortailApp(actx, actor=agent)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tab(app, pilot, fid)
        await pilot.press("t")
        await settle(app, pilot)
        dialog = app.screen
        assert isinstance(dialog, PatternDialog)
        labels = [a.label for a in dialog.activities]
        for _ in range(labels.index("APS MATIN")):
            await pilot.press("down")
        await pilot.press("space", "3")
        await settle(app, pilot)
        await pilot.press("escape")
        await settle(app, pilot)
        n = len(screen.cart)
        assert n > 1
        await pilot.press("v")
        await settle(app, pilot)
        assert isinstance(app.screen, RecapDialog)
        await pilot.press("a")
        await settle(app, pilot)
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        assert confirm.question == f"Abandonner les {n} changements ? o/n"
        await pilot.press("n")  # kept
        await settle(app, pilot)
        assert isinstance(app.screen, RecapDialog) and len(screen.cart) == n
        await pilot.press("a", "o")
        await settle(app, pilot)
        assert app.screen is screen and not screen.cart


async def test_a_booking_made_in_another_session_shows_without_reopening(  # type: ignore[no-untyped-def]
        actx: Context, agent: Actor, family: tuple[int, int, int], monkeypatch) -> None:
    """Figures never stale: a colleague books for the same child elsewhere; the calendar
    shows it without the family being reopened or a key pressed."""
    from portail_tui.db import Database

    monkeypatch.setattr(ReservationsScreen, "CHANGE_CHECK_SECONDS", 0.2)
    fid, lea, _ = family
    day = free_day(actx, fid, lea, {"APSM"})
    apsm = next(o.activity_id for o in day_options(actx, fid, lea, day).options if o.rule.code == "APSM")
    other = Context(db=Database(actx.db.url), clock=actx.clock, settings=actx.settings).as_actor(agent)
    app = PortailApp(actx, actor=agent)
    try:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_tab(app, pilot, fid)
            await go_to(app, pilot, day)
            def letters() -> set[str]:
                assert screen.view is not None
                return {m.letter for m in screen.view.cell(day).booked}

            assert "M" not in letters()
            validate_cart(other, fid, [CartLine(BOOK, lea, apsm, day)])
            for _ in range(40):  # no key pressed: the periodic check brings it
                await pilot.pause(0.1)
                await settle(app, pilot)
                if "M" in letters():
                    break
            assert "M" in letters()
    finally:
        other.db.dispose()
