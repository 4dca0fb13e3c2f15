"""A real server on a free loopback port with a fresh database, and headless Chromium."""

import os
import shutil
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "e2e"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "e2e-password-123"
COOKIE_KEY = "e2e-only-cookie-key-" + "x" * 32
LONG_NAME = "Center for Digitalisering, Administrativ Understøttelse og Borgerrettet Service"


SETTLE_TIMEOUT = 60_000  # a loaded CI machine makes script runs slow


def settled(page) -> None:
    """Until Streamlit's current script run has finished: a click that lands during a rerun
    can be lost, and a download button waits for its run."""
    from playwright.sync_api import expect

    expect(page.locator("[data-testid='stApp'][data-test-script-state='notRunning']")).to_have_count(
        1, timeout=SETTLE_TIMEOUT)


def error_boxes(page) -> int:
    """Streamlit's own error box, and ours for an unexpected error (servicetjek.ui.serve shows
    that instead of Streamlit's), on the page."""
    from servicetjek.i18n import t

    ours = sum(page.get_by_text(t("errors.unexpected", lang)).count() for lang in ("da", "en"))
    return page.locator("[data-testid='stException']").count() + ours


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed(path: Path) -> dict:
    from servicetjek import org, rounds, users
    from servicetjek.db import Database

    db = Database(path)
    top = org.create(db, "Borgerservice og Digitalisering")
    team = org.create(db, "Borgerservice", top, headcount=12)
    other = org.create(db, "Økonomi", top, headcount=9)
    org.create(db, LONG_NAME, top, headcount=7)  # wider than a phone's select box
    admin = users.create(db, "admin", "Anna Admin", PASSWORD, "admin")
    users.create(db, "tovholder", "Tina Tovholder", PASSWORD, "facilitator", [team])
    users.create(db, "leder", "Lars Leder", PASSWORD, "manager")
    now = datetime.now()
    round_, _ = rounds.create(db, admin, team, "Servicetjek e2e", now - timedelta(hours=1), now + timedelta(days=5),
                              groups=["Medarbejder", "Leder"])
    other_round, _ = rounds.create(db, admin, other, "Økonomi e2e", now - timedelta(days=30),
                                   now - timedelta(days=20))
    info = {"token": round_.token, "team": team, "other_round": other_round.id}
    info |= seed_filled_department(db, admin, top, now)
    db.close()
    return info


def seed_filled_department(db, admin, top: int, now: datetime) -> dict:
    """A department with answers, a meeting, a running trial and a board link, so that the
    accessibility scan sees every page with its charts and tables, not only empty states."""
    from servicetjek import meetings, org, result_links, rounds, trials, users

    hr = org.create(db, "HR", top, headcount=8)
    users.create(db, "medlem", "Mette Medlem", PASSWORD, "member", [hr])
    round_, _ = rounds.create(db, admin, hr, "HR-runde", now - timedelta(hours=2), now + timedelta(days=5))
    for i in range(6):
        rounds.submit(db, round_.token, {"cohesion": 2 + i % 2, "flexibility": 3, "availability": 4,
                                         "focus": 5 - i % 3, "trust": 2, "fairness": 1 + i % 5})
    meetings.plan(db, admin, hr, "single", "HR: Fordybelse", now + timedelta(days=7), 8, ["focus"])
    # Started a moment ago, after the HR round opened: run from a laptop with a projector beside it.
    projector_meeting = meetings.plan(db, admin, hr, "single", "HR: Projektorprøve", now - timedelta(minutes=10),
                                      4, ["focus"])
    trial = trials.create(db, admin, hr, "focus", "Stille timer om formiddagen", why="Færre afbrydelser",
                          how="Kl. 9–11 uden møder", who="Hele teamet", status="decided")
    trials.start(db, admin, trial.id, trial.version, now.date())
    return {"hr_round": round_.token, "board": trials.share_board(db, admin, hr),
            "projector_meeting": projector_meeting.id,
            "results_link": result_links.share(db, admin, round_.id)}


def start_server(path: Path, log_name: str) -> tuple[subprocess.Popen, str]:
    """The app on a free loopback port over the database at `path`; returns (process, url)."""
    env = os.environ | {"SERVICETJEK_DB": str(path), "SERVICETJEK_BCRYPT_ROUNDS": "4",
                        "SERVICETJEK_COOKIE_KEY": COOKIE_KEY}
    port = free_port()
    log = open(ARTIFACTS / log_name, "w")  # noqa: SIM115 - the child keeps it; closed with the process
    proc = subprocess.Popen([sys.executable, "-m", "servicetjek.ui.serve", "--server.port", str(port),
                             "--server.address", "127.0.0.1"], cwd=ROOT, env=env, stdout=log, stderr=log)
    log.close()
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.3)
    return proc, f"http://127.0.0.1:{port}"


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (apt-get install -y chromium); .ci/run installs it")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = tmp_path_factory.mktemp("e2e") / "e2e.duckdb"
    info = seed(path)
    proc, url = start_server(path, "server.log")
    info |= {"url": url, "proc": proc, "db": path}
    yield info
    stop_server(proc)


@pytest.fixture(scope="session")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--no-first-run", "--disable-sync", "--disable-quic"])
        yield b
        b.close()
