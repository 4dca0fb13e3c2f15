"""The signed-in user's own account: change password."""

import streamlit as st

from servicetjek.ui.auth import change_password_form
from servicetjek.ui.common import T, current_user

if current_user() is None:
    st.error(T("access.denied"), icon=":material/block:")
    st.stop()
st.title(T("users.change_password"))
st.caption(T("users.change_password_intro"))
change_password_form()
