"""When the counter application runs Python's full garbage collections.

A full collection walks every object the process holds. Textual's render caches grow
to about 240,000 objects within the first few hundred actions of a session, and a full
collection then takes about 180 ms; Python starts one on its own every 8–15 actions, on
whatever key the agent pressed (the soak of issue 12: opening a family +41 % between the
first and the last 500 actions, the collections inside it 89 → 198 ms). Nothing else
grew.

So, while an agent is logged in, Python's automatic full collections are off (the
young generations are still collected as usual: most garbage dies there) and the
application runs them itself: when the agent has typed nothing for GC_IDLE_S, at most
every GC_MIN_INTERVAL_S, and in any case every GC_MAX_INTERVAL_S, so that a session with
no pause at all still frees its cyclic garbage regularly. No Textual here: the app calls
`tick` from a timer."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

GC_IDLE_S = 1.0
GC_MIN_INTERVAL_S = 10.0
GC_MAX_INTERVAL_S = 60.0
# Python's third threshold: full collections after this many collections of the middle
# generation (10 by default); in practice never.
_AUTOMATIC_OFF = 1_000_000

# Several applications may run in one process (the tests, two sessions side by side):
# the first to start saves Python's thresholds, the last to stop puts them back.
_users = 0
_saved: tuple[int, int, int] | None = None


class IdleCollector:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.last = clock()
        self.runs = 0
        self._started = False

    def start(self) -> None:
        global _users, _saved
        if self._started:
            return
        self._started = True
        self.last = self.clock()
        if _users == 0:
            _saved = gc.get_threshold()
            gc.set_threshold(_saved[0], _saved[1], _AUTOMATIC_OFF)
        _users += 1

    def stop(self) -> None:
        global _users, _saved
        if not self._started:
            return
        self._started = False
        _users -= 1
        if _users == 0 and _saved is not None:
            gc.set_threshold(*_saved)
            _saved = None

    def tick(self, idle_for: float) -> bool:
        """Called every second or so with how long the agent has typed nothing: run a
        full collection now if it is the moment. True when one ran."""
        if not self._started:
            return False
        since = self.clock() - self.last
        if (idle_for >= GC_IDLE_S and since >= GC_MIN_INTERVAL_S) or since >= GC_MAX_INTERVAL_S:
            gc.collect()
            self.last = self.clock()
            self.runs += 1
            return True
        return False
