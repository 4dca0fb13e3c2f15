"""Sign in."""

import streamlit as st

from servicetjek import settings
from servicetjek.ui.auth import login_form, sso_login_button
from servicetjek.ui.common import T

st.title(T("login.page_title"))
st.caption(T("login.no_account_needed"))
if settings.signin_mode() == "sso":
    sso_login_button()
else:
    login_form()
