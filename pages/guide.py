"""Theme guide: each theme in full for signed-in people, the summaries for everyone."""

import streamlit as st

from servicetjek.content import Runbook, load
from servicetjek.ui.common import T, current_user, lang


def timing(step) -> str:
    if step.minutes and not step.options:
        return T("guide.minutes", n=step.minutes)
    if step.per_participant:
        return T("guide.per_participant", n=step.per_participant)
    if step.per_group:
        return T("guide.per_group", n=step.per_group)
    return " / ".join(f"{k}: {T('guide.minutes', n=v)}" for k, v in step.options.items())


def runbook(book: Runbook, theme=None) -> None:
    st.markdown(f"**{T('guide.before')}**")
    for item in book.before:
        st.markdown(f"- {item}")
    for number, step in enumerate(book.steps, start=1):
        with st.container(border=True):
            st.markdown(f"**{number}. {step.title}** · {timing(step)}")
            st.write(step.text)
            if theme is not None and step.shows == "reflection":
                for q in theme.reflection:
                    st.markdown(f"- {q}")
            if theme is not None and step.shows == "proposal":
                st.markdown(f"- {theme.proposal_question}")
            if step.shows == "connections":
                for q in book.connection_questions:
                    st.markdown(f"- {q}")
            for option, text in step.option_texts.items():
                st.markdown(f"**{option}.** {text}")


def theme_tab(theme, full: bool) -> None:
    st.header(theme.name)
    st.markdown(f"### *{theme.question}*")
    st.write(theme.summary)
    if not full:
        return
    left, right = st.columns(2)
    with left:
        st.subheader(T("guide.at_stake"))
        st.write(theme.at_stake)
        st.subheader(T("guide.different_needs"))
        st.write(theme.different_needs)
        st.subheader(T("guide.signs"))
        st.write(theme.signs)
    with right:
        st.subheader(T("guide.inspiration"))
        for case in theme.cases:
            with st.container(border=True):
                st.markdown(f"**{case.title}**")
                st.write(case.text)
                if case.source:
                    st.caption(case.source)
        for quote in theme.quotes:
            st.markdown(f"> {quote.text}")
            st.caption(f"— {quote.source}")
    st.subheader(T("guide.runbook_single"))
    runbook(load(lang()).single, theme)


def about(content) -> None:
    """The seed's introduction: what hybrid work is, why experiment, the purpose, where to read on."""
    intro = content.intro
    st.header(intro["title"])
    st.write(intro["hybrid"])
    st.write(intro["why"])
    st.markdown(f"**{T('meetings.purpose')}:** {intro['purpose']}")
    st.subheader(intro["resources_title"])
    for resource in intro["resources"]:
        st.markdown(f"- {resource}")


def main() -> None:
    content = load(lang())
    full = current_user() is not None
    st.title(T("guide.title"))
    if not full:
        st.caption(T("guide.public_note"))
    themes = {t.id: t for t in content.themes}
    names = {"about": content.intro["title"]} | {key: t.name for key, t in themes.items()} | {
        "dialogue": content.dialogue.name, "trials": T("guide.trials")}
    # Pills wrap on a phone where eight tabs would scroll sideways, only the chosen part is
    # drawn, and the choice is in the link (?tema=focus), so a guide page can be shared.
    section = st.pills(T("guide.choose"), list(names), format_func=names.get, default=content.themes[0].id,
                       required=True, key="tema", bind="query-params")
    if section == "about":
        about(content)
    elif section in themes:
        theme_tab(themes[section], full)
    elif section == "dialogue":
        st.header(content.dialogue.name)
        st.write(content.dialogue.duration_note)
        runbook(content.dialogue)
    else:
        st.header(T("guide.trials"))
        st.write(content.trials["intro"])
        for q in content.trials["checkin_questions"]:
            st.markdown(f"- {q}")
        st.subheader(T("guide.action_plan"))
        st.write(content.action_plan["intro"])
        st.markdown(" | ".join(f"**{c}**" for c in content.action_plan["columns"]))
    st.divider()
    st.caption(content.source["credit"])


main()
