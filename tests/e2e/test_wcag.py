"""WCAG 2.1 AA in a real browser (issue 15): an axe-core scan of every page every role can
open, in Danish and English, at desktop (1440×900) and phone (390×844) size; the rating
form used with the keyboard alone; landmarks and headings a screen reader navigates by.

One server and one browser for all; each page is loaded once per language and scanned at
both sizes (the viewport is resized in place, Streamlit lays out again without a rerun).
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ARTIFACTS, settled
from tests.e2e.test_journeys import sign_in

TIMEOUT = 30_000
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
PROJECTOR = {"width": 1920, "height": 1080}
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa",
                                                      "best-practice"]},
               "resultTypes": ["violations"]}
# Violations inside Streamlit's own widget markup that no app setting or style can reach,
# each with the exact rule and selector (docs/accessibility.md explains every entry).
STREAMLIT_OWN: set[tuple[str, str]] = set()


def wait_ready(page: Page) -> None:
    """Until Streamlit's script run has finished and the page has drawn its heading."""
    settled(page)
    expect(page.locator("h1, h2").first).to_be_visible(timeout=TIMEOUT)
    settled(page)


def serious(page: Page, axe, where: str) -> list[dict]:
    """axe's serious and critical violations on the page, less the documented Streamlit ones."""
    result = axe.run(page, options=AXE_OPTIONS).response
    found = []
    for violation in result["violations"]:
        nodes = [n for n in violation["nodes"]
                 if not any((violation["id"], sel) in STREAMLIT_OWN for sel in n["target"])]
        if nodes and violation["impact"] in ("serious", "critical"):
            found.append({"where": where, "rule": violation["id"], "impact": violation["impact"],
                          "help": violation["help"],
                          "nodes": [{"target": n["target"], "html": n["html"][:300],
                                     "summary": n.get("failureSummary", "")[:300]} for n in nodes[:5]]})
    return found


def sidebar_settled(page: Page) -> None:
    """After a resize the sidebar slides in; wait until it is in place (or closed)."""
    page.wait_for_function("""() => { const s = document.querySelector("[data-testid='stSidebar']");
        return !s || s.getAttribute("aria-expanded") !== "true" || s.getBoundingClientRect().x >= 0; }""")


def scan_both_sizes(page: Page, axe, where: str, shots: bool = False) -> list[dict]:
    found = []
    for name, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        sidebar_settled(page)  # layout after the resize (no rerun, no server round trip)
        first = serious(page, axe, f"{where} @ {name}")
        for _ in range(2):
            if not first:
                break
            # A rerun that starts after the page looked settled (the sign-in cookie's component,
            # a fragment) redraws the sidebar for a moment; only what is still there counts.
            wait_ready(page)
            first = serious(page, axe, f"{where} @ {name}")
        found += first
        if shots:
            page.screenshot(path=str(ARTIFACTS / f"a11y-{re.sub(r'[^a-z0-9]+', '-', where.lower())}-{name}.png"),
                            full_page=True)
    if shots:  # how the page looks on a projector in a meeting room (looked at by people, not axe)
        page.set_viewport_size(PROJECTOR)
        sidebar_settled(page)
        page.screenshot(path=str(ARTIFACTS / f"a11y-{re.sub(r'[^a-z0-9]+', '-', where.lower())}-projector.png"))
    page.set_viewport_size(DESKTOP)
    return found


def signed_in(browser, server, username: str):
    """A context signed in through the real form (sessions live on the server); its cookie
    signs in every page opened in the context afterwards."""
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    sign_in(page, server["url"], username)
    page.close()
    return context


def menu_paths(page: Page) -> list[str]:
    """Every page in the signed-in user's menu (so a page added later is scanned too)."""
    links = page.locator("[data-testid='stSidebar'] a[data-testid='stPageLink-NavLink']")
    expect(links.first).to_be_attached(timeout=TIMEOUT)
    wait_ready(page)
    hrefs = links.evaluate_all("els => els.map(e => e.href)")
    return sorted({re.sub(r"^https?://[^/]+/?", "", h).split("?")[0] for h in hrefs})


@pytest.fixture(scope="module")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def report(found: list[dict], name: str) -> None:
    (ARTIFACTS / f"axe-{name}.json").write_text(json.dumps(found, indent=1, ensure_ascii=False))
    assert not found, "\n".join(f"{f['where']}: {f['rule']} ({f['impact']}) {f['nodes'][0]['target']}"
                                for f in found)


def test_public_pages_have_no_serious_violations(server, browser, axe):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    found = []
    paths = {"rating": f"?r={server['token']}", "public-board": f"?board={server['board']}",
             "public-results": f"?results={server['results_link']}", "qr-screen": f"?qr={server['token']}",
             "login": "login",
             "home": "", "guide": "guide", "accessibility": "accessibility"}
    for lang in ("da", "en"):
        for name, path in paths.items():
            page.goto(f"{server['url']}/{path}{'&' if '?' in path else '?'}lang={lang}")
            wait_ready(page)
            found += scan_both_sizes(page, axe, f"anonymous {name} {lang}", shots=True)
    context.close()
    report(found, "public")


@pytest.mark.parametrize("username", ["admin", "leder", "tovholder", "medlem"])
def test_signed_in_pages_have_no_serious_violations(server, browser, axe, username):
    context = signed_in(browser, server, username)
    page = context.new_page()
    page.goto(server["url"])
    expect(page.get_by_text(re.compile("Logget ind som"))).to_be_visible(timeout=TIMEOUT)
    paths = menu_paths(page)
    assert "accessibility" in paths and len(paths) >= 3, paths
    found = []
    for lang in ("da", "en"):
        for path in paths:
            page.goto(f"{server['url']}/{path}?lang={lang}")
            wait_ready(page)
            found += scan_both_sizes(page, axe, f"{username} /{path} {lang}", shots=True)  # every role, looked at
    context.close()
    report(found, username)


def focused(page: Page) -> dict:
    """What has the keyboard focus: its tag, type and which answer group (0-5) holds it."""
    return page.evaluate("""() => {
        const el = document.activeElement;
        const groups = [...document.querySelectorAll("[data-testid='stRadio']")];
        return {tag: el.tagName, type: el.type || "", text: el.innerText || "",
                group: groups.findIndex(g => g.contains(el))};
    }""")


def tab_to(page: Page, wanted, limit: int = 60) -> dict:
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        if wanted(now):
            return now
    text = page.locator("[data-testid='stMain']").inner_text()[:500]
    raise AssertionError(f"Tab never reached the element; last focus {now}; the page shows: {text}")


def wait_for_rating_form(page: Page) -> None:
    """The heading can come before the six questions: tab only once the form is complete."""
    wait_ready(page)
    expect(page.locator("[data-testid='stRadio']")).to_have_count(6, timeout=TIMEOUT)
    expect(page.get_by_role("button", name="Send mine svar")).to_be_visible(timeout=TIMEOUT)


def test_rating_form_works_with_the_keyboard_alone(server, browser):
    page = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    page.goto(f"{server['url']}/?r={server['token']}")
    wait_for_rating_form(page)
    scores = [3, 1, 5, 2, 4, 2]
    for i, score in enumerate(scores):
        tab_to(page, lambda f, i=i: f["type"] == "radio" and f["group"] == i)
        page.keyboard.press("Space")  # no option was chosen: Space chooses the focused first one (1)
        for _ in range(score - 1):
            page.keyboard.press("ArrowRight")
    checked = page.locator("[data-testid='stRadio'] input[type=radio]:checked")
    assert [int(v) for v in checked.evaluate_all("els => els.map(e => e.closest('label').innerText.trim())")] == \
        scores
    tab_to(page, lambda f: f["tag"] == "TEXTAREA")
    page.keyboard.type("Mere ro om formiddagen")
    tab_to(page, lambda f: f["tag"] == "BUTTON" and "Send mine svar" in f["text"])
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Tak for dine svar")).to_be_visible(timeout=TIMEOUT)
    page.close()


def test_rating_form_has_landmarks_names_its_unit_and_large_tap_targets(server, browser):
    page = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    page.goto(f"{server['url']}/?r={server['token']}")
    wait_ready(page)
    # What a screen reader's landmark and heading lists show.
    expect(page.get_by_role("main")).to_have_count(1)
    expect(page.get_by_role("heading", name="Servicetjek af vores hybride arbejdsplads")).to_be_visible()
    expect(page.get_by_text("Du vurderer: Borgerservice", exact=True)).to_be_visible()
    for theme in ("Sammenhængskraft", "Fleksibilitet", "Tilgængelighed", "Fordybelse", "Tillid", "Retfærdighed"):
        group = page.get_by_role("radiogroup", name=re.compile(theme))
        expect(group).to_have_count(1)
        expect(group.get_by_role("radio")).to_have_count(5)
    expect(page.get_by_role("textbox", name=re.compile("Kommentar"))).to_have_count(1)
    expect(page.get_by_role("button", name="Send mine svar")).to_have_count(1)
    expect(page.get_by_role("link", name="Tilgængelighed")).to_have_count(1)
    # Tap targets of at least 44 × 44 px: every answer option, the links, the menu and the button.
    targets = {"option": page.locator("[data-testid='stRadio'] [role='radiogroup'] label"),
               "link": page.locator("[data-testid='stMarkdownContainer'] a[href*='lang=']"),
               "group menu": page.locator("[data-testid='stSelectbox'] [role='group']"),
               "button": page.get_by_role("button", name="Send mine svar")}
    small = []
    for name, locator in targets.items():
        assert locator.count(), name
        for box in locator.evaluate_all("els => els.map(e => e.getBoundingClientRect().toJSON())"):
            if box["height"] < 44 or box["width"] < 44:
                small.append((name, round(box["width"]), round(box["height"])))
    assert not small, small
    # The comment box in use shows no English "Press Ctrl+Enter to submit form".
    page.get_by_role("textbox", name=re.compile("Kommentar")).fill("Hej")
    instructions = page.locator("[data-testid='stTextArea'] [data-testid='InputInstructions']")
    expect(instructions).to_contain_text("3/1000")
    shown = instructions.locator("span").filter(visible=True)
    expect(shown).to_have_text(["3/1000"])  # the count stays, the English hint is hidden
    page.screenshot(path=str(ARTIFACTS / "a11y-rating-phone-typing.png"))
    page.close()


def test_qr_code_fills_a_projector_and_a_phone_screen(server, browser):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    for name, size in (("projector", {"width": 1920, "height": 1080}), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.goto(f"{server['url']}/?qr={server['token']}")
        image = page.get_by_role("img", name=re.compile("QR-kode til svarskemaet for Servicetjek e2e"))
        expect(image).to_be_visible(timeout=TIMEOUT)
        expect(page.get_by_text(f"/?r={server['token']}")).to_be_visible()
        page.wait_for_function("() => [...document.images].every(i => i.complete)")
        box = image.bounding_box()
        side = min(size["width"], size["height"])
        assert box["width"] >= 0.8 * side and box["height"] >= 0.8 * side, (name, box)
        assert box["y"] >= 0 and box["y"] + box["height"] <= size["height"], (name, box)  # no scrolling
        page.screenshot(path=str(ARTIFACTS / f"a11y-qr-{name}.png"))
    page.goto(f"{server['url']}/?qr=not-a-real-token-at-all-000000")
    expect(page.get_by_role("img")).to_have_count(0)
    context.close()


def test_streamlit_own_messages_are_not_english(server, browser):
    page = browser.new_context(viewport=DESKTOP).new_page()
    page.goto(f"{server['url']}/no-such-page")
    expect(page.get_by_text(re.compile("Siden findes ikke"))).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text("Page not found")).to_have_count(0)
    page.goto(f"{server['url']}/login")
    wait_ready(page)
    page.get_by_label("Brugernavn").fill("someone")
    hints = page.locator("[data-testid='InputInstructions']")
    expect(hints.first).to_be_attached(timeout=TIMEOUT)  # Streamlit draws the hint while the field has focus
    expect(hints.filter(visible=True)).to_have_count(0)
    page.close()


# Streamlit's own English words that its controls show (buttons, menus, hints, tooltips).
STREAMLIT_ENGLISH = ("Press Enter", "Ctrl+Enter", "Page not found", "Download as CSV", "Download as PNG",
                     "Made with Streamlit", "Record screen", "Print", "Fullscreen", "Search", "Show data",
                     "Running...", "Stop", "Connecting", "Choose an option", "Choose options", "No results",
                     "Drag and drop", "Browse files", "Clear all", "Rerun")
VISIBLE_TEXT = """() => { const out = []; const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walk.nextNode()) { const e = walk.currentNode.parentElement; const t = walk.currentNode.textContent.trim();
      if (!t || !e || e.closest('script, style')) continue;
      const r = e.getBoundingClientRect(), cs = getComputedStyle(e);
      if (r.width > 0 && r.height > 0 && cs.visibility !== 'hidden' && e.checkVisibility()) out.push(t); }
    for (const e of document.querySelectorAll('[title]')) if (e.checkVisibility()) out.push(e.title);
    for (const e of document.querySelectorAll('[placeholder]')) if (e.checkVisibility()
        && getComputedStyle(e, '::placeholder').color !== 'rgba(0, 0, 0, 0)') out.push(e.placeholder);
    return out; }"""


def english_shown(page: Page) -> list[str]:
    # Short words ("Stop", "Print") are Danish too ("Stop op"): those only as the whole text.
    return [t for t in page.evaluate(VISIBLE_TEXT) if any(t == w or len(w) > 8 and w in t for w in STREAMLIT_ENGLISH)]


def test_danish_pages_show_none_of_streamlits_english(server, browser):
    """Tables, charts, menus and the status widget: hovered, focused and typed into, in Danish."""
    context = signed_in(browser, server, "admin")
    page = context.new_page()
    for path in ("results", "dashboard", "board", "meetings", "admin_users"):
        page.goto(f"{server['url']}/{path}?lang=da")
        wait_ready(page)
        shown = page.locator("[data-testid='stDataFrame'], [data-testid='stVegaLiteChart']").filter(visible=True)
        for table in shown.all()[:3]:
            table.hover()  # Streamlit shows its table/chart toolbar on hover
            expect(page.locator("[data-testid='stElementToolbar']").filter(visible=True)).to_have_count(0)
        expect(page.locator("[data-testid='stMainMenu']")).to_be_hidden()  # "Print", "Record screen"
        field = page.locator("[data-testid='stTextInput'] input, [data-testid='stTextArea'] textarea").filter(
            visible=True)
        if field.count():
            field.first.fill("x")  # the "Press Enter to apply" hint appears while typing
        assert not english_shown(page), (path, english_shown(page))
    # The status widget while a script runs: its "Stop" button and "CONNECTING"/"ERROR" labels stay hidden.
    hidden = page.evaluate("""() => { const w = document.createElement('div'); w.dataset.testid = 'stStatusWidget';
        w.innerHTML = '<button>Stop</button><label>Connecting</label>'; document.body.append(w);
        const shown = [...w.children].filter(e => e.checkVisibility()).length; w.remove(); return shown; }""")
    assert hidden == 0
    for name, path in (("board", f"?board={server['board']}"), ("results", f"?results={server['results_link']}")):
        page.goto(f"{server['url']}/{path}")  # the read-only links, too
        wait_ready(page)
        page.locator("[data-testid='stMain']").hover()
        assert not english_shown(page), (name, english_shown(page))
    context.close()


def test_action_plan_shows_all_six_columns_uncut_at_1440(server, browser):
    context = signed_in(browser, server, "admin")
    page = context.new_page()
    page.goto(f"{server['url']}/board")
    region = page.get_by_role("region", name="Handleplan")
    expect(region.get_by_text("Stille timer om formiddagen")).to_be_visible(timeout=TIMEOUT)
    for column in ("Hvad?", "Hvorfor?", "Hvordan?", "Hvem?", "Justeringer – hvornår?", "Status?"):
        header = region.get_by_role("columnheader", name=column)
        expect(header).to_be_visible()
        box = header.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= DESKTOP["width"], (column, box)
    assert region.evaluate("e => e.scrollWidth <= e.clientWidth"), "the plan scrolls sideways at 1440 px"
    cut = region.locator("th, td").evaluate_all("els => els.filter(e => e.scrollWidth > e.clientWidth)"
                                                ".map(e => e.innerText)")
    assert not cut, cut
    # Words are whole: a one-word cell ("Status?", "Fordybelse") is not broken onto two lines.
    broken = region.locator("th, td").evaluate_all("""els => els.filter(e => !/\\s/.test(e.innerText.trim())
        && e.innerText.trim() && (() => { const r = document.createRange(); r.selectNodeContents(e);
        return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size > 1; })()).map(e => e.innerText)""")
    assert not broken, broken
    page.screenshot(path=str(ARTIFACTS / "a11y-action-plan-1440.png"))
    context.close()


def test_charts_say_what_they_show_and_link_the_table_with_their_figures(server, browser):
    context = signed_in(browser, server, "leder")
    page = context.new_page()
    page.goto(f"{server['url']}/dashboard")
    expect(page.locator("[data-testid='stVegaLiteChart']").first).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text(re.compile("^Varmekort: gennemsnittet for hvert tema"))).to_be_visible()
    links = page.get_by_role("link", name="Se tallene i tabellen.")
    expect(links.first).to_be_visible()
    for href in links.evaluate_all("els => els.map(e => e.getAttribute('href'))"):
        target = page.locator(f"[id='{href.lstrip('#')}']")
        expect(target).to_have_count(1)
        expect(target).to_have_text("Tal pr. afdeling")
    links.first.click()
    expect(page.get_by_role("heading", name="Tal pr. afdeling")).to_be_in_viewport()
    context.close()
