"""Admin: anonymity thresholds, who reads comments, holiday weeks, backups, the accessibility contact."""

import streamlit as st

from servicetjek import access, backup, clock, settings, trials
from servicetjek.errors import DomainError
from servicetjek.i18n import number
from servicetjek.ui.common import T, db, lang, require, secrets_section, show_error


def backups(user) -> None:
    st.subheader(T("settings.backup_title"))
    overrides = secrets_section("backup")
    plan = backup.schedule(db(), overrides)
    if plan.interval_hours > 0:
        hours = plan.interval_hours
        st.write(T("settings.backup_schedule", hours=number(hours, lang(), 0 if hours == int(hours) else 1),
                   keep=plan.keep))
    else:
        st.write(T("settings.backup_off"))
    st.caption(T("settings.backup_secure"))
    c1, c2 = st.columns(2)
    if c2.button(T("settings.backup_now"), key="backup_now", icon=":material/backup:"):
        backup.backup_now_for(db(), user, overrides)
        st.success(T("settings.backup_done"))
    newest = backup.newest_for_download(db(), user, overrides)
    if newest is None:
        c1.info(T("settings.backup_none"))
    else:
        when = clock.to_local(backup.taken_at(newest))
        c1.write(T("settings.backup_newest", when=f"{when:%d.%m.%Y %H:%M}"))
        c1.download_button(T("settings.backup_download"), newest.read_bytes, newest.name, "application/octet-stream",
                           key="backup_download", icon=":material/download:", on_click="ignore")
    with st.form("backup_schedule"):
        hours = st.number_input(T("settings.backup_interval"), min_value=0.0, max_value=744.0,
                                value=float(plan.interval_hours), key="backup_hours")
        keep = st.number_input(T("settings.backup_keep"), min_value=1, max_value=365, value=plan.keep,
                               key="backup_keep")
        if st.form_submit_button(T("common.save")):
            try:
                backup.set_schedule(db(), user, hours, keep)
                st.success(T("settings.saved"))
            except DomainError as error:
                show_error(error)
    st.caption(T("settings.backup_restore_note"))


def save(action, *values) -> None:
    try:
        action(db(), *values)
        st.success(T("settings.saved"))
    except DomainError as error:
        show_error(error)


def comment_readers() -> None:
    st.subheader(T("settings.comment_readers_title"))
    with st.form("comment_readers_form"):
        choice = st.radio(T("settings.comment_readers"), settings.COMMENT_READERS,
                          index=settings.COMMENT_READERS.index(settings.comment_readers(db())),
                          format_func=lambda value: T(f"settings.comment_readers_{value}"),
                          help=T("settings.comment_readers_help"), key="comment_readers")
        if st.form_submit_button(T("common.save")):
            try:
                settings.set_comment_readers(db(), choice)
                st.success(T("settings.saved"))
            except DomainError as error:
                show_error(error)


def main() -> None:
    user = require(access.ADMIN)
    st.title(T("settings.page_title"))
    st.write(T("settings.intro", n=settings.ABSOLUTE_MIN_ANSWERS))
    with st.form("thresholds"):
        answers = st.number_input(T("settings.min_answers"), min_value=1, max_value=100,
                                  value=settings.min_answers(db()), key="min_answers")
        comments = st.number_input(T("settings.min_comments"), min_value=1, max_value=100,
                                   value=settings.min_comments(db()), key="min_comments")
        if st.form_submit_button(T("common.save"), type="primary"):
            save(settings.set_thresholds, answers, comments)
    comment_readers()
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
    backups(user)


main()
