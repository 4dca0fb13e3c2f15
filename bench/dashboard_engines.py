"""The organisation dashboard at scale on both engines (issue 16): 510 departments and about
a million answers, in DuckDB and in PostgreSQL, each measured over the real server the way
bench/dashboard_server.py measures it (a manager signs in over the websocket; first render
after the start, then steady reruns).

    .venv/bin/python bench/dashboard_engines.py [--size 34 --per-round 1225] [--repeat 5]

Prints, per engine, the raw GROUP BY over all answers, the dashboard's steady rerun and its
first render, and PostgreSQL ÷ DuckDB (target: within 2×).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import burst  # noqa: E402
from bench.dashboard_server import measure, time_raw_query  # noqa: E402
from servicetjek.local_postgres import LocalPostgres, scratch_folder  # noqa: E402

ENV = {"SERVICETJEK_BCRYPT_ROUNDS": "4", "SERVICETJEK_SECRET": "dashboard-bench-" + "s" * 40}


def build(target: str, size: int, per_round: int) -> tuple[int, float]:
    """The demo organisation `size` times over; returns (answers, the raw query's median seconds)."""
    from servicetjek import demo
    from servicetjek.db import open_database

    db = open_database(target)
    start = time.perf_counter()
    demo.generate(db, size=size, responses_per_round=per_round,
                  now=datetime.now().replace(minute=0, second=0, microsecond=0))
    if db.engine == "postgresql":
        with db.cursor() as cur:
            cur.execute("ANALYZE")  # as autovacuum would soon after a bulk load
    print(f"  built in {time.perf_counter() - start:.0f} s", flush=True)
    n = db.query_one("SELECT count(*) FROM responses")[0]
    raw = time_raw_query(db)
    db.close()
    return n, raw


def run(name: str, target: str, args) -> dict:
    print(f"{name}:", flush=True)
    n, raw = build(target, args.size, args.per_round)
    env = os.environ | ENV | {"SERVICETJEK_DB": target}
    port = burst.free_port()
    app = burst.start_server(["-m", "servicetjek.ui.serve"], port, env)
    floor_port = burst.free_port()
    floor = burst.start_server(["-m", "streamlit", "run", str(ROOT / "bench" / "empty_app.py")], floor_port, env)
    try:
        result = asyncio.run(measure(port, app.pid, floor_port, args.repeat))
    finally:
        for proc in (app, floor):
            proc.terminate()
            proc.wait()
    return {"name": name, "answers": n, "raw": raw, **result}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=34)
    parser.add_argument("--per-round", type=int, default=1225)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    os.environ.update(ENV)  # seeding in this process seals answers on PostgreSQL too
    folder = scratch_folder("servicetjek-dash-engines-")
    results = [run("DuckDB", str(folder / "dash.duckdb"), args)]
    with LocalPostgres(folder / "pg") as pg:
        results.append(run("PostgreSQL", pg.url, args))
    print(f"{results[0]['answers']} answers in {args.size * 15} departments; "
          f"load {Path('/proc/loadavg').read_text().split()[:3]}")
    rows = (("raw", "raw GROUP BY over all answers (ms)"), ("empty", "empty page rerun, floor (ms)"),
            ("steady", "dashboard rerun, steady (ms)"), ("first", "dashboard first render (ms)"),
            ("steady_cpu", "server CPU per steady rerun (ms)"), ("first_cpu", "server CPU, first render (ms)"))
    print(f"{'':38}{'DuckDB':>12}{'PostgreSQL':>12}{'ratio':>8}")
    for key, label in rows:
        duck, pg = results[0][key] * 1000, results[1][key] * 1000
        print(f"{label:38}{duck:12.1f}{pg:12.1f}{pg / duck if duck else float('nan'):8.2f}")


if __name__ == "__main__":
    main()
