import threading

import pytest

from servicetjek import db as dbmod


@pytest.mark.duckdb_only(reason="opens DuckDB files of its own (PostgreSQL: test_many_processes)")
def test_migrations_apply_on_empty_and_are_idempotent(tmp_path):
    path = tmp_path / "m.duckdb"
    first = dbmod.Database(path)
    assert first.applied == [name for _, name, _ in dbmod.migrations()]
    tables = {r[0] for r in first.query("SELECT table_name FROM information_schema.tables")}
    assert {"departments", "users", "rounds", "responses", "round_codes"} <= tables
    first.close()
    second = dbmod.Database(path)
    assert second.applied == []
    assert second.query_one("SELECT count(*) FROM schema_migrations")[0] == len(dbmod.migrations())
    second.close()


def test_failed_transaction_rolls_back(db):
    def work(cur):
        cur.execute("INSERT INTO settings VALUES ('a', '1')")
        raise RuntimeError("boom")

    try:
        db.transaction(work)
    except RuntimeError:
        pass
    assert db.query_one("SELECT count(*) FROM settings WHERE key = 'a'")[0] == 0


def test_concurrent_updates_of_one_row_are_retried_not_lost(db):
    db.execute("INSERT INTO settings VALUES ('counter', '0')")

    def bump():
        for _ in range(10):
            db.transaction(lambda cur: cur.execute(
                "UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS VARCHAR) WHERE key = 'counter'"))

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert db.query_one("SELECT value FROM settings WHERE key = 'counter'")[0] == "40"


def test_memoised_read_is_reused_until_a_write_commits(db):
    loads = []

    def load():
        loads.append(1)
        return db.query_one("SELECT count(*) FROM settings")[0]

    first = db.memoised(("n",), load)
    assert db.memoised(("n",), load) == first and len(loads) == 1
    db.execute("INSERT INTO settings VALUES ('x', '1')")
    assert db.memoised(("n",), load) == first + 1 and len(loads) == 2
    # Adding answers changes nothing a memoised read depends on.
    db.transaction(lambda cur: cur.execute("SELECT 1"), answers_only=True)
    assert db.memoised(("n",), load) == first + 1 and len(loads) == 2


def test_failed_write_forgets_memoised_reads(db):
    # A write that collided may have done so with another writer's fresh commit.
    db.memoised(("k",), lambda: 1)

    def fail(cur):
        raise RuntimeError("boom")

    try:
        db.transaction(fail, answers_only=True)
    except RuntimeError:
        pass
    assert db.memoised(("k",), lambda: 2) == 2


def test_memo_reads_see_every_concurrent_write(db):
    # Readers race writers; once the writers are done, a read sees the last value.
    db.execute("INSERT INTO settings VALUES ('v', '0')")

    def read():
        return db.memoised(("v",), lambda: db.query_one("SELECT value FROM settings WHERE key = 'v'")[0])

    def write(i):
        db.execute("UPDATE settings SET value = ? WHERE key = 'v'", [str(i)])

    threads = [threading.Thread(target=write, args=(i,)) for i in range(1, 9)]
    threads += [threading.Thread(target=read) for _ in range(16)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert read() == db.query_one("SELECT value FROM settings WHERE key = 'v'")[0]
