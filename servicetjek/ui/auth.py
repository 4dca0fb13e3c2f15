"""Sign-in form, server-side session cookie and password change (issue 12).

The rules live in servicetjek.users (throttling, passwords) and servicetjek.sessions
(revocable sessions); this module only moves values between them and the browser. The
cookie carries a signed session id and is read from the request (`st.context.cookies`);
writing or deleting it needs a small browser component (extra-streamlit-components'
cookie manager, called directly: its wrapper class adds an unsafe-HTML style block and a
second frame on every run).
"""

from __future__ import annotations

import io
from datetime import UTC

import streamlit as st
from extra_streamlit_components.CookieManager import _component_func as _cookie_frame
from streamlit.errors import StreamlitSecretNotFoundError

from servicetjek import login_throttle, sessions, settings, sso, users
from servicetjek.errors import DomainError
from servicetjek.ui.client import client_id
from servicetjek.ui.common import T, db, md, show_error

COOKIE_NAME = "servicetjek_auth"
STATE_KEYS = ("username", "name", "authentication_status")


def _secret_cookie_key() -> str | None:
    try:
        return st.secrets.get("cookie_key")
    except (FileNotFoundError, KeyError, AttributeError, StreamlitSecretNotFoundError):  # no secrets.toml
        return None


def _cookie_key() -> str:
    return settings.cookie_key(db(), _secret_cookie_key())


def _cookie_component() -> None:
    """Write or delete the browser cookie, as decided in this session (kept on every run so
    the component's element stays the same and surely runs once)."""
    action = st.session_state.get("_cookie_action")
    if action is None:
        return
    # The component's zero-height frame would still take a row of space.
    st.html("<style>[data-testid='stElementContainer']:has(iframe[height='0']) {display: none}</style>")
    if action[0] == "set":
        options = {"path": "/", "expires": action[2].replace(tzinfo=UTC).isoformat(), "sameSite": "strict"}
        _cookie_frame(method="set", cookie=COOKIE_NAME, value=action[1], options=options, key="cookie_set",
                      default=False)
    else:
        _cookie_frame(method="delete", cookie=COOKIE_NAME, key="cookie_delete", default=False)


def _clear(reason: str | None = None) -> None:
    state = st.session_state
    state["_sid"] = None
    for key in STATE_KEYS:
        state[key] = None
    state["_cookie_action"] = ("delete",)
    if reason:
        state["_signed_out_reason"] = reason


def _start_session(user: users.User) -> None:
    session_id = sessions.start(db(), user.username)
    expires = sessions.expires_at(db(), session_id)
    st.session_state.update(_sid=session_id, username=user.username, name=user.name, authentication_status=True,
                            _cookie_action=("set", sessions.to_cookie(session_id, _cookie_key(), expires),
                                            expires))


def _sso_user() -> users.User | None:
    """The invited, active account behind Streamlit's OIDC identity (st.user), on every run."""
    state = st.session_state
    state["_sso_refused"] = None
    if not st.user.get("is_logged_in", False):  # the key is missing when [auth] is not configured
        return None
    try:
        user = sso.sign_in(db(), st.user.get("iss"), st.user.get("sub"), st.user.get("email"),
                           st.user.get("email_verified"))
    except DomainError as error:
        state["_sso_refused"] = error
        return None
    identity = sessions.sso_identity(st.user.get("iss"), st.user.get("sub"), st.user.get("iat"))
    if not sessions.sso_counts(db(), user.username, identity, st.user.get("iat")):
        state["_sso_refused"] = DomainError("sso.session_ended")  # logged out, or older than a day
        return None
    state.update(username=user.username, name=user.name, authentication_status=True, _sso_identity=identity)
    return user


def resolve_user() -> users.User | None:
    """The signed-in user, if this browser's session still counts (checked on every run)."""
    state = st.session_state
    for key in STATE_KEYS:
        if key not in state:
            state[key] = None
    if settings.signin_mode() == "sso":
        user = _sso_user()
        if user is None:
            for key in STATE_KEYS:
                state[key] = None
        return user
    session_id = state.get("_sid")
    from_browser = session_id is None and state.get("_cookie_action") is None
    if from_browser:  # a new page load: the cookie sent with the request
        value = st.context.cookies.get(COOKIE_NAME)
        session_id = sessions.from_cookie(value, _cookie_key())
        if value and session_id is None:
            state["_cookie_action"] = ("delete",)  # forged, expired or malformed: forget it
    user = sessions.user_for(db(), session_id)
    if user is None and session_id:
        _clear(None if from_browser else "login.session_ended")
    elif user is not None:
        state.update(_sid=session_id, username=user.username, name=user.name, authentication_status=True)
    _cookie_component()
    return user


def _captcha_image(text: str) -> bytes:
    from captcha.image import ImageCaptcha

    buffer = io.BytesIO()
    ImageCaptcha(width=240, height=80).write(text, buffer, format="png")
    return buffer.getvalue()


def _answer_captcha() -> bool:
    """Check the typed CAPTCHA; every challenge is good for one submission only."""
    state = st.session_state
    challenge = state.pop("_captcha", None)
    solved = login_throttle.captcha_matches(challenge, state.get("login_captcha"))
    state["login_captcha"] = ""
    return solved


def _sign_in() -> None:
    """on_click of the sign-in button: runs before the page draws, so the menu is right at once."""
    state = st.session_state
    had_captcha = "_captcha" in state
    try:
        user = users.verify_login(db(), state.get("login_username", ""), state.get("login_password", ""),
                                  client=client_id(), captcha_solved=_answer_captcha())
    except DomainError as error:
        state["_login_error"] = error
        if error.key == "login.captcha_required" or had_captcha:
            state["_captcha"] = login_throttle.new_captcha_text()
        return
    state["login_password"] = ""
    _start_session(user)


def signed_out_notice() -> None:
    """Tell someone whose session just ended why (on whatever page they are), or that the
    organisation's sign-in worked but nobody has invited them."""
    reason = st.session_state.pop("_signed_out_reason", None)
    if reason:
        st.warning(T(reason), icon=":material/logout:")
    refused = st.session_state.get("_sso_refused")
    if refused is not None and refused.key == "sso.session_ended":
        st.warning(T(refused.key), icon=":material/logout:")
        if st.button(T("sso.login"), type="primary", icon=":material/login:", key="sso_login_again"):
            st.login()  # a new sign-in at the provider, which also asks whether it still knows them
    elif refused is not None:
        st.warning(T(refused.key, email=md(st.user.get("email") or "–")), icon=":material/person_off:")
        if st.sidebar.button(T("login.logout"), key="sso_refused_logout", icon=":material/logout:", width="stretch"):
            st.logout()


def _sso_configured() -> bool:
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, StreamlitSecretNotFoundError):
        return False


def sso_login_button() -> None:
    if not _sso_configured():  # the operator's mistake: say what is missing instead of crashing
        st.error(T("sso.not_configured"), icon=":material/error:")
        return
    st.write(T("sso.intro"))
    if st.button(T("sso.login"), type="primary", icon=":material/login:", key="sso_login"):
        st.login()


def login_form() -> None:
    captcha = st.session_state.get("_captcha")
    with st.form("login"):
        st.subheader(T("login.title"))
        st.text_input(T("login.username"), key="login_username", autocomplete="username")
        st.text_input(T("login.password"), type="password", key="login_password", autocomplete="current-password")
        if captcha:
            st.image(_captcha_image(captcha), caption=T("login.captcha_help"))
            st.text_input(T("login.captcha"), key="login_captcha", autocomplete="off")
        st.form_submit_button(T("login.submit"), type="primary", width="stretch", on_click=_sign_in)
    error = st.session_state.pop("_login_error", None)
    if error is not None:
        show_error(error)


def _sign_out() -> None:
    sessions.end(db(), st.session_state.get("_sid"))
    _clear()


def logout_button() -> None:
    if settings.signin_mode() == "sso":
        # Streamlit's own identity cookie ends here (and at the provider, if it offers that).
        if st.sidebar.button(T("login.logout"), key="logout_button", icon=":material/logout:", width="stretch"):
            sessions.end_sso(db(), st.session_state.get("_sso_identity") or "")
            st.logout()
        return
    st.sidebar.button(T("login.logout"), key="logout_button", icon=":material/logout:", width="stretch",
                      on_click=_sign_out)


def _change_password() -> None:
    state = st.session_state
    if state.get("pw_new") != state.get("pw_repeat"):
        state["_password_message"] = ("error", DomainError("users.password_mismatch"))
        return
    try:
        users.change_own_password(db(), state["username"], state.get("pw_current", ""), state.get("pw_new", ""),
                                  client=client_id(), captcha_solved=_answer_captcha())
    except DomainError as error:
        state["_password_message"] = ("error", error)
        if error.key == "login.captcha_required":
            state["_captcha"] = login_throttle.new_captcha_text()
        return
    for key in ("pw_current", "pw_new", "pw_repeat"):
        state[key] = ""
    # Every session of this user has ended, this one too: this browser gets a new one.
    _start_session(users.get(db(), state["username"]))
    state["_password_message"] = ("success", DomainError("users.password_changed"))


def change_password_form() -> None:
    """The signed-in user's own password change (the page script calls this)."""
    captcha = st.session_state.get("_captcha")
    with st.form("change_password"):
        st.text_input(T("users.current_password"), type="password", key="pw_current",
                      autocomplete="current-password")
        st.text_input(T("users.new_password"), type="password", key="pw_new", autocomplete="new-password",
                      help=T("users.password_help", n=users.MIN_PASSWORD))
        st.text_input(T("users.password_repeat"), type="password", key="pw_repeat", autocomplete="new-password")
        if captcha:
            st.image(_captcha_image(captcha), caption=T("login.captcha_help"))
            st.text_input(T("login.captcha"), key="login_captcha", autocomplete="off")
        st.form_submit_button(T("users.change_password"), type="primary", on_click=_change_password)
    message = st.session_state.pop("_password_message", None)
    if message is not None:
        kind, error = message
        if kind == "error":
            show_error(error)
        else:
            st.success(T(error.key), icon=":material/check:")
