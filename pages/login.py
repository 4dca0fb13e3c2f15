"""Sign in."""

import streamlit as st

from servicetjek.ui.auth import login_form
from servicetjek.ui.common import T

st.title(T("login.page_title"))
st.caption(T("login.no_account_needed"))
login_form()
