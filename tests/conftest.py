import os

import pytest

from servicetjek import db as dbmod
from servicetjek import org, users
from servicetjek.serve import disable_pages_folder_detection

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
