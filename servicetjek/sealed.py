"""Answers of open rounds on PostgreSQL: sealed rows instead of holding files.

DuckDB keeps an open round's answers in a file of the process's own (servicetjek/holding.py).
With several app processes sharing one PostgreSQL they must live in the database, where a
table keeps its rows in arrival order and a deleted row stays readable in dead tuples and in
the write-ahead log. So every held answer is sealed: AES-GCM under a key derived (HKDF) from
the deployment secret (SERVICETJEK_SECRET, else SERVICETJEK_COOKIE_KEY), which the database
never holds, with the holding's name as associated data, padded to one size so the length of
a comment leaks nothing. Whoever reads the database files sees ciphertexts in arrival order;
the figures come from the released ones, opened by the app. At close the released answers
are opened and inserted shuffled into `responses`, and their sealed rows deleted, in one
transaction (plan_settle: the same rule as on DuckDB).

Several processes: every step is one SERIALIZABLE transaction (servicetjek/pg.py) that takes
the round's rows FOR SHARE/FOR UPDATE, so an answer cannot slip in beside a close, and a code
is spent by one conditional UPDATE ... WHERE NOT used.
"""

from __future__ import annotations

import os
import random
import secrets
import struct
from collections.abc import Callable, Iterable
from datetime import datetime

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from servicetjek import holding
from servicetjek.content import THEME_IDS

PLAIN_SIZE = 4200  # six scores, a group of <= 40 and a comment of <= 1000 characters in UTF-8, padded
_NONE = 0xFFFF


def deployment_secret() -> bytes:
    secret = os.environ.get("SERVICETJEK_SECRET") or os.environ.get("SERVICETJEK_COOKIE_KEY")
    if not secret:
        raise RuntimeError("PostgreSQL needs a deployment secret that the database does not hold: "
                           "set SERVICETJEK_SECRET (the same on every app server)")
    return secret.encode()


def pack(row: tuple) -> bytes:
    """(six scores, group, comment) as bytes of one fixed size."""
    *scores, group, comment = row
    if not all(1 <= score <= 5 for score in scores):  # as the CHECK on `responses` will at close
        raise ValueError("score out of range")
    out = bytes(scores)
    for text in (group, comment):
        data = b"" if text is None else text.encode()
        out += struct.pack(">H", _NONE if text is None else len(data)) + data
    if len(out) > PLAIN_SIZE:
        raise ValueError("answer too long to hold")
    return out.ljust(PLAIN_SIZE, b"\0")


def unpack(data: bytes) -> tuple:
    n = len(THEME_IDS)
    values: list = list(data[:n])
    at = n
    for _ in range(2):
        (length,) = struct.unpack_from(">H", data, at)
        at += 2
        if length == _NONE:
            values.append(None)
        else:
            values.append(data[at:at + length].decode())
            at += length
    return tuple(values)


class Sealer:
    def __init__(self, secret: bytes):
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"servicetjek held answers v1").derive(secret)
        self._aead = AESGCM(key)

    def seal(self, holding_name: str, row: tuple) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, pack(row), holding_name.encode())

    def open(self, holding_name: str, sealed: bytes) -> tuple:
        sealed = bytes(sealed)
        return unpack(self._aead.decrypt(sealed[:12], sealed[12:], holding_name.encode()))


class SealedHolding(holding.Holding):
    """holding.Holding's interface on PostgreSQL tables (migration 0013)."""

    def __init__(self, db):
        super().__init__(db)
        self.sealer = Sealer(deployment_secret())

    # Not memoised here: releasing is an answers-only write on PostgreSQL (no memo is cleared).
    state = holding.Holding.read_state

    def open_store(self, round_id: int, still_open: Callable[[datetime | None], bool]) -> None:
        """Nothing to open: the held answers are rows in PostgreSQL."""

    def _fill(self, cur, name: str, codes: Iterable[tuple[str, bool]], answers: Iterable[tuple]) -> None:
        answers = list(answers)
        random.shuffle(answers)
        cur.executemany("INSERT INTO held_codes (holding, code_hash, used) VALUES (?, ?, ?)",
                        [(name, *code) for code in codes])
        cur.executemany("INSERT INTO held_answers (holding, sealed) VALUES (?, ?)",
                        [(name, self.sealer.seal(name, row)) for row in answers])

    def create_file(self, codes: Iterable[tuple[str, bool]] = (), answers: Iterable[tuple] = ()) -> str:
        name = secrets.token_hex(12)
        codes, answers = list(codes), list(answers)
        self.db.transaction(lambda cur: self._fill(cur, name, codes, answers), answers_only=True)
        return name

    def discard(self, name: str) -> None:
        self.db.transaction(lambda cur: _delete(cur, name), answers_only=True)

    def wipe_orphans(self) -> list[str]:
        # Another process may be between create_file and its round's insert: an orphan here
        # is only sealed rows of a round that was never created, so it is left alone.
        return []

    def _opened(self, rows: list[tuple]) -> list[tuple]:
        return [self.sealer.open(name, sealed) for name, sealed in rows]

    _HELD = " FROM held_answers a JOIN round_state s ON a.holding = s.holding_file WHERE s.round_id = ?"

    def held_count(self, round_id: int) -> int:
        return self.db.query_one("SELECT count(*)" + self._HELD, [round_id])[0]

    def codes_used(self, round_id: int) -> tuple[int, int]:
        used, total = self.db.query_one(
            "SELECT count(*) FILTER (WHERE used), count(*) FROM held_codes c"
            " JOIN round_state s ON c.holding = s.holding_file WHERE s.round_id = ?", [round_id])
        return used, total

    def fast_answers(self, round_id: int) -> int:
        row = self.db.query_one("SELECT s.fast_answers + (SELECT count(*) FROM held_answers a"
                                " WHERE a.holding = s.holding_file AND a.fast) FROM round_state s WHERE round_id = ?",
                                [round_id])
        return row[0] if row else 0

    def released_held_rows(self, round_id: int) -> list[tuple]:
        return self._opened(self.db.query("SELECT a.holding, a.sealed" + self._HELD + " AND a.seq <= s.released_seq",
                                          [round_id]))

    def held_rows(self, round_id: int) -> list[tuple]:
        return self._opened(self.db.query("SELECT a.holding, a.sealed" + self._HELD, [round_id]))

    def store(self, round_id: int, batch: list[holding.Held],
              still_open: Callable[[datetime | None], bool]) -> dict[int, Exception]:
        def work(cur) -> dict[int, Exception]:
            # Shared locks on the round and its state: a close (UPDATE rounds) or a settle waits
            # for this answer, or this answer sees the round closed.
            cur.execute("SELECT id FROM rounds WHERE id = ? FOR SHARE", [round_id])
            state = cur.execute("SELECT holding_file FROM round_state WHERE round_id = ? FOR SHARE",
                                [round_id]).fetchone()
            name = state[0] if state else None
            open_at = {now: still_open(now) for now in {item.now for item in batch}}
            refused: dict[int, Exception] = {}
            rows = []
            for i, item in enumerate(batch):
                if not open_at[item.now]:
                    refused[i] = holding.RoundClosed()
                    continue
                if item.code_hash is not None and not _spend(cur, name, item.code_hash):
                    known = name and cur.execute("SELECT 1 FROM held_codes WHERE holding = ? AND code_hash = ?",
                                                 [name, item.code_hash]).fetchone()
                    refused[i] = holding.CodeRefused("used" if known else "unknown")
                    continue
                rows.append(item)
            if rows:
                if name is None:
                    name = secrets.token_hex(12)
                    cur.execute("INSERT INTO round_state (round_id, holding_file) VALUES (?, ?) ON CONFLICT (round_id)"
                                " DO UPDATE SET holding_file = excluded.holding_file", [round_id, name])
                cur.executemany("INSERT INTO held_answers (holding, fast, sealed) VALUES (?, ?, ?)",
                                [(name, item.fast, self.sealer.seal(name, item.row)) for item in rows])
            return refused

        with self.lock(round_id):
            return self.db.transaction(work, answers_only=True)

    def release(self, round_id: int, k: int) -> bool:
        def work(cur) -> bool:
            state = cur.execute("SELECT holding_file, released_seq FROM round_state WHERE round_id = ? FOR UPDATE",
                                [round_id]).fetchone()
            if state is None or state[0] is None:
                return False
            last, fresh = cur.execute("SELECT max(seq), count(*) FILTER (WHERE seq > ?) FROM held_answers"
                                      " WHERE holding = ?", [state[1], state[0]]).fetchone()
            if fresh < k:
                return False
            cur.execute("UPDATE round_state SET released_seq = ? WHERE round_id = ?", [last, round_id])
            return True

        with self.lock(round_id):
            # No memoised read depends on what is released: results views keep other memos warm.
            return self.db.transaction(work, answers_only=True)

    def settle(self, round_id: int, k: int, freeze_groups: Callable[[list[tuple]], dict] | None = None) -> None:
        def work(cur) -> None:
            row = cur.execute("SELECT holding_file, released_seq, settled, fast_answers, groups_n, groups_json"
                              " FROM round_state WHERE round_id = ? FOR UPDATE", [round_id]).fetchone()
            if row is None:
                cur.execute("INSERT INTO round_state (round_id, settled) VALUES (?, true)"
                            " ON CONFLICT (round_id) DO UPDATE SET settled = true", [round_id])
                return
            state = holding.State(*row)
            name = state.holding_file
            held = cur.execute("SELECT seq, fast, sealed FROM held_answers WHERE holding = ?", [name]).fetchall()
            codes = cur.execute("SELECT code_hash, used FROM held_codes WHERE holding = ?", [name]).fetchall()
            rows = [(seq, *self.sealer.open(name, sealed)) for seq, _, sealed in held]
            settled_before = cur.execute("SELECT count(*) FROM responses WHERE round_id = ?", [round_id]).fetchone()[0]
            plan = holding.plan_settle(state, rows, k, settled_before, freeze_groups)
            new_name = secrets.token_hex(12) if codes or plan.leftovers else None
            if new_name:
                self._fill(cur, new_name, codes, plan.leftovers)
            if name:
                _delete(cur, name)
            plan.move(cur, round_id, new_name, sum(fast for _, fast, _ in held))

        with self.lock(round_id):
            self.db.transaction(work)


def _spend(cur, name: str | None, code_hash: str) -> bool:
    """Spend a single-use code in one conditional statement: of two processes, one wins."""
    return name is not None and cur.execute(
        "UPDATE held_codes SET used = true WHERE holding = ? AND code_hash = ? AND NOT used RETURNING 1",
        [name, code_hash]).fetchone() is not None


def _delete(cur, name: str) -> None:
    cur.execute("DELETE FROM held_answers WHERE holding = ?", [name])
    cur.execute("DELETE FROM held_codes WHERE holding = ?", [name])
