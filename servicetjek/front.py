"""The production front (issues 12.7 and 14): `python -m servicetjek.front [--port 8501]`.

A room of 200 phones opening a rating link for the first time costs Streamlit ~3 MB of
uncompressed static files per phone, all served by the one Python process that also runs
every form. So production puts Debian's nginx in front: it serves Streamlit's static files
gzipped ahead of time with immutable caching, proxies the websocket and everything else to
Streamlit on a loopback port, refuses unknown Host headers (DNS rebinding), closes
/_stcore/metrics and sends the security headers. Without nginx the app is served directly
with the same Host check, headers and closed metrics (FrontMiddleware, installed by
servicetjek.ui.serve), just without the cheap static files.

No Streamlit import here: the middleware and the config generator are plain Python.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import importlib.metadata
import importlib.util
import ipaddress
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from servicetjek import shell_style
from servicetjek.shell_words import translation_script

CACHE_DIR = Path(os.environ.get("SERVICETJEK_CACHE_DIR")
                 or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "servicetjek" / "front")
COMPRESSIBLE = (".js", ".css", ".html", ".json", ".svg", ".txt")
ONE_YEAR = 31536000
METRICS_PATH = "/_stcore/metrics"

# One answer per browser in open-link rounds (issue 13): a random, long-lived, HttpOnly
# cookie set on the page shell. The rating page uses it only as an in-memory key
# (rounds.answer_key); it is never stored or linked to an answer.
BROWSER_COOKIE = "stk_b"
BROWSER_COOKIE_RE = re.compile(rb"(?:^|;)\s*" + BROWSER_COOKIE.encode() + rb"=[0-9a-f]{32}\s*(?:;|$)")
BROWSER_COOKIE_ATTRIBUTES = f"Path=/; Max-Age={365 * 24 * 3600}; HttpOnly; SameSite=Lax"


def browser_cookie_header(value: str, secure: bool) -> str:
    return f"{BROWSER_COOKIE}={value}; {BROWSER_COOKIE_ATTRIBUTES}" + ("; Secure" if secure else "")


# --- which Host headers we answer (DNS rebinding) ---------------------------------------

def allowed_hosts(base_url: str | None) -> list[str]:
    """Host names the server answers to: the public base URL's host, else this machine's names.

    A DNS-rebinding page reaches the server under the attacker's own host name, so a
    name-based allow-list stops it. IP literals are always accepted (see host_allowed):
    rebinding cannot produce one.
    """
    names = ["localhost"]
    host = urlsplit(base_url).hostname if base_url else None
    if host:
        names.append(host.lower())
    else:
        names += [socket.gethostname().lower(), socket.getfqdn().lower()]
    return list(dict.fromkeys(n for n in names if n))


def _host_name(host_header: str) -> str:
    host = host_header.strip().lower()
    if host.startswith("["):  # [::1]:8501
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def host_allowed(host_header: str | None, allowed: list[str]) -> bool:
    if not host_header:
        return False
    name = _host_name(host_header)
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return name in allowed


# --- security headers ----------------------------------------------------------------------

def streamlit_static_dir() -> Path:
    spec = importlib.util.find_spec("streamlit")
    return Path(spec.origin).parent / "static"


def _inline_script_hashes(html_files: list[Path], html_texts: list[str] = ()) -> list[str]:
    hashes = []
    for text in [*(path.read_text(encoding="utf-8") for path in html_files), *html_texts]:
        for script in re.findall(r"<script>(.*?)</script>", text, re.S):
            digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
            hashes.append(f"'sha256-{digest}'")
    return sorted(set(hashes))


def _component_pages() -> list[Path]:
    """The sign-in cookie component's page (an iframe from our origin) has an inline loader."""
    spec = importlib.util.find_spec("extra_streamlit_components")
    if spec is None or spec.origin is None:
        return []
    return sorted(Path(spec.origin).parent.glob("*/frontend/build/index.html"))


def content_security_policy() -> str:
    """Everything from our own origin only; inline scripts only those Streamlit ships (by hash).

    Styles stay 'unsafe-inline': Streamlit's components style themselves at run time.
    'unsafe-eval' is needed by Vega (the charts compile their expressions).
    """
    shell = streamlit_static_dir() / "index.html"
    scripts = _inline_script_hashes([shell, *_component_pages()], [shell_html(shell.read_text(encoding="utf-8"))])
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' 'unsafe-eval' {' '.join(scripts)}",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "media-src 'self' blob:",
        "worker-src 'self' blob:",
        "frame-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ])


# Scripts, styles, fonts and JSON need only these: a 1 KB policy on each of ~90 files
# would add ~90 KB to every cold phone (HTTP/1.1 repeats headers).
ASSET_HEADERS = ("X-Content-Type-Options", "Referrer-Policy")


def security_headers() -> dict[str, str]:
    """For documents (HTML); other responses get ASSET_HEADERS only."""
    return {
        "Content-Security-Policy": content_security_policy(),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "SAMEORIGIN",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
        "Cross-Origin-Opener-Policy": "same-origin",
    }


class FrontMiddleware:
    """ASGI middleware with the front's rules for the directly served app (and behind nginx):
    unknown Host refused, /_stcore/metrics closed, security headers on every response."""

    def __init__(self, app, allowed: list[str] | None = None):
        self.app = app
        self.allowed = allowed if allowed is not None else allowed_hosts(os.environ.get("SERVICETJEK_BASE_URL"))
        self.headers = [(k.lower().encode(), v.encode()) for k, v in security_headers().items()]
        self.asset_headers = [h for h in self.headers if h[0].decode() in {a.lower() for a in ASSET_HEADERS}]
        original = streamlit_static_dir() / "index.html"
        # Streamlit's page shell becomes ours here too, as nginx serves it from the static cache.
        shell = shell_html(original.read_text(encoding="utf-8")).encode("utf-8")
        self.shell = (original.read_bytes(), shell, gzip.compress(shell, mtime=0))

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        host = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
        refused = not host_allowed(host, self.allowed)
        if scope["type"] == "websocket":
            if refused:
                return await send({"type": "websocket.close", "code": 1008})
            return await self.app(scope, receive, send)
        if refused or scope.get("path", "").rstrip("/") == METRICS_PATH:
            status, body = (421, b"Unknown host\n") if refused else (404, b"Not found\n")
            await send({"type": "http.response.start", "status": status,
                        "headers": [(b"content-type", b"text/plain"), *self.headers]})
            return await send({"type": "http.response.body", "body": body})

        request = dict(scope.get("headers") or [])
        needs_cookie = not BROWSER_COOKIE_RE.search(request.get(b"cookie", b""))
        secure = scope.get("scheme") == "https" or request.get(b"x-forwarded-proto") == b"https"

        held: list[dict] = []  # an HTML page's start and body, until it is whole

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                present = {name.lower(): value for name, value in headers}
                html = present.get(b"content-type", b"").startswith(b"text/html")
                extra = self.headers if html else self.asset_headers
                message["headers"] = [*headers, *(h for h in extra if h[0] not in present)]
                if html and needs_cookie:
                    cookie = browser_cookie_header(secrets.token_hex(16), secure)
                    message["headers"].append((b"set-cookie", cookie.encode()))
                if html and message.get("status") == 200 and scope.get("method") == "GET":
                    held.append(message)
                    return
            elif held and message["type"] == "http.response.body":
                held.append(message)
                if message.get("more_body"):
                    return
                for part in self.with_our_shell(held):
                    await send(part)
                held.clear()
                return
            await send(message)

        return await self.app(scope, receive, send_with_headers)

    def with_our_shell(self, held: list[dict]) -> list[dict]:
        """A held HTML response, Streamlit's index.html in it replaced by our shell."""
        start, body = held[0], b"".join(m.get("body", b"") for m in held[1:])
        gzipped = (b"content-encoding", b"gzip") in [(k.lower(), v) for k, v in start["headers"]]
        try:
            if (gzip.decompress(body) if gzipped else body) != self.shell[0]:
                return held
        except (OSError, EOFError):
            return held
        body = self.shell[2] if gzipped else self.shell[1]
        # No validators: Streamlit's ETag is the file's, and a browser revalidating with it
        # after an upgrade of ours would keep an old shell whose script hash the CSP refuses.
        start["headers"] = [(k, str(len(body)).encode() if k.lower() == b"content-length" else v)
                            for k, v in start["headers"] if k.lower() not in (b"etag", b"last-modified")]
        return [start, {"type": "http.response.body", "body": body}]


# --- pre-compressed static files -----------------------------------------------------------

# Streamlit's shell preloads its 375 KB icon font on every page (document.fonts.load at
# start-up). The rating link shows no icon, so there the preload is skipped; every other
# page still loads the font when it first draws an icon.
# The shell also puts Streamlit's own English into the page's language (servicetjek.shell_words).
SHELL_SCRIPT = ("if(/[?&]r=/.test(location.search)){const f=document.fonts,l=f.load.bind(f);"
                "f.load=(font,text)=>/Material/.test(font)?Promise.resolve([]):l(font,text);"
                "document.documentElement.classList.add('rating-link')}\n"
                + translation_script())


# Streamlit's client asks for these two, and only then opens the websocket, once its ~60
# scripts have arrived and run: preloaded with the shell, they are there by then, and the
# chain loses a round trip (150 ms on slow 4G). The client's fetch takes the preloaded answer.
SHELL_PRELOADS = "".join(f'<link rel="preload" as="fetch" crossorigin href="./_stcore/{name}">'
                         for name in ("health", "host-config"))

# Streamlit loads an element's code when it first draws one: on a rating link a second wave of
# about 20 small scripts after the form has arrived (one more round trip; four over HTTP/1.1's
# six connections). The shell starts them once its own scripts have run, while the websocket
# connects and the form is computed (docs/benchmarks.md). Html too, although the form no longer
# draws one: without it, slow-4G loads fetched Streamlit's 375 KB icon font at start-up more
# often (+1.4 s; 10 of 69 loads, a few in 50 with it). Cause not found; docs/benchmarks.md.
RATING_ELEMENTS = ("Radio", "TextArea", "Html")
_STATIC_IMPORT = re.compile(r'import(?:[^;"]*?from)?"\./([^"]+)";?')


def element_scripts(js_dir: Path, roots: tuple[str, ...], shell: str) -> list[str]:
    """The element modules `roots` and everything they import, minus what the shell loads."""
    loaded = set(re.findall(r'src="\./static/js/([^"]+)"|href="\./static/js/([^"]+)"', shell))
    loaded = {name for pair in loaded for name in pair if name}
    found: list[str] = []
    todo = [path for root in roots for path in sorted(js_dir.glob(f"{root}.*.js"))]
    while todo:
        path = todo.pop(0)
        if path.name in found or not path.exists():
            continue
        found.append(path.name)
        text, pos = path.read_text(encoding="utf-8"), 0
        while match := _STATIC_IMPORT.match(text, pos):  # bundles put their imports first
            todo.append(js_dir / match.group(1))
            pos = match.end()
    return [name for name in found if name not in loaded]


def rating_preload_script(scripts: list[str]) -> str:
    return ("if(/[?&]r=/.test(location.search))document.addEventListener('DOMContentLoaded',()=>{for(const s of "
            f"{json.dumps(scripts, separators=(',', ':'))})"
            "{const l=document.createElement('link');l.rel='modulepreload';l.crossOrigin='';"
            "l.href='./static/js/'+s;document.head.appendChild(l)}})")


def shell_html(original: str) -> str:
    """Streamlit's index.html for the front: no body-font preload, no icon-font preload on
    the rating link, system fonts until the theme arrives, our style sheet; the connection's
    first requests and, on a rating link, the form's element scripts start early."""
    html = re.sub(r'<link\s+rel="preload"[^>]*SourceSans[^>]*/>\s*', "", original)
    html = html.replace("<head>", f"<head>\n    <script>{SHELL_SCRIPT}</script>", 1)
    scripts = element_scripts(streamlit_static_dir() / "static" / "js", RATING_ELEMENTS, html)
    preload = f"<script>{rating_preload_script(scripts)}</script>" if scripts else ""
    html = html.replace("</head>", f"  {SHELL_PRELOADS}{preload}\n  </head>", 1)
    # At the end of <body>: after the styles Streamlit's components add to <head>, so ours win ties.
    return html.replace("</body>", f"  <style>{shell_style.SHELL_STYLE}</style>\n  </body>", 1)


def _brotli():
    try:
        import brotli
    except ImportError:
        return None
    return brotli


def static_cache(root: Path = CACHE_DIR) -> Path:
    """A mirror of Streamlit's static dir with .gz (and .br) beside every compressible file.

    Originals are symlinks into the installed package (nothing is written there); the
    mirror is keyed by the Streamlit version and built once per machine (brotli at its best
    quality takes ~30 s of CPU, and saves ~18 % over gzip on every phone), under a lock.
    """
    source = streamlit_static_dir()
    version = importlib.metadata.version("streamlit")
    brotli = _brotli()
    shell = shell_html((source / "index.html").read_text(encoding="utf-8"))
    key = hashlib.sha256(f"{version}{source}{shell}{bool(brotli)}".encode()).hexdigest()[:12]
    target = root / f"streamlit-{version}-{key}"
    if (target / ".complete").exists():
        return target
    root.mkdir(parents=True, exist_ok=True)
    import fcntl

    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (target / ".complete").exists():
            print("servicetjek: compressing Streamlit's static files once (about 30 s) ...", file=sys.stderr,
                  flush=True)
            _build_static_cache(source, target, brotli)
    return target


def _build_static_cache(source: Path, target: Path, brotli) -> None:
    building = Path(tempfile.mkdtemp(prefix=".building-", dir=target.parent))
    for path in source.rglob("*"):
        if not path.is_file() or path.suffix == ".map":
            continue
        out = building / path.relative_to(source)
        out.parent.mkdir(parents=True, exist_ok=True)
        data = path.read_bytes()
        if path == source / "index.html":
            data = shell_html(data.decode("utf-8")).encode("utf-8")
            out.write_bytes(data)
        else:
            out.symlink_to(path)
        if path.suffix in COMPRESSIBLE and len(data) > 256:
            (out.parent / (out.name + ".gz")).write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
            if brotli is not None:
                (out.parent / (out.name + ".br")).write_bytes(brotli.compress(data, quality=11))
    (building / ".complete").touch()
    building.chmod(0o755)  # mkdtemp made it 0700; nginx workers only need to read
    building.rename(target)


# --- nginx -------------------------------------------------------------------------------

BROTLI_MODULE = Path("/usr/lib/nginx/modules/ngx_http_brotli_static_module.so")


def find_nginx() -> str | None:
    """SERVICETJEK_NGINX: a path to nginx, or "none" to serve without it."""
    configured = os.environ.get("SERVICETJEK_NGINX")
    if configured:
        return None if configured == "none" else configured
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)


def _header_lines(headers: dict[str, str], indent: str) -> str:
    return "\n".join(f'{indent}add_header {name} "{value}" always;' for name, value in headers.items())


def _server_names(hosts: list[str]) -> str:
    # IP literals are always accepted (host_allowed); nginx matches them by regex.
    return " ".join([*hosts, r"~^[0-9.]+$", r"~^[0-9a-f:]+$"])


def upstream_servers(upstreams: list[int | str]) -> str:
    """nginx `server` lines: a port is an app server on this machine, "host:port" one on another."""
    return "\n".join(f"        server {u if isinstance(u, str) else f'127.0.0.1:{u}'} max_fails=1 fail_timeout=5s;"
                     for u in upstreams)


def nginx_config(*, listen: str, port: int, upstream_ports: list[int | str], cache: Path, run_dir: Path,
                 hosts: list[str], tls: tuple[str, str] | None = None, mime_types: str = "/etc/nginx/mime.types",
                 user: str | None = None, brotli_static: bool = True) -> str:
    """One nginx config for the whole front (also the committed sample in deploy/)."""
    headers = security_headers()
    if tls:
        headers["Strict-Transport-Security"] = "max-age=31536000"
    document = _header_lines(headers, " " * 12)
    static = _header_lines({k: v for k, v in headers.items() if k in ASSET_HEADERS}, " " * 12)
    listen_line = f"{listen}:{port}" + (" ssl http2" if tls else "")
    tls_lines = ""
    if tls:
        tls_lines = (f"        ssl_certificate {tls[0]};\n        ssl_certificate_key {tls[1]};\n"
                     "        ssl_protocols TLSv1.2 TLSv1.3;\n        ssl_session_cache shared:tls:10m;\n")
    if user is None and os.geteuid() == 0:
        # Started as root, nginx would run its workers as 'nobody', who may not read the cache
        # (in root's home) or the package's files: they run as the starting user instead.
        import pwd

        user = pwd.getpwuid(os.getuid()).pw_name
    user_line = f"user {user};\n" if user else ""
    # Debian's libnginx-mod-http-brotli-static serves the .br files to browsers that accept them.
    brotli_module = BROTLI_MODULE.exists() and brotli_static
    if brotli_module:
        user_line += f"load_module {BROTLI_MODULE};\n"
    return f"""# Servicetjek front, generated by `python -m servicetjek.front` (servicetjek/front.py).
{user_line}worker_processes 1;
pid {run_dir}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 4096; }}

http {{
    include {mime_types};
    default_type application/octet-stream;
    # No access log: a rating page's visitors stay anonymous, and we keep no IP addresses.
    access_log off;
    server_tokens off;
    client_body_temp_path {run_dir}/body;
    proxy_temp_path {run_dir}/proxy;
    fastcgi_temp_path {run_dir}/fastcgi;
    uwsgi_temp_path {run_dir}/uwsgi;
    scgi_temp_path {run_dir}/scgi;
    client_max_body_size 50m;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65;

    # Static files are gzipped ahead of time (gzip_static); the app's own small responses
    # are compressed on the fly by nginx, not by Python.
{"    brotli_static on;" if brotli_module else ""}
    gzip_static on;
    gzip on;
    gzip_vary on;
    gzip_proxied any;
    gzip_comp_level 5;
    gzip_min_length 512;
    gzip_types text/css application/javascript text/javascript application/json text/plain image/svg+xml;

    # The browser cookie (BROWSER_COOKIE): set on the shell when the browser has none;
    # $request_id is 128 random bits in hex. An empty value sends no header.
    map $cookie_{BROWSER_COOKIE} $browser_cookie {{
        "~^[0-9a-f]{{32}}$" "";
        default "{browser_cookie_header("$request_id", bool(tls))}";
    }}

    map $http_upgrade $connection_upgrade {{
        default upgrade;
        '' close;
    }}

    # Several app servers (issue 16): a browser stays with one process, which holds its
    # Streamlit session, media files and upload token; keyed by the browser cookie (set on
    # the shell, which nginx serves itself), by address for a client without one. When that
    # process is down, nginx passes the request to the next one and the phone reconnects there.
    map $cookie_{BROWSER_COOKIE} $sticky_key {{
        "~^[0-9a-f]{{32}}$" $cookie_{BROWSER_COOKIE};
        default $remote_addr;
    }}

    upstream streamlit {{
        hash $sticky_key consistent;
{upstream_servers(upstream_ports)}
        keepalive 16;
    }}

    # Any Host we do not know (a DNS-rebinding page, a stray name): refused.
    server {{
        listen {listen_line} default_server;
{tls_lines}        return 421 "Unknown host\\n";
    }}

    server {{
        listen {listen_line};
        server_name {_server_names(hosts)};
{tls_lines}
        # The page shell and Streamlit's hashed bundles, straight from disk.
        location = / {{
            root {cache};
            try_files /index.html =404;
            add_header Cache-Control "no-cache" always;
            add_header Set-Cookie $browser_cookie always;
{document}
        }}
        location /static/ {{
            root {cache};
            try_files $uri =404;
            add_header Cache-Control "public, max-age={ONE_YEAR}, immutable" always;
{static}
        }}
        location = /favicon.png {{
            root {cache};
            add_header Cache-Control "public, max-age=86400" always;
{static}
        }}

        # Streamlit's metrics describe every session: not for the public.
        location = {METRICS_PATH} {{
            return 404;
        }}

        location /_stcore/stream {{
            proxy_pass http://streamlit;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_read_timeout 1d;
            proxy_send_timeout 1d;
            proxy_buffering off;
        }}

        # Everything else (health, host config, media, components, page URLs) from Streamlit,
        # which adds the same security headers itself (FrontMiddleware).
        location / {{
            proxy_pass http://streamlit;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(port: int, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the Streamlit server exited during start-up")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the Streamlit server did not become healthy")


def _wait_listening(address: str, port: int, proc: subprocess.Popen, timeout: float = 30) -> bool:
    """Until nginx accepts connections on its port (True), or exits or gives up (False): nginx
    binds a moment after it starts, and "serving on" must be true when it is printed."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(address, address.strip("[]"))
    deadline = time.time() + timeout
    while proc.poll() is None and time.time() < deadline:
        try:
            with socket.create_connection((host, port), timeout=1):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def serve_args(port: int, address: str) -> list[str]:
    return [sys.executable, "-m", "servicetjek.ui.serve", "--server.port", str(port), "--server.address", address]


SHARED_DATABASE_PREFIXES = ("postgresql://", "postgres://")
# Set for every app server but the first of a cluster: one process announces the setup code
# and takes the scheduled backups (several would replace each other's code and copy twice).
FOLLOWER_ENV = "SERVICETJEK_FOLLOWER"


def cluster_problem(app_servers: int, nginx: str | None) -> str | None:
    """Why several app servers cannot run here, or None."""
    if app_servers <= 1:
        return None
    if not os.environ.get("SERVICETJEK_DB", "").startswith(SHARED_DATABASE_PREFIXES):
        return ("several app servers need a shared PostgreSQL database (SERVICETJEK_DB=postgresql://...): "
                "an embedded DuckDB file belongs to one process")
    if nginx is None:
        return "several app servers need nginx in front (apt-get install -y nginx)"
    return None


COOKIE_SECRET_ENV = "STREAMLIT_SERVER_COOKIE_SECRET"  # Streamlit refuses it as a command-line flag


def shared_cookie_secret() -> dict[str, str]:
    """One cookie secret for every app server: Streamlit signs its upload (XSRF) cookie with
    it, and a browser that fails over to another process must still be able to upload."""
    return {COOKIE_SECRET_ENV: os.environ.get(COOKIE_SECRET_ENV) or secrets.token_hex(32)}


class AppServers:
    """N Streamlit processes on loopback ports; a crashed one is started again (N > 1)."""

    def __init__(self, count: int, streamlit_args: list[str]):
        self.ports = [free_port() for _ in range(count)]
        self.args = list(streamlit_args)
        self.env = os.environ | (shared_cookie_secret() if count > 1 else {})
        self.procs: dict[int, subprocess.Popen] = {}

    def start(self, port: int) -> subprocess.Popen:
        env = self.env | ({FOLLOWER_ENV: "1"} if port != self.ports[0] else {})
        self.procs[port] = subprocess.Popen([*serve_args(port, "127.0.0.1"), *self.args], env=env)
        return self.procs[port]

    def start_all(self) -> None:
        for port in self.ports:
            _wait_healthy(port, self.start(port))

    def check(self) -> bool:
        """False when the only app server stopped (the service manager restarts us)."""
        for port, proc in list(self.procs.items()):
            if proc.poll() is not None:
                if len(self.ports) == 1:
                    return False
                print(f"servicetjek: the app server on port {port} stopped (exit {proc.returncode}); "
                      "its phones reconnect to the others while it starts again", file=sys.stderr, flush=True)
                self.start(port)
        return True

    def stop(self) -> None:
        stop_processes(list(self.procs.values()))


def stop_processes(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def run(port: int, address: str, tls: tuple[str, str] | None = None, streamlit_args: list[str] = (),
        app_servers: int = 1) -> int:
    """nginx on address:port in front of `app_servers` Streamlit processes on loopback ports,
    until nginx stops (or the only app server does)."""
    nginx = find_nginx()
    problem = cluster_problem(app_servers, nginx)
    if problem:
        print(f"servicetjek: {problem}", file=sys.stderr, flush=True)
        return 2
    if nginx is None:
        print("servicetjek: nginx is not installed, so Streamlit serves everything itself "
              "(works, but each new phone costs ~3 MB and ~0.2 s of server CPU; see docs/benchmarks.md). "
              "Install it with: apt-get install -y nginx", file=sys.stderr, flush=True)
        os.execv(sys.executable, [*serve_args(port, address), *streamlit_args])
    hosts = allowed_hosts(os.environ.get("SERVICETJEK_BASE_URL"))
    run_dir = Path(tempfile.mkdtemp(prefix="servicetjek-front-"))
    apps = AppServers(app_servers, list(streamlit_args))
    config = run_dir / "nginx.conf"
    cache = static_cache()
    config.write_text(nginx_config(listen=address, port=port, upstream_ports=apps.ports, cache=cache,
                                   run_dir=run_dir, hosts=hosts, tls=tls,
                                   brotli_static=(cache / "index.html.br").exists()))
    front = None
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        apps.start_all()
        front = subprocess.Popen([nginx, "-p", str(run_dir), "-c", str(config), "-e", "stderr", "-g", "daemon off;"])
        scheme = "https" if tls else "http"
        ports = ", ".join(str(p) for p in apps.ports)
        if _wait_listening(address, port, front):
            print(f"servicetjek: serving on {scheme}://{address}:{port} (nginx front, Streamlit on 127.0.0.1:"
                  f"{ports}); accepting host names {', '.join(hosts)} and IP addresses", flush=True)
        elif front.poll() is None:
            print(f"servicetjek: nginx does not accept connections on port {port}", file=sys.stderr, flush=True)
        while not stopping and front.poll() is None and apps.check():
            time.sleep(0.5)
    finally:
        if front is not None:
            stop_processes([front])
        apps.stop()
        shutil.rmtree(run_dir, ignore_errors=True)
    return 0 if stopping else 1


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m servicetjek.front", description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8501)
    parser.add_argument("--address", default="0.0.0.0")
    parser.add_argument("--tls-cert", help="certificate (PEM) to terminate TLS in nginx")
    parser.add_argument("--tls-key", help="its private key (PEM)")
    parser.add_argument("--app-servers", type=int, default=int(os.environ.get("SERVICETJEK_APP_SERVERS", "1")),
                        help="Streamlit processes behind nginx (more than one needs PostgreSQL)")
    parser.add_argument("--print-config", action="store_true", help="print the nginx config and exit")
    parser.add_argument("--upstreams", help="with --print-config: app servers on other machines, "
                                            "host:port,host:port (docs/scaling.md)")
    args, streamlit_args = parser.parse_known_args(argv)
    tls = (args.tls_cert, args.tls_key) if args.tls_cert and args.tls_key else None
    if args.print_config:
        hosts = allowed_hosts(os.environ.get("SERVICETJEK_BASE_URL"))
        upstreams = (args.upstreams.split(",") if args.upstreams
                     else list(range(8502, 8502 + max(1, args.app_servers))))
        print(nginx_config(listen=args.address, port=args.port, upstream_ports=upstreams, cache=static_cache(),
                           run_dir=Path("/run/servicetjek"), hosts=hosts, tls=tls))
        return 0
    return run(args.port, args.address, tls, streamlit_args, args.app_servers)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
