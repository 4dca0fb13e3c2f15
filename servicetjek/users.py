"""Accounts: bcrypt-hashed passwords in DuckDB, roles, departments, password checks."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime

import bcrypt

from servicetjek import clock, login_throttle
from servicetjek.db import Database
from servicetjek.errors import DomainError
from servicetjek.text import line

ROLES = ("admin", "manager", "facilitator", "member")
MIN_PASSWORD = 12
MIN_DISTINCT = 5  # 'aaaaaaaaaaaa' and 'abababababab' are refused
# The letters of a password (digits and signs removed) must not be one of these: the
# common passwords and their Danish favourites that 'Sommer2026!' style passwords build on.
COMMON_WORDS = frozenset("""
password passw passwd adgangskode kodeord kode hemmelig hemmeligt login admin administrator
qwerty qwertyuiop asdfgh asdfghjkl zxcvbnm abc abcdef abcdefgh letmein welcome velkommen
iloveyou jegelskerdig sommer vinter foraar forår efteraar efterår januar februar marts april
maj juni juli august september oktober november december mandag tirsdag onsdag torsdag
fredag danmark denmark kobenhavn københavn aarhus odense aalborg servicetjek hybrid kommune
region medarbejder leder tovholder test testtest changeme skiftmig secret monkey dragon
football fodbold master superman batman trustno
""".split())
MAX_NAME = 100
MAX_PASSWORD_BYTES = 72  # bcrypt's limit; bcrypt 5 raises instead of truncating
# bcrypt takes ~230 ms of a core: one at a time, so sign-in guesses can never occupy both
# cores and starve the rating form (issue 12).
_HASHING = threading.BoundedSemaphore(1)
_DUMMY_HASH: str | None = None
SETUP_CODE_KEY = "setup_code_hash"
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


def check_password(password: str, username: str = "") -> None:
    """Long enough, not one repeated pattern and not a well-known word (issue 12)."""
    password = password or ""
    if len(password) < MIN_PASSWORD:
        raise UserError("users.password_short", n=MIN_PASSWORD)
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        raise UserError("users.password_long", n=MAX_PASSWORD_BYTES)
    if len(set(password.lower())) < MIN_DISTINCT:
        raise UserError("users.password_simple")
    letters = "".join(c for c in password.lower() if c.isalpha())
    if not letters or letters in COMMON_WORDS or (username and username.lower() in password.lower()):
        raise UserError("users.password_common")


def _rounds() -> int:
    return int(os.environ.get("SERVICETJEK_BCRYPT_ROUNDS", "12"))  # tests lower it for speed


def hash_password(password: str, username: str = "") -> str:
    check_password(password, username)
    with _HASHING:
        return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(_rounds())).decode("ascii")


def _clean_username(username: str) -> str:
    username = (username or "").strip().lower()
    if not USERNAME_RE.match(username):
        raise UserError("users.username_invalid")
    return username


def _clean_name(name: str) -> str:
    return line(name, MAX_NAME, too_long="users.name_invalid", required="users.name_invalid", error=UserError)


def count(db: Database) -> int:
    return db.query_one("SELECT count(*) FROM users")[0]


def create(db: Database, username: str, name: str, password: str | None, role: str,
           department_ids: list[int] | tuple[int, ...] = (), password_hash: str | None = None,
           email: str | None = None) -> User:
    """A new account; `password_hash` and `email` instead of a password for SSO invitations (sso.py)."""
    username, name = _clean_username(username), _clean_name(name)
    if role not in ROLES:
        raise UserError("users.role_invalid")
    password_hash = password_hash or hash_password(password, username)

    def work(cur):
        if cur.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone():
            raise UserError("users.exists")
        if email and cur.execute("SELECT 1 FROM users WHERE email = ?", [email]).fetchone():
            raise UserError("sso.email_taken")
        cur.execute(
            "INSERT INTO users (username, name, password_hash, role, email) VALUES (?, ?, ?, ?, ?)",
            [username, name, password_hash, role, email],
        )
        for dept in set(department_ids):
            cur.execute("INSERT INTO user_departments VALUES (?, ?)", [username, dept])

    db.transaction(work)
    return get(db, username)


def new_setup_code(db: Database) -> str | None:
    """A fresh one-time code for the first-admin form, or None once there are users.

    The server prints it on its console at start (like a notebook server's token): whoever
    merely reaches a fresh instance over the network cannot create the first admin.
    Only its hash is stored; each start replaces it.
    """
    if count(db):
        db.execute("DELETE FROM settings WHERE key = ?", [SETUP_CODE_KEY])
        return None
    code = "-".join(secrets.token_hex(3).upper() for _ in range(4))  # 96 bits, easy to type
    db.execute("INSERT INTO settings VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
               [SETUP_CODE_KEY, _code_hash(code)])
    return code


def _code_hash(code: str) -> str:
    normal = "".join((code or "").split()).upper().replace("-", "")
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()


def create_first_admin(db: Database, username: str, name: str, password: str, setup_code: str) -> User:
    """Only while there are no users, and only with the setup code from the server console."""
    username, name = _clean_username(username), _clean_name(name)

    def check(cur):
        if cur.execute("SELECT count(*) FROM users").fetchone()[0]:
            raise UserError("users.first_admin_done")
        stored = cur.execute("SELECT value FROM settings WHERE key = ?", [SETUP_CODE_KEY]).fetchone()
        if stored is None or not secrets.compare_digest(stored[0], _code_hash(setup_code)):
            raise UserError("first_admin.code_wrong")

    db.transaction(check)  # before bcrypt, so a wrong code costs the server nothing; one snapshot
    password_hash = hash_password(password, username)

    def work(cur):
        check(cur)
        # Spending the code is a write every simultaneous submission makes to the same row:
        # DuckDB lets only one of them commit, the others retry and find the admin.
        cur.execute("DELETE FROM settings WHERE key = ?", [SETUP_CODE_KEY])
        cur.execute("INSERT INTO users (username, name, password_hash, role) VALUES (?, ?, ?, 'admin')",
                    [username, name, password_hash])

    db.transaction(work)
    return get(db, username)


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
        if current != (role, active):
            # A new role, a deactivation or a re-activation: every browser signs in afresh.
            cur.execute("DELETE FROM sessions WHERE username = ?", [username])
        cur.execute("DELETE FROM user_departments WHERE username = ?", [username])
        for dept in set(department_ids):
            cur.execute("INSERT INTO user_departments VALUES (?, ?)", [username, dept])

    db.transaction(work)


def set_password(db: Database, username: str, password: str) -> None:
    """A new password (an admin's reset or the user's own change) ends every session."""
    password_hash = hash_password(password, username)

    def work(cur):
        if not cur.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone():
            raise UserError("users.unknown")
        cur.execute("UPDATE users SET password_hash = ? WHERE username = ?", [password_hash, username])
        cur.execute("DELETE FROM sessions WHERE username = ?", [username])

    db.transaction(work)


def change_own_password(db: Database, username: str, current: str, new: str, client: str = "local",
                        captcha_solved: bool = False) -> None:
    """The signed-in user changes their password; the current one is checked like a sign-in."""
    if current and new and current == new:
        raise UserError("users.password_same")
    check_password(new, username)  # before the current password is checked: a clear message first
    verify_login(db, username, current, client=client, captcha_solved=captcha_solved)
    set_password(db, username, new)


def _checkpw(password: str, password_hash: str) -> bool:
    with _HASHING:
        return bcrypt.checkpw(password.encode("utf-8"), password_hash.encode("ascii"))


def _dummy_hash() -> str:
    """A hash of the configured cost, so an unknown username costs one bcrypt check too."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None or not _DUMMY_HASH.startswith(f"$2b${_rounds():02d}$"):
        with _HASHING:
            _DUMMY_HASH = bcrypt.hashpw(secrets.token_bytes(16), bcrypt.gensalt(_rounds())).decode("ascii")
    return _DUMMY_HASH


def verify_login(db: Database, username: str, password: str, client: str = "local",
                 captcha_solved: bool = False, now: datetime | None = None) -> User:
    """The user if the password is right; otherwise DomainError.

    The attempt is reserved (counted) before bcrypt runs, see login_throttle. Unknown,
    deactivated and known users all cost exactly one bcrypt check, so timing tells nothing.
    """
    now = now or _now()
    username = (username or "").strip().lower()[:40]
    if not username or not password:
        raise UserError("login.missing")
    reservation = login_throttle.reserve(db, username, login_throttle.client_key(client), now, captcha_solved)
    row = db.query_one("SELECT password_hash, active FROM users WHERE username = ?", [username])
    fits = len(password.encode("utf-8")) <= MAX_PASSWORD_BYTES
    # Unknown users and SSO-only accounts (no bcrypt hash) are checked against the dummy.
    usable = row is not None and row[0].startswith("$2")
    ok = _checkpw(password if fits else "x", row[0] if usable else _dummy_hash())
    if not (ok and fits and usable and row[1]):
        raise UserError("login.failed")
    login_throttle.succeeded(db, reservation)
    return get(db, username)


def active_user(db: Database, username: str | None) -> User | None:
    """The signed-in user if they still exist and are active (checked on every run)."""
    if not username:
        return None
    user = get(db, username)
    return user if user is not None and user.active else None
