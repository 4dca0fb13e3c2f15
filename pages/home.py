"""Home: what the service check is, the six themes at a glance, and the next step."""

import streamlit as st

from servicetjek import access, org, rounds, trials
from servicetjek.content import load
from servicetjek.ui.common import T, current_user, db, lang, method_numbers

THEME_ICONS = {"cohesion": "diversity_3", "flexibility": "schedule", "availability": "call",
               "focus": "psychology", "trust": "handshake", "fairness": "balance"}


def hint(text: str, icon: str, page: str, nav_key: str, warning: bool = False) -> None:
    """A next step and the way there."""
    (st.warning if warning else st.info)(text, icon=f":material/{icon}:")
    st.page_link(page, label=T(nav_key), icon=":material/arrow_forward:")


def next_steps(user) -> None:
    departments = org.all_departments(db(), include_archived=False)
    st.subheader(T("home.next_title"))
    if access.has_capability(user, access.ADMIN) and not departments:
        hint(T("home.next_admin_org"), "account_tree", "pages/admin_org.py", "nav.org")
        return
    if access.has_capability(user, access.MANAGE_ROUNDS):
        mine = access.allowed_departments(user, access.MANAGE_ROUNDS, departments)
        open_rounds = [r for r in rounds.for_departments(db(), mine) if r.state() == "open"]
        text = T("home.next_open_rounds", n=len(open_rounds)) if open_rounds else T("home.next_start_round")
        hint(text, "how_to_vote", "pages/rounds.py", "nav.rounds")
    board_depts = access.allowed_departments(user, access.EDIT_BOARD, departments)
    own_trials = [t.id for t in trials.for_departments(db(), board_depts)]
    late = trials.overdue(db(), own_trials)
    if late:
        hint(T("home.overdue", n=len(late)), "alarm", "pages/board.py", "nav.board", warning=True)
    if access.has_capability(user, access.VIEW_DASHBOARD) and not access.has_capability(user, access.MANAGE_ROUNDS):
        hint(T("home.next_dashboard"), "grid_view", "pages/dashboard.py", "nav.dashboard")
    elif user.role == "member" and not late:
        hint(T("home.next_member"), "checklist", "pages/board.py", "nav.board")


def main() -> None:
    content = load(lang())
    user = current_user()
    st.title(T("home.title"))
    numbers = method_numbers()
    st.markdown(T("home.lead", **numbers))
    if user is not None:
        next_steps(user)
    st.subheader(T("home.how_title"))
    steps = st.columns(4)
    for i, col in enumerate(steps, start=1):
        with col.container(border=True, height="stretch"):  # the four steps line up
            st.markdown(f"**{i}. {T(f'home.step{i}_title', **numbers)}**")
            st.caption(T(f"home.step{i}_text", **numbers))
    st.subheader(T("home.themes_title"))
    # A row of columns per three themes: a phone stacks them in the booklet's order, not column by column.
    for i, theme in enumerate(content.themes):
        if i % 3 == 0:
            cols = st.columns(3)
        with cols[i % 3].container(border=True, height="stretch"):
            st.markdown(f":material/{THEME_ICONS[theme.id]}: **{theme.name}**")
            st.markdown(f"*{theme.question}*")
            st.caption(theme.summary)
    st.divider()
    st.caption(content.source["credit"] + " " + content.source["publisher"] + ".")


main()
