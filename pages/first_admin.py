"""One-time set-up: create the first administrator, with the setup code from the server console."""

import streamlit as st

from servicetjek import users
from servicetjek.errors import DomainError
from servicetjek.ui.common import T, db, show_error


def main() -> None:
    st.title(T("first_admin.title"))
    if users.count(db()):
        st.info(T("users.first_admin_done"))
        return
    st.write(T("first_admin.intro"))
    with st.form("first_admin"):
        code = st.text_input(T("first_admin.code"), key="fa_code", help=T("first_admin.code_help"),
                             autocomplete="off")
        name = st.text_input(T("users.name"), key="fa_name")
        username = st.text_input(T("users.username"), key="fa_username", help=T("users.username_help"))
        password = st.text_input(T("users.password"), type="password", key="fa_password",
                                 help=T("users.password_help", n=users.MIN_PASSWORD))
        repeat = st.text_input(T("users.password_repeat"), type="password", key="fa_repeat")
        submitted = st.form_submit_button(T("first_admin.submit"), type="primary")
    if submitted:
        if password != repeat:
            st.error(T("users.password_mismatch"))
            return
        try:
            users.create_first_admin(db(), username, name, password, code)
        except DomainError as error:
            show_error(error)
            return
        st.session_state["_first_admin_created"] = True
        st.rerun()


main()
