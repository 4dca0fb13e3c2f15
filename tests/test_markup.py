"""User text is never markup (issue 12, point 5): every page, as admin, with hostile
Markdown/HTML in every field; every place Streamlit renders Markdown (body, labels,
captions, messages, radio options, headings) shows it escaped."""

import re
from collections.abc import Sequence

import pytest
from streamlit.testing.v1 import AppTest

from servicetjek import exports, meetings
from servicetjek.content import load
from tests.conftest import PASSWORD
from tests.hostile_seed import UNESCAPED, payload, seed
from tests.test_pages import APP, login

BEACON = "http://127.0.0.1:9"
MARKDOWN_FIELDS = {"body", "label", "help", "caption"}
MARKDOWN_OPTIONS = {"radio", "button_group"}  # options rendered as Markdown (plain in select boxes)
PLAIN = {"text", "code", "arrow_data_frame", "vega_lite_chart", "json"}
HTML = "html"  # st.html: not Markdown, so only HTML elements from user text would be markup
UNESCAPED_HTML = re.compile(r"<(img|a|script|iframe|svg|h[1-6])[\s>]", re.IGNORECASE)


def rendered_markdown(at: AppTest) -> list[str]:
    """Every string the page hands to Streamlit's Markdown renderer."""
    return [text for kind, text in rendered(at) if kind != HTML]


def rendered(at: AppTest) -> list[tuple[str, str]]:
    """(element kind, text) for every string the page hands to a Markdown or HTML renderer."""
    found: list[tuple[str, str]] = []

    def strings(message, kind):
        for field, value in message.ListFields():
            values = value if isinstance(value, Sequence) and not isinstance(value, str | bytes) else [value]
            for v in values:
                if isinstance(v, str):
                    if field.name in MARKDOWN_FIELDS or (field.name == "options" and kind in MARKDOWN_OPTIONS):
                        found.append((kind, v))
                elif hasattr(v, "ListFields"):
                    strings(v, kind)

    def walk(node):
        kind = getattr(node, "type", "")
        proto = getattr(node, "proto", None)
        if proto is not None and kind not in PLAIN and hasattr(proto, "ListFields"):
            strings(proto, kind)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at.main)
    walk(at.sidebar)
    return found


def assert_inert(at: AppTest, must_show: tuple[str, ...]) -> None:
    assert not at.exception, at.exception
    found = rendered(at)
    for kind, text in found:
        assert not (UNESCAPED_HTML if kind == HTML else UNESCAPED).search(text), text
    texts = [text for _, text in found]
    for tag in must_show:
        assert any(f"Øv{tag}" in text for text in texts), (tag, [t for t in texts if "Øv" in t][:5])


@pytest.fixture
def hostile(db):
    return seed(db, BEACON, PASSWORD)


def test_sidebar_signed_in_as_escapes_the_display_name(db, hostile):
    at = login(db, "admin")
    assert_inert(at, ("name",))


@pytest.mark.parametrize(("page", "must_show"), [
    ("pages/home.py", ()),
    ("pages/rounds.py", ("round", "prev", "dept")),
    ("pages/meetings.py", ("done", "live")),
    ("pages/board.py", ("what",)),
    ("pages/dashboard.py", ()),
    ("pages/admin_users.py", ("name",)),
    ("pages/admin_org.py", ("dept", "top")),
    ("pages/admin_settings.py", ()),
    ("pages/guide.py", ()),
])
def test_every_page_shows_hostile_names_as_text(db, hostile, page, must_show):
    at = login(db, "admin")
    at.switch_page(page).run()
    assert_inert(at, must_show)


def test_results_recommendation_and_comparison_toggles_escape_names(db, hostile):
    at = login(db, "admin")
    at.switch_page("pages/results.py").run()
    assert not at.exception
    at.toggle(key="cmp_prev").set_value(True).run()
    # The recommendation names the respondent groups; the parent toggle names the department.
    assert_inert(at, ("g1", "g2", "top"))


def test_meeting_mode_who_does_what_label_and_summary_escape_texts(db, hostile):
    at = login(db, "admin")
    at.switch_page("pages/meeting_mode.py").run()
    assert_inert(at, ())
    live = [m for m in meetings.for_departments(db, {hostile["team"]}) if m.status != "done"][0]
    assert any(f"Øv{live.id}what" in w.label for w in at.text_input)  # the "Hvem gør hvad" label
    done = [m for m in meetings.for_departments(db, {hostile["team"]}) if m.status == "done"][0]
    at.selectbox(key="mode_meeting").set_value(done.id).run()
    assert_inert(at, ("done", "note", f"{done.id}what", f"{done.id}who"))


def test_board_conflict_view_and_all_tabs_escape_trial_texts(db, hostile):
    at = login(db, "admin")
    at.switch_page("pages/board.py").run()
    assert_inert(at, ("what", "stopwhat"))


def test_public_board_escapes_department_and_trial_texts(db, hostile):
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["board"] = hostile["board_token"]
    at.run()
    assert_inert(at, ("dept", "what", "why", "how", "who", "adjustments", "reason"))


def test_rating_form_escapes_the_round_title(db, hostile):
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["r"] = hostile["rating_token"]
    at.run()
    assert_inert(at, ("open",))


def test_error_messages_escape_values_from_user_text(db, hostile):
    from servicetjek.ui.common import Tmd

    hostile_value = payload("err", BEACON, 200)
    assert not UNESCAPED.search(Tmd("common.signed_in_as", name=hostile_value, role="x"))


def test_markdown_agenda_export_escapes_title_place_and_facilitators(db, hostile):
    meeting = [m for m in meetings.for_departments(db, {hostile["team"]}) if m.status != "done"][0]
    agenda = meetings.meeting_agenda(meeting, load("da"))
    labels = {"when": "Tid", "place": "Sted", "facilitators": "Tovholder", "time": "Kl.", "step": "Punkt",
              "minutes": "Min."}
    text = exports.agenda_markdown(meeting.title, "i morgen", meeting.place, meeting.facilitators, agenda.items,
                                   labels)
    assert not UNESCAPED.search(text), text
    for tag in ("live", "liveplace", "livefac"):
        assert f"Øv{tag}" in text
    assert text.startswith("# \\# Øvlive")  # the heading is ours; the title inside it is text
