"""The organisation dashboard over the real server (issue 14), not AppTest.

    .venv/bin/python bench/dashboard_server.py [--size 34 --per-round 1225] [--repeat 5]

Builds the same database as bench/dashboard.py (34 copies of the demo organisation, about a
million answers), times the raw DuckDB GROUP BY over all answers in this process, then
starts the real server and, beside it, an empty Streamlit page (the floor). A manager signs
in over the websocket (Streamlit's protocol, as bench/burst.py) and opens the dashboard:
the first render after the start, then steady reruns (median). The empty page is rendered
and rerun the same way. Prints dashboard steady ÷ (raw query + empty page) and first ÷ steady.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import burst, mixed  # noqa: E402

RAW_QUERY = ("SELECT r.department_id, count(*), avg(cohesion), avg(flexibility), avg(availability), avg(focus),"
             " avg(trust), avg(fairness) FROM responses x JOIN rounds r ON r.id = x.round_id GROUP BY 1")


def build(path: Path, size: int, per_round: int, generate: bool = True) -> float:
    """The scale database; returns the raw query's median time in seconds."""
    from datetime import datetime

    from servicetjek import demo
    from servicetjek.db import Database

    db = Database(path)
    if generate:
        now = datetime.now().replace(minute=0, second=0, microsecond=0)
        demo.generate(db, size=size, responses_per_round=per_round, now=now)
    n = db.query_one("SELECT count(*) FROM responses")[0]
    raw = time_raw_query(db)
    db.close()
    print(f"{n} answers in {size * 15} departments")
    return raw


def time_raw_query(db) -> float:
    """The raw GROUP BY over every answer: median seconds of 5 runs."""
    times = []
    for _ in range(5):
        start = time.perf_counter()
        db.query(RAW_QUERY)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


async def timed(coro) -> float:
    start = time.perf_counter()
    await coro
    return time.perf_counter() - start


async def measure(app_port: int, app_pid: int, floor_port: int, repeat: int) -> dict:
    manager = burst.Session(f"ws://127.0.0.1:{app_port}/_stcore/stream", "")
    await mixed.sign_in(manager, "leder")
    cpu0 = burst.cpu_seconds(app_pid)
    first = await timed(manager.open_page("dashboard"))
    cpu1 = burst.cpu_seconds(app_pid)
    assert not manager.exception, "the dashboard raised"
    steady = [await timed(manager.rerun(None)) for _ in range(repeat)]
    cpu2 = burst.cpu_seconds(app_pid)
    await manager.close()
    empty = burst.Session(f"ws://127.0.0.1:{floor_port}/_stcore/stream", "")
    empty_first = await timed(empty.connect_and_render())
    empty_steady = [await timed(empty.rerun(None)) for _ in range(repeat)]
    await empty.close()
    return {"first": first, "steady": statistics.median(steady), "steady_all": steady,
            "first_cpu": cpu1 - cpu0, "steady_cpu": (cpu2 - cpu1) / repeat,
            "empty_first": empty_first, "empty": statistics.median(empty_steady)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=34)
    parser.add_argument("--per-round", type=int, default=1225)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--reuse", type=Path, help="a database an earlier run built (copied, not changed)")
    args = parser.parse_args()
    path = Path(tempfile.mkdtemp(prefix="servicetjek-dash-")) / "dash.duckdb"
    if args.reuse:
        shutil.copy(args.reuse, path)
    raw = build(path, args.size, args.per_round, generate=not args.reuse)
    env = os.environ | {"SERVICETJEK_DB": str(path), "SERVICETJEK_BCRYPT_ROUNDS": "4"}
    print(f"uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    app_port, floor_port = burst.free_port(), burst.free_port()
    floor = burst.start_server(["-m", "streamlit", "run", str(ROOT / "bench" / "empty_app.py")], floor_port, env)
    app = burst.start_server(["-m", "servicetjek.ui.serve"], app_port, env)
    try:
        result = asyncio.run(measure(app_port, app.pid, floor_port, args.repeat))
    finally:
        for proc in (floor, app):
            proc.terminate()
            proc.wait()
    floor_total = raw + result["empty"]
    print(f"raw DuckDB GROUP BY department:          {raw * 1000:8.1f} ms")
    print(f"empty page rerun, real server (floor):   {result['empty'] * 1000:8.1f} ms "
          f"(first render {result['empty_first'] * 1000:.1f} ms)")
    print(f"dashboard rerun, steady (median of {args.repeat}):   {result['steady'] * 1000:8.1f} ms "
          f"→ {result['steady'] / floor_total:.2f}× (raw + empty)   "
          f"[{', '.join(f'{s * 1000:.0f}' for s in result['steady_all'])}]")
    print(f"dashboard first render after start:      {result['first'] * 1000:8.1f} ms "
          f"→ {result['first'] / result['steady']:.2f}× steady")
    print(f"server CPU, first render / steady rerun: {result['first_cpu'] * 1000:.0f} ms / "
          f"{result['steady_cpu'] * 1000:.0f} ms → {result['first_cpu'] / result['steady_cpu']:.1f}×")
    print(f"uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")


if __name__ == "__main__":
    main()
