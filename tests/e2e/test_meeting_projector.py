"""Meeting mode on a projector in Chromium (issue 13): the facilitator drives the meeting from a
laptop with the keyboard (PageDown: next item, S: start/stop the speaker's time), and the
projector window beside it follows – to the next item, the speaker timer and the results slide."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_wcag import PROJECTOR, TIMEOUT, signed_in, wait_ready

ROUND_STEP = "3. Ordet går rundt"


def press(page: Page, key: str) -> None:
    """A key press on the page itself (not in a field), as a presentation clicker sends it."""
    wait_ready(page)
    page.locator("[data-testid='stMain'] h1").first.click()
    page.keyboard.press(key)


def test_projector_follows_the_laptops_keyboard_and_results_slide(server, browser):
    context = signed_in(browser, server, "admin")
    laptop = context.new_page()
    meeting = server["projector_meeting"]
    laptop.goto(f"{server['url']}/meeting_mode?moede={meeting}")
    laptop.get_by_role("button", name="Start mødet").click()
    expect(laptop.get_by_role("heading", name="1. Velkomst og formål")).to_be_visible(timeout=TIMEOUT)

    wall = context.new_page()
    wall.set_viewport_size(PROJECTOR)
    wall.goto(f"{server['url']}/meeting_mode?visning=projektor&moede={meeting}")
    expect(wall.get_by_role("heading", name="1. Velkomst og formål")).to_be_visible(timeout=TIMEOUT)
    expect(wall.locator("[data-testid='stSidebar']")).to_be_hidden()
    expect(wall.get_by_role("button", name="Næste punkt")).to_be_in_viewport()  # always in view on the wall

    for step in ("2. Individuel refleksion", ROUND_STEP):  # PageDown: what a presentation clicker sends
        press(laptop, "PageDown")
        expect(laptop.get_by_role("heading", name=step, exact=True)).to_be_visible(timeout=TIMEOUT)
        expect(wall.get_by_role("heading", name=step, exact=True)).to_be_visible(timeout=TIMEOUT)

    speaker = wall.locator("[data-testid='stMetric']").filter(has_text="Deltager")
    expect(speaker).to_contain_text("Deltager 1 af 4")
    expect(speaker).to_contain_text("2:00")  # waits for the facilitator
    # Readable from the back of the room: both clocks in type of at least 100 px on a 1080p wall.
    # The type the digits are drawn in: the innermost element around them, not the box.
    sizes = wall.locator("[data-testid='stMetricValue']").evaluate_all(
        "els => els.map(e => { let n = e; while (n.firstElementChild) n = n.firstElementChild;"
        " return parseFloat(getComputedStyle(n).fontSize); })")
    assert len(sizes) == 2 and min(sizes) >= 100, sizes
    press(laptop, "s")  # start participant 1's two minutes
    expect(wall.get_by_role("button", name=re.compile("Stop taletid"))).to_be_visible(timeout=TIMEOUT)
    expect(speaker.locator("[data-testid='stMetricValue']")).to_have_text(re.compile(r"^1:5\d$"), timeout=TIMEOUT)
    wall.screenshot(path=str(ARTIFACTS / "meeting-projector-speaker.png"))
    press(laptop, "s")  # stop: participant 2 is ready
    expect(speaker).to_contain_text("Deltager 2 af 4", timeout=TIMEOUT)
    expect(wall.get_by_role("button", name=re.compile("Start taletid"))).to_be_visible(timeout=TIMEOUT)

    laptop.get_by_text("Vis resultater", exact=True).click()  # the facilitator moves to the results ...
    expect(laptop.get_by_role("heading", name="HR-runde")).to_be_visible(timeout=TIMEOUT)
    expect(wall.get_by_role("heading", name="HR-runde")).to_be_visible(timeout=TIMEOUT)  # ... the wall follows
    expect(wall.locator("[data-testid='stVegaLiteChart']").first).to_be_visible(timeout=TIMEOUT)
    expect(wall.locator("[data-testid='stSelectbox']")).to_have_count(0)  # nothing to operate on the wall
    wait_ready(wall)
    wall.screenshot(path=str(ARTIFACTS / "meeting-projector-results.png"))
    laptop.get_by_text("Vis resultater", exact=True).click()  # and back to the meeting's item
    expect(wall.get_by_role("heading", name=ROUND_STEP, exact=True)).to_be_visible(timeout=TIMEOUT)
    context.close()
