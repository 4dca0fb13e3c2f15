"""Server-side sign-in sessions that can be ended (issue 12).

The browser's cookie carries a random session id in a signed, expiring token; the
database keeps only a hash of the id. A session counts while its row exists, has not
expired and its user is still active with the same role and password. Logging out,
a password change, deactivation, re-activation and a role change delete the rows, so
an old cookie replayed afterwards signs nobody in.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

import jwt

from servicetjek import clock, users
from servicetjek.db import Database

LIFETIME = timedelta(hours=12)  # a working day; then sign in again
ALGORITHM = "HS256"


def _now() -> datetime:
    return clock.utcnow()


def _id_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def password_tag(password_hash: str) -> str:
    """Changes whenever the password does, without storing anything that helps a guesser."""
    return hashlib.sha256(password_hash.encode("ascii")).hexdigest()


def start(db: Database, username: str, now: datetime | None = None) -> str:
    """A new session for a user who just proved their password; returns the session id."""
    now = now or _now()
    session_id = secrets.token_urlsafe(32)

    def work(cur):
        row = cur.execute("SELECT role, password_hash, active FROM users WHERE username = ?", [username]).fetchone()
        if row is None or not row[2]:
            raise users.UserError("login.failed")
        cur.execute("DELETE FROM sessions WHERE expires_at < ?", [now])
        cur.execute("INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?)",
                    [_id_hash(session_id), username, row[0], password_tag(row[1]), now, now + LIFETIME])

    db.transaction(work)
    return session_id


def user_for(db: Database, session_id: str | None, now: datetime | None = None) -> users.User | None:
    """The session's user if the session still counts; checked on every run."""
    if not session_id:
        return None
    row = db.query_one(
        "SELECT s.username, s.role, s.password_tag, s.expires_at, u.role, u.password_hash, u.active"
        " FROM sessions s JOIN users u USING (username) WHERE s.id_hash = ?", [_id_hash(session_id)])
    if row is None:
        return None
    username, role, tag, expires_at, user_role, user_hash, active = row
    if not active or role != user_role or tag != password_tag(user_hash) or expires_at <= (now or _now()):
        return None
    return users.get(db, username)


# Single sign-on: Streamlit keeps the provider's identity in its own stateless cookie for 30
# days. Each sign-in at the provider (one ID token, told apart by its issue time) gets a row
# here when it is fresh; logging out or any change that ends sessions deletes the row, and a
# copy of that identity cookie is refused afterwards. After LIFETIME the provider is asked
# again, so someone it no longer knows is out within a working day.
SSO_FRESH = timedelta(minutes=5)


def _sso_id(identity: str) -> str:
    return "sso:" + identity


def sso_identity(issuer: object, subject: object, issued_at: object) -> str:
    return f"{issuer or ''}|{subject or ''}|{issued_at or ''}"


def sso_counts(db: Database, username: str, identity: str, issued_at: object,
               now: datetime | None = None) -> bool:
    """Whether this SSO sign-in still counts; a fresh one is recorded, an ended one never returns."""
    now = now or _now()
    session_id = _sso_id(identity)
    if user_for(db, session_id, now) is not None:
        return True
    try:
        issued = datetime.fromtimestamp(float(issued_at), UTC).replace(tzinfo=None)
    except (TypeError, ValueError, OverflowError, OSError):
        return False
    if not timedelta(minutes=-1) <= now - issued <= SSO_FRESH:
        return False

    def work(cur):
        row = cur.execute("SELECT role, password_hash, active FROM users WHERE username = ?", [username]).fetchone()
        if row is None or not row[2]:
            return False
        # Recorded once: a replay within the fresh minutes finds the row (or its absence after logout).
        if cur.execute("SELECT 1 FROM sessions WHERE id_hash = ?", [_id_hash(session_id)]).fetchone():
            return False
        cur.execute("INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?)",
                    [_id_hash(session_id), username, row[0], password_tag(row[1]), now, issued + LIFETIME])
        return True

    return db.transaction(work)


def end_sso(db: Database, identity: str) -> None:
    """Log ud: this identity cookie signs nobody in again; the row stays as a tombstone."""
    db.execute("UPDATE sessions SET expires_at = created_at WHERE id_hash = ?", [_id_hash(_sso_id(identity))])


def end(db: Database, session_id: str | None) -> None:
    if session_id:
        db.execute("DELETE FROM sessions WHERE id_hash = ?", [_id_hash(session_id)])


def expires_at(db: Database, session_id: str) -> datetime | None:
    row = db.query_one("SELECT expires_at FROM sessions WHERE id_hash = ?", [_id_hash(session_id)])
    return row[0] if row else None


def to_cookie(session_id: str, key: str, expires: datetime) -> str:
    """The cookie value: the id in a signed token that expires with the session."""
    return jwt.encode({"sid": session_id, "exp": int(expires.replace(tzinfo=UTC).timestamp())}, key,
                      algorithm=ALGORITHM)


def from_cookie(value: object, key: str) -> str | None:
    """The session id from a cookie value, or None for anything forged, expired or malformed."""
    if not isinstance(value, str) or not value or len(value) > 4096:
        return None
    try:
        # One algorithm only: a token claiming 'none' or another algorithm is refused.
        claims = jwt.decode(value, key, algorithms=[ALGORITHM], options={"require": ["exp", "sid"]})
    except (jwt.PyJWTError, ValueError, TypeError, UnicodeError):
        return None
    session_id = claims.get("sid")
    return session_id if isinstance(session_id, str) and session_id else None
