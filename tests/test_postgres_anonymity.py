"""The "no arrival order" promise on PostgreSQL, attacked through the raw files (docs/security.md).

Answers with unique comment markers are written in a known order; the test then reads the
cluster's files as an attacker with a copy of the data directory would: every heap and TOAST
file (dead tuples included, after a CHECKPOINT) and every WAL segment. While the round is
open no marker may be readable at all, released or not (sealed rows); after the close the
markers may be read, but in no file in the order they arrived (shuffled insert). The last
two tests take the guards away and show the scan catches the leak.
"""

import re
import secrets
from datetime import datetime, timedelta

import pytest

from servicetjek import db as dbmod
from servicetjek import holding, org, results, rounds, sealed, users
from servicetjek.content import THEME_IDS
from tests.conftest import PASSWORD

ANSWERS = 30


def scan(cluster, prefix: bytes) -> dict[str, list[int]]:
    """Marker numbers in the order they stand in each file of the data directory (first sighting)."""
    cluster.sql("CHECKPOINT")
    pattern = re.compile(re.escape(prefix) + rb"(\d{3})")
    found = {}
    for path in sorted(cluster.data.rglob("*")):
        if not path.is_file() or path.stat().st_size == 0:
            continue
        seen: list[int] = []
        for match in pattern.finditer(path.read_bytes()):
            number = int(match.group(1))
            if number not in seen:
                seen.append(number)
        if seen:
            found[str(path.relative_to(cluster.data))] = seen
    return found


def in_arrival_order(numbers: list[int]) -> bool:
    """Sorted, or nearly: more than 80 % of neighbours ascending (a shuffle gives about half)."""
    ascending = sum(a < b for a, b in zip(numbers, numbers[1:], strict=False))
    return len(numbers) > 2 and ascending > 0.8 * (len(numbers) - 1)


def answer_and_close(cluster, url):
    db = dbmod.open_database(url)
    try:
        unit = org.create(db, "Team A")
        admin = users.create(db, "admin", "Anna Admin", PASSWORD, "admin")
        now = datetime.now()
        round_, _ = rounds.create(db, admin, unit, "Forår", now - timedelta(hours=1), now + timedelta(days=7))
        prefix = f"MRK{secrets.token_hex(4)}-".encode()
        for i in range(ANSWERS):
            rounds.submit(db, round_.token, dict.fromkeys(THEME_IDS, 1 + i % 5), comment=f"{prefix.decode()}{i:03d}")
        shown = results.round_results(db, admin, round_.id)  # releases the held answers (>= k)
        assert shown.n == ANSWERS
        open_scan = scan(cluster, prefix)
        rounds.close(db, admin, round_.id)
        assert rounds.response_count(db, round_.id) == ANSWERS
        assert db.query_one("SELECT count(*) FROM held_answers")[0] == 0
        return open_scan, scan(cluster, prefix)
    finally:
        db.close()


@pytest.fixture
def isolated(postgres, pg_url):
    return postgres, pg_url


def test_held_answers_are_sealed_and_settled_answers_shuffled_in_heap_and_wal(isolated):
    open_scan, closed_scan = answer_and_close(*isolated)
    assert open_scan == {}, f"held answers readable while the round is open: {sorted(open_scan)}"
    assert any(name.startswith("base/") for name in closed_scan)  # the scan does read the heap
    assert any(name.startswith("pg_wal/") for name in closed_scan)  # ... and the WAL
    ordered = {name: numbers for name, numbers in closed_scan.items() if in_arrival_order(numbers)}
    assert not ordered, f"arrival order readable in {sorted(ordered)}"


def test_the_scan_finds_unsealed_held_answers(isolated, monkeypatch):
    monkeypatch.setattr(sealed.Sealer, "seal", lambda self, name, row: sealed.pack(row))
    monkeypatch.setattr(sealed.Sealer, "open", lambda self, name, data: sealed.unpack(bytes(data)))
    open_scan, _ = answer_and_close(*isolated)
    assert open_scan, "plaintext held answers went unseen"


def test_the_scan_finds_an_unshuffled_close(isolated, monkeypatch):
    monkeypatch.setattr(holding.random, "shuffle", lambda items: None)
    _, closed_scan = answer_and_close(*isolated)
    assert any(in_arrival_order(numbers) for numbers in closed_scan.values())
