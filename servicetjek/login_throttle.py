"""Sign-in throttling that slows guessing without handing strangers a lock-out button.

Every attempt is *reserved* (counted and recorded in one step under a process lock) before
bcrypt runs, so a burst of concurrent guesses cannot slip past the count. One process owns
the DuckDB file, so a process lock makes count-and-insert atomic.

Rules, all over a sliding window:
- per (username, client): a few free failures, then a doubling wait. Only the guesser's own
  client waits, so a stranger cannot slow down the real user elsewhere.
- per client: a hard cap on failures across all usernames (stops spraying one password).
- per username (any client) and globally: past a threshold a CAPTCHA is required instead of
  a lock-out, so the real user with the right password still gets in.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from servicetjek.db import Database
from servicetjek.errors import DomainError

WINDOW = timedelta(minutes=15)
FREE_FAILURES = 3  # per (username, client) before the wait starts
FIRST_DELAY = timedelta(seconds=5)  # then 5, 10, 20, 40 s ... capped at MAX_DELAY
MAX_DELAY = timedelta(minutes=15)
CLIENT_MAX_FAILURES = 20  # per client, all usernames
USERNAME_CAPTCHA_FAILURES = 5  # per username, all clients
GLOBAL_CAPTCHA_FAILURES = 50  # all usernames, all clients

_reserve_lock = threading.Lock()
# Clients (IP addresses) are stored only as a keyed hash: enough to count, no address kept.
# A new key per process start forgets every client, which at most shortens one window.
_CLIENT_KEY = secrets.token_bytes(32)


@dataclass(frozen=True)
class Reservation:
    attempt_id: str


def _delay(failures: int) -> timedelta:
    if failures < FREE_FAILURES:
        return timedelta(0)
    return min(FIRST_DELAY * 2 ** (failures - FREE_FAILURES), MAX_DELAY)


def _wait_error(until: datetime, now: datetime) -> DomainError:
    seconds = max(1, int((until - now).total_seconds() + 0.999))
    return DomainError("login.wait", seconds=seconds)


def reserve(db: Database, username: str, client: str, now: datetime, captcha_solved: bool) -> Reservation:
    """Count and record one attempt atomically, or refuse it (DomainError) before any bcrypt."""
    since = now - WINDOW
    with _reserve_lock:
        per_pair, last_pair, per_client, per_username, overall = db.query_one(
            "SELECT count(*) FILTER (WHERE username = ? AND client = ?),"
            "       max(attempted_at) FILTER (WHERE username = ? AND client = ?),"
            "       count(*) FILTER (WHERE client = ?),"
            "       count(*) FILTER (WHERE username = ?),"
            "       count(*)"
            " FROM login_attempts WHERE attempted_at > ? AND ok IS NOT TRUE",
            [username, client, username, client, client, username, since],
        )
        if per_client >= CLIENT_MAX_FAILURES:
            first = db.query_one("SELECT min(attempted_at) FROM login_attempts WHERE client = ? AND "
                                 "attempted_at > ? AND ok IS NOT TRUE", [client, since])[0]
            raise _wait_error(first + WINDOW, now)
        if per_pair >= FREE_FAILURES and now < last_pair + _delay(per_pair):
            raise _wait_error(last_pair + _delay(per_pair), now)
        if not captcha_solved and (per_username >= USERNAME_CAPTCHA_FAILURES
                                   or overall >= GLOBAL_CAPTCHA_FAILURES):
            raise DomainError("login.captcha_required")
        attempt_id = secrets.token_hex(16)
        db.transaction(lambda cur: (
            cur.execute("DELETE FROM login_attempts WHERE attempted_at < ?", [since - WINDOW]),
            cur.execute("INSERT INTO login_attempts VALUES (?, ?, ?, ?, NULL)",
                        [attempt_id, username, client, now]),
        ))
    return Reservation(attempt_id)


def succeeded(db: Database, reservation: Reservation) -> None:
    """The password was right: this attempt and this pair's earlier failures stop counting."""
    def work(cur):
        row = cur.execute("SELECT username, client FROM login_attempts WHERE attempt_id = ?",
                          [reservation.attempt_id]).fetchone()
        cur.execute("UPDATE login_attempts SET ok = true WHERE username = ? AND client = ? AND ok IS NULL",
                    [row[0], row[1]])

    db.transaction(work)


def client_key(client: str) -> str:
    return hmac.new(_CLIENT_KEY, (client or "").encode("utf-8", "replace"), hashlib.sha256).hexdigest()[:32]


def captcha_matches(expected: str | None, given: str | None) -> bool:
    """The typed CAPTCHA text equals the challenge (case and spaces ignored)."""
    if not expected or not given:
        return False
    normal = "".join(given.split()).upper()
    return secrets.compare_digest(normal.encode(), expected.upper().encode())


def new_captcha_text(length: int = 5) -> str:
    alphabet = "ACDEFHJKLMNPRTUVWXY34679"  # no look-alikes (0/O, 1/I, 5/S, 8/B)
    return "".join(secrets.choice(alphabet) for _ in range(length))
