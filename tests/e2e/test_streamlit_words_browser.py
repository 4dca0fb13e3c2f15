"""Streamlit's own English in the page's language (issue 13): the words only a screen reader
reads (sidebar buttons, "Running..."), the date fields and their calendar, and the dialog
Streamlit shows when the server is gone. The page shell's script does it (servicetjek/
shell_words.py); the app tells it the language (--page-lang), and <html lang> follows.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from servicetjek.shell_words import STREAMLIT_HIDDEN, STREAMLIT_SUFFIXES, STREAMLIT_WORDS
from tests.e2e.conftest import ARTIFACTS, LONG_NAME, seed, start_server, stop_server
from tests.e2e.test_wcag import DESKTOP, PHONE, TIMEOUT, signed_in, wait_ready

ENGLISH = [*STREAMLIT_WORDS.values(), *(w.strip() for w in STREAMLIT_SUFFIXES.values()), *STREAMLIT_HIDDEN]
# Every text node a person sees and every name or tooltip a screen reader reads.
WORDS_ON_PAGE = """() => { const out = []; const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walk.nextNode()) { const e = walk.currentNode.parentElement, t = walk.currentNode.textContent.trim();
      if (t && e && !e.closest('script, style') && e.checkVisibility()) out.push(t); }
    for (const e of document.querySelectorAll('[aria-label], [title]'))
      out.push(e.getAttribute('aria-label') || '', e.getAttribute('title') || '');
    return out.filter(Boolean); }"""


def english_words(page: Page) -> list[str]:
    return [t for t in page.evaluate(WORDS_ON_PAGE) if any(w == t or len(w) > 12 and w in t for w in ENGLISH)]


def test_danish_pages_name_streamlits_controls_in_danish(server, browser):
    context = signed_in(browser, server, "admin")
    page = context.new_page()
    page.goto(f"{server['url']}/meetings?lang=da")
    wait_ready(page)
    assert page.evaluate("document.documentElement.lang") == "da"
    expect(page.get_by_role("button", name="Skjul sidepanelet", include_hidden=True)).to_have_count(1)
    assert not english_words(page), english_words(page)
    # Every word the script knows, as Streamlit would draw it (the running icon, a range field's halves).
    translated = page.evaluate("""words => { const box = document.createElement('div');
        for (const w of words) { const e = document.createElement('span'); e.setAttribute('aria-label', w);
          box.append(e); }
        document.body.append(box);
        return new Promise(done => setTimeout(() => { const out = [...box.children].map(
          e => e.getAttribute('aria-label')); box.remove(); done(out); }, 0)); }""",
                               [*STREAMLIT_WORDS.values(), "Periode start date", "Periode end date"])
    assert translated[list(STREAMLIT_WORDS).index("running")] == "Siden arbejder …"
    assert translated[-2:] == ["Periode – startdato", "Periode – slutdato"]
    assert not set(translated) & set(STREAMLIT_WORDS.values()), translated

    # The calendar follows the app's language: Danish months, weeks from Monday, Danish names.
    page.locator("[data-testid='stDateInputCalendarButton']").first.click()
    calendar = page.locator("[data-testid='stDateInputCalendar']")
    expect(calendar).to_be_visible(timeout=TIMEOUT)
    months = "januar|februar|marts|april|maj|juni|juli|august|september|oktober|november|december"
    expect(calendar).to_contain_text(re.compile(months))
    expect(calendar.get_by_role("dialog", name="Vælg dato").or_(page.get_by_role("dialog", name="Vælg dato"))
           ).to_have_count(1)
    first_weekday = calendar.locator("th").first.evaluate("e => e.getAttribute('aria-label') || e.innerText")
    assert first_weekday.lower().startswith("m"), first_weekday  # mandag
    assert not english_words(page), english_words(page)
    page.screenshot(path=str(ARTIFACTS / "streamlit-words-calendar-da.png"))
    page.keyboard.press("Escape")

    # Switched to English in the sidebar: the page's language follows without a reload.
    page.locator("[data-testid='stSidebar']").get_by_role("radio", name="English").or_(
        page.locator("[data-testid='stSidebar']").get_by_role("button", name="English")).first.click()
    page.wait_for_function("document.documentElement.lang === 'en'", timeout=TIMEOUT)
    expect(page.get_by_role("button", name="Collapse sidebar", include_hidden=True)).to_have_count(1)
    # An English page's calendar is English (Streamlit reads the language when it next draws
    # its frame, so right after the switch the calendar may lag by one run: a fresh page here).
    page.goto(f"{server['url']}/meetings?lang=en")
    wait_ready(page)
    page.locator("[data-testid='stDateInputCalendarButton']").first.click()
    expect(page.locator("[data-testid='stDateInputCalendar']")).to_contain_text(
        re.compile("January|February|March|April|May|June|July|August|September|October|November|December"),
        timeout=TIMEOUT)
    context.close()


def test_connection_lost_dialog_is_danish(tmp_path, browser):
    """A dedicated server, stopped under an open Danish page: Streamlit's dialog in Danish."""
    path = tmp_path / "gone.duckdb"
    seed(path)
    proc, url = start_server(path, "server-gone.log")
    try:
        page = browser.new_context(viewport=PHONE).new_page()
        # As a local install is reached: Streamlit then adds "Is Streamlit still running?" and
        # a terminal command to its message.
        page.goto(url.replace("127.0.0.1", "localhost") + "/guide?lang=da")
        wait_ready(page)
        assert page.evaluate("document.documentElement.lang") == "da"
    finally:
        stop_server(proc)
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible(timeout=60_000)
    expect(dialog).to_contain_text("Forbindelsen til serveren er afbrudt", timeout=TIMEOUT)
    expect(dialog).to_contain_text("Siden forbinder selv igen")
    page.screenshot(path=str(ARTIFACTS / "streamlit-words-connection-lost-da.png"))
    assert not english_words(page), english_words(page)
    assert "Streamlit" not in dialog.inner_text()
    page.set_viewport_size(DESKTOP)
    page.context.close()


def test_long_department_names_are_readable_on_a_phone(server, browser):
    """A select box's options wrap instead of being cut, the unit's own name comes first, and
    on a phone a long choice is written out in full under its box."""
    context = signed_in(browser, server, "admin")
    page = context.new_page()
    page.set_viewport_size(PHONE)
    page.goto(f"{server['url']}/results?lang=da")
    wait_ready(page)
    box = page.locator("[data-testid='stSelectbox']").first
    box.locator("input").click()
    options = page.get_by_role("option")
    expect(options.first).to_be_visible(timeout=TIMEOUT)
    cut = options.evaluate_all("""els => els.filter(o => { const t = o.firstElementChild || o;
        return t.scrollWidth > t.clientWidth + 1 || t.scrollHeight > o.clientHeight + 1; }).map(o => o.innerText)""")
    assert not cut, cut
    long_option = page.get_by_role("option", name=re.compile(f"^{LONG_NAME} – "))
    expect(long_option).to_be_visible()
    long_option.click()
    whole = page.locator(".st-key-whole-choice-results_dept")
    expect(whole).to_contain_text(LONG_NAME, timeout=TIMEOUT)
    expect(whole).to_be_visible()
    assert whole.bounding_box()["width"] <= PHONE["width"]
    page.screenshot(path=str(ARTIFACTS / "long-name-phone.png"))
    page.set_viewport_size(DESKTOP)  # room enough: the box shows it, no second copy
    expect(whole).to_be_hidden()
    context.close()


def test_phone_keeps_the_booklets_theme_order_and_cuts_no_link(server, browser):
    """On a phone the home page's six theme cards come in the booklet's order (not column by
    column), and a long page link (the projector's) wraps instead of being cut."""
    from servicetjek.content import load

    page = browser.new_context(viewport=PHONE).new_page()
    page.goto(f"{server['url']}/?lang=da")
    wait_ready(page)
    names = [theme.name for theme in load("da").themes]
    tops = [page.locator("[data-testid='stMain'] strong", has_text=re.compile(f"^{name}$")).first.bounding_box()["y"]
            for name in names]
    assert tops == sorted(tops), list(zip(names, tops, strict=True))
    page.context.close()
    context = signed_in(browser, server, "admin")
    page = context.new_page()
    page.set_viewport_size(PHONE)
    page.goto(f"{server['url']}/meeting_mode?lang=en")
    wait_ready(page)
    link = page.locator("[data-testid='stMain'] a[data-testid='stPageLink-NavLink']").filter(visible=True).first
    expect(link).to_be_visible(timeout=TIMEOUT)
    cut = link.evaluate("a => [...a.querySelectorAll('*')].filter(e => e.scrollWidth > e.clientWidth + 1).length")
    assert cut == 0 and link.bounding_box()["width"] <= PHONE["width"]
    context.close()
