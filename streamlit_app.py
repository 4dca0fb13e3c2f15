"""Frame: page config, language, sign-in and a menu built from the user's role."""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from servicetjek import access, priority, settings, users
from servicetjek.content import LANGUAGES
from servicetjek.ui import qr_screen, rating
from servicetjek.ui.auth import logout_button, resolve_user, signed_out_notice
from servicetjek.ui.common import T, Tmd, db, keep_choices_across_languages, page_style
from servicetjek.ui.serve import PAGE_NOT_FOUND

st.set_page_config(page_title="Servicetjek", page_icon="🤝", layout="wide")

if "lang" not in st.session_state:
    st.session_state["lang"] = st.query_params.get("lang", "da") if st.query_params.get("lang") in LANGUAGES else "da"


def page(path: str, title_key: str, icon: str, **kwargs) -> st.Page:
    return st.Page(path, title=T(title_key), icon=f":material/{icon}:", **kwargs)


def language_switch() -> None:
    st.sidebar.segmented_control(
        T("common.language"), options=list(LANGUAGES), key="lang",
        format_func=lambda code: {"da": "Dansk", "en": "English"}[code], on_change=keep_choices_across_languages,
    )


def menu(user: users.User | None) -> dict[str, list[st.Page]]:
    home = page("pages/home.py", "nav.home", "home", default=True)
    guide = page("pages/guide.py", "nav.guide", "menu_book")
    # The accessibility statement is open to everyone, like the guide.
    statement = page("pages/accessibility.py", "nav.accessibility", "accessibility_new")
    if users.count(db()) == 0:
        return {"": [page("pages/first_admin.py", "nav.first_admin", "person_add", default=True), guide,
                     statement]}
    if user is None:
        return {"": [home, guide, statement, page("pages/login.py", "nav.login", "login")]}
    work = []
    if access.has_capability(user, access.MANAGE_ROUNDS):
        work.append(page("pages/rounds.py", "nav.rounds", "how_to_vote"))
    if access.has_capability(user, access.VIEW_RESULTS):
        work.append(page("pages/results.py", "nav.results", "radar"))
    if access.has_capability(user, access.PLAN_MEETINGS):
        work.append(page("pages/meetings.py", "nav.meetings", "event"))
        work.append(page("pages/meeting_mode.py", "nav.meeting_mode", "co_present"))
    if access.has_capability(user, access.VIEW_BOARD):
        work.append(page("pages/board.py", "nav.board", "view_kanban"))
    if access.has_capability(user, access.VIEW_DASHBOARD):
        work.append(page("pages/dashboard.py", "nav.dashboard", "grid_view"))
    admin = []
    if access.has_capability(user, access.ADMIN):
        admin = [page("pages/admin_users.py", "nav.users", "group"),
                 page("pages/admin_org.py", "nav.org", "account_tree"),
                 page("pages/admin_settings.py", "nav.settings", "tune")]
    mine = [page("pages/account.py", "nav.account", "key")] if settings.signin_mode() == "password" else []
    sections = {"": [home, guide, statement, *mine], T("nav.section_work"): work, T("nav.section_admin"): admin}
    return {name: pages for name, pages in sections.items() if pages}


def sidebar_menu(sections: dict[str, list[st.Page]]) -> None:
    """The menu as page links under section headings.

    Streamlit's own sectioned menu puts the headings inside its <ul>, which screen readers
    cannot announce as a list (axe: list, listitem); page links are plain, valid links.
    """
    for name, pages in sections.items():
        if name:
            st.sidebar.markdown(f"**{name}**")
        for item in pages:
            st.sidebar.page_link(item)


def main() -> None:
    if PagesManager.uses_pages_directory:
        # Started with plain `streamlit run`: page scripts would be reachable without this frame.
        st.error("Start Servicetjek with `make run` (python -m servicetjek.ui.serve).")
        st.stop()
    if st.query_params.get("r") is not None:
        # The public rating link: no sign-in, no authenticator (it would slow every run) and no
        # menu; 200 phones may open it at once, so it draws the form and nothing else.
        with priority.answering():
            rating.render()
        return
    # Every other page lets a burst of answers pass first (sleeping, so the phones get the CPU).
    priority.wait_for_answers()
    st.html(page_style())  # the page's language, for the shell's script (its style sheet is in the shell)
    if st.query_params.get("qr") is not None:
        qr_screen.render()  # a round's QR code on the whole screen, for a projector
        return
    if st.query_params.get("board") is not None:
        # The read-only board link: anyone in the department, no account.
        st.navigation([page("pages/public_board.py", "nav.board", "view_kanban", default=True)],
                      position="hidden").run()
        return
    if st.query_params.get("results") is not None:
        # The read-only results link a facilitator shared: released whole-round figures only.
        st.navigation([page("pages/public_results.py", "nav.results", "radar", default=True)],
                      position="hidden").run()
        return
    user = resolve_user() if users.count(db()) else None
    sections = menu(user)
    current = st.navigation(sections, position="hidden")
    sidebar_menu(sections)
    language_switch()
    if user is not None:
        st.sidebar.caption(Tmd("common.signed_in_as", name=user.name, role=T(f"roles.{user.role}")))
        logout_button()
    signed_out_notice()
    if st.session_state.pop(PAGE_NOT_FOUND, False):
        st.warning(T("common.page_not_found"), icon=":material/link_off:")
    current.run()


main()
