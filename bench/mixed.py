"""Mixed load: a staff meeting submits while managers reload the dashboard and members
edit the action plan, all against one real server.

    .venv/bin/python bench/mixed.py [--submitters 200 --managers 10 --members 10 --rounds 5]
    .venv/bin/python bench/mixed.py --managers 5 --members 0 --alone   # issue 14's mixed-load target

Reports per-action latency percentiles, errors, answers acknowledged vs stored, board
saves vs conflicts vs history rows, and server memory per session.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from streamlit.proto.WidgetStates_pb2 import WidgetState

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import burst  # noqa: E402

PASSWORD = "demo-servicetjek"


def seed(target: Path | str) -> tuple[str, int, int]:
    """A demo organisation in the database `target` (a DuckDB file or a postgresql:// URL)."""
    from servicetjek import demo, org, rounds, trials, users
    from servicetjek.db import open_database

    db = open_database(target)
    result = demo.generate(db, seed=2, now=datetime.now().replace(minute=0, second=0, microsecond=0))
    admin = users.get(db, "admin")
    member = users.get(db, "medlem")
    dept = next(iter(member.department_ids))
    # All submissions come from one address, which may send one unit's worth of answers to a
    # round (rounds.client_answer_limit): the staff meeting is a unit of 400, as in cold_phones.py.
    meeting = org.create(db, "Personalemøde", headcount=400)
    round_, _ = rounds.create(db, admin, meeting, "Personalemøde", datetime.now() - timedelta(hours=1),
                              datetime.now() + timedelta(hours=2))
    trial = trials.for_departments(db, {dept})[0]
    db.close()
    del result
    return round_.token, trial.id, trial.version


async def sign_in(s: burst.Session, username: str) -> None:
    await s.connect_and_render()
    await s.open_page("login")
    user = WidgetState(id=s.widget("text_input", "login_username"))
    user.string_value = username
    password = WidgetState(id=s.widget("text_input", "login_password"))
    password.string_value = PASSWORD
    submit = WidgetState(id=s.widget("button", "FormSubmitter:login"))
    submit.trigger_value = True
    await s.rerun([user, password, submit])


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p * len(values)))] if values else float("nan")


async def run(url: str, token: str, trial_id: int, args) -> dict:
    latencies: dict[str, list[float]] = {"submit": [], "dashboard": [], "board_save": []}
    errors: dict[str, int] = {"submit": 0, "dashboard": 0, "board_save": 0}
    outcome = {"acknowledged": 0, "saved": 0, "conflicts": 0}

    managers = [burst.Session(url, "") for _ in range(args.managers)]
    members = [burst.Session(url, "") for _ in range(args.members)]
    # One after another: the sign-in throttle counts attempts in flight per address (all of
    # these come from loopback) and refuses a crowd of simultaneous ones.
    for session, name in [(m, "leder") for m in managers] + [(m, "medlem") for m in members]:
        await sign_in(session, name)
    await asyncio.gather(*(m.open_page("dashboard") for m in managers), *(m.open_page("board") for m in members))
    submitters = [burst.Session(url, f"r={token}") for _ in range(args.submitters)]
    await asyncio.gather(*(s.connect_and_render() for s in submitters))

    async def submit(s):
        start = time.perf_counter()
        try:
            await s.rerun(burst.rating_states(s))
        except Exception:  # noqa: BLE001 - counted, the run goes on
            errors["submit"] += 1
            return
        latencies["submit"].append(time.perf_counter() - start)
        outcome["acknowledged"] += any("Tak for dine svar" in t for t in s.texts)

    async def reload_dashboard(m):
        for _ in range(args.rounds):
            start = time.perf_counter()
            try:
                await m.rerun(None)
            except Exception:  # noqa: BLE001
                errors["dashboard"] += 1
                continue
            errors["dashboard"] += m.exception
            latencies["dashboard"].append(time.perf_counter() - start)

    async def edit_board(m, n):
        for i in range(args.rounds):
            how = WidgetState(id=m.widget("text_input", f"how_{trial_id}"))
            how.string_value = f"medlem {n} ændring {i}"
            submit_id = m.widget("button", f"FormSubmitter:edit_{trial_id}")
            save = WidgetState(id=submit_id)
            save.trigger_value = True
            start = time.perf_counter()
            try:
                await m.rerun([how, save])
            except Exception:  # noqa: BLE001
                errors["board_save"] += 1
                continue
            latencies["board_save"].append(time.perf_counter() - start)

    t0 = time.perf_counter()
    await asyncio.gather(*(submit(s) for s in submitters), *(reload_dashboard(m) for m in managers),
                         *(edit_board(m, n) for n, m in enumerate(members)))
    wall = time.perf_counter() - t0
    await asyncio.gather(*(s.close() for s in [*submitters, *managers, *members]), return_exceptions=True)
    return {"latencies": latencies, "errors": errors, "outcome": outcome, "wall": wall}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--submitters", type=int, default=200)
    parser.add_argument("--managers", type=int, default=10)
    parser.add_argument("--members", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5, help="reloads / saves per manager / member")
    parser.add_argument("--alone", action="store_true",
                        help="first the same submit burst with nobody else on the server, for the ratio")
    args = parser.parse_args()
    path = Path(tempfile.mkdtemp(prefix="servicetjek-mixed-")) / "mixed.duckdb"
    token, trial_id, first_version = seed(path)
    port = burst.free_port()
    proc = burst.start_server(["-m", "servicetjek.ui.serve"], port,
                              os.environ | {"SERVICETJEK_DB": str(path), "SERVICETJEK_BCRYPT_ROUNDS": "4"})
    try:
        rss_before = burst.rss_kb(proc.pid)
        url = f"ws://127.0.0.1:{port}/_stcore/stream"
        alone = None
        if args.alone:
            alone = asyncio.run(run(url, token, trial_id, argparse.Namespace(**{**vars(args), "managers": 0,
                                                                                "members": 0})))
        result = asyncio.run(run(url, token, trial_id, args))
        rss_after = burst.rss_kb(proc.pid)
    finally:
        proc.terminate()
        proc.wait()
    from servicetjek.db import Database

    db = Database(path)
    from servicetjek import rounds

    stored = rounds.response_count(db, db.query_one("SELECT id FROM rounds WHERE token = ?", [token])[0])
    version, history = db.query_one("SELECT max(version), count(*) FROM trial_history WHERE trial_id = ?",
                                    [trial_id])
    db.close()
    sessions = args.submitters + args.managers + args.members
    print(f"{args.submitters} submitting, {args.managers} managers reloading the dashboard, {args.members} members "
          f"editing one trial ({args.rounds} each); wall {result['wall']:.2f} s")
    for action, values in result["latencies"].items():
        print(f"  {action:12} n={len(values):4}  p50 {pct(values, .5):6.2f} s  p95 {pct(values, .95):6.2f} s  "
              f"p99 {pct(values, .99):6.2f} s  errors {result['errors'][action]}")
    if alone is not None:
        # All submissions are released together: the slowest one is the burst's wall time.
        burst_alone, burst_mixed = max(alone["latencies"]["submit"]), max(result["latencies"]["submit"])
        print(f"  submit burst wall: alone {burst_alone:.2f} s, with the managers {burst_mixed:.2f} s "
              f"→ {burst_mixed / burst_alone:.2f}×")
    answered = result["outcome"]["acknowledged"] + (alone["outcome"]["acknowledged"] if alone else 0)
    print(f"  answers acknowledged {answered}, stored {stored}")
    saved = version - first_version
    attempts = len(result["latencies"]["board_save"])
    print(f"  board: {attempts} saves sent, {saved} stored, {attempts - saved} refused as conflicts; "
          f"trial version {version} = history rows {history}: nothing overwritten silently")
    print(f"  server RSS {rss_before / 1024:.0f} MB → {rss_after / 1024:.0f} MB "
          f"({(rss_after - rss_before) / sessions:.0f} KB per session)")


if __name__ == "__main__":
    main()
