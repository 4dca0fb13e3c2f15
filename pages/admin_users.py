"""Admin: add users, set roles and departments, reset passwords, deactivate."""

import streamlit as st

from servicetjek import access, org, settings, sso, users
from servicetjek.errors import DomainError
from servicetjek.ui.common import T, Tmd, db, md, require, show_error


def dept_options():
    departments = org.all_departments(db(), include_archived=False)
    return [d.id for d, _ in org.ordered_tree(departments)], {d.id: org.path_name(departments, d.id)
                                                              for d in departments}


def add_user() -> None:
    ids, paths = dept_options()
    with st.expander(T("users.add"), icon=":material/person_add:"), st.form("add_user", clear_on_submit=True):
        c1, c2 = st.columns(2)
        name = c1.text_input(T("users.name"), key="add_name")
        username = c2.text_input(T("users.username"), key="add_username", help=T("users.username_help"))
        role = c1.selectbox(T("users.role"), users.ROLES, index=2, key="add_role",
                            format_func=lambda r: T(f"roles.{r}"))
        invite = settings.signin_mode() == "sso"
        if invite:  # single sign-on: the first sign-in with this e-mail binds the account
            email = c2.text_input(T("sso.email"), key="add_email", help=T("sso.email_help"))
        else:
            password = c2.text_input(T("users.password"), type="password", key="add_password",
                                     help=T("users.password_help", n=users.MIN_PASSWORD))
        depts = st.multiselect(T("users.departments"), ids, format_func=paths.get, key="add_depts")
        if st.form_submit_button(T("sso.invite_submit" if invite else "users.add_submit"), type="primary"):
            try:
                if invite:
                    sso.invite(db(), username, name, email, role, depts)
                else:
                    users.create(db(), username, name, password, role, depts)
                st.success(T("users.added"))
            except DomainError as error:
                show_error(error)


def edit_user(user: users.User) -> None:
    ids, paths = dept_options()
    with st.expander(f"{md(user.name)} ({md(user.username)}) · {T(f'roles.{user.role}')}"
                     + ("" if user.active else f" · {T('users.inactive')}")):
        with st.form(f"edit_{user.username}"):
            name = st.text_input(T("users.name"), user.name, key=f"name_{user.username}")
            role = st.selectbox(T("users.role"), users.ROLES, index=users.ROLES.index(user.role),
                                key=f"role_{user.username}", format_func=lambda r: T(f"roles.{r}"))
            depts = st.multiselect(T("users.departments"), ids, default=[d for d in user.department_ids if d in ids],
                                   format_func=paths.get, key=f"depts_{user.username}")
            active = st.checkbox(T("users.active"), user.active, key=f"active_{user.username}")
            if st.form_submit_button(T("common.save")):
                try:
                    users.update(db(), user.username, name, role, depts, active)
                    st.rerun()
                except DomainError as error:
                    show_error(error)
        if settings.signin_mode() == "sso":
            st.caption(Tmd("sso.invited_as", email=sso.email_of(db(), user.username) or "–"))
            return
        with st.form(f"password_{user.username}", clear_on_submit=True):
            password = st.text_input(T("users.new_password"), type="password", key=f"pw_{user.username}")
            if st.form_submit_button(T("users.reset_password")):
                try:
                    users.set_password(db(), user.username, password)
                    st.success(T("users.password_set"))
                except DomainError as error:
                    show_error(error)


def main() -> None:
    require(access.ADMIN)
    st.title(T("users.page_title"))
    st.caption(T("users.roles_help"))
    add_user()
    for user in users.all_users(db()):
        edit_user(user)


main()
