"""Sign-in attacks in a real browser against the real server (issue 12, points 3 and 4)."""

import os
import re
import socket
import subprocess
import sys
import time

import jwt
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, COOKIE_KEY, PASSWORD, ROOT, error_boxes, free_port, settled
from tests.e2e.test_journeys import TIMEOUT, shot, sign_in


def open_with_cookie(browser, server, value: str, path: str = "admin_users"):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": "servicetjek_auth", "value": value, "url": server["url"]}])
    page = context.new_page()
    page.goto(f"{server['url']}/{path}")
    return context, page


def assert_signed_out(page) -> None:
    expect(page.get_by_role("link", name="Log ind")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text("Tilføj bruger")).to_have_count(0)
    expect(page.get_by_text(re.compile("Logget ind som"))).to_have_count(0)
    assert error_boxes(page) == 0


def session_cookie(page) -> str:
    return next(c["value"] for c in page.context.cookies() if c["name"] == "servicetjek_auth")


def test_forged_malformed_and_old_style_cookies_are_ignored(server, browser):
    far = time.time() + 3600
    cases = {
        "forged": jwt.encode({"sid": "x" * 43, "exp": int(far)}, "wrong-key-that-is-long-enough-for-hs256"),
        "expired": jwt.encode({"sid": "x" * 43, "exp": int(time.time()) - 60}, COOKIE_KEY),
        "unknown-session": jwt.encode({"sid": "x" * 43, "exp": int(far)}, COOKIE_KEY),
        # Accepted by the old stateless cookie: the right key and a username was enough.
        "old-stateless": jwt.encode({"username": "admin", "exp_date": far}, COOKIE_KEY, algorithm="HS256"),
        # Crashed every page for that browser before (the library caught only two errors).
        "other-algorithm": jwt.encode({"username": "admin", "exp_date": far}, COOKIE_KEY + "x" * 40,
                                      algorithm="HS512"),
        "alg-none": jwt.encode({"sid": "x" * 43, "exp": int(far)}, None, algorithm="none"),
        "garbage": "ikke-en-token%%%.æøå",
    }
    for name, token in cases.items():
        context, page = open_with_cookie(browser, server, token)
        try:
            assert_signed_out(page)
        except AssertionError:
            shot(page, f"cookie-{name}")
            raise
        context.close()


def test_an_old_cookie_no_longer_signs_in_after_logout(server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, server["url"], "admin")
    cookie = session_cookie(page)
    # The same cookie in another browser signs in: the positive control.
    other, other_page = open_with_cookie(browser, server, cookie)
    expect(other_page.get_by_text("Tilføj bruger")).to_be_visible(timeout=TIMEOUT)
    other.close()
    page.get_by_role("button", name="Log ud").click()
    expect(page.get_by_role("link", name="Log ind")).to_be_visible(timeout=TIMEOUT)
    context.close()
    # Replayed after Log ud (it used to sign in for another 12 hours).
    replay, replay_page = open_with_cookie(browser, server, cookie)
    assert_signed_out(replay_page)
    shot(replay_page, "12-old-cookie-after-logout")
    replay.close()


def test_fresh_server_needs_the_setup_code_from_its_console(browser, tmp_path):
    port = free_port()
    log_path = tmp_path / "server.log"
    env = os.environ | {"SERVICETJEK_DB": str(tmp_path / "fresh.duckdb"), "SERVICETJEK_BCRYPT_ROUNDS": "4",
                        "SERVICETJEK_COOKIE_KEY": COOKIE_KEY}
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "servicetjek.ui.serve", "--server.port", str(port),
                                 "--server.address", "127.0.0.1"], cwd=ROOT, env=env, stdout=log, stderr=log)
    try:
        deadline, code = time.time() + 60, None
        while code is None:
            assert time.time() < deadline and proc.poll() is None, log_path.read_text()
            found = re.search(r"SETUP CODE: ([0-9A-F-]{27})", log_path.read_text())
            code = found.group(1) if found else None
            time.sleep(0.2)
        while True:  # the code is printed during warm-up, before the server listens
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert time.time() < deadline and proc.poll() is None, log_path.read_text()
                time.sleep(0.2)
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.goto(f"http://127.0.0.1:{port}/")
        expect(page.get_by_text("Velkommen til Servicetjek")).to_be_visible(timeout=TIMEOUT)
        settled(page)  # the websocket session's first run is over before typing

        def submit(setup_code: str) -> None:
            for label, value in (("Opsætningskode", setup_code), ("Navn", "Anna Admin"), ("Brugernavn", "anna"),
                                 ("Adgangskode", PASSWORD), ("Gentag adgangskode", PASSWORD)):
                page.get_by_role("textbox", name=label, exact=True).fill(value)
            page.get_by_role("button", name="Opret administrator").click()

        submit("0000-0000-0000-0000")
        expect(page.get_by_text(re.compile("Opsætningskoden passer ikke"))).to_be_visible(timeout=TIMEOUT)
        assert code not in page.content() and code.replace("-", "") not in page.content()
        shot(page, "13-first-admin-wrong-code")
        submit(code)
        expect(page.get_by_role("link", name="Log ind")).to_be_visible(timeout=TIMEOUT)
        page.context.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    (ARTIFACTS / "fresh-server.log").write_text(log_path.read_text())
