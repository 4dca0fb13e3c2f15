"""The trial board (handleplan): the method's columns, cards by status, a timeline."""

from datetime import date, timedelta

import streamlit as st

from servicetjek import access, clock, exports, org, trials
from servicetjek.content import THEME_IDS, load
from servicetjek.errors import DomainError
from servicetjek.ui.charts import show as show_chart
from servicetjek.ui.checkins import ANSWERS, checkin_lines
from servicetjek.ui.common import T, base_url, db, department_picker, lang, md, plain_table, require, show_error

COLUMNS = ("what", "why", "how", "who", "adjustments")
KIND_LABELS = {"checkin": "board.checkin", "decision": "board.decision_point"}


def plan_rows(board: list[trials.Trial], names: dict, points=None) -> tuple[list[str], list[list]]:
    """The method's columns, plus department and theme; with `points` also start, weeks and next stop."""
    content = load(lang())
    departments = {d.id: d.name for d in org.all_departments(db())}
    header = [T("board.department"), T("board.theme"), *content.action_plan["columns"]]
    rows = [[departments.get(t.department_id, ""), names[t.theme], t.what, t.why, t.how, t.who, t.adjustments,
             T(f"status.{t.status}")] for t in board]
    if points is not None:
        header += [T("board.start"), T("board.weeks"), T("board.next_column")]
        for row, t in zip(rows, board, strict=True):
            nxt = next_checkpoint(t, points)
            row += [f"{t.start_date:%d.%m.%Y}" if t.start_date else "", t.weeks if t.start_date else None,
                    f"{T(KIND_LABELS[nxt.kind])} {nxt.due:%d.%m.%Y}" if nxt else ""]
    return header, rows


def next_checkpoint(trial: trials.Trial, points: list[trials.Checkpoint]) -> trials.Checkpoint | None:
    pending = [c for c in points if c.trial_id == trial.id and c.done_at is None]
    return pending[0] if pending else None


def timeline_view(board, points) -> None:
    running = [t for t in board if t.start_date]
    if not running:
        st.info(T("board.no_timeline"), icon=":material/timeline:")
        return
    rows = [{"what": t.what, "start": t.start_date, "end": t.start_date + timedelta(weeks=t.weeks),
             "status": T(f"status.{t.status}"),
             "points": [(c.due, c.kind, c.done_at is not None) for c in points if c.trial_id == t.id]}
            for t in running]
    labels = {"checkin": T("board.checkin"), "decision": T("board.decision_point"), "today": T("board.today")}
    show_chart("timeline", rows, clock.today(), labels, lang=lang(), width="stretch", alt=T("charts.timeline_alt"))


def cards_view(board, points, names) -> None:
    groups = [("proposed",), ("decided",), ("running", "decision"), ("permanent", "extended", "stopped")]
    cols = st.columns(len(groups))
    for col, statuses in zip(cols, groups, strict=True):
        col.markdown(f"**{' / '.join(T(f'status.{s}') for s in statuses)}**")
        for t in [t for t in board if t.status in statuses]:
            nxt = next_checkpoint(t, points)
            with col.container(border=True):
                st.markdown(f"**{md(t.what)}**")
                st.caption(f"{names[t.theme]}" + (f" · {md(t.who)}" if t.who else ""))
                if nxt:
                    late = nxt.due < clock.today()
                    st.markdown((":red[" if late else "") + T("board.next", kind=T(KIND_LABELS[nxt.kind]),
                                                              date=f"{nxt.due:%d.%m.%Y}") + ("]" if late else ""))


def load_form(trial: trials.Trial) -> None:
    """Put the trial's current texts in the form and remember the version they came from."""
    for field in COLUMNS:
        st.session_state[f"{field}_{trial.id}"] = getattr(trial, field)
    st.session_state[f"_base_{trial.id}"] = trial.version
    st.session_state.pop(f"_conflict_{trial.id}", None)


def keep_mine(trial_id: int) -> None:
    """Merge choice: keep my texts, now based on the version that is saved."""
    st.session_state[f"_base_{trial_id}"] = trials.get(db(), trial_id).version
    st.session_state.pop(f"_conflict_{trial_id}", None)


def trial_labels(board: list[trials.Trial]) -> dict[int, str]:
    """Menu labels: the trial's own words only. Streamlit keeps a menu's choice as its label, so a
    label that changed with the language or the status would lose the choice; twins get their number."""
    seen = [t.what for t in board]
    return {t.id: t.what if seen.count(t.what) == 1 else f"{t.what} (#{t.id})" for t in board}


def pick_trial(board: list[trials.Trial], late: list[trials.Checkpoint]) -> trials.Trial:
    """One trial's editor at a time (all of them at once made this the heaviest page).
    The first choice is the one that needs attention: a stop that is overdue, else one running."""
    if len(board) == 1:
        return board[0]
    by_id = {t.id: t for t in board}
    if st.session_state.get("board_trial") not in by_id:
        late_ids = {c.trial_id for c in late}
        first = next((t for t in board if t.id in late_ids), None) or next(
            (t for t in board if t.status == "running"), board[0])
        st.session_state["board_trial"] = first.id
    # The options keep the board's order, so a saved change never moves the choice.
    labels = trial_labels(board)
    chosen = st.selectbox(T("board.pick_trial"), list(by_id), format_func=labels.get, key="board_trial")
    return by_id.get(chosen, board[0])


def edit_trial(user, trial: trials.Trial, points, can_edit: bool) -> None:
    content = load(lang())
    with st.container(border=True):
        st.markdown(f"**{md(trial.what)} · {T(f'status.{trial.status}')}**")
        if not can_edit:
            for field, label in zip(COLUMNS, content.action_plan["columns"][:5], strict=True):
                st.markdown(f"**{label}** {md(getattr(trial, field)) or '–'}")
            checkin_log(trial, points)
            return
        if f"_base_{trial.id}" not in st.session_state:
            load_form(trial)
        conflict = st.session_state.get(f"_conflict_{trial.id}")
        if conflict:
            st.error(T("trials.conflict"), icon=":material/sync_problem:")
            mine, theirs = st.columns(2)
            mine.markdown(f"**{T('board.mine')}**")
            theirs.markdown(f"**{T('board.theirs', who=md(trial.updated_by))}**")
            for field, label in zip(COLUMNS, content.action_plan["columns"][:5], strict=True):
                mine.caption(f"{label} {md(conflict[field]) or '–'}")
                theirs.caption(f"{label} {md(getattr(trial, field)) or '–'}")
            mine.button(T("board.keep_mine"), key=f"keep_{trial.id}", on_click=keep_mine, args=(trial.id,))
            theirs.button(T("board.take_theirs"), key=f"take_{trial.id}", on_click=load_form, args=(trial,))
        with st.form(f"edit_{trial.id}"):
            for field, label in zip(COLUMNS, content.action_plan["columns"][:5], strict=True):
                st.text_input(label, key=f"{field}_{trial.id}")
            if st.form_submit_button(T("common.save")):
                save(user, trial.id, {f: st.session_state[f"{f}_{trial.id}"] for f in COLUMNS})
        status_actions(user, trial, points)
        if trial.status == "running":
            checkin_form(user, trial, points)
        checkin_log(trial, points)
        history = trials.history(db(), user, trial.id)
        st.caption(T("board.history"))
        st.dataframe([{T("board.when"): f"{h['at']:%d.%m.%Y %H:%M}", T("board.by"): h["by"],
                       T("board.change"): describe_change(h["change"])} for h in history],
                     hide_index=True, width="stretch")


def checkin_log(trial: trials.Trial, points, container=st) -> None:
    """What each stop-op found: the three questions and their answers, oldest first."""
    lines = checkin_lines(trial, points)
    if lines:
        container.markdown(f"**{T('board.checkins_so_far')}**")
        for line in lines:
            container.markdown(line)


def rhythm_label(rhythm: str) -> str:
    """The stop-op rhythm in words, with the numbers from the method's content."""
    method = trials.method_rhythm()
    weeks = f" {T('common.and')} ".join(map(str, method.checkin_weeks))
    return T(f"board.rhythm_{rhythm}", weeks=weeks, days=method.interval_days)


def describe_change(change: dict) -> str:
    """A history entry in words: "Status: I gang · Start: 12.10.2026", not a dict."""
    columns = [c.rstrip("?") for c in load(lang()).action_plan["columns"]]
    labels = dict(zip([*COLUMNS, "status"], columns, strict=True)) | {
        "start_date": T("board.start"), "weeks": T("board.weeks"), "rhythm": T("board.rhythm"),
        "checkin": T("board.checkin"), "outcome_reason": T("board.reason").rstrip("?"),
        "follow_up": T("board.history_follow_up"), "purpose": T("mode.purpose"), "timing": T("mode.timing"),
        "chosen": T("mode.chosen")} | dict(zip(ANSWERS, [q.rstrip("?") for q in load(lang()).trials[
            "checkin_questions"]], strict=True))

    def value(key: str, raw) -> str:
        if key == "status":
            return T(f"status.{raw}")
        if key in ("rhythm", "purpose", "timing"):
            return rhythm_label(raw) if key == "rhythm" else T(f"mode.{key}_{raw}")
        if key == "chosen":
            return "✓" if raw else "–"
        if key in ("start_date", "checkin", "follow_up") and raw:
            return date.fromisoformat(str(raw)[:10]).strftime("%d.%m.%Y")
        return str(raw) if raw not in (None, "") else "–"

    if "created" in change:
        return f"{T('board.history_created')}: " + describe_change(change["created"])
    return " · ".join(f"{labels.get(key, key)}: {value(key, raw)}" for key, raw in change.items())


def save(user, trial_id: int, values: dict) -> None:
    try:
        saved = trials.update(db(), user, trial_id, st.session_state[f"_base_{trial_id}"], **values)
    except trials.TrialConflict:
        st.session_state[f"_conflict_{trial_id}"] = values
        st.rerun()
    except DomainError as error:
        show_error(error)
        return
    st.session_state[f"_base_{trial_id}"] = saved.version
    st.session_state.pop(f"_conflict_{trial_id}", None)
    st.rerun()


def status_actions(user, trial: trials.Trial, points=()) -> None:
    allowed = trials.TRANSITIONS[trial.status]
    if "running" in allowed:
        c1, c2, c3 = st.columns(3)
        start = c1.date_input(T("board.start"), clock.today(), key=f"start_{trial.id}",
                              format="DD.MM.YYYY")
        weeks = c2.number_input(T("board.weeks"), 1, 26, trial.weeks, key=f"weeks_{trial.id}")
        rhythm = c3.selectbox(T("board.rhythm"), trials.RHYTHMS, key=f"rhythm_{trial.id}",
                              format_func=rhythm_label)
        holiday_note(start, int(weeks))
        if st.button(T("board.start_trial"), key=f"go_{trial.id}", icon=":material/play_arrow:"):
            act(lambda: trials.start(db(), user, trial.id, trial.version, start, int(weeks), rhythm))
    others = [s for s in ("decided", "stopped") if s in allowed]
    cols = st.columns(max(1, len(others)))
    for col, status in zip(cols, others, strict=False):
        if col.button(T(f"board.to_{status}"), key=f"{status}_{trial.id}"):
            act(lambda status=status: trials.change_status(db(), user, trial.id, trial.version, status))
    if trial.status in ("permanent", "extended", "stopped") and access.can(
            user, access.MANAGE_ROUNDS, trial.department_id, org.all_departments(db())):
        # The method's loop: after a decision, measure again to see the effect.
        st.info(T("board.follow_up_round"), icon=":material/replay:")
        st.page_link("pages/rounds.py", label=T("board.open_round"), icon=":material/how_to_vote:")
    if trial.status in ("running", "decision"):
        with st.form(f"decide_{trial.id}"):
            checkin_log(trial, points)  # the decision after the last week builds on what the stops found
            outcome = st.radio(T("board.outcome"), ["permanent", "extended", "stopped"], horizontal=True,
                               key=f"outcome_{trial.id}", format_func=lambda s: T(f"status.{s}"))
            reason = st.text_input(T("board.reason"), key=f"reason_{trial.id}")
            if st.form_submit_button(T("board.decide")):
                act(lambda: trials.decide(db(), user, trial.id, trial.version, outcome, reason))


def holiday_note(start: date, weeks: int) -> None:
    """Holiday periods break a trial's stretch (the seed); single public holidays are only noted."""
    clashes = trials.holiday_clashes(start, weeks, trials.holiday_weeks(db()))

    def name(key: str) -> str:
        return T("holiday.week", n=key[5:]) if key.startswith("week_") else T(f"holiday.{key}")

    periods = [f"{name(k)} ({d:%d.%m.%Y})" for d, k in clashes if trials.is_period(k)]
    days = [f"{name(k)} {d:%d.%m.%Y}" for d, k in clashes if not trials.is_period(k)]
    if periods:
        clean = trials.next_clean_window(start, weeks, trials.holiday_weeks(db()))
        st.warning(T("board.holiday_periods", list=", ".join(periods),
                     clean=f"{clean:%d.%m.%Y}" if clean else "–"), icon=":material/beach_access:")
    if days:
        st.info(T("board.holiday_days", list=", ".join(days)), icon=":material/event_busy:")


def checkin_form(user, trial, points) -> None:
    due = [c for c in points if c.trial_id == trial.id and c.kind == "checkin" and c.done_at is None]
    if not due:
        return
    questions = load(lang()).trials["checkin_questions"]
    with st.form(f"checkin_{trial.id}"):
        st.markdown(f"**{T('board.checkin_title', date=f'{due[0].due:%d.%m.%Y}')}**")
        # Keyed by the due date, so the next check-in starts with empty answers.
        answers = [st.text_area(q, key=f"ci_{i}_{trial.id}_{due[0].due}", height=68) for i, q in enumerate(questions)]
        adjustments = st.text_input(load(lang()).action_plan["columns"][4], trial.adjustments,
                                    key=f"ci_adj_{trial.id}")
        if st.form_submit_button(T("board.save_checkin")):
            act(lambda: trials.record_checkin(db(), user, trial.id, trial.version, due[0].due, *answers,
                                              adjustments=adjustments))


def act(change) -> None:
    try:
        changed = change()
    except trials.TrialConflict:
        st.error(T("trials.conflict"), icon=":material/sync_problem:")
        return
    except DomainError as error:
        show_error(error)
        return
    # My own change moved the version: the edit form reloads from it on the next run (a form
    # holds no unsent edits), so my next save is not a conflict with myself.
    st.session_state.pop(f"_base_{changed.id}", None)
    st.rerun()


def add_form(user, dept_id: int, names: dict) -> None:
    with st.expander(T("board.add"), icon=":material/add:"), st.form("add_trial", clear_on_submit=True):
        what = st.text_input(load(lang()).action_plan["columns"][0], key="add_what", max_chars=trials.MAX_WHAT)
        theme = st.selectbox(T("board.theme"), list(THEME_IDS), format_func=names.get, key="add_theme")
        why = st.text_input(load(lang()).action_plan["columns"][1], key="add_why")
        if st.form_submit_button(T("board.add_submit"), type="primary"):
            try:
                trials.create(db(), user, dept_id, theme, what, why)
                st.rerun()
            except DomainError as error:
                show_error(error)


def sharing(user, dept_id: int, board, points) -> None:
    names = load(lang()).theme_names()
    header, rows = plan_rows(board, names)
    c1, c2, c3 = st.columns(3)
    title, intro = T("board.pdf_title"), load(lang()).action_plan["intro"]
    # Files are made only when clicked (a callable runs outside the script, so texts are ready here).
    pdf = lambda: exports.simple_pdf(title, [intro], header, rows, exports.ACTION_PLAN_WIDTHS,  # noqa: E731
                                     landscape=True)
    c1.download_button(T("board.pdf"), pdf, "handleplan.pdf", "application/pdf", icon=":material/print:",
                       key="board_pdf", on_click="ignore")
    events = [(f"{t.what}: {T(KIND_LABELS[c.kind])}", c.due) for t in board for c in points if c.trial_id == t.id]
    c2.download_button(T("board.ics"), lambda: exports.dates_ics(events), "forsoeg.ics", "text/calendar",
                       icon=":material/calendar_month:", key="board_ics", on_click="ignore")
    if access.can(user, access.EDIT_BOARD, dept_id, org.all_departments(db())):
        with c3.popover(T("board.share")):
            # Looking never shares: the link exists only after "Del", and "Stop deling" ends it.
            token = trials.board_token(db(), user, dept_id)
            if token is None:
                st.caption(T("board.share_off"))
                st.button(T("board.share_on"), key="share_link", type="primary",
                          on_click=trials.share_board, args=(db(), user, dept_id))
            else:
                st.code(f"{base_url()}/?board={token}", language=None, wrap_lines=True)
                st.caption(T("board.share_help"))
                st.button(T("board.revoke"), key="revoke_link", icon=":material/link_off:",
                          on_click=trials.revoke_board_token, args=(db(), user, dept_id))


def main() -> None:
    user = require(access.VIEW_BOARD)
    names = load(lang()).theme_names()
    st.title(T("board.page_title"))
    st.caption(load(lang()).action_plan["intro"])
    dept_id = department_picker(user, access.VIEW_BOARD, "board.department", "board_dept")
    if dept_id is None:
        return
    departments = org.all_departments(db())
    can_edit = access.can(user, access.EDIT_BOARD, dept_id, departments)
    # The board of a unit includes its sub-units' trials, like its results do.
    board = trials.for_departments(db(), org.subtree_ids(departments, dept_id))
    points = trials.checkpoints_for(db(), [t.id for t in board])
    late = trials.overdue(db(), [t.id for t in board])
    if late:
        st.warning(T("board.overdue", n=len(late)), icon=":material/alarm:")
    if can_edit:
        add_form(user, dept_id, names)
    if not board:
        st.info(T("board.empty"), icon=":material/info:")
        return
    table, cards, timeline = st.tabs([T("board.tab_table"), T("board.tab_cards"), T("board.tab_timeline")])
    with table:
        header, rows = plan_rows(board, names, points)
        plain_table(header, rows, T("board.page_title"))
        st.subheader(T("board.work_title"))
        edit_trial(user, pick_trial(board, late), points, can_edit)
    with cards:
        cards_view(board, points, names)
    with timeline:
        timeline_view(board, points)
    sharing(user, dept_id, board, points)


main()
