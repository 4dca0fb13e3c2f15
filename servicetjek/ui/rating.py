"""The anonymous rating form, opened from a round's link or QR code.

Drawn by the frame directly, without st.navigation: a whole staff meeting opens this
link at once, and every element and message counts (docs/benchmarks.md). So do the bytes
each phone downloads: no Material icons (a 375 KB font), no italics (a 138 KB font) and no
HTML in Markdown (a 188 KB parser) on this page; tests/e2e/test_front_browser.py checks it.
"""

import secrets
import time
from urllib.parse import quote

import streamlit as st

from servicetjek import org, priority, rounds, settings
from servicetjek.content import THEME_IDS, load
from servicetjek.errors import StorageFull
from servicetjek.front import BROWSER_COOKIE
from servicetjek.ui.client import client_id
from servicetjek.ui.common import T, db, lang, md


def links(token: str | None) -> str:
    """The language link and the accessibility statement, as Markdown: plain links, not widgets.
    The token comes from the address, so it is quoted: a refused link may hold anything."""
    other = "en" if lang() == "da" else "da"
    return (f"[{T('rate.other_language')}](?r={quote(token or '', safe='')}&lang={other}) "
            f"[{T('rate.accessibility')}](accessibility?lang={lang()})")


def refusal(error: rounds.SubmissionRefused, token: str | None) -> None:
    """As the form's heading: the links and the title (a level-2 heading) in one element, then why."""
    st.markdown(f"{links(token)}\n\n## {T('rate.title')}")
    st.warning(T(error.key, **error.params))


def receipt(workshop: bool) -> None:
    # One element (every element is a websocket message, and a burst draws this 200 times):
    # the thanks as the heading, then what happens next and the public guide in the same language.
    st.success(f"## {T('rate.thanks_title')}\n\n{T('rate.thanks_workshop' if workshop else 'rate.thanks')}\n\n"
               f"{T('rate.thanks_next')}\n\n{T('rate.read_guide', url=f'guide?lang={lang()}')}")


def store_answer(token: str, key: str, workshop: bool = False) -> None:
    """Submit callback: runs before the page is drawn, so a submission costs one light run."""
    state = st.session_state
    scores = {t: state.get(f"score_{t}") for t in THEME_IDS}
    try:
        shown_at = state.get("_rate_shown_at")
        with priority.answering():  # callbacks run before the frame, outside its mark
            rounds.submit(db(), token, scores, state.get("group"), state.get("comment"), code=state.get("code"),
                          session_key=key, client=client_id(),
                          seconds_on_form=None if shown_at is None else time.monotonic() - shown_at)
    except rounds.SubmissionRefused as error:
        params = dict(error.params)
        if error.key == "rate.scores_missing":
            names = load(lang()).theme_names()
            params["themes"] = ", ".join(names[t] for t in THEME_IDS if scores.get(t) is None)
        state["_rate_error"] = T(error.key, **params)
        return
    except StorageFull as error:  # nothing stored: the form stays filled in for another try
        state["_rate_error"] = T(error.key)
        return
    state[f"_answered_{token}"] = "workshop" if workshop else True


def department_name(round_: rounds.Round) -> str:
    department = db().memoised(("department", round_.department_id), lambda: org.get(db(), round_.department_id))
    return department.name if department else ""


def heading(round_: rounds.Round) -> None:
    """Language link, accessibility statement, title, the unit being rated and the round's name
    in one element: 200 people load this page at once, and every element is a websocket
    message. The language is a plain link, not a widget."""
    unit = T("rate.unit", unit=md(department_name(round_)))
    st.markdown(f"{links(round_.token)}\n\n## {T('rate.title')}\n\n**{unit}**  \n:gray[{md(round_.title)}]")


def form(round_: rounds.Round) -> None:
    content = load(lang())
    heading(round_)
    # How one answer per person is kept: the browser's cookie, or the code from the slip (its
    # field is last on the form, so say so before the questions).
    once = "\n\n" + T("rate.once_link" if round_.access_mode == "link" else "rate.once_code")
    hint = f"\n\n**{T('rate.scale_hint')}**"  # what to do, right above the questions
    workshop = rounds.is_workshop(db(), round_.id)
    # One element each (every element is a websocket message). A workshop round makes no
    # anonymity promise: it says so plainly, first and in warning colours.
    if workshop:
        st.warning(f"**{T('rate.workshop_title')}**  \n{T('rate.workshop_intro')}{once}{hint}")
    else:
        st.info(T("rate.intro", k=settings.min_answers(db())) + once + hint)
    scale = content.scale
    scale_label = T("rate.scale_label", low=scale["low"].lower(), high=scale["high"].lower())
    with st.form("rating", border=False):
        for theme in content.themes:
            # One element per theme, its text in the radio's label: every element is a websocket
            # message, and a 200-person burst draws this form 200 times at once.
            st.radio(f"**{theme.name}** {theme.question}  \n:gray[{theme.summary}]  \n:small[{scale_label}]",
                     options=[1, 2, 3, 4, 5], index=None, horizontal=True, key=f"score_{theme.id}")
        if round_.respondent_groups:
            st.selectbox(T("rate.group"), round_.respondent_groups, index=None,
                         placeholder=T("rate.group_placeholder"), key="group")
        st.text_area(f"{T('rate.comment')}  \n:small[:gray[{T('rate.comment_warning')}]]",
                     max_chars=rounds.MAX_COMMENT, key="comment")
        if round_.access_mode == "codes":
            st.text_input(T("rate.code"), key="code", max_chars=12)
        error = st.session_state.pop("_rate_error", None)
        if error:
            st.error(error)
        st.form_submit_button(T("rate.submit"), type="primary", width="stretch",
                              on_click=store_answer, args=(round_.token, answer_key(round_), workshop))


def browser_cookie() -> str | None:
    """The front's random browser cookie (HttpOnly, so only the server sees it)."""
    value = st.context.cookies.get(BROWSER_COOKIE)
    return value if isinstance(value, str) else None  # AppTest has no real request


def answer_key(round_: rounds.Round) -> str:
    """One answer per browser: survives a reload, unlike the Streamlit session (in memory only)."""
    return rounds.answer_key(round_, browser_cookie(), st.session_state["_rate_session"])


def render() -> None:
    st.session_state.setdefault("_rate_session", secrets.token_hex(16))
    token = st.query_params.get("r")
    if answered := st.session_state.get(f"_answered_{token}"):
        receipt(answered == "workshop")
        return
    try:
        round_ = rounds.open_for_answers(db(), token)
    except rounds.SubmissionRefused as error:
        refusal(error, token)
        return
    if rounds.already_answered(round_.token, answer_key(round_)):
        # A reload (a new Streamlit session) of a browser that has answered: no second form.
        refusal(rounds.SubmissionRefused("rate.already_answered"), token)
        return
    st.session_state.setdefault("_rate_shown_at", time.monotonic())
    rounds.prepare_for_answers(db(), round_)
    form(round_)
