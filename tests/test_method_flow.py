"""Meetings and trials as people use them: writes only in callbacks, sharing by choice (issue 12.6, 13)."""

from datetime import datetime

import pytest

from servicetjek import meetings, trials
from servicetjek.errors import DomainError
from tests.test_pages import app, login

START = datetime(2027, 3, 2, 9, 0)


def test_checklist_tick_by_another_person_survives_my_page(db, org_tree, people):
    m = meetings.plan(db, people["facilitator"], org_tree["A1"], "single", "Fordybelse", START, 8, ["focus"])
    mine = login(db, "tovholder")
    mine.switch_page("pages/meetings.py").run()
    other = login(db, "admin")
    other.switch_page("pages/meetings.py").run()
    other.checkbox(key=f"check_facilitator_{m.id}").check().run()
    assert not other.exception and meetings.get(db, m.id).facilitator_chosen
    mine.run()  # my page draws again (any click elsewhere does this)
    assert not mine.exception
    assert meetings.get(db, m.id).facilitator_chosen, "drawing my stale page undid the other person's tick"
    assert mine.checkbox(key=f"check_facilitator_{m.id}").value  # and I now see it


def test_checklist_change_on_a_stale_version_is_refused_not_merged(db, org_tree, people):
    m = meetings.plan(db, people["facilitator"], org_tree["A1"], "single", "Fordybelse", START, 8, ["focus"])
    meetings.set_check(db, people["facilitator"], m.id, m.version, "agenda_sent", True)
    with pytest.raises(meetings.MeetingConflict):
        meetings.set_check(db, people["admin"], m.id, m.version, "facilitator_chosen", True)
    assert meetings.get(db, m.id).version == m.version + 1


def _dialogue_at_reports(db, org_tree, people):
    fac = people["facilitator"]
    m = meetings.plan(db, fac, org_tree["A1"], "dialogue", "Dialogmøde", START, 14, ["focus", "availability"])
    p = meetings.add_proposal(db, fac, m.id, "Stilletid 8–10", "focus")
    meetings.go_to_step(db, fac, m.id, 2)  # the groups report: proposals are written up and sorted
    return m, p


def test_sorting_by_another_person_survives_my_page_and_leaves_history(db, org_tree, people):
    m, p = _dialogue_at_reports(db, org_tree, people)
    mine = login(db, "tovholder")
    mine.switch_page("pages/meeting_mode.py").run()
    other = login(db, "admin")
    other.switch_page("pages/meeting_mode.py").run()
    other.selectbox(key=f"pur_{p.id}").set_value("similar").run()
    other.checkbox(key=f"cho_{p.id}").check().run()
    assert not other.exception
    sorted_ = trials.get(db, p.id)
    assert (sorted_.purpose, sorted_.chosen) == ("similar", True)
    assert sorted_.version == p.version + 2  # sorting and choosing are versioned changes
    mine.run()
    assert not mine.exception
    assert (trials.get(db, p.id).purpose, trials.get(db, p.id).chosen) == ("similar", True)
    assert mine.selectbox(key=f"pur_{p.id}").value == "similar"
    changes = [h["change"] for h in trials.history(db, people["admin"], p.id)]
    assert {"chosen": True} in changes and {"purpose": "similar"} in changes


def test_sorting_on_a_stale_version_is_a_conflict(db, org_tree, people):
    m, p = _dialogue_at_reports(db, org_tree, people)
    meetings.sort_proposal(db, people["admin"], m.id, p.id, p.version, "similar", None, False)
    with pytest.raises(trials.TrialConflict):
        meetings.sort_proposal(db, people["facilitator"], m.id, p.id, p.version, "different", None, False)


def test_each_group_of_a_dialogue_meeting_chooses_two_to_three(db, org_tree, people):
    fac = people["facilitator"]
    themes = ["focus", "availability", "trust", "cohesion", "flexibility", "fairness"]
    m = meetings.plan(db, fac, org_tree["A1"], "dialogue", "Dialogmøde", START, 36, themes)
    assert meetings.group_choice_limits(m) == dict.fromkeys(themes, 3)  # six tables of six
    for theme in themes:
        for i in range(3):
            p = meetings.add_proposal(db, fac, m.id, f"{theme} {i}", theme)
            meetings.sort_proposal(db, fac, m.id, p.id, p.version, None, None, True)
    assert sum(p.chosen for p in trials.for_meeting(db, m.id)) == 18
    extra = meetings.add_proposal(db, fac, m.id, "Et fjerde", "focus")
    with pytest.raises(DomainError, match="choose_max"):
        meetings.sort_proposal(db, fac, m.id, extra.id, extra.version, None, None, True)
    # A theme with two tables (14 people on one theme) may bring two groups' choices.
    big = meetings.plan(db, fac, org_tree["A1"], "dialogue", "Stort møde", START, 28, ["focus", "trust"])
    assert meetings.group_choice_limits(big) == {"focus": 6, "trust": 6}


def test_opening_the_board_shares_nothing_and_stop_sharing_really_stops(db, org_tree, people):
    trials.create(db, people["member"], org_tree["A1"], "trust", "Ugentligt tjek ind")
    at = login(db, "medlem")
    at.switch_page("pages/board.py").run()
    assert not at.exception
    assert db.query("SELECT count(*) FROM board_links")[0][0] == 0  # looking never creates a link
    at.button(key="share_link").click().run()
    assert not at.exception
    token = trials.board_token(db, people["member"], org_tree["A1"])
    assert token and any(token in c.value for c in at.code)
    public = app()
    public.query_params["board"] = token
    public.run()
    assert any("Ugentligt tjek ind" in m.value for m in public.markdown)
    at.button(key="revoke_link").click().run()
    assert not at.exception
    at.run()  # drawing the board again must not share it again
    assert db.query("SELECT count(*) FROM board_links")[0][0] == 0
    assert not at.code and at.button(key="share_link")
    gone = app()
    gone.query_params["board"] = token
    gone.run()
    assert "virker ikke" in gone.warning[0].value
