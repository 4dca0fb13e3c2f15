import threading

from servicetjek import db as dbmod


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
