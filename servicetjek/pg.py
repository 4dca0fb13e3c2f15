"""The PostgreSQL engine (SERVICETJEK_DB=postgresql://...): the module that talks to PostgreSQL.

Several app processes share one PostgreSQL, so what one process may assume about DuckDB
does not hold here:
- every write transaction runs SERIALIZABLE and is retried when PostgreSQL reports a
  serialization failure or a deadlock, so a read-then-write rule (first admin, last admin,
  chosen trials, a single-use code) holds across processes as it does in one;
- memoised reads are checked against a change counter (a sequence every committed write
  bumps, read in one round trip of ~0.05 ms), so a round closed by another process is seen
  closed at once;
- migrations run under an advisory lock: once per deployment, whichever process starts first.
Reads run in autocommit, one statement each, on a pooled connection.
"""

from __future__ import annotations

import functools
import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import psycopg
from psycopg import errors
from psycopg.types.numeric import FloatLoader
from psycopg_pool import ConnectionPool

from servicetjek.db import WRITE_RETRIES, Database, WriteConflict

T = TypeVar("T")
POOL_SIZE = int(os.environ.get("SERVICETJEK_DB_POOL", "16"))
MIGRATION_LOCK = 0x5E1C_E71E  # pg_advisory_lock key: one migrating process per deployment
_RETRYABLE = (errors.SerializationFailure, errors.DeadlockDetected)


@functools.lru_cache(maxsize=1024)
def translate(sql: str) -> str:
    """The portable `?` placeholders (outside string literals) as psycopg's `%s`; `%` as `%%`."""
    parts = sql.replace("%", "%%").split("'")
    for i in range(0, len(parts), 2):  # even parts are outside string literals
        parts[i] = parts[i].replace("?", "%s")
    return "'".join(parts)


class Cursor:
    """A psycopg cursor that takes the domain's portable SQL."""

    def __init__(self, cur: psycopg.Cursor):
        self._cur = cur

    def execute(self, sql: str, params: list | tuple = ()) -> Cursor:
        self._cur.execute(translate(sql), tuple(params))
        return self

    def executemany(self, sql: str, rows) -> Cursor:
        self._cur.executemany(translate(sql), rows)
        return self

    def fetchone(self) -> tuple | None:
        return self._cur.fetchone()

    def fetchall(self) -> list[tuple]:
        return self._cur.fetchall()

    @property
    def description(self):
        return self._cur.description

    @property
    def raw(self) -> psycopg.Cursor:
        return self._cur


def _configure(conn: psycopg.Connection) -> None:
    # numeric (avg, sums of CASTs) as float, as DuckDB returns DOUBLE.
    conn.adapters.register_loader("numeric", FloatLoader)
    conn.isolation_level = psycopg.IsolationLevel.SERIALIZABLE


class PostgresDatabase(Database):
    engine = "postgresql"
    integrity_errors = (errors.IntegrityError,)
    storage_errors = (errors.DiskFull, OSError)

    def __init__(self, url: str):
        self.path = url
        # TimeZone=UTC: current_timestamp defaults and DATE casts as in DuckDB (servicetjek.clock).
        # check: a connection is tried before it is handed out (one round trip, ~0.03 ms on
        # loopback), so a restarted or failed-over server costs no request an error.
        self._pool = ConnectionPool(url, min_size=1, max_size=POOL_SIZE, open=True, configure=_configure,
                                    check=ConnectionPool.check_connection,
                                    kwargs={"autocommit": True, "options": "-c TimeZone=UTC"})
        self._start()

    def close(self) -> None:
        for hook in self._close_hooks:
            hook()
        self._pool.close()

    @contextmanager
    def cursor(self) -> Iterator[Cursor]:
        with self._pool.connection() as conn:
            yield Cursor(conn.cursor())

    @contextmanager
    def migration_lock(self):
        with self._pool.connection() as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", [MIGRATION_LOCK])
            try:
                yield
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", [MIGRATION_LOCK])

    def bootstrap(self, cur: Cursor) -> None:
        super().bootstrap(cur)
        cur.execute("CREATE SEQUENCE IF NOT EXISTS servicetjek_changes")

    def current_generation(self) -> int:
        return self.query_one("SELECT last_value FROM servicetjek_changes")[0]

    def _bump_generation(self) -> None:
        # After the commit, never inside it: a process that saw the new number before the
        # commit became visible would memoise the old rows under it.
        self.query("SELECT nextval('servicetjek_changes')")

    def _run_with_retries(self, work: Callable[[Cursor], T]) -> T:
        for attempt in range(WRITE_RETRIES):
            try:
                with self._pool.connection() as conn, conn.transaction():
                    return work(Cursor(conn.cursor()))
            except _RETRYABLE as exc:
                # Another process's transaction won; running the work again sees its result.
                if attempt == WRITE_RETRIES - 1:
                    raise WriteConflict(str(exc)) from exc
            time.sleep(random.uniform(0.005, 0.03) * (attempt + 1))
        raise WriteConflict("gave up")  # pragma: no cover - loop always returns or raises

    def insert_rows(self, table: str, columns: list[str], frame) -> None:
        def work(cur: Cursor):
            with cur.raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in frame[columns].itertuples(index=False):
                    copy.write_row([_plain(v) for v in row])

        self.transaction(work)


def wipe_schema(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


def _plain(value):
    """A pandas cell as a Python value: NaN and None as NULL, numpy scalars as int/float."""
    if value is None or value != value:
        return None
    return value.item() if hasattr(value, "item") else value
