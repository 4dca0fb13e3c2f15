"""Answering phones go first.

One Streamlit process runs every page on one interpreter lock: while a staff meeting's 200
phones submit at once, five managers reloading the dashboard took a third of the CPU and
slowed the burst by up to 2.3× (docs/benchmarks.md, "Mixed load"). So every page run except
the rating form waits, before it does any work, until no answer has been in progress for a
moment (QUIET_GAP) – at most MAX_WAIT, so nobody is locked out by a stream of answers. The
wait sleeps, leaving the lock to the phones. Per process: each app server of a cluster
(servicetjek/front.py) has its own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

QUIET_GAP = 0.15  # seconds without an answer in progress: the burst has passed
MAX_WAIT = 2.0  # a page waits at most this long, however long the answers keep coming

_lock = threading.Lock()
_changed = threading.Condition(_lock)
_in_progress = 0
_last_finished = float("-inf")


@contextmanager
def answering() -> Iterator[None]:
    """Around a rating-form run or a submission: other pages wait while any is in progress."""
    global _in_progress, _last_finished
    with _lock:
        _in_progress += 1
    try:
        yield
    finally:
        with _lock:
            _in_progress -= 1
            _last_finished = time.monotonic()
            _changed.notify_all()


def wait_for_answers() -> float:
    """Sleep while answers are in progress or just were, at most MAX_WAIT; seconds waited."""
    start = time.monotonic()
    deadline = start + MAX_WAIT
    with _lock:
        while True:
            now = time.monotonic()
            if now >= deadline:
                break
            if _in_progress:
                _changed.wait(deadline - now)
                continue
            quiet_at = _last_finished + QUIET_GAP
            if now >= quiet_at:
                break
            _changed.wait(min(quiet_at, deadline) - now)
    return time.monotonic() - start
