"""An idle session locks (issue 13): after the configured delay without a key or a mouse
event the screen is hidden and only the agent's password gives it back, as it was."""

from __future__ import annotations

import contextlib
from dataclasses import replace

from textual.widgets import Input, Static
from textual.worker import WorkerCancelled

from portail_tui.app import PortailApp
from portail_tui.screens.base import TabScreen
from portail_tui.screens.idle_lock import IdleLockScreen
from portail_tui.services.context import Actor, Context

SIZE = (130, 42)
DELAY_MINUTES = 0.05  # 3 s of the injected clock; the timer looks every 0.75 s


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _app(ctx: Context, actor: Actor, minutes: float = DELAY_MINUTES) -> tuple[PortailApp, FakeClock]:
    ctx = replace(ctx, settings=replace(ctx.settings, idle_lock_minutes=minutes))
    app = PortailApp(ctx, actor=actor)
    clock = FakeClock()
    app.idle_lock.clock = clock
    return app, clock


async def _settle(app: PortailApp, pilot) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        with contextlib.suppress(WorkerCancelled):
            await app.workers.wait_for_complete()
        await pilot.pause()


async def _tick(pilot) -> None:  # type: ignore[no-untyped-def]
    """Long enough for the app's own timer to look at the clock."""
    await pilot.pause(1.0)


async def _until_locked(app: PortailApp, pilot) -> None:  # type: ignore[no-untyped-def]
    """The app's own timer looks every 0.75 s; on a loaded machine it may look late: wait
    for the lock itself (up to 20 s), not for a fixed time."""
    for _ in range(200):
        if isinstance(app.screen, IdleLockScreen):
            break
        await pilot.pause(0.1)
    await _settle(app, pilot)  # and drawn


async def _type_password(app: PortailApp, pilot, password: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press(*list(password))
    await pilot.press("enter")
    await _settle(app, pilot)


async def test_idle_session_locks_hides_and_comes_back_as_it_was(sqlite_demo_ctx: Context,
                                                                 agent: Actor) -> None:
    app, clock = _app(sqlite_demo_ctx, agent)
    async with app.run_test(size=SIZE) as pilot:
        await _settle(app, pilot)
        app.select_family(1)
        await pilot.press("f3")
        await _settle(app, pilot)
        tab = app.screen
        assert isinstance(tab, TabScreen) and app.current_mode == "paiement"
        assert "Paiement" in app.export_screenshot()

        clock.now += 3.1
        await _until_locked(app, pilot)
        assert isinstance(app.screen, IdleLockScreen)
        shown = app.export_screenshot()
        assert "Session" in shown and "verrouillée" in shown
        assert "Paiement" not in shown and "Historiques" not in shown  # nothing underneath shows
        await pilot.press("f2", "ctrl+f")  # nothing under the lock is reachable
        await _settle(app, pilot)
        assert isinstance(app.screen, IdleLockScreen) and app.current_mode == "paiement"

        await _type_password(app, pilot, "pas-le-bon")
        assert isinstance(app.screen, IdleLockScreen)
        assert str(app.screen.query_one("#lock-message", Static).render()) == "Identifiant ou mot de passe incorrect."
        assert app.screen.query_one("#lock-password", Input).value == ""

        await _type_password(app, pilot, "agent1234")
        assert app.screen is tab and app.current_mode == "paiement" and app.current_family_id == 1
        assert not app.idle_lock.locked
        # The watch goes on after an unlock.
        clock.now += 3.1
        await _until_locked(app, pilot)
        assert isinstance(app.screen, IdleLockScreen)


async def test_a_colleague_password_does_not_unlock(sqlite_demo_ctx: Context, agent: Actor) -> None:
    app, clock = _app(sqlite_demo_ctx, agent)
    async with app.run_test(size=SIZE) as pilot:
        await _settle(app, pilot)
        app.idle_lock.lock()
        await _settle(app, pilot)
        await _type_password(app, pilot, "admin1234")
        assert isinstance(app.screen, IdleLockScreen)
        assert str(app.screen.query_one("#lock-message", Static).render()) == "Identifiant ou mot de passe incorrect."


async def test_keys_and_mouse_reset_the_delay(sqlite_demo_ctx: Context, agent: Actor) -> None:
    app, clock = _app(sqlite_demo_ctx, agent)
    async with app.run_test(size=SIZE) as pilot:
        await _settle(app, pilot)
        clock.now += 2
        await pilot.press("f12")  # any key, bound or not
        clock.now += 2
        await _tick(pilot)
        assert isinstance(app.screen, TabScreen)
        await pilot.hover(offset=(10, 10))
        clock.now += 2
        await _tick(pilot)
        assert isinstance(app.screen, TabScreen)
        clock.now += 1.1
        await _until_locked(app, pilot)
        assert isinstance(app.screen, IdleLockScreen)


async def test_zero_never_locks(sqlite_demo_ctx: Context, agent: Actor) -> None:
    app, clock = _app(sqlite_demo_ctx, agent, minutes=0)
    async with app.run_test(size=SIZE) as pilot:
        await _settle(app, pilot)
        clock.now += 10_000
        app.idle_lock.check()
        await _settle(app, pilot)
        assert isinstance(app.screen, TabScreen)


async def test_ctrl_q_quits_a_locked_session(sqlite_demo_ctx: Context, agent: Actor) -> None:
    app, clock = _app(sqlite_demo_ctx, agent)
    async with app.run_test(size=SIZE) as pilot:
        await _settle(app, pilot)
        app.idle_lock.lock()
        await _settle(app, pilot)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app._exit  # the app is leaving
