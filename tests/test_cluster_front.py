"""Several app servers behind the front (issue 16): nginx keeps a browser on one process and
moves it to another when that process is down.

Two stand-in app servers (tiny HTTP servers that name their port) sit behind the real nginx
config, so the proxy's rules are tested without a database; the whole cluster with Streamlit
and PostgreSQL is tested in tests/test_cluster.py.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from servicetjek import front
from tests.test_front import NGINX, free_port, get, needs_nginx


class NamedServer(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the stdlib's name
        body = str(self.server.server_port).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def app_server() -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), NamedServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def two_app_servers_behind_nginx(tmp_path):
    apps = [app_server(), app_server()]
    port = free_port()
    config = tmp_path / "nginx.conf"
    config.write_text(front.nginx_config(listen="127.0.0.1", port=port,
                                         upstream_ports=[a.server_port for a in apps], cache=tmp_path,
                                         run_dir=tmp_path, hosts=["localhost"]))
    proc = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(config), "-e", "stderr", "-g", "daemon off;"])
    deadline = time.time() + 20
    while True:
        try:
            get(port, "/_stcore/health")
            break
        except OSError:
            assert time.time() < deadline and proc.poll() is None
            time.sleep(0.1)
    yield port, apps
    proc.terminate()
    proc.wait(timeout=10)
    for app in apps:
        app.shutdown()


def served_by(port: int, browser: str | None) -> int:
    headers = {"Cookie": f"{front.BROWSER_COOKIE}={browser}"} if browser else {}
    response, body = get(port, "/_stcore/health", headers=headers)
    assert response.status == 200
    return int(body)


@needs_nginx
def test_a_browser_stays_with_one_app_server_and_browsers_spread_over_both(two_app_servers_behind_nginx):
    port, apps = two_app_servers_behind_nginx
    browsers = [secrets.token_hex(16) for _ in range(25)]
    first = {b: served_by(port, b) for b in browsers}
    for _ in range(3):
        assert {b: served_by(port, b) for b in browsers} == first
    assert set(first.values()) == {a.server_port for a in apps}


@needs_nginx
def test_browsers_of_a_stopped_app_server_move_to_the_other(two_app_servers_behind_nginx):
    port, apps = two_app_servers_behind_nginx
    browsers = [secrets.token_hex(16) for _ in range(25)]
    before = {b: served_by(port, b) for b in browsers}
    stopped, other = apps
    stopped.shutdown()
    stopped.server_close()
    after = {b: served_by(port, b) for b in browsers}
    assert set(after.values()) == {other.server_port}
    assert [b for b in browsers if before[b] == other.server_port] == \
        [b for b in browsers if after[b] == before[b]]  # the others' sessions were not moved


def test_several_app_servers_need_postgresql_and_nginx(monkeypatch):
    monkeypatch.setenv("SERVICETJEK_DB", "data/servicetjek.duckdb")
    assert "PostgreSQL" in front.cluster_problem(2, "/usr/sbin/nginx")
    assert front.cluster_problem(1, None) is None
    monkeypatch.setenv("SERVICETJEK_DB", "postgresql://127.0.0.1/servicetjek")
    assert "nginx" in front.cluster_problem(2, None)
    assert front.cluster_problem(2, "/usr/sbin/nginx") is None


def test_app_servers_share_one_cookie_secret_and_one_leads(monkeypatch):
    monkeypatch.delenv(front.COOKIE_SECRET_ENV, raising=False)
    started = []
    monkeypatch.setattr(front.subprocess, "Popen", lambda args, env: started.append((args, env)))
    apps = front.AppServers(3, ["--server.headless", "true"])
    for port in apps.ports:
        apps.start(port)
    secrets_seen = {env[front.COOKIE_SECRET_ENV] for _, env in started}
    assert len(secrets_seen) == 1 and len(secrets_seen.pop()) == 64
    assert [env.get(front.FOLLOWER_ENV) for _, env in started] == [None, "1", "1"]  # one announces, backs up
    assert all(args[-2:] == ["--server.headless", "true"] for args, _ in started)
    monkeypatch.setenv(front.COOKIE_SECRET_ENV, "configured")
    assert front.AppServers(2, []).env[front.COOKIE_SECRET_ENV] == "configured"
    assert os.environ.get(front.FOLLOWER_ENV) is None


def test_the_printed_config_names_app_servers_on_other_machines(capsys):
    assert front.main(["--print-config", "--upstreams", "10.0.0.11:8502,10.0.0.12:8502"]) == 0
    upstream = capsys.readouterr().out.split("upstream streamlit {", 1)[1].split("}", 1)[0]
    assert "hash $sticky_key consistent;" in upstream
    assert [line.split()[1] for line in upstream.splitlines() if line.strip().startswith("server ")] == \
        ["10.0.0.11:8502", "10.0.0.12:8502"]


@pytest.mark.parametrize("follower", [False, True])
def test_only_the_first_app_server_announces_the_setup_code_and_takes_backups(db, monkeypatch, follower):
    """Several app servers on one database: a second setup code would replace the first one
    printed, and two schedulers would copy the database twice."""
    from servicetjek import backup, rounds
    from servicetjek.ui import serve

    if follower:
        monkeypatch.setenv(front.FOLLOWER_ENV, "1")
    announced, schedulers = [], []
    monkeypatch.setattr(serve, "announce_setup_code", announced.append)
    monkeypatch.setattr(serve, "warm_charts", lambda: None)
    monkeypatch.setattr(rounds, "start_sweeper", lambda database: None)
    monkeypatch.setattr(backup, "start_scheduler", lambda *args: schedulers.append(args))
    serve.warm_up()
    serve.start_backups()
    expected = 0 if follower else 1
    assert (len(announced), len(schedulers)) == (expected, expected)
    assert all(announced)  # a fresh database: the code itself
