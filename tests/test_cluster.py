"""Two app servers behind nginx on one PostgreSQL (issue 16), started as `make cluster` does.

Phones speak Streamlit's own websocket protocol (bench/burst.py), each with its own browser
cookie, so nginx spreads them over both processes. Checked: every acknowledged answer is
stored once; a code is spent once; a round closed elsewhere is closed in both processes at
once; the phones of a process killed mid-burst reconnect to the other and their answers arrive.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from bench import burst
from bench.cluster import app_server_pids
from servicetjek import front, local_postgres
from tests.conftest import run_async
from tests.test_front import free_port, get

ROOT = Path(__file__).resolve().parents[1]
RECEIPT = "Tak for dine svar"
pytestmark = pytest.mark.skipif(local_postgres.binaries() is None or front.find_nginx() is None,
                                reason="needs Debian's postgresql and nginx (.ci/run installs them)")


def seed(url: str, codes: int = 0) -> tuple[int, str, list[str]]:
    from servicetjek import clock, org, rounds, users
    from servicetjek.db import open_database

    db = open_database(url)
    admin = users.get(db, "admin") or users.create(db, "admin", "Anna Admin", "cluster-test-password-1", "admin")
    team = org.create(db, f"Team {secrets.token_hex(3)}", headcount=500)
    now = clock.local_now()
    round_, made = rounds.create(db, admin, team, "Klynge", now - timedelta(hours=1), now + timedelta(days=1),
                                 access_mode="codes" if codes else "link", code_count=codes)
    db.close()
    return round_.id, round_.token, made


def stored(url: str, round_id: int) -> int:
    """Answers stored for the round, held (sealed) or settled."""
    from servicetjek import rounds
    from servicetjek.db import open_database

    db = open_database(url)
    try:
        return rounds.response_count(db, round_id)
    finally:
        db.close()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cluster")
    with local_postgres.LocalPostgres(folder / "pg") as pg:
        port = free_port()
        log = folder / "front.log"
        env = os.environ | {"SERVICETJEK_DB": pg.url, "SERVICETJEK_COOKIE_KEY": "cluster-test-" + "k" * 32,
                            "SERVICETJEK_BCRYPT_ROUNDS": "4", "SERVICETJEK_DATA_DIR": str(folder)}
        subprocess.run([sys.executable, "-m", "servicetjek.cli", "migrate"], env=env, check=True, cwd=ROOT)
        with open(log, "w") as out:
            proc = subprocess.Popen([sys.executable, "-m", "servicetjek.front", "--app-servers", "2",
                                     "--port", str(port), "--address", "127.0.0.1"],
                                    cwd=ROOT, env=env, stdout=out, stderr=out)
        deadline = time.time() + 180
        while "servicetjek: serving on" not in log.read_text():
            assert proc.poll() is None and time.time() < deadline, log.read_text()
            time.sleep(0.3)
        assert get(port, "/_stcore/health")[0].status == 200
        yield {"url": pg.url, "port": port, "proc": proc, "log": log}
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)


def phones(cluster, token: str, n: int) -> list[burst.Session]:
    return [burst.Session(f"ws://127.0.0.1:{cluster['port']}/_stcore/stream", f"r={token}") for _ in range(n)]


async def connect(sessions: list[burst.Session]) -> None:
    import asyncio

    await asyncio.gather(*(s.connect_and_render() for s in sessions))


async def submit(session: burst.Session, states=None) -> bool:
    await session.rerun(states or burst.rating_states(session))
    return any(RECEIPT in text for text in session.texts)


def cpu(pids: list[int]) -> list[float]:
    return [burst.cpu_seconds(pid) for pid in pids]


def test_a_burst_split_over_two_app_servers_stores_every_acknowledged_answer_once(cluster):
    import asyncio

    round_id, token, _ = seed(cluster["url"])
    pids = app_server_pids(cluster["proc"].pid)
    assert len(pids) == 2
    sessions = phones(cluster, token, 400)
    before = cpu(pids)

    async def room():
        await asyncio.gather(*(s.connect_and_render() for s in sessions))
        acknowledged = await asyncio.gather(*(submit(s) for s in sessions))
        await asyncio.gather(*(s.close() for s in sessions))
        return acknowledged

    acknowledged = run_async(room())
    used = [after - start for after, start in zip(cpu(pids), before, strict=True)]
    assert sum(acknowledged) == 400
    assert stored(cluster["url"], round_id) == 400
    assert min(used) > 0.2 * sum(used), f"one process did (nearly) all the work: CPU {used}"


def test_a_code_is_spent_once_across_both_app_servers(cluster):
    import asyncio

    from streamlit.proto.WidgetStates_pb2 import WidgetState

    round_id, token, codes = seed(cluster["url"], codes=12)
    sessions = phones(cluster, token, 48)  # four phones per code, spread over both processes

    async def enter_code(session: burst.Session, code: str) -> None:
        await session.connect_and_render()
        state = WidgetState(id=session.widgets["text_input"][0])
        state.string_value = code
        button = WidgetState(id=session.widgets["button"][0])
        button.trigger_value = True
        await session.rerun([state, button])

    async def room():
        await asyncio.gather(*(enter_code(s, codes[i % 12]) for i, s in enumerate(sessions)))
        acknowledged = await asyncio.gather(*(submit(s) for s in sessions if len(s.widgets["radio"]) >= 6))
        await asyncio.gather(*(s.close() for s in sessions))
        return acknowledged

    acknowledged = run_async(room())
    assert sum(acknowledged) == 12
    assert stored(cluster["url"], round_id) == 12


def test_a_round_closed_elsewhere_is_closed_in_both_app_servers_at_once(cluster):
    import asyncio

    from servicetjek import rounds, users
    from servicetjek.db import open_database

    round_id, token, _ = seed(cluster["url"])
    sessions, late_phones = phones(cluster, token, 40), phones(cluster, token, 40)

    def close_in_a_third_process():
        db = open_database(cluster["url"])
        rounds.close(db, users.get(db, "admin"), round_id)
        db.close()

    async def room():
        await connect(sessions)  # both app servers have drawn the open form
        await asyncio.to_thread(close_in_a_third_process)
        acknowledged = await asyncio.gather(*(submit(s) for s in sessions))
        await connect(late_phones)  # opening the link now: both processes know it is closed
        await asyncio.gather(*(s.close() for s in [*sessions, *late_phones]))
        return acknowledged

    assert sum(run_async(room())) == 0
    assert [len(s.widgets["radio"]) for s in late_phones] == [0] * 40
    assert stored(cluster["url"], round_id) == 0


def test_phones_of_a_killed_app_server_reconnect_to_the_other(cluster):
    import asyncio

    round_id, token, _ = seed(cluster["url"])
    pids = app_server_pids(cluster["proc"].pid)
    sessions = phones(cluster, token, 100)

    async def send_or_reconnect(session: burst.Session) -> bool:
        try:
            return await submit(session)
        except Exception:  # noqa: BLE001 - the killed process's websocket: the phone reloads the link
            session.widgets = {kind: [] for kind in session.widgets}
            await session.connect_and_render()
            return await submit(session)

    async def room():
        await connect(sessions)
        os.kill(pids[0], signal.SIGKILL)  # mid-burst: every phone has its form, none has sent it
        acknowledged = await asyncio.gather(*(send_or_reconnect(s) for s in sessions))
        await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)
        return acknowledged

    assert sum(run_async(room())) == 100
    assert stored(cluster["url"], round_id) == 100
    deadline = time.time() + 120  # the front starts the killed process again
    while len(app_server_pids(cluster["proc"].pid)) < 2 or re.search(r"stopped", cluster["log"].read_text()) is None:
        assert time.time() < deadline, cluster["log"].read_text()
        time.sleep(0.5)
