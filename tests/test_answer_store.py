import sqlite3
import threading
import time
from datetime import datetime, timedelta

import pytest

from servicetjek import answer_store, holding, rounds
from servicetjek.content import THEME_IDS

GOOD = dict.fromkeys(THEME_IDS, 3)


def open_round(db, people, dept, **kwargs):
    now = datetime.now()
    round_, codes = rounds.create(db, people["admin"], dept, "Møde", now - timedelta(hours=1),
                                  now + timedelta(days=1), **kwargs)
    return round_, codes


def row(score: int = 3) -> holding.Held:
    return holding.Held((*([score] * len(THEME_IDS)), None, None))


def prepared_round(db, people, dept):
    """An open round whose form was shown (its holding store is ready), and its group commit."""
    r, _ = open_round(db, people, dept)
    rounds.prepare_for_answers(db, r)
    return r, answer_store.for_round(db, r.id, lambda _: True)


def seqs(store: holding.Holding, name: str) -> list[int]:
    return [s for (s,) in store._query(name, "SELECT seq FROM answers ORDER BY seq")]


def held_count(db, round_id):
    return holding.for_database(db).held_count(round_id)


def test_simultaneous_answers_share_one_transaction_and_all_are_stored(db, org_tree, people, monkeypatch):
    r, _ = open_round(db, people, org_tree["A1"])
    store = answer_store.for_round(db, r.id, lambda _: True)
    release, first_batch = threading.Event(), []
    original = store._transaction

    def first_waits(batch):
        if not first_batch:
            first_batch.append(len(batch))
            release.wait(10)  # everyone else queues meanwhile
        return original(batch)

    monkeypatch.setattr(store, "_transaction", first_waits)
    outcomes = []
    threads = [threading.Thread(target=lambda: outcomes.append(rounds.submit(db, r.token, GOOD)))
               for _ in range(30)]
    for th in threads:
        th.start()
    deadline = time.time() + 10
    while not (first_batch and len(store._pending) == 30 - first_batch[0]) and time.time() < deadline:
        time.sleep(0.01)
    release.set()
    for th in threads:
        th.join(10)
    assert len(outcomes) == 30 and rounds.response_count(db, r.id) == 30
    # The first caller's transaction, then one for all who arrived while it ran.
    assert store.batches == 2


def test_answers_trickling_in_during_a_burst_share_few_transactions(db, org_tree, people, monkeypatch):
    """On busy cores a transaction takes longer than the gap between a meeting's answers:
    once some are waiting, the committing caller waits for more to join, instead of
    committing a few at a time while the rest queue."""
    monkeypatch.setattr(answer_store, "LINGER", 0.05)
    r, store = prepared_round(db, people, org_tree["A1"])
    original = store._transaction

    def busy_cores(batch):
        time.sleep(0.01)
        return original(batch)

    monkeypatch.setattr(store, "_transaction", busy_cores)
    start = time.monotonic() + 0.1

    def phone(i: int) -> None:
        time.sleep(max(0.0, start + i * 0.002 - time.monotonic()))  # one every 2 ms
        rounds.submit(db, r.token, GOOD)

    threads = [threading.Thread(target=phone, args=(i,)) for i in range(60)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(20)
    assert rounds.response_count(db, r.id) == 60
    assert store.batches <= 6  # a few at a time, it takes a dozen or more


def test_the_last_answers_of_a_burst_do_not_wait_the_full_linger(db, org_tree, people, monkeypatch):
    """Once no more answers arrive, the waiting ones are committed at once."""
    monkeypatch.setattr(answer_store, "LINGER", 5.0)
    r, store = prepared_round(db, people, org_tree["A1"])
    items = [answer_store.Pending(row()) for _ in range(10)]
    store._pending.extend(items)  # ten answers arrived together, and nothing more comes
    began = time.monotonic()
    store._lead(items[0])
    assert time.monotonic() - began < 2 and all(item.finished for item in items)
    assert held_count(db, r.id) == 10


def test_a_lone_answer_does_not_wait_for_company(db, org_tree, people, monkeypatch):
    monkeypatch.setattr(answer_store, "LINGER", 10.0)
    monkeypatch.setattr(answer_store, "ARRIVAL_GAP", 5.0)
    r, _ = prepared_round(db, people, org_tree["A1"])
    began = time.monotonic()
    rounds.submit(db, r.token, GOOD)
    assert time.monotonic() - began < 2.5 and rounds.response_count(db, r.id) == 1


def test_one_bad_answer_does_not_cost_the_others(db, org_tree, people):
    r, _ = open_round(db, people, org_tree["A1"])
    items = [answer_store.Pending(row()), answer_store.Pending(row(score=9)), answer_store.Pending(row(score=5))]
    answer_store.for_round(db, r.id, lambda _: True)._commit(items)
    assert [item.finished for item in items] == [True, True, True]
    assert items[0].error is None and items[2].error is None
    assert isinstance(items[1].error, (sqlite3.IntegrityError, ValueError))  # a holding file's CHECK, or the sealer's
    assert held_count(db, r.id) == 2


def test_a_code_used_twice_in_one_batch_stores_one_answer(db, org_tree, people):
    r, codes = open_round(db, people, org_tree["A1"], access_mode="codes", code_count=2)
    code_hash = rounds._code_hash(r.id, codes[0])
    items = [answer_store.Pending(holding.Held(row().row, code_hash)),
             answer_store.Pending(holding.Held(row().row, code_hash)),
             answer_store.Pending(holding.Held(row().row, rounds._code_hash(r.id, "AAAA-BBBB")))]
    answer_store.for_round(db, r.id, lambda _: True)._commit(items)
    assert items[0].error is None
    assert isinstance(items[1].error, answer_store.CodeRefused) and items[1].error.reason == "used"
    assert isinstance(items[2].error, answer_store.CodeRefused) and items[2].error.reason == "unknown"
    assert rounds.response_count(db, r.id) == 1 and rounds.codes_used(db, r.id) == (1, 2)


def test_an_answer_waiting_while_the_round_closes_is_refused_not_stored(db, org_tree, people):
    r, _ = open_round(db, people, org_tree["A1"])
    open_now = [True]
    store = answer_store.for_round(db, r.id, lambda _: open_now[0])
    store.store(row())
    open_now[0] = False  # closed between the form's check and the commit
    item = answer_store.Pending(row())
    store._commit([item])
    assert isinstance(item.error, answer_store.RoundClosed)
    assert held_count(db, r.id) == 1


@pytest.mark.duckdb_only("holding files; on PostgreSQL held answers are rows and there is nothing to prepare")
def test_showing_the_form_prepares_the_store_so_the_first_answer_does_not(db, org_tree, people, monkeypatch):
    """The first answer of a burst used to create the round's holding store (~40 ms) while the
    meeting's other phones waited; the form's display does it now (rounds.prepare_for_answers)."""
    r, _ = open_round(db, people, org_tree["A1"])
    store = holding.for_database(db)
    rounds.prepare_for_answers(db, rounds.open_for_answers(db, r.token))
    prepared = store.state(r.id).holding_file
    assert prepared is not None
    created = []
    monkeypatch.setattr(store, "create_file", lambda *a, **k: created.append(1))
    rounds.submit(db, r.token, GOOD)
    assert created == [] and held_count(db, r.id) == 1
    assert store.state(r.id).holding_file == prepared


def test_a_closed_round_gets_no_store_from_a_late_form(db, org_tree, people):
    r, _ = open_round(db, people, org_tree["A1"])
    round_ = rounds.open_for_answers(db, r.token)
    rounds.close(db, people["admin"], r.id)
    rounds.prepare_for_answers(db, round_)  # the form was drawn just before the close
    state = holding.for_database(db).state(r.id)
    assert state.settled and state.holding_file is None


class CountingConnection:
    """A holding file's connection that counts the statements run through its cursors."""

    def __init__(self, conn, statements: list[str]):
        self.conn, self.statements = conn, statements

    def cursor(self):
        outer = self

        class Cursor:
            def __init__(self, cur):
                self.cur = cur

            def execute(self, sql, params=()):
                outer.statements.append(sql.split()[0])
                return self.cur.execute(sql, params)

            def close(self):
                self.cur.close()

        return Cursor(self.conn.cursor())


@pytest.mark.duckdb_only("holding files; on PostgreSQL held answers are sealed rows")
def test_a_batch_of_plain_answers_is_one_statement(db, org_tree, people, monkeypatch):
    """Each DuckDB call costs several times its quiet cost during a burst: a batch without
    codes or too-fast answers is one INSERT, with no transaction or sequence look-up around it."""
    r, _ = prepared_round(db, people, org_tree["A1"])
    store = holding.for_database(db)
    store.store(r.id, [row()], lambda _: True)  # the first batch reads where the sequence is
    statements: list[str] = []
    real_connect = store._connect
    monkeypatch.setattr(store, "_connect",
                        lambda name, create=False: CountingConnection(real_connect(name, create), statements))
    store.store(r.id, [row(), row(4), row(5)], lambda _: True)
    assert statements == ["INSERT"]
    statements.clear()
    store.store(r.id, [holding.Held(row().row, fast=True)], lambda _: True)  # the tally goes with it
    assert statements == ["BEGIN", "INSERT", "UPDATE", "COMMIT"]
    assert held_count(db, r.id) == 5 and rounds.fast_answers(db, r.id) == 1


@pytest.mark.duckdb_only("holding files; on PostgreSQL held answers are sealed rows")
def test_sequence_kept_in_memory_survives_a_refused_batch_and_a_restart(db, org_tree, people):
    r, _ = open_round(db, people, org_tree["A1"])
    store = holding.for_database(db)
    store.store(r.id, [row(), row()], lambda _: True)
    with pytest.raises(sqlite3.IntegrityError):
        store.store(r.id, [row(), row(score=9)], lambda _: True)  # nothing of it is stored
    store.store(r.id, [row(5)], lambda _: True)
    name = store.state(r.id).holding_file
    assert seqs(store, name) == [1, 2, 3]
    store.close()  # as after a restart: nothing in memory, the file as it was
    store.store(r.id, [row(), row()], lambda _: True)
    assert seqs(store, name) == [1, 2, 3, 4, 5]


@pytest.mark.duckdb_only("holding files; on PostgreSQL held answers are sealed rows")
def test_a_sequence_number_out_of_step_with_the_file_costs_one_batch_at_most(db, org_tree, people):
    """Had anything else added to the file (a second Holding on it), the number kept in memory
    would collide: the failed batch drops it, and the next ones read the file again."""
    r, live = prepared_round(db, people, org_tree["A1"])
    holding.for_database(db).store(r.id, [row()], lambda _: True)
    other = holding.Holding(db)
    other.store(r.id, [row()], lambda _: True)
    other.close()
    errors = []
    for _ in range(3):
        try:
            live.store(row())
        except sqlite3.IntegrityError as error:
            errors.append(error)
    assert len(errors) <= 1 and held_count(db, r.id) >= 4


def test_an_error_while_waiting_for_company_stores_nothing_and_blocks_nobody(db, org_tree, people, monkeypatch):
    """The committing caller fails before taking its batch: its answer is out, the next one leads."""
    r, store = prepared_round(db, people, org_tree["A1"])
    with store._lock:
        store._leader_active = True  # someone leads: the next answer queues
    waiter = threading.Thread(target=store.store, args=(row(),), daemon=True)
    waiter.start()
    while not store._pending:
        time.sleep(0.001)
    own = answer_store.Pending(row())
    with store._lock:
        store._pending.insert(0, own)

    def interrupted() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(store, "_let_arrivals_join", interrupted)
    with pytest.raises(KeyboardInterrupt):
        store._lead(own)
    monkeypatch.undo()
    later = threading.Thread(target=store.store, args=(row(),), daemon=True)
    later.start()
    waiter.join(5)
    later.join(5)
    assert not waiter.is_alive() and not later.is_alive(), "answers wait for ever: nobody leads"
    assert own.finished and held_count(db, r.id) == 2


# --- the holding file itself (SQLite) ----------------------------------------------------------

@pytest.mark.duckdb_only("holding files; on PostgreSQL held answers are sealed rows")
def test_a_read_waits_for_a_transaction_in_progress_instead_of_seeing_half_of_it(db, org_tree, people):
    """One SQLite connection per file is shared by the server's threads: a transaction holds
    the file until it ends, so another thread never sees (or joins) its uncommitted rows."""
    r, _ = prepared_round(db, people, org_tree["A1"])
    store = holding.for_database(db)
    store.store(r.id, [row()], lambda _: True)
    cur = store._connect(store.state(r.id).holding_file).cursor()
    cur.execute("BEGIN TRANSACTION")
    cur.execute(f"INSERT INTO answers VALUES {holding.answer_placeholders(1)}", [2, *row().row])
    counted = []
    reader = threading.Thread(target=lambda: counted.append(held_count(db, r.id)))
    reader.start()
    reader.join(0.3)
    assert reader.is_alive() and not counted  # it waits for the transaction ...
    cur.execute("ROLLBACK")
    cur.close()
    reader.join(10)
    assert counted == [1]  # ... and then sees only what was committed


@pytest.mark.duckdb_only("holding files; on PostgreSQL held answers are sealed rows")
def test_a_holding_files_journal_stays_in_place_and_is_zeroed_with_the_file(db, org_tree, people, monkeypatch):
    """A deleted journal would leave the last transaction's pages in freed disk blocks: the
    journal is kept beside the file (private like it) until the file is wiped, and every
    byte of both is zero when they are deleted."""
    import os
    import stat
    from pathlib import Path

    r, _ = prepared_round(db, people, org_tree["A1"])
    for i in range(3):
        rounds.submit(db, r.token, GOOD, comment=f"kommentar {i}", session_key=f"s{i}")
    path = holding.for_database(db).folder / holding.for_database(db).state(r.id).holding_file
    journal = path.with_name(path.name + "-journal")
    assert journal.exists() and stat.S_IMODE(os.stat(journal).st_mode) == 0o600 == stat.S_IMODE(os.stat(path).st_mode)
    deleted = {}
    real_unlink = Path.unlink

    def unlink(self, *args, **kwargs):
        deleted[self.name] = self.read_bytes()
        return real_unlink(self, *args, **kwargs)

    monkeypatch.setattr(Path, "unlink", unlink)
    rounds.close(db, people["admin"], r.id)
    assert set(deleted) == {path.name, journal.name}
    assert all(data and not data.strip(b"\0") for data in deleted.values())
    assert not path.exists() and not journal.exists()


@pytest.mark.duckdb_only("holding files; on PostgreSQL held answers are sealed rows")
def test_duckdb_holding_files_of_an_earlier_version_are_converted_at_start_up(db, org_tree, people):
    """An upgrade while a round is open: its answers (with their sequence, so the release
    point still means the same), codes and fast-answer tally move to a SQLite file, and
    the DuckDB file is wiped."""
    import duckdb

    r, codes = open_round(db, people, org_tree["A1"], access_mode="codes", code_count=3)
    store = holding.for_database(db)
    store.release(r.id, 0)
    held_codes = store._query(store.state(r.id).holding_file, "SELECT code_hash, used FROM codes")
    store.discard(store.state(r.id).holding_file)
    old_name = "0123456789abcdef01234567.duckdb"
    old = duckdb.connect(str(store.folder / old_name))
    themes = ", ".join(f"{t} TINYINT NOT NULL" for t in THEME_IDS)
    old.execute(f"CREATE TABLE answers (seq INTEGER PRIMARY KEY, {themes}, respondent_group VARCHAR, comment VARCHAR)")
    old.execute("CREATE TABLE codes (code_hash VARCHAR PRIMARY KEY, used BOOLEAN NOT NULL DEFAULT false)")
    old.execute("CREATE TABLE tally (name VARCHAR PRIMARY KEY, value INTEGER NOT NULL)")
    old.executemany("INSERT INTO answers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(seq, *([seq] * len(THEME_IDS)), None, f"svar {seq}") for seq in (1, 2, 3, 4, 5)])
    used = rounds._code_hash(r.id, codes[0])
    old.executemany("INSERT INTO codes VALUES (?, ?)", [(h, h == used) for h, _ in held_codes])
    old.execute("INSERT INTO tally VALUES ('fast', 2)")
    old.close()
    db.execute("UPDATE round_state SET holding_file = ?, released_seq = 3 WHERE round_id = ?", [old_name, r.id])
    store.close()

    rounds.recover(db)  # what the server does at start-up

    name = store.state(r.id).holding_file
    assert name.endswith(holding.SUFFIX) and not (store.folder / old_name).exists()
    kept = store._query(name, "SELECT seq, comment FROM answers ORDER BY seq")
    assert kept == [(seq, f"svar {seq}") for seq in range(1, 6)]
    assert [row[-1] for row in store.released_held_rows(r.id)] == ["svar 1", "svar 2", "svar 3"]
    assert store.codes_used(r.id) == (1, 3) and rounds.fast_answers(db, r.id) == 2
    with pytest.raises(rounds.SubmissionRefused):  # the used code stays used
        rounds.submit(db, r.token, GOOD, code=codes[0], session_key="again")
    rounds.submit(db, r.token, GOOD, code=codes[1], session_key="new")
    assert seqs(store, name) == [1, 2, 3, 4, 5, 6]


@pytest.mark.duckdb_only("holding files; on PostgreSQL held answers are sealed rows")
def test_a_read_that_comes_after_its_file_was_closed_does_not_keep_the_files_lock(db, org_tree, people):
    """Results pages read a round's held count without the round's lock, so two of them can
    take the file just before a close shuts it. Each gets an error; neither may keep the
    file's lock, or the other would wait for it for ever."""
    r, _ = prepared_round(db, people, org_tree["A1"])
    store = holding.for_database(db)
    name = store.state(r.id).holding_file
    file = store._connect(name)
    store.discard(name)  # what the close does meanwhile
    errors = []

    def read():
        try:
            file.cursor()
        except sqlite3.ProgrammingError as error:
            errors.append(error)

    for _ in range(2):
        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(5)
        assert not reader.is_alive(), "a reader waits for ever on the lock of a closed file"
    assert len(errors) == 2


@pytest.mark.duckdb_only("holding files; on PostgreSQL held answers are sealed rows")
def test_a_read_after_a_close_wiped_the_file_makes_no_empty_file_in_its_place(db, org_tree, people):
    r, _ = prepared_round(db, people, org_tree["A1"])
    store = holding.for_database(db)
    name = store.state(r.id).holding_file
    store.discard(name)  # what the close does, just after a results page read the state
    with pytest.raises(sqlite3.OperationalError):
        store._query(name, "SELECT count(*) FROM answers")
    assert not (store.folder / name).exists()


@pytest.mark.duckdb_only("holding files; on PostgreSQL held answers are sealed rows")
def test_a_round_that_fails_to_be_created_wipes_its_own_codes_file_only(db, org_tree, people, monkeypatch):
    """Another round's holding file may exist before a round names it (a close's leftovers,
    a first answer's new file): a failed create must not take it for a crash's orphan."""
    store = holding.for_database(db)
    others = store.create_file([("hash", False)])  # not named by any round yet
    before = set(store.folder.iterdir())

    def refuse(work, **kwargs):
        raise RuntimeError("the disk went away")

    monkeypatch.setattr(db, "transaction", refuse)
    with pytest.raises(RuntimeError):
        open_round(db, people, org_tree["A1"], access_mode="codes", code_count=3)
    assert set(store.folder.iterdir()) == before  # the new round's codes file is gone, the other kept
    assert store._query(others, "SELECT code_hash FROM codes") == [("hash",)]


@pytest.mark.duckdb_only("holding files; on PostgreSQL held answers are sealed rows")
def test_a_missing_duckdb_holding_file_is_not_replaced_by_an_empty_one(db, org_tree, people, caplog):
    """Its codes are gone: an empty file would refuse every code as unknown without a word."""
    r, codes = open_round(db, people, org_tree["A1"], access_mode="codes", code_count=3)
    store = holding.for_database(db)
    store.discard(store.state(r.id).holding_file)
    db.execute("UPDATE round_state SET holding_file = 'gone.duckdb' WHERE round_id = ?", [r.id])
    rounds.recover(db)
    assert store.state(r.id).holding_file == "gone.duckdb" and "gone.duckdb is missing" in caplog.text
    with pytest.raises(sqlite3.OperationalError):
        rounds.submit(db, r.token, GOOD, code=codes[0], session_key="k")


@pytest.mark.duckdb_only("holding files; on PostgreSQL held answers are sealed rows")
def test_a_database_given_by_a_relative_path_holds_answers(tmp_path, monkeypatch):
    """`make run` names data/servicetjek.duckdb, relative to the working directory."""
    from servicetjek import org, users
    from servicetjek.db import Database

    monkeypatch.chdir(tmp_path)
    db = Database("data/relative.duckdb")
    try:
        admin = users.create(db, "admin", "A", "correct-horse-battery", "admin")
        r, _ = open_round(db, {"admin": admin}, org.create(db, "Team"))
        rounds.submit(db, r.token, GOOD, session_key="k")
        assert rounds.response_count(db, r.id) == 1
        folder = tmp_path / "data" / "relative.duckdb.holding"
        assert {p.suffix for p in folder.iterdir()} == {holding.SUFFIX, f"{holding.SUFFIX}-journal"}
    finally:
        db.close()


def test_a_wipe_removes_a_planted_link_without_zeroing_what_it_points_to(tmp_path):
    import os

    folder = tmp_path / "x.duckdb.holding"
    folder.mkdir()
    outside = tmp_path / "not-ours.txt"
    outside.write_bytes(b"someone else's data")
    held = folder / f"abc{holding.SUFFIX}"
    held.write_bytes(b"answers in order")
    journal = held.with_name(held.name + "-journal")
    os.symlink(outside, journal)
    holding.wipe(held)
    assert outside.read_bytes() == b"someone else's data"
    assert not held.exists() and not journal.is_symlink()


@pytest.mark.duckdb_only("holding files; on PostgreSQL held answers are sealed rows")
def test_a_holding_folder_made_before_is_made_private(db, org_tree, people):
    import os
    import stat

    folder = holding.for_database(db).folder
    folder.mkdir(mode=0o755, exist_ok=True)
    os.chmod(folder, 0o755)
    prepared_round(db, people, org_tree["A1"])  # makes the round's holding file
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700


def _spy_on(file):
    """A second name for `file`, outside the holding folder: the blocks that are the file's
    now stay readable through it after the file is deleted, as freed disk blocks would."""
    import os

    spy = file.parent.parent / f"spy-{file.name}"
    os.link(file, spy)
    return spy


def _cut_a_commit_short(path):
    """Another process changes the holding file and dies before its commit: a hot journal."""
    import subprocess
    import sys

    crash = ("import os, sqlite3, sys\n"
             "conn = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
             "conn.execute('PRAGMA journal_mode = PERSIST'); conn.execute('PRAGMA cache_size = 1')\n"
             "conn.execute('BEGIN')\n"  # the pages it changes spill to the file before the commit
             "conn.execute(\"UPDATE answers SET comment = comment || '-ændret'\")\n"
             "conn.executemany('INSERT INTO codes VALUES (?, 0)', [(str(i) * 40,) for i in range(400)])\n"
             "os._exit(0)\n")
    subprocess.run([sys.executable, "-c", crash, str(path)], check=True)


@pytest.mark.duckdb_only("holding files; on PostgreSQL held answers are sealed rows")
def test_the_journal_of_a_commit_a_crash_cut_short_is_zeroed_not_left_in_freed_blocks(db, org_tree, people):
    """A crash during a commit leaves a hot journal: earlier answers' pages, in order. The
    first read after start-up rolls it back, before any PRAGMA takes effect, and SQLite's
    default journal mode then deletes it unzeroed. Its blocks must be zero when freed."""

    r, _ = prepared_round(db, people, org_tree["A1"])
    for i in range(5):
        rounds.submit(db, r.token, GOOD, comment=f"kommentar {i}", session_key=f"s{i}")
    store = holding.for_database(db)
    path = store.folder / store.state(r.id).holding_file
    store.close()
    _cut_a_commit_short(path)
    journal = path.with_name(path.name + "-journal")
    assert journal.read_bytes()[:8] == bytes.fromhex("d9d505f920a163d7")  # hot: a commit was cut short
    spy = _spy_on(journal)
    assert b"kommentar 0" in spy.read_bytes()

    assert held_count(db, r.id) == 5  # rolled back: the answers as they were committed
    assert sorted(c for (c,) in store._query(path.name, "SELECT comment FROM answers")) == [
        f"kommentar {i}" for i in range(5)]
    rounds.close(db, people["admin"], r.id)
    assert not path.exists() and not journal.exists()
    assert not spy.read_bytes().strip(b"\0"), "the cut-short commit's journal was freed unzeroed"


@pytest.mark.duckdb_only("holding files; on PostgreSQL held answers are sealed rows")
def test_converting_a_duckdb_holding_file_zeroes_its_wal_too(db, org_tree, people):
    """An upgrade after a crash: the earlier version's DuckDB holding file still has a WAL
    (its latest answers, in order). Reading it for the conversion must not let DuckDB fold
    the WAL into the file and delete it unzeroed: the wipe zeroes both."""
    import duckdb

    r, _ = open_round(db, people, org_tree["A1"])
    store = holding.for_database(db)
    old_name = "0123456789abcdef01234567.duckdb"
    store.folder.mkdir(mode=0o700, exist_ok=True)
    old = duckdb.connect(str(store.folder / old_name))
    old.execute("PRAGMA disable_checkpoint_on_shutdown")  # as after a kill: the WAL stays
    themes = ", ".join(f"{t} TINYINT NOT NULL" for t in THEME_IDS)
    old.execute(f"CREATE TABLE answers (seq INTEGER PRIMARY KEY, {themes}, respondent_group VARCHAR, comment VARCHAR)")
    old.execute("CREATE TABLE codes (code_hash VARCHAR PRIMARY KEY, used BOOLEAN NOT NULL DEFAULT false)")
    old.execute("CREATE TABLE tally (name VARCHAR PRIMARY KEY, value INTEGER NOT NULL)")
    old.execute("CHECKPOINT")
    old.execute("INSERT INTO tally VALUES ('fast', 0)")
    old.executemany(f"INSERT INTO answers VALUES (?, {', '.join('?' * (len(THEME_IDS) + 2))})",
                    [(seq, *([3] * len(THEME_IDS)), None, f"svar {seq}") for seq in (1, 2, 3)])
    old.close()
    wal = store.folder / f"{old_name}.wal"
    spy = _spy_on(wal)
    assert b"svar 3" in spy.read_bytes()
    db.execute("UPDATE round_state SET holding_file = ? WHERE round_id = ?", [old_name, r.id])
    store.close()

    rounds.recover(db)

    assert [c for (c,) in store._query(store.state(r.id).holding_file, "SELECT comment FROM answers ORDER BY seq")] \
        == ["svar 1", "svar 2", "svar 3"]
    assert not wal.exists() and not (store.folder / old_name).exists()
    assert not spy.read_bytes().strip(b"\0"), "the old file's WAL was freed unzeroed"


def _open_descriptors() -> set[str]:
    import os

    return {os.readlink(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")
            if os.path.exists(f"/proc/self/fd/{fd}")}


@pytest.mark.duckdb_only("holding files; on PostgreSQL held answers are sealed rows")
def test_a_reader_arriving_while_a_close_wipes_the_file_does_not_open_it_again(db, org_tree, people, monkeypatch):
    """A results page that read the state just before a close calls for the file while the close
    is wiping it: it must get an error, not a fresh handle on the wiped file that then stays
    open (and cached) for the life of the process."""
    r, _ = prepared_round(db, people, org_tree["A1"])
    store = holding.for_database(db)
    name = store.state(r.id).holding_file
    popped = store._connect(name)
    errors = []
    close = popped.close

    def reader_comes_in_meanwhile():
        try:
            store._query(name, "SELECT count(*) FROM answers")
        except sqlite3.OperationalError as error:
            errors.append(error)
        close()

    monkeypatch.setattr(popped, "close", reader_comes_in_meanwhile)
    store.discard(name)
    assert name not in store._conns, "a wiped file's handle stays open for good"
    assert len(errors) == 1
    assert not any(name in target for target in _open_descriptors())


@pytest.mark.duckdb_only("holding files; on PostgreSQL held answers are sealed rows")
def test_a_failed_zeroing_of_a_rolled_back_journal_leaves_no_descriptor_or_connection_open(
        db, org_tree, people, monkeypatch):
    """A hot journal is rolled back and deleted as the file opens; if zeroing it then fails,
    the error must not leave the journal's descriptor or the new connection open."""
    r, _ = prepared_round(db, people, org_tree["A1"])
    rounds.submit(db, r.token, GOOD, comment="kommentar", session_key="s0")
    store = holding.for_database(db)
    path = store.folder / store.state(r.id).holding_file
    store.close()
    _cut_a_commit_short(path)

    def disk_error(fd):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(holding, "_zero", disk_error)
    with pytest.raises(OSError):
        holding.HeldFile(path)
    assert not any(path.name in target for target in _open_descriptors()), "descriptor or connection left open"
