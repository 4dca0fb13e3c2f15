"""Admin-configurable settings stored in the database, and the cookie secret."""

from __future__ import annotations

import os
import secrets
import time

from servicetjek.db import Database
from servicetjek.errors import DomainError

DEFAULT_MIN_ANSWERS = 5
DEFAULT_MIN_COMMENTS = 5
ABSOLUTE_MIN_ANSWERS = 3  # never below this, whatever an admin sets


SIGNIN_MODES = ("password", "sso")


def signin_mode() -> str:
    """How staff sign in: "password" (small workplaces) or "sso" (the organisation's OIDC
    provider through st.login, configured in secrets.toml's [auth]). SERVICETJEK_SIGNIN."""
    mode = os.environ.get("SERVICETJEK_SIGNIN", "password").strip().lower() or "password"
    if mode not in SIGNIN_MODES:
        raise RuntimeError(f"SERVICETJEK_SIGNIN must be one of {', '.join(SIGNIN_MODES)}, not {mode!r}")
    return mode


def get(db: Database, key: str, default: str | None = None) -> str | None:
    row = db.memoised(("setting", key), lambda: db.query_one("SELECT value FROM settings WHERE key = ?", [key]))
    return row[0] if row else default


def put(db: Database, key: str, value: str) -> None:
    db.execute("INSERT INTO settings VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
               [key, str(value)])


def min_answers(db: Database) -> int:
    return max(ABSOLUTE_MIN_ANSWERS, int(get(db, "min_answers", str(DEFAULT_MIN_ANSWERS))))


def min_comments(db: Database) -> int:
    return max(min_answers(db), int(get(db, "min_comments", str(DEFAULT_MIN_COMMENTS))))


def set_thresholds(db: Database, answers: int, comments: int) -> None:
    try:
        answers, comments = int(answers), int(comments)
    except (TypeError, ValueError):
        raise DomainError("settings.threshold_invalid", n=ABSOLUTE_MIN_ANSWERS) from None
    if answers < ABSOLUTE_MIN_ANSWERS or answers > 100:
        raise DomainError("settings.threshold_invalid", n=ABSOLUTE_MIN_ANSWERS)
    if comments < answers or comments > 100:
        raise DomainError("settings.comment_threshold_invalid")
    put(db, "min_answers", str(answers))
    put(db, "min_comments", str(comments))


# Who reads free-text comments (issue 13). Comments are the most identifying thing a
# respondent writes, so by default only the people running the unit's rounds read them:
# the unit's facilitators (and admins). "managers" lets managers read them too.
COMMENT_READERS = ("facilitators", "managers")
DEFAULT_COMMENT_READERS = "facilitators"


def comment_readers(db: Database) -> str:
    value = get(db, "comment_readers", DEFAULT_COMMENT_READERS)
    return value if value in COMMENT_READERS else DEFAULT_COMMENT_READERS


def set_comment_readers(db: Database, value: str) -> None:
    if value not in COMMENT_READERS:
        raise DomainError("settings.comment_readers_invalid")
    put(db, "comment_readers", value)


def cookie_key(db: Database, secrets_value: str | None = None) -> str:
    """From secrets.toml or SERVICETJEK_COOKIE_KEY; otherwise generated once and stored."""
    key = secrets_value or os.environ.get("SERVICETJEK_COOKIE_KEY")
    if key:
        return key
    # Many first sessions may get here at once: the first insert wins and all read it back,
    # so every session signs with the same key. A constraint error means another insert is
    # still committing: look again shortly.
    for attempt in range(50):
        stored = get(db, "cookie_key")
        if stored:
            return stored
        try:
            db.execute("INSERT INTO settings VALUES ('cookie_key', ?) ON CONFLICT (key) DO NOTHING",
                       [secrets.token_urlsafe(48)])
        except db.integrity_errors:
            time.sleep(0.001 * (attempt + 1))
    raise RuntimeError("could not store the sign-in cookie key")


MAX_CONTACT = 200


def accessibility_contact(db: Database) -> str | None:
    """Who answers accessibility questions: shown in the accessibility statement."""
    return get(db, "accessibility_contact") or None


def set_accessibility_contact(db: Database, contact: str) -> None:
    contact = " ".join(str(contact or "").split())
    if len(contact) > MAX_CONTACT:
        raise DomainError("a11y.contact_too_long")
    put(db, "accessibility_contact", contact)
