from datetime import datetime, timedelta

import numpy as np
import pytest

from servicetjek import demo, holding, results, rounds, routing, totals
from servicetjek import settings as app_settings
from servicetjek.content import THEME_IDS
from servicetjek.errors import PermissionDenied


def fill(db, round_id, n, group=None, score=3, comment=None):
    """n answers arriving at the round's holding file, as the rating form stores them."""
    if n:
        row = holding.Held((*[score] * len(THEME_IDS), group, comment))
        holding.for_database(db).store(round_id, [row] * n, lambda _: True)


def make_round(db, user, dept, groups=(), days_ago=1):
    opens = datetime.now() - timedelta(days=days_ago)
    return rounds.create(db, user, dept, f"R{days_ago}", opens, opens + timedelta(days=14), groups=groups)[0]


def test_nothing_shown_below_threshold_and_comments_need_their_own(db, org_tree, people):
    r = make_round(db, people["admin"], org_tree["A1"])
    fill(db, r.id, 4, comment="hej")
    res = results.round_results(db, people["facilitator"], r.id)
    assert res.suppressed and res.themes is None and res.comments is None and res.received == 4
    fill(db, r.id, 1)
    app_settings.set_thresholds(db, 5, 6)
    res = results.round_results(db, people["facilitator"], r.id)
    assert not res.suppressed and res.comments is None
    fill(db, r.id, 1)  # a sixth answer: figures (and comments) wait for five more
    res = results.round_results(db, people["facilitator"], r.id)
    assert res.n == 5 and res.received == 6 and res.comments is None and res.needed_for_update == 4
    fill(db, r.id, 4)
    assert results.round_results(db, people["facilitator"], r.id).comments == ["hej"] * 4


def test_facilitator_cannot_read_other_departments_results(db, org_tree, people):
    r = make_round(db, people["admin"], org_tree["B1"])
    with pytest.raises(PermissionDenied):
        results.round_results(db, people["facilitator"], r.id)
    with pytest.raises(PermissionDenied):
        results.round_results(db, people["member"], r.id)
    assert results.round_results(db, people["manager"], r.id).n == 0
    with pytest.raises(PermissionDenied):
        results.trend(db, people["facilitator"], org_tree["B"])
    rows = results.unit_rollup(db, people["facilitator"], datetime(2000, 1, 1), datetime(2100, 1, 1))
    assert {r["department_id"] for r in rows} == {org_tree["A"], org_tree["A1"], org_tree["A2"]}


def test_small_group_is_hidden_together_with_a_complement(db, org_tree, people):
    r = make_round(db, people["admin"], org_tree["A1"], groups=["Leder", "Ny", "Medarbejder"])
    fill(db, r.id, 6, "Medarbejder", 4)
    fill(db, r.id, 5, "Ny", 2)
    fill(db, r.id, 2, "Leder", 5)
    assert results.round_results(db, people["admin"], r.id).suppressed  # a round with groups shows at close
    rounds.close(db, people["admin"], r.id)
    res = results.round_results(db, people["admin"], r.id)
    # Leder (2) alone would be total − visible; Ny (5) must be hidden too.
    assert res.groups["Leder"] is None and res.groups["Ny"] is None
    assert res.groups["Medarbejder"] == dict.fromkeys(THEME_IDS, 4.0)


def test_small_rounds_are_left_out_of_every_rollup(db, org_tree, people):
    big = make_round(db, people["admin"], org_tree["A1"])
    small = make_round(db, people["admin"], org_tree["A2"])
    fill(db, big.id, 6, score=4)
    fill(db, small.id, 2, score=1)
    for r in (big, small):
        rounds.close(db, people["admin"], r.id)
    rows = {r["department_id"]: r for r in results.unit_rollup(
        db, people["manager"], datetime(2000, 1, 1), datetime(2100, 1, 1))}
    assert rows[org_tree["A"]]["n"] == 6 and rows[org_tree["A"]]["answers_total"] == 8
    assert rows[org_tree["A"]]["cohesion"] == 4.0  # the two 1-scores are not mixed in
    assert rows[org_tree["A2"]]["cohesion"] is None
    assert [p["round_ids"] for p in results.trend(db, people["manager"], org_tree["A"])] == [[big.id]]


def test_export_table_keeps_suppression_and_neutralises_formulas(db, org_tree, people):
    from servicetjek import exports

    r = make_round(db, people["admin"], org_tree["A1"], groups=["=HYPERLINK(\"x\")", "B"])
    fill(db, r.id, 5, "B")
    fill(db, r.id, 1, "=HYPERLINK(\"x\")")
    rounds.close(db, people["admin"], r.id)
    res = results.round_results(db, people["admin"], r.id)
    labels = {"theme": "Tema", "mean": "Snit", "sd": "Spredning", "group": "Gruppe", "too_few": "for få"}
    header, rows = results.export_table(res, {t: t for t in THEME_IDS}, labels)
    hyperlink_column = header.index('Gruppe: =HYPERLINK("x")')
    assert all(row[hyperlink_column] == "for få" for row in rows)  # 1 answer: suppressed
    csv_text = exports.to_csv(["=HYPERLINK(\"http://evil\")"], [["@SUM(A1)", "ok"]]).decode("utf-8-sig")
    assert csv_text.splitlines() == ['"\'=HYPERLINK(""http://evil"")"', "'@SUM(A1);ok"]
    assert exports.safe_cell("=1+1") == "'=1+1" and exports.safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert exports.safe_cell("+cmd") == "'+cmd" and exports.safe_cell("-2") == "'-2" and exports.safe_cell(3) == 3


# --- property: nothing computed from fewer than k answers can be derived ----------------

# --- routing -----------------------------------------------------------------------------

def means(**values):
    return {t: values.get(t, 2.0) for t in THEME_IDS}


def test_routing_clear_winner_gives_single_theme_meeting():
    rec = routing.recommend(means(focus=4.4, availability=3.6))
    assert rec.kind == "single" and rec.themes == ("focus",)
    assert rec.reasons[0].key == "routing.clear_top"
    assert ("focus", "availability") in rec.tensions


def test_routing_close_themes_give_dialogue_meeting():
    rec = routing.recommend(means(cohesion=4.1, flexibility=4.0, fairness=3.7))
    assert rec.kind == "dialogue" and rec.themes == ("cohesion", "flexibility", "fairness")
    assert set(rec.tensions) == {("flexibility", "cohesion"), ("flexibility", "fairness")}


def test_routing_borderline_and_ties():
    exactly_gap = routing.recommend(means(trust=4.0, fairness=3.5))
    assert exactly_gap.kind == "single" and exactly_gap.themes == ("trust",)
    just_under = routing.recommend(means(trust=4.0, fairness=3.51))
    assert just_under.kind == "dialogue" and just_under.themes == ("trust", "fairness")
    tie = routing.recommend(means(focus=4.0, cohesion=4.0))
    assert tie.kind == "dialogue" and tie.themes == ("cohesion", "focus")  # both, shown in the booklet's order
    low_tie = routing.recommend(means(focus=2.9, cohesion=2.8))
    assert low_tie.kind == "dialogue"
    assert {r.key for r in low_tie.reasons} == {"routing.several_close", "routing.all_low"}


def test_routing_groups_with_different_priorities_give_dialogue():
    rec = routing.recommend(means(focus=4.5, cohesion=3.2),
                            {"Ny": means(cohesion=4.6), "Erfaren": means(focus=4.8)})
    assert rec.kind == "dialogue" and set(rec.themes) == {"focus", "cohesion"}


def test_demo_generator_is_deterministic(tmp_path):
    from servicetjek import db as dbmod

    sums = []
    for name in ("a", "b"):
        database = dbmod.Database(tmp_path / f"{name}.duckdb")
        demo.generate(database, seed=3)
        sums.append(database.query("SELECT round_id, count(*), sum(focus), sum(trust) FROM responses"
                                   " GROUP BY 1 ORDER BY 1"))
        database.close()
    assert sums[0] == sums[1] and len(sums[0]) == 24


def test_parent_comparison_uses_the_suppressed_rollup(db, org_tree, people):
    own = make_round(db, people["admin"], org_tree["A1"])
    sibling = make_round(db, people["admin"], org_tree["A2"])
    fill(db, own.id, 5, score=5)
    fill(db, sibling.id, 2, score=1)  # too small: must not pull the parent's mean down
    rounds.close(db, people["admin"], own.id)
    rounds.close(db, people["admin"], sibling.id)
    name, means = results.parent_means(db, people["facilitator"], own)
    assert name == "Forvaltning A" and means["cohesion"] == 5.0
    rounds.reopen(db, people["admin"], sibling.id, datetime.now() + timedelta(days=1))
    fill(db, sibling.id, 3, score=1)
    rounds.close(db, people["admin"], sibling.id)
    assert results.parent_means(db, people["facilitator"], own)[1]["cohesion"] == 3.0
    top = make_round(db, people["admin"], org_tree["A"])
    assert results.parent_means(db, people["facilitator"], top) is None  # no parent


def test_chart_files_render_offline():
    from servicetjek import charts, exports
    from servicetjek.content import load

    spec = charts.radar({"R": dict.fromkeys(THEME_IDS, 3.0)}, load("da").theme_names()).to_dict()
    assert exports.chart_png(spec).startswith(b"\x89PNG")
    svg = exports.chart_svg(spec).decode()
    assert svg.lstrip().startswith("<svg") and "Fordybelse" in svg


def test_trend_pools_the_sub_units_rounds_of_one_day_into_one_point(db, org_tree, people):
    a1 = make_round(db, people["admin"], org_tree["A1"])
    a2 = make_round(db, people["admin"], org_tree["A2"])
    fill(db, a1.id, 6, score=4)
    fill(db, a2.id, 5, score=1)
    for r in (a1, a2):
        rounds.close(db, people["admin"], r.id)
    [point] = results.trend(db, people["manager"], org_tree["A"])
    assert sorted(point["round_ids"]) == sorted([a1.id, a2.id]) and point["n"] == 11
    assert point["cohesion"] == pytest.approx((6 * 4 + 5 * 1) / 11)


def test_released_glance_of_many_rounds_matches_round_results(db, org_tree, people):
    """The attention list reads many rounds in one query; it must give each round's released
    count and disagreements exactly as round_results does, whatever state the round is in."""
    admin = people["admin"]
    settled = make_round(db, admin, org_tree["A1"], days_ago=30)  # answers straight in `responses`
    for score in (1, 1, 1, 5, 5, 5):
        db.execute(f"INSERT INTO responses (round_id, {', '.join(THEME_IDS)}) VALUES (?, {', '.join('?' * 6)})",
                   [settled.id, 3, 3, 3, 3, score, 3])
    totals.rebuild(db)  # answers straight into `responses`, as a bulk load puts them
    held = make_round(db, admin, org_tree["A2"])  # open, answers waiting in its holding file
    fill(db, held.id, 7, score=2)
    few = make_round(db, admin, org_tree["B1"], days_ago=2)  # below k at close: held back
    fill(db, few.id, 3)
    rounds.close(db, admin, few.id)
    empty = make_round(db, admin, org_tree["A1"], days_ago=3)
    everything = [settled, held, few, empty]
    for _ in range(2):  # the first read settles the closed round, the second reads it settled
        glance = results.released_glance(db, admin, everything)
        for r in everything:
            result = results.round_results(db, admin, r.id)
            assert glance[r.id] == (result.n, results.disagreements(result))
        assert glance[settled.id] == (6, ["trust"]) and glance[held.id] == (7, []) and glance[few.id] == (0, [])
    with pytest.raises(PermissionDenied):
        results.released_glance(db, people["facilitator"], [settled, few])  # B1 is not theirs


def totals_by_query(db) -> dict:
    sums = ", ".join(f"sum(CAST({t} AS INTEGER)), sum(CAST({t} AS INTEGER) * {t})" for t in THEME_IDS)
    return {r[0]: tuple(r[1:]) for r in db.query(f"SELECT round_id, count(*), {sums} FROM responses GROUP BY round_id")}


def totals_kept(db) -> dict:
    return {r[0]: tuple(r[1:]) for r in db.query(f"SELECT round_id, {', '.join(totals.COLUMNS)} FROM round_totals")}


def test_per_round_totals_follow_every_close_reopen_and_bulk_load(db, org_tree, people):
    """The dashboard reads round_totals instead of every answer: it must always equal them."""
    admin = people["admin"]
    r = make_round(db, admin, org_tree["A1"])
    fill(db, r.id, 6, score=2)
    rounds.close(db, admin, r.id)
    rounds.reopen(db, admin, r.id, datetime.now() + timedelta(days=3))
    fill(db, r.id, 5, score=5)
    results.round_results(db, admin, r.id)  # released
    fill(db, r.id, 2, score=1)  # fewer than k since the release: held back at close
    rounds.close(db, admin, r.id)
    other = make_round(db, admin, org_tree["B1"], days_ago=40)
    fill(db, other.id, 7, score=4)
    rounds.close(db, admin, other.id)
    assert totals_kept(db) == totals_by_query(db)
    assert totals_kept(db)[r.id][0] == 11 and totals_kept(db)[r.id][1] == 6 * 2 + 5 * 5  # n, sum of cohesion
    bulk = make_round(db, admin, org_tree["A2"], days_ago=60)
    frame = demo._answers(np.random.default_rng(1), np.full(len(THEME_IDS), 3.0), 40, bulk.id, [], False)
    demo.insert_frame(db, frame)  # as demo data and benchmarks load answers
    totals.rebuild(db)
    assert totals_kept(db) == totals_by_query(db) and totals_kept(db)[bulk.id][0] == 40
