"""Admin: the organisation as a tree – create, rename, move and archive departments."""

import streamlit as st

from servicetjek import access, org
from servicetjek.errors import DomainError
from servicetjek.ui.common import T, db, md, require, show_error


def main() -> None:
    require(access.ADMIN)
    st.title(T("org.page_title"))
    departments = org.all_departments(db())
    tree = org.ordered_tree(departments)
    paths = {d.id: org.path_name(departments, d.id) for d in departments}
    with st.expander(T("org.add"), icon=":material/add:", expanded=not departments), st.form("add_dept",
                                                                                          clear_on_submit=True):
        name = st.text_input(T("org.name"), key="dept_name")
        parent = st.selectbox(T("org.parent"), [None] + [d.id for d, _ in tree], key="dept_parent",
                              format_func=lambda i: T("org.top_level") if i is None else paths[i])
        headcount = st.number_input(T("org.headcount"), min_value=0, value=None, step=1, key="dept_headcount")
        if st.form_submit_button(T("org.add_submit"), type="primary"):
            try:
                org.create(db(), name, parent, headcount)
                st.rerun()
            except DomainError as error:
                show_error(error)
    if not departments:
        st.info(T("org.empty"), icon=":material/info:")
    for dept, depth in tree:
        label = ("\u2003" * depth) + md(dept.name) + (f" · {T('org.archived')}" if dept.archived else "") + (
            f" · {dept.headcount} {T('org.people')}" if dept.headcount else "")
        with st.expander(label):
            with st.form(f"dept_{dept.id}"):
                new_name = st.text_input(T("org.name"), dept.name, key=f"dname_{dept.id}")
                new_head = st.number_input(T("org.headcount"), min_value=0, value=dept.headcount, step=1,
                                           key=f"dhead_{dept.id}")
                parents = [None] + [d.id for d, _ in tree if d.id not in org.subtree_ids(departments, dept.id)]
                new_parent = st.selectbox(T("org.parent"), parents, index=parents.index(dept.parent_id)
                                          if dept.parent_id in parents else 0, key=f"dparent_{dept.id}",
                                          format_func=lambda i: T("org.top_level") if i is None else paths[i])
                archived = st.checkbox(T("org.archive"), dept.archived, key=f"darch_{dept.id}")
                if st.form_submit_button(T("common.save")):
                    try:
                        org.update(db(), dept.id, new_name, new_head)
                        if new_parent != dept.parent_id:
                            org.move(db(), dept.id, new_parent)
                        if archived != dept.archived:
                            org.set_archived(db(), dept.id, archived)
                        st.rerun()
                    except DomainError as error:
                        show_error(error)


main()
