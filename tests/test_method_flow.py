"""Meetings and trials as people use them: writes only in callbacks, sharing by choice (issue 12.6, 13)."""

import json
import re
from datetime import datetime

import pytest

from servicetjek import meetings, totals, trials
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


def test_public_board_shows_stopped_trials_with_their_reason(db, org_tree, people):
    member = people["member"]
    kept = trials.create(db, member, org_tree["A1"], "trust", "Ugentligt tjek ind")
    dropped = trials.create(db, member, org_tree["A1"], "focus", "Mødefri fredag")
    trials.change_status(db, member, dropped.id, dropped.version, "stopped", "Kunderne kunne ikke nå os")
    token = trials.share_board(db, member, org_tree["A1"])
    public = app()
    public.query_params["board"] = token
    public.run()
    assert not public.exception
    cards = [m.value for m in public.markdown]
    assert any(kept.what in c for c in cards)
    stopped_card = next(c for c in cards if "Mødefri fredag" in c)
    assert "Stoppet" in stopped_card and "Stoppet, fordi:** Kunderne kunne ikke nå os" in stopped_card


def test_decision_a_without_proposals_says_what_to_do_not_an_empty_menu(db, org_tree, people):
    fac = people["facilitator"]
    m = meetings.plan(db, fac, org_tree["A1"], "single", "Fordybelse", START, 6, ["focus"], "A")
    meetings.go_to_step(db, fac, m.id, 5)  # the decision, with nothing written down at step 5
    at = login(db, "tovholder")
    at.switch_page("pages/meeting_mode.py").run()
    assert not at.exception
    assert not at.multiselect and not [b for b in at.button if b.key == "finish_a"]
    assert any("ikke skrevet nogen forslag op" in i.value for i in at.info)


def test_closing_a_meeting_is_atomic_and_a_retry_works(db, org_tree, people):
    fac = people["facilitator"]
    m = meetings.plan(db, fac, org_tree["A1"], "single", "Fordybelse", START, 6, ["focus"], "A")
    first = meetings.add_proposal(db, fac, m.id, "Stilletid 8–10", "focus")
    second = meetings.add_proposal(db, fac, m.id, "Mødefri fredag", "focus")
    meetings.go_to_step(db, fac, m.id, 5)  # the decision
    at = login(db, "tovholder")
    at.switch_page("pages/meeting_mode.py").run()
    at.multiselect(key="a_pick").select(first.id).select(second.id).run()
    at.text_input(key=f"a_who_{first.id}").input("Tina")
    at.button(key="finish_a").click().run()
    assert not at.exception
    message = at.error[0].value
    assert "Mødefri fredag" in message and "Intet er gemt" in message and "decided" not in message
    assert [t.status for t in trials.for_meeting(db, m.id)] == ["proposed", "proposed"]  # nothing half-saved
    assert meetings.get(db, m.id).status == "running"
    at.text_input(key=f"a_who_{second.id}").input("Bo")
    at.button(key="finish_a").click().run()
    assert not at.exception and not at.error
    assert {t.what: (t.status, t.who) for t in trials.for_meeting(db, m.id)} == {
        "Stilletid 8–10": ("decided", "Tina"), "Mødefri fredag": ("decided", "Bo")}
    assert meetings.get(db, m.id).status == "done"


def test_status_keys_never_reach_the_message(db, org_tree, people):
    from servicetjek.i18n import Message

    t = trials.create(db, people["member"], org_tree["A1"], "focus", "Stilletid")
    t = trials.change_status(db, people["member"], t.id, t.version, "decided")
    with pytest.raises(DomainError) as caught:
        trials.change_status(db, people["member"], t.id, t.version, "decided")
    assert caught.value.params == {"current": Message("status.decided"), "new": Message("status.decided")}


def test_checkin_answers_are_shown_and_my_next_save_is_not_a_conflict(db, org_tree, people):
    from datetime import date, timedelta

    t = trials.create(db, people["member"], org_tree["A1"], "focus", "Stilletid", status="decided")
    t = trials.start(db, people["member"], t.id, t.version, date.today() - timedelta(days=15))
    at = login(db, "medlem")
    at.switch_page("pages/board.py").run()
    first_due = trials.checkpoints(t.start_date)[0][0]
    at.text_area(key=f"ci_0_{t.id}_{first_due}").input("Ro om morgenen virker")
    at.text_area(key=f"ci_2_{t.id}_{first_due}").input("Telefonen på lydløs")
    at.button(key=f"FormSubmitter:checkin_{t.id}-Gem stop op").click().run()
    assert not at.exception
    shown = [m.value for m in at.markdown if "Ro om morgenen virker" in m.value]
    # In the trial's card and again in the week-6 decision form.
    assert len(shown) == 2 and all("**Hvad justerer vi?** Telefonen på lydløs" in v for v in shown)
    history = " ".join(row["Ændring"] for row in at.dataframe[-1].value.to_dict("records"))
    assert "Hvad har vi lært: Ro om morgenen virker" in history
    at.text_input(key=f"how_{t.id}").input("Stille fra 8 til 10")
    at.button(key=f"FormSubmitter:edit_{t.id}-Gem").click().run()
    assert not at.exception and not any("En anden har gemt" in e.value for e in at.error)
    assert trials.get(db, t.id).how == "Stille fra 8 til 10"
    manager = login(db, "leder")  # reads the board, and the answers with it
    manager.switch_page("pages/board.py").run()
    manager.selectbox(key="board_dept").set_value(org_tree["A1"]).run()
    assert any("Ro om morgenen virker" in m.value for m in manager.markdown)


def test_the_meeting_chooses_a_or_b_at_the_decision_step(db, org_tree, people):
    fac = people["facilitator"]
    m = meetings.plan(db, fac, org_tree["A1"], "single", "Fordybelse", START, 6, ["focus"], "A")
    meetings.add_proposal(db, fac, m.id, "Stilletid", "focus")
    meetings.go_to_step(db, fac, m.id, 5)
    at = login(db, "tovholder")
    at.switch_page("pages/meeting_mode.py").run()
    assert at.radio(key=f"decision_{m.id}").value == "A"  # the plan's choice is the default
    at.radio(key=f"decision_{m.id}").set_value("B").run()
    assert not at.exception and meetings.get(db, m.id).decision == "B"
    assert any(x.value.startswith("### B. Arbejdsmiljøgruppen") for x in at.markdown)
    # B takes 10 minutes, written as the agenda writes it
    assert any(re.fullmatch(r"### \d\d:\d\d–\d\d:\d\d · 10 min\.", x.value) for x in at.markdown)
    at.text_area(key="b_note").input("AMO vælger forsøg den 15. marts")
    at.button(key="finish_b").click().run()
    done = meetings.get(db, m.id)
    assert done.status == "done" and done.decision == "B" and done.decision_note.startswith("AMO")


def test_planned_meetings_can_be_edited_and_cancelled_and_name_their_department(db, org_tree, people):
    m = meetings.plan(db, people["facilitator"], org_tree["A1"], "single", "Fordybelse", START, 8, ["focus"])
    at = login(db, "tovholder")
    at.switch_page("pages/meetings.py").run()
    assert any("Team A1 · Fordybelse · planlagt" in e.label for e in at.expander)
    at.text_input(key=f"edit_title_{m.id}").input("Fordybelse i teamet")
    at.text_input(key=f"edit_place_{m.id}").input("Mødelokale 2")
    at.number_input(key=f"edit_n_{m.id}").set_value(10)
    at.button(key=f"FormSubmitter:edit_meeting_{m.id}-Gem").click().run()
    assert not at.exception
    edited = meetings.get(db, m.id)
    assert (edited.title, edited.place, edited.participants) == ("Fordybelse i teamet", "Mødelokale 2", 10)
    assert edited.starts_at == START and edited.version == m.version + 1
    with pytest.raises(meetings.MeetingConflict):  # an edit based on the old version is refused
        meetings.edit(db, people["admin"], m.id, m.version, "X", START, 8, ["focus"])
    at.button(key=f"cancel_{m.id}").click().run()
    assert not at.exception and meetings.get(db, m.id).cancelled
    assert any("Fordybelse i teamet · aflyst" in e.label for e in at.expander)
    assert not [b for b in at.button if b.key in (f"run_{m.id}", f"cancel_{m.id}")]
    with pytest.raises(DomainError, match="cancelled"):
        meetings.go_to_step(db, people["facilitator"], m.id, 0)
    mode = login(db, "tovholder")
    mode.switch_page("pages/meeting_mode.py").run()
    assert not mode.exception and any("Ingen" in i.value or "ingen" in i.value for i in mode.info)


def test_plan_this_meeting_keeps_the_unit_you_came_from(db, org_tree, people):
    from datetime import datetime, timedelta

    from servicetjek import rounds
    from servicetjek.content import THEME_IDS

    now = datetime.now()
    r, _ = rounds.create(db, people["admin"], org_tree["A2"], "Forår", now - timedelta(hours=1),
                         now + timedelta(days=3))
    for i in range(6):
        rounds.submit(db, r.token, dict.fromkeys(THEME_IDS, 2) | {"focus": 5}, session_key=f"p{i}")
    at = login(db, "tovholder")
    at.switch_page("pages/results.py").run()
    at.selectbox(key="results_dept").set_value(org_tree["A2"]).run()
    at.button(key="plan_it").click().run()
    assert not at.exception
    assert at.session_state["plan_dept"] == org_tree["A2"]  # not the first unit in the list (A or A1)
    assert at.selectbox(key="plan_dept").value == org_tree["A2"]


def test_dialogue_tables_carry_each_themes_questions(db, org_tree, people):
    from servicetjek.content import load

    fac = people["facilitator"]
    m = meetings.plan(db, fac, org_tree["A1"], "dialogue", "Dialogmøde", START, 12, ["focus", "trust"])
    focus, trust = load("da").theme("focus"), load("da").theme("trust")
    lines = meetings.table_card_lines(m, load("da"))
    for theme in (focus, trust):
        assert f"{theme.name}: {theme.question}" in lines and theme.proposal_question in " ".join(lines)
        assert all(any(q in line for line in lines) for q in theme.reflection)
    at = login(db, "tovholder")
    at.switch_page("pages/meetings.py").run()
    assert not at.exception
    [cards] = [b for b in at.get("download_button") if b.proto.label == "Bordkort (PDF)"]  # also without names
    meetings.go_to_step(db, fac, m.id, 1)  # group work at the theme tables
    mode = login(db, "tovholder")
    mode.switch_page("pages/meeting_mode.py").run()
    screen = " ".join(x.value for x in mode.markdown)
    assert focus.reflection[0] in screen and trust.reflection[-1] in screen and trust.question in screen


def test_a_stale_meeting_screen_cannot_move_the_meeting_back(db, org_tree, people):
    fac = people["facilitator"]
    m = meetings.plan(db, fac, org_tree["A1"], "single", "Fordybelse", START, 4, ["focus"])
    projector = login(db, "tovholder")
    projector.switch_page("pages/meeting_mode.py").run()
    projector.button(key="begin").click().run()
    projector.button(key="next").click().run()
    phone = login(db, "admin")
    phone.switch_page("pages/meeting_mode.py").run()
    assert meetings.get(db, m.id).current_step == 1
    projector.button(key="next").click().run()  # the meeting moves on to step 3
    phone.button(key="prev").click().run()  # the phone still shows step 2
    assert not phone.exception
    assert meetings.get(db, m.id).current_step == 2, "a stale screen moved the meeting"
    assert any("flyttet mødet videre" in e.value for e in phone.error)
    assert phone.markdown[0].value.startswith("# 3.")


def test_public_board_shows_what_the_stop_ops_found(db, org_tree, people):
    from datetime import date, timedelta

    member = people["member"]
    t = trials.create(db, member, org_tree["A1"], "focus", "Stilletid", status="decided")
    t = trials.start(db, member, t.id, t.version, date.today() - timedelta(days=15))
    first_due = trials.checkpoints(t.start_date)[0][0]
    trials.record_checkin(db, member, t.id, t.version, first_due, "Ro om morgenen virker", "", "")
    public = app()
    public.query_params["board"] = trials.share_board(db, member, org_tree["A1"])
    public.run()
    assert any("**Hvad har vi lært?** Ro om morgenen virker" in m.value for m in public.markdown)


def test_agenda_has_its_purpose_line_and_the_guide_the_seeds_introduction(db, org_tree, people):
    from servicetjek import exports
    from servicetjek.content import load

    intro = load("da").intro
    assert intro["hybrid"].startswith("Hybridarbejde er, når") and "futureworklab.dk" in " ".join(intro["resources"])
    m = meetings.plan(db, people["facilitator"], org_tree["A1"], "single", "Fordybelse", START, 6, ["focus"])
    plan = meetings.meeting_agenda(m, load("da"))
    labels = {k: k for k in ("when", "place", "facilitators", "time", "step", "minutes", "purpose")}
    text = exports.agenda_markdown(m.title, "i morgen", "", "", plan.items, labels, intro["purpose"])
    assert f"**purpose:** {intro['purpose']}" in text
    at = login(db, "tovholder")
    at.switch_page("pages/meetings.py").run()
    [code] = [c.value for c in at.code if "# Fordybelse" in c.value]
    assert "**Formål:** At det hybride arbejde" in code
    guide = app()
    guide.query_params["tema"] = "Om værktøjet"
    guide.switch_page("pages/guide.py").run()
    assert not guide.exception
    shown = " ".join(m.value for m in guide.markdown)
    assert "futureworklab.dk" in shown and any(intro["why"] in m.value for m in guide.markdown)


def test_action_plan_pdf_cuts_no_cell(db, org_tree, people):
    import re as regex

    from servicetjek import exports

    long_how = "Telefonen på lydløs, Teams-status på fokus og ingen møder før kl. 10 – også om fredagen"
    rows = [["Team A1", "Fordybelse", "Stilletid 8–10", "Ro", long_how, "Tina og Bo", "Hver 14. dag",
             "Gjort permanent"]]
    pdf = exports.simple_pdf("Handleplan", [], ["Afdeling", "Tema", "Hvad?", "Hvorfor?", "Hvordan?", "Hvem?",
                                                "Justeringer – hvornår?", "Status?"], rows,
                             [34, 28, 52, 40, 40, 28, 30, 25], landscape=True)
    shown = " ".join(text.decode("latin-1") for text in regex.findall(rb"\((.*?)\) ?Tj", pdf))
    assert "..." not in shown
    for word in ("permanent", "fredagen", "Justeringer", "hvornår?", "Status?"):
        assert word in shown, word


def test_projector_view_follows_the_facilitators_phone(db, org_tree, people):
    fac = people["facilitator"]
    m = meetings.plan(db, fac, org_tree["A1"], "single", "Fordybelse", START, 4, ["focus"])
    laptop = login(db, "tovholder")
    laptop.switch_page("pages/meeting_mode.py").run()
    [link] = [p for p in laptop.get("page_link") if p.proto.label.startswith("Vis på projektor")]
    assert link.proto.query_string == f"visning=projektor&moede={m.id}"
    projector = login(db, "tovholder")
    projector.query_params["visning"] = "projektor"
    projector.query_params["moede"] = str(m.id)
    projector.switch_page("pages/meeting_mode.py").run()
    assert not projector.exception and not [b for b in projector.button if b.key == "begin"]  # the laptop starts
    laptop.button(key="begin").click().run()
    projector.run()  # what its waiting fragment does once the meeting has started
    assert not projector.exception
    assert not [s for s in projector.selectbox if s.key == "mode_meeting"]  # no selectors on the wall
    assert any("stSidebar" in h.proto.body for h in projector.get("html"))
    assert projector.markdown[0].value.startswith("# 1.")
    assert projector.get("progress")[0].proto.text == "Fordybelse · Punkt 1 af 6"  # which meeting, small
    assert projector.button(key="next").proto.shortcut.lower() == "pagedown"  # a presentation clicker works
    assert not meetings.moved_on(db, m.id, 0)
    laptop.button(key="next").click().run()  # the facilitator moves on from the laptop or phone
    assert meetings.moved_on(db, m.id, 0)  # the projector's clock fragment sees it and redraws
    projector.run()
    assert projector.markdown[0].value.startswith("# 2.")


def test_managers_see_which_units_need_attention(db, org_tree, people):
    from datetime import date, datetime, timedelta

    from servicetjek import attention, rounds
    from servicetjek.content import THEME_IDS

    member = people["member"]
    t = trials.create(db, member, org_tree["A1"], "focus", "Stilletid", status="decided")
    trials.start(db, member, t.id, t.version, date.today() - timedelta(days=20))

    def closed_round(dept, title, scores_list):
        opens = datetime.now() - timedelta(days=10)
        r, _ = rounds.create(db, people["admin"], dept, title, opens, opens + timedelta(days=5))
        for scores in scores_list:
            db.execute("INSERT INTO responses (round_id, cohesion, flexibility, availability, focus, trust, fairness)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?)", [r.id, *[scores.get(x, 3) for x in THEME_IDS]])
        totals.rebuild(db)  # answers straight into `responses`, as a bulk load puts them

    closed_round(org_tree["A2"], "Efterår A2", [{}] * 2)  # 2 of 10
    closed_round(org_tree["B1"], "Efterår B1", [{"trust": 1}] * 3 + [{"trust": 5}] * 3)  # 6 of 8, split
    found = {(a.department_id, a.kind) for a in attention.units_needing_attention(
        db, people["manager"], list(org_tree.values()))}
    assert found == {(org_tree["A1"], "overdue"), (org_tree["A2"], "low_response"),
                     (org_tree["B1"], "disagreement")}
    # A facilitator of A sees only A's units.
    mine = {a.department_id for a in attention.units_needing_attention(db, people["facilitator"],
                                                                       list(org_tree.values()))}
    assert mine == {org_tree["A1"], org_tree["A2"]}
    at = login(db, "leder")
    at.switch_page("pages/dashboard.py").run()
    assert not at.exception
    listed = " ".join(str(v) for df in at.dataframe for v in df.value.to_numpy().ravel())
    assert "Lav svarprocent i »Efterår A2«: 2 af 10 har svaret." in listed
    assert "Stor uenighed i »Efterår B1« om Tillid" in listed and "stop op eller beslutninger" in listed
    # Both columns have a fixed width, together within the ~905 px a laptop (1366 px) with the
    # sidebar open gives: sized by their text, a long path pushed "Hvad" out of view.
    [table] = [df for df in at.dataframe if "Hvad" in df.value.columns]
    config = json.loads(table.proto.columns)
    widths = [config.get(column, {}).get("width") for column in ("Afdeling", "Hvad")]
    assert None not in widths and sum(widths) <= 880, widths


def test_rounds_are_filtered_by_unit_and_state_and_paged(db, org_tree, people):
    from datetime import datetime, timedelta

    from servicetjek import rounds

    now = datetime.now()
    for i in range(12):  # twelve open rounds in A1
        rounds.create(db, people["admin"], org_tree["A1"], f"A1 runde {i}", now - timedelta(hours=1 + i),
                      now + timedelta(days=3))
    rounds.create(db, people["admin"], org_tree["A2"], "A2 gammel", now - timedelta(days=30), now - timedelta(days=20))
    at = login(db, "tovholder")
    at.switch_page("pages/rounds.py").run()
    assert not at.exception
    titles = lambda: [m.value for m in at.markdown if "runde" in m.value or "gammel" in m.value]  # noqa: E731
    assert len(titles()) == 10 and at.number_input(key="rounds_page").max == 2
    at.number_input(key="rounds_page").set_value(2).run()
    assert len(titles()) == 3
    at.selectbox(key="rounds_unit").set_value(org_tree["A2"]).run()
    assert [t for t in titles() if "A2 gammel" in t] and len(titles()) == 1
    at.selectbox(key="rounds_unit").set_value(None).run()
    at.segmented_control(key="rounds_state").set_value(["closed"]).run()
    assert len(titles()) == 1 and "A2 gammel" in titles()[0]
