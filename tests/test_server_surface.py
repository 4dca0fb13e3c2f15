"""Server surface (issue 12.7): private database files and a clear message when the disk is full.

Allowed hosts, closed metrics and security headers are attacked over HTTP in tests/test_front.py.
"""

from __future__ import annotations

import sqlite3
import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from servicetjek import clock, holding, rounds, settings
from servicetjek.db import Database, get_db
from servicetjek.errors import StorageFull
from servicetjek.i18n import t
from tests.test_pages import answer_all, app, login, rating_app

ROOT = Path(__file__).resolve().parents[1]
DISK_FULL = "Serveren kan ikke gemme lige nu (disken er fuld)"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_database_and_wal_are_created_private_even_with_an_open_umask(tmp_path):
    # A fresh process with the usual umask 022, as `make run` would have.
    path = tmp_path / "data" / "fresh.duckdb"
    script = (
        "import os, sys\n"
        "os.umask(0o022)\n"
        "from servicetjek.db import Database\n"
        f"db = Database({str(path)!r})\n"
        "db.execute('CREATE TABLE t (x INTEGER)')\n"
        "db.execute('INSERT INTO t VALUES (1)')\n"
        "wal = __import__('pathlib').Path(db.path + '.wal')\n"
        "print(oct(os.stat(db.path).st_mode & 0o777), oct(wal.stat().st_mode & 0o777) if wal.exists() else '-')\n"
    )
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    db_mode, wal_mode = out.stdout.split()
    assert db_mode == "0o600"
    assert wal_mode in ("0o600", "-")
    assert mode(path.parent) & 0o077 == 0


def test_an_existing_world_readable_database_is_made_private_on_open(tmp_path):
    path = tmp_path / "old.duckdb"
    Database(path).close()
    path.chmod(0o644)
    Database(path).close()
    assert mode(path) == 0o600


def disk_full(monkeypatch):
    """Every write fails the way the engine under test reports a full disk."""
    from psycopg.errors import DiskFull

    db = get_db()
    error = (duckdb.IOException('IO Error: Could not write file "servicetjek.duckdb.wal": No space left on device')
             if db.engine == "duckdb" else DiskFull('could not extend file "base/1/2": No space left on device'))

    def refuse(self, work):
        raise error

    class FullFile:  # a round's holding file (SQLite) on the same full disk
        def cursor(self):
            return self

        def execute(self, *args):
            raise sqlite3.OperationalError("database or disk is full")

        def close(self):
            pass

    monkeypatch.setattr(type(db), "_run_with_retries", refuse)
    monkeypatch.setattr(holding.Holding, "_connect", lambda self, name, create=False: FullFile())


def test_full_disk_is_a_domain_error_with_a_danish_message(db, monkeypatch):
    disk_full(monkeypatch)
    with pytest.raises(StorageFull) as caught:
        db.execute("SELECT 1")

    assert t(caught.value.key, "da").startswith(DISK_FULL)
    assert t(caught.value.key, "en").startswith("The server cannot save right now")


@pytest.mark.duckdb_only(reason="DuckDB's own I/O error")
def test_other_io_errors_are_not_called_a_full_disk(db, monkeypatch):
    def refuse(self, work):
        raise duckdb.IOException("IO Error: Permission denied")

    monkeypatch.setattr(Database, "_run_with_retries", refuse)
    with pytest.raises(duckdb.IOException):
        db.execute("SELECT 1")


def test_rating_submit_on_a_full_disk_tells_the_employee_and_keeps_the_form(db, org_tree, people, monkeypatch):
    now = clock.local_now()  # rounds take Copenhagen time
    round_, _ = rounds.create(db, people["admin"], org_tree["A1"], "Fuld disk", now - timedelta(hours=1),
                              now + timedelta(days=1))
    at = rating_app(round_.token)
    answer_all(at)
    with monkeypatch.context() as patch:
        disk_full(patch)
        at.button[0].click().run()
    assert not at.exception
    assert DISK_FULL in at.error[0].value
    assert len(at.radio) == 6 and at.radio(key="score_trust").value == 4  # nothing lost: try again
    assert rounds.response_count(db, round_.id) == 0
    at.button[0].click().run()  # space again: the same answers go through
    assert at.success[0].value.startswith("## Tak for dine svar\n")
    assert rounds.response_count(db, round_.id) == 1


def test_rating_form_opens_on_a_full_disk(db, org_tree, people, monkeypatch):
    """The form's display prepares the round's holding file (rounds.prepare_for_answers);
    on a full disk it still shows the form, and the answer is told plainly."""
    now = clock.local_now()
    round_, _ = rounds.create(db, people["admin"], org_tree["A1"], "Fuld disk", now - timedelta(hours=1),
                              now + timedelta(days=1))
    disk_full(monkeypatch)
    at = rating_app(round_.token)
    assert not at.exception and len(at.radio) == 6
    answer_all(at)
    at.button[0].click().run()
    assert not at.exception and DISK_FULL in at.error[0].value


def test_page_save_on_a_full_disk_shows_the_message_not_an_error_page(db, people, monkeypatch):
    at = login(db, "admin")
    at.switch_page("pages/admin_settings.py").run()
    at.number_input(key="min_answers").set_value(4)
    with monkeypatch.context() as patch:
        disk_full(patch)
        at.button(key="FormSubmitter:thresholds-Gem").click().run()
    assert not at.exception
    assert DISK_FULL in at.error[0].value
    assert settings.min_answers(db) == 5


@pytest.fixture
def errors_in_our_words(monkeypatch):
    """What the server installs at start, undone afterwards: other tests look for Streamlit's
    own error box (`at.exception`)."""
    from streamlit.runtime import fragment
    from streamlit.runtime.scriptrunner import exec_code

    from servicetjek.ui.serve import show_errors_in_our_words

    for module in (exec_code, fragment):
        monkeypatch.setattr(module, "handle_user_script_exception", module.handle_user_script_exception)
    show_errors_in_our_words()


@pytest.mark.parametrize("lang, words", [("da", "Noget gik galt på serveren"),
                                         ("en", "Something went wrong on the server")])
def test_an_unexpected_error_is_told_in_the_pages_language_and_logged(db, org_tree, people, monkeypatch, caplog,
                                                                      errors_in_our_words, lang, words):
    round_, _ = rounds.create(db, people["admin"], org_tree["A1"], "Fejl", clock.local_now() - timedelta(hours=1),
                              clock.local_now() + timedelta(days=1))

    def broken(*args, **kwargs):
        raise RuntimeError("the holding file went away")

    monkeypatch.setattr(rounds, "open_for_answers", broken)
    at = app()
    at.query_params.update(r=round_.token, lang=lang)
    at.run()
    assert not at.exception  # not Streamlit's English box ...
    assert [e.value for e in at.error] == [t("errors.unexpected", lang)]  # ... ours
    assert words in at.error[0].value and "the holding file went away" in caplog.text


def test_full_disk_in_an_unguarded_callback_shows_the_message(db, org_tree, people, monkeypatch, errors_in_our_words):
    """The board's "Del" button calls the domain function directly as its callback."""
    from servicetjek import trials

    trials.create(db, people["facilitator"], org_tree["A1"], "focus", "Stilletid")
    at = login(db, "tovholder")
    at.switch_page("pages/board.py").run()
    with monkeypatch.context() as patch:
        disk_full(patch)
        at.button(key="share_link").click().run()
    assert not at.exception
    assert any(DISK_FULL in e.value for e in at.error)
    assert trials.board_token(db, people["facilitator"], org_tree["A1"]) is None
