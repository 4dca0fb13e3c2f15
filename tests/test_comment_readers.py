"""Who reads comments (issue 13): free-text comments go to the unit's facilitators and
admins by default; managers read them only when the admin setting `comment_readers` says so.
Enforced in results.round_results, so every page and export gets the same answer.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from servicetjek import exports, results, rounds, settings
from servicetjek.content import THEME_IDS
from servicetjek.errors import DomainError, PermissionDenied
from tests.test_pages import login

COMMENT = "Vi savner de faste mødedage"


@pytest.fixture
def commented(db, org_tree, people):
    """A round in Team A1 with six released answers, each with a comment."""
    now = datetime.now()
    r, _ = rounds.create(db, people["admin"], org_tree["A1"], "Kommentarer", now - timedelta(hours=1),
                         now + timedelta(days=3))
    for i in range(6):
        rounds.submit(db, r.token, dict.fromkeys(THEME_IDS, 3), comment=f"{COMMENT} {i}", session_key=f"c{i}")
    return r


def comments_for(db, user, round_):
    result = results.round_results(db, user, round_.id)
    assert not result.suppressed  # the figures are there for everyone who may see results
    return result.comments, result.comments_withheld


def test_by_default_facilitators_and_admins_read_comments_and_managers_do_not(db, people, commented):
    assert settings.comment_readers(db) == "facilitators"
    for role in ("facilitator", "admin"):
        comments, withheld = comments_for(db, people[role], commented)
        assert sorted(comments) == [f"{COMMENT} {i}" for i in range(6)] and not withheld
    assert comments_for(db, people["manager"], commented) == (None, True)


def test_with_the_setting_managers_read_comments_too(db, people, commented):
    settings.set_comment_readers(db, "managers")
    for role in ("manager", "facilitator", "admin"):
        comments, withheld = comments_for(db, people[role], commented)
        assert len(comments) == 6 and not withheld


def test_members_and_other_units_facilitators_read_nothing_in_either_setting(db, org_tree, people, commented):
    from servicetjek import users

    other = users.create(db, "tovholder_b", "Bo B", "correct-horse-battery", "facilitator", [org_tree["B"]])
    for value in settings.COMMENT_READERS:
        settings.set_comment_readers(db, value)
        for user in (people["member"], other):
            with pytest.raises(PermissionDenied):
                results.round_results(db, user, commented.id)


def test_the_before_after_comparison_withholds_comments_too(db, org_tree, people, commented):
    later = datetime.now() + timedelta(hours=2)
    r2, _ = rounds.create(db, people["admin"], org_tree["A1"], "Senere", later, later + timedelta(days=3))
    _, earlier = results.comparable_previous_round(db, people["manager"], rounds.get(db, r2.id))
    assert earlier.comments is None and earlier.comments_withheld


def test_only_known_values_are_accepted(db):
    with pytest.raises(DomainError):
        settings.set_comment_readers(db, "everyone")
    settings.put(db, "comment_readers", "everyone")  # a hand-edited database falls back to the safe default
    assert settings.comment_readers(db) == "facilitators"


def test_exports_carry_no_comments(db, people, commented):
    result = results.round_results(db, people["admin"], commented.id)
    header, rows = results.export_table(result, {t: t for t in THEME_IDS},
                                        {"theme": "T", "mean": "M", "sd": "S", "group": "G", "too_few": "-"})
    assert COMMENT not in repr((header, rows))
    assert COMMENT.encode() not in exports.to_csv(header, rows)


def test_results_page_tells_a_manager_that_comments_are_for_facilitators(db, people, commented):
    at = login(db, "leder")
    at.switch_page("pages/results.py").run()
    assert not at.exception
    assert any("kun læses af enhedens tovholdere" in i.value for i in at.info)
    assert not [t for t in at.text if COMMENT in t.value]
    settings.set_comment_readers(db, "managers")
    at.run()
    assert len([t for t in at.text if COMMENT in t.value]) == 6
    assert not any("kun læses af enhedens tovholdere" in i.value for i in at.info)


def test_results_page_shows_a_facilitator_the_comments(db, people, commented):
    at = login(db, "tovholder")
    at.switch_page("pages/results.py").run()
    assert not at.exception
    assert len([t for t in at.text if COMMENT in t.value]) == 6


def test_admin_chooses_who_reads_comments_on_the_settings_page(db, people):
    at = login(db, "admin")
    at.switch_page("pages/admin_settings.py").run()
    assert not at.exception
    assert at.radio(key="comment_readers").value == "facilitators"
    at.radio(key="comment_readers").set_value("managers")
    next(b for b in at.button if b.proto.form_id == "comment_readers_form").click().run()
    assert not at.exception
    assert settings.comment_readers(db) == "managers"
