"""User text is never markup, in a real browser (issue 12, point 5).

A database with Markdown images, links, <img> tags and headings in every user-text field
(tests/hostile_seed.py), every page opened as admin plus the public board link. Fails on
any request to the beacon (a loopback port nobody listens on) or any other origin, and on
any <img>, <a> or heading that user text produced.
"""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from servicetjek.db import Database
from tests.e2e.conftest import ARTIFACTS, PASSWORD, free_port, start_server, stop_server
from tests.e2e.test_journeys import TIMEOUT, sign_in
from tests.hostile_seed import seed

PAGES = [("", ()), ("guide", ()), ("rounds", ("round", "prev")), ("results", ("g1", "top")),
         ("meetings", ("done", "live")), ("meeting_mode", ("2what",)), ("board", ("what",)),
         ("dashboard", ()), ("admin_users", ("name",)), ("admin_org", ("dept", "top")), ("admin_settings", ())]

# Elements user text must never produce: images and links pointing at the beacon, and headings whose
# text starts with a payload's tag (the '#' was eaten as Markdown instead of shown).
FIND_INJECTED = """beacon => {
  const out = [];
  for (const el of document.querySelectorAll('img, a, h1, h2, h3, h4, h5, h6, iframe, video, audio, source')) {
    const url = el.getAttribute('src') || el.getAttribute('href') || '';
    const text = (el.textContent || '').trim();
    if (url.includes(beacon) || url.includes('127.0.0.1:' + beacon.split(':').pop())
        || (/^H[1-6]$/.test(el.tagName) && text.startsWith('Øv'))
        || (el.tagName === 'A' && text === 'l') || (el.tagName === 'IMG' && el.getAttribute('alt') === 'b')) {
      out.push(el.outerHTML.slice(0, 200));
    }
  }
  // ':material/home:' in a payload must stay text, not become Streamlit's icon (the page uses no 'home').
  for (const el of document.querySelectorAll("[data-testid='stMain'] [role='img']")) {
    if (el.textContent.trim() === 'home') out.push(el.outerHTML.slice(0, 200));
  }
  return out;
}"""


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory, server):
    beacon = f"http://127.0.0.1:{free_port()}"  # nothing listens here: a fetch is only a request
    path = tmp_path_factory.mktemp("markup") / "markup.duckdb"
    db = Database(path)
    info = seed(db, beacon, PASSWORD)
    db.close()
    proc, url = start_server(path, "markup-server.log")
    yield info | {"url": url, "beacon": beacon}
    stop_server(proc)


def settle(page: Page) -> None:
    """Wait until Streamlit has finished the script run (no fixed sleeps)."""
    app = page.locator("[data-testid='stApp'][data-test-script-state='notRunning']")
    expect(app).to_have_count(1, timeout=TIMEOUT)
    page.wait_for_load_state("networkidle")


def check(page: Page, beacon: str, tags: tuple[str, ...], name: str) -> None:
    settle(page)
    injected = page.evaluate(FIND_INJECTED, beacon)
    page.screenshot(path=str(ARTIFACTS / f"markup-{name or 'home'}.png"), full_page=True)
    assert not injected, (name, injected)
    body = page.locator("body").inner_text()
    for tag in tags:
        assert f"Øv{tag}" in body, (name, tag)  # the field was rendered, as text


def test_every_page_renders_hostile_names_as_text_without_outside_requests(browser, hostile_server):
    url, beacon = hostile_server["url"], hostile_server["beacon"]
    origin = urlsplit(url).netloc
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    outside: list[str] = []

    def watch(request) -> None:
        if urlsplit(request.url).netloc not in (origin, "") and not request.url.startswith(("data:", "blob:")):
            outside.append(request.url)

    context.on("request", watch)
    page = context.new_page()
    sign_in(page, url, "admin")
    check(page, beacon, ("name",), "signed-in")
    for path, tags in PAGES:
        page.goto(f"{url}/{path}")
        check(page, beacon, tags, path)
        if path == "results":
            # The comparisons put the previous round's title and the parent's name on the page.
            for toggle in page.locator("[data-testid='stCheckbox']").all():
                toggle.click()
                settle(page)
            check(page, beacon, ("g1", "top"), "results-compared")
        if path == "board":
            for tab in page.get_by_role("tab").all():
                tab.click()
                settle(page)
                check(page, beacon, ("what",), f"board-{tab.inner_text()}")
    public = browser.new_context()
    public.on("request", watch)
    board = public.new_page()
    board.goto(f"{url}/?board={hostile_server['board_token']}")
    check(board, beacon, ("dept", "what", "why", "how", "adjustments", "reason"), "public-board")
    rating = public.new_page()
    rating.goto(f"{url}/?r={hostile_server['rating_token']}")
    check(rating, beacon, ("open",), "rating-form")
    public.close()
    context.close()
    assert not outside, outside
