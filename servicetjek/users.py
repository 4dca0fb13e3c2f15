"""Accounts: bcrypt-hashed passwords in DuckDB, roles, departments, login throttling."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import bcrypt

from servicetjek import clock
from servicetjek.db import Database
from servicetjek.errors import DomainError
from servicetjek.text import line

ROLES = ("admin", "manager", "facilitator", "member")
MIN_PASSWORD = 10
MAX_NAME = 100
MAX_PASSWORD_BYTES = 72  # bcrypt's limit; bcrypt 5 raises instead of truncating
THROTTLE_WINDOW = timedelta(minutes=15)
THROTTLE_MAX_FAILURES = 5
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")


class UserError(DomainError):
    pass


@dataclass(frozen=True)
class User:
    username: str
    name: str
    role: str
    active: bool
    department_ids: frozenset[int]


def _now() -> datetime:
    return clock.utcnow()


def check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise UserError("users.password_short", n=MIN_PASSWORD)
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        raise UserError("users.password_long", n=MAX_PASSWORD_BYTES)


def hash_password(password: str) -> str:
    check_password(password)
    rounds = int(os.environ.get("SERVICETJEK_BCRYPT_ROUNDS", "12"))  # tests lower it for speed
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds)).decode("ascii")


def _clean_username(username: str) -> str:
    username = (username or "").strip().lower()
    if not USERNAME_RE.match(username):
        raise UserError("users.username_invalid")
    return username


def _clean_name(name: str) -> str:
    return line(name, MAX_NAME, too_long="users.name_invalid", required="users.name_invalid", error=UserError)


def count(db: Database) -> int:
    return db.query_one("SELECT count(*) FROM users")[0]


def create(db: Database, username: str, name: str, password: str, role: str,
           department_ids: list[int] | tuple[int, ...] = ()) -> User:
    username, name = _clean_username(username), _clean_name(name)
    if role not in ROLES:
        raise UserError("users.role_invalid")
    password_hash = hash_password(password)

    def work(cur):
        if cur.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone():
            raise UserError("users.exists")
        cur.execute(
            "INSERT INTO users (username, name, password_hash, role) VALUES (?, ?, ?, ?)",
            [username, name, password_hash, role],
        )
        for dept in set(department_ids):
            cur.execute("INSERT INTO user_departments VALUES (?, ?)", [username, dept])

    db.transaction(work)
    return get(db, username)


def create_first_admin(db: Database, username: str, name: str, password: str) -> User:
    """Only allowed while there are no users at all: the one-time set-up form."""

    def guard(cur):
        if cur.execute("SELECT count(*) FROM users").fetchone()[0]:
            raise UserError("users.first_admin_done")

    db.transaction(guard)
    return create(db, username, name, password, "admin")


def get(db: Database, username: str) -> User | None:
    row = db.query_one("SELECT username, name, role, active FROM users WHERE username = ?", [username])
    if row is None:
        return None
    depts = frozenset(r[0] for r in db.query(
        "SELECT department_id FROM user_departments WHERE username = ?", [username]))
    return User(row[0], row[1], row[2], row[3], depts)


def all_users(db: Database) -> list[User]:
    rows = db.query("SELECT username FROM users ORDER BY username")
    return [get(db, r[0]) for r in rows]


def update(db: Database, username: str, name: str, role: str, department_ids, active: bool) -> None:
    name = _clean_name(name)
    if role not in ROLES:
        raise UserError("users.role_invalid")

    def work(cur):
        if not cur.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone():
            raise UserError("users.unknown")
        current = cur.execute("SELECT role, active FROM users WHERE username = ?", [username]).fetchone()
        if current == ("admin", True) and (role != "admin" or not active):
            others = cur.execute(
                "SELECT count(*) FROM users WHERE role = 'admin' AND active AND username <> ?", [username]
            ).fetchone()[0]
            if not others:
                raise UserError("users.last_admin")
        cur.execute("UPDATE users SET name = ?, role = ?, active = ? WHERE username = ?",
                    [name, role, active, username])
        cur.execute("DELETE FROM user_departments WHERE username = ?", [username])
        for dept in set(department_ids):
            cur.execute("INSERT INTO user_departments VALUES (?, ?)", [username, dept])

    db.transaction(work)


def set_password(db: Database, username: str, password: str) -> None:
    password_hash = hash_password(password)
    if get(db, username) is None:
        raise UserError("users.unknown")
    db.execute("UPDATE users SET password_hash = ? WHERE username = ?", [password_hash, username])


def is_throttled(db: Database, username: str, now: datetime | None = None) -> bool:
    now = now or _now()
    failures = db.query_one(
        "SELECT count(*) FROM login_failures WHERE username = ? AND failed_at > ?",
        [username, now - THROTTLE_WINDOW],
    )[0]
    return failures >= THROTTLE_MAX_FAILURES


def verify_login(db: Database, username: str, password: str, now: datetime | None = None) -> User:
    """The user if the password is right; otherwise UserError.

    Failures are counted per username inside a time window, so guessing is slowed but
    nobody can lock a colleague out for good.
    """
    now = now or _now()
    username = (username or "").strip().lower()[:40]
    if not username or not password:
        raise UserError("login.missing")
    if is_throttled(db, username, now):
        raise UserError("login.throttled", minutes=int(THROTTLE_WINDOW.total_seconds() // 60))
    row = db.query_one("SELECT password_hash, active FROM users WHERE username = ?", [username])
    ok = False
    if row is not None and len(password.encode("utf-8")) <= MAX_PASSWORD_BYTES:
        ok = bcrypt.checkpw(password.encode("utf-8"), row[0].encode("ascii"))
    if not ok or not row[1]:
        db.transaction(lambda cur: (
            cur.execute("DELETE FROM login_failures WHERE failed_at < ?", [now - THROTTLE_WINDOW]),
            cur.execute("INSERT INTO login_failures VALUES (?, ?)", [username, now]),
        ))
        raise UserError("login.failed")
    db.execute("DELETE FROM login_failures WHERE username = ?", [username])
    return get(db, username)


def active_user(db: Database, username: str | None) -> User | None:
    """The signed-in user if they still exist and are active (checked on every run)."""
    if not username:
        return None
    user = get(db, username)
    return user if user is not None and user.active else None


def credentials(db: Database) -> dict:
    """A fresh credentials dict for streamlit-authenticator (it mutates what it gets)."""
    rows = db.query("SELECT username, name, password_hash, role FROM users WHERE active")
    return {"usernames": {u: {"name": n, "password": h, "roles": [r], "email": f"{u}@localhost"}
                          for u, n, h, r in rows}}
