"""AppTest of sign-in, sign-out, password change and first start (issue 12)."""

from streamlit.testing.v1 import AppTest

from servicetjek import login_throttle, sessions, users
from tests.conftest import PASSWORD
from tests.test_pages import APP, login


def app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=30)


def test_first_admin_form_refuses_a_wrong_setup_code(db):
    users.new_setup_code(db)
    at = app().run()
    assert not [t for t in at.text_input if t.value and "-" in str(t.value)]  # the code is shown nowhere
    at.text_input(key="fa_code").input("1234-5678-9ABC-DEF0")
    at.text_input(key="fa_name").input("Mallory")
    at.text_input(key="fa_username").input("mallory")
    at.text_input(key="fa_password").input(PASSWORD)
    at.text_input(key="fa_repeat").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    assert "Opsætningskoden passer ikke" in at.error[0].value and users.count(db) == 0


def test_sign_in_creates_a_session_and_logout_ends_it(db, people):
    at = login(db, "tovholder")
    session_id = at.session_state["_sid"]
    assert sessions.user_for(db, session_id).username == "tovholder"
    at.sidebar.button(key="logout_button").click().run()
    assert not at.exception and not at.session_state["authentication_status"]
    assert sessions.user_for(db, session_id) is None
    assert db.query_one("SELECT count(*) FROM sessions")[0] == 0


def test_an_admin_reset_signs_the_open_browser_out(db, people):
    at = login(db, "tovholder")
    users.set_password(db, "tovholder", "a-brand-new-passphrase")
    at.run()
    assert not at.exception and not at.session_state["authentication_status"]
    assert "Du er logget ud, fordi din adgangskode" in at.warning[0].value


def test_role_change_signs_out_and_menu_follows(db, people):
    at = login(db, "tovholder")
    users.update(db, "tovholder", "Tina", "member", [], True)
    at.run()
    assert not at.session_state["authentication_status"]


def test_after_a_strangers_failures_the_form_asks_for_a_captcha_and_lets_the_user_in(db, people):
    for i in range(login_throttle.USERNAME_CAPTCHA_FAILURES):  # from somewhere else
        try:
            users.verify_login(db, "admin", f"wrong-guess-{i}", client=f"ip:203.0.113.{i}")
        except Exception:  # noqa: BLE001 - failures are the point
            pass
    at = app().run()
    at.switch_page("pages/login.py").run()
    at.text_input(key="login_username").input("admin")
    at.text_input(key="login_password").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception and not at.session_state["authentication_status"]
    assert "Skriv tegnene fra billedet" in at.error[0].value and at.image
    # A wrong answer does not get through, and the challenge changes.
    first = at.session_state["_captcha"]
    at.text_input(key="login_captcha").input("WRONG")
    at.button[0].click().run()
    assert not at.session_state["authentication_status"] and at.session_state["_captcha"] != first
    at.text_input(key="login_captcha").input(at.session_state["_captcha"].lower())
    at.button[0].click().run()
    assert not at.exception and at.session_state["authentication_status"]
    assert at.session_state["username"] == "admin"


def test_user_changes_own_password(db, people):
    at = login(db, "tovholder")
    old_session = at.session_state["_sid"]
    at.switch_page("pages/account.py").run()
    assert not at.exception and at.title[0].value == "Skift adgangskode"
    at.text_input(key="pw_current").input(PASSWORD)
    at.text_input(key="pw_new").input("aaaaaaaaaa")
    at.text_input(key="pw_repeat").input("aaaaaaaaaa")
    at.button[0].click().run()
    assert "mindst 12 tegn" in at.error[0].value
    at.text_input(key="pw_new").input("aaaaaaaaaaaaaaaa")
    at.text_input(key="pw_repeat").input("aaaaaaaaaaaaaaaa")
    at.button[0].click().run()
    assert "ensformig" in at.error[0].value
    at.text_input(key="pw_new").input("blå-kaffekop-på-cykelsti")
    at.text_input(key="pw_repeat").input("blå-kaffekop-på-cykelsti")
    at.button[0].click().run()
    assert not at.exception and "skiftet" in at.success[0].value
    assert at.session_state["authentication_status"]  # this browser stays signed in ...
    assert at.session_state["_sid"] != old_session and sessions.user_for(db, old_session) is None  # ... anew
    assert users.verify_login(db, "tovholder", "blå-kaffekop-på-cykelsti", client="x").username == "tovholder"


def test_account_page_is_in_every_signed_in_menu(db, people):
    at = login(db, "medlem")
    at.switch_page("pages/account.py").run()
    assert not at.exception and at.text_input(key="pw_current")
