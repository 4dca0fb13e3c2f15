"""The working-environment group's own, explicitly NOT anonymous workshop round (issue 13)."""

from datetime import datetime, timedelta

import pytest

from servicetjek import result_links, results, rounds
from servicetjek.content import THEME_IDS
from servicetjek.errors import DomainError
from tests.test_pages import answer_all, app, login, rating_app


def make(db, people, org_tree, workshop=True, audience="group", groups=()):
    now = datetime.now()
    return rounds.create(db, people["admin"], org_tree["A1"], "AMO-workshop", now - timedelta(hours=1),
                         now + timedelta(days=3), audience=audience, groups=groups, workshop=workshop)[0]


def answer(db, r, i, comment=None):
    rounds.submit(db, r.token, {t: 1 + (i + j) % 5 for j, t in enumerate(THEME_IDS)}, comment=comment,
                  session_key=f"w{r.id}-{i}")


def test_workshop_is_only_for_the_group_and_without_respondent_groups(db, org_tree, people):
    with pytest.raises(rounds.RoundError, match="workshop_group_only"):
        make(db, people, org_tree, audience="staff")
    with pytest.raises(rounds.RoundError, match="workshop_group_only"):
        make(db, people, org_tree, groups=["Leder", "Medarbejder"])
    assert rounds.is_workshop(db, make(db, people, org_tree).id)
    assert not rounds.is_workshop(db, make(db, people, org_tree, workshop=False).id)


def test_workshop_shows_every_answer_from_the_first(db, org_tree, people):
    r = make(db, people, org_tree)
    answer(db, r, 0, comment="Jeg vil gerne have mere ro")
    res = results.round_results(db, people["facilitator"], r.id)
    assert res.n == 1 and res.threshold == 1 and not res.suppressed
    assert res.means() == {t: 1 + j % 5 for j, t in enumerate(THEME_IDS)}
    assert res.comments == ["Jeg vil gerne have mere ro"]
    answer(db, r, 1)  # each new answer shows at once
    assert results.round_results(db, people["facilitator"], r.id).n == 2
    answer(db, r, 2)
    rounds.close(db, people["admin"], r.id)  # nothing is held back at close either
    assert results.round_results(db, people["facilitator"], r.id).n == 3


@pytest.mark.parametrize("audience", ["group", "staff"])
def test_normal_rounds_keep_the_threshold(db, org_tree, people, audience):
    r = make(db, people, org_tree, workshop=False, audience=audience)
    for i in range(4):
        answer(db, r, i, comment="hej")
    res = results.round_results(db, people["facilitator"], r.id)
    assert res.suppressed and res.comments is None and res.threshold == 5 and res.received == 4
    rounds.close(db, people["admin"], r.id)
    assert results.round_results(db, people["facilitator"], r.id).suppressed


def test_workshop_results_cannot_be_shared_by_link(db, org_tree, people):
    r = make(db, people, org_tree)
    answer(db, r, 0)
    with pytest.raises(DomainError, match="shared_results.workshop"):
        result_links.share(db, people["facilitator"], r.id)
    db.execute("INSERT INTO result_links VALUES (?, ?)", [r.id, "z" * 32])  # even a stray row shows nothing
    assert result_links.view(db, "z" * 32) is None


def test_workshop_form_says_plainly_that_answers_are_not_anonymous(db, org_tree, people):
    r = make(db, people, org_tree)
    at = rating_app(r.token)
    assert not at.exception
    assert "IKKE anonyme" in at.warning[0].value and "ser hvert svar" in at.warning[0].value
    assert not [i for i in at.info if "anonyme" in i.value]  # no anonymity promise anywhere
    answer_all(at)
    at.button[0].click().run()
    assert not at.exception and "ikke anonyme" in at.success[0].value
    assert "anonymt" not in at.success[0].value


def test_normal_form_keeps_the_anonymity_promise(db, org_tree, people):
    r = make(db, people, org_tree, workshop=False)
    at = rating_app(r.token)
    assert "Dine svar er anonyme" in at.info[0].value and not at.warning
    answer_all(at)
    at.button[0].click().run()
    assert "\n\nDine svar er gemt anonymt.\n\n" in at.success[0].value


def test_rounds_page_creates_a_workshop_round_and_results_say_so(db, org_tree, people):
    at = login(db, "tovholder")
    at.switch_page("pages/rounds.py").run()
    at.text_input(key="new_round_title").input("AMO-workshop")
    at.radio(key="new_round_audience").set_value("group")
    at.checkbox(key="new_round_workshop").check()
    at.button(key="FormSubmitter:new_round-Opret runde").click().run()
    assert not at.exception
    [created] = rounds.for_departments(db, {org_tree["A"], org_tree["A1"], org_tree["A2"]})
    assert rounds.is_workshop(db, created.id)
    badges = [m.value for m in at.markdown if "badge" in m.value]
    assert sum("Workshop – ikke anonym" in b for b in badges) == 1  # marked in the list of rounds
    at.switch_page("pages/results.py").run()
    assert not at.exception
    assert any("ikke anonyme" in w.value for w in at.warning)
    assert not [b for b in at.button if b.key == "share_results"]


def test_workshop_answers_stay_out_of_roll_ups_trends_and_comparisons(db, org_tree, people):
    staff = make(db, people, org_tree, workshop=False, audience="staff")
    for i in range(5):
        answer(db, staff, i)
    rounds.close(db, people["admin"], staff.id)
    workshop = make(db, people, org_tree)
    for i in range(6):
        answer(db, workshop, i)
    rounds.close(db, people["admin"], workshop.id)
    assert results.round_results(db, people["admin"], workshop.id).n == 6  # read on its own
    rows = results.unit_rollup(db, people["admin"], datetime(2000, 1, 1), datetime(2100, 1, 1), org_tree["A1"])
    a1 = next(r for r in rows if r["department_id"] == org_tree["A1"])
    assert a1["n"] == 5 and a1["rounds_counted"] == 1
    assert [p["n"] for p in results.trend(db, people["admin"], org_tree["A1"])] == [5]
    later = make(db, people, org_tree, workshop=False)
    previous = results.comparable_previous_round(db, people["admin"], later)
    assert previous is not None and previous[0].id == staff.id  # not the newer workshop round


def test_a_workshop_round_is_no_low_response_alarm(db, org_tree, people):
    from servicetjek import attention

    workshop = make(db, people, org_tree)
    for i in range(3):  # three of the unit's 20: few, as a group's workshop is
        answer(db, workshop, i)
    flagged = attention.units_needing_attention(db, people["admin"], [org_tree["A1"]])
    assert not [a for a in flagged if a.kind == "low_response"]
    staff = make(db, people, org_tree, workshop=False, audience="staff")
    for i in range(5):
        answer(db, staff, i)
    flagged = attention.units_needing_attention(db, people["admin"], [org_tree["A1"]])
    assert [a.kind for a in flagged if a.kind == "low_response"] == ["low_response"]  # 5 of 20 still is


def test_workshop_form_in_english_says_it_too(db, org_tree, people):
    r = make(db, people, org_tree)
    at = app()
    at.query_params.update(r=r.token, lang="en")
    at.run()
    assert "NOT anonymous" in at.warning[0].value and not [i for i in at.info if "anonymous" in i.value]
