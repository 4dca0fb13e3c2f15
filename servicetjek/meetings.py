"""Planned meetings, meeting mode (steps, time per step), proposals and decisions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from servicetjek import access, agenda, clock, org, rounds, trials
from servicetjek.content import THEME_IDS, Content, load
from servicetjek.db import Database
from servicetjek.errors import DomainError
from servicetjek.text import line, text
from servicetjek.users import User

MAX_TITLE = 120
MAX_FIELD = 200
MAX_NOTE = 1000


class MeetingError(DomainError):
    pass


class MeetingConflict(DomainError):
    """Someone changed the meeting since the version the change was based on."""

    def __init__(self):
        super().__init__("meetings.conflict")


@dataclass(frozen=True)
class Meeting:
    id: int
    department_id: int
    kind: str
    title: str
    starts_at: datetime  # Copenhagen wall-clock time (naive); stored as UTC (migration 0007)
    place: str
    facilitators: str
    participants: int
    themes: tuple[str, ...]
    decision: str
    welcome_minutes: int
    break_minutes: int
    facilitator_chosen: bool
    agenda_sent: bool
    status: str
    current_step: int
    decision_note: str
    created_by: str
    version: int
    cancelled: bool


_COLUMNS = ("id, department_id, kind, title, starts_at, place, facilitators, participants, themes, decision,"
            " welcome_minutes, break_minutes, facilitator_chosen, agenda_sent, status, current_step, decision_note,"
            " created_by, version, cancelled")


def _row(row) -> Meeting:
    values = list(row)
    values[8] = tuple(values[8])
    values[4] = clock.to_local(values[4]).replace(tzinfo=None)
    return Meeting(*values)


def get(db: Database, meeting_id: int) -> Meeting | None:
    row = db.query_one(f"SELECT {_COLUMNS} FROM meetings WHERE id = ?", [meeting_id])
    return _row(row) if row else None


def for_departments(db: Database, department_ids: set[int]) -> list[Meeting]:
    if not department_ids:
        return []
    rows = db.query(f"SELECT {_COLUMNS} FROM meetings WHERE department_id = ANY(?)"
                    " ORDER BY starts_at DESC, id DESC", [sorted(department_ids)])
    return [_row(r) for r in rows]


def _require(db: Database, user: User, department_id: int) -> None:
    access.require(user, access.PLAN_MEETINGS, department_id, org.all_departments(db))


def _text(value: str, limit: int, key: str) -> str:
    return line(value, limit, too_long=key, error=MeetingError)


def _checked(kind: str, title: str, participants: int, themes: list[str], decision: str, place: str,
             facilitators: str, welcome_minutes: int | None, break_minutes: int) -> dict:
    """A meeting's fields, validated and cleaned: the same rules when planning and when editing."""
    if kind not in ("single", "dialogue"):
        raise MeetingError("meetings.kind_invalid")
    themes = [t for t in dict.fromkeys(themes) if t in THEME_IDS]
    if not themes:
        raise MeetingError("agenda.themes_required")
    if kind == "single" and len(themes) != 1:
        raise MeetingError("meetings.single_one_theme")
    if kind == "dialogue" and len(themes) < 2:
        raise MeetingError("meetings.dialogue_two_themes")
    title = _text(title, MAX_TITLE, "meetings.title_too_long")
    if not title:
        raise MeetingError("meetings.title_required")
    place = _text(place, MAX_FIELD, "meetings.field_too_long")
    facilitators = _text(facilitators, MAX_FIELD, "meetings.field_too_long")
    if not isinstance(participants, int) or not 1 <= participants <= agenda.MAX_PARTICIPANTS:
        raise DomainError("agenda.participants_invalid", n=agenda.MAX_PARTICIPANTS)
    if decision not in ("A", "B"):
        raise DomainError("agenda.decision_invalid")
    if welcome_minutes is None:
        welcome_minutes = getattr(load(), kind).welcome_minutes
    if not 0 <= welcome_minutes <= 60 or not 0 <= break_minutes <= 60:
        raise DomainError("agenda.minutes_invalid")
    return {"title": title, "participants": participants, "themes": themes, "decision": decision, "place": place,
            "facilitators": facilitators, "welcome_minutes": welcome_minutes, "break_minutes": break_minutes}


def plan(db: Database, user: User, department_id: int, kind: str, title: str, starts_at: datetime,
         participants: int, themes: list[str], decision: str = "A", place: str = "", facilitators: str = "",
         welcome_minutes: int | None = None, break_minutes: int = 0) -> Meeting:
    _require(db, user, department_id)
    f = _checked(kind, title, participants, themes, decision, place, facilitators, welcome_minutes, break_minutes)

    def work(cur):
        return cur.execute(
            "INSERT INTO meetings (department_id, kind, title, starts_at, place, facilitators, participants, themes,"
            " decision, welcome_minutes, break_minutes, facilitator_chosen, created_by)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [department_id, kind, f["title"], clock.to_storage(starts_at), f["place"], f["facilitators"],
             f["participants"], f["themes"], f["decision"], f["welcome_minutes"], f["break_minutes"],
             bool(f["facilitators"]), user.username]).fetchone()[0]

    return get(db, db.transaction(work))


def _planned(db: Database, user: User, meeting_id: int) -> Meeting:
    meeting = _load(db, user, meeting_id)
    if meeting.cancelled:
        raise MeetingError("meetings.cancelled")
    if meeting.status != "planned":
        raise MeetingError("meetings.already_started")
    return meeting


def edit(db: Database, user: User, meeting_id: int, base_version: int, title: str, starts_at: datetime,
         participants: int, themes: list[str], place: str = "", facilitators: str = "",
         welcome_minutes: int | None = None, break_minutes: int = 0) -> Meeting:
    """Change a planned meeting (not once it has started); a stale version is a conflict."""
    meeting = _planned(db, user, meeting_id)
    f = _checked(meeting.kind, title, participants, themes, meeting.decision, place, facilitators,
                 welcome_minutes, break_minutes)
    del f["decision"]
    return _save(db, meeting, base_version, f | {"starts_at": clock.to_storage(starts_at)})


def cancel(db: Database, user: User, meeting_id: int, base_version: int) -> Meeting:
    """Cancel a planned meeting: it stays in the list as cancelled and can no longer be started."""
    meeting = _planned(db, user, meeting_id)
    return _save(db, meeting, base_version, {"cancelled": True})


def set_decision(db: Database, user: User, meeting_id: int, base_version: int, form: str) -> Meeting:
    """The meeting itself chooses how it concludes (A or B), up to the moment it closes."""
    meeting = _load(db, user, meeting_id)
    if meeting.status == "done":
        raise MeetingError("meetings.already_done")
    if form not in ("A", "B"):
        raise DomainError("agenda.decision_invalid")
    return _save(db, meeting, base_version, {"decision": form})


def meeting_agenda(meeting: Meeting, content: Content) -> agenda.Agenda:
    book = content.single if meeting.kind == "single" else content.dialogue
    return agenda.build(book, meeting.kind, meeting.starts_at, meeting.participants, list(meeting.themes),
                        meeting.decision, meeting.welcome_minutes, meeting.break_minutes,
                        break_title=content.ui.get("meetings.break", "Pause"))


CHECKLIST = ("facilitator_chosen", "agenda_sent")


def _save(db: Database, meeting: Meeting, base_version: int, changes: dict) -> Meeting:
    """Apply `changes` only if nobody changed the meeting since `base_version`."""
    assignments = ", ".join(f"{k} = ?" for k in changes)
    done = db.transaction(lambda cur: cur.execute(
        f"UPDATE meetings SET {assignments}, version = version + 1 WHERE id = ? AND version = ? RETURNING id",
        [*changes.values(), meeting.id, base_version]).fetchone())
    if done is None:
        raise MeetingConflict()
    return get(db, meeting.id)


def set_check(db: Database, user: User, meeting_id: int, base_version: int, item: str, value: bool) -> Meeting:
    """Tick one item of the before-the-meeting checklist."""
    if item not in CHECKLIST:
        raise MeetingError("meetings.step_invalid")
    meeting = _load(db, user, meeting_id)
    return _save(db, meeting, base_version, {item: bool(value)})


def _load(db: Database, user: User, meeting_id: int) -> Meeting:
    meeting = get(db, meeting_id)
    if meeting is None:
        raise MeetingError("meetings.unknown")
    _require(db, user, meeting.department_id)
    return meeting


# --- meeting mode ------------------------------------------------------------------------

def go_to_step(db: Database, user: User, meeting_id: int, step_index: int, now: datetime | None = None,
               from_step: int | None = None) -> Meeting:
    """Move the meeting to `step_index` (0-based over the agenda items) and time the steps.

    The step being left gets its end time; the step entered gets a start time the first
    time it is entered, so estimates can be compared with reality afterwards.
    """
    meeting = _load(db, user, meeting_id)
    if meeting.status == "done":
        raise MeetingError("meetings.already_done")
    if meeting.cancelled:
        raise MeetingError("meetings.cancelled")
    if from_step is not None and (meeting.status != "running" or meeting.current_step != from_step):
        raise MeetingConflict()  # someone else moved the meeting on (or started it) meanwhile
    now = now or clock.utcnow().replace(microsecond=0)
    if step_index < 0:
        raise MeetingError("meetings.step_invalid")

    def work(cur):
        if meeting.status == "running":
            cur.execute("UPDATE meeting_step_times SET ended_at = ? WHERE meeting_id = ? AND step_index = ?",
                        [now, meeting.id, meeting.current_step])
        cur.execute("INSERT INTO meeting_step_times (meeting_id, step_index, started_at) VALUES (?, ?, ?)"
                    " ON CONFLICT (meeting_id, step_index) DO UPDATE SET ended_at = NULL",
                    [meeting.id, step_index, now])
        cur.execute("UPDATE meetings SET status = 'running', current_step = ? WHERE id = ?", [step_index, meeting.id])

    db.transaction(work)
    return get(db, meeting.id)


def finish(db: Database, user: User, meeting_id: int, now: datetime | None = None) -> Meeting:
    meeting = _load(db, user, meeting_id)
    now = now or clock.utcnow().replace(microsecond=0)

    def work(cur):
        cur.execute("UPDATE meeting_step_times SET ended_at = ? WHERE meeting_id = ? AND step_index = ?"
                    " AND ended_at IS NULL", [now, meeting.id, meeting.current_step])
        cur.execute("UPDATE meetings SET status = 'done' WHERE id = ?", [meeting.id])

    db.transaction(work)
    return get(db, meeting.id)


def step_times(db: Database, meeting_id: int) -> dict[int, float]:
    """Minutes actually spent per agenda item (finished items only)."""
    rows = db.query("SELECT step_index, started_at, ended_at FROM meeting_step_times"
                    " WHERE meeting_id = ? AND ended_at IS NOT NULL", [meeting_id])
    # whole seconds passed, as a clock shows them
    return {i: (end.replace(microsecond=0) - start.replace(microsecond=0)).total_seconds() / 60
            for i, start, end in rows}


def countdown(started_at: datetime, minutes: int, now: datetime) -> tuple[int, bool]:
    """Seconds left of a step (negative when over time) and whether it is over time."""
    left = int(minutes * 60 - (now - started_at).total_seconds())
    return left, left < 0


@dataclass(frozen=True)
class Screen:
    """What every screen of a meeting shows beside its step: the speaker timer and the results slide."""

    speaker_step: int | None = None  # the step the speaker timer belongs to
    speaker_turn: int = 0  # 0-based: whose turn it is (== turns once everyone has spoken)
    speaker_started_at: datetime | None = None  # None: the timer is stopped
    slide_round: int | None = None  # the round whose results are on the wall; None: the steps


def screen(db: Database, meeting_id: int) -> Screen:
    row = db.query_one("SELECT speaker_step, speaker_turn, speaker_started_at, slide_round FROM meeting_screens"
                       " WHERE meeting_id = ?", [meeting_id])
    return Screen(*row) if row else Screen()


def _set_screen(db: Database, meeting_id: int, changes: dict) -> Screen:
    current = screen(db, meeting_id)
    values = {f: changes.get(f, getattr(current, f)) for f in Screen.__dataclass_fields__}
    db.transaction(lambda cur: cur.execute(
        "INSERT INTO meeting_screens (meeting_id, speaker_step, speaker_turn, speaker_started_at, slide_round)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (meeting_id) DO UPDATE SET speaker_step = excluded.speaker_step,"
        " speaker_turn = excluded.speaker_turn, speaker_started_at = excluded.speaker_started_at,"
        " slide_round = excluded.slide_round", [meeting_id, *values.values()]))
    return screen(db, meeting_id)


def toggle_speaker(db: Database, user: User, meeting_id: int, shown_step: int,
                   now: datetime | None = None) -> Screen:
    """Start the current speaker's time, or stop it (the next speaker is then ready).

    Only for the step the meeting is at: a screen that still shows an older step gets a conflict.
    """
    meeting = _load(db, user, meeting_id)
    if meeting.status != "running" or meeting.current_step != shown_step:
        raise MeetingConflict()
    now = now or clock.utcnow().replace(microsecond=0)
    current = screen(db, meeting_id)
    turn = current.speaker_turn if current.speaker_step == shown_step else 0
    running = current.speaker_step == shown_step and current.speaker_started_at is not None
    if running:
        return _set_screen(db, meeting_id, {"speaker_turn": turn + 1, "speaker_started_at": None})
    return _set_screen(db, meeting_id, {"speaker_step": shown_step, "speaker_turn": turn, "speaker_started_at": now})


@dataclass(frozen=True)
class SpeakerClock:
    turn: int  # 0-based, at most turns - 1
    seconds_left: int  # of this turn (negative when over time)
    running: bool
    over: bool  # this turn is over time
    everyone_spoke: bool


def speaker_clock(current: Screen, step_index: int, turns: int, per_turn: int, now: datetime) -> SpeakerClock:
    """The speaker timer of `step_index` as the screens show it (pure: `now` is given)."""
    mine = current.speaker_step == step_index
    turn = current.speaker_turn if mine else 0
    started = current.speaker_started_at if mine else None
    left = per_turn * 60 - (max(0, int((now - started).total_seconds())) if started else 0)
    return SpeakerClock(min(turn, turns - 1), left, started is not None, left < 0, turn >= turns)


def show_on_wall(db: Database, user: User, meeting_id: int, round_id: int | None) -> Screen:
    """Put a round's results on every screen of the meeting (None: back to the steps).

    Only rounds of the meeting's unit and its sub-units, as on the facilitator's own screen.
    """
    meeting = _load(db, user, meeting_id)
    if round_id is not None and round_id not in {r.id for r in slide_rounds(db, meeting)}:
        raise MeetingError("meetings.round_not_in_unit")
    return _set_screen(db, meeting_id, {"slide_round": round_id})


def slide_rounds(db: Database, meeting: Meeting) -> list[rounds.Round]:
    """The rounds whose results the meeting may show: its unit's and sub-units', newest first."""
    return rounds.for_departments(db, org.subtree_ids(org.all_departments(db), meeting.department_id))


def default_slide_round(db: Database, meeting: Meeting) -> int | None:
    """The round the meeting came from: the newest one opened before the meeting starts."""
    available = slide_rounds(db, meeting)
    starts = clock.to_storage(meeting.starts_at)
    return next((r.id for r in available if r.opens_at <= starts), available[0].id if available else None)


def wall_view(db: Database, meeting_id: int) -> tuple:
    """What decides a screen's content: a change from another screen makes the others redraw."""
    meeting = get(db, meeting_id)
    if meeting is None:
        return ()
    return meeting.status, meeting.current_step, meeting.cancelled, screen(db, meeting_id).slide_round


def moved_on(db: Database, meeting_id: int, shown_step: int) -> bool:
    """Whether the meeting is no longer at the step a screen shows (another screen moved it)."""
    meeting = get(db, meeting_id)
    return meeting is None or meeting.status != "running" or meeting.current_step != shown_step


def step_started_at(db: Database, meeting_id: int, step_index: int) -> datetime | None:
    row = db.query_one("SELECT started_at FROM meeting_step_times WHERE meeting_id = ? AND step_index = ?",
                       [meeting_id, step_index])
    return row[0] if row else None


# --- proposals and decision --------------------------------------------------------------

def add_proposal(db: Database, user: User, meeting_id: int, what: str, theme: str, who: str = "") -> trials.Trial:
    meeting = _load(db, user, meeting_id)
    if theme not in meeting.themes:
        raise MeetingError("meetings.theme_not_in_meeting")
    return trials.create(db, user, meeting.department_id, theme, what, who=who, meeting_id=meeting.id)


def choose_max() -> int:
    """"The 2–3 most important trials" – per group (table), not per meeting; from the content."""
    return load().dialogue.trials_per_group


def group_choice_limits(meeting: Meeting) -> dict[str, int]:
    """How many trials each theme's tables may choose together: 2–3 per table."""
    if meeting.kind == "single":
        return {meeting.themes[0]: choose_max()}
    per_theme = agenda.split_evenly(meeting.participants, list(meeting.themes))
    return {t: choose_max() * agenda.tables_for(n) for t, n in per_theme.items()}


def sort_proposal(db: Database, user: User, meeting_id: int, trial_id: int, base_version: int,
                  purpose: str | None, timing: str | None, chosen: bool) -> trials.Trial:
    """Place a proposal on the 2×2 (similar/different purpose × same/different time) and choose it.

    A versioned trial change: a stale `base_version` raises TrialConflict, and the history
    records who sorted or chose what.
    """
    meeting = _load(db, user, meeting_id)
    if purpose not in (None, "similar", "different") or timing not in (None, "same", "different"):
        raise MeetingError("meetings.quadrant_invalid")
    proposal = trials.get(db, trial_id)
    if proposal is None or proposal.meeting_id != meeting.id:
        raise MeetingError("meetings.proposal_unknown")
    limit = group_choice_limits(meeting).get(proposal.theme, choose_max())

    def within_limit(cur) -> None:
        # Counted in the choosing transaction: two people choosing at once (on PostgreSQL from
        # two app processes, where SERIALIZABLE retries the loser) cannot pass the limit together.
        n = cur.execute("SELECT count(*) FROM trials WHERE meeting_id = ? AND theme = ? AND chosen",
                        [meeting.id, proposal.theme]).fetchone()[0]
        if n > limit:
            raise MeetingError("meetings.choose_max", n=limit)

    return trials.place(db, user, trial_id, base_version, purpose, timing, bool(chosen),
                        check=within_limit if chosen and not proposal.chosen else None)


def decide(db: Database, user: User, meeting_id: int, form: str, chosen: dict[int, tuple[str, date | None]],
           note: str = "", now: datetime | None = None) -> Meeting:
    """Close the meeting. Decision A: the chosen proposals become decided trials with who and a
    follow-up date. Decision B: the working-environment group takes the proposals on (noted).

    Atomic: the trials, the note and the meeting's end are saved together or not at all.
    """
    meeting = _load(db, user, meeting_id)
    if meeting.status == "done":
        raise MeetingError("meetings.already_done")
    note = text(note, MAX_NOTE, too_long="meetings.field_too_long", error=MeetingError)
    now = now or clock.utcnow().replace(microsecond=0)

    def close(cur):
        cur.execute("UPDATE meeting_step_times SET ended_at = ? WHERE meeting_id = ? AND step_index = ?"
                    " AND ended_at IS NULL", [now, meeting.id, meeting.current_step])
        cur.execute("UPDATE meetings SET status = 'done', decision = ?, decision_note = ?, version = version + 1"
                    " WHERE id = ?", [form, note or form, meeting.id])

    if form == "A":
        if not chosen:
            raise MeetingError("meetings.decide_needs_trial")
        proposals = {p.id for p in trials.for_meeting(db, meeting.id)}
        if not set(chosen) <= proposals:
            raise MeetingError("meetings.proposal_unknown")
        trials.decide_together(db, user, chosen, then=close)
    elif form == "B":
        db.transaction(close)
    else:
        raise DomainError("agenda.decision_invalid")
    return get(db, meeting.id)


def table_card_lines(meeting: Meeting, content: Content) -> list[str]:
    """What lies on each table of a dialogue meeting: the theme's question, its reflection
    questions and the proposal question, then the process (steps 2–5 of the theme runbook)."""
    lines = []
    for theme_id in meeting.themes:
        theme = content.theme(theme_id)
        lines += [f"{theme.name}: {theme.question}", *(f"  - {q}" for q in theme.reflection),
                  f"  > {theme.proposal_question}", ""]
    steps = content.single.steps[1:5]
    return lines + [f"{i}. {s.title}: {s.text}" for i, s in enumerate(steps, start=2)]


def summary(db: Database, meeting: Meeting, content: Content) -> dict:
    names = content.theme_names()
    planned = meeting_agenda(meeting, content)
    actual = step_times(db, meeting.id)
    return {
        "title": meeting.title,
        "kind": meeting.kind,
        "starts_at": meeting.starts_at,
        "themes": [names[t] for t in meeting.themes],
        "participants": meeting.participants,
        "decision": meeting.decision,
        "decision_note": meeting.decision_note,
        "steps": [(item.title, item.minutes, actual.get(i)) for i, item in enumerate(planned.items)],
        "proposals": [(names[p.theme], p.what, p.who, p.status) for p in trials.for_meeting(db, meeting.id)],
    }
