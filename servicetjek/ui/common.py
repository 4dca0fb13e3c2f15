"""Helpers every page uses: language, the signed-in user, clear error messages."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import streamlit as st

from servicetjek import access, org, users
from servicetjek.db import Database, get_db
from servicetjek.errors import DomainError
from servicetjek.i18n import Message, normalise_lang, t
from servicetjek.text import markdown as md  # the one way user text enters Markdown


def lang() -> str:
    return normalise_lang(st.session_state.get("lang"))


def keep_choices_across_languages() -> None:
    """on_change of the language switch.

    Streamlit remembers a radio's or menu's choice by its label, and the labels have just
    changed language: writing every choice back makes Streamlit send it again in the new
    words instead of losing it.
    """
    for key in list(st.session_state.keys()):
        value = st.session_state[key]
        # Buttons and downloads (bool) cannot be set and hold no choice; toggles need no label.
        if key != "lang" and not str(key).startswith(("_", "FormSubmitter")) and not isinstance(value, bool):
            st.session_state[key] = value


def secrets_section(name: str) -> dict:
    """A table of .streamlit/secrets.toml (e.g. [backup]) as a dict; empty without the file."""
    from streamlit.errors import StreamlitSecretNotFoundError

    try:
        return dict(st.secrets.get(name, {}))
    except (FileNotFoundError, KeyError, AttributeError, TypeError, ValueError, StreamlitSecretNotFoundError):
        return {}


def T(key: str, **values) -> str:
    return t(key, lang(), **values)


def db() -> Database:
    return get_db()


def current_user() -> users.User | None:
    """The signed-in user, re-read from the database on every run (deactivation is immediate)."""
    return users.active_user(db(), st.session_state.get("username")) if st.session_state.get(
        "authentication_status") else None


def show_error(error: DomainError) -> None:
    # A value that is itself a UI string (e.g. a status) is shown in words, never as its key;
    # any other text value may come from a user and is made inert.
    params = {k: T(v.key, **v.params) if isinstance(v, Message) else md(v) if isinstance(v, str) else v
              for k, v in error.params.items()}
    st.error(T(error.key, **params), icon=":material/error:")


def require(action: str) -> users.User:
    """Stop the page unless the signed-in user's role has `action` somewhere."""
    user = current_user()
    if not access.has_capability(user, action):
        st.error(T("access.denied"), icon=":material/block:")
        st.stop()
    return user


def department_picker(user: users.User, action: str, label_key: str, key: str) -> int | None:
    """A select box of the departments the user may use for `action` (indented tree order)."""
    departments = org.all_departments(db(), include_archived=False)
    allowed = access.allowed_departments(user, action, departments)
    options = [d for d, _depth in org.ordered_tree(departments) if d.id in allowed]
    if not options:
        st.info(T("common.no_departments"), icon=":material/info:")
        return None
    paths = org.paths(departments)
    return st.selectbox(T(label_key), [d.id for d in options], format_func=paths.get, key=key)


def base_url() -> str:
    """Where rating and board links point: SERVICETJEK_BASE_URL, else the address in use."""
    configured = os.environ.get("SERVICETJEK_BASE_URL")
    if configured:
        return configured.rstrip("/")
    url = getattr(st.context, "url", None) or "http://localhost:8501"
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def Tmd(key: str, **values) -> str:
    """A UI string for a Markdown place (caption, label, message) with user values made inert.

    The UI strings are ours and may use Markdown; a value filled in (a name, a title) is
    user text and goes through `md`, so it can never become a link, image or heading.
    """
    return T(key, **{k: md(v) if isinstance(v, str) else v for k, v in values.items()})


def suppressed_note(n: int, k: int) -> None:
    st.info(T("results.too_few", n=n, k=k), icon=":material/visibility_off:")
