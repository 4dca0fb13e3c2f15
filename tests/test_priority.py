"""Answering phones go first (servicetjek/priority.py): other pages wait for a burst of answers."""

import threading
import time

import pytest

from servicetjek import priority, rounds
from tests.test_pages import answer_all, app, make_open_round, rating_app


@pytest.fixture
def short_waits(monkeypatch):
    monkeypatch.setattr(priority, "MAX_WAIT", 1.0)
    monkeypatch.setattr(priority, "QUIET_GAP", 0.2)


class AnswerInProgress:
    """An answer held open in another thread, as a phone's run would be, until release()."""

    def __init__(self):
        self._entered, self._release = threading.Event(), threading.Event()
        self._thread = threading.Thread(target=self._hold, daemon=True)

    def _hold(self):
        with priority.answering():
            self._entered.set()
            self._release.wait(10)

    def __enter__(self):
        self._thread.start()
        self._entered.wait(5)
        return self

    def release(self):
        self._release.set()
        self._thread.join(5)

    def __exit__(self, *exc):
        self.release()


def test_no_wait_when_nobody_answers(short_waits):
    time.sleep(priority.QUIET_GAP)  # whatever other tests left behind has passed
    assert priority.wait_for_answers() < 0.05


def test_waits_while_an_answer_is_in_progress_and_a_moment_after(short_waits):
    with AnswerInProgress() as answer:
        threading.Timer(0.3, answer.release).start()
        waited = priority.wait_for_answers()
    assert 0.3 + 0.2 - 0.05 <= waited < priority.MAX_WAIT  # until the answer ended, then the quiet gap


def test_never_waits_longer_than_the_limit(short_waits):
    with AnswerInProgress():
        waited = priority.wait_for_answers()
    assert priority.MAX_WAIT - 0.05 <= waited < priority.MAX_WAIT + 0.5


def test_other_pages_wait_for_answers_the_rating_form_does_not(db, org_tree, people, short_waits):
    r, _ = make_open_round(db, people, org_tree)
    with AnswerInProgress():
        start = time.monotonic()
        rating_app(r.token)
        form_took = time.monotonic() - start
        start = time.monotonic()
        page = app().run()
        page_took = time.monotonic() - start
    assert not page.exception
    assert form_took < priority.MAX_WAIT <= page_took


def test_a_submission_counts_as_an_answer_in_progress(db, org_tree, people, monkeypatch):
    r, _ = make_open_round(db, people, org_tree)
    seen = []
    store = rounds.submit

    def submit(*args, **kwargs):
        seen.append(priority._in_progress)
        return store(*args, **kwargs)

    monkeypatch.setattr(rounds, "submit", submit)
    at = rating_app(r.token)
    answer_all(at)
    at.button[0].click().run()
    assert at.success and seen == [1]  # the callback runs before the frame: it marks itself
