"""The anonymous rating form, opened from a round's link or QR code."""

import secrets

import streamlit as st

from servicetjek import rounds, settings
from servicetjek.content import THEME_IDS, load
from servicetjek.ui.common import T, db, lang


def refusal(error: rounds.SubmissionRefused) -> None:
    st.header(T("rate.title"))
    st.warning(T(error.key, **error.params), icon=":material/info:")


def receipt() -> None:
    st.header(T("rate.thanks_title"))
    st.success(T("rate.thanks"), icon=":material/check_circle:")
    st.write(T("rate.thanks_next"))


def form(round_: rounds.Round) -> None:
    content = load(lang())
    st.header(T("rate.title"))
    st.caption(round_.title)
    st.info(T("rate.intro", k=settings.min_answers(db())), icon=":material/lock:")
    scale = content.scale
    with st.form("rating", border=False):
        st.markdown(f"**{T('rate.scale_hint')}**")
        scale_label = T("rate.scale_label", low=scale["low"].lower(), high=scale["high"].lower())
        for theme in content.themes:
            with st.container(border=True):
                st.markdown(f"#### {theme.name}")
                st.markdown(f"*{theme.question}*")
                st.caption(theme.summary)
                st.radio(scale_label, options=[1, 2, 3, 4, 5], index=None, horizontal=True,
                         key=f"score_{theme.id}")
        group = None
        if round_.respondent_groups:
            group = st.selectbox(T("rate.group"), round_.respondent_groups, index=None,
                                 placeholder=T("rate.group_placeholder"), key="group")
        comment = st.text_area(T("rate.comment"), max_chars=rounds.MAX_COMMENT, key="comment",
                               help=T("rate.comment_help"))
        st.caption(T("rate.comment_warning"))
        code = st.text_input(T("rate.code"), key="code", max_chars=12) if round_.access_mode == "codes" else None
        submitted = st.form_submit_button(T("rate.submit"), type="primary", width="stretch")
    if not submitted:
        return
    scores = {t: st.session_state.get(f"score_{t}") for t in THEME_IDS}
    try:
        rounds.submit(db(), round_.token, scores, group, comment, code=code,
                      session_key=st.session_state["_rate_session"])
    except rounds.SubmissionRefused as error:
        params = dict(error.params)
        if error.key == "rate.scores_missing":
            names = content.theme_names()
            params["themes"] = ", ".join(names[t] for t in THEME_IDS if scores.get(t) is None)
        st.error(T(error.key, **params), icon=":material/error:")
        return
    st.session_state[f"_answered_{round_.token}"] = True
    st.rerun()


def main() -> None:
    st.session_state.setdefault("_rate_session", secrets.token_hex(16))
    token = st.query_params.get("r")
    if st.session_state.get(f"_answered_{token}"):
        receipt()
        return
    try:
        round_ = rounds.check_available(db(), rounds.by_token(db(), token))
    except rounds.SubmissionRefused as error:
        refusal(error)
        return
    form(round_)


main()
