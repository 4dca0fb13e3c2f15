"""Meeting planner: plan a single-theme or dialogue meeting with a computed agenda."""

from datetime import datetime, time, timedelta

import streamlit as st

from servicetjek import access, agenda, clock, exports, meetings
from servicetjek.content import THEME_IDS, load
from servicetjek.errors import DomainError
from servicetjek.ui.common import T, db, department_picker, lang, md, method_numbers, require, show_error


def advice_text(advice: agenda.Advice) -> str:
    return T(advice.key, **advice.params)


def agenda_table(a: agenda.Agenda) -> None:
    st.dataframe([{T("meetings.time"): f"{i.start:%H:%M}–{i.end:%H:%M}",
                   T("meetings.step"): f"{i.number}. {i.title}" if i.number else i.title,
                   T("meetings.minutes"): i.minutes} for i in a.items], hide_index=True, width="stretch")
    st.markdown(T("meetings.total", minutes=a.total_minutes, end=f"{a.end:%H:%M}"))
    if a.advice:
        st.warning("\n".join(f"- {advice_text(x)}" for x in a.advice), icon=":material/schedule:")
    if a.kind == "dialogue":
        names = load(lang()).theme_names()
        st.caption(T("meetings.tables", tables=", ".join(f"{names[t]}: {n}" for t, n in a.tables.items())))


def planner(user) -> None:
    content = load(lang())
    names = content.theme_names()
    prefill = st.session_state.pop("_plan_prefill", None)
    if prefill:
        st.session_state["plan_kind"] = prefill["kind"]
        st.session_state["plan_themes"] = list(prefill["themes"])
        if prefill.get("department_id") is not None:  # plan for the unit whose results you came from
            st.session_state["plan_dept"] = prefill["department_id"]
        st.info(T("meetings.prefilled"), icon=":material/auto_awesome:")
    dept_id = department_picker(user, access.PLAN_MEETINGS, "meetings.department", "plan_dept")
    if dept_id is None:
        return
    kind = st.radio(T("meetings.kind"), ["single", "dialogue"], horizontal=True, key="plan_kind",
                    format_func=lambda k: getattr(content, k).name)
    c1, c2, c3 = st.columns(3)
    day = c1.date_input(T("meetings.date"), clock.today() + timedelta(days=14), key="plan_date", format="DD.MM.YYYY")
    start = c2.time_input(T("meetings.start"), time(9, 0), key="plan_time", step=300)
    participants = c3.number_input(T("meetings.participants"), 1, agenda.MAX_PARTICIPANTS, 8, key="plan_n")
    st.session_state.setdefault("plan_themes", [])
    themes = st.multiselect(T("meetings.themes"), list(THEME_IDS), key="plan_themes", format_func=names.get,
                            placeholder=T("meetings.choose_placeholder"),
                            max_selections=1 if kind == "single" else 6)
    book = content.single if kind == "single" else content.dialogue
    last_step = book.steps[-1]
    decision = st.radio(T("meetings.decision"), ["A", "B"], key="plan_decision",
                        format_func=lambda o: T(f"meetings.decision_{kind}_{o}", n=last_step.options[o]),
                        help=" ".join(f"{o}: {t}" for o, t in last_step.option_texts.items()))
    c4, c5 = st.columns(2)
    default_title = T("meetings.default_title", themes=", ".join(names[t] for t in themes))
    title = c4.text_input(T("meetings.title"), key="plan_title", placeholder=default_title) or default_title
    place = c5.text_input(T("meetings.place"), key="plan_place", placeholder=T("meetings.place_hint"))
    facilitators = c4.text_input(T("meetings.facilitators"), key="plan_facilitators")
    c6, c7 = c5.columns(2)
    welcome = c6.number_input(T("meetings.welcome"), 0, 60, book.welcome_minutes, key="plan_welcome")
    pause = c7.number_input(T("meetings.break_minutes"), 0, 60, 0, key="plan_break")
    if not themes:
        st.info(T("meetings.choose_themes"), icon=":material/info:")
        return
    try:
        preview = agenda.build(book, kind, datetime.combine(day, start), int(participants), themes, decision,
                               int(welcome), int(pause), break_title=T("meetings.break"))
    except DomainError as error:
        show_error(error)
        return
    st.subheader(T("meetings.agenda"))
    agenda_table(preview)
    if st.button(T("meetings.save"), type="primary", key="plan_save", icon=":material/event_available:"):
        try:
            meetings.plan(db(), user, dept_id, kind, title, datetime.combine(day, start), int(participants), themes,
                          decision, place, facilitators, int(welcome), int(pause))
        except DomainError as error:
            show_error(error)
            return
        st.success(T("meetings.saved"), icon=":material/check:")


def outputs(meeting: meetings.Meeting, a: agenda.Agenda) -> None:
    labels = {k: T(f"meetings.{k}") for k in ("when", "place", "facilitators", "time", "step", "minutes", "purpose")}
    when = f"{meeting.starts_at:%d.%m.%Y %H:%M}–{a.end:%H:%M}"
    purpose = load(lang()).intro["purpose"]  # the seed: send the agenda "with purpose and programme"
    md = exports.agenda_markdown(meeting.title, when, meeting.place, meeting.facilitators, a.items, labels, purpose)
    intro = [f"{labels['when']}: {when}", f"{labels['place']}: {meeting.place}",
             f"{labels['facilitators']}: {meeting.facilitators}", f"{labels['purpose']}: {purpose}"]
    rows = [(f"{i.start:%H:%M}-{i.end:%H:%M}", f"{i.number or ''} {i.title}", i.minutes) for i in a.items]
    # Files are made only when clicked; the callables get everything they need from here.
    pdf = lambda: exports.simple_pdf(meeting.title, intro,  # noqa: E731
                                     [labels["time"], labels["step"], labels["minutes"]], rows, [34, 126, 20])
    ics = lambda: exports.meeting_ics(f"meeting-{meeting.id}@servicetjek", meeting.title,  # noqa: E731
                                      a.items[0].start, a.end, meeting.place, md)
    c1, c2, c3 = st.columns(3)
    # on_click="ignore" on every download button: a click that also reruns the page can lose the
    # made-on-click file's answer (the button spun forever in 1 of 2 browser journeys).
    c1.download_button(T("meetings.pdf"), pdf, f"dagsorden-{meeting.id}.pdf", "application/pdf",
                       key=f"pdf_{meeting.id}", icon=":material/print:", on_click="ignore")
    c2.download_button(T("meetings.ics"), ics, f"invitation-{meeting.id}.ics", "text/calendar",
                       key=f"ics_{meeting.id}", icon=":material/calendar_month:", on_click="ignore")
    c3.download_button(T("meetings.markdown"), md.encode(), f"dagsorden-{meeting.id}.md", "text/markdown",
                       key=f"md_{meeting.id}", icon=":material/description:", on_click="ignore")
    with st.popover(T("meetings.copy_text")):
        st.code(md, language="markdown", wrap_lines=True)


def table_cards(meeting: meetings.Meeting) -> None:
    content = load(lang())
    names = content.theme_names()
    st.markdown(f"**{T('meetings.seating')}**")
    raw = st.text_area(T("meetings.seating_input"), key=f"seating_{meeting.id}", help=T("meetings.seating_help"))
    people = []
    for line in raw.splitlines():
        name, _, prefs = line.partition(":")
        wanted = [t for p in prefs.split(",") for t in THEME_IDS if p.strip().lower() in
                  (t, names[t].lower())]
        if name.strip():
            people.append((name.strip(), wanted))
    rows, number = [], 0
    # Without names the cards still go on the tables: one per planned table, with the theme's questions.
    seating = (agenda.assign_tables(people, list(meeting.themes)) if people else
               {t: [[]] * n for t, n in meetings.meeting_agenda(meeting, content).tables.items()})
    for theme, tables in seating.items():
        for table in tables:
            number += 1
            rows.append((number, names[theme], ", ".join(table)))
    if people:
        st.dataframe([{T("meetings.table"): n, T("meetings.theme"): t, T("meetings.people"): p} for n, t, p in rows],
                     hide_index=True, width="stretch")
    cards = exports.simple_pdf(T("meetings.table_cards"), [meeting.title],
                               [T("meetings.table"), T("meetings.theme"), T("meetings.people")], rows, [20, 45, 125],
                               meetings.table_card_lines(meeting, content))
    st.download_button(T("meetings.table_cards"), cards, f"bordkort-{meeting.id}.pdf", "application/pdf",
                       key=f"cards_{meeting.id}", icon=":material/table_restaurant:", on_click="ignore")


def tick(user, meeting_id: int, base_version: int, item: str, key: str) -> None:
    """Checkbox callback: the only place the checklist is written (never while the page draws)."""
    try:
        meetings.set_check(db(), user, meeting_id, base_version, item, st.session_state[key])
    except meetings.MeetingConflict:
        st.session_state["_meeting_conflict"] = meeting_id
    except DomainError as error:
        st.session_state["_meeting_error"] = error


def checklist(user, meeting: meetings.Meeting) -> None:
    if st.session_state.pop("_meeting_conflict", None) == meeting.id:
        st.warning(T("meetings.conflict"), icon=":material/sync_problem:")
    if error := st.session_state.pop("_meeting_error", None):
        show_error(error)
    columns = st.columns(2)
    for col, item, short in zip(columns, meetings.CHECKLIST, ("facilitator", "agenda"), strict=True):
        key = f"check_{short}_{meeting.id}"
        # Each run shows what is saved now, so another person's tick is never undone by this page.
        st.session_state[key] = getattr(meeting, item)
        col.checkbox(T(f"meetings.check_{short}"), key=key, on_change=tick,
                     args=(user, meeting.id, meeting.version, item, key))


def edit_form(user, meeting: meetings.Meeting) -> None:
    """Change or cancel a meeting that has not started; saved in the submit callback."""
    names = load(lang()).theme_names()
    fields = {"title": meeting.title, "date": meeting.starts_at.date(), "time": meeting.starts_at.time(),
              "place": meeting.place, "facilitators": meeting.facilitators, "n": meeting.participants,
              "themes": list(meeting.themes), "welcome": meeting.welcome_minutes, "break": meeting.break_minutes}
    key = {f: f"edit_{f}_{meeting.id}" for f in fields}
    for f, value in fields.items():
        st.session_state[key[f]] = value  # what is saved now (the form sends nothing until submitted)
    with st.popover(T("meetings.edit"), icon=":material/edit:"), st.form(f"edit_meeting_{meeting.id}"):
        st.text_input(T("meetings.title"), key=key["title"])
        c1, c2, c3 = st.columns(3)
        c1.date_input(T("meetings.date"), key=key["date"], format="DD.MM.YYYY")
        c2.time_input(T("meetings.start"), key=key["time"], step=300)
        c3.number_input(T("meetings.participants"), 1, agenda.MAX_PARTICIPANTS, key=key["n"])
        st.multiselect(T("meetings.themes"), list(THEME_IDS), key=key["themes"], format_func=names.get,
                       max_selections=1 if meeting.kind == "single" else 6)
        c4, c5 = st.columns(2)
        c4.text_input(T("meetings.place"), key=key["place"])
        c5.text_input(T("meetings.facilitators"), key=key["facilitators"])
        c6, c7 = st.columns(2)
        c6.number_input(T("meetings.welcome"), 0, 60, key=key["welcome"])
        c7.number_input(T("meetings.break_minutes"), 0, 60, key=key["break"])
        st.form_submit_button(T("common.save"), type="primary", on_click=save_edit,
                              args=(user, meeting.id, meeting.version, key))
    st.button(T("meetings.cancel"), key=f"cancel_{meeting.id}", icon=":material/event_busy:",
              on_click=meeting_action, args=(meetings.cancel, user, meeting.id, meeting.version))


def save_edit(user, meeting_id: int, base_version: int, key: dict) -> None:
    v = {f: st.session_state[k] for f, k in key.items()}
    meeting_action(meetings.edit, user, meeting_id, base_version, v["title"], datetime.combine(v["date"], v["time"]),
                   int(v["n"]), v["themes"], v["place"], v["facilitators"], int(v["welcome"]), int(v["break"]))


def meeting_action(action, user, meeting_id: int, *args) -> None:
    """Callback for a change to one meeting: a conflict or a refusal is shown on the next draw."""
    try:
        action(db(), user, meeting_id, *args)
    except meetings.MeetingConflict:
        st.session_state["_meeting_conflict"] = meeting_id
    except DomainError as error:
        st.session_state["_meeting_error"] = error


def planned_list(user) -> None:
    from servicetjek import org

    departments = org.all_departments(db())
    dept_names = {d.id: d.name for d in departments}
    mine = access.allowed_departments(user, access.PLAN_MEETINGS, departments)
    listed = meetings.for_departments(db(), mine)
    st.subheader(T("meetings.planned"))
    if not listed:
        st.info(T("meetings.none"), icon=":material/event:")
        return
    content = load(lang())
    for meeting in listed:
        a = meetings.meeting_agenda(meeting, content)
        state = T("meetings.status_cancelled" if meeting.cancelled else f"meetings.status_{meeting.status}")
        # The department is named: fifty units' meetings in one list must be told apart.
        label = (f"{meeting.starts_at:%d.%m.%Y %H:%M} · {md(dept_names.get(meeting.department_id, ''))}"
                 f" · {md(meeting.title)} · {state}")
        with st.expander(label):
            agenda_table(a)
            checklist(user, meeting)
            outputs(meeting, a)
            if meeting.kind == "dialogue":
                table_cards(meeting)
            if meeting.cancelled:
                continue
            if meeting.status == "planned":
                edit_form(user, meeting)
            if meeting.status != "done" and st.button(T("meetings.start_mode"), key=f"run_{meeting.id}",
                                                      type="primary", icon=":material/play_arrow:"):
                st.session_state["meeting_mode_id"] = meeting.id
                st.switch_page("pages/meeting_mode.py")


def main() -> None:
    user = require(access.PLAN_MEETINGS)
    st.title(T("meetings.page_title"))
    st.caption(T("meetings.page_intro", **method_numbers()))
    with st.container(border=True):
        planner(user)
    planned_list(user)


main()
