"""The read-only board anyone in the department can open from its link (no account)."""

from datetime import timedelta

import streamlit as st

from servicetjek import org, trials
from servicetjek.content import load
from servicetjek.ui.checkins import checkin_lines
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
    # Everything, also what was stopped and why: the plan is visible to everyone (the seed).
    board = trials.for_departments(db(), org.subtree_ids(org.all_departments(db()), dept_id))
    if not board:
        st.info(T("board.empty_public"), icon=":material/info:")
        return
    points = trials.checkpoints_for(db(), [t.id for t in board])
    labels = dict(zip(("why", "how", "who", "adjustments"), content.action_plan["columns"][1:5], strict=True))
    # One card per trial: read on a phone in the staff room, where a wide table would scroll.
    for t in board:
        lines = [f"**{md(t.what)}**", f":gray[{names[t.theme]}] · :blue-badge[{T(f'status.{t.status}')}]"]
        lines += [f"**{label}** {md(getattr(t, field))}" for field, label in labels.items() if getattr(t, field)]
        if t.outcome_reason:
            lines.append(f"**{T(f'board.reason_{t.status}')}** {md(t.outcome_reason)}")
        if t.start_date:
            end = t.start_date + timedelta(weeks=t.weeks)
            period = f":material/date_range: {t.start_date:%d.%m.%Y}–{end:%d.%m.%Y}"
            upcoming = [c for c in points if c.trial_id == t.id and c.done_at is None]
            if upcoming:
                kind = T("board.checkin" if upcoming[0].kind == "checkin" else "board.decision_point")
                period += " · " + T("board.next", kind=kind, date=f"{upcoming[0].due:%d.%m.%Y}")
            lines.append(period)
        with st.container(border=True):
            st.markdown("  \n".join(lines))
            for line in checkin_lines(t, points):  # how it goes: what the stop-ops found
                st.markdown(line)

main()
