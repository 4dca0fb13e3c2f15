"""AppTest of the planner, meeting mode, trial board and read-only board link."""

from datetime import date, datetime, timedelta

from servicetjek import meetings, rounds, trials
from servicetjek.content import THEME_IDS
from tests.test_pages import app, login


def test_results_recommendation_opens_planner_with_themes(db, org_tree, people):
    now = datetime.now()
    r, _ = rounds.create(db, people["admin"], org_tree["A1"], "Forår", now - timedelta(hours=1),
                         now + timedelta(days=3))
    for i in range(6):
        rounds.submit(db, r.token, dict.fromkeys(THEME_IDS, 2) | {"focus": 5, "trust": 5}, session_key=f"p{i}")
    at = login(db, "tovholder")
    at.switch_page("pages/results.py").run()
    # The guide link opens the runbook of the recommended meeting: a dialogue meeting here.
    [guide_link] = [el for el in at.main.get("page_link") if el.proto.page.endswith("guide")]
    assert guide_link.proto.query_string == "tema=Dialogm%C3%B8de+med+flere+temaer"
    at.button(key="plan_it").click().run()
    assert not at.exception
    assert at.session_state["plan_kind"] == "dialogue"
    assert at.session_state["plan_themes"] == ["focus", "trust"]
    assert any("udfyldt fra anbefalingen" in i.value for i in at.info)


def test_planner_warns_with_advice_and_saves(db, org_tree, people):
    at = login(db, "tovholder")
    at.switch_page("pages/meetings.py").run()
    at.multiselect(key="plan_themes").select("focus").run()
    at.number_input(key="plan_n").set_value(14).run()
    assert not at.exception
    warning = at.warning[0].value
    assert "111 minutter" in warning and "2 grupper" in warning and "beslutningsform B" in warning
    at.button(key="plan_save").click().run()
    saved = meetings.for_departments(db, {org_tree["A"], org_tree["A1"], org_tree["A2"]})
    assert len(saved) == 1 and saved[0].participants == 14 and saved[0].themes == ("focus",)


def test_meeting_mode_steps_proposals_and_decision(db, org_tree, people):
    m = meetings.plan(db, people["facilitator"], org_tree["A1"], "single", "Fordybelse", datetime.now(), 3,
                      ["focus"], "A")
    at = login(db, "tovholder")
    at.switch_page("pages/meeting_mode.py").run()
    # Before the start: the facts and the computed agenda, with times.
    assert [t.value for t in at.title] == ["Fordybelse"]
    agenda = next(m.value for m in at.markdown if m.value.startswith("**Dagsorden**"))
    assert "1. Velkomst og formål" in agenda and "3 deltagere" in " ".join(m.value for m in at.markdown)
    at.button(key="begin").click().run()
    assert not at.exception and at.markdown[0].value.startswith("# 1. Velkomst")
    for _ in range(4):
        at.button(key="next").click().run()
    assert "5. Ordet går rundt: forslag" in at.markdown[0].value
    at.text_input(key="prop_what").input("Stilletid 8–10")
    at.button(key=f"FormSubmitter:proposal_{m.id}-Tilføj forslag").click().run()
    assert [t.what for t in trials.for_meeting(db, m.id)] == ["Stilletid 8–10"]
    at.button(key="next").click().run()
    proposal = trials.for_meeting(db, m.id)[0]
    at.multiselect(key="a_pick").select(proposal.id).run()
    at.text_input(key=f"a_who_{proposal.id}").input("Tina")
    at.button(key="finish_a").click().run()
    assert not at.exception
    assert trials.get(db, proposal.id).status == "decided"
    assert meetings.get(db, m.id).status == "done"
    assert any("afsluttet" in s.value for s in at.success)


def test_board_member_edits_manager_reads(db, org_tree, people):
    t = trials.create(db, people["member"], org_tree["A1"], "focus", "Stilletid")
    at = login(db, "medlem")
    at.switch_page("pages/board.py").run()
    assert not at.exception
    at.text_input(key=f"how_{t.id}").input("Telefon på lydløs")
    at.button(key=f"FormSubmitter:edit_{t.id}-Gem").click().run()
    assert trials.get(db, t.id).how == "Telefon på lydløs"
    manager = login(db, "leder")
    manager.switch_page("pages/board.py").run()
    manager.selectbox(key="board_dept").set_value(org_tree["A1"]).run()
    assert not manager.exception
    assert not [w for w in manager.text_input if w.key and w.key.startswith("how_")]  # no edit form
    assert any("Stilletid" in str(h.proto.body) for h in manager.get("html"))  # a wrapping table, not a grid


def test_board_shows_one_editor_at_a_time_starting_with_the_overdue_trial(db, org_tree, people):
    idea = trials.create(db, people["member"], org_tree["A1"], "trust", "Fredagsmøde")
    late = trials.create(db, people["member"], org_tree["A1"], "focus", "Stilletid", status="decided")
    late = trials.start(db, people["member"], late.id, late.version, date.today() - timedelta(days=15))
    at = login(db, "medlem")
    at.switch_page("pages/board.py").run()
    editors = {w.key for w in at.text_input if w.key and w.key.startswith("how_")}
    assert editors == {f"how_{late.id}"}  # the trial with a missed stop comes first
    at.selectbox(key="board_trial").set_value(idea.id).run()
    assert not at.exception
    assert {w.key for w in at.text_input if w.key and w.key.startswith("how_")} == {f"how_{idea.id}"}
    at.text_input(key=f"how_{idea.id}").input("Hver fredag kl. 9")
    at.button(key=f"FormSubmitter:edit_{idea.id}-Gem").click().run()
    assert trials.get(db, idea.id).how == "Hver fredag kl. 9"
    assert at.selectbox(key="board_trial").value == idea.id  # still on the trial just saved


def test_board_shows_conflict_when_someone_else_saved(db, org_tree, people):
    t = trials.create(db, people["member"], org_tree["A1"], "focus", "Stilletid")
    at = login(db, "medlem")
    at.switch_page("pages/board.py").run()
    trials.update(db, people["facilitator"], t.id, t.version, how="Tinas version")
    at.text_input(key=f"how_{t.id}").input("Mads' version")
    at.button(key=f"FormSubmitter:edit_{t.id}-Gem").click().run()
    assert trials.get(db, t.id).how == "Tinas version"  # nothing overwritten
    assert any("En anden har gemt" in e.value for e in at.error)
    from servicetjek.ui.common import md  # user text is escaped for Markdown (an apostrophe too)

    assert any("Tinas version" in c.value for c in at.caption)
    assert any(md("Mads' version") in c.value for c in at.caption)
    at.button(key=f"keep_{t.id}").click().run()  # merge: keep mine, based on the saved version
    at.button(key=f"FormSubmitter:edit_{t.id}-Gem").click().run()
    assert trials.get(db, t.id).how == "Mads' version"
    assert [h["by"] for h in trials.history(db, people["admin"], t.id)][:2] == ["medlem", "tovholder"]


def test_checkin_and_decision_flow_on_board(db, org_tree, people):
    t = trials.create(db, people["member"], org_tree["A1"], "focus", "Stilletid", status="decided")
    t = trials.start(db, people["member"], t.id, t.version, date.today() - timedelta(days=15))
    at = login(db, "medlem")
    at.switch_page("pages/board.py").run()
    assert any(w.value == "Et stop op eller en beslutning er ikke holdt til tiden." for w in at.warning)
    first_due = trials.checkpoints(t.start_date)[0][0]
    at.text_area(key=f"ci_0_{t.id}_{first_due}").input("Ro om morgenen virker")
    at.button(key=f"FormSubmitter:checkin_{t.id}-Gem stop op").click().run()
    assert not at.exception
    assert trials.overdue(db, [t.id]) == []
    at.text_input(key=f"reason_{t.id}").input("Alle vil fortsætte")
    at.button(key=f"FormSubmitter:decide_{t.id}-Gem beslutningen").click().run()
    assert trials.get(db, t.id).status == "permanent"
    # The history reads as words, not as stored data.
    history = [row["Ændring"] for row in at.dataframe[-1].value.to_dict("records")]
    assert history[0] == "Status: Gjort permanent · Hvorfor: Alle vil fortsætte"
    assert f"Start: {t.start_date:%d.%m.%Y}" in " ".join(history)
    assert history[-1].startswith("Oprettet: Hvad: Stilletid") and "{" not in " ".join(history)


def test_read_only_board_link(db, org_tree, people):
    trials.create(db, people["member"], org_tree["A1"], "trust", "Ugentligt tjek ind")
    token = trials.share_board(db, people["member"], org_tree["A1"])
    at = app()
    at.query_params["board"] = token
    at.run()
    assert not at.exception
    assert any("Ugentligt tjek ind" in m.value and "Foreslået" in m.value for m in at.markdown)
    assert not at.button and not at.text_input  # nothing to edit
    bad = app()
    bad.query_params["board"] = "x" * 32
    bad.run()
    assert "virker ikke" in bad.warning[0].value


def test_admin_sets_holiday_weeks_and_thresholds(db, people):
    at = login(db, "admin")
    at.switch_page("pages/admin_settings.py").run()
    at.text_input(key="holiday_weeks").input("8, 42")
    at.button(key="FormSubmitter:holidays-Gem").click().run()
    assert trials.holiday_weeks(db) == {8, 42}
    at.text_input(key="holiday_weeks").input("uge otte")
    at.button(key="FormSubmitter:holidays-Gem").click().run()
    assert "ugenumre" in at.error[0].value and trials.holiday_weeks(db) == {8, 42}
    at.number_input(key="min_answers").set_value(2)
    at.button(key="FormSubmitter:thresholds-Gem").click().run()
    assert "fra 3" in at.error[0].value


def test_theme_guide_public_and_full(db, people):
    public = app().run()
    public.switch_page("pages/guide.py").run()
    assert not public.exception
    assert any("Log ind for at se hele guiden" in c.value for c in public.caption)
    assert not [s for s in public.subheader if s.value == "Drejebog for mødet"]
    at = login(db, "medlem")
    at.switch_page("pages/guide.py").run()
    assert not at.exception
    # One part at a time, chosen with pills that carry the choice in the link.
    assert [h.value for h in at.header] == ["Sammenhængskraft"]
    assert len([s for s in at.subheader if s.value == "Drejebog for mødet"]) == 1
    assert any("højst 2 min. pr. deltager" in m.value for m in at.markdown)
    at.button_group(key="tema").set_value("focus").run()
    assert [h.value for h in at.header] == ["Fordybelse"]
    at.button_group(key="tema").set_value("trials").run()
    assert not at.exception and not [s for s in at.subheader if s.value == "Drejebog for mødet"]


def test_decided_trial_offers_a_new_round(db, org_tree, people):
    t = trials.create(db, people["facilitator"], org_tree["A1"], "focus", "Stilletid", status="decided")
    t = trials.start(db, people["facilitator"], t.id, t.version, date.today() - timedelta(days=43))
    trials.decide(db, people["facilitator"], t.id, t.version, "permanent", "Virker")
    at = login(db, "tovholder")
    at.switch_page("pages/board.py").run()
    assert any("Åbn en ny vurderingsrunde" in i.value for i in at.info)


def test_meeting_mode_without_meetings_says_where_to_plan_one(db, org_tree, people):
    at = login(db, "tovholder")
    at.switch_page("pages/meeting_mode.py").run()
    assert not at.exception
    assert "Planlæg et møde under Møder" in at.info[0].value
    assert [el.proto.page for el in at.main.get("page_link")] == ["meetings"]
