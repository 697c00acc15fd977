"""A clock for the watcher that the test moves by hand (`Watcher(clock=...)`), so that a
test says "the stability window passed and nothing happened" after the worker looked at
the folder at that time, never after a sleep that may be too short on a busy machine."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

# Only the worker reads this clock: twice a round (at the top, and to ask what is ready)
# and once more for each file that fails. Six reads after the time moved: some round read
# the new time at its top and the next round has begun, so that round is over and its
# results are reported, even with a file failing in each of the rounds on the way.
READS_PER_LOOK = 6


class HandClock:
    """Monotonic seconds that stand still until `advance`."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._reads = 0
        self._lock = threading.Lock()  # read by the worker, moved by the test

    def __call__(self) -> float:
        with self._lock:
            self._reads += 1
            return self._now

    def advance(self, seconds: float, timeout: float = 30.0) -> None:
        """Move the time on by `seconds` (0: stay), and return once the worker has looked
        at the folder at the new time."""
        with self._lock:
            self._now += seconds
            self._reads = 0
        deadline = time.monotonic() + timeout
        while self._reads < READS_PER_LOOK:
            assert time.monotonic() < deadline, "the watcher's worker stopped looking"
            time.sleep(0.01)

    def until(self, condition: Callable[[], bool], step: float, timeout: float = 30.0) -> None:
        """Move the time on `step` at a time, each looked at, until `condition` holds."""
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, "timed out waiting"
            self.advance(step)
