from datetime import datetime

import pytest

from servicetjek import agenda
from servicetjek.content import load
from servicetjek.errors import DomainError

START = datetime(2027, 3, 2, 9, 0)
SINGLE, DIALOGUE = load("da").single, load("da").dialogue


def keys(a):
    return [x.key for x in a.advice]


@pytest.mark.parametrize("n, total", [(1, 59), (6, 79), (14, 111), (40, 215)])
def test_single_theme_totals_follow_the_runbook(n, total):
    a = agenda.build(SINGLE, "single", START, n, ["focus"], "A")
    assert [i.minutes for i in a.items] == [5, 5, 2 * n, 15, 2 * n, 30]
    assert a.total_minutes == total
    assert a.items[0].start == START and a.end == datetime(2027, 3, 2, 9 + total // 60, total % 60)
    for prev, nxt in zip(a.items, a.items[1:], strict=False):
        assert prev.end == nxt.start


def test_one_participant_fits_the_hour_without_advice():
    a = agenda.build(SINGLE, "single", START, 1, ["trust"], "A")
    assert not a.overruns and a.advice == ()


def test_six_participants_overrun_and_decision_b_brings_it_back():
    a = agenda.build(SINGLE, "single", START, 6, ["trust"], "A")
    assert keys(a) == ["agenda.overrun", "agenda.rounds_take", "agenda.shorter_rounds_too_short", "agenda.decision_b"]
    assert a.advice[0].params == {"total": 79, "planned": 60, "over": 19}
    assert a.advice[-1].params == {"saved": 20, "total": 59}
    assert agenda.build(SINGLE, "single", START, 6, ["trust"], "B").total_minutes == 59


def test_fourteen_participants_get_two_parallel_groups():
    a = agenda.build(SINGLE, "single", START, 14, ["cohesion"], "A")
    advice = {x.key: x.params for x in a.advice}
    assert advice["agenda.rounds_take"] == {"n": 14, "minutes": 28}
    assert advice["agenda.parallel_groups"] == {"groups": 2, "size": 7, "minutes": 14, "total": 83}
    assert advice["agenda.decision_b"]["total"] == 91


def test_forty_participants_get_six_groups():
    a = agenda.build(SINGLE, "single", START, 40, ["cohesion"], "B")
    advice = {x.key: x.params for x in a.advice}
    assert advice["agenda.parallel_groups"] == {"groups": 6, "size": 7, "minutes": 14, "total": 63}
    assert "agenda.decision_b" not in advice


def test_dialogue_meeting_tables_and_reports():
    a = agenda.build(DIALOGUE, "dialogue", START, 14, ["focus", "availability"], "A")
    assert a.tables == {"focus": 1, "availability": 1}
    assert [i.minutes for i in a.items] == [5, 45, 10, 30, 6, 15]
    b = agenda.build(DIALOGUE, "dialogue", START, 40, ["focus", "availability", "trust"], "B", pause=10)
    assert b.tables == {"focus": 2, "availability": 2, "trust": 2}
    assert [i.key for i in b.items][3] == "break"
    assert [i.minutes for i in b.items] == [5, 45, 30, 10, 30, 18, 15]
    assert b.total_minutes == 153


@pytest.mark.parametrize("n", [0, -1, 501])
def test_bad_participant_counts(n):
    with pytest.raises(DomainError):
        agenda.build(SINGLE, "single", START, n, ["focus"])


def test_table_assignment_honours_preferences_and_balances():
    people = [(f"P{i}", ["focus"]) for i in range(13)] + [(f"Q{i}", ["trust", "focus"]) for i in range(5)] + \
             [("R0", [])]
    seating = agenda.assign_tables(people, ["focus", "trust"])
    assert len(seating["focus"]) == 2 and len(seating["trust"]) == 1
    assert sorted(len(t) for t in seating["focus"]) == [6, 7]
    assert all(p.startswith("P") for table in seating["focus"] for p in table)
    assert set(seating["trust"][0]) == {f"Q{i}" for i in range(5)} | {"R0"}
    assert agenda.assign_tables(people, ["focus", "trust"]) == seating  # deterministic


def test_table_assignment_overflow_goes_to_second_choice():
    people = [(f"P{i}", ["focus", "trust"]) for i in range(8)]
    seating = agenda.assign_tables(people, ["focus", "trust"])
    seated = {t: sum(len(x) for x in tables) for t, tables in seating.items()}
    assert seated == {"focus": 7, "trust": 1}
    assert max(len(t) for tables in seating.values() for t in tables) <= agenda.table_max()
