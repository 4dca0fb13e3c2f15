"""Organisation dashboard at scale: ~500 departments and ~1,000,000 answers.

    .venv/bin/python bench/dashboard.py [--size 34] [--per-round 1225]

Measures, in one run and one process: the raw DuckDB GROUP BY over the same rows (floor),
`results.unit_rollup` (the dashboard's data function), a full AppTest run of the dashboard
page, and an AppTest run of an empty page (floor). Prints the ratio of the dashboard page
to (raw query + empty page); the target is ≤ 3.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def timed(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=34, help="copies of the 15-department demo organisation")
    parser.add_argument("--per-round", type=int, default=1225, help="answers per round (two rounds per team)")
    args = parser.parse_args()
    os.environ["SERVICETJEK_DB"] = str(Path(tempfile.mkdtemp(prefix="servicetjek-dash-")) / "dash.duckdb")
    os.environ.setdefault("SERVICETJEK_BCRYPT_ROUNDS", "4")

    from streamlit.testing.v1 import AppTest

    from servicetjek import demo, org, results, users
    from servicetjek.db import get_db
    from servicetjek.ui.serve import disable_pages_folder_detection

    disable_pages_folder_detection()
    db = get_db()
    from servicetjek.ui.serve import warm_up

    warm_up()  # what the server does before its first visitor
    t0 = time.perf_counter()
    demo.generate(db, seed=1, size=args.size, responses_per_round=args.per_round, now=datetime.now())
    generated = time.perf_counter() - t0
    departments = len(org.all_departments(db))
    answers = db.query_one("SELECT count(*) FROM responses")[0]
    manager = users.get(db, "leder")
    start, end = datetime.now() - timedelta(days=365), datetime.now() + timedelta(days=1)

    raw = timed(lambda: db.query(
        "SELECT r.department_id, count(*), avg(cohesion), avg(flexibility), avg(availability), avg(focus),"
        " avg(trust), avg(fairness) FROM responses x JOIN rounds r ON r.id = x.round_id GROUP BY 1"))
    rollup = timed(lambda: results.unit_rollup(db, manager, start, end))

    def signed_in_app() -> AppTest:
        # The first run registers the manager's menu (home page); it is not part of the timing.
        at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
        at.session_state["authentication_status"] = True
        at.session_state["username"] = "leder"
        return at.run()

    def page_run(at: AppTest, page: str = "dashboard.py") -> float:
        start = time.perf_counter()
        at.switch_page(str(ROOT / "pages" / page)).run()
        elapsed = time.perf_counter() - start
        assert not at.exception, at.exception
        return elapsed

    def empty_run():
        AppTest.from_file(str(ROOT / "bench" / "empty_app.py")).run()

    cold = page_run(signed_in_app())  # first run after start: warmed up as the server is, chart cache empty
    empty_run()
    page = statistics.median(page_run(signed_in_app()) for _ in range(3))
    empty = timed(empty_run, repeat=3)
    frame = statistics.median(page_run(signed_in_app(), "home.py") for _ in range(3))
    print(f"departments: {departments}, answers: {answers:,} (generated in {generated:.1f} s)")
    print(f"raw DuckDB GROUP BY department:        {raw * 1000:8.1f} ms")
    print(f"results.unit_rollup (whole tree):      {rollup * 1000:8.1f} ms  ({rollup / raw:.1f}× raw)")
    print(f"empty page, AppTest:                   {empty * 1000:8.1f} ms")
    print(f"signed-in home page, AppTest (frame):  {frame * 1000:8.1f} ms")
    print(f"dashboard page, AppTest (incl. frame): {page * 1000:8.1f} ms")
    print(f"dashboard page, first run after start: {cold * 1000:8.1f} ms  ratio {cold / (raw + empty):.2f}")
    print(f"ratio page / (raw + empty):            {page / (raw + empty):8.2f}  (target ≤ 3)")


if __name__ == "__main__":
    main()
