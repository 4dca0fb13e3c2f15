"""Helpers every page uses: language, the signed-in user, clear error messages."""

from __future__ import annotations

import html
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


def page_style() -> str:
    """The page's language for the shell's script (--page-lang): it sets <html lang>, the date
    picker's locale and Streamlit's own words (shell_words.py). The style sheet itself comes
    with the shell (servicetjek.shell_style)."""
    return f'<style>:root {{ --page-lang: "{lang()}"; }}</style>'


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
    labels = org.menu_labels(departments)
    chosen = st.selectbox(T(label_key), [d.id for d in options], format_func=labels.get, key=key)
    whole_choice(labels.get(chosen), key)
    return chosen


# A phone's select box shows about this many characters of its choice.
PHONE_SELECT_CHARS = 34


def whole_choice(label: str | None, key: str) -> None:
    """Under a select box: its whole choice, on a phone only, where the box cuts a long one."""
    if label and len(label) > PHONE_SELECT_CHARS:
        st.container(key=f"whole-choice-{key}").caption(md(label))


def base_url() -> str:
    """Where rating and board links point: SERVICETJEK_BASE_URL, else the address in use."""
    configured = os.environ.get("SERVICETJEK_BASE_URL")
    if configured:
        return configured.rstrip("/")
    url = getattr(st.context, "url", None) or "http://localhost:8501"
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def method_numbers() -> dict:
    """The method's numbers for UI texts that mention them (content is their one source)."""
    from servicetjek import trials
    from servicetjek.content import load

    rhythm = trials.method_rhythm()
    book = load().single
    return {"weeks": rhythm.weeks, "checkins": f" {T('common.and')} ".join(map(str, rhythm.checkin_weeks)),
            "minutes": max(s.per_participant or 0 for s in book.steps), "size": load().dialogue.table_size}


def Tmd(key: str, **values) -> str:
    """A UI string for a Markdown place (caption, label, message) with user values made inert.

    The UI strings are ours and may use Markdown; a value filled in (a name, a title) is
    user text and goes through `md`, so it can never become a link, image or heading.
    """
    return T(key, **{k: md(v) if isinstance(v, str) else v for k, v in values.items()})


def suppressed_note(n: int, k: int) -> None:
    st.info(T("results.too_few", n=n, k=k), icon=":material/visibility_off:")


# Cells wrap onto more lines instead of being cut; on a narrow screen the table scrolls
# sideways inside a region that the keyboard can reach and a screen reader names.
_TABLE_STYLE = """<style>
.plain-table { overflow-x: auto; }
.plain-table:focus-visible { outline: 2px solid #1f6f8b; }
.plain-table table { border-collapse: collapse; width: 100%; min-width: 52rem; font-size: 0.9rem; }
.plain-table th, .plain-table td { text-align: left; vertical-align: top; padding: 0.4rem 0.35rem;
  border-bottom: 1px solid #d5d7dd; overflow-wrap: break-word; }
.plain-table th { font-weight: 600; background: #f3f4f6; }
</style>"""


def plain_table(header: list[str], rows: list[list], label: str) -> None:
    """A real <table> whose cells wrap (a data grid cuts them: "Gjort perma…"). Every cell is
    escaped, so user text stays text."""
    head = "".join(f'<th scope="col">{html.escape(str(h))}</th>' for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape('' if v is None else str(v))}</td>" for v in row) + "</tr>"
                   for row in rows)
    st.html(f'{_TABLE_STYLE}<div class="plain-table" role="region" tabindex="0" aria-label="{html.escape(label)}">'
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>")
