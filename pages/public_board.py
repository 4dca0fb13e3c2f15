"""The read-only board anyone in the department can open from its link (no account)."""

from datetime import timedelta

import streamlit as st

from servicetjek import org, trials
from servicetjek.content import load
from servicetjek.ui.common import T, db, lang, md


def main() -> None:
    dept_id = trials.department_for_board_token(db(), st.query_params.get("board"))
    if dept_id is None:
        st.header(T("board.page_title"))
        st.warning(T("board.link_invalid"), icon=":material/link_off:")
        return
    dept = org.get(db(), dept_id)
    content = load(lang())
    names = content.theme_names()
    st.header(f"{T('board.page_title')} · {md(dept.name)}")
    st.caption(content.action_plan["intro"])
    board = [t for t in trials.for_departments(db(), org.subtree_ids(org.all_departments(db()), dept_id))
             if t.status != "stopped"]
    if not board:
        st.info(T("board.empty_public"), icon=":material/info:")
        return
    points = trials.checkpoints_for(db(), [t.id for t in board])
    header = [T("board.theme"), *content.action_plan["columns"]]
    rows = [[names[t.theme], t.what, t.why, t.how, t.who, t.adjustments, T(f"status.{t.status}")] for t in board]
    st.dataframe([dict(zip(header, r, strict=True)) for r in rows], hide_index=True, width="stretch")
    for t in board:
        if t.start_date:
            upcoming = [c for c in points if c.trial_id == t.id and c.done_at is None]
            end = t.start_date + timedelta(weeks=t.weeks)
            nxt = ""
            if upcoming:
                kind = T("board.checkin" if upcoming[0].kind == "checkin" else "board.decision_point")
                nxt = " · " + T("board.next", kind=kind, date=f"{upcoming[0].due:%d.%m.%Y}")
            st.markdown(f"- **{md(t.what)}**: {t.start_date:%d.%m.%Y}–{end:%d.%m.%Y}{nxt}")


main()
