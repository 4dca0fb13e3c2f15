"""A staff meeting scans the QR code at once: N websocket sessions load the rating form,
then all submit at the same instant. The same burst runs against a trivial one-button
Streamlit page in the same run, so the ratio to that floor is printed.

    .venv/bin/python bench/burst.py [--sessions 200]

Speaks Streamlit's own protocol (DESIGN §7): BackMsg.rerun_script with widget states,
ForwardMsgs read until script_finished.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PRODUCTION_FLAGS = ["--runner.postScriptGC", "false", "--server.fileWatcherType", "none",
                    "--server.headless", "true", "--server.address", "127.0.0.1"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (a steadier figure than wall time)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_server(args: list[str], port: int, env: dict) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, *args, "--server.port", str(port), *PRODUCTION_FLAGS],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                time.sleep(0.5)
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"server on {port} did not start: {proc.stderr.read().decode()[-2000:]}")


class Session:
    def __init__(self, url: str, query: str, browser: str | None = None):
        """`browser`: the front's browser cookie (BROWSER_COOKIE), as a browser has it after
        loading the page shell; behind several app servers it decides which one serves it."""
        self.url, self.query = url, query
        self.headers = {"Cookie": f"stk_b={browser or secrets.token_hex(16)}"}
        self.ws = None
        self.page_hash = ""
        self.widgets: dict[str, list[str]] = {"radio": [], "button": [], "text_input": []}
        self.texts: list[str] = []
        self.pages: dict[str, str] = {}  # url path -> page script hash, from the navigation message
        self.exception = False

    async def connect_and_render(self) -> None:
        self.ws = await websockets.connect(self.url, subprotocols=["streamlit"], max_size=None, open_timeout=60,
                                           additional_headers=self.headers)
        await self.rerun(None)

    async def rerun(self, widget_states) -> None:
        msg = BackMsg()
        msg.rerun_script.query_string = self.query
        msg.rerun_script.page_script_hash = self.page_hash
        if widget_states is not None:
            msg.rerun_script.widget_states.widgets.extend(widget_states)
        await self.ws.send(msg.SerializeToString())
        self.texts = []
        while True:
            fwd = ForwardMsg()
            fwd.ParseFromString(await asyncio.wait_for(self.ws.recv(), 60))
            if fwd.WhichOneof("type") == "ref_hash":
                # Large messages another session already received are sent as a reference;
                # the browser fetches them over HTTP, and so do we.
                fwd = await asyncio.to_thread(self._fetch_cached, fwd.ref_hash)
            if self._handle(fwd):
                return

    def _fetch_cached(self, ref_hash: str) -> ForwardMsg:
        import urllib.request

        base = self.url.replace("ws://", "http://").rsplit("/_stcore/", 1)[0]
        request = urllib.request.Request(f"{base}/_stcore/message?hash={ref_hash}", headers=self.headers)
        with urllib.request.urlopen(request, timeout=60) as response:
            fwd = ForwardMsg()
            fwd.ParseFromString(response.read())
            return fwd

    def _handle(self, fwd: ForwardMsg) -> bool:
        """Record what the message tells; True when the script run is over."""
        kind = fwd.WhichOneof("type")
        if kind == "new_session" and fwd.new_session.page_script_hash:
            self.page_hash = fwd.new_session.page_script_hash
        elif kind == "navigation":
            self.pages = {p.url_pathname: p.page_script_hash for p in fwd.navigation.app_pages}
            self.page_hash = fwd.navigation.page_script_hash or self.page_hash
        elif kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
            element = fwd.delta.new_element
            etype = element.WhichOneof("type")
            if etype in self.widgets:
                widget_id = getattr(element, etype).id
                if widget_id not in self.widgets[etype]:
                    self.widgets[etype].append(widget_id)
            elif etype == "heading":
                self.texts.append(element.heading.body)
            elif etype == "alert":  # receipts and refusals
                self.texts.append(element.alert.body)
            elif etype == "exception":
                self.exception = True
        # A st.rerun() ends one run early and starts the next: wait for the last.
        return kind == "script_finished" and fwd.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN

    def widget(self, kind: str, key: str) -> str:
        """The id of the widget with this user key (ids end in '-<key>'; form buttons start with it)."""
        return next(w for w in self.widgets[kind] if w.endswith(f"-{key}") or f"-{key}-" in w)

    async def open_page(self, path: str) -> None:
        self.page_hash = self.pages[path]
        self.widgets = {kind: [] for kind in self.widgets}
        await self.rerun(None)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()


def rating_states(session: Session):
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    states = []
    for i, widget_id in enumerate(session.widgets["radio"][:6]):
        state = WidgetState(id=widget_id)
        state.string_value = str(1 + i % 5)  # st.radio sends the chosen option as text
        states.append(state)
    submit = WidgetState(id=session.widgets["button"][-1])
    submit.trigger_value = True
    states.append(submit)
    return states


def button_states(session: Session):
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    state = WidgetState(id=session.widgets["button"][0])
    state.trigger_value = True
    return [state]


async def burst(url: str, query: str, n: int, make_states, receipt: str | None, server_pid: int) -> dict:
    sessions = [Session(url, query) for _ in range(n)]
    cpu0, client0 = cpu_seconds(server_pid), time.process_time()
    t0 = time.perf_counter()
    connect_results = await asyncio.gather(*(s.connect_and_render() for s in sessions), return_exceptions=True)
    connect_wall = time.perf_counter() - t0
    cpu1, client1 = cpu_seconds(server_pid), time.process_time()
    connect_errors = sum(isinstance(r, Exception) for r in connect_results)
    ready = [s for s, r in zip(sessions, connect_results, strict=True) if not isinstance(r, Exception)]

    latencies: list[float] = []

    async def submit(s: Session) -> bool:
        start = time.perf_counter()
        await s.rerun(make_states(s))
        latencies.append(time.perf_counter() - start)
        return receipt is None or any(receipt in t for t in s.texts)

    t1 = time.perf_counter()
    submit_results = await asyncio.gather(*(submit(s) for s in ready), return_exceptions=True)
    submit_wall = time.perf_counter() - t1
    cpu2, client2 = cpu_seconds(server_pid), time.process_time()
    await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)
    acknowledged = sum(r is True for r in submit_results)
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] if latencies else float("nan")

    return {"connect_wall": connect_wall, "connect_errors": connect_errors, "submit_wall": submit_wall,
            "acknowledged": acknowledged, "submit_errors": sum(isinstance(r, Exception) for r in submit_results),
            "p50": pct(0.50), "p99": pct(0.99),
            "connect_cpu_ms": 1000 * (cpu1 - cpu0) / n, "submit_cpu_ms": 1000 * (cpu2 - cpu1) / n,
            "client_cpu": (client1 - client0) + (client2 - client1),
            "mean": statistics.mean(latencies) if latencies else float("nan")}


def seed_database(path: Path, meetings: int = 1) -> list[str]:
    """One open round per staff meeting (burst): every burst comes from one address, and
    one address may send a unit's answers to a round, not five meetings' worth
    (rounds.client_answer_limit), so reusing one round would measure the stuffing limit."""
    from servicetjek import clock, org, rounds, users
    from servicetjek.db import Database

    db = Database(path)
    admin = users.create(db, "bench", "Bench", "burst-load-passphrase", "admin")
    now = clock.local_now()  # rounds take Copenhagen time, whatever the server's TZ
    tokens = []
    for i in range(meetings):
        dept = org.create(db, f"Personalemøde {i + 1}", headcount=400)
        round_, _ = rounds.create(db, admin, dept, "Burst", now - timedelta(hours=1), now + timedelta(hours=2))
        tokens.append(round_.token)
    db.close()
    return tokens


def count_rows(path: Path) -> int:
    from servicetjek.db import Database

    db = Database(path)
    from servicetjek import rounds

    n = rounds.answers_stored(db)
    db.close()
    return n


METRICS = (("connect_wall", "connect + first render (s)"), ("submit_wall", "burst submit wall (s)"),
           ("p50", "submit p50 (s)"), ("p99", "submit p99 (s)"),
           ("connect_cpu_ms", "server CPU/connect (ms)"), ("submit_cpu_ms", "server CPU/submit (ms)"),
           ("client_cpu", "load client CPU (s)"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5,
                        help="bursts per server, alternating floor and form; medians are reported")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="servicetjek-bench-"))
    db_path = tmp / "burst.duckdb"
    tokens = seed_database(db_path, args.repeat)
    env = os.environ | {"SERVICETJEK_DB": str(db_path)}

    floor_port, port = free_port(), free_port()
    floor = start_server(["-m", "streamlit", "run", str(ROOT / "bench" / "trivial_app.py")], floor_port, env)
    app = start_server(["-m", "servicetjek.ui.serve"], port, env)
    floor_runs, runs = [], []
    try:
        rss_before = rss_kb(app.pid)
        # Alternating runs share the machine's slow and fast moments; the medians of
        # both and their ratio are steadier than any single burst on a shared VM.
        for token in tokens:
            floor_runs.append(asyncio.run(burst(f"ws://127.0.0.1:{floor_port}/_stcore/stream", "", args.sessions,
                                                button_states, None, floor.pid)))
            runs.append(asyncio.run(burst(f"ws://127.0.0.1:{port}/_stcore/stream", f"r={token}", args.sessions,
                                          rating_states, "Tak for dine svar", app.pid)))
        rss_after = rss_kb(app.pid)
    finally:
        for proc in (floor, app):
            proc.terminate()
            proc.wait()
    stored = count_rows(db_path)

    def median(results: list[dict], key: str) -> float:
        return statistics.median(r[key] for r in results)

    print(f"sessions: {args.sessions}, bursts: {args.repeat} per server "
          f"(python {sys.version.split()[0]}, {os.cpu_count()} cpus); medians, form range in brackets")
    print(f"{'':28}{'rating form':>14}{'trivial page':>14}{'ratio':>8}   form min–max")
    for key, label in METRICS:
        form, floor_value = median(runs, key), median(floor_runs, key)
        ratio = form / floor_value if floor_value else float("nan")
        low, high = min(r[key] for r in runs), max(r[key] for r in runs)
        print(f"{label:28}{form:14.3f}{floor_value:14.3f}{ratio:8.2f}   {low:.3f}–{high:.3f}")
    sent = args.sessions * args.repeat
    print(f"acknowledged: {sum(r['acknowledged'] for r in runs)} / {sent}, rows stored: {stored}, "
          f"errors: connect {sum(r['connect_errors'] for r in runs)}, submit {sum(r['submit_errors'] for r in runs)}")
    print(f"server RSS: {rss_before / 1024:.0f} MB before the first burst, {rss_after / 1024:.0f} MB after the last")


if __name__ == "__main__":
    main()
