"""Snapshot tests (pytest-textual-snapshot, the Textual convention): what an agent sees,
at 130×42 and at 80×24 (the default SSH terminal), in the demo town with the clock
pinned (Saturday 28 November 2026 10:00): the five tabs with a family open, the
calendar in every day state, the day, pattern and recap dialogs, Encaisser, the receipt,
the form editor and the Pointage mode. The SVGs are in tests/__snapshots__/test_snapshots/.

A change of layout, wording or colour changes them on purpose: look at the failure
report (snapshot_report.html), then regenerate them all with the one command

    make snapshots

(= pytest tests/test_snapshots.py -p no:xdist --snapshot-update), and look at the new
SVGs before committing them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select, TextArea
from textual.worker import WorkerCancelled

from portail_tui.app import PortailApp
from portail_tui.domain.day_states import DayState, month_grid
from portail_tui.models import Booking
from portail_tui.screens.dossier.forms_editor import FormScreen
from portail_tui.screens.paiement.encaisser import EncaisserModal
from portail_tui.screens.paiement.receipt import ReceiptModal
from portail_tui.screens.pointage.screen import PointageScreen
from portail_tui.screens.reservations.day import DayDialog
from portail_tui.screens.reservations.pattern import PatternDialog
from portail_tui.screens.reservations.recap import RecapDialog
from portail_tui.services.context import Actor, Context
from portail_tui.services.families import family_by_number
from portail_tui.widgets.month_calendar import MonthCalendar

pytestmark = pytest.mark.snapshot

SIZES = [pytest.param((130, 42), id="130x42"), pytest.param((80, 24), id="80x24")]
PENDING_DAY = date(2026, 12, 3)


@dataclass
class Desk:
    """What a scenario needs: the family at the desk, and what it saw on the way."""

    family_id: int
    child_id: int | None = None
    waiting_day: date | None = None
    seen: set[DayState] = field(default_factory=set)
    details: set[str] = field(default_factory=set)


Scenario = Callable[[Pilot[Any], Desk], Awaitable[None]]


async def _settle(pilot: Pilot[Any]) -> None:
    """Until quiet: a load's result may start another (a date filled in reloads the
    figures), so wait until no worker has run for three pauses in a row."""
    quiet = 0
    for _ in range(200):
        await pilot.pause()
        if any(not w.is_finished for w in pilot.app.workers):
            quiet = 0
            with contextlib.suppress(WorkerCancelled):  # an exclusive load replaced by the next one
                await pilot.app.workers.wait_for_complete()
        else:
            quiet += 1
            if quiet == 3:
                return


async def _tab(pilot: Pilot[Any], key: str, desk: Desk) -> None:
    await _settle(pilot)
    await pilot.press(key)
    await _settle(pilot)
    app = pilot.app
    assert isinstance(app, PortailApp)
    app.select_family(desk.family_id)
    await _settle(pilot)


async def _still(pilot: Pilot[Any]) -> None:
    """The picture must not depend on timing: no blinking cursor, and every table has
    measured its columns and drawn its rows with those widths. (A DataTable measures new
    rows when next idle but keeps the lines it drew before: Paiement's « Derniers
    règlements » sometimes stays with header-wide columns — « 29/1 » — until the next
    redraw. That is Textual's cache, seen at the desk too; the snapshots leave it out.)"""
    for screen in pilot.app.screen_stack:
        for widget in screen.query(Input):
            widget.cursor_blink = False
        for area in screen.query(TextArea):
            area.cursor_blink = False
    tables = [t for t in pilot.app.screen.query(DataTable) if t.is_on_screen]
    for table in tables:  # measure every row again: rows added while a load was replaced
        table._new_rows.update(table.rows)
        table._require_update_dimensions = True
        table.check_idle()
    for _ in range(100):
        if not any(t._require_update_dimensions or t._new_rows or t._updated_cells for t in tables):
            break
        await pilot.pause(0.02)
    for table in tables:  # lines drawn before the measure stay cached (Textual 8.2.8)
        table._clear_caches()
        table.refresh()
    await pilot.pause()


async def _calendar(pilot: Pilot[Any], desk: Desk) -> MonthCalendar:
    await _tab(pilot, "f4", desk)
    screen = pilot.app.screen
    if desk.child_id is not None:
        screen.query_one("#resa-child", Select).value = desk.child_id
        await _settle(pilot)
    cal = screen.query_one(MonthCalendar)
    cal.focus()
    return cal


async def _go_to(pilot: Pilot[Any], cal: MonthCalendar, day: date) -> None:
    while cal.cursor != day:
        step = 7 if (day - cal.cursor).days >= 7 else -7 if (cal.cursor - day).days >= 7 else 0
        await pilot.press({7: "down", -7: "up"}.get(step) or ("right" if cal.cursor < day else "left"))
    await _settle(pilot)


def _record(cal: MonthCalendar, desk: Desk) -> None:
    for d in (d for week in month_grid(cal.year, cal.month) for d in week):
        cell = cal.cell(d)
        assert cell is not None
        desk.seen.add(cell.state)
        desk.details.add(cell.detail)


async def _pending_day(pilot: Pilot[Any], cal: MonthCalendar) -> None:
    """Toggle the first activity of PENDING_DAY: the day turns orange (cart)."""
    await _go_to(pilot, cal, PENDING_DAY)
    await pilot.press("enter")
    await _settle(pilot)
    assert isinstance(pilot.app.screen, DayDialog)
    await pilot.press("space", "escape")
    await _settle(pilot)


# --- the scenarios ---------------------------------------------------------------------

def _tab_scenario(key: str) -> Scenario:
    async def run(pilot: Pilot[Any], desk: Desk) -> None:
        await _tab(pilot, key, desk)

    return run


async def calendar_november(pilot: Pilot[Any], desk: Desk) -> None:
    """Closed (past days, deadlines passed) and open; the cursor on yesterday."""
    cal = await _calendar(pilot, desk)
    await _go_to(pilot, cal, date(2026, 11, 27))
    _record(cal, desk)


async def calendar_december(pilot: Pilot[Any], desk: Desk) -> None:
    """Open, pending (the cart), waiting list, no activity: a holiday (25 December) and
    a closed day (18 December, a closure) — the cursor on the waiting-list request."""
    cal = await _calendar(pilot, desk)
    await _pending_day(pilot, cal)
    assert desk.waiting_day is not None
    await _go_to(pilot, cal, desk.waiting_day)
    if (cal.year, cal.month) != (2026, 12):
        # Early December days sit in November's last week, which keeps November on screen.
        await pilot.press("pagedown")
        await _settle(pilot)
        await _go_to(pilot, cal, desk.waiting_day)
    assert (cal.year, cal.month) == (2026, 12)
    _record(cal, desk)


async def calendar_january(pilot: Pilot[Any], desk: Desk) -> None:
    """Beyond the 60-day horizon: not yet open (the cursor on 29 January)."""
    cal = await _calendar(pilot, desk)
    await pilot.press("pagedown", "pagedown")
    await _settle(pilot)
    await _go_to(pilot, cal, date(2027, 1, 29))
    _record(cal, desk)


async def day_dialog(pilot: Pilot[Any], desk: Desk) -> None:
    cal = await _calendar(pilot, desk)
    await _go_to(pilot, cal, PENDING_DAY)
    await pilot.press("enter")
    await _settle(pilot)
    assert isinstance(pilot.app.screen, DayDialog)


async def pattern_dialog(pilot: Pilot[Any], desk: Desk) -> None:
    await _calendar(pilot, desk)
    await pilot.press("t")
    await _settle(pilot)
    assert isinstance(pilot.app.screen, PatternDialog)


async def recap(pilot: Pilot[Any], desk: Desk) -> None:
    cal = await _calendar(pilot, desk)
    await _pending_day(pilot, cal)
    await pilot.press("v")
    await _settle(pilot)
    assert isinstance(pilot.app.screen, RecapDialog)


async def encaisser(pilot: Pilot[Any], desk: Desk) -> None:
    await _tab(pilot, "f3", desk)
    await pilot.press("f9")
    await _settle(pilot)
    assert isinstance(pilot.app.screen, EncaisserModal)


async def receipt(pilot: Pilot[Any], desk: Desk) -> None:
    await encaisser(pilot, desk)
    await pilot.press("enter")  # the Encaisser button has the focus
    await _settle(pilot)
    assert isinstance(pilot.app.screen, ReceiptModal)


async def form_editor(pilot: Pilot[Any], desk: Desk) -> None:
    """Dossier: the first child's first form (Entrée on the child, then on the form)."""
    await _tab(pilot, "f5", desk)
    screen = pilot.app.screen
    screen.query_one("#dossier-children", DataTable).focus()
    await pilot.press("enter")
    await _settle(pilot)
    await pilot.press("enter")
    await _settle(pilot)
    assert isinstance(pilot.app.screen, FormScreen)


async def pointage(pilot: Pilot[Any], desk: Desk) -> None:
    """Pointage (Ctrl+T): Friday's canteen of the first school, three children marked
    présent, absent, absent justifié (the cursor on the fourth)."""
    await _settle(pilot)
    await pilot.press("ctrl+t")
    await _settle(pilot)
    await pilot.press("left")  # Saturday 28 → Friday 27 November
    await _settle(pilot)
    assert isinstance(pilot.app.screen, PointageScreen)
    await pilot.press("p", "a", "j")
    await _settle(pilot)
    states = [str(v) for v in pilot.app.screen.query_one("#pt-table", DataTable).get_column("etat")]
    assert states[:3] == ["présent", "absent", "absent justifié"]


SCENARIOS: dict[str, Scenario] = {
    "tab_accueil": _tab_scenario("f1"),
    "tab_historiques": _tab_scenario("f2"),
    "tab_paiement": _tab_scenario("f3"),
    "tab_reservations": _tab_scenario("f4"),
    "tab_dossier": _tab_scenario("f5"),
    "calendar_november": calendar_november,
    "calendar_december": calendar_december,
    "calendar_january": calendar_january,
    "day_dialog": day_dialog,
    "pattern_dialog": pattern_dialog,
    "recap": recap,
    "encaisser": encaisser,
    "receipt": receipt,
    "form_editor": form_editor,
    "pointage": pointage,
}
CALENDAR_FAMILY = {"calendar_november", "calendar_december", "calendar_january", "day_dialog", "pattern_dialog", "recap"}


def _desk(ctx: Context, name: str) -> Desk:
    """Family n° 1 at the desk; for the calendar, the first family with a child on a
    waiting list (the demo fills two slots on purpose), on that child."""
    if name not in CALENDAR_FAMILY:
        return Desk(family_by_number(ctx, 1))
    row = ctx.db.read(lambda s: s.execute(
        select(col(Booking.family_id), col(Booking.child_id), col(Booking.day))
        .where(col(Booking.status) == "waiting", col(Booking.day).is_not(None))
        .order_by(col(Booking.family_id), col(Booking.day), col(Booking.id)).limit(1)).one())
    return Desk(row.family_id, row.child_id, row.day)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_snapshot(snap_compare, sqlite_demo_ctx: Context, agent: Actor, name: str,  # type: ignore[no-untyped-def]
                  size: tuple[int, int]) -> None:
    desk = _desk(sqlite_demo_ctx, name)

    async def run_before(pilot: Pilot[Any]) -> None:
        await SCENARIOS[name](pilot, desk)
        await _still(pilot)

    assert snap_compare(PortailApp(sqlite_demo_ctx, actor=agent), terminal_size=size, run_before=run_before)
    if name == "calendar_november":
        assert {DayState.OPEN, DayState.CLOSED} <= desk.seen
    if name == "calendar_december":
        assert {DayState.OPEN, DayState.PENDING, DayState.WAITING, DayState.NOTHING} <= desk.seen
        assert any("Noël" in d for d in desk.details), desk.details  # a public holiday
        assert any("pédagogique" in d for d in desk.details), desk.details  # a closed day
    if name == "calendar_january":
        assert DayState.NOT_YET_OPEN in desk.seen


def test_snapshot_regie(snap_compare, sqlite_demo_ctx: Context, regisseur: Actor) -> None:  # type: ignore[no-untyped-def]
    """The Régie mode a régisseur opens with Ctrl+G: the activities as set up."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await _settle(pilot)
        await pilot.press("ctrl+g")
        await _settle(pilot)
        await _still(pilot)

    assert snap_compare(PortailApp(sqlite_demo_ctx, actor=regisseur), terminal_size=(130, 42), run_before=run_before)
