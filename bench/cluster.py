"""Beyond one process (issue 16): the same loads, all through the nginx front, on
1 app server with DuckDB, 1 with PostgreSQL and 2 with PostgreSQL, side by side.

    .venv/bin/python bench/cluster.py [--sessions 400] [--submitters 200 --managers 5 --members 50]

Loads: a burst (N phones connect, then all submit at once) and the mixed load (phones
submitting while managers reload the dashboard and members save the action plan, from
bench/mixed.py). Reports wall times, actions per second, the app servers' CPU, and answers
acknowledged vs stored. PostgreSQL is a throwaway cluster on loopback with fsync on.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import burst, mixed  # noqa: E402
from servicetjek.local_postgres import LocalPostgres, scratch_folder  # noqa: E402

ENV = {"SERVICETJEK_BCRYPT_ROUNDS": "4", "SERVICETJEK_SECRET": "cluster-bench-" + "s" * 40,
       "SERVICETJEK_COOKIE_KEY": "cluster-bench-" + "k" * 40}


def app_server_pids(front_pid: int) -> list[int]:
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if parent == front_pid and b"servicetjek.ui.serve" in cmdline:
            pids.append(int(stat.parent.name))
    return pids


def postgres_cpu(postmaster: int | None) -> float:
    """CPU seconds of one PostgreSQL server's processes (its pooled backends stay for the run)."""
    if postmaster is None:
        return 0.0
    total = burst.cpu_seconds(postmaster)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == postmaster:
                total += burst.cpu_seconds(int(stat.parent.name))
        except OSError:
            continue
    return total


class Front:
    """`python -m servicetjek.front --app-servers N` on a free port, for one configuration."""

    def __init__(self, target: str, app_servers: int, folder: Path, postmaster: int | None = None):
        self.postmaster = postmaster
        self.port = burst.free_port()
        self.log = folder / f"front-{app_servers}.log"
        env = os.environ | ENV | {"SERVICETJEK_DB": target}
        with open(self.log, "w") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "servicetjek.front", "--app-servers", str(app_servers),
                                          "--port", str(self.port), "--address", "127.0.0.1"],
                                         cwd=ROOT, env=env, stdout=out, stderr=out)
        deadline = time.time() + 300
        while "serving on" not in self.log.read_text():
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(self.log.read_text())
            time.sleep(0.3)
        self.pids = app_server_pids(self.proc.pid)
        self.url = f"ws://127.0.0.1:{self.port}/_stcore/stream"

    def cpu(self) -> float:
        return sum(burst.cpu_seconds(pid) for pid in self.pids)

    def database_cpu(self) -> float:
        return postgres_cpu(self.postmaster)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=60)


def seed(target: str) -> tuple[str, str, int]:
    """(burst round token, mixed-load round token, trial id) in a demo organisation."""
    from servicetjek import clock, org, rounds, users
    from servicetjek.db import open_database

    token, trial_id, _ = mixed.seed(target)
    db = open_database(target)
    dept = org.create(db, "Personalemøde, burst", headcount=500)
    now = clock.local_now()
    round_, _ = rounds.create(db, users.get(db, "admin"), dept, "Burst", now - timedelta(hours=1),
                              now + timedelta(hours=2))
    db.close()
    return round_.token, token, trial_id


async def room(front: Front, token: str, n: int) -> dict:
    sessions = [burst.Session(front.url, f"r={token}") for _ in range(n)]
    cpu0, db0, t0 = front.cpu(), front.database_cpu(), time.perf_counter()
    await asyncio.gather(*(s.connect_and_render() for s in sessions))
    connect = time.perf_counter() - t0
    t1 = time.perf_counter()
    await asyncio.gather(*(s.rerun(burst.rating_states(s)) for s in sessions))
    submit = time.perf_counter() - t1
    cpu, db_cpu = front.cpu() - cpu0, front.database_cpu() - db0
    acknowledged = sum(any("Tak for dine svar" in t for t in s.texts) for s in sessions)
    await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)
    return {"connect": connect, "submit": submit, "cpu_ms": 1000 * cpu / n, "db_cpu_ms": 1000 * db_cpu / n,
            "acknowledged": acknowledged}


def stored(target: str, token: str) -> int:
    from servicetjek import rounds
    from servicetjek.db import open_database

    db = open_database(target)
    try:
        return rounds.response_count(db, db.query_one("SELECT id FROM rounds WHERE token = ?", [token])[0])
    finally:
        db.close()


def measure(name: str, target: str, app_servers: int, folder: Path, args, postmaster: int | None = None) -> dict:
    burst_token, mixed_token, trial_id = seed(target)
    front = Front(target, app_servers, folder, postmaster)
    try:
        burst_result = asyncio.run(room(front, burst_token, args.sessions))
        cpu0, db0, client0 = front.cpu(), front.database_cpu(), time.process_time()
        mixed_result = asyncio.run(mixed.run(front.url, mixed_token, trial_id, args))
        mixed_cpu, mixed_db_cpu = front.cpu() - cpu0, front.database_cpu() - db0
        client_cpu = time.process_time() - client0
    finally:
        front.stop()
    actions = sum(len(v) for v in mixed_result["latencies"].values())
    return {"name": name, **burst_result, "stored": stored(target, burst_token),
            "mixed_wall": mixed_result["wall"], "mixed_actions": actions,
            "mixed_per_s": actions / mixed_result["wall"], "mixed_cpu": mixed_cpu, "mixed_db_cpu": mixed_db_cpu,
            "mixed_client_cpu": client_cpu, "mixed_app_cores": mixed_cpu / mixed_result["wall"],
            "mixed_errors": sum(mixed_result["errors"].values()),
            "mixed_acknowledged": mixed_result["outcome"]["acknowledged"],
            "mixed_stored": stored(target, mixed_token),
            "submit_p95": mixed.pct(mixed_result["latencies"]["submit"], .95),
            "dashboard_p95": mixed.pct(mixed_result["latencies"]["dashboard"], .95)}


ROWS = (("connect", "burst: connect + first render (s)", "{:.2f}"), ("submit", "burst: submit wall (s)", "{:.2f}"),
        ("cpu_ms", "burst: app CPU per phone (ms)", "{:.1f}"),
        ("db_cpu_ms", "burst: PostgreSQL CPU per phone (ms)", "{:.1f}"), ("acknowledged", "burst: acknowledged", "{}"),
        ("stored", "burst: stored", "{}"), ("mixed_wall", "mixed: wall (s)", "{:.2f}"),
        ("mixed_per_s", "mixed: actions per second", "{:.1f}"), ("mixed_cpu", "mixed: app CPU (s)", "{:.2f}"),
        ("mixed_db_cpu", "mixed: PostgreSQL CPU (s)", "{:.2f}"),
        ("mixed_client_cpu", "mixed: load client CPU (s)", "{:.2f}"),
        ("mixed_app_cores", "mixed: app CPU ÷ wall (incl. sign-ins)", "{:.2f}"),
        ("submit_p95", "mixed: submit p95 (s)", "{:.2f}"), ("dashboard_p95", "mixed: dashboard p95 (s)", "{:.2f}"),
        ("mixed_acknowledged", "mixed: answers acknowledged", "{}"), ("mixed_stored", "mixed: answers stored", "{}"),
        ("mixed_errors", "mixed: errors", "{}"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=400)
    parser.add_argument("--submitters", type=int, default=200)
    parser.add_argument("--managers", type=int, default=5)
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    os.environ.update(ENV)  # seeding in this process seals answers on PostgreSQL too
    folder = scratch_folder("servicetjek-cluster-bench-")
    results = [measure("DuckDB, 1 app server", str(folder / "bench.duckdb"), 1, folder, args)]
    for app_servers in (1, 2):
        with LocalPostgres(folder / f"pg{app_servers}") as pg:
            subprocess.run([sys.executable, "-m", "servicetjek.cli", "migrate"], check=True, cwd=ROOT,
                           env=os.environ | ENV | {"SERVICETJEK_DB": pg.url}, stdout=subprocess.DEVNULL)
            postmaster = int((pg.data / "postmaster.pid").read_text().split()[0])
            results.append(measure(f"PostgreSQL, {app_servers} app server{'s' * (app_servers > 1)}", pg.url,
                                   app_servers, folder, args, postmaster))
    load = re.sub(r"\s+", " ", Path("/proc/loadavg").read_text()).strip()
    print(f"{args.sessions}-phone burst; mixed: {args.submitters} submitting, {args.managers} managers reloading "
          f"the dashboard, {args.members} members saving the plan ({args.rounds} each); "
          f"{os.cpu_count()} cpus, load {load}")
    print(f"{'':38}" + "".join(f"{r['name']:>26}" for r in results))
    for key, label, fmt in ROWS:
        print(f"{label:38}" + "".join(f"{fmt.format(r[key]):>26}" for r in results))
    one, two = results[1]["mixed_per_s"], results[2]["mixed_per_s"]
    print(f"mixed-load throughput, 2 vs 1 app servers on PostgreSQL: {two / one:.2f}×")


if __name__ == "__main__":
    main()
