"""Sign-in with streamlit-authenticator for the cookie, our own checks for everything else.

The authenticator gives us the signed re-login cookie. We draw our own login form so
that failed attempts are throttled per username in a time window (the library's own
counter locks a user out for good), and we re-check on every run that the user still
exists and is active, because its cookie cannot be revoked.
"""

from __future__ import annotations

import streamlit as st
import streamlit_authenticator as stauth
from streamlit.errors import StreamlitSecretNotFoundError
from streamlit_authenticator.utilities.exceptions import LoginError

from servicetjek import settings, users
from servicetjek.errors import DomainError
from servicetjek.ui.common import T, db, show_error

COOKIE_NAME = "servicetjek_auth"


def _secret_cookie_key() -> str | None:
    try:
        return st.secrets.get("cookie_key")
    except (FileNotFoundError, KeyError, AttributeError, StreamlitSecretNotFoundError):  # no secrets.toml
        return None


def authenticator() -> stauth.Authenticate:
    """A fresh authenticator per run: it mutates the credentials dict it is given."""
    return stauth.Authenticate(
        users.credentials(db()),
        cookie_name=COOKIE_NAME,
        cookie_key=settings.cookie_key(db(), _secret_cookie_key()),
        cookie_expiry_days=settings.COOKIE_EXPIRY_DAYS,
        auto_hash=False,
        login_sleep_time=0,  # we never need the library's wait: cookies come from the request
    )


def _sign_out(auth: stauth.Authenticate) -> None:
    auth.cookie_controller.delete_cookie()
    for key in ("name", "username", "authentication_status", "roles", "email"):
        st.session_state[key] = None
    st.session_state["logout"] = True


def resolve_user() -> users.User | None:
    """Restore a session from the cookie and return the active user, if any."""
    auth = authenticator()
    st.session_state["_authenticator"] = auth
    if st.session_state.pop("_set_cookie", False):
        auth.cookie_controller.set_cookie()
    if not st.session_state.get("authentication_status"):
        try:
            auth.login(location="unrendered")
        except LoginError:  # cookie for a user who is gone or deactivated
            _sign_out(auth)
    username = st.session_state.get("username") if st.session_state.get("authentication_status") else None
    user = users.active_user(db(), username)
    if username and user is None:
        _sign_out(auth)
        st.session_state["_signed_out_reason"] = "login.deactivated"
    return user


def login_form() -> None:
    reason = st.session_state.pop("_signed_out_reason", None)
    if reason:
        st.warning(T(reason), icon=":material/logout:")
    with st.form("login"):
        st.subheader(T("login.title"))
        username = st.text_input(T("login.username"), key="login_username", autocomplete="username")
        password = st.text_input(T("login.password"), type="password", key="login_password",
                                 autocomplete="current-password")
        submitted = st.form_submit_button(T("login.submit"), type="primary", width="stretch")
    if submitted:
        try:
            user = users.verify_login(db(), username, password)
        except DomainError as error:
            show_error(error)
            return
        st.session_state.update(username=user.username, name=user.name, authentication_status=True,
                                roles=[user.role], logout=False, _set_cookie=True)
        st.rerun()


def logout_button() -> None:
    auth = st.session_state.get("_authenticator")
    if st.sidebar.button(T("login.logout"), key="logout_button", icon=":material/logout:", width="stretch"):
        if auth is not None:
            _sign_out(auth)
        st.rerun()
