"""Backups as fresh database files, made by the running app or by `servicetjek backup`.

A backup is never a byte copy of the database file: freed blocks and the WAL of a live
file still hold rows that were deleted or rewritten (DESIGN §8), and rows sit in arrival
order. So a backup is a new DuckDB file: the schema (tables, sequences at their current
values) is copied, then every table's rows are inserted in random order, all read from
one snapshot. Answers of open rounds that live outside the main tables are added by
`copy_open_answers` (the hook below).

DuckDB lets one process open the file: the running app makes its own backups on a
schedule (BackupScheduler); `servicetjek backup FILE` and `restore` need the app stopped.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from servicetjek import clock
from servicetjek.db import Database
from servicetjek.paths import default_data_dir

log = logging.getLogger(__name__)

TARGET = "servicetjek_backup"  # catalog name of the backup file while it is written
FILE_PREFIX = "servicetjek-"
DEFAULT_INTERVAL_HOURS = 24.0
DEFAULT_KEEP = 7


def make_backup(db: Database, path: str | Path) -> Path:
    """Write a backup of `db` to `path` (a new file; an existing one is replaced at the end)."""
    path = Path(path)
    with db.cursor() as cur:
        source = cur.execute("SELECT current_database()").fetchone()[0]
        _copy(cur, source, path, open_answers=lambda target: copy_open_answers(db, cur, target))
    return path


def copy_open_answers(db: Database, cur: duckdb.DuckDBPyConnection, target: str) -> None:
    """Hook for answers of open rounds kept outside `responses` (per-round holding files).

    Called inside the backup's transaction, after the main tables are copied; `target` is
    the catalog name of the backup. Delegates to servicetjek.holding when that module exists.
    """
    if importlib.util.find_spec("servicetjek.holding") is None:
        return  # answers live only in `responses` in this version
    holding = importlib.import_module("servicetjek.holding")
    holding.copy_open_answers(db, cur, target)


def _copy(cur: duckdb.DuckDBPyConnection, source: str, path: Path, open_answers=None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    _unlink_db(partial)
    cur.execute(f"ATTACH '{_sql_path(partial)}' AS {TARGET}")
    try:
        cur.execute(f'COPY FROM DATABASE "{source}" TO {TARGET} (SCHEMA)')
        tables = [row[0] for row in cur.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'main'"
            " ORDER BY table_name", [source]).fetchall()]
        cur.execute("BEGIN TRANSACTION")  # one snapshot of every table
        try:
            for table in tables:
                # Random order: the backup must not keep the order in which answers arrived.
                cur.execute(f'INSERT INTO {TARGET}.main."{table}" SELECT * FROM "{source}".main."{table}"'
                            " ORDER BY random()")
            if open_answers is not None:
                open_answers(TARGET)
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
    finally:
        cur.execute(f"DETACH {TARGET}")
    _unlink_db(path)
    partial.replace(path)


def restore(backup_file: str | Path, target: str | Path) -> Path | None:
    """Replace the database `target` with a fresh copy of `backup_file`, then migrate it.

    The replaced database is kept beside it (returned), so a wrong restore can be undone.
    Run with the app stopped: DuckDB lets only one process open the file.
    """
    backup_file, target = Path(backup_file), Path(target)
    if not backup_file.is_file():
        raise FileNotFoundError(backup_file)
    fresh = target.with_name(target.name + ".restoring")
    # An in-memory session reads the backup read-only and writes the fresh file.
    session = duckdb.connect(":memory:")
    try:
        with session.cursor() as cur:
            cur.execute(f"ATTACH '{_sql_path(backup_file)}' AS servicetjek_source (READ_ONLY)")
            if not cur.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'schema_migrations'"
                               " AND database_name = 'servicetjek_source'").fetchone()[0]:
                raise ValueError(f"{backup_file} is not a Servicetjek database")
            _copy(cur, "servicetjek_source", fresh)
    finally:
        session.close()
    previous = None
    if target.exists():
        previous = target.with_name(f"{target.name}.before-restore-{clock.now():%Y%m%dT%H%M%SZ}")
        target.replace(previous)
        _unlink_db(target)  # its WAL belongs to the replaced file
    fresh.replace(target)
    Database(target).close()  # a backup from an older version gets the newer migrations
    return previous


def _unlink_db(path: Path) -> None:
    for candidate in (path, path.with_name(path.name + ".wal")):
        candidate.unlink(missing_ok=True)


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


# Scheduled backups in the running app -------------------------------------------------

@dataclass(frozen=True)
class Schedule:
    directory: Path
    interval_hours: float
    keep: int


def schedule(db: Database, overrides: dict | None = None) -> Schedule:
    """Backup settings: SERVICETJEK_BACKUP_* environment, then secrets.toml [backup], then the settings table."""
    from servicetjek import settings

    overrides = overrides or {}

    def pick(env: str, key: str, default: str) -> str:
        return os.environ.get(env) or str(overrides.get(key) or "") or settings.get(db, f"backup_{key}", default)

    directory = Path(pick("SERVICETJEK_BACKUP_DIR", "dir", str(default_data_dir() / "backups")))
    interval = float(pick("SERVICETJEK_BACKUP_INTERVAL_HOURS", "interval_hours", str(DEFAULT_INTERVAL_HOURS)))
    keep = int(pick("SERVICETJEK_BACKUP_KEEP", "keep", str(DEFAULT_KEEP)))
    return Schedule(directory, interval, max(1, keep))


def backups(directory: Path) -> list[Path]:
    """Finished backups in `directory`, newest first."""
    if not directory.is_dir():
        return []
    return sorted(directory.glob(f"{FILE_PREFIX}*.duckdb"), reverse=True)


def newest(directory: Path) -> Path | None:
    found = backups(directory)
    return found[0] if found else None


def backup_now(db: Database, plan: Schedule, now: datetime | None = None) -> Path:
    """One scheduled backup into the backup folder, then prune to the `keep` newest."""
    stamp = (now or clock.now()).strftime("%Y%m%dT%H%M%S%fZ")
    path = make_backup(db, plan.directory / f"{FILE_PREFIX}{stamp}.duckdb")
    for old in backups(plan.directory)[plan.keep:]:
        old.unlink(missing_ok=True)
    return path


class BackupScheduler(threading.Thread):
    """A daemon thread that backs up every `interval_hours` (0 or less: never)."""

    def __init__(self, db: Database, plan: Schedule):
        super().__init__(name="servicetjek-backup", daemon=True)
        self.db, self.plan = db, plan
        self.stopped = threading.Event()

    def run(self) -> None:
        if self.plan.interval_hours <= 0:
            return
        seconds = self.plan.interval_hours * 3600
        last = newest(self.plan.directory)
        # After a restart, wait out what is left of the interval since the newest backup.
        wait = max(0.0, seconds - (time.time() - last.stat().st_mtime)) if last else 0.0
        while not self.stopped.wait(wait):
            try:
                backup_now(self.db, self.plan)
            except Exception:  # noqa: BLE001 - a failed backup must not stop the next ones
                log.exception("scheduled backup failed")
            wait = seconds


_scheduler: BackupScheduler | None = None
_scheduler_lock = threading.Lock()


def start_scheduler(db: Database, overrides: dict | None = None) -> BackupScheduler:
    """Start the process's one backup thread (later calls return the running one)."""
    global _scheduler
    with _scheduler_lock:
        if _scheduler is None or not _scheduler.is_alive() or _scheduler.db is not db:
            if _scheduler is not None:
                _scheduler.stopped.set()
            _scheduler = BackupScheduler(db, schedule(db, overrides))
            _scheduler.start()
        return _scheduler

