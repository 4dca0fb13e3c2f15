"""One answer per phone means it (issue 13): the front's random browser cookie, not the
Streamlit session, decides whether a browser has answered an open-link round. A reload
gives a new Streamlit session; the cookie stays. The Chromium journeys are in
tests/e2e/test_phone_once_browser.py.
"""

from __future__ import annotations

import asyncio
import secrets

import pytest

from servicetjek import front, rounds
from servicetjek.rounds import SubmissionRefused
from servicetjek.ui import rating
from tests.test_pages import answer_all, make_open_round, rating_app

GOOD = dict.fromkeys(rounds.THEME_IDS, 4)


def test_two_sessions_of_one_browser_cannot_both_answer(db, org_tree, people):
    r, _ = make_open_round(db, people, org_tree)
    cookie = secrets.token_hex(16)
    first = rounds.answer_key(r, cookie, session_key="session-1")
    after_reload = rounds.answer_key(r, cookie, session_key="session-2")
    rounds.submit(db, r.token, GOOD, session_key=first)
    assert rounds.already_answered(r.token, after_reload)
    with pytest.raises(SubmissionRefused, match="already_answered"):
        rounds.submit(db, r.token, GOOD, session_key=after_reload)
    other_browser = rounds.answer_key(r, secrets.token_hex(16), session_key="session-3")
    rounds.submit(db, r.token, GOOD, session_key=other_browser)
    assert rounds.response_count(db, r.id) == 2


def test_a_malformed_cookie_falls_back_to_the_session(db, org_tree, people):
    r, _ = make_open_round(db, people, org_tree)
    for bad in (None, "", "x" * 32, "ABC", "0" * 31, "0" * 33):
        assert rounds.answer_key(r, bad, session_key="s") == "s"


def test_code_rounds_are_limited_by_codes_not_by_the_browser(db, org_tree, people):
    """A shared computer in the break room can take several people's codes."""
    r, codes = make_open_round(db, people, org_tree, access_mode="codes", code_count=2)
    cookie = secrets.token_hex(16)
    rounds.submit(db, r.token, GOOD, code=codes[0], session_key=rounds.answer_key(r, cookie, "session-1"))
    rounds.submit(db, r.token, GOOD, code=codes[1], session_key=rounds.answer_key(r, cookie, "session-2"))
    assert rounds.response_count(db, r.id) == 2


def test_a_reload_of_an_answered_browser_shows_already_answered_not_the_form(db, org_tree, people, monkeypatch):
    r, _ = make_open_round(db, people, org_tree)
    cookie = secrets.token_hex(16)
    monkeypatch.setattr(rating, "browser_cookie", lambda: cookie)
    at = rating_app(r.token)
    answer_all(at)
    at.button[0].click().run()
    assert at.success[0].value.startswith("## Tak for dine svar\n")
    reloaded = rating_app(r.token)  # a reload is a new Streamlit session with the same cookie
    assert not reloaded.exception
    assert len(reloaded.radio) == 0 and not reloaded.button
    assert "Du har allerede svaret" in reloaded.warning[0].value
    assert reloaded.markdown[0].value.startswith(f"[In English](?r={r.token}&lang=en) "
                                                 "[Tilgængelighed](accessibility?lang=da)\n\n## ")
    monkeypatch.setattr(rating, "browser_cookie", lambda: secrets.token_hex(16))
    assert len(rating_app(r.token).radio) == 6  # another browser still answers
    assert rounds.response_count(db, r.id) == 1


def test_the_form_says_what_is_enforced(db, org_tree, people):
    r, _ = make_open_round(db, people, org_tree)
    at = rating_app(r.token)
    assert "Ét svar pr. browser" in at.info[0].value


# --- the front sets the cookie -------------------------------------------------------------


def shell_response(headers: list[tuple[bytes, bytes]], content_type: bytes = b"text/html") -> list:
    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", content_type)]})
        await send({"type": "http.response.body", "body": b""})

    sent = []

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "path": "/", "headers": [(b"host", b"localhost"), *headers]}
    asyncio.run(front.FrontMiddleware(app, ["localhost"])(scope, None, send))
    return [v.decode() for k, v in sent[0]["headers"] if k == b"set-cookie"]


def test_middleware_sets_a_random_httponly_cookie_on_the_shell_when_absent():
    first, second = shell_response([])[0], shell_response([])[0]
    assert first != second
    value = first.split(";")[0].split("=", 1)[1]
    assert first.startswith("stk_b=") and len(value) == 32 and int(value, 16) >= 0
    assert "HttpOnly" in first and "SameSite=Lax" in first and "Max-Age=31536000" in first
    assert "Secure" not in first
    assert "Secure" in shell_response([(b"x-forwarded-proto", b"https")])[0]
    assert shell_response([(b"cookie", f"a=1; stk_b={value}".encode())]) == []  # kept, not renewed
    assert shell_response([(b"cookie", b"stk_b=forged")])  # malformed: replaced
    assert shell_response([], b"application/javascript") == []  # only documents


def test_nginx_config_sets_the_cookie_only_on_the_shell_when_absent(tmp_path):
    config = front.nginx_config(listen="127.0.0.1", port=1, upstream_ports=[2], cache=tmp_path, run_dir=tmp_path,
                                hosts=["localhost"])
    assert 'map $cookie_stk_b $browser_cookie' in config
    assert '"~^[0-9a-f]{32}$" "";' in config
    assert "stk_b=$request_id; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax\"" in config
    shell = config.split("location = / {", 1)[1].split("}", 1)[0]
    assert "add_header Set-Cookie $browser_cookie always;" in shell
    tls = front.nginx_config(listen="127.0.0.1", port=1, upstream_ports=[2], cache=tmp_path, run_dir=tmp_path,
                             hosts=["localhost"], tls=("c", "k"))
    assert "SameSite=Lax; Secure\"" in tls
