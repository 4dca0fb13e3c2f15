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

import logging
import os
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from servicetjek import access, clock, holding, rounds, totals
from servicetjek.db import Database
from servicetjek.errors import DomainError, PermissionDenied
from servicetjek.users import User

log = logging.getLogger(__name__)

FILE_PREFIX = "servicetjek-"
DEFAULT_INTERVAL_HOURS = 24.0
DEFAULT_KEEP = 7


def make_backup(db: Database, path: str | Path) -> Path:
    """Write a backup of `db` to `path` (a new file; an existing one is replaced at the end)."""
    if db.engine != "duckdb":
        raise DomainError("errors.backup_postgresql")
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
    holding.copy_open_answers(db, cur, target)


def _copy(cur: duckdb.DuckDBPyConnection, source: str, path: Path, open_answers=None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    _unlink_db(partial)
    # Attached databases are shared by the whole process: a name of its own per backup, so a
    # scheduled backup and an admin's "back up now" can run at the same time.
    target = f"servicetjek_backup_{secrets.token_hex(8)}"
    cur.execute(f"ATTACH '{_sql_path(partial)}' AS {target}")
    try:
        cur.execute(f'COPY FROM DATABASE "{source}" TO {target} (SCHEMA)')
        tables = [row[0] for row in cur.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'main'"
            " ORDER BY table_name", [source]).fetchall()]
        cur.execute("BEGIN TRANSACTION")  # one snapshot of every table
        try:
            for table in tables:
                # Random order: the backup must not keep the order in which answers arrived.
                cur.execute(f'INSERT INTO {target}.main."{table}" SELECT * FROM "{source}".main."{table}"'
                            " ORDER BY random()")
            if open_answers is not None:
                open_answers(target)
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
    finally:
        cur.execute(f"DETACH {target}")
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
    restored = Database(target)  # a backup from an older version gets the newer migrations
    try:
        rounds.recover(restored)  # held answers back into holding files beside the restored file
        totals.rebuild(restored)  # released answers of open rounds joined `responses` in the backup
    finally:
        restored.close()
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
    default_dir = Path(db.path).parent / "backups" if db.path != ":memory:" else Path("backups")
    directory = (os.environ.get("SERVICETJEK_BACKUP_DIR") or overrides.get("dir")
                 or settings.get(db, "backup_dir") or default_dir)
    interval = (os.environ.get("SERVICETJEK_BACKUP_INTERVAL_HOURS") or overrides.get("interval_hours")
                or settings.get(db, "backup_interval_hours") or DEFAULT_INTERVAL_HOURS)
    keep = (os.environ.get("SERVICETJEK_BACKUP_KEEP") or overrides.get("keep")
            or settings.get(db, "backup_keep") or DEFAULT_KEEP)
    return Schedule(Path(directory), float(interval), max(1, int(keep)))


def set_schedule(db: Database, user: User | None, interval_hours: float, keep: int) -> None:
    """Admin: store interval (hours, 0 = no scheduled backups) and how many backups to keep."""
    from servicetjek import settings

    _require_admin(user)
    try:
        interval_hours, keep = float(interval_hours), int(keep)
    except (TypeError, ValueError):
        raise DomainError("settings.backup_invalid") from None
    if not 0 <= interval_hours <= 24 * 31 or not 1 <= keep <= 365:
        raise DomainError("settings.backup_invalid")
    settings.put(db, "backup_interval_hours", f"{interval_hours:g}")
    settings.put(db, "backup_keep", str(keep))


def backups(directory: Path) -> list[Path]:
    """Finished backups in `directory`, newest first (names carry a sortable UTC time)."""
    if not directory.is_dir():
        return []
    return sorted(directory.glob(f"{FILE_PREFIX}*.duckdb"), reverse=True)


def newest(directory: Path) -> Path | None:
    found = backups(directory)
    return found[0] if found else None


def taken_at(path: Path) -> datetime:
    """When a backup in the folder was made (naive UTC, from its name)."""
    return datetime.strptime(path.stem.removeprefix(FILE_PREFIX), "%Y%m%dT%H%M%S%fZ")


def backup_now(db: Database, plan: Schedule, now: datetime | None = None) -> Path:
    """One backup into the backup folder, then prune to the `keep` newest."""
    stamp = (now or clock.now()).strftime("%Y%m%dT%H%M%S%fZ")
    path = make_backup(db, plan.directory / f"{FILE_PREFIX}{stamp}.duckdb")
    for old in backups(plan.directory)[plan.keep:]:
        old.unlink(missing_ok=True)
    return path


def backup_now_for(db: Database, user: User | None, overrides: dict | None = None) -> Path:
    """Admin: a backup now, into the scheduled folder."""
    _require_admin(user)
    return backup_now(db, schedule(db, overrides))


def newest_for_download(db: Database, user: User | None, overrides: dict | None = None) -> Path | None:
    """Admin: the newest finished backup (it holds password hashes and every answer: admins only)."""
    _require_admin(user)
    return newest(schedule(db, overrides).directory)


def _require_admin(user: User | None) -> None:
    if not access.has_capability(user, access.ADMIN):
        raise PermissionDenied()


class BackupScheduler(threading.Thread):
    """A daemon thread that backs up every `interval_hours` (0 or less: waits and checks again)."""

    IDLE_CHECK_SECONDS = 3600.0  # with backups switched off, look at the settings again hourly
    RETRY_SECONDS = 600.0  # after a failure (disk full, folder missing), and the shortest pause

    def __init__(self, db: Database, overrides: dict | None = None):
        super().__init__(name="servicetjek-backup", daemon=True)
        self.db, self.overrides = db, overrides or {}
        self.stopped = threading.Event()

    def seconds_to_next(self) -> float:
        plan = schedule(self.db, self.overrides)
        if plan.interval_hours <= 0:
            return self.IDLE_CHECK_SECONDS
        last = newest(plan.directory)
        # The first backup comes one interval after the start (not during start-up bursts);
        # after a restart, what is left of the interval since the newest backup.
        since = (clock.utcnow() - taken_at(last)).total_seconds() if last else 0.0
        return max(0.0, plan.interval_hours * 3600 - since)

    def run(self) -> None:
        try:
            wait = self.seconds_to_next()
        except Exception:  # noqa: BLE001 - e.g. the database is being closed; try again later
            log.exception("could not read the backup schedule")
            wait = self.RETRY_SECONDS
        while not self.stopped.wait(wait):
            try:
                plan = schedule(self.db, self.overrides)  # an admin may have changed it meanwhile
                if plan.interval_hours > 0:
                    log.info("backup written to %s", backup_now(self.db, plan))
                wait = max(self.seconds_to_next(), self.RETRY_SECONDS)
            except Exception:  # noqa: BLE001 - a failed backup must not stop the next ones
                log.exception("scheduled backup failed")
                wait = self.RETRY_SECONDS


_scheduler: BackupScheduler | None = None
_scheduler_lock = threading.Lock()


def start_scheduler(db: Database, overrides: dict | None = None) -> BackupScheduler:
    """Start the process's one backup thread (later calls return the running one)."""
    global _scheduler
    with _scheduler_lock:
        if _scheduler is None or not _scheduler.is_alive() or _scheduler.db is not db:
            if _scheduler is not None:
                _scheduler.stopped.set()
            _scheduler = BackupScheduler(db, overrides)
            _scheduler.start()
        return _scheduler
