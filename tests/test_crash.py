"""Crash safety: SIGKILL in the middle of a submission burst and of board edits.

Every acknowledged submission must be in the database after a restart, no half-written
row may exist, and the app must start normally.
"""

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench import burst
from servicetjek import holding, rounds, trials
from servicetjek.content import THEME_IDS
from servicetjek.db import Database
from tests.conftest import run_async

ROOT = Path(__file__).resolve().parent.parent


async def submit_until_killed(url: str, token: str, n: int, proc: subprocess.Popen) -> int:
    sessions = [burst.Session(url, f"r={token}") for _ in range(n)]
    await asyncio.gather(*(s.connect_and_render() for s in sessions))
    acknowledged = 0

    async def one(s):
        nonlocal acknowledged
        await s.rerun(burst.rating_states(s))
        if any("Tak for dine svar" in t for t in s.texts):
            acknowledged += 1
            if acknowledged == n // 3:
                os.kill(proc.pid, signal.SIGKILL)  # mid-burst, while others are in flight

    await asyncio.gather(*(one(s) for s in sessions), return_exceptions=True)
    return acknowledged


def test_kill_during_submission_burst_loses_no_acknowledged_answer(tmp_path):
    path = tmp_path / "crash.duckdb"
    [token] = burst.seed_database(path)  # one round (seed_database returns one token per meeting)
    env = os.environ | {"SERVICETJEK_DB": str(path)}
    port = burst.free_port()
    proc = burst.start_server(["-m", "servicetjek.ui.serve"], port, env)
    try:
        acknowledged = run_async(submit_until_killed(f"ws://127.0.0.1:{port}/_stcore/stream", token, 60, proc))
    finally:
        if proc.poll() is None:
            proc.kill()
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    assert acknowledged >= 20

    db = Database(path)  # reopening replays the WAL
    rounds.recover(db)  # as at start-up
    round_id = db.query_one("SELECT id FROM rounds WHERE token = ?", [token])[0]
    held = holding.for_database(db)
    rows = held._query(held.state(round_id).holding_file, f"SELECT {', '.join(THEME_IDS)} FROM answers")
    assert rounds.response_count(db, round_id) == len(rows)
    db.close()
    assert len(rows) >= acknowledged
    assert all(all(1 <= v <= 5 for v in row) for row in rows)  # no half-written answer

    port = burst.free_port()
    proc = burst.start_server(["-m", "servicetjek.ui.serve"], port, env)
    try:
        session = burst.Session(f"ws://127.0.0.1:{port}/_stcore/stream", f"r={token}")

        async def render():
            await session.connect_and_render()
            await session.close()

        run_async(render())
        assert len(session.widgets["radio"]) == 6  # the app starts and serves the form normally
    finally:
        proc.terminate()
        proc.wait(timeout=20)


EDITOR = """
import sys
from servicetjek import holding, rounds, trials, users
from servicetjek.db import Database
from tests.conftest import run_async
db = Database(sys.argv[1])
user = users.get(db, "admin")
trial = trials.get(db, 1)
for i in range(10_000):
    trial = trials.update(db, user, 1, trial.version, how=f"edit {i}")
    print(trial.version, flush=True)
"""


def test_kill_during_board_edits_keeps_every_acknowledged_version(tmp_path):
    from servicetjek import org, users

    path = tmp_path / "board.duckdb"
    db = Database(path)
    dept = org.create(db, "Team")
    admin = users.create(db, "admin", "A", "correct-horse-battery", "admin")
    trials.create(db, admin, dept, "focus", "Stilletid")
    db.close()
    proc = subprocess.Popen([sys.executable, "-c", EDITOR, str(path)], cwd=ROOT, stdout=subprocess.PIPE,
                            text=True, env=os.environ | {"SERVICETJEK_BCRYPT_ROUNDS": "4"})
    acknowledged = 0
    deadline = time.time() + 60
    while acknowledged < 40 and time.time() < deadline:
        acknowledged = int(proc.stdout.readline() or acknowledged)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    db = Database(path)
    trial = trials.get(db, 1)
    history = db.query_one("SELECT count(*), max(version) FROM trial_history WHERE trial_id = 1")
    db.close()
    assert trial.version >= acknowledged
    assert history == (trial.version, trial.version)  # every version has its history row, none extra
    assert trial.how == f"edit {trial.version - 2}"
