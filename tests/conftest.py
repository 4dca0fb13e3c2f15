import os

import pytest

from servicetjek import db as dbmod
from servicetjek import org, users
from servicetjek.ui.serve import disable_pages_folder_detection
from tests import pg_cluster

os.environ.setdefault("SERVICETJEK_BCRYPT_ROUNDS", "4")
# Seals open rounds' answers on PostgreSQL (servicetjek/sealed.py).
os.environ.setdefault("SERVICETJEK_SECRET", "test-deployment-secret")
PASSWORD = "correct-horse-battery"
# `make test` runs the domain and page tests once per engine: SERVICETJEK_TEST_ENGINE=postgresql
# gives every `db` a fresh database in a PostgreSQL cluster the tests start themselves.
ENGINE = os.environ.get("SERVICETJEK_TEST_ENGINE", "duckdb")

# AppTest builds the same PagesManager as the server: switch off v1 pages/ detection.
disable_pages_folder_detection()


def pytest_configure(config):
    config.addinivalue_line("markers", "duckdb_only(reason): inherently about DuckDB files; skipped on PostgreSQL")


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL cluster (tests/pg_cluster.py) with a migrated template database."""
    if not pg_cluster.available():
        pytest.skip("PostgreSQL not installed (Debian's postgresql package)")
    cluster = pg_cluster.Cluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def pg_url(postgres):
    """A fresh, migrated PostgreSQL database for one test."""
    url = postgres.fresh_database()
    yield url
    dbmod.reset_for_tests()
    postgres.drop(url)


@pytest.fixture
def db(tmp_path, monkeypatch, request):
    target = request.getfixturevalue("pg_url") if ENGINE == "postgresql" else str(tmp_path / "test.duckdb")
    monkeypatch.setenv("SERVICETJEK_DB", target)
    dbmod.reset_for_tests()
    database = dbmod.get_db()
    yield database
    dbmod.reset_for_tests()


@pytest.fixture
def fresh_database(tmp_path_factory, request):
    """Makes further empty databases of the engine under test (one per property-test example)."""
    opened = []

    def make() -> dbmod.Database:
        if ENGINE == "postgresql":
            target = request.getfixturevalue("postgres").fresh_database()
        else:
            target = str(tmp_path_factory.mktemp("db") / "db.duckdb")
        opened.append(dbmod.open_database(target))
        return opened[-1]

    yield make
    for database in opened:
        database.close()


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
    if ENGINE == "postgresql":
        for item in items:
            marker = item.get_closest_marker("duckdb_only")
            if marker:
                item.add_marker(pytest.mark.skip(reason=f"DuckDB only: {marker.kwargs.get('reason', '')}"))
