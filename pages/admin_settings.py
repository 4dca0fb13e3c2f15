"""Admin: anonymity thresholds, holiday weeks, the accessibility contact."""

import streamlit as st

from servicetjek import access, settings, trials
from servicetjek.errors import DomainError
from servicetjek.ui.common import T, db, require, show_error


def save(action, *values) -> None:
    try:
        action(db(), *values)
        st.success(T("settings.saved"))
    except DomainError as error:
        show_error(error)


def main() -> None:
    require(access.ADMIN)
    st.title(T("settings.page_title"))
    st.write(T("settings.intro", n=settings.ABSOLUTE_MIN_ANSWERS))
    with st.form("thresholds"):
        answers = st.number_input(T("settings.min_answers"), min_value=1, max_value=100,
                                  value=settings.min_answers(db()), key="min_answers")
        comments = st.number_input(T("settings.min_comments"), min_value=1, max_value=100,
                                   value=settings.min_comments(db()), key="min_comments")
        if st.form_submit_button(T("common.save"), type="primary"):
            save(settings.set_thresholds, answers, comments)
    st.subheader(T("settings.holidays_title"))
    st.write(T("settings.holidays_intro"))
    with st.form("holidays"):
        current = ", ".join(str(w) for w in sorted(trials.holiday_weeks(db())))
        weeks = st.text_input(T("settings.holiday_weeks"), current, key="holiday_weeks")
        if st.form_submit_button(T("common.save")):
            save(trials.set_holiday_weeks, weeks)
    st.subheader(T("a11y.contact_setting_title"))
    with st.form("accessibility"):
        contact = st.text_input(T("a11y.contact_setting"), settings.accessibility_contact(db()) or "",
                                max_chars=settings.MAX_CONTACT, key="accessibility_contact")
        if st.form_submit_button(T("common.save")):
            save(settings.set_accessibility_contact, contact)


main()
