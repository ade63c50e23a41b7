"""Full garbage collections run when the agent does not wait for them (gc_policy)."""

from __future__ import annotations

import gc

from portail_tui.app import PortailApp
from portail_tui.gc_policy import GC_IDLE_S, GC_MAX_INTERVAL_S, GC_MIN_INTERVAL_S, IdleCollector
from portail_tui.services.context import Actor, Context


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_automatic_full_collections_are_off_while_a_collector_runs_and_back_after() -> None:
    before = gc.get_threshold()
    a, b = IdleCollector(), IdleCollector()
    a.start()
    b.start()  # two sessions in one process
    assert gc.get_threshold()[:2] == before[:2] and gc.get_threshold()[2] > 10_000
    a.stop()
    assert gc.get_threshold()[2] > 10_000  # b still runs
    b.stop()
    assert gc.get_threshold() == before
    b.stop()  # twice: no harm
    assert gc.get_threshold() == before


def test_a_full_collection_when_the_agent_pauses_and_at_the_latest_every_minute() -> None:
    clock = _Clock()
    collector = IdleCollector(clock)
    collector.start()
    try:
        assert not collector.tick(idle_for=GC_IDLE_S)  # just started
        clock.now += GC_MIN_INTERVAL_S
        assert not collector.tick(idle_for=0.2)  # the agent is typing
        assert collector.tick(idle_for=GC_IDLE_S)  # a pause
        assert not collector.tick(idle_for=30.0)  # not again so soon, however idle
        clock.now += GC_MAX_INTERVAL_S
        assert collector.tick(idle_for=0.0)  # a session with no pause at all
        assert collector.runs == 2
    finally:
        collector.stop()
    assert not collector.tick(idle_for=100.0)  # stopped: Python's own collections again


async def test_the_application_holds_them_while_an_agent_is_logged_in(
        sqlite_demo_ctx: Context, agent: Actor) -> None:
    before = gc.get_threshold()
    app = PortailApp(sqlite_demo_ctx, actor=agent)
    async with app.run_test(size=(130, 42)) as pilot:
        await pilot.pause()
        assert gc.get_threshold()[2] > 10_000
        app.collector.clock = _Clock()
        app.collector.last = 0.0  # a minute and more since the last one
        await pilot.pause(1.2)  # the app's one-second check
        assert app.collector.runs >= 1
    assert gc.get_threshold() == before
