import os

import pytest

from servicetjek import db as dbmod
from servicetjek import org, users
from servicetjek.ui.serve import disable_pages_folder_detection

os.environ.setdefault("SERVICETJEK_BCRYPT_ROUNDS", "4")
PASSWORD = "correct-horse-battery"

# AppTest builds the same PagesManager as the server: switch off v1 pages/ detection.
disable_pages_folder_detection()


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.setenv("SERVICETJEK_DB", str(tmp_path / "test.duckdb"))
    dbmod.reset_for_tests()
    database = dbmod.get_db()
    yield database
    dbmod.reset_for_tests()


@pytest.fixture
def org_tree(db):
    """forvaltning A (team A1, A2) and forvaltning B (team B1)."""
    a = org.create(db, "Forvaltning A")
    a1 = org.create(db, "Team A1", a, headcount=20)
    a2 = org.create(db, "Team A2", a, headcount=10)
    b = org.create(db, "Forvaltning B")
    b1 = org.create(db, "Team B1", b, headcount=8)
    return {"A": a, "A1": a1, "A2": a2, "B": b, "B1": b1}


@pytest.fixture
def people(db, org_tree):
    return {
        "admin": users.create(db, "admin", "Anna Admin", PASSWORD, "admin"),
        "manager": users.create(db, "leder", "Lars Leder", PASSWORD, "manager"),
        "facilitator": users.create(db, "tovholder", "Tina Tovholder", PASSWORD, "facilitator", [org_tree["A"]]),
        "member": users.create(db, "medlem", "Mads Medlem", PASSWORD, "member", [org_tree["A1"]]),
    }


def run_async(coro):
    """asyncio.run in its own thread: the browser tests keep an event loop in the main thread."""
    import asyncio
    import threading

    outcome = {}

    def target():
        try:
            outcome["value"] = asyncio.run(coro)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            outcome["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def pytest_collection_modifyitems(items):
    """Browser journeys last: they are the slowest, and unit failures should show first."""
    items.sort(key=lambda item: "/e2e/" in str(item.fspath))
