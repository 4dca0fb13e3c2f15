"""Answers of open rounds, kept apart until the round closes.

A table keeps the order in which rows arrive, and a deleted row stays readable in the
write-ahead log and in freed blocks of the database file. So while a round is open its
answers (and its single-use codes) live in a holding file of their own. At close the
released answers move into the main `responses` table in random order, in one
transaction, and the holding file is overwritten and deleted. Answers that may not be
released yet (fewer than k since the last release) go on into a fresh holding file.

The main database knows a holding file only by name, in `round_state`. A file that is not
named there is left over from a crash and is wiped at start-up; a round that closed while
the app was down is settled then.

A holding file is an SQLite database (Python's own `sqlite3`), not DuckDB: a staff meeting
writes to it in a burst, and a DuckDB call takes Python's interpreter lock back many times
before it returns (once per task it runs), which on two busy cores made each commit cost
several times its quiet CPU; `sqlite3` gives it up only while SQLite prepares and steps a
statement (docs/benchmarks.md). Its rollback journal is kept in place (journal_mode=PERSIST)
rather than deleted after each commit, so no freed disk block keeps a journal's answers, and
the wipe overwrites the journal with the file. Files of the DuckDB kind that earlier
versions wrote are converted at start-up (`convert_duckdb_files`).

Release rule (what results may show): an open round's figures are the answers up to
`released_seq`; a release moves only when at least k new answers have arrived, so two
views never differ by fewer than k answers. Rounds with respondent groups release only at
close, and their group figures are frozen at their first release (results.py).
"""

from __future__ import annotations

import errno
import json
import logging
import os
import random
import secrets
import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from servicetjek import totals
from servicetjek.content import THEME_IDS
from servicetjek.db import Database
from servicetjek.errors import StorageFull, is_disk_full

ANSWER_COLUMNS = (*THEME_IDS, "respondent_group", "comment")
SUFFIX = ".sqlite"
_SCHEMA = [  # STRICT: a value of the wrong type is refused, not stored as it came
    "CREATE TABLE answers (seq INTEGER PRIMARY KEY, "
    + ", ".join(f"{t} INTEGER NOT NULL CHECK ({t} BETWEEN 1 AND 5)" for t in THEME_IDS)
    + ", respondent_group TEXT, comment TEXT) STRICT",
    "CREATE TABLE codes (code_hash TEXT PRIMARY KEY, used INTEGER NOT NULL DEFAULT 0) STRICT",
    "CREATE TABLE tally (name TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT",
]
_PRAGMAS = ("PRAGMA journal_mode = PERSIST", "PRAGMA synchronous = FULL")  # durable at every commit


def answer_placeholders(rows: int) -> str:
    """`(?, …), (?, …)` for a multi-row INSERT of `rows` answers, each a number and ANSWER_COLUMNS."""
    return ", ".join(["(" + ", ".join("?" * (len(ANSWER_COLUMNS) + 1)) + ")"] * rows)


class RoundClosed(Exception):
    """The round closed while an answer waited to be stored."""


class CodeRefused(Exception):
    """The answer's single-use code is unknown or already used; `reason` says which."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Held:
    """One answer waiting to be stored: its values in ANSWER_COLUMNS order."""

    row: tuple
    code_hash: str | None = None
    fast: bool = False  # sent sooner than the form can be read
    now: datetime | None = None  # the moment the round must be open at (tests pass one; None: now)


@dataclass(frozen=True)
class State:
    holding_file: str | None
    released_seq: int
    settled: bool
    fast_answers: int
    groups_n: int | None
    groups_json: str | None

    @property
    def groups(self) -> dict | None:
        return json.loads(self.groups_json) if self.groups_json else None


def wipe(path: Path) -> None:
    """Overwrite a file (and its journal) with zeros before deleting it, so its blocks do not
    keep answers. `.wal`: a DuckDB file's, left by an earlier version."""
    for file in (path, *(path.with_name(path.name + end) for end in ("-journal", "-wal", "-shm", ".wal"))):
        try:
            fd = _open_own(file)
        except FileNotFoundError:
            continue
        if fd is not None:
            try:
                _zero(fd)
            finally:
                os.close(fd)
        file.unlink()


def _open_own(file: Path) -> int | None:
    """The file for writing; None if it is a symbolic link (ours never are: a link planted in
    the folder must not make the server zero what it points to)."""
    try:
        return os.open(file, os.O_RDWR | os.O_NOFOLLOW)
    except OSError as error:
        if error.errno == errno.ELOOP:
            return None
        raise


def _named(path: Path, fd: int) -> bool:
    """Whether `path` still names the file open as `fd` (a wipe may unlink it meanwhile)."""
    try:
        return os.path.samestat(os.stat(path), os.fstat(fd))
    except FileNotFoundError:
        return False


def _zero(fd: int) -> None:
    os.pwrite(fd, b"\0" * os.fstat(fd).st_size, 0)
    os.fsync(fd)


class HeldFile:
    """One open holding file. Its cursors take turns: a cursor holds the file's lock until it
    is closed, so a transaction never interleaves with another thread's statements."""

    def __init__(self, path: Path, create: bool = False):
        # A crash during a commit leaves a hot journal (earlier answers' pages, in order). The
        # first statement rolls it back before any PRAGMA takes effect, and in SQLite's default
        # mode then deletes it unzeroed. Held open here, its blocks stay ours to zero.
        journal = path.with_name(path.name + "-journal")
        try:
            kept = _open_own(journal)
        except FileNotFoundError:
            kept = None
        conn = None
        try:
            try:
                # Only a new file is created: a reader that comes after a close wiped its file
                # gets an error, not an empty file under the old name.
                conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode={'rwc' if create else 'rw'}", uri=True,
                                       isolation_level=None, check_same_thread=False)
                for pragma in _PRAGMAS:
                    conn.execute(pragma)
            finally:
                if kept is not None:
                    try:
                        if not _named(journal, kept):
                            _zero(kept)  # rolled back and deleted: no name left, only this descriptor
                    finally:
                        os.close(kept)
        except BaseException:  # no descriptor or connection stays open for a file that failed to open
            if conn is not None:
                conn.close()
            raise
        self.conn = conn
        self.lock = threading.Lock()

    def cursor(self) -> HeldCursor:
        return HeldCursor(self)

    def close(self) -> None:
        with self.lock:
            self.conn.close()


class HeldCursor:
    def __init__(self, file: HeldFile):
        file.lock.acquire()
        try:
            self._cur = file.conn.cursor()
        except BaseException:  # a file a close shut meanwhile: the error is this caller's, not the lock
            file.lock.release()
            raise
        self._lock = file.lock

    def execute(self, sql: str, params=()) -> sqlite3.Cursor:
        return self._cur.execute(sql, params)

    def executemany(self, sql: str, rows) -> sqlite3.Cursor:
        return self._cur.executemany(sql, rows)

    def close(self) -> None:
        if self._cur is not None:
            self._cur, cur = None, self._cur
            cur.close()
            self._lock.release()


class Holding:
    def __init__(self, db: Database):
        self.db = db
        self.folder = Path(db.path + ".holding")
        self._conns: dict[str, HeldFile] = {}
        self._last_seq: dict[str, int] = {}  # holding file -> its answers' highest seq, once known
        self._locks: dict[int, threading.RLock] = {}
        self._guard = threading.Lock()
        self._wiped: set[str] = set()  # discarded names: never opened again (names are not reused)

    # --- files ------------------------------------------------------------------------

    def lock(self, round_id: int) -> threading.RLock:
        with self._guard:
            return self._locks.setdefault(round_id, threading.RLock())

    def _connect(self, name: str, create: bool = False) -> HeldFile:
        conn = self._conns.get(name)
        if conn is None:
            with self._guard:
                conn = self._conns.get(name)
                if conn is None:
                    if name in self._wiped:  # a reader that read the state before a close discarded it
                        raise sqlite3.OperationalError(f"holding file {name} was wiped")
                    conn = self._conns[name] = HeldFile(self.folder / name, create)
        return conn

    def discard(self, name: str) -> None:
        """Close and wipe a holding file no round needs (any more)."""
        with self._guard:
            self._wiped.add(name)  # from now on: not opened again while (or after) it is wiped
            conn = self._conns.pop(name, None)
            self._last_seq.pop(name, None)
        if conn is not None:
            conn.close()
        wipe(self.folder / name)

    def create_file(self, codes: Iterable[tuple[str, bool]] = (), answers: Iterable[tuple] = ()) -> str:
        """A fresh holding file with these codes and (unreleased) answers, in random order."""
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)  # also a folder that was there before, made some other way
        name = f"{secrets.token_hex(12)}{SUFFIX}"
        answers = list(answers)
        random.shuffle(answers)  # their order of arrival does not survive into the new file
        conn = self._connect(name, create=True)
        cur = conn.cursor()
        try:
            cur.execute("BEGIN TRANSACTION")
            for statement in _SCHEMA:
                cur.execute(statement)
            cur.execute("INSERT INTO tally VALUES ('fast', 0)")
            codes = list(codes)
            if codes:
                cur.executemany("INSERT INTO codes VALUES (?, ?)", codes)
            if answers:
                cur.executemany(f"INSERT INTO answers VALUES ({', '.join('?' * (len(ANSWER_COLUMNS) + 1))})",
                                [(i, *row) for i, row in enumerate(answers, 1)])
            cur.execute("COMMIT")
        except BaseException as error:
            cur.close()
            self.discard(name)
            if isinstance(error, Exception) and is_disk_full(error):
                raise StorageFull() from error
            raise
        cur.close()
        os.chmod(self.folder / name, 0o600)
        return name

    def _query(self, name: str, sql: str, params=()) -> list[tuple]:
        cur = self._connect(name).cursor()
        try:
            return cur.execute(sql, params).fetchall()
        finally:
            cur.close()

    # --- state in the main database ----------------------------------------------------

    def read_state(self, round_id: int) -> State | None:
        row = self.db.query_one("SELECT holding_file, released_seq, settled, fast_answers, groups_n, groups_json"
                                " FROM round_state WHERE round_id = ?", [round_id])
        return State(*row) if row else None

    def state(self, round_id: int) -> State | None:
        """Memoised: read by every group commit of a burst, and every change to it is a write
        that clears the memo (under the round's lock, which the store path holds too)."""
        return self.db.memoised(("round_state", round_id), lambda: self.read_state(round_id))

    def open_store(self, round_id: int, still_open: Callable[[datetime | None], bool]) -> None:
        """Create or open the round's holding file now, while the form is shown: the first
        answer of a burst would otherwise do it (~40 ms) while every other phone waits."""
        state = self.state(round_id)
        if state is not None and state.holding_file is not None:
            self._connect(state.holding_file)
            return
        with self.lock(round_id):  # as store(): a round closed meanwhile gets no new file
            if still_open(None):
                self._connect(self._file_for(round_id))

    def held_count(self, round_id: int) -> int:
        state = self.state(round_id)
        if state is None or state.holding_file is None:
            return 0
        return self._query(state.holding_file, "SELECT count(*) FROM answers")[0][0]

    def codes_used(self, round_id: int) -> tuple[int, int]:
        state = self.state(round_id)
        if state is None or state.holding_file is None:
            return 0, 0
        used, total = self._query(state.holding_file,
                                  "SELECT count(*) FILTER (WHERE used), count(*) FROM codes")[0]
        return used, total

    def fast_answers(self, round_id: int) -> int:
        state = self.state(round_id)
        if state is None:
            return 0
        if state.holding_file is None:
            return state.fast_answers
        return state.fast_answers + self._query(state.holding_file, "SELECT value FROM tally WHERE name = 'fast'")[0][0]

    def released_held_rows(self, round_id: int) -> list[tuple]:
        """Held answers that are released (ANSWER_COLUMNS order)."""
        state = self.state(round_id)
        if state is None or state.holding_file is None or not state.released_seq:
            return []
        return self._query(state.holding_file, f"SELECT {', '.join(ANSWER_COLUMNS)} FROM answers WHERE seq <= ?",
                           [state.released_seq])

    # --- writing answers ------------------------------------------------------------------

    def store(self, round_id: int, batch: list[Held],
              still_open: Callable[[datetime | None], bool]) -> dict[int, Exception]:
        """Store a batch of answers for one round in one transaction of its holding file.

        Returns the refused items by index: CodeRefused, or RoundClosed when the round closed
        in the meantime (checked under the round's lock, which closing also takes).

        As few statements as possible: during a burst each one waits to take the interpreter
        lock back, and so costs several times its quiet cost. So the next sequence
        number is kept in memory (only this method adds answers to an existing file, under
        the round's lock), and a batch without codes or too-fast answers is one INSERT.
        """
        with self.lock(round_id):
            open_at = {now: still_open(now) for now in {item.now for item in batch}}
            name = self._file_for(round_id)
            cur = self._connect(name).cursor()
            one_statement = not any(item.code_hash is not None or item.fast for item in batch)
            try:
                if not one_statement:
                    cur.execute("BEGIN TRANSACTION")
                refused: dict[int, Exception] = {}
                rows = []
                for i, item in enumerate(batch):
                    if not open_at[item.now]:
                        refused[i] = RoundClosed()
                        continue
                    if item.code_hash is not None:
                        found = cur.execute("SELECT used FROM codes WHERE code_hash = ?", [item.code_hash]).fetchone()
                        if found is None or found[0]:
                            refused[i] = CodeRefused("unknown" if found is None else "used")
                            continue
                        cur.execute("UPDATE codes SET used = true WHERE code_hash = ?", [item.code_hash])
                    rows.append(item)
                if rows:
                    start = self._last_seq.get(name)
                    if start is None:
                        start = cur.execute("SELECT coalesce(max(seq), 0) FROM answers").fetchone()[0]
                    cur.execute(f"INSERT INTO answers VALUES {answer_placeholders(len(rows))}",
                                [v for i, item in enumerate(rows, start + 1) for v in (i, *item.row)])
                    fast = sum(item.fast for item in rows)
                    if fast:
                        cur.execute("UPDATE tally SET value = value + ? WHERE name = 'fast'", [fast])
                if not one_statement:
                    cur.execute("COMMIT")
                if rows:
                    self._last_seq[name] = start + len(rows)
                return refused
            except BaseException as error:
                self._last_seq.pop(name, None)  # unknown after a failure: read from the file next time
                if not one_statement:
                    try:
                        cur.execute("ROLLBACK")
                    except Exception:  # noqa: BLE001 - the first error is the one to report
                        pass
                if isinstance(error, Exception) and is_disk_full(error):
                    raise StorageFull() from error  # nothing stored; the phone is told plainly
                raise
            finally:
                cur.close()

    def _file_for(self, round_id: int) -> str:
        """The round's holding file, made now if it has none (the caller holds the round's lock)."""
        state = self.state(round_id)
        return state.holding_file if state and state.holding_file else self._new_file_for(round_id)

    def _new_file_for(self, round_id: int) -> str:
        name = self.create_file()
        try:
            self.db.execute("INSERT INTO round_state (round_id, holding_file) VALUES (?, ?) ON CONFLICT (round_id)"
                            " DO UPDATE SET holding_file = excluded.holding_file", [round_id, name])
        except BaseException:
            self.discard(name)
            raise
        return name

    # --- releasing and settling ------------------------------------------------------------

    def release(self, round_id: int, k: int) -> bool:
        """Release the held answers if at least k arrived since the last release."""
        with self.lock(round_id):
            state = self.state(round_id)
            if state is None or state.holding_file is None:
                return False
            last = self._query(state.holding_file, "SELECT coalesce(max(seq), 0) FROM answers")[0][0]
            if last - state.released_seq < k:
                return False
            self.db.execute("UPDATE round_state SET released_seq = ? WHERE round_id = ?", [last, round_id])
            return True

    def settle(self, round_id: int, k: int, freeze_groups: Callable[[list[tuple]], dict] | None = None) -> None:
        """Close-time move: release what may be released and move it, shuffled, into `responses`.

        `freeze_groups(rows)` computes the group figures to keep for good, on the round's
        first release only (see results.py).
        """
        with self.lock(round_id):
            state = self.state(round_id)
            if state is None:
                self.db.execute("INSERT INTO round_state (round_id, settled) VALUES (?, true)"
                                " ON CONFLICT (round_id) DO UPDATE SET settled = true", [round_id])
                return
            name = state.holding_file
            rows, codes, fast = [], [], 0
            if name is not None:
                rows = self._query(name, f"SELECT seq, {', '.join(ANSWER_COLUMNS)} FROM answers")
                codes = self._query(name, "SELECT code_hash, used FROM codes")
                fast = self._query(name, "SELECT value FROM tally WHERE name = 'fast'")[0][0]
            settled_before = self.db.query_one("SELECT count(*) FROM responses WHERE round_id = ?", [round_id])[0]
            plan = plan_settle(state, rows, k, settled_before, freeze_groups)
            new_name = self.create_file(codes, plan.leftovers) if codes or plan.leftovers else None
            try:
                self.db.transaction(lambda cur: plan.move(cur, round_id, new_name, fast))
            except BaseException:
                if new_name:
                    self.discard(new_name)
                raise
            if name is not None:
                self.discard(name)

    def reopen(self, round_id: int) -> None:
        with self.lock(round_id):
            self.db.execute("INSERT INTO round_state (round_id, settled) VALUES (?, false)"
                            " ON CONFLICT (round_id) DO UPDATE SET settled = false", [round_id])

    # --- start-up ---------------------------------------------------------------------------

    def wipe_orphans(self) -> list[str]:
        """Delete holding files that no round names (left by a crash); returns their names."""
        if not self.folder.exists():
            return []
        named = {r[0] for r in self.db.query("SELECT holding_file FROM round_state WHERE holding_file IS NOT NULL")}
        orphans = [p for end in (SUFFIX, ".duckdb") for p in self.folder.glob(f"*{end}") if p.name not in named]
        for path in orphans:
            self.discard(path.name)
        for journal in (*self.folder.glob("*-journal"), *self.folder.glob("*.duckdb.wal")):
            if journal.name.removesuffix("-journal").removesuffix(".wal") not in named:
                wipe(journal)
        return [p.name for p in orphans]

    def convert_duckdb_files(self) -> None:
        """Start-up after an upgrade: holding files an earlier version wrote with DuckDB become
        SQLite files with the same answers, sequence numbers, codes and tally; the old file is
        wiped."""
        for round_id, name in self.db.query("SELECT round_id, holding_file FROM round_state"
                                            " WHERE holding_file LIKE '%.duckdb'"):
            if not (self.folder / name).exists():  # someone removed it: loud, as every missing file
                logging.getLogger(__name__).error("round %s: its holding file %s is missing", round_id, name)
                continue
            with self.lock(round_id):
                answers, codes, fast = self._read_duckdb_file(self.folder / name)
                new = self.create_file(codes)
                cur = self._connect(new).cursor()
                try:
                    cur.execute("BEGIN TRANSACTION")
                    cur.executemany(f"INSERT INTO answers VALUES {answer_placeholders(1)}", answers)
                    cur.execute("UPDATE tally SET value = ? WHERE name = 'fast'", [fast])
                    cur.execute("COMMIT")
                finally:
                    cur.close()
                self.db.execute("UPDATE round_state SET holding_file = ? WHERE round_id = ?", [new, round_id])
                wipe(self.folder / name)

    @staticmethod
    def _read_duckdb_file(path: Path) -> tuple[list[tuple], list[tuple], int]:
        """(seq, *ANSWER_COLUMNS) in order, (code_hash, used) and the fast tally."""
        # Read-only: opened for writing, DuckDB would fold the WAL (answers in order) into the
        # file at close and delete it unzeroed; left as it is, the wipe zeroes it.
        old = duckdb.connect(str(path), read_only=True)
        try:
            return (old.execute(f"SELECT seq, {', '.join(ANSWER_COLUMNS)} FROM answers ORDER BY seq").fetchall(),
                    old.execute("SELECT code_hash, used FROM codes").fetchall(),
                    old.execute("SELECT value FROM tally WHERE name = 'fast'").fetchone()[0])
        finally:
            old.close()

    def held_rows(self, round_id: int) -> list[tuple]:
        """Every held answer of a round, released or not (ANSWER_COLUMNS order, any order)."""
        state = self.state(round_id)
        if state is None or state.holding_file is None:
            return []
        return self._query(state.holding_file, f"SELECT {', '.join(ANSWER_COLUMNS)} FROM answers")

    def close(self) -> None:
        with self._guard:
            conns, self._conns = list(self._conns.values()), {}
            self._last_seq.clear()
        for conn in conns:
            conn.close()


@dataclass
class SettlePlan:
    """What a close does with a round's held answers; the same rule for every engine."""

    moving: list[tuple]  # released: into `responses`, shuffled
    leftovers: list[tuple]  # fewer than k since the last release: held on
    groups_json: str | None
    groups_n: int | None

    def move(self, cur, round_id: int, holding_name: str | None, fast: int) -> None:
        """In the settling transaction: insert the released answers shuffled, note the new state."""
        if self.moving:
            cur.execute(f"INSERT INTO responses (round_id, {', '.join(ANSWER_COLUMNS)})"
                        f" VALUES {answer_placeholders(len(self.moving))}",
                        [v for row in self.moving for v in (round_id, *row)])
            totals.refresh(cur, round_id)
        cur.execute("UPDATE round_state SET holding_file = ?, released_seq = 0, settled = true, held_back = ?,"
                    " fast_answers = fast_answers + ?, groups_json = ?, groups_n = ? WHERE round_id = ?",
                    [holding_name, len(self.leftovers), fast, self.groups_json, self.groups_n, round_id])


def plan_settle(state: State, rows: list[tuple], k: int, settled_before: int,
                freeze_groups: Callable[[list[tuple]], dict] | None) -> SettlePlan:
    """`rows`: (seq, *ANSWER_COLUMNS) of the held answers. Releases what may be released."""
    released_seq = state.released_seq
    if len([r for r in rows if r[0] > released_seq]) >= k:
        released_seq = max(r[0] for r in rows)
    moving = [r[1:] for r in rows if r[0] <= released_seq]
    leftovers = [r[1:] for r in rows if r[0] > released_seq]
    random.shuffle(moving)  # arrival order must not survive into `responses`
    groups_json, groups_n = state.groups_json, state.groups_n
    first_release = settled_before == 0 and state.released_seq == 0 and moving
    if first_release and freeze_groups is not None and groups_json is None:
        groups_json, groups_n = json.dumps(freeze_groups(moving)), len(moving)
    return SettlePlan(moving, leftovers, groups_json, groups_n)


# --- backups ---------------------------------------------------------------------------------

HELD_TABLES = {
    "held_answers": "round_id INTEGER NOT NULL, " + ", ".join(f"{t} TINYINT NOT NULL" for t in THEME_IDS)
                    + ", respondent_group VARCHAR, comment VARCHAR",
    "held_codes": "round_id INTEGER NOT NULL, code_hash VARCHAR NOT NULL, used BOOLEAN NOT NULL",
}


def copy_open_answers(db: Database, cur: duckdb.DuckDBPyConnection, target: str) -> None:
    """Add held answers and codes to a backup (servicetjek/backup.py), in random order.

    Released answers join the backup's `responses` (they are in the figures already);
    answers not released yet and the codes go into tables of their own, which `adopt_held`
    turns back into holding files when the backup is restored. So the backup is one file,
    holds every answer acknowledged before it began, and no order of arrival.
    """
    store = for_database(db)
    for table, columns in HELD_TABLES.items():
        cur.execute(f"CREATE TABLE {target}.main.{table} ({columns})")
    held = db.query("SELECT round_id, released_seq FROM round_state WHERE holding_file IS NOT NULL")
    released, pending, codes = [], [], []
    for round_id, released_seq in held:
        with store.lock(round_id):
            state = store.state(round_id)
            if state is None or state.holding_file is None:
                continue
            for seq, *row in store._query(state.holding_file, f"SELECT seq, {', '.join(ANSWER_COLUMNS)} FROM answers"):
                (released if seq <= released_seq else pending).append((round_id, *row))
            codes += [(round_id, code, bool(used))
                      for code, used in store._query(state.holding_file, "SELECT code_hash, used FROM codes")]
    marks = ", ".join("?" * (len(ANSWER_COLUMNS) + 1))
    for table, rows in ((f"{target}.main.responses ({', '.join(('round_id', *ANSWER_COLUMNS))})", released),
                        (f"{target}.main.held_answers", pending), (f"{target}.main.held_codes", codes)):
        random.shuffle(rows)
        if rows:
            width = marks if "codes" not in table else "?, ?, ?"
            cur.executemany(f"INSERT INTO {table} VALUES ({width})", rows)
    cur.execute(f"UPDATE {target}.main.round_state SET holding_file = NULL, released_seq = 0")


def adopt_held(db: Database) -> None:
    """After a restore: turn a backup's held answers and codes back into holding files."""
    if db.engine != "duckdb":
        return  # backups and restores of PostgreSQL are pg_dump's
    present = {r[0] for r in db.query("SELECT table_name FROM duckdb_tables() WHERE table_name IN"
                                      " ('held_answers', 'held_codes')")}
    if present != set(HELD_TABLES):
        return
    store = for_database(db)
    answers = db.query(f"SELECT round_id, {', '.join(ANSWER_COLUMNS)} FROM held_answers")
    codes = db.query("SELECT round_id, code_hash, used FROM held_codes")
    for round_id in {r[0] for r in answers} | {c[0] for c in codes}:
        name = store.create_file([c[1:] for c in codes if c[0] == round_id],
                                 [a[1:] for a in answers if a[0] == round_id])
        db.execute("UPDATE round_state SET holding_file = ?, released_seq = 0 WHERE round_id = ?", [name, round_id])
    db.transaction(lambda cur: [cur.execute(f"DROP TABLE {table}") for table in HELD_TABLES])


_instances: weakref.WeakKeyDictionary[Database, Holding] = weakref.WeakKeyDictionary()
_instances_lock = threading.Lock()


def for_database(db: Database) -> Holding:
    holding = _instances.get(db)
    if holding is None:
        with _instances_lock:
            holding = _instances.get(db)
            if holding is None:
                holding = _instances[db] = _for_engine(db)
                db.on_close(holding.close)
    return holding



def _for_engine(db: Database) -> Holding:
    if db.engine == "postgresql":
        from servicetjek.sealed import SealedHolding  # several processes: sealed rows, not files

        return SealedHolding(db)
    return Holding(db)
