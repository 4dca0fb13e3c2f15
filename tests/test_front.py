"""The production front (servicetjek/front.py): nginx in front of Streamlit, and the same
rules when Streamlit serves directly (issues 12.7 and 14).

The servers run on free loopback ports with a fresh database; nginx tests are skipped when
Debian's nginx is not installed (.ci/run installs it).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import http.client
import os
import re
import socket
import ssl
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from servicetjek import front, shell_style

ROOT = Path(__file__).resolve().parents[1]
NGINX = front.find_nginx() if os.environ.get("SERVICETJEK_NGINX") != "none" else None
needs_nginx = pytest.mark.skipif(NGINX is None, reason="nginx is not installed (apt-get install -y nginx)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed(path: Path) -> str:
    from servicetjek import clock, org, rounds, users
    from servicetjek.db import Database

    db = Database(path)
    team = org.create(db, "Team Front", headcount=10)
    admin = users.create(db, "admin", "Anna Admin", "front-test-password-1", "admin")
    now = clock.local_now()  # rounds take Copenhagen time
    round_, _ = rounds.create(db, admin, team, "Front", now - timedelta(hours=1), now + timedelta(days=1))
    db.close()
    return round_.token


def get(port: int, path: str, host: str = "localhost", headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"Host": host, **(headers or {})})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response, body


def start(tmp_path: Path, env_extra: dict, *args: str) -> tuple[subprocess.Popen, int, str, Path]:
    db_path = tmp_path / "front.duckdb"
    token = seed(db_path)
    port = free_port()
    log = tmp_path / "front.log"
    env = os.environ | {"SERVICETJEK_DB": str(db_path), "SERVICETJEK_COOKIE_KEY": "front-test-" + "k" * 32,
                        "SERVICETJEK_BCRYPT_ROUNDS": "4"} | env_extra
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "servicetjek.front", "--port", str(port),
                                 "--address", "127.0.0.1", *args], cwd=ROOT, env=env, stdout=out, stderr=out)
    deadline = time.time() + 120
    while time.time() < deadline:
        assert proc.poll() is None, log.read_text()
        try:
            if get(port, "/_stcore/health")[0].status == 200:
                break
        except OSError:
            pass
        time.sleep(0.3)
    else:
        raise AssertionError(log.read_text())
    return proc, port, token, log


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture(scope="module")
def nginx_front(tmp_path_factory):
    if NGINX is None:
        pytest.skip("nginx is not installed")
    tmp = tmp_path_factory.mktemp("front")
    proc, port, token, log = start(tmp, {})
    yield {"port": port, "token": token, "log": log}
    stop(proc)


@pytest.fixture(scope="module")
def direct_front(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("direct")
    proc, port, token, log = start(tmp, {"SERVICETJEK_NGINX": "none"})
    yield {"port": port, "token": token, "log": log}
    stop(proc)


def rating_session(port: int, token: str, host: str = "localhost"):
    """Load the rating form over the websocket (Streamlit's protocol, as bench/burst.py)."""
    sys.path.insert(0, str(ROOT / "bench"))
    from burst import Session, rating_states

    async def run():
        import websockets

        # The URL carries the Host header; the TCP connection goes to loopback.
        session = Session(f"ws://{host}:{port}/_stcore/stream", f"r={token}")
        session.ws = await websockets.connect(session.url, host="127.0.0.1", port=port, subprotocols=["streamlit"],
                                              max_size=None, open_timeout=30)
        await session.rerun(None)
        form_radios = len(session.widgets["radio"])
        await session.rerun(rating_states(session))
        await session.close()
        return form_radios, session.texts

    from tests.conftest import run_async

    return run_async(run())


# --- unit ----------------------------------------------------------------------------------

def test_allowed_hosts_come_from_the_public_base_url():
    hosts = front.allowed_hosts("https://servicetjek.kommune.dk/")
    assert hosts == ["localhost", "servicetjek.kommune.dk"]
    assert front.host_allowed("servicetjek.kommune.dk", hosts)
    assert front.host_allowed("SERVICETJEK.kommune.dk:443", hosts)
    assert front.host_allowed("10.0.0.7:8501", hosts)  # an IP literal cannot come from DNS rebinding
    assert front.host_allowed("[::1]:8501", hosts)
    assert not front.host_allowed("attacker.example", hosts)
    assert not front.host_allowed("servicetjek.kommune.dk.attacker.example", hosts)
    assert not front.host_allowed("", hosts)
    assert not front.host_allowed(None, hosts)


def test_shell_drops_font_preloads_and_csp_allows_only_its_own_inline_scripts():
    original = (front.streamlit_static_dir() / "index.html").read_text(encoding="utf-8")
    shell = front.shell_html(original)
    assert "SourceSans" in original and "SourceSans" not in shell
    csp = front.content_security_policy()
    for script in re.findall(r"<script>(.*?)</script>", shell, re.S):
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";", 1)[0]
    assert "frame-ancestors 'self'" in csp and "default-src 'self'" in csp


def test_shell_starts_the_connection_and_the_rating_forms_scripts_early():
    """The shell preloads what Streamlit's client fetches before its websocket, and on a rating
    link starts the form's element scripts (and all they import) that the shell itself does not."""
    original = (front.streamlit_static_dir() / "index.html").read_text(encoding="utf-8")
    shell = front.shell_html(original)
    for name in ("health", "host-config"):
        assert f'<link rel="preload" as="fetch" crossorigin href="./_stcore/{name}">' in shell
    js = front.streamlit_static_dir() / "static" / "js"
    scripts = front.element_scripts(js, front.RATING_ELEMENTS, shell)
    assert front.rating_preload_script(scripts) in shell
    for element in front.RATING_ELEMENTS:
        assert any(re.fullmatch(rf"{element}\.[\w-]+\.js", s) for s in scripts), element
    assert all((js / s).is_file() for s in scripts) and len(set(scripts)) == len(scripts)
    in_shell = set(re.findall(r'(?:src|href)="\./static/js/([^"]+)"', original))
    assert in_shell and not in_shell & set(scripts)
    radio = next(s for s in scripts if s.startswith("Radio."))
    imported = re.findall(r'from"\./([^"]+)"', (js / radio).read_text(encoding="utf-8"))
    assert imported and set(imported) <= set(scripts) | in_shell  # its imports come along


def served_directly(body: bytes, headers: list[tuple[bytes, bytes]]) -> tuple[dict, bytes]:
    """What FrontMiddleware sends for an HTML response the app gives in two parts."""
    import asyncio

    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/html; charset=utf-8"), *headers]})
        await send({"type": "http.response.body", "body": body[:100], "more_body": True})
        await send({"type": "http.response.body", "body": body[100:]})

    sent = []

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/guide", "headers": [(b"host", b"localhost")]}
    asyncio.run(front.FrontMiddleware(app, ["localhost"])(scope, None, send))
    return dict(sent[0]["headers"]), b"".join(m.get("body", b"") for m in sent[1:])


def test_streamlit_serving_directly_sends_our_shell_as_nginx_does():
    """Without nginx, Streamlit's index.html (plain or gzipped) leaves as our shell, with its script."""
    original = (front.streamlit_static_dir() / "index.html").read_bytes()
    shell = front.shell_html(original.decode()).encode()
    headers, body = served_directly(original, [(b"content-length", str(len(original)).encode()),
                                               (b"etag", b'"x"')])
    assert body == shell and front.SHELL_SCRIPT.encode() in body
    assert headers[b"content-length"] == str(len(shell)).encode() and b"etag" not in headers
    packed = gzip.compress(original)
    headers, body = served_directly(packed, [(b"content-encoding", b"gzip"),
                                             (b"content-length", str(len(packed)).encode())])
    assert gzip.decompress(body) == shell and headers[b"content-length"] == str(len(body)).encode()
    other = b"<html><body>a component's own page</body></html>"
    assert served_directly(other, [])[1] == other


def test_static_cache_precompresses_without_touching_site_packages():
    import brotli

    cache = front.static_cache()  # the machine's cache, built once (brotli at quality 11 takes ~30 s)
    source = front.streamlit_static_dir()
    bundle = next((source / "static" / "js").glob("index.*.js"))
    mirrored = cache / bundle.relative_to(source)
    assert mirrored.is_symlink() and mirrored.resolve() == bundle.resolve()
    assert gzip.decompress((mirrored.parent / (mirrored.name + ".gz")).read_bytes()) == bundle.read_bytes()
    assert brotli.decompress((mirrored.parent / (mirrored.name + ".br")).read_bytes()) == bundle.read_bytes()
    assert not list(source.rglob("*.gz")) and not list(source.rglob("*.br"))
    assert front.shell_html((source / "index.html").read_text()) == (cache / "index.html").read_text()
    assert front.static_cache() == cache


@needs_nginx
def test_tls_sample_config_is_valid_nginx(tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(datetime.now() - timedelta(days=1))
            .not_valid_after(datetime.now() + timedelta(days=1)).sign(key, hashes.SHA256()))
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                         serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    port, upstream = free_port(), free_port()
    config = tmp_path / "nginx.conf"
    config.write_text(front.nginx_config(listen="127.0.0.1", port=port, upstream_ports=[upstream],
                                         cache=front.static_cache(), run_dir=tmp_path, hosts=["localhost"],
                                         tls=(str(tmp_path / "cert.pem"), str(tmp_path / "key.pem"))))
    proc = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(config), "-e", "stderr", "-g", "daemon off;"])
    try:
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        deadline = time.time() + 20
        while True:
            try:
                conn = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
                conn.request("GET", "/", headers={"Host": "localhost"})
                response = conn.getresponse()
                break
            except OSError:
                assert time.time() < deadline
                time.sleep(0.2)
        assert response.status == 200 and b'<div id="root">' in response.read()
        assert response.getheader("Strict-Transport-Security") == "max-age=31536000"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# --- nginx front -------------------------------------------------------------------------

@needs_nginx
def test_static_files_come_precompressed_and_immutable_from_nginx(nginx_front):
    port = nginx_front["port"]
    bundle = next((front.streamlit_static_dir() / "static" / "js").glob("index.*.js")).name
    response, body = get(port, f"/static/js/{bundle}", headers={"Accept-Encoding": "gzip, deflate"})
    assert response.status == 200
    assert response.getheader("Content-Encoding") == "gzip"
    assert response.getheader("Cache-Control") == "public, max-age=31536000, immutable"
    assert response.getheader("Server") == "nginx"
    assert len(body) < len(gzip.decompress(body)) / 2
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    assert response.getheader("Content-Security-Policy") is None  # documents only: ~1 KB × 90 files
    if front.BROTLI_MODULE.exists():
        import brotli

        response, brotli_body = get(port, f"/static/js/{bundle}", headers={"Accept-Encoding": "gzip, deflate, br"})
        assert response.getheader("Content-Encoding") == "br"
        assert brotli.decompress(brotli_body) == gzip.decompress(body)
        assert len(brotli_body) < 0.9 * len(body)


@needs_nginx
def test_rating_link_shell_from_nginx_with_security_headers(nginx_front):
    response, body = get(nginx_front["port"], f"/?r={nginx_front['token']}", headers={"Accept-Encoding": "gzip"})
    assert response.status == 200 and response.getheader("Content-Encoding") == "gzip"
    html = gzip.decompress(body).decode()
    assert front.SHELL_SCRIPT in html
    # The style sheet comes with the shell, last in <body> so it wins over Streamlit's <head> styles.
    assert html.index(shell_style.SHELL_STYLE) > html.index("<body>")
    assert response.getheader("Cache-Control") == "no-cache"
    assert response.getheader("Content-Security-Policy") == front.content_security_policy()
    assert response.getheader("Referrer-Policy") == "no-referrer"
    assert "camera=()" in response.getheader("Permissions-Policy")


@needs_nginx
def test_nginx_closes_metrics_and_refuses_unknown_hosts(nginx_front):
    port = nginx_front["port"]
    assert get(port, "/_stcore/metrics")[0].status == 404
    assert get(port, "/_stcore/metrics?families=session_events")[0].status == 404
    response, body = get(port, "/", host="rebind.attacker.example")
    assert response.status == 421 and b'id="root"' not in body
    assert get(port, "/_stcore/health", host="rebind.attacker.example")[0].status == 421
    # Streamlit's own answers pass through with the same headers (the policy on documents).
    response, _ = get(port, "/_stcore/health")
    assert response.status == 200 and response.getheader("X-Content-Type-Options") == "nosniff"
    response, _ = get(port, "/login")
    assert response.status == 200 and response.getheader("Content-Security-Policy") == front.content_security_policy()


@needs_nginx
def test_websocket_through_nginx_renders_and_stores_the_form(nginx_front):
    radios, texts = rating_session(nginx_front["port"], nginx_front["token"])
    assert radios == 6
    assert any("Tak for dine svar" in t for t in texts)


@needs_nginx
def test_websocket_with_a_foreign_host_is_refused_through_nginx(nginx_front):
    with pytest.raises(Exception, match="421|rejected|status"):
        rating_session(nginx_front["port"], nginx_front["token"], host="rebind.attacker.example")


# --- without nginx: Streamlit serves directly with the same rules ----------------------------

def test_without_nginx_the_app_still_serves_with_a_clear_message(direct_front):
    assert "nginx is not installed" in direct_front["log"].read_text()
    response, body = get(direct_front["port"], "/")
    assert response.status == 200 and b'id="root"' in body
    assert response.getheader("Content-Security-Policy") == front.content_security_policy()
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    radios, texts = rating_session(direct_front["port"], direct_front["token"])
    assert radios == 6 and any("Tak for dine svar" in t for t in texts)


def test_without_nginx_metrics_are_closed_and_unknown_hosts_refused(direct_front):
    port = direct_front["port"]
    assert get(port, "/_stcore/metrics")[0].status == 404
    assert get(port, "/_stcore/metrics/")[0].status == 404
    assert get(port, "/", host="rebind.attacker.example")[0].status == 421
    with pytest.raises(Exception):  # noqa: B017 - websockets raises its own close/handshake errors
        rating_session(port, direct_front["token"], host="rebind.attacker.example")
    radios, _ = rating_session(port, direct_front["token"], host="127.0.0.1")
    assert radios == 6


def test_make_run_uses_the_front():
    makefile = (ROOT / "Makefile").read_text()
    run_recipe = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "servicetjek.front" in run_recipe


def test_serving_is_announced_only_once_the_front_accepts_connections():
    """nginx binds a moment after it starts: "serving on" printed before that sent the first
    request (a test's, a health check's) to a closed port."""
    import threading

    nginx = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])  # stands in for nginx
    late = socket.socket()
    late.bind(("127.0.0.1", 0))  # bound, not listening yet: connections are refused
    port = late.getsockname()[1]
    listening = threading.Event()

    def listen_a_moment_later():
        time.sleep(0.3)
        late.listen()
        listening.set()

    threading.Thread(target=listen_a_moment_later, daemon=True).start()
    try:
        assert front._wait_listening("0.0.0.0", port, nginx)
        assert listening.is_set()
    finally:
        nginx.kill()
        late.close()
    nginx.wait()
    assert not front._wait_listening("127.0.0.1", free_port(), nginx)  # an nginx that exited ends the wait
