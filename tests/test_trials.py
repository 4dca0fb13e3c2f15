import threading
from datetime import date

import pytest

from servicetjek import trials
from servicetjek.errors import DomainError, PermissionDenied


@pytest.fixture
def trial(db, org_tree, people):
    return trials.create(db, people["member"], org_tree["A1"], "focus", "Fordybelsestid 8–10",
                         why="Ro til sagsbehandling", who="Team A1")


def test_member_edits_own_department_only(db, org_tree, people, trial):
    assert trial.status == "proposed" and trial.version == 1
    with pytest.raises(PermissionDenied):
        trials.create(db, people["member"], org_tree["B1"], "trust", "Noget")
    with pytest.raises(PermissionDenied):
        trials.update(db, people["manager"], trial.id, trial.version, what="Læse er ok, skrive ikke")
    updated = trials.update(db, people["facilitator"], trial.id, trial.version, how="Telefonen slukket")
    assert updated.version == 2 and updated.how == "Telefonen slukket"


@pytest.mark.parametrize("values, key", [
    ({"what": "   "}, "trials.what_required"),
    ({"what": "x" * 201}, "trials.text_too_long"),
    ({"why": "x" * 1001}, "trials.text_too_long"),
    ({"who": 42}, "trials.text_invalid"),
])
def test_bad_texts_are_refused_and_nothing_changes(db, people, trial, values, key):
    with pytest.raises(DomainError) as err:
        trials.update(db, people["member"], trial.id, trial.version, **values)
    assert err.value.key == key
    assert trials.get(db, trial.id) == trial


def test_lifecycle_and_forbidden_jumps(db, people, trial):
    m = people["member"]
    with pytest.raises(DomainError, match="transition_invalid"):
        trials.change_status(db, m, trial.id, trial.version, "permanent")
    decided = trials.change_status(db, m, trial.id, trial.version, "decided")
    running = trials.start(db, m, decided.id, decided.version, date(2027, 3, 1))
    assert running.status == "running" and running.start_date == date(2027, 3, 1)
    with pytest.raises(DomainError, match="reason_required"):
        trials.decide(db, m, running.id, running.version, "permanent", " ")
    done = trials.decide(db, m, running.id, running.version, "permanent", "Alle vil fortsætte")
    assert done.status == "permanent" and done.outcome_reason == "Alle vil fortsætte"
    with pytest.raises(DomainError, match="transition_invalid"):
        trials.change_status(db, m, done.id, done.version, "running")


def test_checkpoints_weeks_2_and_4_and_across_new_year():
    assert trials.checkpoints(date(2027, 3, 1)) == [
        (date(2027, 3, 15), "checkin"), (date(2027, 3, 29), "checkin"), (date(2027, 4, 12), "decision")]
    assert trials.checkpoints(date(2026, 12, 14)) == [
        (date(2026, 12, 28), "checkin"), (date(2027, 1, 11), "checkin"), (date(2027, 1, 25), "decision")]
    assert trials.checkpoints(date(2027, 1, 4), weeks=8, rhythm="every_14") == [
        (date(2027, 1, 18), "checkin"), (date(2027, 2, 1), "checkin"), (date(2027, 2, 15), "checkin"),
        (date(2027, 3, 1), "decision")]


def test_checkin_rules_and_overdue(db, people, trial):
    m = people["member"]
    with pytest.raises(DomainError, match="checkin_not_running"):
        trials.record_checkin(db, m, trial.id, trial.version, date(2027, 3, 15), "a", "b", "c")
    t = trials.change_status(db, m, trial.id, trial.version, "decided")
    t = trials.start(db, m, t.id, t.version, date(2027, 3, 1))
    with pytest.raises(DomainError, match="checkin_before_start"):
        trials.record_checkin(db, m, t.id, t.version, date(2027, 3, 15), "a", "b", "c", today=date(2027, 2, 20))
    assert [c.due for c in trials.overdue(db, [t.id], today=date(2027, 3, 20))] == [date(2027, 3, 15)]
    t = trials.record_checkin(db, m, t.id, t.version, date(2027, 3, 15), "Ro virker", "8–10", "Også fredag",
                              today=date(2027, 3, 16), adjustments="Fredag med fra uge 3")
    assert t.adjustments == "Fredag med fra uge 3"
    assert trials.overdue(db, [t.id], today=date(2027, 3, 20)) == []
    history = trials.history(db, people["manager"], t.id)
    assert history[0]["change"]["checkin"] == "2027-03-15" and history[0]["by"] == "medlem"
    assert [h["version"] for h in history] == [4, 3, 2, 1]


def test_stale_save_is_a_conflict_with_both_versions(db, people, trial):
    first = trials.update(db, people["member"], trial.id, trial.version, how="Version A")
    with pytest.raises(trials.TrialConflict) as err:
        trials.update(db, people["facilitator"], trial.id, trial.version, how="Version B")
    assert err.value.current.how == "Version A" and err.value.current.version == first.version
    assert trials.get(db, trial.id).how == "Version A"


def test_two_threads_update_the_same_trial_one_wins_one_conflicts(db, people, trial):
    outcomes = []

    def edit(user, text):
        try:
            trials.update(db, user, trial.id, trial.version, how=text)
            outcomes.append("saved")
        except trials.TrialConflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=edit, args=(people["member"], "A")),
               threading.Thread(target=edit, args=(people["facilitator"], "B"))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(outcomes) == ["conflict", "saved"]
    final = trials.get(db, trial.id)
    assert final.version == 2 and final.how in ("A", "B")
    assert len(trials.history(db, people["admin"], trial.id)) == 2


def test_danish_holidays_and_clean_window():
    assert trials.easter(2027) == date(2027, 3, 28)
    holidays = trials.public_holidays(2027)
    assert holidays[date(2027, 5, 6)] == "kristi_himmelfart"
    assert "store_bededag" not in holidays.values()
    clashes = trials.holiday_clashes(date(2027, 3, 1))
    assert (date(2027, 3, 25), "skaertorsdag") in clashes and (date(2027, 3, 20), "period_easter") in clashes
    # Single public holidays do not break a stretch; holiday periods do (the seed's point).
    assert (date(2027, 5, 6), "kristi_himmelfart") in trials.holiday_clashes(date(2027, 4, 5))
    assert trials.next_clean_window(date(2027, 3, 1)) == date(2027, 4, 5)  # the first Monday after Easter
    assert (date(2027, 6, 26), "period_summer") in trials.holiday_clashes(date(2027, 6, 14))

def test_holiday_weeks_are_configurable(db):
    with pytest.raises(DomainError):
        trials.set_holiday_weeks(db, "7, uge 8")
    trials.set_holiday_weeks(db, "8, 42")
    assert trials.holiday_weeks(db) == {8, 42}


def test_board_link_is_revocable(db, org_tree, people):
    assert trials.board_token(db, people["member"], org_tree["A1"]) is None  # not shared until asked
    token = trials.share_board(db, people["member"], org_tree["A1"])
    assert len(token) == 32 and trials.department_for_board_token(db, token) == org_tree["A1"]
    assert trials.share_board(db, people["member"], org_tree["A1"]) == token
    trials.revoke_board_token(db, people["member"], org_tree["A1"])
    assert trials.department_for_board_token(db, token) is None
    assert trials.board_token(db, people["member"], org_tree["A1"]) is None
    with pytest.raises(PermissionDenied):
        trials.share_board(db, people["manager"], org_tree["A1"])


def test_decision_closes_the_remaining_checkpoints(db, people, trial):
    m = people["member"]
    t = trials.change_status(db, m, trial.id, trial.version, "decided")
    t = trials.start(db, m, t.id, t.version, date(2027, 3, 1))
    trials.decide(db, m, t.id, t.version, "stopped", "Det virkede ikke")
    assert trials.overdue(db, [t.id], today=date(2027, 6, 1)) == []
    assert [(c.kind, c.done_at is not None) for c in trials.checkpoints_for(db, [t.id])] == [("decision", True)]
