"""Attacks on "Dine svar er anonyme" (issue 11): differencing views, reading raw files, crashing
during close, stuffing a link. Each test fails when its guard is removed (docs/security.md)."""

import random
import secrets
import signal
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servicetjek import holding, org, results, rounds, users
from servicetjek import settings as app_settings
from servicetjek.content import THEME_IDS
from servicetjek.db import Database
from servicetjek.rounds import SubmissionRefused

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct-horse-battery"


def scores(value: int | None = None, rng: random.Random | None = None) -> dict:
    rng = rng or random.Random()
    return {t: value if value is not None else rng.randint(1, 5) for t in THEME_IDS}


def open_round(db, user, dept, groups=(), **kwargs):
    now = datetime.now()
    return rounds.create(db, user, dept, "Runde", now - timedelta(hours=1), now + timedelta(days=7),
                         groups=groups, **kwargs)[0]


def answer(db, round_, n=1, value=None, comment=None, group=None):
    for _ in range(n):
        rounds.submit(db, round_.token, scores(value), group, comment, session_key=secrets.token_hex(8))


# --- differencing --------------------------------------------------------------------------

def test_one_more_answer_does_not_move_any_figure(db, org_tree, people):
    """The observed attack: view at 5 answers, one colleague answers, view again."""
    r = open_round(db, people["admin"], org_tree["A1"])
    answer(db, r, 5, value=3, comment="fælles")
    before = results.round_results(db, people["facilitator"], r.id)
    assert before.n == 5 and not before.suppressed
    rounds.submit(db, r.token, scores(5), comment="kun min", session_key="colleague")
    after = results.round_results(db, people["facilitator"], r.id)
    assert after.received == 6 and after.n == 5 and after.needed_for_update == 4
    assert after.means() == before.means() and after.themes == before.themes
    assert sorted(after.comments) == sorted(before.comments) == ["fælles"] * 5
    answer(db, r, 4, value=3)
    moved = results.round_results(db, people["facilitator"], r.id)
    assert moved.n == 10 and "kun min" in moved.comments  # the update hides it among ≥ k answers


def test_dashboard_and_parent_roll_ups_move_only_with_whole_releases(db, org_tree, people):
    r = open_round(db, people["admin"], org_tree["A1"])
    answer(db, r, 6, value=2)
    period = (datetime(2000, 1, 1), datetime(2100, 1, 1))

    def parent_row():
        rows = results.unit_rollup(db, people["manager"], *period)
        return next(x for x in rows if x["department_id"] == org_tree["A"])

    assert parent_row()["n"] == 0  # an open round is not in any roll-up
    rounds.close(db, people["admin"], r.id)
    first = parent_row()
    assert first["n"] == 6 and first["cohesion"] == 2.0
    rounds.reopen(db, people["admin"], r.id, datetime.now() + timedelta(days=3))
    rounds.submit(db, r.token, scores(5), session_key="late")
    rounds.close(db, people["admin"], r.id)
    assert parent_row() | {"answers_total": 0} == first | {"answers_total": 0}
    assert results.round_results(db, people["admin"], r.id).n == 6
    assert rounds.response_count(db, r.id) == 7  # the late answer is kept, only not shown


def test_rounds_with_groups_show_figures_only_after_close(db, org_tree, people):
    r = open_round(db, people["admin"], org_tree["A1"], groups=("Leder", "Medarbejder"))
    answer(db, r, 6, value=4, group="Medarbejder")
    live = results.round_results(db, people["admin"], r.id)
    assert live.suppressed and live.groups_at_close and live.needed_for_update is None
    rounds.close(db, people["admin"], r.id)
    closed = results.round_results(db, people["admin"], r.id)
    assert closed.groups["Medarbejder"] == dict.fromkeys(THEME_IDS, 4.0)
    # Reopened: five more answers move the whole-round figures, but the groups stay frozen.
    rounds.reopen(db, people["admin"], r.id, datetime.now() + timedelta(days=3))
    answer(db, r, 5, value=1, group="Medarbejder")
    rounds.close(db, people["admin"], r.id)
    again = results.round_results(db, people["admin"], r.id)
    assert again.n == 11 and again.groups["Medarbejder"] == dict.fromkeys(THEME_IDS, 4.0)
    assert again.group_counts_shown["Medarbejder"] == 6


def _blocks_are_safe(displayed_sets: list[frozenset], k: int) -> bool:
    """Every block of answers that the shown figures can separate holds ≥ k answers.

    Shown figures are sums over sets of answers; any combination of them is constant on the
    blocks of answers that belong to exactly the same shown sets, so if every block inside
    their union has ≥ k answers, no derivable figure rests on fewer than k.
    """
    universe = set().union(*displayed_sets) if displayed_sets else set()
    blocks: dict[tuple, int] = {}
    for item in universe:
        signature = tuple(item in s for s in displayed_sets)
        blocks[signature] = blocks.get(signature, 0) + 1
    return all(n >= k for n in blocks.values())


def test_block_check_catches_a_subtraction_leak():
    a = frozenset(range(6))
    assert not _blocks_are_safe([a | {6}, a], 5)
    assert _blocks_are_safe([a | {6}], 5)


def _mean_of(answers: list[dict]) -> dict[str, float]:
    return {t: sum(a[t] for a in answers) / len(answers) for t in THEME_IDS}


def _close(a: dict, b: dict) -> bool:
    return all(abs(a[t] - b[t]) < 1e-9 for t in THEME_IDS)


OPS = st.sampled_from(["answer"] * 4 + ["view"] * 2 + ["rollup", "close", "reopen", "expire"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(data=st.data())
def test_property_no_sequence_of_views_isolates_fewer_than_k(fresh_database, data):
    """Organisations, answers arriving over time, views at random moments, closes, reopens and
    end times passing: every view's answers are worked out (and checked against the figures
    shown), and no combination of all views may isolate fewer than k answers."""
    k = data.draw(st.integers(3, 5), label="k")
    db = fresh_database()
    app_settings.set_thresholds(db, k, k)
    admin = users.create(db, "admin", "A", PASSWORD, "admin")
    depts = []
    for i in range(data.draw(st.integers(1, 4), label="departments")):
        parent = data.draw(st.sampled_from([None, *depts]), label="parent") if depts else None
        depts.append(org.create(db, f"D{i}", parent))
    round_list, arrivals = [], {}
    for _ in range(data.draw(st.integers(1, 2), label="rounds")):
        groups = ("g1", "g2") if data.draw(st.booleans(), label="groups") else ()
        r = open_round(db, admin, data.draw(st.sampled_from(depts), label="dept"), groups)
        round_list.append(r)
        arrivals[r.id] = []
    shown: list[frozenset] = []
    rng = random.Random(data.draw(st.integers(0, 10**6), label="seed"))

    def settled_prefix(round_id):
        return db.query_one("SELECT count(*) FROM responses WHERE round_id = ?", [round_id])[0]

    steps = data.draw(st.lists(st.tuples(OPS, st.integers(0, len(round_list) - 1)), min_size=10, max_size=60),
                      label="steps")
    for step, (op, which) in enumerate(steps):
        r = rounds.get(db, round_list[which].id)
        if op == "answer" and r.state() == "open":
            group = rng.choice([None, *r.respondent_groups])
            values = scores(rng=rng)
            rounds.submit(db, r.token, values, group, session_key=f"s{step}")
            arrivals[r.id].append(values | {"id": (r.id, len(arrivals[r.id])), "group": group})
        elif op == "view":
            res = results.round_results(db, admin, r.id)
            if not res.suppressed:
                support = arrivals[r.id][:res.n]  # released answers are always the earliest ones
                assert _close(res.means(), _mean_of(support))
                shown.append(frozenset(a["id"] for a in support))
                state = holding.for_database(db).state(r.id)
                for g, means in res.groups.items():
                    if means is not None:
                        members = [a for a in arrivals[r.id][:state.groups_n] if a["group"] == g]
                        assert _close(means, _mean_of(members))
                        shown.append(frozenset(a["id"] for a in members))
        elif op == "rollup":
            departments = org.all_departments(db)
            for row in results.unit_rollup(db, admin, datetime(2000, 1, 1), datetime(2100, 1, 1)):
                if row["n"]:
                    subtree = org.subtree_ids(departments, row["department_id"])
                    support = [a for x in round_list if x.department_id in subtree
                               for a in arrivals[x.id][:settled_prefix(x.id)]]
                    assert len(support) == row["n"]
                    assert _close({t: row[t] for t in THEME_IDS}, _mean_of(support))
                    shown.append(frozenset(a["id"] for a in support))
        elif op == "close" and r.state() != "closed":
            rounds.close(db, admin, r.id)
        elif op == "reopen" and r.state() == "closed":
            rounds.reopen(db, admin, r.id, datetime.now() + timedelta(days=2))
        elif op == "expire" and r.state() == "open":
            db.execute("UPDATE rounds SET closes_at = ? WHERE id = ?", [rounds.utcnow() - timedelta(seconds=1), r.id])
    db.close()
    assert _blocks_are_safe(shown, k)


# --- storage order -----------------------------------------------------------------------------

def _markers(n: int) -> list[str]:
    # distinct, incompressible-looking text, so a raw scan finds each one
    return [f"svar{i:03d}-{secrets.token_hex(6)}" for i in range(n)]


def _order_score(path_bytes: bytes, markers: list[str]) -> float:
    """Share of marker pairs stored in arrival order (1.0: arrival order, ~0.5: random)."""
    positions = [path_bytes.find(m.encode()) for m in markers]
    assert all(p >= 0 for p in positions), "every answer must be found, or the scan proves nothing"
    pairs = [(a, b) for i, a in enumerate(positions) for b in positions[i + 1:]]
    return sum(a < b for a, b in pairs) / len(pairs)


def _assert_no_order(files: dict[str, bytes], markers: list[str]) -> None:
    """Every file that holds the answers holds all of them, and not in arrival order."""
    holding_files = [name for name, data in files.items() if any(m.encode() in data for m in markers)]
    assert holding_files, "the answers must be found somewhere, or the scan proves nothing"
    for name in holding_files:
        assert 0.3 < _order_score(files[name], markers) < 0.7, name


def _raw(path: Path) -> dict[str, bytes]:
    files = [path, path.with_name(path.name + ".wal")]
    return {f.name: f.read_bytes() for f in files if f.exists()}


def _holding_leaks(path: Path, markers: list[str]) -> list[str]:
    folder = Path(str(path) + ".holding")
    found = []
    for file in folder.glob("*") if folder.exists() else []:
        data = file.read_bytes()
        found += [f"{file.name}:{m}" for m in markers if m.encode() in data]
    return found


def _answer_in_order(db, round_, markers):
    for i, marker in enumerate(markers):
        rounds.submit(db, round_.token, scores(), comment=marker, session_key=f"s{i}")


@pytest.mark.duckdb_only(reason="scans DuckDB's own file, WAL and holding files (PostgreSQL: test_postgres_anonymity)")
@pytest.mark.parametrize("how", ["button", "end_time"])
def test_no_arrival_order_in_the_database_file_or_wal_after_close(tmp_path, how):
    path = tmp_path / "order.duckdb"
    db = Database(path)
    dept = org.create(db, "Team")
    admin = users.create(db, "admin", "A", PASSWORD, "admin")
    r = open_round(db, admin, dept)
    markers = _markers(40)
    _answer_in_order(db, r, markers)
    if how == "button":
        rounds.close(db, admin, r.id)
    else:
        db.execute("UPDATE rounds SET closes_at = ? WHERE id = ?", [rounds.utcnow() - timedelta(seconds=1), r.id])
        assert rounds.settle_due(db) == [r.id]  # what the server's sweeper does every half minute
    files = _raw(path)
    assert 0.3 < _order_score(files[path.name + ".wal"], markers) < 0.7  # the close, before a checkpoint
    _assert_no_order(files, markers)
    db.query("CHECKPOINT")
    assert 0.3 < _order_score(path.read_bytes(), markers) < 0.7
    assert not _holding_leaks(path, markers)
    assert rounds.response_count(db, r.id) == 40
    db.close()


def test_comments_of_an_open_round_are_not_shown_in_arrival_order(db, org_tree, people):
    r = open_round(db, people["admin"], org_tree["A1"])
    markers = _markers(40)
    _answer_in_order(db, r, markers)
    shown = results.round_results(db, people["admin"], r.id).comments
    assert sorted(shown) == sorted(markers) and shown != markers
    assert 0.3 < _order_score("\n".join(shown).encode(), markers) < 0.7


@pytest.mark.duckdb_only(reason="scans DuckDB's own file, WAL and holding files (PostgreSQL: test_postgres_anonymity)")
def test_answers_held_back_at_close_lose_their_order_too(tmp_path):
    path = tmp_path / "held.duckdb"
    db = Database(path)
    app_settings.set_thresholds(db, 30, 30)
    admin = users.create(db, "admin", "A", PASSWORD, "admin")
    r = open_round(db, admin, org.create(db, "Team"))
    released = _markers(30)
    _answer_in_order(db, r, released)
    assert results.round_results(db, admin, r.id).n == 30
    held = _markers(29)
    for i, marker in enumerate(held):
        rounds.submit(db, r.token, scores(), comment=marker, session_key=f"late{i}")
    rounds.close(db, admin, r.id)  # 29 < k: they wait in a fresh holding file
    assert rounds.response_count(db, r.id) == 59
    folder = Path(str(path) + ".holding")
    (held_file,) = folder.glob(f"*{holding.SUFFIX}")
    db.close()
    assert 0.25 < _order_score(held_file.read_bytes(), held) < 0.75
    assert not [m for m in held if m.encode() in path.read_bytes()]


CRASH_SCRIPT = """
import os, signal, sys
from servicetjek import holding, rounds, users
from servicetjek.db import Database
path, round_id, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
db = Database(path)
if mode == "after_commit":
    holding.Holding.discard = lambda self, name: os.kill(os.getpid(), signal.SIGKILL)
else:  # die inside the close's transaction, after its statements and before COMMIT
    original = Database.transaction
    def transaction(self, work, **kw):
        if work.__qualname__.startswith("Holding.settle"):
            def work_then_die(cur):
                work(cur)
                os.kill(os.getpid(), signal.SIGKILL)
            return original(self, work_then_die, **kw)
        return original(self, work, **kw)
    Database.transaction = transaction
rounds.close(db, users.get(db, "admin"), round_id)
print("not killed")
"""


@pytest.mark.duckdb_only(reason="scans DuckDB's own file, WAL and holding files (PostgreSQL: test_postgres_anonymity)")
@pytest.mark.parametrize("mode", ["before_commit", "after_commit"])
def test_a_crash_during_close_is_finished_at_start_up_without_arrival_order(tmp_path, mode):
    path = tmp_path / "crash.duckdb"
    db = Database(path)
    admin = users.create(db, "admin", "A", PASSWORD, "admin")
    r = open_round(db, admin, org.create(db, "Team"))
    markers = _markers(40)
    _answer_in_order(db, r, markers)
    db.close()
    proc = subprocess.run([sys.executable, "-c", CRASH_SCRIPT, str(path), str(r.id), mode], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stdout + proc.stderr
    db = Database(path)
    rounds.recover(db)  # what the server does at start-up
    assert rounds.response_count(db, r.id) == 40
    assert not _holding_leaks(path, markers)
    _assert_no_order(_raw(path), markers)
    assert results.round_results(db, admin, r.id).n == 40
    db.close()


# --- stuffing -------------------------------------------------------------------------------

def test_more_answers_than_people_is_shown_not_capped(db, org_tree, people):
    assert rounds.response_rate(113, 12) == pytest.approx(113 / 12)
    assert rounds.response_rate(6, 12) == 0.5


def test_one_client_cannot_stuff_a_small_units_link(db, org_tree, people):
    dept = org.create(db, "Lille team", headcount=12)
    r = open_round(db, people["admin"], dept)
    accepted = refused = 0
    for i in range(100):
        try:
            rounds.submit(db, r.token, scores(5), session_key=f"new-session-{i}", client="10.0.0.7")
            accepted += 1
        except SubmissionRefused as error:
            assert error.key == "rate.client_limit"
            refused += 1
    assert accepted == rounds.client_answer_limit(12) == 25 and refused == 75
    rounds.submit(db, r.token, scores(5), session_key="other-phone", client="10.0.0.8")  # others still answer
    assert rounds.response_count(db, r.id) == 26


def test_two_hundred_phones_behind_one_address_all_answer(db, org_tree, people):
    dept = org.create(db, "Personalemøde", headcount=200)
    r = open_round(db, people["admin"], dept)
    for i in range(200):
        rounds.submit(db, r.token, scores(), session_key=f"phone-{i}", client="192.168.1.1", seconds_on_form=45)
    assert rounds.response_count(db, r.id) == 200 and rounds.fast_answers(db, r.id) == 0


def test_code_guessing_is_throttled_per_session_and_per_address(db, org_tree, people):
    r = open_round(db, people["admin"], org_tree["A1"], access_mode="codes", code_count=200)
    for _ in range(rounds.SESSION_WRONG_CODES):
        with pytest.raises(SubmissionRefused, match="code_unknown"):
            rounds.submit(db, r.token, scores(), code="AAAA-AAAA", session_key="guesser")
    with pytest.raises(SubmissionRefused, match="code_wait"):
        rounds.submit(db, r.token, scores(), code="BBBB-BBBB", session_key="guesser")
    # A flood from one address with new sessions stops at the address limit ...
    outcomes = []
    for i in range(rounds.CLIENT_WRONG_CODES + 5):
        try:
            rounds.submit(db, r.token, scores(), code="CCCC-CCCC", session_key=f"flood-{i}", client="6.6.6.6")
        except SubmissionRefused as error:
            outcomes.append(error.key)
    assert outcomes.count("rate.code_unknown") == rounds.CLIENT_WRONG_CODES
    assert outcomes.count("rate.code_wait") == 5


def test_a_meeting_with_typos_behind_one_address_still_answers(db, org_tree, people):
    dept = org.create(db, "Personalemøde", headcount=200)
    now = datetime.now()
    r, codes = rounds.create(db, people["admin"], dept, "Møde", now - timedelta(hours=1), now + timedelta(days=1),
                             access_mode="codes", code_count=200)
    for i, code in enumerate(codes):
        if i % 5 == 0:  # every fifth phone mistypes once first
            with pytest.raises(SubmissionRefused, match="code_unknown"):
                rounds.submit(db, r.token, scores(), code="ZZZZ-ZZZZ", session_key=f"p{i}", client="192.168.1.1")
        rounds.submit(db, r.token, scores(), code=code, session_key=f"p{i}", client="192.168.1.1")
    assert rounds.codes_used(db, r.id) == (200, 200)


def test_answers_faster_than_reading_are_counted_not_linked(db, org_tree, people):
    r = open_round(db, people["admin"], org_tree["A1"])
    for i, seconds in enumerate([3, 4, 90, 120, 2, 60]):
        rounds.submit(db, r.token, scores(), session_key=f"s{i}", seconds_on_form=seconds)
    assert rounds.fast_answers(db, r.id) == 3
    rounds.close(db, people["admin"], r.id)
    assert rounds.fast_answers(db, r.id) == 3  # kept as a count for the round, never per answer
    columns = {c[0] for c in db.query("SELECT column_name FROM information_schema.columns"
                                      " WHERE table_name = 'responses'")}
    assert not [c for c in columns if "fast" in c or "second" in c]


@pytest.fixture(autouse=True)
def fresh_limits():
    for window in (rounds.answers_per_client, rounds.wrong_codes_per_session, rounds.wrong_codes_per_client):
        window.clear()
    rounds.session_guard._seen.clear()
    yield



@pytest.mark.duckdb_only(reason="a full disk under a holding file (SQLite)")
def test_a_full_disk_while_holding_an_answer_is_a_clear_refusal_and_stores_nothing(db, org_tree, people,
                                                                                   monkeypatch):
    import sqlite3

    from servicetjek.errors import StorageFull

    r = open_round(db, people["admin"], org_tree["A1"])
    answer(db, r, 2)
    real_connect = holding.Holding._connect

    class FullDisk:
        def __init__(self, conn):
            self.conn = conn

        def cursor(self):
            cur = self.conn.cursor()

            class Cursor:
                def execute(self, sql, params=()):
                    if sql.startswith("INSERT"):
                        raise sqlite3.OperationalError("database or disk is full")
                    return cur.execute(sql, params)

                def close(self):
                    cur.close()

            return Cursor()

    monkeypatch.setattr(holding.Holding, "_connect",
                        lambda self, name, create=False: FullDisk(real_connect(self, name, create)))
    with pytest.raises(StorageFull):
        rounds.submit(db, r.token, scores(), session_key="on-a-full-disk")
    monkeypatch.undo()
    assert rounds.response_count(db, r.id) == 2
    rounds.submit(db, r.token, scores(), session_key="on-a-full-disk")  # the same phone may try again
    assert rounds.response_count(db, r.id) == 3


def test_pages_show_stuffing_and_keep_the_dashboard_still_for_one_late_answer(db, org_tree, people):
    from tests.test_pages import login

    r = open_round(db, people["admin"], org_tree["A2"])  # Team A2 has 10 people
    for i in range(11):
        rounds.submit(db, r.token, scores(4), session_key=f"p{i}", seconds_on_form=2 if i < 3 else 60)
    at = login(db, "admin")
    at.switch_page("pages/rounds.py").run()
    warnings = " ".join(w.value for w in at.warning)
    assert "Flere svar (11) end ansatte i enheden (10)" in warnings
    assert "3 svar blev sendt under 20 sekunder" in warnings
    assert any(m.value == "110%" for m in at.metric)  # not capped at 100 %
    rounds.close(db, people["admin"], r.id)
    at.switch_page("pages/dashboard.py").run()
    before = at.dataframe[0].value.to_dict()
    rounds.reopen(db, people["admin"], r.id, datetime.now() + timedelta(days=1))
    rounds.submit(db, r.token, scores(1), session_key="late")
    rounds.close(db, people["admin"], r.id)
    at.run()
    after = at.dataframe[0].value.to_dict()
    held = "Svar i for små runder"  # a count of answers not in any figure, allowed to move
    assert not at.exception and {**after, held: None} == {**before, held: None}
    assert sum(after[held].values()) == sum(before[held].values()) + 2  # team and parent rows


@pytest.mark.duckdb_only(reason="serves its own DuckDB file (tests/test_cluster.py serves PostgreSQL)")
def test_one_address_cannot_stuff_a_link_through_the_real_server(tmp_path):
    """Thirty fresh sessions from one address (loopback, as behind a proxy or one Wi-Fi) into a
    unit of 12: the server stores what the per-address limit allows and refuses the rest."""
    import asyncio
    import os

    from bench import burst
    from tests.conftest import run_async

    path = tmp_path / "stuff.duckdb"
    db = Database(path)
    admin = users.create(db, "admin", "A", PASSWORD, "admin")
    r = open_round(db, admin, org.create(db, "Lille team", headcount=12))
    db.close()
    port = burst.free_port()
    proc = burst.start_server(["-m", "servicetjek.ui.serve"], port, os.environ | {"SERVICETJEK_DB": str(path)})

    async def stuff() -> list[str]:
        outcomes = []
        for _ in range(30):
            s = burst.Session(f"ws://127.0.0.1:{port}/_stcore/stream", f"r={r.token}")
            await s.connect_and_render()
            await s.rerun(burst.rating_states(s))
            outcomes.append("ok" if any("Tak for dine svar" in t for t in s.texts) else
                            "limit" if any("usædvanligt mange svar" in t for t in s.texts) else "other")
            await s.close()
        return outcomes

    try:
        outcomes = run_async(asyncio.wait_for(stuff(), 300))
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    limit = rounds.client_answer_limit(12)
    assert outcomes == ["ok"] * limit + ["limit"] * (30 - limit)
    db = Database(path)
    assert rounds.response_count(db, r.id) == limit
    db.close()
