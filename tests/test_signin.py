"""Sign-in attacks from issue 12: throttling, sessions, first start (each reproduced first)."""

import threading
import time
from datetime import datetime, timedelta

import bcrypt
import pytest

from servicetjek import login_throttle, sessions, users
from servicetjek.errors import DomainError
from tests.conftest import PASSWORD

START = datetime(2026, 11, 27, 3, 0)


@pytest.fixture
def counted_bcrypt(monkeypatch):
    """Counts real password checks and the most that ran at the same time."""
    stats = {"calls": 0, "running": 0, "max_running": 0}
    lock = threading.Lock()
    real = bcrypt.checkpw

    def checkpw(password, hashed):
        with lock:
            stats["calls"] += 1
            stats["running"] += 1
            stats["max_running"] = max(stats["max_running"], stats["running"])
        try:
            time.sleep(0.01)  # long enough for concurrent callers to overlap if they could
            return real(password, hashed)
        finally:
            with lock:
                stats["running"] -= 1

    monkeypatch.setattr(bcrypt, "checkpw", checkpw)
    return stats


def guess_concurrently(db, n: int, client=lambda i: "one-client", username="ole") -> list[str]:
    outcomes = []
    barrier = threading.Barrier(n)

    def guess(i):
        barrier.wait()
        try:
            users.verify_login(db, username, f"wrong-guess-{i:03d}", client=client(i), now=START)
            outcomes.append("ok")
        except DomainError as error:
            outcomes.append(error.key)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return outcomes


def test_100_concurrent_guesses_from_one_client_get_only_the_free_checks(db, counted_bcrypt):
    users.create(db, "ole", "Ole", PASSWORD, "member")
    outcomes = guess_concurrently(db, 100)
    assert counted_bcrypt["calls"] == login_throttle.FREE_FAILURES  # was 95 of 100 before the fix
    assert outcomes.count("login.failed") == login_throttle.FREE_FAILURES
    assert outcomes.count("login.wait") == 100 - login_throttle.FREE_FAILURES


def test_100_concurrent_guesses_from_100_clients_then_captcha(db, counted_bcrypt):
    users.create(db, "ole", "Ole", PASSWORD, "member")
    outcomes = guess_concurrently(db, 100, client=lambda i: f"client-{i}")
    assert counted_bcrypt["calls"] == login_throttle.USERNAME_CAPTCHA_FAILURES
    assert outcomes.count("login.captcha_required") == 100 - login_throttle.USERNAME_CAPTCHA_FAILURES


def test_password_checks_run_one_at_a_time(db, counted_bcrypt):
    """Concurrent sign-ins never run bcrypt on both cores: rating traffic keeps one."""
    for i in range(6):
        users.create(db, f"user{i}", f"User {i}", PASSWORD, "member")
    barrier = threading.Barrier(6)

    def sign_in(i):
        barrier.wait()
        users.verify_login(db, f"user{i}", PASSWORD, client=f"c{i}", now=START)

    threads = [threading.Thread(target=sign_in, args=(i,)) for i in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert counted_bcrypt["calls"] == 6 and counted_bcrypt["max_running"] == 1


def test_a_strangers_failures_do_not_lock_out_the_real_user(db):
    users.create(db, "admin", "Anna", PASSWORD, "admin")
    for i in range(8):  # the stranger keeps trying, from their own address
        with pytest.raises(DomainError):
            users.verify_login(db, "admin", "wrong-password", client="stranger",
                               now=START + timedelta(minutes=i))
    # The real user, from her own machine: asked for a CAPTCHA, not refused ...
    with pytest.raises(DomainError, match="login.captcha_required"):
        users.verify_login(db, "admin", PASSWORD, client="anna-pc", now=START + timedelta(minutes=9))
    # ... and with it solved she is in, right away.
    user = users.verify_login(db, "admin", PASSWORD, client="anna-pc", captcha_solved=True,
                              now=START + timedelta(minutes=9))
    assert user.username == "admin"


def test_progressive_delay_applies_to_the_guessing_client_only(db):
    users.create(db, "ole", "Ole", PASSWORD, "member")
    for i in range(login_throttle.FREE_FAILURES):
        with pytest.raises(DomainError, match="login.failed"):
            users.verify_login(db, "ole", "wrong-password", client="guesser", now=START + timedelta(seconds=i))
    with pytest.raises(DomainError, match="login.wait") as waited:
        users.verify_login(db, "ole", PASSWORD, client="guesser", now=START + timedelta(seconds=3))
    assert waited.value.params["seconds"] > 0
    # After the wait the same client may try again; the wait doubles with each failure.
    later = START + timedelta(seconds=2) + login_throttle.FIRST_DELAY
    with pytest.raises(DomainError, match="login.failed"):
        users.verify_login(db, "ole", "wrong-password", client="guesser", now=later)
    with pytest.raises(DomainError, match="login.wait") as waited:
        users.verify_login(db, "ole", "wrong-password", client="guesser", now=later + login_throttle.FIRST_DELAY)
    assert waited.value.params["seconds"] == login_throttle.FIRST_DELAY.seconds
    # Another client is not slowed at all.
    assert users.verify_login(db, "ole", PASSWORD, client="ole-pc", now=later).username == "ole"
    # And everything expires with the window.
    assert users.verify_login(db, "ole", PASSWORD, client="guesser",
                              now=START + 2 * login_throttle.WINDOW).username == "ole"


def test_one_client_spraying_many_usernames_is_capped(db, counted_bcrypt):
    for i in range(login_throttle.CLIENT_MAX_FAILURES):
        with pytest.raises(DomainError, match="login.failed"):
            users.verify_login(db, f"nobody{i}", "password-spray-1", client="sprayer",
                               now=START + timedelta(seconds=i))
    with pytest.raises(DomainError, match="login.wait"):
        users.verify_login(db, "someone-else", "password-spray-1", client="sprayer", now=START + timedelta(minutes=1))
    assert counted_bcrypt["calls"] == login_throttle.CLIENT_MAX_FAILURES


def test_many_failures_overall_ask_everyone_for_a_captcha(db):
    users.create(db, "ole", "Ole", PASSWORD, "member")
    for i in range(login_throttle.GLOBAL_CAPTCHA_FAILURES):
        with pytest.raises(DomainError, match="login.failed"):
            users.verify_login(db, f"u{i}", "wrong-password", client=f"bot-{i}", now=START)
    with pytest.raises(DomainError, match="login.captcha_required"):
        users.verify_login(db, "ole", PASSWORD, client="ole-pc", now=START)
    assert users.verify_login(db, "ole", PASSWORD, client="ole-pc", captcha_solved=True, now=START)


def test_unknown_deactivated_and_known_usernames_cost_the_same(db, counted_bcrypt):
    users.create(db, "ole", "Ole", PASSWORD, "member")
    users.create(db, "gone", "Gone", PASSWORD, "member")
    users.update(db, "gone", "Gone", "member", [], active=False)
    for name, client in (("ole", "a"), ("nobody", "b"), ("gone", "c")):
        before = counted_bcrypt["calls"]
        with pytest.raises(DomainError, match="login.failed"):
            users.verify_login(db, name, "wrong-password", client=client, now=START)
        assert counted_bcrypt["calls"] == before + 1, name
    # The dummy hash that unknown names are checked against has the same cost as real ones.
    stored = db.query_one("SELECT password_hash FROM users WHERE username = 'ole'")[0]
    assert users._dummy_hash()[:7] == stored[:7]


def test_unknown_username_takes_as_long_as_a_known_one(db, monkeypatch):
    monkeypatch.setenv("SERVICETJEK_BCRYPT_ROUNDS", "9")  # ~30 ms: measurable, still cheap
    users.create(db, "ole", "Ole", PASSWORD, "member")

    def timed(name, i):
        started = time.perf_counter()
        with pytest.raises(DomainError):
            users.verify_login(db, name, "wrong-password", client=f"{name}-{i}", captcha_solved=True, now=START)
        return time.perf_counter() - started

    # Interleaved and compared by median: the machine is shared, single timings are noisy.
    known, unknown = [], []
    for i in range(9):
        known.append(timed("ole", i))
        unknown.append(timed(f"nobody{i}", i))
    known, unknown = sorted(known)[4], sorted(unknown)[4]
    assert 0.6 < unknown / known < 1 / 0.6  # was 48 ms vs 233 ms (0.2) before the fix


def test_captcha_text_check():
    text = login_throttle.new_captcha_text()
    assert len(text) == 5 and login_throttle.captcha_matches(text, f" {text.lower()} ")
    assert not login_throttle.captcha_matches(text, "")
    assert not login_throttle.captcha_matches(None, text)
    assert not login_throttle.captcha_matches(text, text + "X")


# --- revocable sessions ------------------------------------------------------------------

KEY = "test-cookie-key-" + "k" * 64


def signed_in(db, username="ole") -> str:
    """Sign in as the login form does; returns the cookie value the browser would keep."""
    user = users.verify_login(db, username, PASSWORD, client=f"{username}-pc")
    session_id = sessions.start(db, user.username)
    return sessions.to_cookie(session_id, KEY, sessions.expires_at(db, session_id))


def replay(db, cookie: str):
    return sessions.user_for(db, sessions.from_cookie(cookie, KEY))


@pytest.fixture
def ole(db):
    users.create(db, "admin", "Anna", PASSWORD, "admin")
    return users.create(db, "ole", "Ole", PASSWORD, "facilitator")


def test_a_session_cookie_signs_in_until_logout(db, ole):
    cookie = signed_in(db)
    assert replay(db, cookie).username == "ole"
    other_browser = signed_in(db)
    sessions.end(db, sessions.from_cookie(cookie, KEY))  # Log ud
    assert replay(db, cookie) is None  # was: still signed in after logging out
    assert replay(db, other_browser).username == "ole"  # logging out ends this browser's session only


def test_only_a_hash_of_the_session_id_is_stored(db, ole):
    session_id = sessions.from_cookie(signed_in(db), KEY)
    stored = db.query("SELECT * FROM sessions")
    assert stored and session_id not in repr(stored)


@pytest.mark.parametrize("change", ["admin reset", "own change", "deactivate", "deactivate+reactivate",
                                    "role change"])
def test_changes_to_the_user_end_every_session(db, ole, change):
    cookie = signed_in(db)
    if change == "admin reset":
        users.set_password(db, "ole", "a-brand-new-passphrase")
    elif change == "own change":
        users.change_own_password(db, "ole", PASSWORD, "a-brand-new-passphrase", client="ole-pc")
    elif change == "role change":
        users.update(db, "ole", "Ole", "member", [], True)
    else:
        users.update(db, "ole", "Ole", "facilitator", [], False)
        if change == "deactivate+reactivate":
            users.update(db, "ole", "Ole", "facilitator", [], True)
    assert replay(db, cookie) is None


def test_a_changed_name_or_departments_keep_the_session(db, ole):
    cookie = signed_in(db)
    users.update(db, "ole", "Ole Olsen", "facilitator", [], True)
    assert replay(db, cookie).name == "Ole Olsen"


def test_session_checks_do_not_trust_the_row_alone(db, ole):
    """Even if a row survived (e.g. a change made outside the app), role and password are compared."""
    cookie = signed_in(db)
    db.execute("UPDATE users SET role = 'admin' WHERE username = 'ole'")
    assert replay(db, cookie) is None
    cookie = signed_in(db)
    db.execute("UPDATE users SET password_hash = '$2b$04$changedchangedchangedchangedchangedchangedchangedchan'"
               " WHERE username = 'ole'")
    assert replay(db, cookie) is None


def test_sessions_expire(db, ole):
    session_id = sessions.start(db, "ole", now=START)
    assert sessions.user_for(db, session_id, now=START + sessions.LIFETIME - timedelta(minutes=1))
    assert sessions.user_for(db, session_id, now=START + sessions.LIFETIME) is None


def test_malformed_cookies_are_ignored(db, ole):
    import jwt

    session_id = sessions.from_cookie(signed_in(db), KEY)
    far = int(time.time()) + 3600
    hostile = [
        None, "", "garbage", "a.b.c", "æøå.æøå.æøå", "x" * 10_000, 12, b"bytes",
        jwt.encode({"sid": session_id, "exp": far}, KEY, algorithm="HS512"),  # another algorithm
        jwt.encode({"sid": session_id, "exp": far}, None, algorithm="none"),  # no signature at all
        jwt.encode({"sid": session_id, "exp": far}, "wrong-key-that-is-long-enough-for-hs256"),
        jwt.encode({"sid": session_id, "exp": int(time.time()) - 60}, KEY),  # expired
        jwt.encode({"sid": session_id}, KEY),  # no expiry
        jwt.encode({"username": "ole", "exp_date": far}, KEY),  # the old stateless cookie
        jwt.encode({"sid": ["not", "a", "string"], "exp": far}, KEY),
        jwt.encode({"sid": "made-up-session-id", "exp": far}, KEY),
    ]
    for value in hostile:
        assert replay(db, value) is None, value
    assert replay(db, jwt.encode({"sid": session_id, "exp": far}, KEY)).username == "ole"


# --- passwords -----------------------------------------------------------------------------

@pytest.mark.parametrize(("password", "key"), [
    ("aaaaaaaaaa", "password_short"),
    ("aaaaaaaaaaaaaaaa", "password_simple"),
    ("abababababababab", "password_simple"),
    ("Password12345", "password_common"),
    ("Sommer2026!!!", "password_common"),
    ("1234567890123", "password_common"),
    ("ole-er-den-bedste", "password_common"),  # contains the username
])
def test_weak_passwords_are_refused_with_a_reason(db, password, key):
    with pytest.raises(DomainError, match=key):
        users.create(db, "ole", "Ole", password, "member")


def test_own_password_change_needs_the_current_password(db, ole):
    with pytest.raises(DomainError, match="login.failed"):
        users.change_own_password(db, "ole", "not-my-password", "a-brand-new-passphrase", client="x")
    with pytest.raises(DomainError, match="password_simple"):
        users.change_own_password(db, "ole", PASSWORD, "aaaaaaaaaaaaaaa", client="x")
    users.change_own_password(db, "ole", PASSWORD, "a-brand-new-passphrase", client="x")
    assert users.verify_login(db, "ole", "a-brand-new-passphrase", client="x").username == "ole"


# --- first start ---------------------------------------------------------------------------

def test_first_admin_needs_the_setup_code(db):
    code = users.new_setup_code(db)
    with pytest.raises(DomainError, match="code_wrong"):
        users.create_first_admin(db, "anna", "Anna", PASSWORD, "")
    with pytest.raises(DomainError, match="code_wrong"):
        users.create_first_admin(db, "anna", "Anna", PASSWORD, "0000-0000-0000-0000")
    users.create_first_admin(db, "anna", "Anna", PASSWORD, f" {code.lower()} ")
    assert users.get(db, "anna").role == "admin"
    assert "setup_code_hash" not in {r[0] for r in db.query("SELECT key FROM settings")}  # spent
    assert users.new_setup_code(db) is None  # no new code once there is a user


def test_setup_code_is_stored_hashed_and_replaced_at_each_start(db):
    first = users.new_setup_code(db)
    second = users.new_setup_code(db)
    stored = repr(db.query("SELECT * FROM settings"))
    assert first.replace("-", "") not in stored and second.replace("-", "") not in stored
    with pytest.raises(DomainError, match="code_wrong"):
        users.create_first_admin(db, "anna", "Anna", PASSWORD, first)


def test_five_simultaneous_first_admin_forms_create_one_admin(db):
    code = users.new_setup_code(db)
    barrier = threading.Barrier(5)
    outcomes = []

    def submit(i):
        barrier.wait()
        try:
            users.create_first_admin(db, f"admin{i}", f"Admin {i}", PASSWORD, code)
            outcomes.append("created")
        except DomainError as error:
            outcomes.append(error.key)

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(5)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert users.count(db) == 1  # was 5 before the fix
    assert sorted(outcomes) == ["created"] + ["users.first_admin_done"] * 4


def test_no_ip_address_is_stored_for_throttling(db):
    with pytest.raises(DomainError):
        users.verify_login(db, "ole", "wrong-password", client="ip:203.0.113.77", now=START)
    assert "203.0.113.77" not in repr(db.query("SELECT * FROM login_attempts"))
