"""The read-only results link for employees (no account): one round's released figures only."""

import streamlit as st

from servicetjek import result_links
from servicetjek.content import load
from servicetjek.ui.common import T, Tmd, db, lang
from servicetjek.ui.results_view import radar_and_means, recommendation_lines


def main() -> None:
    shared = result_links.view(db(), st.query_params.get("results"))
    if shared is None:
        st.header(T("shared_results.page_title"))
        st.warning(T("shared_results.link_invalid"), icon=":material/link_off:")
        return
    names = load(lang()).theme_names()
    st.header(Tmd("shared_results.heading", title=shared.title, department=shared.department))
    if shared.themes is None:
        st.info(T("shared_results.not_yet", k=shared.threshold), icon=":material/visibility_off:")
        return
    st.caption(T("shared_results.based_on", n=shared.n, k=shared.threshold))
    radar_and_means(shared.themes, names)
    if shared.recommendation is not None:
        st.subheader(T("routing.title"))
        recommendation_lines(shared.recommendation, names)


main()
