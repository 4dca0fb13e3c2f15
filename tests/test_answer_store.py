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
    assert isinstance(items[1].error, (*db.integrity_errors, ValueError))  # a CHECK, or the sealer's own
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
    monkeypatch.setattr(store, "_connect", lambda name: CountingConnection(real_connect(name), statements))
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
    with pytest.raises(db.integrity_errors):
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
        except db.integrity_errors as error:
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
