"""A room full of cold phones (issue 14): N phones that have never opened the app fetch
every file a real Chromium cold load of the rating link fetches (with the browser's
Accept-Encoding, six connections each like a browser), connect the websocket and render
the form; after the time it takes to read the form (20 s: sooner, the server counts an
answer as too fast, which costs one more statement per transaction) all submit at the same
instant. The same is done, alternating, against the trivial one-button page served the
same way (the floor). Finally one Chromium cold load under slow-4G throttling (DevTools
protocol) is timed until the six questions are visible; bench/throttled.py has more profiles.

    .venv/bin/python bench/cold_phones.py [--phones 200] [--repeat 3] [--direct] [--reading-seconds 20]

Both apps run behind the production front (servicetjek/front.py: nginx with the
pre-compressed static files); --direct measures Streamlit serving everything itself.
The asset lists are recorded with Chromium at the start of each run (printed with sizes).
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
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import burst  # noqa: E402
from servicetjek import front  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--no-first-run"]
ACCEPT_ENCODING = "gzip, deflate, br, zstd"  # what Chromium sends
CONNECTIONS_PER_PHONE = 6  # Chromium's HTTP/1.1 limit per host
# Lighthouse's mobile profile ("slow 4G"): 150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up.
FOUR_G = {"offline": False, "latency": 150, "downloadThroughput": 1_600_000 / 8, "uploadThroughput": 750_000 / 8}


# --- servers --------------------------------------------------------------------------------

class Served:
    """A Streamlit app on a loopback port, with (or without) an nginx front of its own."""

    def __init__(self, streamlit_args: list[str], env: dict, direct: bool, run_dir: Path):
        self.upstream = front.free_port()
        self.app = burst.start_server(streamlit_args, self.upstream, env)
        self.nginx = None
        self.port = self.upstream
        if not direct:
            self.port = front.free_port()
            run_dir = run_dir / f"nginx-{self.port}"  # each nginx its own pid file and temp dirs
            run_dir.mkdir()
            config = run_dir / "nginx.conf"
            cache = front.static_cache()
            config.write_text(front.nginx_config(listen="127.0.0.1", port=self.port, upstream_ports=[self.upstream],
                                                 cache=cache, run_dir=run_dir, hosts=["localhost"],
                                                 brotli_static=(cache / "index.html.br").exists()))
            self.nginx = subprocess.Popen([front.find_nginx(), "-p", str(run_dir), "-c", str(config), "-e", "stderr",
                                           "-g", "daemon off;"])
            time.sleep(0.5)
        self.url = f"http://127.0.0.1:{self.port}"

    def pids(self) -> list[int]:
        pids = [self.app.pid]
        if self.nginx is not None:  # the workers do the work
            pids += [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _ppid(int(p.name)) ==
                     self.nginx.pid]
        return pids

    def cpu(self) -> float:
        return sum(burst.cpu_seconds(pid) for pid in self.pids() if Path(f"/proc/{pid}").exists())

    def stop(self) -> None:
        for proc in (self.nginx, self.app):
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=30)


def _ppid(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


# --- what a browser fetches ---------------------------------------------------------------------

def record(url: str, ready_selector: str, ready_count: int, throttle: dict | None = None) -> tuple[list[str], float]:
    """Same-origin paths a cold Chromium load requests, and seconds until the page is ready."""
    from playwright.sync_api import sync_playwright

    origin = f"{urlsplit(url).scheme}://{urlsplit(url).netloc}"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 390, "height": 844})
        page = context.new_page()
        if throttle:
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.emulateNetworkConditions", throttle)
        paths: list[str] = []
        foreign: list[str] = []

        def seen(request):
            parts = urlsplit(request.url)
            if parts.scheme in ("http", "https"):
                if f"{parts.scheme}://{parts.netloc}" == origin:
                    paths.append(parts.path + (f"?{parts.query}" if parts.query else ""))
                else:
                    foreign.append(request.url)

        page.on("request", seen)
        start = time.perf_counter()
        page.goto(url)
        page.locator(ready_selector).nth(ready_count - 1).wait_for(state="visible", timeout=120_000)
        ready = time.perf_counter() - start
        page.wait_for_timeout(1000)
        browser.close()
    if foreign:
        print(f"  requests to other origins: {foreign}")
    return paths, ready


class Connection:
    """A minimal keep-alive HTTP/1.1 client: counts the bytes a phone receives."""

    def __init__(self, port: int):
        self.port = port
        self.reader = self.writer = None

    async def get(self, path: str) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: {ACCEPT_ENCODING}\r\n"
                          "User-Agent: cold-phone\r\nAccept: */*\r\n\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        headers = {}
        for line in head.decode("latin-1").split("\r\n")[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        received = len(head)
        if "content-length" in headers:
            received += len(await self.reader.readexactly(int(headers["content-length"])))
        elif headers.get("transfer-encoding") == "chunked":
            while True:
                size_line = await self.reader.readuntil(b"\r\n")
                size = int(size_line.split(b";")[0], 16)
                received += len(size_line) + len(await self.reader.readexactly(size + 2))
                if size == 0:
                    break
        if headers.get("connection") == "close":
            await self.close()
        status = int(head.split(b" ", 2)[1])
        if status >= 400:
            raise RuntimeError(f"{path}: HTTP {status}")
        return received

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


async def cold_phone(port: int, paths: list[str]) -> int:
    """Fetch the files over six connections, document first (as a browser does); bytes received."""
    connections = [Connection(port) for _ in range(CONNECTIONS_PER_PHONE)]
    total = await connections[0].get(paths[0])
    queue = list(paths[1:])

    async def worker(conn: Connection) -> int:
        got = 0
        while queue:
            got += await conn.get(queue.pop(0))
        await conn.close()
        return got

    total += sum(await asyncio.gather(*(worker(c) for c in connections)))
    return total


async def room(served: Served, paths: list[str], query: str, n: int, make_states, receipt: str | None,
               reading: float = 0.0) -> dict:
    """n cold phones at once: files, websocket, first render; `reading` seconds later all
    submit together."""
    sessions = [burst.Session(f"ws://127.0.0.1:{served.port}/_stcore/stream", query) for _ in range(n)]
    cpu0, client0 = served.cpu(), time.process_time()
    t0 = time.perf_counter()
    ready_at: list[float] = []

    async def phone(session: burst.Session) -> int:
        received = await cold_phone(served.port, paths)
        await session.connect_and_render()
        ready_at.append(time.perf_counter() - t0)
        return received

    results = await asyncio.gather(*(phone(s) for s in sessions), return_exceptions=True)
    load_wall = time.perf_counter() - t0
    cpu1 = served.cpu()
    await asyncio.sleep(reading)
    cpu_read = served.cpu()
    errors = [r for r in results if isinstance(r, Exception)]
    ready = [s for s, r in zip(sessions, results, strict=True) if not isinstance(r, Exception)]

    async def submit(s: burst.Session) -> bool:
        await s.rerun(make_states(s))
        return receipt is None or any(receipt in t for t in s.texts)

    t1 = time.perf_counter()
    submitted = await asyncio.gather(*(submit(s) for s in ready), return_exceptions=True)
    submit_wall = time.perf_counter() - t1
    cpu2, client2 = served.cpu(), time.process_time()
    await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)
    received = [r for r in results if not isinstance(r, Exception)]
    return {"load_wall": load_wall, "submit_wall": submit_wall,
            "kb_per_phone": statistics.mean(received) / 1000 if received else float("nan"),
            "load_cpu_ms": 1000 * (cpu1 - cpu0) / n, "submit_cpu_ms": 1000 * (cpu2 - cpu_read) / n,
            "client_cpu": client2 - client0, "errors": len(errors), "first_error": repr(errors[0]) if errors else "",
            "acknowledged": sum(r is True for r in submitted)}


def seed(path: Path, rooms: int) -> list[str]:
    """One open round per room: all phones share one address, which may send one unit's
    answers to a round (rounds.client_answer_limit), not three rooms' worth."""
    from servicetjek import clock, org, rounds, users
    from servicetjek.db import Database

    db = Database(path)
    admin = users.create(db, "bench", "Bench", "cold-phones-passphrase", "admin")
    now = clock.local_now()  # rounds take Copenhagen time, whatever the server's TZ
    tokens = []
    for i in range(rooms):
        dept = org.create(db, f"Personalemøde {i + 1}", headcount=400)
        round_, _ = rounds.create(db, admin, dept, "Kolde telefoner", now - timedelta(hours=1),
                                  now + timedelta(hours=2))
        tokens.append(round_.token)
    db.close()
    return tokens


def stored(path: Path) -> int:
    from servicetjek import rounds
    from servicetjek.db import Database

    db = Database(path)
    try:
        return rounds.answers_stored(db)
    finally:
        db.close()


METRICS = (("load_wall", "every form visible, all phones (s)"), ("kb_per_phone", "KB on the wire per phone"),
           ("load_cpu_ms", "server CPU per cold phone (ms)"), ("submit_wall", "burst submit wall (s)"),
           ("submit_cpu_ms", "server CPU per submit (ms)"), ("client_cpu", "load client CPU (s)"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--phones", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--direct", action="store_true", help="no nginx: Streamlit serves every file")
    parser.add_argument("--reading-seconds", type=float, default=None,
                        help="between the form and the submit (default: the reading time below which the "
                             "server counts an answer as too fast; 0: submit at once, every answer too fast)")
    args = parser.parse_args()
    from servicetjek import rounds

    reading = rounds.MIN_READING_SECONDS if args.reading_seconds is None else args.reading_seconds
    direct = args.direct or front.find_nginx() is None
    tmp = Path(tempfile.mkdtemp(prefix="servicetjek-cold-"))
    db_path = tmp / "cold.duckdb"
    tokens = seed(db_path, args.repeat)
    token = tokens[0]  # the Chromium recordings only load the form
    env = os.environ | {"SERVICETJEK_DB": str(db_path)}
    print(f"uptime before: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    floor = Served(["-m", "streamlit", "run", str(ROOT / "bench" / "trivial_app.py")], env, direct, tmp)
    app = Served(["-m", "servicetjek.ui.serve"], env, direct, tmp)
    try:
        form_paths, form_ready = record(f"{app.url}/?r={token}", "[data-testid='stRadio']", 6)
        floor_paths, floor_ready = record(floor.url, "[data-testid='stButton']", 1)
        print(f"front: {'Streamlit alone' if direct else 'nginx'}; Chromium cold load, unthrottled: "
              f"rating form {len(form_paths)} requests, ready in {form_ready:.2f} s; "
              f"floor {len(floor_paths)} requests, ready in {floor_ready:.2f} s")
        floor_runs, form_runs = [], []
        for room_token in tokens:
            floor_runs.append(asyncio.run(room(floor, floor_paths, "", args.phones, burst.button_states, None,
                                               reading)))
            form_runs.append(asyncio.run(room(app, form_paths, f"r={room_token}", args.phones, burst.rating_states,
                                              "Tak for dine svar", reading)))
        _, throttled = record(f"{app.url}/?r={token}", "[data-testid='stRadio']", 6, FOUR_G)
        _, throttled_floor = record(floor.url, "[data-testid='stButton']", 1, FOUR_G)
    finally:
        floor.stop()
        app.stop()
    rows = stored(db_path)
    print(f"uptime after: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    print(f"{args.phones} cold phones, {args.repeat} rooms per page alternating, submitting {reading:g} s after "
          f"the form showed; medians, form range in brackets")
    print(f"{'':38}{'rating form':>12}{'floor':>10}{'ratio':>8}   form min–max")
    for key, label in METRICS:
        form_value = statistics.median(r[key] for r in form_runs)
        floor_value = statistics.median(r[key] for r in floor_runs)
        ratio = form_value / floor_value if floor_value else float("nan")
        low, high = min(r[key] for r in form_runs), max(r[key] for r in form_runs)
        print(f"{label:38}{form_value:12.2f}{floor_value:10.2f}{ratio:8.2f}   {low:.2f}–{high:.2f}")
    errors = sum(r["errors"] for r in form_runs + floor_runs)
    first_error = next((r["first_error"] for r in form_runs + floor_runs if r["errors"]), "")
    print(f"receipts: {sum(r['acknowledged'] for r in form_runs)} / {args.phones * args.repeat}, "
          f"rows stored: {rows}, errors: {errors} {first_error}")
    print(f"Chromium cold load, slow 4G (150 ms RTT, 1.6 Mbit/s): six questions visible after {throttled:.2f} s "
          f"(floor's button after {throttled_floor:.2f} s)")


if __name__ == "__main__":
    main()
