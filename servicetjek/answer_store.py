"""Group commit for anonymous answers.

A staff meeting submits at the same instant. DuckDB commits one at a time, and a
single-row INSERT costs ~1.5 ms of that path while a multi-row INSERT costs ~0.15 ms per
row (docs/benchmarks.md). So concurrent submissions to one round are stored together in
its holding file (servicetjek/holding.py): the first caller commits whatever is waiting,
the others wait for their answer's outcome. Nobody is told "stored" before the
transaction holding their answer has committed.

While a burst is on (others are already waiting), the committing caller first lets more
answers join, as long as they keep arriving (every ARRIVAL_GAP) and at most LINGER: on two
busy cores a transaction costs several times its quiet cost (each DuckDB call takes the
interpreter lock back many times), so a burst stored in fewer, larger transactions leaves
more of the CPU to the phones, and its last answers go at once (docs/benchmarks.md).
A lone answer never waits.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from servicetjek import holding
from servicetjek.db import Database

MAX_BATCH = 500
LINGER = 0.04  # seconds; both read at call time (tests change them)
ARRIVAL_GAP = 0.005
CodeRefused = holding.CodeRefused
RoundClosed = holding.RoundClosed


@dataclass(eq=False)
class Pending:
    item: holding.Held
    error: BaseException | None = None
    finished: bool = False
    leads: bool = False  # this caller commits for everyone waiting
    wake: threading.Event = field(default_factory=threading.Event)


class AnswerStore:
    def __init__(self, db: Database, round_id: int, still_open: Callable[[datetime | None], bool]):
        self.db = db
        self.round_id = round_id
        self.still_open = still_open
        self._lock = threading.Lock()
        self._pending: list[Pending] = []
        self._leader_active = False
        self.batches = 0  # transactions committed or tried; read by tests

    def store(self, held: holding.Held) -> None:
        """Store one answer (and spend its code); returns once it is committed."""
        item = Pending(held)
        with self._lock:
            self._pending.append(item)
            item.leads = not self._leader_active
            self._leader_active = True
        if not item.leads:
            item.wake.wait()  # woken when stored, or when asked to take over
        if item.leads and not item.finished:
            self._lead(item)
        if item.error is not None:
            raise item.error

    def _lead(self, own: Pending) -> None:
        try:
            while not own.finished:
                try:
                    self._let_arrivals_join()
                except BaseException as error:  # this caller's answer is not stored: take it out
                    with self._lock:
                        self._pending.remove(own)
                    _finish(own, error)
                    raise
                with self._lock:
                    batch = self._pending[:MAX_BATCH]
                    del self._pending[:MAX_BATCH]
                self._commit(batch)
        finally:
            # Hand over instead of serving late arrivals: this caller's receipt is ready.
            with self._lock:
                if self._pending:
                    successor = self._pending[0]
                    successor.leads = True
                    successor.wake.set()
                else:
                    self._leader_active = False

    def _let_arrivals_join(self) -> None:
        """During a burst (others already wait), wait while more answers keep arriving, at
        most LINGER: the middle of a burst goes in few transactions, its last answers at once."""
        waiting, deadline = len(self._pending), time.monotonic() + LINGER
        while 1 < waiting < MAX_BATCH and time.monotonic() < deadline:
            time.sleep(ARRIVAL_GAP)
            waiting, before = len(self._pending), waiting
            if waiting == before:
                return

    def _commit(self, batch: list[Pending]) -> None:
        try:
            refused = self._transaction(batch)
        except Exception as error:  # noqa: BLE001 - decided per answer below
            if len(batch) == 1:
                _finish(batch[0], error)
                return
            # One bad answer must not cost the others theirs: store each on its own.
            for item in batch:
                self._commit([item])
            return
        except BaseException as error:
            for item in batch:
                _finish(item, error)
            raise
        for item in batch:
            _finish(item, refused.get(id(item)))

    def _transaction(self, batch: list[Pending]) -> dict[int, Exception]:
        self.batches += 1
        refused = holding.for_database(self.db).store(self.round_id, [p.item for p in batch], self.still_open)
        return {id(batch[i]): error for i, error in refused.items()}


def _finish(item: Pending, error: BaseException | None) -> None:
    item.error = error
    item.finished = True
    item.wake.set()


_stores: weakref.WeakKeyDictionary[Database, dict[int, AnswerStore]] = weakref.WeakKeyDictionary()
_stores_lock = threading.Lock()


def for_round(db: Database, round_id: int, still_open: Callable[[datetime | None], bool]) -> AnswerStore:
    with _stores_lock:
        stores = _stores.setdefault(db, {})
        store = stores.get(round_id)
        if store is None:
            store = stores[round_id] = AnswerStore(db, round_id, still_open)
        return store
