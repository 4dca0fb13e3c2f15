"""Rating rounds: creation, links, single-use codes, validation and anonymous submission."""

from __future__ import annotations

import hashlib
import logging
import math
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from servicetjek import access, answer_store, clock, disclosure, holding, org, settings
from servicetjek import text as user_text
from servicetjek.content import THEME_IDS
from servicetjek.db import Database
from servicetjek.errors import DomainError, StorageFull
from servicetjek.limits import SlidingWindow
from servicetjek.users import User

LOCAL_TZ = clock.LOCAL_TZ
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{32}$")
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: easy to read aloud and type
CODE_LENGTH = 8
MAX_CODES = 2000
MAX_GROUPS = 6
MAX_GROUP_NAME = 40
MAX_TITLE = 120
MAX_COMMENT = 1000
# Reading six summaries and choosing six scores takes longer than this; faster answers are
# counted (not stored per answer) so a facilitator can see a form being filled by a script.
MIN_READING_SECONDS = 20
# Per client address (a meeting room shares one): answers per round per hour, and wrong codes.
CLIENT_ANSWERS_MIN = 25
CLIENT_ANSWERS_PER_HEAD = 1.2
CLIENT_ANSWERS_NO_HEADCOUNT = 300
SESSION_WRONG_CODES = 5     # per browser session per 10 minutes
CLIENT_WRONG_CODES = 100    # per address per 10 minutes: 200 phones, a few typos each


class RoundError(DomainError):
    pass


class SubmissionRefused(DomainError):
    """The form cannot be used or the answer cannot be stored; `key` says why."""


@dataclass(frozen=True)
class Round:
    id: int
    department_id: int
    title: str
    opens_at: datetime  # naive UTC
    closes_at: datetime  # naive UTC
    audience: str
    respondent_groups: tuple[str, ...]
    access_mode: str
    token: str
    closed_early: bool
    created_by: str

    def state(self, now: datetime | None = None) -> str:
        now = now or utcnow()
        if self.closed_early or now >= self.closes_at:
            return "closed"
        if now < self.opens_at:
            return "upcoming"
        return "open"


@dataclass(frozen=True)
class Answer:
    scores: dict[str, int]
    group: str | None
    comment: str | None


# The one clock lives in servicetjek.clock; these names stay for the pages that use them.
utcnow = clock.utcnow
local_to_utc = clock.to_storage  # Copenhagen wall-clock (naive) or aware -> naive UTC
utc_to_local = clock.to_local  # naive UTC -> aware Copenhagen


def new_token() -> str:
    return secrets.token_urlsafe(24)  # 192 bits, 32 URL-safe characters


def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def normalise_code(code: str) -> str:
    raw = re.sub(r"[\s-]", "", (code or "").upper())
    return f"{raw[:4]}-{raw[4:]}" if len(raw) == CODE_LENGTH else raw


def _code_hash(round_id: int, code: str) -> str:
    return hashlib.sha256(f"{round_id}:{normalise_code(code)}".encode()).hexdigest()


_COLUMNS = ("id, department_id, title, opens_at, closes_at, audience, respondent_groups, access_mode,"
            " token, closed_early, created_by")


def _row_to_round(row) -> Round:
    values = list(row)
    values[6] = tuple(values[6] or ())
    return Round(*values)


def get(db: Database, round_id: int) -> Round | None:
    row = db.query_one(f"SELECT {_COLUMNS} FROM rounds WHERE id = ?", [round_id])
    return _row_to_round(row) if row else None


def for_departments(db: Database, department_ids: set[int]) -> list[Round]:
    if not department_ids:
        return []
    rows = db.query(
        f"SELECT {_COLUMNS} FROM rounds WHERE department_id = ANY(?) ORDER BY opens_at DESC, id DESC",
        [sorted(department_ids)],
    )
    return [_row_to_round(r) for r in rows]


def _clean_groups(groups) -> list[str]:
    cleaned = []
    for group in groups or []:
        group = user_text.line(group, MAX_GROUP_NAME, too_long="rounds.group_too_long", error=RoundError)
        if not group:
            continue
        if group.casefold() not in (g.casefold() for g in cleaned):
            cleaned.append(group)
    if len(cleaned) > MAX_GROUPS:
        raise RoundError("rounds.too_many_groups", n=MAX_GROUPS)
    return cleaned


def create(db: Database, user: User, department_id: int, title: str, opens_local: datetime,
           closes_local: datetime, audience: str = "staff", groups=(), access_mode: str = "link",
           code_count: int = 0, workshop: bool = False) -> tuple[Round, list[str]]:
    """Create a round; returns it and, in code mode, the plain codes (shown once).

    `workshop`: the working-environment group's own, NOT anonymous round (see is_workshop).
    """
    departments = org.all_departments(db)
    access.require(user, access.MANAGE_ROUNDS, department_id, departments)
    dept = org.get(db, department_id)
    if dept is None or dept.archived:
        raise RoundError("rounds.department_archived")
    title = user_text.line(title, MAX_TITLE, too_long="rounds.title_too_long", required="rounds.title_required",
                           error=RoundError)
    opens_at, closes_at = local_to_utc(opens_local), local_to_utc(closes_local)
    if closes_at <= opens_at:
        raise RoundError("rounds.dates_order")
    if audience not in ("group", "staff"):
        raise RoundError("rounds.audience_invalid")
    if access_mode not in ("link", "codes"):
        raise RoundError("rounds.mode_invalid")
    groups = _clean_groups(groups)
    if workshop and (audience != "group" or groups):
        raise RoundError("rounds.workshop_group_only")
    codes: list[str] = []
    if access_mode == "codes":
        if not isinstance(code_count, int) or not 1 <= code_count <= MAX_CODES:
            raise RoundError("rounds.code_count_invalid", n=MAX_CODES)
        codes_set: set[str] = set()
        while len(codes_set) < code_count:
            codes_set.add(new_code())
        codes = sorted(codes_set)

    round_id = db.query_one("SELECT nextval('round_ids')")[0]
    store = holding.for_database(db)
    # Codes live in the round's holding file, beside the answers they admit: spending one and
    # storing its answer is one transaction there.
    holding_file = store.create_file([(_code_hash(round_id, c), False) for c in codes]) if codes else None

    def work(cur):
        cur.execute(
            "INSERT INTO rounds (id, department_id, title, opens_at, closes_at, audience, respondent_groups,"
            " access_mode, token, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [round_id, department_id, title, opens_at, closes_at, audience, groups, access_mode, new_token(),
             user.username])
        cur.execute("INSERT INTO round_state (round_id, holding_file) VALUES (?, ?)", [round_id, holding_file])
        if workshop:
            cur.execute("INSERT INTO workshop_rounds VALUES (?)", [round_id])

    try:
        db.transaction(work)
    except BaseException:
        if holding_file:
            store.discard(holding_file)  # only this one: others may be between their creation and naming
        raise
    return get(db, round_id), codes


def _require_manage(db: Database, user: User, round_: Round) -> None:
    access.require(user, access.MANAGE_ROUNDS, round_.department_id, org.all_departments(db))


def close(db: Database, user: User, round_id: int) -> None:
    """Close now: answers stop, released answers move shuffled into the main table."""
    round_ = get(db, round_id)
    if round_ is None:
        raise RoundError("rounds.unknown")
    _require_manage(db, user, round_)
    with holding.for_database(db).lock(round_id):
        db.execute("UPDATE rounds SET closed_early = true WHERE id = ?", [round_id])
        settle(db, round_id)


def reopen(db: Database, user: User, round_id: int, new_closes_local: datetime | None = None) -> None:
    round_ = get(db, round_id)
    if round_ is None:
        raise RoundError("rounds.unknown")
    _require_manage(db, user, round_)
    closes_at = local_to_utc(new_closes_local) if new_closes_local else round_.closes_at
    if closes_at <= utcnow():
        raise RoundError("rounds.reopen_needs_future")
    with holding.for_database(db).lock(round_id):
        settle(db, round_id)  # a round that ran out by the clock is settled before it takes answers again
        db.execute("UPDATE rounds SET closed_early = false, closes_at = ? WHERE id = ?", [closes_at, round_id])
        holding.for_database(db).reopen(round_id)


def is_workshop(db: Database, round_id: int) -> bool:
    """A workshop round: the working-environment group's own use of the form (the seed: to align
    expectations in the group). The form says plainly that answers are NOT anonymous, and every
    answer is shown from the first one. The flag is set at creation and never changes."""
    return round_id in workshop_ids(db)


def workshop_ids(db: Database) -> frozenset[int]:
    """Every workshop round, read once until the next write: a list of many rounds (the
    dashboard's attention list) asks about each of them, and such rounds are few."""
    return db.memoised(("workshops",),
                       lambda: frozenset(r[0] for r in db.query("SELECT round_id FROM workshop_rounds")))


def release_step(db: Database, round_id: int) -> int:
    """Answers needed before figures show or move: k, or 1 for a workshop round (no anonymity)."""
    return release_steps(db)(round_id)


def release_steps(db: Database) -> Callable[[int], int]:
    """release_step for many rounds: the threshold and the workshop flags read once (every
    memoised read asks PostgreSQL whether anything changed; a thousand rounds, a thousand asks)."""
    k, workshops = settings.min_answers(db), workshop_ids(db)
    return lambda round_id: 1 if round_id in workshops else k


def settle(db: Database, round_id: int) -> None:
    """Move a closed round's released answers into the main table (idempotent)."""
    round_ = get(db, round_id)
    k = release_step(db, round_id)

    def freeze_groups(rows: list[tuple]) -> dict:
        return disclosure.group_figures(rows, round_.respondent_groups, k)

    holding.for_database(db).settle(round_id, k, freeze_groups)


def settle_due(db: Database, now: datetime | None = None) -> list[int]:
    """Settle every round that has closed, by button or by the clock, and is not settled yet.

    Called at start-up, by the server's sweeper every half minute and before results are read.
    """
    now = now or utcnow()
    due = [r[0] for r in db.query(
        "SELECT r.id FROM rounds r LEFT JOIN round_state s ON s.round_id = r.id"
        " WHERE (r.closed_early OR r.closes_at <= ?) AND NOT coalesce(s.settled, false)", [now])]
    for round_id in due:
        settle(db, round_id)
    return due


SWEEP_SECONDS = 30


def start_sweeper(db: Database, every: float = SWEEP_SECONDS) -> threading.Thread:
    """Settle rounds as their end time passes, so a held file does not outlive its round by
    more than `every` seconds even when nobody opens a page."""
    def sweep() -> None:
        while True:
            time.sleep(every)
            try:
                settle_due(db)
            except Exception:  # noqa: BLE001 - retried next time; a sweep must not end the thread
                logging.getLogger(__name__).exception("settling closed rounds failed")

    thread = threading.Thread(target=sweep, name="servicetjek-sweeper", daemon=True)
    thread.start()
    return thread


def recover(db: Database) -> None:
    """Start-up: wipe holding files a crash left behind, adopt rounds made before holding
    files existed, and settle rounds that closed while the app was down."""
    store = holding.for_database(db)
    store.wipe_orphans()
    if db.engine == "duckdb":
        store.convert_duckdb_files()
    holding.adopt_held(db)  # a restored backup's held answers
    for (round_id,) in db.query("SELECT id FROM rounds WHERE id NOT IN (SELECT round_id FROM round_state)"):
        codes = db.query("SELECT code_hash, used FROM round_codes WHERE round_id = ?", [round_id])
        name = store.create_file(codes) if codes else None
        db.execute("INSERT INTO round_state (round_id, holding_file) VALUES (?, ?)", [round_id, name])
    settle_due(db)


def check_available(db: Database, round_: Round | None, now: datetime | None = None,
                    department_archived: bool | None = None) -> Round:
    """The round if its form may be shown now; otherwise SubmissionRefused with the reason."""
    if round_ is None:
        raise SubmissionRefused("rate.unknown_link")
    state = round_.state(now)
    if state == "upcoming":
        raise SubmissionRefused("rate.not_open", opens=utc_to_local(round_.opens_at).strftime("%d.%m.%Y %H:%M"))
    if state == "closed":
        raise SubmissionRefused("rate.closed")
    if department_archived is None:
        dept = org.get(db, round_.department_id)
        department_archived = dept is None or dept.archived
    if department_archived:
        raise SubmissionRefused("rate.archived")
    return round_


def open_for_answers(db: Database, token: str | None, now: datetime | None = None) -> Round:
    """The round behind a rating link, checked on every form load (the lookup is memoised)."""
    if not isinstance(token, str) or not TOKEN_RE.match(token):
        raise SubmissionRefused("rate.unknown_link")
    found = db.memoised(("round_by_token", token), lambda: _round_and_archived(db, token))
    if found is None:
        raise SubmissionRefused("rate.unknown_link")
    round_, archived = found
    # The state is worked out now, not memoised: a round opens and closes by the clock.
    return check_available(db, round_, now, department_archived=archived)


_JOINED_COLUMNS = ", ".join(f"r.{c.strip()}" for c in _COLUMNS.split(","))


def _round_and_archived(db: Database, token: str) -> tuple[Round, bool] | None:
    row = db.query_one(f"SELECT {_JOINED_COLUMNS}, coalesce(d.archived, true) FROM rounds r"
                       " LEFT JOIN departments d ON d.id = r.department_id WHERE r.token = ?", [token])
    return None if row is None else (_row_to_round(row[:-1]), row[-1])


def validate_answer(round_: Round, scores, group, comment) -> Answer:
    """Check one answer. Raises SubmissionRefused with a key per problem; never guesses."""
    if not isinstance(scores, dict):
        raise SubmissionRefused("rate.scores_missing", themes=", ".join(THEME_IDS))
    missing = [t for t in THEME_IDS if scores.get(t) is None]
    if missing:
        raise SubmissionRefused("rate.scores_missing", themes=", ".join(missing))
    unknown = set(scores) - set(THEME_IDS)
    if unknown:
        raise SubmissionRefused("rate.score_invalid")
    clean: dict[str, int] = {}
    for theme in THEME_IDS:
        value = scores[theme]
        # bool is an int in Python; a True/False score is a bug, not a 1 or 0.
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            raise SubmissionRefused("rate.score_invalid")
        clean[theme] = value
    if group in ("", None):
        group = None
    elif not isinstance(group, str) or group not in round_.respondent_groups:
        raise SubmissionRefused("rate.group_invalid")
    if comment is not None and not isinstance(comment, str):
        raise SubmissionRefused("rate.comment_invalid")
    # The one text rule (servicetjek.text): control characters refused, NFC, line breaks kept.
    comment = user_text.text(comment, MAX_COMMENT, too_long="rate.comment_too_long", error=SubmissionRefused)
    return Answer(clean, group, comment or None)


class _SessionGuard:
    """Remembers, in memory only, which browser sessions already answered which round.

    The marker is a hash and never reaches the database, so it cannot be joined to an
    answer.
    """

    def __init__(self):
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    @staticmethod
    def _marker(round_token: str, session_key: str) -> str:
        return hashlib.sha256(f"{round_token}:{session_key}".encode()).hexdigest()

    def seen(self, round_token: str, session_key: str) -> bool:
        with self._lock:
            return self._marker(round_token, session_key) in self._seen

    def add(self, round_token: str, session_key: str) -> None:
        with self._lock:
            self._seen.add(self._marker(round_token, session_key))


session_guard = _SessionGuard()

# The front's browser cookie (servicetjek/front.py, BROWSER_COOKIE): 128 random bits in hex.
# Anything else (absent, edited, from an older front) falls back to the per-session key.
BROWSER_KEY_RE = re.compile(r"[0-9a-f]{32}")


def answer_key(round_: Round, browser_cookie: str | None, session_key: str) -> str:
    """The key that allows one answer per round: in an open-link round the browser's long-lived
    random cookie when it has a well-formed one (a reload keeps it), else the Streamlit
    session's own random key. Code rounds are limited by their codes, so a shared computer
    can still take several people's codes one after another.

    Used only in memory (session_guard, hashed with the round token); never stored.
    """
    if round_.access_mode == "link" and browser_cookie and BROWSER_KEY_RE.fullmatch(browser_cookie):
        return f"browser:{browser_cookie}"
    return session_key


def already_answered(token: str, key: str) -> bool:
    """Has this browser (or session) answered the round with this token? (in memory only)"""
    return bool(key) and session_guard.seen(token, key)


answers_per_client = SlidingWindow(3600)
wrong_codes_per_session = SlidingWindow(600)
wrong_codes_per_client = SlidingWindow(600)


def client_answer_limit(headcount: int | None) -> int:
    """Answers one address may send to one round per hour: a whole unit behind one Wi-Fi."""
    if not headcount:
        return CLIENT_ANSWERS_NO_HEADCOUNT
    return max(CLIENT_ANSWERS_MIN, math.ceil(headcount * CLIENT_ANSWERS_PER_HEAD))


def _still_open(db: Database, round_id: int, now: datetime | None = None) -> bool:
    # Memoised: asked once per group commit; closing a round is a write, which clears the memo.
    row = db.memoised(("round_times", round_id), lambda: db.query_one(
        "SELECT opens_at, closes_at, closed_early FROM rounds WHERE id = ?", [round_id]))
    now = now or utcnow()
    return row is not None and not row[2] and row[0] <= now < row[1]


def submit(db: Database, token: str, scores, group=None, comment=None, code: str | None = None,
           session_key: str | None = None, now: datetime | None = None, client: str | None = None,
           seconds_on_form: float | None = None) -> None:
    """Store one anonymous answer, or raise SubmissionRefused and store nothing.

    `client` (the address) and `session_key` only feed in-memory limits; `seconds_on_form`
    only decides whether the round's count of too-fast answers goes up.
    """
    round_ = open_for_answers(db, token, now)
    answer = validate_answer(round_, scores, group, comment)
    if session_key and session_guard.seen(round_.token, session_key):
        raise SubmissionRefused("rate.already_answered")
    codes = round_.access_mode == "codes"
    if codes and not (code and str(code).strip()):
        raise SubmissionRefused("rate.code_required")
    if codes and (session_key and wrong_codes_per_session.count(session_key) >= SESSION_WRONG_CODES
                  or client and wrong_codes_per_client.count(client) >= CLIENT_WRONG_CODES):
        raise SubmissionRefused("rate.code_wait")
    if client and not codes:
        headcount = db.memoised(("headcount", round_.department_id),
                                lambda: (org.get(db, round_.department_id) or org.Department(0, "", None, None, True))
                                .headcount)
        if not answers_per_client.allow((round_.id, client), client_answer_limit(headcount)):
            raise SubmissionRefused("rate.client_limit")
    s = answer.scores
    held = holding.Held((*(s[t] for t in THEME_IDS), answer.group, answer.comment),
                        _code_hash(round_.id, code) if codes else None,
                        fast=seconds_on_form is not None and seconds_on_form < MIN_READING_SECONDS, now=now)
    try:
        answer_store.for_round(db, round_.id, lambda at: _still_open(db, round_.id, at)).store(held)
    except answer_store.CodeRefused as refused:
        for window, key in ((wrong_codes_per_session, session_key), (wrong_codes_per_client, client)):
            if key:
                window.allow(key, 1 << 30)
        raise SubmissionRefused(f"rate.code_{refused.reason}") from None
    except answer_store.RoundClosed:
        raise SubmissionRefused("rate.closed") from None
    if session_key:
        session_guard.add(round_.token, session_key)


def prepare_for_answers(db: Database, round_: Round) -> None:
    """Called while the form is shown, seconds before the meeting submits."""
    try:
        holding.for_database(db).open_store(round_.id, lambda at: _still_open(db, round_.id, at))
    except StorageFull:
        pass  # the form still shows; the first answer tries again and tells the phone plainly


def response_count(db: Database, round_id: int) -> int:
    """Every answer received, released or not: the facilitator's live count."""
    settled = db.query_one("SELECT count(*) FROM responses WHERE round_id = ?", [round_id])[0]
    return settled + holding.for_database(db).held_count(round_id)


def answers_stored(db: Database) -> int:
    """Every answer of every round, settled or held (benchmarks count receipts with it)."""
    return sum(response_count(db, round_id) for (round_id,) in db.query("SELECT id FROM rounds"))


def codes_used(db: Database, round_id: int) -> tuple[int, int]:
    return holding.for_database(db).codes_used(round_id)


def fast_answers(db: Database, round_id: int) -> int:
    """Answers sent sooner than MIN_READING_SECONDS after the form opened."""
    return holding.for_database(db).fast_answers(round_id)


def response_rate(count: int, headcount: int | None) -> float | None:
    """Answers per head, not capped: more answers than people is a warning sign, not 100 %."""
    if not headcount:
        return None
    return count / headcount
