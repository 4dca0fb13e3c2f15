import dataclasses
from datetime import date, datetime

import pytest
from icalendar import Calendar

from servicetjek import exports, meetings, trials
from servicetjek.content import load
from servicetjek.errors import DomainError, PermissionDenied

START = datetime(2027, 3, 2, 9, 0)


@pytest.fixture
def meeting(db, org_tree, people):
    return meetings.plan(db, people["facilitator"], org_tree["A1"], "single", "Personalemøde om fordybelse",
                         START, 6, ["focus"], "A", place="Mødelokale 2", facilitators="Tina")


def test_plan_rules_and_access(db, org_tree, people, meeting):
    assert meeting.facilitator_chosen and not meeting.agenda_sent
    with pytest.raises(PermissionDenied):
        meetings.plan(db, people["facilitator"], org_tree["B1"], "single", "X", START, 6, ["focus"])
    with pytest.raises(PermissionDenied):
        meetings.plan(db, people["manager"], org_tree["A1"], "single", "X", START, 6, ["focus"])
    with pytest.raises(DomainError, match="single_one_theme"):
        meetings.plan(db, people["admin"], org_tree["A1"], "single", "X", START, 6, ["focus", "trust"])
    with pytest.raises(DomainError, match="dialogue_two_themes"):
        meetings.plan(db, people["admin"], org_tree["A1"], "dialogue", "X", START, 6, ["focus"])
    with pytest.raises(DomainError, match="participants_invalid"):
        meetings.plan(db, people["admin"], org_tree["A1"], "single", "X", START, 0, ["focus"])


def test_meeting_mode_times_steps_and_records_them(db, people, meeting):
    fac = people["facilitator"]
    meetings.go_to_step(db, fac, meeting.id, 0, now=START)
    meetings.go_to_step(db, fac, meeting.id, 1, now=datetime(2027, 3, 2, 9, 4))
    m = meetings.go_to_step(db, fac, meeting.id, 2, now=datetime(2027, 3, 2, 9, 10))
    assert m.status == "running" and m.current_step == 2
    assert meetings.step_times(db, meeting.id) == {0: 4.0, 1: 6.0}
    assert meetings.step_started_at(db, meeting.id, 2) == datetime(2027, 3, 2, 9, 10)


def test_timers_are_pure_functions():
    assert meetings.countdown(START, 5, datetime(2027, 3, 2, 9, 3)) == (120, False)
    assert meetings.countdown(START, 5, datetime(2027, 3, 2, 9, 6)) == (-60, True)
    stopped = meetings.Screen(speaker_step=2, speaker_turn=1)
    assert meetings.speaker_clock(stopped, 2, 6, 2, START) == meetings.SpeakerClock(1, 120, False, False, False)
    running = dataclasses.replace(stopped, speaker_started_at=START)
    assert meetings.speaker_clock(running, 2, 6, 2, datetime(2027, 3, 2, 9, 0, 30)) == \
        meetings.SpeakerClock(1, 90, True, False, False)
    assert meetings.speaker_clock(running, 2, 6, 2, datetime(2027, 3, 2, 9, 3)).seconds_left == -60
    assert meetings.speaker_clock(running, 2, 6, 2, datetime(2027, 3, 2, 9, 3)).over
    assert meetings.speaker_clock(running, 4, 6, 2, START) == meetings.SpeakerClock(0, 120, False, False, False)
    done = meetings.Screen(speaker_step=2, speaker_turn=6)
    assert meetings.speaker_clock(done, 2, 6, 2, START).everyone_spoke


def test_speaker_timer_is_started_and_stopped_by_the_facilitator(db, people, meeting):
    fac = people["facilitator"]
    meetings.go_to_step(db, fac, meeting.id, 2, now=START)
    at = datetime(2027, 3, 2, 9, 1)
    s = meetings.toggle_speaker(db, fac, meeting.id, 2, now=at)  # start: speaker 1's two minutes run
    assert (s.speaker_step, s.speaker_turn, s.speaker_started_at) == (2, 0, at)
    s = meetings.toggle_speaker(db, fac, meeting.id, 2, now=datetime(2027, 3, 2, 9, 2))  # stop: speaker 2 is next
    assert (s.speaker_turn, s.speaker_started_at) == (1, None)
    assert meetings.speaker_clock(s, 2, 6, 2, datetime(2027, 3, 2, 9, 30)).seconds_left == 120  # waits for start
    with pytest.raises(meetings.MeetingConflict):  # a screen still on an older step
        meetings.toggle_speaker(db, fac, meeting.id, 1)
    with pytest.raises(PermissionDenied):
        meetings.toggle_speaker(db, people["manager"], meeting.id, 2)
    meetings.go_to_step(db, fac, meeting.id, 4, now=datetime(2027, 3, 2, 9, 20))  # a new round starts at speaker 1
    s = meetings.toggle_speaker(db, fac, meeting.id, 4, now=datetime(2027, 3, 2, 9, 21))
    assert (s.speaker_step, s.speaker_turn) == (4, 0)


def test_proposals_reach_the_board_and_decision_a_decides(db, people, meeting):
    fac = people["facilitator"]
    a = meetings.add_proposal(db, fac, meeting.id, "Stilletid 8–10", "focus", "Tina")
    b = meetings.add_proposal(db, fac, meeting.id, "Fælles kalender for fokusblokke", "focus")
    with pytest.raises(DomainError, match="theme_not_in_meeting"):
        meetings.add_proposal(db, fac, meeting.id, "Fredagsbar", "cohesion")
    board = trials.for_departments(db, {meeting.department_id})
    assert {t.what: t.status for t in board} == {a.what: "proposed", b.what: "proposed"}
    with pytest.raises(DomainError, match="decide_needs_who_and_date"):
        meetings.decide(db, fac, meeting.id, "A", {a.id: ("", None)})
    done = meetings.decide(db, fac, meeting.id, "A", {a.id: ("Tina og Bo", date(2027, 3, 16))})
    assert done.status == "done"
    decided = trials.get(db, a.id)
    assert decided.status == "decided" and decided.who == "Tina og Bo" and decided.follow_up == date(2027, 3, 16)
    assert trials.get(db, b.id).status == "proposed"


def test_decision_b_and_two_by_two_choice(db, org_tree, people):
    fac = people["facilitator"]
    m = meetings.plan(db, fac, org_tree["A1"], "dialogue", "Dialogmøde", START, 14, ["focus", "availability"], "B")
    props = [meetings.add_proposal(db, fac, m.id, f"Forslag {i}", "focus") for i in range(4)]
    for p in props[:3]:
        meetings.sort_proposal(db, fac, m.id, p.id, p.version, "similar", "same", True)
    with pytest.raises(DomainError, match="choose_max"):
        meetings.sort_proposal(db, fac, m.id, props[3].id, props[3].version, "different", "different", True)
    done = meetings.decide(db, fac, m.id, "B", {}, "AMO tager forslagene med på mødet 15. marts")
    assert done.decision_note.startswith("AMO")
    assert all(t.status == "proposed" for t in trials.for_meeting(db, m.id))


def test_agenda_exports_parse_back(db, people, meeting):
    content = load("da")
    a = meetings.meeting_agenda(meeting, content)
    labels = {"when": "Tid", "place": "Sted", "facilitators": "Tovholder", "time": "Kl.", "step": "Punkt",
              "minutes": "Min."}
    md = exports.agenda_markdown(meeting.title, "2. marts 2027 kl. 9.00", meeting.place, meeting.facilitators,
                                 a.items, labels)
    assert "| 09:00–09:05 | 1. Velkomst og formål | 5 |" in md and "| 10:19" not in md
    assert md.count("\n| ") == 7
    ics = exports.meeting_ics("m1@servicetjek", meeting.title, a.items[0].start, a.end, meeting.place, md)
    event = Calendar.from_ical(ics).walk("VEVENT")[0]
    assert str(event["summary"]) == meeting.title
    assert event.decoded("dtstart").hour == 9 and event.decoded("dtend").minute == 19
    pdf = exports.simple_pdf(meeting.title, ["Tid: 9.00"], ["Kl.", "Punkt", "Min."],
                             [(f"{i.start:%H:%M}", f"{i.number}. {i.title}", i.minutes) for i in a.items],
                             [30, 120, 20])
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert b"(1. Velkomst og form\xe5l)" in pdf or b"Velkomst og form\xe5l" in pdf
