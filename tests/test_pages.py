"""AppTest of the frame and every page, per role."""

import json
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from streamlit.testing.v1 import AppTest

from servicetjek import rounds, users
from servicetjek.content import THEME_IDS
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "streamlit_app.py")


def app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=30)


def test_first_start_shows_create_admin_and_then_login(db):
    at = app().run()
    assert not at.exception
    assert at.title[0].value == "Velkommen til Servicetjek"
    at.text_input(key="fa_code").input(users.new_setup_code(db))
    at.text_input(key="fa_name").input("Anna Admin")
    at.text_input(key="fa_username").input("anna")
    at.text_input(key="fa_password").input(PASSWORD)
    at.text_input(key="fa_repeat").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    assert users.get(db, "anna").role == "admin"
    assert at.title[0].value != "Velkommen til Servicetjek"


def test_first_admin_password_mismatch_is_explained(db):
    at = app().run()
    at.text_input(key="fa_name").input("Anna")
    at.text_input(key="fa_username").input("anna")
    at.text_input(key="fa_password").input(PASSWORD)
    at.text_input(key="fa_repeat").input(PASSWORD + "x")
    at.button[0].click().run()
    assert "ikke ens" in at.error[0].value and users.count(db) == 0


def test_login_wrong_password_and_logout(db, people):
    at = app().run()
    at.switch_page("pages/login.py").run()
    at.text_input(key="login_username").input("tovholder")
    at.text_input(key="login_password").input("wrong-password!")
    at.button[0].click().run()
    assert "Forkert brugernavn" in at.error[0].value
    at.text_input(key="login_password").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception and at.session_state["username"] == "tovholder"
    assert any("Tina Tovholder" in c.value for c in at.sidebar.caption)
    at.sidebar.button(key="logout_button").click().run()
    assert not at.session_state["authentication_status"]


def login(db, username):
    at = app().run()
    at.switch_page("pages/login.py").run()
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    return at


ALL_WORK = {"pages/rounds.py", "pages/results.py", "pages/dashboard.py", "pages/meetings.py",
            "pages/meeting_mode.py", "pages/board.py", "pages/admin_users.py", "pages/admin_org.py",
            "pages/admin_settings.py"}
MENUS = {
    "admin": ALL_WORK,
    "leder": {"pages/results.py", "pages/dashboard.py", "pages/board.py"},
    "tovholder": {"pages/rounds.py", "pages/results.py", "pages/meetings.py", "pages/meeting_mode.py",
                  "pages/board.py"},
    "medlem": {"pages/board.py"},
}


@pytest.mark.parametrize("username", list(MENUS))
def test_each_role_sees_its_menu_and_is_refused_the_rest(db, people, username):
    at = login(db, username)
    for page in MENUS[username]:
        at.switch_page(page).run()
        assert not at.exception, page
        assert not [e for e in at.error if "adgang" in e.value], page
    for page in ALL_WORK - MENUS[username]:
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(page).run()


def test_page_script_run_outside_the_frame_refuses(db, people):
    at = AppTest.from_file(str(ROOT / "pages/admin_users.py")).run()
    assert "adgang" in at.error[0].value


def test_language_switch_to_english(db, people):
    at = app().run()
    at.sidebar.segmented_control(key="lang").set_value("en").run()
    assert not at.exception
    assert at.title[0].value == "Give your hybrid workplace a service check"


def test_deactivated_user_is_signed_out_on_next_run(db, people):
    at = login(db, "tovholder")
    users.update(db, "tovholder", "Tina", "facilitator", [], active=False)
    at.run()
    assert not at.session_state["authentication_status"]


# --- the rating form -------------------------------------------------------------------

def rating_app(token: str) -> AppTest:
    at = app()
    at.query_params["r"] = token
    return at.run()


def make_open_round(db, people, org_tree, **kwargs):
    now = datetime.now()
    return rounds.create(db, people["admin"], org_tree["A1"], "Forår", now - timedelta(hours=1),
                         now + timedelta(days=3), groups=["Leder", "Medarbejder"], **kwargs)


def answer_all(at: AppTest, skip: str | None = None) -> None:
    for theme in THEME_IDS:
        if theme != skip:
            at.radio(key=f"score_{theme}").set_value(4)


def leaf_elements(node) -> int:
    children = getattr(node, "children", None)
    return sum(leaf_elements(child) for child in children.values()) if children else 1


def test_rating_form_sends_no_style_and_few_elements(db, org_tree, people):
    """The style sheet comes with the shell (servicetjek/shell_style.py); every element is a
    websocket message to each of a meeting's phones."""
    r, _ = make_open_round(db, people, org_tree)
    at = rating_app(r.token)
    assert not at.get("html")
    # The heading, the promise with what to do, six questions, the group (this round has
    # groups), the comment and the button.
    assert leaf_elements(at.main) == 11, leaf_elements(at.main)
    answer_all(at)
    at.button[0].click().run()
    assert len(at.main.children) == 1 and at.success  # the receipt is one element
    page = app().run()
    # Other pages send the shell's script only their language, first of all.
    assert page.get("html")[0].proto.body == '<style>:root { --page-lang: "da"; }</style>'


def test_rating_link_form_submit_receipt_and_second_submit(db, org_tree, people):
    r, _ = make_open_round(db, people, org_tree)
    at = rating_app(r.token)
    assert not at.exception
    assert len(at.radio) == 6 and "anonyme" in at.info[0].value
    answer_all(at)
    at.selectbox(key="group").set_value("Leder")
    at.text_area(key="comment").input("Mere ro om morgenen")
    at.button[0].click().run()
    assert not at.exception
    assert at.success[0].value.startswith("## Tak for dine svar\n")
    assert "[temaguiden](guide?lang=da)" in at.success[0].value  # what to read next
    assert rounds.response_count(db, r.id) == 1
    at.run()
    assert at.success[0].value.startswith("## Tak for dine svar\n")  # a reload shows the receipt, no new form
    assert rounds.response_count(db, r.id) == 1


def test_rating_form_points_out_missing_theme(db, org_tree, people):
    r, _ = make_open_round(db, people, org_tree)
    at = rating_app(r.token)
    answer_all(at, skip="trust")
    at.button[0].click().run()
    assert "Mangler: Tillid" in at.error[0].value
    assert rounds.response_count(db, r.id) == 0


@pytest.mark.parametrize("token", ["", "kort", "A" * 32, "<script>alert(1)</script>"])
def test_rating_bad_link_gets_clear_page(db, token):
    at = rating_app(token)
    assert not at.exception
    assert "Linket virker ikke" in at.warning[0].value
    # As on the form: the language link (back to the same address) and the accessibility
    # statement, with the level-2 heading, in one element before the warning.
    assert leaf_elements(at.main) == 2
    links, heading = at.markdown[0].value.split("\n\n")
    assert links == (f"[In English](?r={quote(token, safe='')}&lang=en) "
                     "[Tilgængelighed](accessibility?lang=da)")
    assert "<" not in links and heading == "## Servicetjek af vores hybride arbejdsplads"


def test_rating_closed_and_not_yet_open(db, org_tree, people):
    r, _ = make_open_round(db, people, org_tree)
    rounds.close(db, people["admin"], r.id)
    assert "lukket" in rating_app(r.token).warning[0].value
    now = datetime.now()
    later, _ = rounds.create(db, people["admin"], org_tree["A1"], "Senere", now + timedelta(days=2),
                             now + timedelta(days=3))
    assert "ikke åben endnu" in rating_app(later.token).warning[0].value


def test_rating_codes_round_says_before_the_questions_that_the_code_goes_at_the_bottom(db, org_tree, people):
    """The code's field is last on the form: the promise above the questions says it is needed."""
    r, _ = make_open_round(db, people, org_tree, access_mode="codes", code_count=2)
    at = rating_app(r.token)
    assert "koden fra din seddel" in at.info[0].value and "cookie" not in at.info[0].value
    assert leaf_elements(at.main) == 12  # the same form, plus the code's field
    link, _ = make_open_round(db, people, org_tree)
    assert "seddel" not in rating_app(link.token).info[0].value


def test_rating_with_used_code_is_refused(db, org_tree, people):
    r, codes = make_open_round(db, people, org_tree, access_mode="codes", code_count=2)
    rounds.submit(db, r.token, dict.fromkeys(THEME_IDS, 2), code=codes[0])
    at = rating_app(r.token)
    answer_all(at)
    at.text_input(key="code").input(codes[0])
    at.button[0].click().run()
    assert "allerede brugt" in at.error[0].value
    assert rounds.response_count(db, r.id) == 1


# --- facilitator and manager pages --------------------------------------------------------

def test_rounds_page_creates_round_with_link(db, org_tree, people):
    at = login(db, "tovholder")
    at.switch_page("pages/rounds.py").run()
    at.text_input(key="new_round_title").input("Servicetjek vinter")
    at.button(key="FormSubmitter:new_round-Opret runde").click().run()
    assert not at.exception
    created = rounds.for_departments(db, {org_tree["A"], org_tree["A1"], org_tree["A2"]})
    assert [r.title for r in created] == ["Servicetjek vinter"]
    assert any(created[0].token in c.value for c in at.code)
    # The QR code for the projector opens in a dialog, drawn only when asked for (AppTest does not
    # show a dialog's contents; the browser screenshot does).
    at.button(key=f"qr_show_{created[0].id}").click().run()
    assert not at.exception
    rounds.close(db, people["facilitator"], created[0].id)
    at.run()
    assert not [b for b in at.button if b.key == f"qr_show_{created[0].id}"]  # nothing to scan when closed


def test_qr_of_a_codes_round_says_the_code_from_the_slip_is_needed(db, org_tree, people):
    """The QR code opens the form, but a codes round's form also asks for the code from the slip."""
    link_round, _ = make_open_round(db, people, org_tree)
    codes_round, _ = make_open_round(db, people, org_tree, access_mode="codes", code_count=3)
    at = login(db, "tovholder")
    at.switch_page("pages/rounds.py").run()
    needed = "Du skal også bruge koden fra din seddel."
    for round_, says in ((codes_round, True), (link_round, False)):
        at.button(key=f"qr_show_{round_.id}").click().run()
        assert not at.exception
        dialog = at.get("dialog")[0]
        assert any("Scan koden" in m.value for m in dialog.markdown)
        assert any(needed in m.value for m in dialog.markdown) == says
        screen = app()
        screen.query_params["qr"] = round_.token
        screen.run()
        assert not screen.exception
        body = screen.get("html")[0].proto.body
        assert "Scan koden" in body and (needed in body) == says


def test_new_codes_round_offers_its_slips_right_under_created(db, org_tree, people):
    """The codes are shown once; the new round's card can be far down the list or on another page."""
    at = login(db, "tovholder")
    at.switch_page("pages/rounds.py").run()
    at.text_input(key="new_round_title").input("Koder vinter")
    at.radio(key="new_round_mode").set_value("codes")
    at.button(key="FormSubmitter:new_round-Opret runde").click().run()
    assert not at.exception
    created = rounds.for_departments(db, {org_tree["A"], org_tree["A1"], org_tree["A2"]})[0]
    form = at.expander[0]
    assert [d.key for d in form.get("download_button")] == [f"codes_pdf_new_{created.id}"]
    assert "kan ikke vises igen" in form.warning[0].value
    at.text_input(key="new_round_title").input("Link vinter")
    at.radio(key="new_round_mode").set_value("link")
    at.button(key="FormSubmitter:new_round-Opret runde").click().run()
    assert at.expander[0].success and not at.expander[0].get("download_button")


def test_results_page_shows_recommendation_when_enough_answers(db, org_tree, people):
    r, _ = make_open_round(db, people, org_tree)
    for i in range(6):
        scores = dict.fromkeys(THEME_IDS, 2) | {"focus": 5}
        rounds.submit(db, r.token, scores, comment="<img src=http://evil/x.png> **hej**", session_key=f"s{i}")
    at = login(db, "tovholder")
    at.switch_page("pages/results.py").run()
    assert "tallene vises, når runden lukker" in at.info[0].value  # a round with groups shows at close
    assert not at.get("arrow_vega_lite_chart")
    rounds.close(db, people["admin"], r.id)
    at.run()
    assert not at.exception
    assert any("Hold et møde om ét tema: Fordybelse" in m.value for m in at.markdown)
    assert [t.value for t in at.text] == ["<img src=http://evil/x.png> **hej**"] * 6  # shown as plain text
    # Nine columns fit a laptop with the sidebar open (1366 px) with "Gns." for "Gennemsnit".
    [table] = [df for df in at.dataframe if "Svar med 5" in df.value.columns]
    assert json.loads(table.proto.columns)["Gennemsnit"] | {"type_config": None} == {
        "label": "Gns.", "help": "Gennemsnit", "type_config": None}


def test_results_page_hides_figures_below_threshold(db, org_tree, people):
    r, _ = make_open_round(db, people, org_tree)
    rounds.submit(db, r.token, dict.fromkeys(THEME_IDS, 3))
    rounds.close(db, people["admin"], r.id)
    at = login(db, "tovholder")
    at.switch_page("pages/results.py").run()
    assert "For få svar (1): der skal mindst 5 til" in at.info[0].value
    assert not at.get("arrow_vega_lite_chart")


def test_results_page_explains_when_live_figures_move(db, org_tree, people):
    now = datetime.now()
    r, _ = rounds.create(db, people["admin"], org_tree["A1"], "Uden grupper", now - timedelta(hours=1),
                         now + timedelta(days=3))
    for i in range(5):
        rounds.submit(db, r.token, dict.fromkeys(THEME_IDS, 3), session_key=f"w{i}")
    at = login(db, "tovholder")
    at.switch_page("pages/results.py").run()
    assert not at.info  # five answers: released, nothing waiting
    rounds.submit(db, r.token, dict.fromkeys(THEME_IDS, 5), session_key="sixth")
    at.run()
    assert not at.exception
    assert "6 svar – tallene viser de første 5. De opdateres, når 4 flere har svaret" in at.info[0].value
    assert at.metric[0].value == "6"


def test_dashboard_for_manager(db, org_tree, people):
    r, _ = make_open_round(db, people, org_tree)
    for i in range(5):
        rounds.submit(db, r.token, dict.fromkeys(THEME_IDS, 4), session_key=f"d{i}")
    rounds.close(db, people["admin"], r.id)
    at = login(db, "leder")
    at.switch_page("pages/dashboard.py").run()
    assert not at.exception
    assert at.title[0].value == "Overblik over organisationen"


def test_dashboard_without_closed_rounds_says_so_instead_of_an_empty_compare_menu(db, org_tree, people):
    make_open_round(db, people, org_tree)  # open: not on the dashboard yet
    at = login(db, "leder")
    at.switch_page("pages/dashboard.py").run()
    assert not at.exception
    assert not at.multiselect  # nothing to pick from
    assert [i.value for i in at.info].count("Ingen runder med svar nok i perioden.") == 2  # compare and trend


def test_admin_pages_load(db, org_tree, people):
    at = login(db, "admin")
    for page in ("pages/admin_users.py", "pages/admin_org.py", "pages/admin_settings.py", "pages/guide.py"):
        at.switch_page(page).run()
        assert not at.exception, page


def test_facilitator_cannot_reach_another_departments_results_by_state(db, org_tree, people):
    now = datetime.now()
    other, _ = rounds.create(db, people["admin"], org_tree["B1"], "Hemmelig runde", now - timedelta(hours=1),
                             now + timedelta(days=1))
    for i in range(6):
        rounds.submit(db, other.token, dict.fromkeys(THEME_IDS, 4), session_key=f"state{i}")
    at = login(db, "tovholder")
    at.session_state["results_dept"] = org_tree["B1"]  # tampered widget state
    at.session_state["results_round"] = other.id
    at.switch_page("pages/results.py").run()
    assert not at.exception
    assert at.selectbox(key="results_dept").value in {org_tree["A"], org_tree["A1"], org_tree["A2"]}
    shown = " ".join(str(e.value) for e in [*at.markdown, *at.metric, *at.selectbox])
    assert "Hemmelig runde" not in shown and not at.get("arrow_vega_lite_chart")


def test_home_shows_each_role_its_next_step_with_a_link(db, org_tree, people):
    make_open_round(db, people, org_tree)
    facilitator = login(db, "tovholder")
    assert any(i.value.startswith("Du har en åben runde.") for i in facilitator.info)
    assert [el.proto.label for el in facilitator.main.get("page_link")] == ["Runder"]
    member = login(db, "medlem")
    assert [el.proto.label for el in member.main.get("page_link")] == ["Handleplan"]
    manager = login(db, "leder")
    assert [el.proto.label for el in manager.main.get("page_link")] == ["Overblik"]


def test_choices_survive_a_language_switch(db, org_tree, people):
    # Streamlit keeps a radio's choice as its label; after a language switch the choice must be
    # sent again in the new words, or the browser shows nothing chosen.
    at = login(db, "tovholder")
    at.switch_page("pages/meetings.py").run()
    at.radio(key="plan_kind").set_value("dialogue").run()
    at.radio(key="plan_decision").set_value("B").run()
    at.sidebar.segmented_control(key="lang").set_value("en").run()
    assert not at.exception
    kind, decision = at.radio(key="plan_kind").proto, at.radio(key="plan_decision").proto
    assert kind.set_value and kind.raw_value == "Dialogue meeting on several themes"
    assert decision.set_value and decision.raw_value.startswith("B: AMO, SU or MED")
    assert at.button(key="logout_button")  # buttons are left alone (they cannot be set)


def test_every_download_button_downloads_without_a_rerun():
    """A download click that also reruns the page can lose the reply to a file made on click:
    Chromium's button then spins forever (tests/e2e/test_journeys.py's PDF step, 1 in 2)."""
    import re

    calls = []
    for path in [*ROOT.glob("pages/*.py"), *ROOT.glob("servicetjek/**/*.py"), ROOT / "streamlit_app.py"]:
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"download_button\(", text):
            depth, end = 1, match.end()
            while depth:
                depth += {"(": 1, ")": -1}.get(text[end], 0)
                end += 1
            calls.append((path.name, text[match.start():end]))
    assert len(calls) >= 15
    assert [name for name, call in calls if 'on_click="ignore"' not in call] == []
