"""Group commit for anonymous answers.

A staff meeting submits at the same instant. DuckDB commits one at a time, and a
single-row INSERT costs ~1.5 ms of that path while a multi-row INSERT costs ~0.15 ms per
row (docs/benchmarks.md). So concurrent submissions are stored together: the first
caller commits whatever is waiting, the others wait for their answer's outcome. Nobody
is told "stored" before the transaction holding their answer has committed.
"""

from __future__ import annotations

import random
import threading
import weakref
from dataclasses import dataclass, field

from servicetjek.db import Database

MAX_BATCH = 500
COLUMNS = ("round_id", "cohesion", "flexibility", "availability", "focus", "trust", "fairness",
           "respondent_group", "comment")


class CodeRefused(Exception):
    """The answer's single-use code is unknown or already used; `reason` says which."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(eq=False)
class Pending:
    row: tuple  # values in COLUMNS order
    code_hash: str | None = None
    error: BaseException | None = None
    finished: bool = False
    leads: bool = False  # this caller commits for everyone waiting
    wake: threading.Event = field(default_factory=threading.Event)


class AnswerStore:
    def __init__(self, db: Database):
        self.db = db
        self._lock = threading.Lock()
        self._pending: list[Pending] = []
        self._leader_active = False
        self.batches = 0  # transactions committed or tried; read by tests

    def store(self, row: tuple, code_hash: str | None = None) -> None:
        """Store one answer row (and spend its code); returns once it is committed."""
        item = Pending(row, code_hash)
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

    def _transaction(self, batch: list[Pending]) -> dict[int, CodeRefused]:
        self.batches += 1

        def work(cur) -> dict[int, CodeRefused]:
            refused: dict[int, CodeRefused] = {}
            rows = []
            for item in batch:
                if item.code_hash is not None:
                    round_id = item.row[0]
                    used = cur.execute("SELECT used FROM round_codes WHERE round_id = ? AND code_hash = ?",
                                       [round_id, item.code_hash]).fetchone()
                    if used is None or used[0]:
                        refused[id(item)] = CodeRefused("unknown" if used is None else "used")
                        continue
                    cur.execute("UPDATE round_codes SET used = true WHERE round_id = ? AND code_hash = ?",
                                [round_id, item.code_hash])
                rows.append(item.row)
            if rows:
                random.shuffle(rows)  # not even one batch keeps its arrival order
                placeholders = ", ".join(["(" + ", ".join("?" * len(COLUMNS)) + ")"] * len(rows))
                cur.execute(f"INSERT INTO responses ({', '.join(COLUMNS)}) VALUES {placeholders}",
                            [value for row in rows for value in row])
            return refused

        return self.db.transaction(work, answers_only=True)


def _finish(item: Pending, error: BaseException | None) -> None:
    item.error = error
    item.finished = True
    item.wake.set()


_stores: weakref.WeakKeyDictionary[Database, AnswerStore] = weakref.WeakKeyDictionary()
_stores_lock = threading.Lock()


def for_database(db: Database) -> AnswerStore:
    store = _stores.get(db)
    if store is not None:
        return store
    with _stores_lock:
        store = _stores.get(db)
        if store is None:
            store = _stores[db] = AnswerStore(db)
        return store
