"""One answer per phone means it (issue 13), in Chromium through the real front – with
nginx and without it: answer, reload, and the form is gone; the browser cookie that says
so is in no file of the data folder.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from playwright.sync_api import expect

from servicetjek import front
from tests.e2e.conftest import ARTIFACTS, CHROMIUM
from tests.test_front import NGINX, start, stop

TIMEOUT = 60_000


@pytest.fixture(scope="module", params=["nginx", "direct"])
def served(request, tmp_path_factory):
    if request.param == "nginx" and NGINX is None:
        pytest.skip("nginx is not installed (apt-get install -y nginx)")
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    tmp = tmp_path_factory.mktemp(f"phone-{request.param}")
    proc, port, token, log = start(tmp, {} if request.param == "nginx" else {"SERVICETJEK_NGINX": "none"})
    yield {"url": f"http://127.0.0.1:{port}", "token": token, "data": tmp, "kind": request.param}
    stop(proc)


@pytest.fixture(scope="module")
def chromium(browser):
    """The suite's one browser: a second sync Playwright cannot start while it runs."""
    return browser


def answer(page) -> None:
    groups = page.locator("[data-testid='stRadio']")
    expect(groups).to_have_count(6, timeout=TIMEOUT)
    for i in range(6):
        groups.nth(i).get_by_text("4", exact=True).click()
    page.locator("textarea").fill("en kommentar fra telefonen")
    page.get_by_role("button", name="Send mine svar").click()
    expect(page.get_by_text("Tak for dine svar")).to_be_visible(timeout=TIMEOUT)


def test_a_reload_after_answering_shows_already_answered_not_the_form(served, chromium):
    context = chromium.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    link = f"{served['url']}/?r={served['token']}"
    page.goto(link)
    answer(page)
    cookie = next(c for c in context.cookies() if c["name"] == front.BROWSER_COOKIE)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and len(cookie["value"]) == 32
    assert page.evaluate("document.cookie").find(front.BROWSER_COOKIE) == -1  # scripts cannot read it

    page.reload()
    expect(page.get_by_text("Du har allerede svaret i denne runde")).to_be_visible(timeout=TIMEOUT)
    expect(page.locator("[data-testid='stRadio']")).to_have_count(0)
    page.goto(link)  # opening the link again (a new tab, the QR code) is the same browser
    expect(page.get_by_text("Du har allerede svaret i denne runde")).to_be_visible(timeout=TIMEOUT)
    page.screenshot(path=str(ARTIFACTS / f"phone-once-{served['kind']}.png"), full_page=True)
    context.close()

    # Another browser (or a private window: a fresh context) gets the form: the limit we document.
    other = chromium.new_context()
    fresh = other.new_page()
    fresh.goto(link)
    expect(fresh.locator("[data-testid='stRadio']")).to_have_count(6, timeout=TIMEOUT)
    other.close()

    # The cookie is never written: not in the database, its WAL or the round's holding file.
    files = [p for p in served["data"].rglob("*") if p.is_file() and p.name != "front.log"]
    assert any(".holding" in str(p) for p in files), files  # the answer is in the holding file
    marker = hashlib.sha256(f"{served['token']}:browser:{cookie['value']}".encode()).hexdigest()
    for path in files:
        data = path.read_bytes()
        for needle in (cookie["value"], cookie["value"].upper(), marker):
            assert needle.encode() not in data, f"{needle} found in {path}"
            assert needle.encode("utf-16-le") not in data, f"{needle} found in {path}"
