"""The trial board (handleplan): six-week trials, check-ins, decisions, history.

Every change names the version it was based on; a stale save raises TrialConflict with
the current version, so two people editing at once never silently overwrite each other.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from servicetjek import access, clock, org, settings
from servicetjek.content import THEME_IDS, load
from servicetjek.db import Database
from servicetjek.errors import DomainError
from servicetjek.i18n import Message
from servicetjek.text import line, text
from servicetjek.users import User

STATUSES = ("proposed", "decided", "running", "decision", "permanent", "extended", "stopped")
TRANSITIONS = {
    "proposed": {"decided", "stopped"},
    "decided": {"running", "stopped"},
    "running": {"decision", "stopped"},
    "decision": {"permanent", "extended", "stopped"},
    "extended": {"running", "stopped"},
    "permanent": set(),
    "stopped": set(),
}
TEXT_FIELDS = ("what", "why", "how", "who", "adjustments")
LINE_FIELDS = ("what", "who")
MAX_WHAT = 200
MAX_TEXT = 1000
RHYTHMS = ("weeks_2_4", "every_14")  # stored ids: the content's check-in weeks, or its interval in days
DEFAULT_HOLIDAY_WEEKS = "7,42"  # winter and autumn; Easter, summer and Christmas follow the calendar


class TrialError(DomainError):
    pass


class TrialConflict(DomainError):
    def __init__(self, current: Trial):
        super().__init__("trials.conflict")
        self.current = current


@dataclass(frozen=True)
class Trial:
    id: int
    department_id: int
    meeting_id: int | None
    theme: str
    what: str
    why: str
    how: str
    who: str
    adjustments: str
    status: str
    purpose: str | None
    timing: str | None
    chosen: bool
    start_date: date | None
    weeks: int
    rhythm: str
    follow_up: date | None
    outcome_reason: str
    version: int
    updated_by: str


_COLUMNS = ("id, department_id, meeting_id, theme, what, why, how, who, adjustments, status, purpose, timing,"
            " chosen, start_date, weeks, rhythm, follow_up, outcome_reason, version, updated_by")


def get(db: Database, trial_id: int) -> Trial | None:
    row = db.query_one(f"SELECT {_COLUMNS} FROM trials WHERE id = ?", [trial_id])
    return Trial(*row) if row else None


def for_departments(db: Database, department_ids: set[int]) -> list[Trial]:
    if not department_ids:
        return []
    rows = db.query(f"SELECT {_COLUMNS} FROM trials WHERE department_id = ANY(?) ORDER BY id",
                    [sorted(department_ids)])
    return [Trial(*r) for r in rows]


def for_meeting(db: Database, meeting_id: int) -> list[Trial]:
    rows = db.query(f"SELECT {_COLUMNS} FROM trials WHERE meeting_id = ? ORDER BY id", [meeting_id])
    return [Trial(*r) for r in rows]


def _clean_texts(values: dict) -> dict:
    clean = {}
    for name in TEXT_FIELDS:
        if name in values:
            if not isinstance(values[name], str):
                raise TrialError("trials.text_invalid")
            clean[name] = _clean_text(name, values[name])
    if "what" in clean and not clean["what"]:
        raise TrialError("trials.what_required")
    return clean


def _clean_text(name: str, value: str) -> str:
    """What and who are one line (names on the board); the rest may have line breaks."""
    if name in LINE_FIELDS:
        return line(value, MAX_WHAT, too_long="trials.text_too_long", error=TrialError)
    return text(value, MAX_TEXT, too_long="trials.text_too_long", error=TrialError)


def _require_edit(db: Database, user: User | None, department_id: int) -> None:
    access.require(user, access.EDIT_BOARD, department_id, org.all_departments(db))


def _now() -> datetime:
    return clock.utcnow().replace(microsecond=0)


def create(db: Database, user: User, department_id: int, theme: str, what: str, why: str = "", how: str = "",
           who: str = "", meeting_id: int | None = None, status: str = "proposed") -> Trial:
    _require_edit(db, user, department_id)
    if theme not in THEME_IDS:
        raise TrialError("trials.theme_invalid")
    if status not in ("proposed", "decided"):
        raise TrialError("trials.status_invalid")
    texts = _clean_texts({"what": what, "why": why, "how": how, "who": who})

    def work(cur):
        trial_id = cur.execute(
            "INSERT INTO trials (department_id, meeting_id, theme, what, why, how, who, status, weeks, updated_by)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [department_id, meeting_id, theme, texts["what"], texts["why"], texts["how"], texts["who"], status,
             method_rhythm().weeks, user.username]).fetchone()[0]
        cur.execute("INSERT INTO trial_history VALUES (?, 1, ?, ?, ?)",
                    [trial_id, user.username, _now(), json.dumps({"created": texts | {"status": status}})])
        return trial_id

    return get(db, db.transaction(work))


def _apply(cur, user: User, trial_id: int, base_version: int, changes: dict, entry: dict) -> int | None:
    """One versioned change inside the caller's transaction; None when the version moved on."""
    assignments = "".join(f", {k} = ?" for k in changes)
    updated = cur.execute(
        f"UPDATE trials SET version = version + 1, updated_by = ?, updated_at = ?{assignments}"
        " WHERE id = ? AND version = ? RETURNING version",
        [user.username, _now(), *changes.values(), trial_id, base_version]).fetchone()
    if updated is None:
        return None
    cur.execute("INSERT INTO trial_history VALUES (?, ?, ?, ?, ?)",
                [trial_id, updated[0], user.username, _now(), json.dumps(entry, default=str)])
    return updated[0]


def _save(db: Database, user: User, trial: Trial, base_version: int, changes: dict,
          extra_sql=None, note: dict | None = None) -> Trial:
    """Apply `changes` if nobody saved since `base_version`; record them in the history.

    `extra_sql(cur)` runs in the same transaction; `note` adds to the history entry.
    """
    entry = changes | (note or {})
    if not entry:
        return trial

    def work(cur):
        version = _apply(cur, user, trial.id, base_version, changes, entry)
        if version is not None and extra_sql:
            extra_sql(cur)
        return version

    if db.transaction(work) is None:
        raise TrialConflict(get(db, trial.id))
    return get(db, trial.id)


def decide_together(db: Database, user: User, decisions: dict[int, tuple[str, date | None]], then=None) -> None:
    """A meeting's decision A: every chosen proposal becomes a decided trial with who and a
    follow-up date – all of them or none (`then(cur)` runs in the same transaction).

    Everything is checked before anything is written, so a missing "who" saves nothing and a
    retry after fixing it simply works; a trial already decided only gets its who/date.
    """
    planned = []
    for trial_id, (who, follow_up) in decisions.items():
        trial = _load_for_edit(db, user, trial_id)
        who = _clean_texts({"who": who or ""})["who"]
        if not who or follow_up is None:
            raise TrialError("trials.decide_needs_who_and_date", what=trial.what)
        if trial.status not in ("proposed", "decided"):
            raise TrialError("trials.already_further", what=trial.what, status=Message(f"status.{trial.status}"))
        changes = {k: v for k, v in {"who": who, "follow_up": follow_up, "status": "decided"}.items()
                   if getattr(trial, k) != v}
        planned.append((trial, changes))

    def work(cur):
        for trial, changes in planned:
            if changes and _apply(cur, user, trial.id, trial.version, changes, changes) is None:
                raise TrialConflict(get(db, trial.id))
        if then:
            then(cur)

    db.transaction(work)


def _load_for_edit(db: Database, user: User, trial_id: int) -> Trial:
    trial = get(db, trial_id)
    if trial is None:
        raise TrialError("trials.unknown")
    _require_edit(db, user, trial.department_id)
    return trial


def update(db: Database, user: User, trial_id: int, base_version: int, **values) -> Trial:
    """Change the action-plan texts (what, why, how, who, adjustments) and follow-up date."""
    trial = _load_for_edit(db, user, trial_id)
    changes = _clean_texts(values)
    if "follow_up" in values:
        changes["follow_up"] = values["follow_up"]
    changes = {k: v for k, v in changes.items() if getattr(trial, k) != v}
    return _save(db, user, trial, base_version, changes)


def place(db: Database, user: User, trial_id: int, base_version: int, purpose: str | None, timing: str | None,
          chosen: bool, check=None) -> Trial:
    """A proposal's place on a dialogue meeting's 2×2 and whether its group chose it (rules in meetings:
    `check(cur)` runs after the change in its transaction and raises to undo it)."""
    trial = _load_for_edit(db, user, trial_id)
    changes = {"purpose": purpose, "timing": timing, "chosen": chosen}
    return _save(db, user, trial, base_version, {k: v for k, v in changes.items() if getattr(trial, k) != v},
                 extra_sql=check)


def change_status(db: Database, user: User, trial_id: int, base_version: int, status: str,
                  reason: str = "") -> Trial:
    trial = _load_for_edit(db, user, trial_id)
    if status not in TRANSITIONS.get(trial.status, set()):
        raise TrialError("trials.transition_invalid", current=Message(f"status.{trial.status}"),
                         new=Message(f"status.{status}"))
    if status == "running":
        raise TrialError("trials.start_needs_date")
    changes = {"status": status}
    reason = text(reason, MAX_TEXT, too_long="trials.text_too_long", error=TrialError)
    if reason:
        changes["outcome_reason"] = reason
    return _save(db, user, trial, base_version, changes)


@dataclass(frozen=True)
class Rhythm:
    weeks: int
    checkin_weeks: tuple[int, ...]
    interval_days: int


def method_rhythm() -> Rhythm:
    """The method's trial rhythm, from content/*/method.toml (the one source of these numbers)."""
    raw = load().trials
    return Rhythm(int(raw["weeks"]), tuple(int(w) for w in raw["checkin_weeks"]), int(raw["alternative_interval_days"]))


def checkpoints(start: date, weeks: int | None = None, rhythm: str = "weeks_2_4") -> list[tuple[date, str]]:
    """Check-ins after the content's weeks (or every N days) and the decision after the last week."""
    if rhythm not in RHYTHMS:
        raise TrialError("trials.rhythm_invalid")
    method = method_rhythm()
    weeks = weeks or method.weeks
    end = start + timedelta(weeks=weeks)
    if rhythm == "weeks_2_4":
        checkins = [start + timedelta(weeks=w) for w in method.checkin_weeks if w < weeks]
    else:
        step = method.interval_days
        checkins = [start + timedelta(days=d) for d in range(step, weeks * 7, step)]
    return [(d, "checkin") for d in checkins] + [(end, "decision")]


def start(db: Database, user: User, trial_id: int, base_version: int, start_date: date, weeks: int | None = None,
          rhythm: str = "weeks_2_4") -> Trial:
    trial = _load_for_edit(db, user, trial_id)
    if "running" not in TRANSITIONS[trial.status]:
        raise TrialError("trials.transition_invalid", current=Message(f"status.{trial.status}"),
                         new=Message("status.running"))
    weeks = method_rhythm().weeks if weeks is None else weeks
    if not isinstance(weeks, int) or not 1 <= weeks <= 26:
        raise TrialError("trials.weeks_invalid")
    plan = checkpoints(start_date, weeks, rhythm)

    def schedule(cur):
        cur.execute("DELETE FROM trial_checkins WHERE trial_id = ? AND done_at IS NULL", [trial.id])
        for due, kind in plan:
            cur.execute("INSERT INTO trial_checkins (trial_id, due, kind) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                        [trial.id, due, kind])

    changes = {"status": "running", "start_date": start_date, "weeks": weeks, "rhythm": rhythm}
    return _save(db, user, trial, base_version, changes, schedule)


@dataclass(frozen=True)
class Checkpoint:
    trial_id: int
    due: date
    kind: str
    done_at: datetime | None
    learned: str
    continue_with: str
    adjust: str


def checkpoints_for(db: Database, trial_ids: list[int]) -> list[Checkpoint]:
    if not trial_ids:
        return []
    rows = db.query("SELECT trial_id, due, kind, done_at, learned, continue_with, adjust FROM trial_checkins"
                    " WHERE trial_id = ANY(?) ORDER BY due, kind", [trial_ids])
    return [Checkpoint(*r) for r in rows]


def record_checkin(db: Database, user: User, trial_id: int, base_version: int, due: date, learned: str,
                   continue_with: str, adjust: str, today: date | None = None, **changes) -> Trial:
    """Answer the three questions at a check-in; optional changes to the trial go with it."""
    trial = _load_for_edit(db, user, trial_id)
    today = today or clock.today()
    if trial.status != "running" or trial.start_date is None:
        raise TrialError("trials.checkin_not_running")
    if today < trial.start_date:
        raise TrialError("trials.checkin_before_start")
    answers = {k: text(v, MAX_TEXT, too_long="trials.text_too_long", error=TrialError)
               for k, v in {"learned": learned, "continue_with": continue_with, "adjust": adjust}.items()}
    if not any(answers.values()):
        raise TrialError("trials.checkin_empty")
    known = db.query_one("SELECT done_at FROM trial_checkins WHERE trial_id = ? AND due = ? AND kind = 'checkin'",
                         [trial_id, due])
    if known is None:
        raise TrialError("trials.checkin_unknown")
    text_changes = _clean_texts(changes)

    def mark(cur):
        cur.execute("UPDATE trial_checkins SET done_by = ?, done_at = ?, learned = ?, continue_with = ?, adjust = ?"
                    " WHERE trial_id = ? AND due = ? AND kind = 'checkin'",
                    [user.username, _now(), *answers.values(), trial_id, due])

    changed = {k: v for k, v in text_changes.items() if getattr(trial, k) != v}
    # The answers go into the history too, so what was learned stays readable beside the changes.
    said = {k: v.strip() for k, v in answers.items() if v.strip()}
    return _save(db, user, trial, base_version, changed, mark, note={"checkin": str(due)} | said)


def decide(db: Database, user: User, trial_id: int, base_version: int, outcome: str, reason: str) -> Trial:
    """After the trial period: make permanent, extend with adjustments, or stop – and why."""
    if outcome not in ("permanent", "extended", "stopped"):
        raise TrialError("trials.outcome_invalid")
    if not (reason or "").strip():
        raise TrialError("trials.reason_required")
    trial = _load_for_edit(db, user, trial_id)
    if trial.status == "running":
        trial = change_status(db, user, trial_id, base_version, "decision")
        base_version = trial.version
    decided = change_status(db, user, trial_id, base_version, outcome, reason)
    # The decision point is done now; check-ins not yet held no longer apply.
    db.transaction(lambda cur: (
        cur.execute("UPDATE trial_checkins SET done_by = ?, done_at = ? WHERE trial_id = ? AND kind = 'decision'"
                    " AND done_at IS NULL", [user.username, _now(), trial_id]),
        cur.execute("DELETE FROM trial_checkins WHERE trial_id = ? AND done_at IS NULL", [trial_id])))
    return decided


def history(db: Database, user: User, trial_id: int) -> list[dict]:
    trial = get(db, trial_id)
    if trial is None:
        raise TrialError("trials.unknown")
    access.require(user, access.VIEW_BOARD, trial.department_id, org.all_departments(db))
    rows = db.query("SELECT version, changed_by, changed_at, change FROM trial_history WHERE trial_id = ?"
                    " ORDER BY version DESC", [trial_id])
    return [{"version": v, "by": by, "at": at, "change": json.loads(c)} for v, by, at, c in rows]


def overdue(db: Database, trial_ids: list[int], today: date | None = None) -> list[Checkpoint]:
    today = today or clock.today()
    return [c for c in checkpoints_for(db, trial_ids) if c.done_at is None and c.due < today]


def overview(db: Database, user: User, department_ids: list[int]) -> list[dict]:
    """Trials per department, theme and stage, for the organisation dashboard."""
    allowed = access.allowed_departments(user, access.VIEW_BOARD, org.all_departments(db))
    wanted = sorted(set(department_ids) & allowed)
    if not wanted:
        return []
    return db.query_dicts("SELECT department_id, theme, status, count(*) AS n FROM trials"
                          " WHERE department_id = ANY(?) GROUP BY department_id, theme, status"
                          " ORDER BY department_id, theme, status",
                          [wanted])


# --- holidays ---------------------------------------------------------------------------

def easter(year: int) -> date:
    """Easter Sunday (Anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month = (h + ell - 7 * m + 114) // 31
    day = (h + ell - 7 * m + 114) % 31 + 1
    return date(year, month, day)


def public_holidays(year: int) -> dict[date, str]:
    """Danish public holidays (Store Bededag was abolished from 2024)."""
    e = easter(year)
    days = {date(year, 1, 1): "nytaarsdag", e - timedelta(days=3): "skaertorsdag", e - timedelta(days=2): "langfredag",
            e: "paaskedag", e + timedelta(days=1): "anden_paaskedag", e + timedelta(days=39): "kristi_himmelfart",
            e + timedelta(days=49): "pinsedag", e + timedelta(days=50): "anden_pinsedag",
            date(year, 6, 5): "grundlovsdag", date(year, 12, 24): "juleaften", date(year, 12, 25): "juledag",
            date(year, 12, 26): "anden_juledag"}
    if year < 2024:
        days[e + timedelta(days=26)] = "store_bededag"
    return days


def holiday_weeks(db: Database | None = None) -> set[int]:
    """Week-based school holidays that differ between municipalities (winter, autumn)."""
    raw = settings.get(db, "holiday_weeks", DEFAULT_HOLIDAY_WEEKS) if db is not None else DEFAULT_HOLIDAY_WEEKS
    return {int(w) for w in raw.split(",") if w.strip().isdigit() and 1 <= int(w) <= 53}


def set_holiday_weeks(db: Database, value: str) -> None:
    weeks = [w.strip() for w in line(value, 400, error=TrialError).split(",") if w.strip()]
    if any(not w.isdigit() or not 1 <= int(w) <= 53 for w in weeks):
        raise TrialError("trials.holiday_weeks_invalid")
    settings.put(db, "holiday_weeks", ",".join(str(int(w)) for w in weeks))


def _saturday_between(first: date, last: date) -> date:
    return next(first + timedelta(days=i) for i in range((last - first).days + 1)
                if (first + timedelta(days=i)).weekday() == 5)


def holiday_periods(year: int, school_weeks: set[int] | None = None) -> list[tuple[date, date, str]]:
    """The school-holiday periods that touch `year`, as real dates (first and last day).

    Easter, summer and Christmas follow the calendar, so a 53-week year such as 2026 puts
    Christmas where it really is (weeks 52–53), not in week 1 of the next year. Winter and
    autumn holidays are whole ISO weeks of that year from the setting (they differ by
    municipality).
    """
    school_weeks = DEFAULT_HOLIDAY_WEEKS_SET if school_weeks is None else school_weeks
    periods = []
    for y in (year - 1, year):
        christmas = _saturday_between(date(y, 12, 17), date(y, 12, 23))
        new_year = date(y + 1, 1, 1)
        # Back at school on the first Monday when New Year's Day falls late in the week.
        end = new_year + timedelta(days=6 - new_year.weekday()) if new_year.weekday() >= 3 else new_year
        periods.append((christmas, end, "period_christmas"))
    e = easter(year)
    periods.append((e - timedelta(days=8), e + timedelta(days=1), "period_easter"))
    summer = _saturday_between(date(year, 6, 24), date(year, 6, 30))
    periods.append((summer, summer + timedelta(weeks=6, days=1), "period_summer"))
    for week in sorted(school_weeks):
        try:
            monday = date.fromisocalendar(year, week, 1)
        except ValueError:
            continue  # week 53 in a 52-week year
        periods.append((monday, monday + timedelta(days=6), f"week_{week}"))
    return [p for p in periods if p[1].year >= year and p[0].year <= year]


def holiday_clashes(start_date: date, weeks: int | None = None,
                    school_weeks: set[int] | None = None) -> list[tuple[date, str]]:
    """Holiday periods (from their first day in the window) and single public holidays in the window."""
    end = start_date + timedelta(weeks=weeks or method_rhythm().weeks)
    clashes = []
    for year in range(start_date.year, end.year + 1):
        clashes += [(max(first, start_date), key) for first, last, key in holiday_periods(year, school_weeks)
                    if first < end and last >= start_date]
        clashes += [(day, name) for day, name in public_holidays(year).items() if start_date <= day < end]
    return sorted(set(clashes))


def is_period(key: str) -> bool:
    return key.startswith(("period_", "week_"))


def next_clean_window(start_date: date, weeks: int | None = None, school_weeks: set[int] | None = None,
                      search_weeks: int = 60) -> date | None:
    """The first Monday from `start_date` whose window runs without a holiday period.

    The seed's point is a trial "in one stretch between the usual holiday periods": single
    public holidays (Ascension, Whit Monday, Constitution Day) do not break a stretch.
    """
    monday = start_date + timedelta(days=(7 - start_date.weekday()) % 7)
    for offset in range(search_weeks):
        candidate = monday + timedelta(weeks=offset)
        if not any(is_period(key) for _, key in holiday_clashes(candidate, weeks, school_weeks)):
            return candidate
    return None


DEFAULT_HOLIDAY_WEEKS_SET = {int(w) for w in DEFAULT_HOLIDAY_WEEKS.split(",")}


# --- read-only board link ----------------------------------------------------------------

def board_token(db: Database, user: User, department_id: int) -> str | None:
    """The department's read-only link token, if it is shared; looking never creates one."""
    _require_edit(db, user, department_id)
    current = db.query_one("SELECT token FROM board_links WHERE department_id = ?", [department_id])
    return current[0] if current else None


def share_board(db: Database, user: User, department_id: int) -> str:
    """Share the board by link (an explicit choice); sharing again keeps the same link."""
    _require_edit(db, user, department_id)
    token = secrets.token_urlsafe(24)
    db.execute("INSERT INTO board_links VALUES (?, ?) ON CONFLICT (department_id) DO NOTHING", [department_id, token])
    return board_token(db, user, department_id)


def revoke_board_token(db: Database, user: User, department_id: int) -> None:
    _require_edit(db, user, department_id)
    db.execute("DELETE FROM board_links WHERE department_id = ?", [department_id])


def department_for_board_token(db: Database, token: str | None) -> int | None:
    if not isinstance(token, str) or len(token) != 32:
        return None
    row = db.query_one("SELECT department_id FROM board_links WHERE token = ?", [token])
    return row[0] if row else None
