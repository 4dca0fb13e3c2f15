"""Routing on crafted score sets (issue 13): ties, flat profiles and splits are explicit,
and no reason contradicts the numbers it sits beside."""


from datetime import datetime

import pytest

from servicetjek import routing
from servicetjek.content import THEME_IDS, load
from servicetjek.i18n import t


def means(rest=1.0, **values):
    return {theme: values.get(theme, rest) for theme in THEME_IDS}


def words(rec, lang="da"):
    """The reasons as a reader sees them on the results page."""
    names = load(lang).theme_names()
    return [routing.reason_text(reason, names, lang) for reason in rec.reasons]


def test_two_themes_tied_give_a_dialogue_meeting_on_both():
    rec = routing.recommend(means(trust=3.4, cohesion=3.4))
    assert rec.kind == "dialogue" and rec.themes == ("cohesion", "trust")
    [reason] = words(rec)
    assert "Sammenhængskraft og Tillid ligger lige højt (gns. 3,4)" in reason
    assert "0,0 over nummer to" not in reason and "ingen andre" not in reason


def test_the_booklet_order_never_picks_the_winner():
    # Whichever theme comes first in the booklet, a tie is a tie.
    for first, second in (("cohesion", "fairness"), ("fairness", "cohesion")):
        rec = routing.recommend(means(**{first: 4.2, second: 4.2}))
        assert set(rec.themes) == {"cohesion", "fairness"} and rec.kind == "dialogue"


def test_everyone_gives_five_is_a_flat_profile_and_drops_nothing():
    rec = routing.recommend(means(rest=5.0))
    assert rec.flat and rec.kind == "dialogue"
    assert set(rec.themes) == set(THEME_IDS)  # Tillid and Retfærdighed are not silently dropped
    [reason] = words(rec)
    assert "6 af de seks temaer ligger lige højt (gns. 5,0–5,0)" in reason and "spørg kollegerne" in reason
    assert t("routing.kind_flat", "da").startswith("Intet tema skiller sig ud")


def test_five_themes_close_is_flat_too_and_all_low_is_said():
    rec = routing.recommend(means(rest=2.0, focus=2.2, trust=2.1, cohesion=2.3, fairness=2.0, flexibility=1.0,
                                  availability=2.4))
    assert rec.flat and set(rec.themes) == set(THEME_IDS) - {"flexibility"}
    assert [r.key for r in rec.reasons] == ["routing.flat", "routing.all_low"]


def test_one_theme_that_stands_out_gives_a_single_theme_meeting():
    rec = routing.recommend(means(rest=2.0, focus=4.4, availability=3.6))
    assert rec.kind == "single" and rec.themes == ("focus",) and not rec.flat
    assert "Fordybelse ligger tydeligt højest (gns. 4,4, 0,8 over nummer to)" in words(rec)[0]


def test_a_sharply_split_theme_is_named_beside_the_recommendation():
    # Half 1s and half 5s on trust: mean 3.0, far below focus – but people disagree about it.
    rec = routing.recommend(means(rest=2.0, focus=4.4, trust=3.0), split=["trust"])
    assert rec.kind == "single" and rec.split == ("trust",)
    assert any("I svarer meget forskelligt på Tillid, som ikke er med i anbefalingen" in w for w in words(rec))
    inside = routing.recommend(means(rest=2.0, focus=4.4), split=["focus"])
    assert any("I svarer meget forskelligt på Fordybelse: nogle" in w for w in words(inside))


def test_groups_that_differ_give_a_dialogue_meeting_with_each_groups_top_themes():
    rec = routing.recommend(means(rest=2.0, focus=4.5, cohesion=3.2),
                            {"Ny": means(rest=2.0, cohesion=4.6), "Erfaren": means(rest=2.0, focus=4.8, trust=4.8)})
    assert rec.kind == "dialogue" and set(rec.themes) == {"focus", "cohesion", "trust"}
    assert "Ny: Sammenhængskraft; Erfaren: Fordybelse og Tillid" in words(rec)[-1]


# The seed's own wording as score sets: "et tema træder frem som det vigtigste" / "to eller flere
# temaer er lige vigtige" / "vigtige for forskellige grupper".
@pytest.mark.parametrize("scores, kind, themes", [
    (means(rest=2.5, flexibility=4.6), "single", {"flexibility"}),
    (means(rest=2.5, flexibility=4.6, fairness=4.5), "dialogue", {"flexibility", "fairness"}),
    (means(rest=3.0, focus=4.0, availability=3.9, trust=3.6), "dialogue", {"focus", "availability", "trust"}),
    (means(rest=3.0, focus=4.0, availability=3.5), "single", {"focus"}),  # exactly the gap: stands out
])
def test_seed_wording(scores, kind, themes):
    rec = routing.recommend(scores)
    assert rec.kind == kind and set(rec.themes) == themes




@pytest.mark.parametrize("seed", range(200))
def test_reasons_never_contradict_the_numbers(seed):
    import random

    rng = random.Random(seed)
    scores = {theme: round(rng.choice([1, 2, 3, 4, 5, rng.uniform(1, 5)]), 1) for theme in THEME_IDS}
    rec = routing.recommend(scores)
    top = max(scores.values())
    # Every recommended theme is among the leaders or a group's choice; every leader is recommended.
    assert set(routing.leaders(scores)) <= set(rec.themes)
    assert (rec.kind == "single") == (len(rec.themes) == 1)
    for reason in rec.reasons:
        p = reason.params
        if reason.key == "routing.clear_top":
            assert p["gap"] >= routing.CLEAR_GAP - 1e-9 and p["mean"] == top
        if reason.key in ("routing.tied", "routing.several_close", "routing.flat"):
            assert p["high"] == top and p["high"] - p["low"] < routing.CLEAR_GAP
        if reason.key == "routing.tied":
            assert len({scores[x] for x in p["themes"]}) == 1
    for text in words(rec):
        assert "⌀" not in text and "{" not in text


# --- re-rating: compare with the last round that has figures ------------------------------

def test_rerating_compares_with_the_last_round_that_has_figures(db, org_tree, people):
    from datetime import datetime, timedelta

    from servicetjek import results, rounds, totals

    def round_with(title, days_ago, n, score):
        opens = datetime.now() - timedelta(days=days_ago)
        r, _ = rounds.create(db, people["admin"], org_tree["A1"], title, opens, opens + timedelta(days=1))
        for _ in range(n):
            db.execute("INSERT INTO responses (round_id, cohesion, flexibility, availability, focus, trust, fairness)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?)", [r.id, *[score] * 6])
        totals.rebuild(db)  # answers straight into `responses`, as a bulk load puts them
        return r

    before = round_with("Før forsøgene", 120, 6, 2)
    round_with("Midtvejs", 60, 2, 4)  # too few answers: no figures
    after = round_with("Efter forsøgene", 1, 6, 4)
    found = results.comparable_previous_round(db, people["facilitator"], after)
    assert found is not None and found[0].id == before.id and found[1].means()["focus"] == 2
    assert results.comparable_previous_round(db, people["facilitator"], before) is None


# --- holidays in real dates, also in a 53-week year ----------------------------------------

def test_christmas_2026_is_in_week_53_not_week_1_of_2027():
    from datetime import date

    from servicetjek import trials

    assert date(2026, 12, 31).isocalendar()[1] == 53
    around_new_year = trials.holiday_clashes(date(2026, 12, 28), 1)
    assert (date(2026, 12, 28), "period_christmas") in around_new_year
    assert trials.holiday_clashes(date(2027, 1, 4), 1) == []  # week 1 of 2027: school again
    assert (date(2026, 12, 19), "period_christmas") in trials.holiday_clashes(date(2026, 12, 14), 2)
    # The suggestion made on 27 November 2026 is the first week after Christmas, not eight months away.
    assert trials.next_clean_window(date(2026, 11, 27)) == date(2027, 1, 4)


def test_holiday_periods_follow_the_calendar():
    from datetime import date

    from servicetjek import trials

    periods = {key: (first, last) for first, last, key in trials.holiday_periods(2027)}
    assert periods["period_easter"] == (date(2027, 3, 20), date(2027, 3, 29))
    assert periods["period_summer"] == (date(2027, 6, 26), date(2027, 8, 8))
    assert periods["week_7"] == (date(2027, 2, 15), date(2027, 2, 21))
    christmas = sorted((first, last) for first, last, key in trials.holiday_periods(2027)
                       if key == "period_christmas")
    assert christmas == [(date(2026, 12, 19), date(2027, 1, 3)), (date(2027, 12, 18), date(2028, 1, 2))]
    assert trials.holiday_periods(2027, {53}) == trials.holiday_periods(2027, set())  # 2027 has no week 53


def test_board_explains_periods_and_notes_single_holidays(db, org_tree, people):
    from datetime import date

    from servicetjek import trials
    from tests.test_pages import login

    t = trials.create(db, people["member"], org_tree["A1"], "focus", "Stilletid")
    trials.change_status(db, people["member"], t.id, t.version, "decided")
    at = login(db, "medlem")
    at.switch_page("pages/board.py").run()
    at.date_input(key=f"start_{t.id}").set_value(date(2027, 4, 5)).run()
    assert not at.exception and not at.warning  # Ascension and Whitsun do not break the stretch
    assert any("Kristi himmelfart 06.05.2027" in i.value for i in at.info)
    at.date_input(key=f"start_{t.id}").set_value(date(2026, 12, 7)).run()
    assert any("juleferie (19.12.2026)" in w.value and "04.01.2027" in w.value for w in at.warning)


# --- the content is the one source of the method's numbers ---------------------------------

@pytest.fixture
def changed_content(tmp_path, monkeypatch):
    """A copy of content/ with other method numbers (trial rhythm, welcome, turn length, table size,
    trials per group, an hour's meeting), loaded instead of the real one."""
    import shutil

    from servicetjek import content

    shutil.copytree(content.CONTENT_DIR, tmp_path / "content")
    for lang in content.LANGUAGES:
        path = tmp_path / "content" / lang / "method.toml"
        text = path.read_text(encoding="utf-8")
        text = text.replace("weeks = 6\ncheckin_weeks = [2, 4]\nalternative_interval_days = 14",
                            "weeks = 8\ncheckin_weeks = [3, 6]\nalternative_interval_days = 10")
        text = text.replace('key = "welcome"\ntitle', "KEEP").replace("minutes = 5\neditable = true",
                                                                      "minutes = 12\neditable = true")
        text = text.replace("planned_minutes = 60", "planned_minutes = 90").replace("table_size = 6", "table_size = 4")
        text = text.replace("trials_per_group = 3", "trials_per_group = 2").replace("per_participant = 2",
                                                                                  "per_participant = 3")
        path.write_text(text.replace("KEEP", 'key = "welcome"\ntitle'), encoding="utf-8")
    monkeypatch.setattr(content, "CONTENT_DIR", tmp_path / "content")
    content.load.cache_clear()
    yield
    content.load.cache_clear()


def test_the_app_follows_the_content(changed_content, db, org_tree, people):
    from datetime import date

    from servicetjek import agenda, content, meetings, trials

    content.validate_all()
    assert trials.method_rhythm() == trials.Rhythm(8, (3, 6), 10)
    start = date(2027, 1, 4)
    assert trials.checkpoints(start) == [(date(2027, 1, 25), "checkin"), (date(2027, 2, 15), "checkin"),
                                         (date(2027, 3, 1), "decision")]
    assert [d for d, _ in trials.checkpoints(start, rhythm="every_14")][:2] == [date(2027, 1, 14), date(2027, 1, 24)]
    t = trials.create(db, people["member"], org_tree["A1"], "focus", "Stilletid")
    assert t.weeks == 8
    book = content.load().single
    assert agenda.build(book, "single", datetime(2027, 3, 2, 9), 5, ["focus"]).items[0].minutes == 12
    m = meetings.plan(db, people["facilitator"], org_tree["A1"], "single", "Møde", datetime(2027, 3, 2, 9), 5,
                      ["focus"])
    assert m.welcome_minutes == 12
    # Turns of up to 3 minutes each, tables of about four, an hour and a half, two trials per group.
    plan = agenda.build(book, "single", datetime(2027, 3, 2, 9), 4, ["focus"])
    assert [i.minutes for i in plan.items if i.key in ("round1", "round2")] == [12, 12]
    assert plan.total_minutes == 86 and plan.planned_minutes == 90 and not plan.overruns  # 86 > 60
    assert agenda.tables_for(9) == 2 and agenda.table_max() == 5
    dialogue = meetings.plan(db, people["facilitator"], org_tree["A1"], "dialogue", "Dialog",
                             datetime(2027, 3, 2, 9), 10, ["focus", "trust"])
    assert meetings.group_choice_limits(dialogue) == {"focus": 2, "trust": 2}  # one table of five each


def test_the_pages_follow_the_content(changed_content, db, org_tree, people):
    from servicetjek import trials
    from tests.test_pages import login

    t = trials.create(db, people["member"], org_tree["A1"], "focus", "Stilletid")
    trials.change_status(db, people["member"], t.id, t.version, "decided")
    at = login(db, "medlem")
    at.switch_page("pages/board.py").run()
    assert at.number_input(key=f"weeks_{t.id}").value == 8
    assert at.selectbox(key=f"rhythm_{t.id}").options == ["efter uge 3 og 6", "hver 10. dag"]
    planner = login(db, "tovholder")
    planner.switch_page("pages/meetings.py").run()
    assert planner.number_input(key="plan_welcome").value == 12
    intro = planner.caption[0].value
    assert "højst 3 minutter pr. deltager" in intro and "cirka 4 pr. tema" in intro
    home = login(db, "tovholder")
    home.run()
    shown = " ".join([m.value for m in home.markdown] + [c.value for c in home.caption])
    assert "Afprøv i 8 uger" in shown and "stop op efter uge 3 og 6, og beslut efter uge 8" in shown
