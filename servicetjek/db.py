"""The data-access layer: the only module that talks to DuckDB (servicetjek/pg.py talks to
PostgreSQL, chosen by SERVICETJEK_DB=postgresql://...).

The domain modules speak one SQL subset that both engines run: `?` placeholders, ON
CONFLICT, explicit GROUP BY, `x = ANY(?)` for list membership, CAST(... AS DOUBLE PRECISION)
before a division, no engine-only functions. Migrations are shared; a file named
`NNNN_name.<engine>.sql` applies to that engine only, and PostgreSQL reads DuckDB's
TINYINT and empty-list defaults through `_PG_TYPES`. Beside the engines, only storage that
is one engine's own speaks its driver: DuckDB's holding files (holding.py) and file backups
(backup.py); PostgreSQL's sealed held answers (sealed.py) go through this layer.
tests/test_portable_sql.py names DuckDB-only SQL anywhere else.

DuckDB allows one read-write process per file and raises ResourceInUse when threads
share one connection, so the process keeps a single connection and every call works
on its own cursor. Writes run in explicit transactions and are retried on write-write
conflicts, which DuckDB reports instead of blocking.
"""

from __future__ import annotations

import os
import random
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from servicetjek.errors import StorageFull, is_disk_full
from servicetjek.paths import MIGRATIONS_DIR, default_data_dir

MEMORY_LIMIT = os.environ.get("SERVICETJEK_DB_MEMORY", "1GB")
WRITE_RETRIES = 8
MEMO_SIZE = 1024  # entries; cleared when full (keys are tokens and setting names)

T = TypeVar("T")


class WriteConflict(RuntimeError):
    """A write kept conflicting with concurrent writes and was given up."""


def database_target() -> str:
    """SERVICETJEK_DB: a DuckDB file, or a postgresql:// URL."""
    return os.environ.get("SERVICETJEK_DB") or str(default_data_dir() / "servicetjek.duckdb")


def database_path() -> Path:
    return Path(database_target())


def is_postgres(target: str | Path) -> bool:
    return str(target).startswith(("postgresql://", "postgres://"))


def open_database(target: str | Path) -> Database:
    if is_postgres(target):
        from servicetjek.pg import PostgresDatabase

        return PostgresDatabase(str(target))
    return Database(target)


def wipe(target: str) -> None:
    """Delete everything in the database (the demo's --reset): the file, or the PostgreSQL schema."""
    if is_postgres(target):
        from servicetjek.pg import wipe_schema

        wipe_schema(target)
        return
    for suffix in ("", ".wal"):
        Path(target + suffix).unlink(missing_ok=True)


def driver_errors() -> tuple[type[BaseException], ...]:
    """The database drivers' own error classes (for a command line that reports them plainly)."""
    try:
        import psycopg
    except ImportError:  # pragma: no cover - declared dependency
        return (duckdb.Error,)
    return duckdb.Error, psycopg.Error


class Database:
    """The DuckDB engine, and the behaviour both engines share."""

    engine = "duckdb"
    integrity_errors: tuple[type[BaseException], ...] = (duckdb.ConstraintException,)
    storage_errors: tuple[type[BaseException], ...] = (duckdb.IOException, OSError)

    def __init__(self, path: str | Path):
        self.path = str(path)
        if self.path != ":memory:":
            keep_private(self.path)
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = duckdb.connect(self.path, config={"memory_limit": MEMORY_LIMIT, "threads": 2})
        # current_timestamp defaults and casts to DATE/TIMESTAMP would follow the server's TZ:
        # UTC for every cursor (servicetjek.clock: TIMESTAMP columns hold naive UTC).
        self._conn.execute("SET GLOBAL TimeZone = 'UTC'")
        # One process owns the file (DuckDB allows no second writer), so a read can be
        # memoised until this process commits its next write.
        self.generation = 0
        self._start()

    def _start(self) -> None:
        self._generation_lock = threading.Lock()
        self._memo: dict[tuple, tuple[int, Any]] = {}
        self._close_hooks: list[Callable[[], None]] = []
        self.applied = migrate(self)  # names of migrations this open applied

    def close(self) -> None:
        for hook in self._close_hooks:
            hook()
        self._conn.close()

    def on_close(self, hook: Callable[[], None]) -> None:
        """Run `hook` when this database closes (other files opened on its behalf)."""
        self._close_hooks.append(hook)

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        cur = self._conn.cursor()
        try:
            yield cur
        finally:
            cur.close()

    def query(self, sql: str, params: list | tuple = ()) -> list[tuple]:
        with self.cursor() as cur:
            return cur.execute(sql, params).fetchall()

    def query_dicts(self, sql: str, params: list | tuple = ()) -> list[dict[str, Any]]:
        with self.cursor() as cur:
            rel = cur.execute(sql, params)
            names = [d[0] for d in rel.description]
            return [dict(zip(names, row, strict=True)) for row in rel.fetchall()]

    def query_one(self, sql: str, params: list | tuple = ()) -> tuple | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def memoised(self, key: tuple, load: Callable[[], T]) -> T:
        """`load()`, reused until the next committed write that may change what it read.

        For reads on the hot path of a staff-meeting burst (the round behind a link, the
        thresholds): each DuckDB query costs ~0.3-1.5 ms of a two-core server.
        """
        generation = self.current_generation()  # read first: a write during load() makes the entry stale
        hit = self._memo.get(key)
        if hit is not None and hit[0] == generation:
            return hit[1]
        value = load()
        if len(self._memo) >= MEMO_SIZE:
            self._memo.clear()
        self._memo[key] = (generation, value)
        return value

    def current_generation(self) -> int:
        """A number that grows with every committed write a memoised read may depend on."""
        return self.generation

    def migration_lock(self):
        """Held while migrations run: one process owns a DuckDB file, so there is nothing to hold."""
        return nullcontext()

    def bootstrap(self, cur) -> None:
        """Tables the migrations themselves need."""
        cur.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
            " applied_at TIMESTAMP DEFAULT current_timestamp)"
        )

    def _bump_generation(self) -> None:
        # Locked so the number only grows: two writers must not store the same or an older one.
        with self._generation_lock:
            self.generation += 1

    def transaction(self, work: Callable[[duckdb.DuckDBPyConnection], T], *, answers_only: bool = False) -> T:
        """Run `work(cursor)` in one transaction, retrying on write conflicts.

        `answers_only`: the work only adds answers or spends codes, which no memoised read
        depends on, so a burst of submissions keeps the memo warm.
        """
        committed = False
        try:
            result = self._run_with_retries(work)
            committed = True
            return result
        except self.storage_errors as exc:
            if is_disk_full(exc):  # rolled back: tell the user plainly instead of an error page
                raise StorageFull() from exc
            raise
        finally:
            # A failed write may have collided with another writer's fresh commit (whose own
            # bump may not have happened yet): forget the memo so a retry reads that commit.
            if not (committed and answers_only):
                self._bump_generation()

    def _run_with_retries(self, work: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        for attempt in range(WRITE_RETRIES):
            with self.cursor() as cur:
                cur.execute("BEGIN TRANSACTION")
                try:
                    result = work(cur)
                    cur.execute("COMMIT")
                    return result
                except duckdb.TransactionException as exc:
                    _rollback(cur)
                    # "Conflict on update" and a commit that lost a race on a unique key are
                    # both decided by the other writer; running the work again sees its result.
                    message = str(exc).lower()
                    retryable = "conflict" in message or "failed to commit" in message
                    if not retryable or attempt == WRITE_RETRIES - 1:
                        raise WriteConflict(str(exc)) from exc
                except BaseException:
                    _rollback(cur)
                    raise
            time.sleep(random.uniform(0.005, 0.03) * (attempt + 1))
        raise WriteConflict("gave up")  # pragma: no cover - loop always returns or raises

    def execute(self, sql: str, params: list | tuple = ()) -> None:
        self.transaction(lambda cur: cur.execute(sql, params))

    def insert_rows(self, table: str, columns: list[str], frame) -> None:
        """Bulk-insert a pandas DataFrame's `columns` into `table` (demo data, benchmarks)."""

        def work(cur):
            cur.register("incoming_rows", frame)
            names = ", ".join(columns)
            cur.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM incoming_rows")
            cur.unregister("incoming_rows")

        self.transaction(work)


def keep_private(path: str) -> None:
    """The database holds every answer and, without a configured secret, the sign-in cookie
    key: only the server's own user may read it. The umask also covers the WAL DuckDB creates
    later and any backup this process writes."""
    os.umask(os.umask(0o077) | 0o077)
    for existing in (Path(path), Path(path + ".wal")):
        if existing.exists():
            existing.chmod(0o600)


def _rollback(cur: duckdb.DuckDBPyConnection) -> None:
    try:
        cur.execute("ROLLBACK")
    except duckdb.Error:
        pass  # already rolled back by DuckDB after a failed statement


ENGINES = ("duckdb", "postgresql")
# DuckDB spellings in the shared migrations that PostgreSQL reads differently.
_PG_TYPES = ((re.compile(r"\bTINYINT\b"), "SMALLINT"), (re.compile(r"DEFAULT \[\]"), "DEFAULT '{}'"))


def migrations(engine: str = "duckdb") -> list[tuple[int, str, str]]:
    """(version, name, sql) of the migrations for `engine`: shared files, and `NNNN_x.<engine>.sql`."""
    found = []
    for file in sorted(MIGRATIONS_DIR.glob("[0-9][0-9][0-9][0-9]_*.sql")):
        suffix = file.name.removesuffix(".sql").rpartition(".")[2]
        if suffix in ENGINES and suffix != engine:
            continue
        sql = file.read_text(encoding="utf-8")
        if engine == "postgresql":
            for pattern, replacement in _PG_TYPES:
                sql = pattern.sub(replacement, sql)
        found.append((int(file.name[:4]), file.name, sql))
    return found


def migrate(db: Database) -> list[str]:
    """Apply pending forward-only migrations once per deployment; returns the names applied now."""
    with db.migration_lock():
        with db.cursor() as cur:
            db.bootstrap(cur)
        done = {row[0] for row in db.query("SELECT version FROM schema_migrations")}
        applied = []
        for version, name, sql in migrations(db.engine):
            if version in done:
                continue

            def apply(cur, sql=sql, version=version, name=name):
                for statement in _split_sql(sql):
                    cur.execute(statement)
                cur.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [version, name])

            db.transaction(apply)
            applied.append(name)
        return applied


def _split_sql(sql: str) -> list[str]:
    lines = [line for line in sql.splitlines() if not line.strip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


_lock = threading.Lock()
_instance: Database | None = None


def get_db() -> Database:
    """The process-wide database, opened (and migrated) on first use."""
    global _instance
    current = _instance
    if current is not None and current.path == database_target():
        return current  # lock-free fast path: a lock here convoys hundreds of sessions
    with _lock:
        if _instance is None or _instance.path != database_target():
            if _instance is not None:
                _instance.close()
            _instance = open_database(database_target())
        return _instance


def reset_for_tests() -> None:
    global _instance
    with _lock:
        if _instance is not None:
            _instance.close()
        _instance = None
