"""Counting limits kept in memory only: who answered or guessed is never written anywhere.

Meeting rooms put a whole staff behind one Wi-Fi address, so limits per address are sized
by the unit's headcount, not by what one person needs.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class SlidingWindow:
    """At most `limit` events per key within `seconds`."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic):
        self.seconds = seconds
        self.clock = clock
        self._events: dict[object, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: object, now: float) -> deque[float]:
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self.seconds:
            events.popleft()
        return events

    def allow(self, key: object, limit: int) -> bool:
        """Record one event for `key` unless `limit` events already happened in the window."""
        now = self.clock()
        with self._lock:
            events = self._recent(key, now)
            if len(events) >= limit:
                return False
            events.append(now)
            if len(self._events) > 100_000:  # bounded memory under a flood of new keys
                self._events = {k: v for k, v in self._events.items() if v and v[-1] > now - self.seconds}
            return True

    def count(self, key: object) -> int:
        with self._lock:
            return len(self._recent(key, self.clock()))

    def clear(self) -> None:
        with self._lock:
            self._events.clear()
