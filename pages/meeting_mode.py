"""Meeting mode: one step at a time in large type, timers, proposals and the decision."""

from datetime import timedelta

import streamlit as st

from servicetjek import access, exports, meetings, org, results, trials
from servicetjek.clock import today, utcnow
from servicetjek.content import load
from servicetjek.errors import DomainError
from servicetjek.i18n import number
from servicetjek.ui.common import T, Tmd, db, lang, md, require, show_error, suppressed_note
from servicetjek.ui.results_view import radar_and_means, recommendation_lines

PROJECTOR_STYLE = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"] {display: none;}
[data-testid="stMetricValue"], [data-testid="stMetricValue"] [data-testid="stMarkdownContainer"] p
  {font-size: 7rem; line-height: 1.1;}
[data-testid="stMetricLabel"] p {font-size: 2rem;}
h1 {font-size: 3.5rem;}
[data-testid="stMarkdownContainer"] li, [data-testid="stMarkdownContainer"] p {font-size: 1.4rem;}
</style>"""


def clock(seconds: int) -> str:
    sign = "−" if seconds < 0 else ""
    seconds = abs(seconds)
    return f"{sign}{seconds // 60}:{seconds % 60:02d}"


def follow(meeting_id: int, drawn: tuple) -> None:
    """Redraw the whole screen when another screen moved the meeting on or changed the slide."""
    if meetings.wall_view(db(), meeting_id) != drawn:
        st.rerun(scope="app")


@st.fragment(run_every=2)
def stay_in_step(meeting_id: int, drawn: tuple) -> None:
    """On the projector outside the steps' clocks (agenda, results, summary): follow the facilitator."""
    follow(meeting_id, drawn)


@st.fragment(run_every=1)
def timers(user, meeting_id: int, step_index: int, minutes: int, turns: int, per_turn: int | None, turn_key: str,
           drawn: tuple) -> None:
    follow(meeting_id, drawn)  # the facilitator's phone or laptop moved on: every other screen follows
    started = meetings.step_started_at(db(), meeting_id, step_index)
    if started is None:
        return
    now = utcnow()  # step times are stored in UTC
    left, over = meetings.countdown(started, minutes, now)
    c1, c2 = st.columns(2)
    c1.metric(T("mode.time_left"), clock(left), delta=T("mode.over_time") if over else None, delta_color="inverse")
    if not per_turn:
        return
    sc = meetings.speaker_clock(meetings.screen(db(), meeting_id), step_index, turns, per_turn, now)
    if sc.everyone_spoke:
        c2.metric(T("mode.everyone_spoke"), "✓")
    else:
        note = T("mode.over_time") if sc.over else None if sc.running else T("mode.speaker_ready")
        c2.metric(T(turn_key, n=sc.turn + 1, of=turns), clock(sc.seconds_left), delta=note,
                  delta_color="inverse" if sc.over else "off", delta_arrow="auto" if sc.over else "off")
    # S starts the speaker's time and stops it (then the next one is ready), from any screen.
    c2.button(T("mode.speaker_stop" if sc.running else "mode.speaker_start"), key="speaker", shortcut="S",
              icon=":material/stop:" if sc.running else ":material/record_voice_over:", on_click=speak,
              args=(user, meeting_id, step_index), disabled=sc.everyone_spoke)


def speak(user, meeting_id: int, step_index: int) -> None:
    try:
        meetings.toggle_speaker(db(), user, meeting_id, step_index)
    except meetings.MeetingConflict:
        st.session_state["_mode_error"] = DomainError("mode.moved_meanwhile")


def proposal_capture(user, meeting: meetings.Meeting, names: dict) -> None:
    with st.form(f"proposal_{meeting.id}", clear_on_submit=True, border=True):
        st.markdown(f"**{T('mode.add_proposal')}**")
        what = st.text_input(T("mode.what"), key="prop_what", max_chars=trials.MAX_WHAT)
        c1, c2 = st.columns(2)
        theme = c1.selectbox(T("mode.theme"), list(meeting.themes), format_func=names.get, key="prop_theme")
        who = c2.text_input(T("mode.who"), key="prop_who")
        if st.form_submit_button(T("mode.add"), type="primary"):
            try:
                meetings.add_proposal(db(), user, meeting.id, what, theme, who)
            except DomainError as error:
                show_error(error)


def proposal_list(user, meeting: meetings.Meeting, names: dict, sortable: bool) -> None:
    proposals = trials.for_meeting(db(), meeting.id)
    if not proposals:
        st.caption(T("mode.no_proposals"))
        return
    for p in proposals:
        if not sortable:
            st.markdown(f"- **{md(p.what)}** · {names[p.theme]}" + (f" · {md(p.who)}" if p.who else ""))
            continue
        c1, c2, c3, c4 = st.columns([3, 2, 2, 1])
        c1.markdown(f"**{md(p.what)}** · {names[p.theme]}")
        keys = {"purpose": f"pur_{p.id}", "timing": f"tim_{p.id}", "chosen": f"cho_{p.id}"}
        for field, key in keys.items():
            # Show what is saved now: another person's sorting is never undone by this page drawing.
            st.session_state[key] = getattr(p, field)
        args = (user, meeting.id, p.id, p.version, keys)
        c2.selectbox(T("mode.purpose"), [None, "similar", "different"], key=keys["purpose"], on_change=place,
                     args=args, format_func=lambda v: T(f"mode.purpose_{v}"))
        c3.selectbox(T("mode.timing"), [None, "same", "different"], key=keys["timing"], on_change=place, args=args,
                     format_func=lambda v: T(f"mode.timing_{v}"))
        c4.checkbox(T("mode.chosen"), key=keys["chosen"], on_change=place, args=args)
    if error := st.session_state.pop("_mode_error", None):
        show_error(error)


def place(user, meeting_id: int, trial_id: int, base_version: int, keys: dict) -> None:
    """Widget callback: the only place a proposal is sorted or chosen, based on the version shown."""
    try:
        meetings.sort_proposal(db(), user, meeting_id, trial_id, base_version,
                               *(st.session_state[keys[f]] for f in ("purpose", "timing", "chosen")))
    except trials.TrialConflict:
        st.session_state["_mode_error"] = DomainError("meetings.conflict")
    except DomainError as error:
        st.session_state["_mode_error"] = error


def choose_form(user, meeting_id: int, base_version: int, key: str) -> None:
    """Callback: the meeting chooses A or B at the decision step (the plan's choice is a default)."""
    try:
        meetings.set_decision(db(), user, meeting_id, base_version, st.session_state[key])
    except meetings.MeetingConflict:
        st.session_state["_mode_error"] = DomainError("meetings.conflict")
    except DomainError as error:
        st.session_state["_mode_error"] = error


def decision_step(user, meeting: meetings.Meeting, step, names: dict) -> None:
    key = f"decision_{meeting.id}"
    st.session_state[key] = meeting.decision
    st.radio(T("mode.choose_decision"), ["A", "B"], key=key, horizontal=True, on_change=choose_form,
             args=(user, meeting.id, meeting.version, key),
             format_func=lambda o: T(f"meetings.decision_{meeting.kind}_{o}", n=step.options[o]))
    if error := st.session_state.pop("_mode_error", None):
        show_error(error)
    st.markdown(f"### {meeting.decision}. {step.option_texts[meeting.decision]}")
    proposals = trials.for_meeting(db(), meeting.id)
    if meeting.decision == "B":
        note = st.text_area(T("mode.b_note"), key="b_note", placeholder=T("mode.b_placeholder"))
        if st.button(T("mode.finish"), type="primary", key="finish_b"):
            finish(user, meeting, "B", {}, note)
        return
    if not proposals:  # an empty menu and a button that can only fail: say what to do instead
        st.info(T("mode.no_proposals_to_decide"), icon=":material/edit_note:")
        return
    options = {p.id: p for p in proposals}
    picked = st.multiselect(T("mode.decided_trials"), list(options), key="a_pick",
                            placeholder=T("mode.pick_placeholder"),
                            default=[p.id for p in proposals if p.chosen],
                            format_func=lambda i: options[i].what)
    chosen = {}
    for trial_id in picked:
        c1, c2 = st.columns(2)
        who = c1.text_input(Tmd("mode.who_does_what", what=options[trial_id].what), options[trial_id].who,
                            key=f"a_who_{trial_id}")
        follow = c2.date_input(T("mode.follow_up"), today() + timedelta(days=14), key=f"a_fu_{trial_id}",
                               format="DD.MM.YYYY")
        chosen[trial_id] = (who, follow)
    if st.button(T("mode.finish"), type="primary", key="finish_a"):
        finish(user, meeting, "A", chosen, "")


def finish(user, meeting, form, chosen, note) -> None:
    try:
        meetings.decide(db(), user, meeting.id, form, chosen, note)
    except DomainError as error:
        show_error(error)
        return
    st.rerun()


def summary_view(meeting: meetings.Meeting) -> None:
    content = load(lang())
    s = meetings.summary(db(), meeting, content)
    st.success(T("mode.done"), icon=":material/flag:")
    st.markdown(f"**{T('mode.themes')}:** {', '.join(s['themes'])} · **{T('meetings.participants')}:** "
                f"{s['participants']} · **{T('meetings.decision')}:** {md(s['decision_note'])}")
    rows = [(title, planned, number(actual, lang(), 1) if actual is not None else "–")
            for title, planned, actual in s["steps"]]
    st.dataframe([{T("meetings.step"): r[0], T("mode.planned"): r[1], T("mode.actual"): r[2]} for r in rows],
                 hide_index=True, width="stretch")
    st.markdown(f"**{T('mode.proposals')}**")
    for theme, what, who, status in s["proposals"]:
        st.markdown(f"- {md(what)} · {theme}" + (f" · {md(who)}" if who else "") + f" · {T(f'status.{status}')}")
    pdf = exports.simple_pdf(s["title"], [f"{T('mode.themes')}: {', '.join(s['themes'])}",
                                          f"{T('meetings.participants')}: {s['participants']}",
                                          f"{T('meetings.decision')}: {s['decision_note']}"],
                             [T("meetings.step"), T("mode.planned"), T("mode.actual")], rows, [120, 30, 30],
                             [f"- {what} ({theme}) {who} [{T(f'status.{status}')}]"
                              for theme, what, who, status in s["proposals"]])
    st.download_button(T("mode.summary_pdf"), pdf, f"referat-{meeting.id}.pdf", "application/pdf",
                       icon=":material/print:", key="summary_pdf", on_click="ignore")
    st.page_link("pages/board.py", label=T("mode.to_board"), icon=":material/view_kanban:")


def before_start(user, meeting: meetings.Meeting, plan, drawn: tuple) -> None:
    """What the facilitator checks before the meeting: the facts and the computed agenda."""
    st.title(md(meeting.title))
    st.caption(T("mode.intro"))
    facts = [f"{meeting.starts_at:%d.%m.%Y %H:%M}", T("mode.participants", n=meeting.participants)]
    if meeting.place:
        facts.append(md(meeting.place))
    st.markdown(" · ".join(facts))
    st.markdown(f"**{T('meetings.purpose')}:** {load(lang()).intro['purpose']}")
    st.markdown(f"**{T('mode.agenda')}**\n\n" + "\n".join(
        f"- {item.start:%H:%M}–{item.end:%H:%M} · {item.number or ''}{'. ' if item.number else ''}{item.title}"
        f" · {item.minutes} min." for item in plan.items))
    if projector_view():
        stay_in_step(meeting.id, drawn)  # until the facilitator starts the meeting elsewhere
    else:
        st.button(T("mode.begin"), type="primary", key="begin", icon=":material/play_arrow:", on_click=move,
                  args=(user, meeting.id, None, 0))


def move(user, meeting_id: int, from_step: int | None, to_step: int) -> None:
    """Callback for begin/previous/next: moves only from the step this screen showed."""
    try:
        meetings.go_to_step(db(), user, meeting_id, to_step, from_step=from_step)
    except meetings.MeetingConflict:
        st.session_state["_mode_error"] = DomainError("mode.moved_meanwhile")
    except DomainError as error:
        st.session_state["_mode_error"] = error


def run(user, meeting: meetings.Meeting, drawn: tuple) -> None:
    content = load(lang())
    names = content.theme_names()
    book = content.single if meeting.kind == "single" else content.dialogue
    plan = meetings.meeting_agenda(meeting, content)
    items = plan.items
    if meeting.status == "planned":
        before_start(user, meeting, plan, drawn)
        return
    index = min(meeting.current_step, len(items) - 1)
    item = items[index]
    step = next((s for s in book.steps if s.key == item.key), None)
    projector = projector_view()
    progress = T("mode.progress", n=index + 1, of=len(items))
    # The wall has no meeting selector: the meeting's title, small, above the item being worked on.
    st.progress((index + 1) / len(items), text=f"{md(meeting.title)} · {progress}" if projector else progress)
    number = f"{item.number}. " if item.number else ""
    st.markdown(f"# {number}{item.title}")
    # As the agenda before the start writes it: "15:05–15:10 · 5 min."
    st.markdown(f"### {item.start:%H:%M}–{item.end:%H:%M} · {T('guide.minutes', n=item.minutes)}")
    if step is not None and step.per_group:  # reports: one turn per table
        timers(user, meeting.id, index, item.minutes, sum(plan.tables.values()), step.per_group, "mode.group_turn",
               drawn)
    else:
        per_participant = step.per_participant if step is not None else None
        timers(user, meeting.id, index, item.minutes, meeting.participants, per_participant, "mode.speaker", drawn)
    if projector:
        navigation(user, meeting, index, len(items))  # on the wall "Næste punkt" is always in view
    if step is not None:
        st.markdown(f"#### {step.text}")
        theme = content.theme(meeting.themes[0])
        if step.shows == "reflection" and meeting.kind == "single":
            st.markdown("\n".join(f"## • {q}" for q in theme.reflection))
        if step.shows == "proposal" and meeting.kind == "single":
            st.markdown(f"## {theme.proposal_question}")
        if step.shows == "connections":
            st.markdown("\n".join(f"### • {q}" for q in book.connection_questions))
        if step.shows == "tables":
            st.markdown("### " + " · ".join(f"{names[t]}: {n}" for t, n in plan.tables.items()))
            # Each table's theme with its questions, readable on the screen while the groups work.
            for col, theme_id in zip(st.columns(len(meeting.themes)), meeting.themes, strict=True):
                theme = content.theme(theme_id)
                questions = "\n".join(f"- {q}" for q in theme.reflection)
                col.markdown(f"**{theme.name}**  \n{theme.question}\n\n{questions}")
        if step.captures_proposals:
            proposal_capture(user, meeting, names)
            proposal_list(user, meeting, names, sortable=meeting.kind == "dialogue")
        if step.options:
            decision_step(user, meeting, step, names)
    if not projector:
        navigation(user, meeting, index, len(items))
    if error := st.session_state.pop("_mode_error", None):
        show_error(error)


def results_slide(user, meeting: meetings.Meeting, round_id: int | None, on_wall: bool) -> None:
    """The results to show in the meeting: the same released figures as the results page.

    The facilitator chooses the round; every screen of the meeting (the projector) shows it, without selectors.
    """
    available = meetings.slide_rounds(db(), meeting)
    if round_id not in {r.id for r in available}:  # only rounds of the meeting's unit
        st.info(T("results.no_rounds"), icon=":material/info:")
        return
    if not on_wall:
        departments = org.all_departments(db())
        labels = {r.id: f"{r.title} · {org.path_name(departments, r.department_id)}" for r in available}
        st.session_state["slide_round"] = round_id  # what every screen shows now
        st.selectbox(T("results.round"), list(labels), format_func=labels.get, key="slide_round",
                     on_change=put_on_wall, args=(user, meeting.id, "slide_round"))
    try:
        result = results.round_results(db(), user, round_id)
    except DomainError as error:
        show_error(error)
        return
    st.title(md(result.round.title))
    if result.suppressed:
        if result.groups_at_close:
            st.info(T("results.at_close", received=result.received), icon=":material/schedule:")
        else:
            suppressed_note(result.received, result.threshold)
        return
    st.caption(T("shared_results.based_on", n=result.n, k=result.threshold))
    names = load(lang()).theme_names()
    left, right = st.columns(2, gap="large")
    with left:
        radar_and_means(result.themes, names, size=560 if on_wall else 420)
    with right:
        st.subheader(T("routing.title"))
        recommendation_lines(results.recommendation(result), names)


def put_on_wall(user, meeting_id: int, key: str) -> None:
    """Callback of the results toggle and the round menu: what every screen of the meeting shows."""
    meeting = meetings.get(db(), meeting_id)
    value = st.session_state[key]
    round_id = meetings.default_slide_round(db(), meeting) if value is True else value or None
    if value is True and round_id is None:
        st.session_state["_mode_no_rounds"] = True
        return
    try:
        meetings.show_on_wall(db(), user, meeting_id, round_id)
    except DomainError as error:
        st.session_state["_mode_error"] = error


def projector_view() -> bool:
    return st.query_params.get("visning") == "projektor"


def navigation(user, meeting: meetings.Meeting, index: int, count: int) -> None:
    """Previous/next, also by keyboard: PageUp/PageDown is what a presentation clicker sends."""
    c1, c2 = st.columns(2)
    if index > 0:
        c1.button(T("mode.previous"), key="prev", icon=":material/arrow_back:", width="stretch", on_click=move,
                  args=(user, meeting.id, meeting.current_step, index - 1), shortcut="PageUp")
    if index < count - 1:
        c2.button(T("mode.next"), key="next", type="primary", icon=":material/arrow_forward:", width="stretch",
                  on_click=move, args=(user, meeting.id, meeting.current_step, index + 1), shortcut="PageDown")


def main() -> None:
    user = require(access.PLAN_MEETINGS)
    departments = org.all_departments(db())
    mine = access.allowed_departments(user, access.PLAN_MEETINGS, departments)
    listed = [m for m in meetings.for_departments(db(), mine) if not m.cancelled]
    if not listed:
        st.title(T("mode.page_title"))
        st.info(T("mode.none"), icon=":material/event:")  # and where to plan one
        st.page_link("pages/meetings.py", label=T("nav.meetings"), icon=":material/arrow_forward:")
        return
    ids = [m.id for m in listed]
    shown = next((i for i in ids if str(i) == st.query_params.get("moede")), None)  # a link names the meeting
    projector = projector_view() and shown is not None
    if projector:
        # A second screen for the room: no sidebar or selectors, large type; the controls stay on
        # the facilitator's laptop or phone, and this screen follows them.
        st.html(PROJECTOR_STYLE)
        meeting_id = shown
    else:
        # A link with the meeting (the facilitator's phone), or "Start mødetilstand" on the meetings page.
        wanted = shown or st.session_state.get("meeting_mode_id")
        meeting_id = st.selectbox(T("mode.meeting"), ids, index=ids.index(wanted) if wanted in ids else 0,
                                  format_func=lambda i: next(f"{m.starts_at:%d.%m.%Y} · {m.title}" for m in listed
                                                             if m.id == i), key="mode_meeting")
        st.page_link("pages/meeting_mode.py", label=T("mode.projector_link"), icon=":material/present_to_all:",
                     query_params={"visning": "projektor", "moede": str(meeting_id)}, help=T("mode.projector_help"))
    meeting = meetings.get(db(), meeting_id)
    drawn = meetings.wall_view(db(), meeting.id)  # what this screen draws; it redraws when that changes
    slide = meetings.screen(db(), meeting.id).slide_round
    if not projector:
        st.session_state["mode_results"] = slide is not None  # as every screen of the meeting shows it
        st.toggle(T("mode.show_results"), key="mode_results", help=T("mode.show_results_help"),
                  on_change=put_on_wall, args=(user, meeting.id, "mode_results"))
        if st.session_state.pop("_mode_no_rounds", False):
            st.info(T("results.no_rounds"), icon=":material/info:")
        if error := st.session_state.pop("_mode_error", None):
            show_error(error)
    if slide is not None:
        results_slide(user, meeting, slide, on_wall=projector)
    elif meeting.status == "done":
        st.title(md(meeting.title))
        summary_view(meeting)
    else:
        run(user, meeting, drawn)
        return
    if projector:
        stay_in_step(meeting.id, drawn)

main()
