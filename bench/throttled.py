"""One cold phone on a mobile network (issue 14): a real Chromium loads a rating link through
the production front under network throttling, timed until the six questions are visible.

    .venv/bin/python bench/throttled.py [--repeat 5] [--profiles slow,fast] [--http 1,2]

Compares, in the same run and alternating, the front's page shell as it was before the
connection hints (`before`) with the shell it serves now (`now`: the health and host-config
requests preloaded, the rating form's element scripts started while the websocket
connects; servicetjek/front.py). Both over plain HTTP/1.1 and over TLS with HTTP/2, which is
what `--tls-cert` gives in production (a throwaway self-signed certificate here).

Profiles (DevTools' Network.emulateNetworkConditions; its latency is added per request):
  slow     150 ms, 1.6 Mbit/s down, 750 kbit/s up: Lighthouse's mobile "slow 4G" numbers, as
           bench/cold_phones.py has used so far
  fast     Chrome DevTools' "Fast 4G" preset exactly: 9 Mbit/s × 0.9 down, 1.5 Mbit/s × 0.9 up,
           60 ms RTT × 2.75 = 165 ms per request (front_end/core/sdk/NetworkManager.ts,
           Fast4GConditions)
  devtools-slow  Chrome DevTools' "Slow 4G" preset exactly: 1.6 Mbit/s × 0.9, 750 kbit/s × 0.9,
           150 ms RTT × 3.75 = 562.5 ms per request (Slow4GConditions)
  none     no throttling: what the page costs this machine's CPU
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import brotli

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import burst, cold_phones  # noqa: E402
from servicetjek import front  # noqa: E402

PROFILES = {
    "slow": cold_phones.FOUR_G,
    "fast": {"offline": False, "latency": 60 * 2.75, "downloadThroughput": 9e6 / 8 * 0.9,
             "uploadThroughput": 1.5e6 / 8 * 0.9},
    "devtools-slow": {"offline": False, "latency": 150 * 3.75, "downloadThroughput": 1.6e6 / 8 * 0.9,
                      "uploadThroughput": 750e3 / 8 * 0.9},
    "none": {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
}


def shells() -> dict[str, str]:
    now = front.shell_html((front.streamlit_static_dir() / "index.html").read_text(encoding="utf-8"))
    before = re.sub(r"<script>if\(/\[\?&\]r=/\.test\(location\.search\)\)document\.addEventListener.*?</script>", "",
                    now.replace(front.SHELL_PRELOADS, ""))
    assert before != now
    return {"before": before, "now": now}


def start_fronts(tmp: Path, app_port: int, http: list[int]) -> dict[tuple[str, int], tuple[subprocess.Popen, str]]:
    """One nginx per shell and protocol, all in front of the same app server."""
    cert = tmp / "cert.pem", tmp / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(cert[1]), "-out",
                    str(cert[0]), "-days", "1", "-subj", "/CN=localhost"], check=True, capture_output=True)
    cache = front.static_cache()
    fronts = {}
    for name, html in shells().items():
        root = tmp / f"static-{name}"
        subprocess.run(["cp", "-rs", str(cache), str(root)], check=True)  # symlinks, but our own shell
        for suffix, data in (("", html.encode()), (".gz", gzip.compress(html.encode(), 9)),
                             (".br", brotli.compress(html.encode(), quality=11))):
            (root / f"index.html{suffix}").unlink(missing_ok=True)
            (root / f"index.html{suffix}").write_bytes(data)
        for version in http:
            port, run = front.free_port(), tmp / f"nginx-{name}-{version}"
            run.mkdir()
            config = front.nginx_config(listen="127.0.0.1", port=port, upstream_ports=[app_port], cache=root,
                                        run_dir=run, hosts=["localhost"], tls=tuple(map(str, cert)) if version == 2
                                        else None, brotli_static=(cache / "index.html.br").exists())
            (run / "nginx.conf").write_text(config)
            proc = subprocess.Popen([front.find_nginx(), "-p", str(run), "-c", str(run / "nginx.conf"), "-e", "stderr",
                                     "-g", "daemon off;"])
            fronts[name, version] = proc, f"{'https' if version == 2 else 'http'}://localhost:{port}"
    time.sleep(1)
    return fronts


def questions_visible(url: str, profile: dict) -> float:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=cold_phones.CHROMIUM,
                                    args=[*cold_phones.CHROMIUM_ARGS, "--ignore-certificate-errors"])
        context = browser.new_context(viewport={"width": 390, "height": 844}, ignore_https_errors=True)
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", profile)
        start = time.perf_counter()
        try:
            page.goto(url, wait_until="commit")
            page.locator("[data-testid='stRadio']").nth(5).wait_for(state="visible", timeout=60_000)
            ready = time.perf_counter() - start
        except PlaywrightError as error:  # counted and reported, not a crash of the whole run
            print(f"  {url}: {error}".splitlines()[0])
            ready = float("nan")
        browser.close()
    return ready


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profiles", default="slow,fast")
    parser.add_argument("--http", default="1,2")
    args = parser.parse_args()
    profiles, http = args.profiles.split(","), [int(v) for v in args.http.split(",")]
    tmp = Path(tempfile.mkdtemp(prefix="servicetjek-throttled-"))
    token = cold_phones.seed(tmp / "throttled.duckdb", 1)[0]
    app_port = front.free_port()
    app = burst.start_server(["-m", "servicetjek.ui.serve"], app_port,
                             os.environ | {"SERVICETJEK_DB": str(tmp / "throttled.duckdb")})
    fronts = start_fronts(tmp, app_port, http)
    times: dict[tuple, list[float]] = {}
    try:
        questions_visible(f"{fronts['now', http[0]][1]}/?r={token}", PROFILES["none"])  # the server's first run
        print(f"uptime before: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
        for _ in range(args.repeat):
            for profile in profiles:
                for version in http:
                    for name in ("before", "now"):
                        seconds = questions_visible(f"{fronts[name, version][1]}/?r={token}", PROFILES[profile])
                        times.setdefault((profile, version, name), []).append(seconds)
        print(f"uptime after:  {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    finally:
        for proc, _ in fronts.values():
            proc.terminate()
        app.terminate()
        app.wait()
    print(f"six questions visible, cold Chromium, median of {args.repeat} (range)")
    for profile in profiles:
        for version in http:
            line = f"  {profile:13} HTTP/{version}:"
            for name in ("before", "now"):
                done = [t for t in times[profile, version, name] if t == t]
                failed = len(times[profile, version, name]) - len(done)
                line += (f"  {name} {statistics.median(done):5.2f} s ({min(done):.2f}–{max(done):.2f})"
                         + (f" {failed} failed" if failed else "")) if done else f"  {name}: all failed"
            print(line)


if __name__ == "__main__":
    main()
