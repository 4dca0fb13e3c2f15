"""The accessibility statement (tilgængelighedserklæring): open to everyone, signed in or not."""

import streamlit as st

from servicetjek import settings
from servicetjek.ui.common import T, db, md


def main() -> None:
    st.title(T("a11y.page_title"))
    st.markdown(T("a11y.intro"))
    for part in ("status", "tested", "limits"):
        st.subheader(T(f"a11y.{part}_title"))
        st.markdown(T(f"a11y.{part}"))
    st.subheader(T("a11y.contact_title"))
    contact = settings.accessibility_contact(db())
    st.markdown(T("a11y.contact", contact=md(contact)) if contact else T("a11y.contact_missing"))
    st.markdown(T("a11y.complaint"))


main()
