"""Results back to the people (issue 13): the meeting's results slide and the read-only results link."""

import dataclasses
from datetime import datetime, timedelta

import pytest

from servicetjek import meetings, result_links, results, rounds
from servicetjek.content import THEME_IDS
from servicetjek.errors import PermissionDenied
from tests.test_pages import app, login


def open_round(db, user, dept, title="Forår", groups=()):
    now = datetime.now()
    return rounds.create(db, user, dept, title, now - timedelta(hours=1), now + timedelta(days=3), groups=groups)[0]


def answer(db, r, i, group=None, comment=None):
    """Answer i: scores differ between answers, so a wrong set of answers gives other means."""
    scores = {t: 1 + (i + j) % 5 for j, t in enumerate(THEME_IDS)}
    rounds.submit(db, r.token, scores, group=group, comment=comment, session_key=f"s{r.id}-{i}")


def test_link_exists_only_after_share_and_stop_really_stops_it(db, org_tree, people):
    r = open_round(db, people["admin"], org_tree["A1"])
    facilitator = people["facilitator"]
    assert result_links.token(db, facilitator, r.id) is None  # looking never shares
    assert db.query("SELECT count(*) FROM result_links")[0][0] == 0
    token = result_links.share(db, facilitator, r.id)
    assert len(token) == 32 and result_links.share(db, facilitator, r.id) == token  # again: same link
    assert result_links.view(db, token).title == "Forår"
    result_links.stop(db, facilitator, r.id)
    assert result_links.view(db, token) is None and result_links.token(db, facilitator, r.id) is None
    assert result_links.share(db, facilitator, r.id) != token  # a new share is a new link
    for bad in (None, "", "x" * 32, token, token[:-1], 12):
        assert result_links.view(db, bad) is None


def test_only_those_who_run_the_round_may_share_it(db, org_tree, people):
    mine, theirs = open_round(db, people["admin"], org_tree["A1"]), open_round(db, people["admin"], org_tree["B1"])
    for who in ("manager", "member"):
        with pytest.raises(PermissionDenied):
            result_links.share(db, people[who], mine.id)
    with pytest.raises(PermissionDenied):
        result_links.share(db, people["facilitator"], theirs.id)
    token = result_links.share(db, people["admin"], theirs.id)
    with pytest.raises(PermissionDenied):
        result_links.stop(db, people["facilitator"], theirs.id)
    assert result_links.view(db, token) is not None


def test_shared_view_shows_what_the_facilitator_sees_and_never_more(db, org_tree, people):
    r = open_round(db, people["admin"], org_tree["A1"])
    token = result_links.share(db, people["facilitator"], r.id)
    for i in range(4):
        answer(db, r, i, comment=f"kommentar {i}")
    shared = result_links.view(db, token)
    assert shared.themes is None and shared.n == 0 and shared.recommendation is None  # below k: nothing
    for i in range(4, 6):
        answer(db, r, i, comment=f"kommentar {i}")
    shared = result_links.view(db, token)  # the link's view releases the six, as the facilitator's would
    answer(db, r, 6, comment="kommentar 6")
    seen = results.round_results(db, people["facilitator"], r.id)
    assert seen.received == 7 and seen.n == shared.n == 6  # the seventh waits for k more, on both
    assert {t: s.mean for t, s in shared.themes.items()} == seen.means()
    assert shared.themes == seen.themes and shared.recommendation == results.recommendation(seen)
    # Never more: no comments, groups or live count exist in what the link gets.
    fields = {f.name for f in dataclasses.fields(shared)}
    assert fields == {"title", "department", "n", "threshold", "themes", "recommendation"}
    assert "kommentar" not in repr(shared)
    assert result_links.view(db, token) == shared  # one more answer moved nothing
    for i in range(7, 11):  # k more since the release: both move together
        answer(db, r, i)
    moved = result_links.view(db, token)
    assert moved.n == results.round_results(db, people["facilitator"], r.id).n == 11


def test_round_with_groups_shares_whole_round_figures_at_close_without_groups(db, org_tree, people):
    r = open_round(db, people["admin"], org_tree["A1"], groups=["Leder", "Medarbejder"])
    token = result_links.share(db, people["facilitator"], r.id)
    for i in range(6):
        answer(db, r, i, group="Medarbejder" if i else "Leder")
    assert result_links.view(db, token).themes is None  # groups: figures only at close
    rounds.close(db, people["admin"], r.id)
    seen, shared = results.round_results(db, people["facilitator"], r.id), result_links.view(db, token)
    assert shared.n == seen.n == 6 and shared.themes == seen.themes
    assert shared.recommendation is None and "Leder" not in repr(shared)  # advice could name groups


def test_share_and_stop_on_the_results_page_and_the_public_link(db, org_tree, people):
    r = open_round(db, people["admin"], org_tree["A1"])
    for i in range(5):
        answer(db, r, i, comment="Hemmelig kommentar")
    at = login(db, "tovholder")
    at.switch_page("pages/results.py").run()
    assert not at.exception and result_links.token(db, people["facilitator"], r.id) is None
    at.button(key="share_results").click().run()
    token = result_links.token(db, people["facilitator"], r.id)
    assert token and any(f"?results={token}" in c.value for c in at.code)
    public = app()
    public.query_params["results"] = token
    public.run()
    assert not public.exception
    assert "Forår" in public.header[0].value and "Team A1" in public.header[0].value
    means = {row["Tema"]: row["Gennemsnit"] for row in public.dataframe[0].value.to_dict("records")}
    seen = results.round_results(db, people["facilitator"], r.id)
    assert len(means) == 6 and "5 svar" in public.caption[0].value
    assert sorted(means.values()) == sorted(f"{m:.2f}".replace(".", ",") for m in seen.means().values())
    page_text = " ".join(str(e.value) for e in (*public.markdown, *public.caption, *public.header))
    assert "Hemmelig" not in page_text
    assert not public.button and not public.text_input  # nothing to do but read
    at.button(key="revoke_results").click().run()
    assert result_links.token(db, people["facilitator"], r.id) is None
    public.run()
    assert "virker ikke længere" in public.warning[0].value and not public.dataframe


def test_unknown_results_link_and_no_share_button_for_managers(db, org_tree, people):
    bad = app()
    bad.query_params["results"] = "y" * 32
    bad.run()
    assert not bad.exception and "virker ikke længere" in bad.warning[0].value
    r = open_round(db, people["admin"], org_tree["A1"])
    for i in range(5):
        answer(db, r, i)
    at = login(db, "leder")
    at.switch_page("pages/results.py").run()
    assert not at.exception and not [b for b in at.button if b.key in ("share_results", "revoke_results")]


def test_meeting_mode_results_slide_uses_the_released_figures(db, org_tree, people):
    r = open_round(db, people["admin"], org_tree["A1"], title="Efterår")
    for i in range(5):
        answer(db, r, i)
    assert results.round_results(db, people["admin"], r.id).n == 5  # released at 5 ...
    answer(db, r, 5)  # ... so the sixth waits for k more, on the slide too
    meetings.plan(db, people["facilitator"], org_tree["A1"], "single", "Fordybelse",
                  datetime.now() + timedelta(days=1), 3, ["focus"], "A")
    at = login(db, "tovholder")
    at.switch_page("pages/meeting_mode.py").run()
    at.toggle(key="mode_results").set_value(True).run()
    assert not at.exception
    assert at.selectbox(key="slide_round").value == r.id  # the round before the meeting
    assert [t.value for t in at.title] == ["Efterår"]
    seen = results.round_results(db, people["facilitator"], r.id)
    assert seen.n == 5 and any("5 svar" in c.value for c in at.caption)
    shown = sorted(row["Gennemsnit"] for row in at.dataframe[0].value.to_dict("records"))
    assert shown == sorted(f"{m:.2f}".replace(".", ",") for m in seen.means().values())
    assert any(m.value.startswith(("### Hold", "### Intet")) for m in at.markdown)  # the recommendation
    at.toggle(key="mode_results").set_value(False).run()
    assert [t.value for t in at.title] == ["Fordybelse"]  # back to the meeting


def test_results_slide_holds_back_figures_below_the_threshold(db, org_tree, people):
    r = open_round(db, people["admin"], org_tree["A1"], title="Lille runde")
    for i in range(3):
        answer(db, r, i)
    meetings.plan(db, people["facilitator"], org_tree["A1"], "single", "Møde", datetime.now() + timedelta(days=1),
                  3, ["focus"], "A")
    at = login(db, "tovholder")
    at.switch_page("pages/meeting_mode.py").run()
    at.toggle(key="mode_results").set_value(True).run()
    assert not at.exception and not at.dataframe
    assert "For få svar (3)" in at.info[0].value and "mindst 5" in at.info[0].value


def test_results_slide_on_the_projector_shows_only_rounds_of_the_meetings_unit(db, org_tree, people):
    r = open_round(db, people["admin"], org_tree["A1"], title="Efterår")
    other = open_round(db, people["admin"], org_tree["B1"], title="Fremmed runde")
    for i in range(5):
        answer(db, r, i)
        answer(db, other, i)
    m = meetings.plan(db, people["facilitator"], org_tree["A1"], "single", "Fordybelse",
                      datetime.now() + timedelta(days=1), 3, ["focus"], "A")
    laptop = login(db, "tovholder")
    laptop.switch_page("pages/meeting_mode.py").run()
    laptop.toggle(key="mode_results").set_value(True).run()
    assert meetings.screen(db, m.id).slide_round == r.id  # what every screen of the meeting shows

    def wall():
        projector = login(db, "tovholder")
        projector.query_params.update(visning="projektor", moede=str(m.id))
        projector.switch_page("pages/meeting_mode.py").run()
        assert not projector.exception and not projector.selectbox and not projector.toggle  # nothing to operate
        return projector

    shown = wall()
    assert [t.value for t in shown.title] == ["Efterår"] and shown.dataframe
    with pytest.raises(meetings.MeetingError, match="round_not_in_unit"):  # another unit's round: refused
        meetings.show_on_wall(db, people["admin"], m.id, other.id)
    db.execute("UPDATE meeting_screens SET slide_round = ? WHERE meeting_id = ?", [other.id, m.id])
    foreign = wall()  # and were it stored anyway, the wall shows nothing of it
    assert not foreign.title and not foreign.dataframe and "ingen runder" in foreign.info[0].value


def test_projector_follows_the_facilitator_to_the_results_and_back_and_shows_the_speaker_timer(
        db, org_tree, people):
    r = open_round(db, people["admin"], org_tree["A1"], title="Efterår")
    for i in range(5):
        answer(db, r, i)
    m = meetings.plan(db, people["facilitator"], org_tree["A1"], "single", "Fordybelse",
                      datetime.now() - timedelta(minutes=5), 4, ["focus"], "A")
    laptop = login(db, "tovholder")
    laptop.switch_page("pages/meeting_mode.py").run()
    laptop.button(key="begin").click().run()
    for _ in range(2):  # to step 3: the round, two minutes per participant
        laptop.button(key="next").click().run()
    projector = login(db, "tovholder")
    projector.query_params.update(visning="projektor", moede=str(m.id))
    projector.switch_page("pages/meeting_mode.py").run()
    drawn = meetings.wall_view(db, m.id)
    assert projector.markdown[0].value.startswith("# 3.")
    assert [(x.label, x.value) for x in projector.metric][1] == ("Deltager 1 af 4", "2:00")
    speaker = laptop.button(key="speaker")
    assert speaker.label == "Start taletid" and speaker.proto.shortcut.lower() == "s"  # the S key, too
    speaker.click().run()
    assert meetings.screen(db, m.id).speaker_started_at is not None
    projector.run()  # its clock fragment reads the shared timer every second
    assert projector.button(key="speaker").label == "Stop taletid"
    laptop.button(key="speaker").click().run()  # stop: participant 2 is next
    projector.run()
    assert [x.label for x in projector.metric][1] == "Deltager 2 af 4"

    laptop.toggle(key="mode_results").set_value(True).run()  # the facilitator moves to the results slide ...
    assert meetings.wall_view(db, m.id) != drawn  # ... which the projector's fragment notices and redraws
    projector.run()
    assert not projector.exception and [t.value for t in projector.title] == ["Efterår"] and projector.dataframe
    laptop.toggle(key="mode_results").set_value(False).run()  # and back to the step
    projector.run()
    assert not projector.title and projector.markdown[0].value.startswith("# 3.")
    phone = login(db, "tovholder")  # a second device of the facilitator shows the same
    phone.switch_page("pages/meeting_mode.py").run()
    assert phone.toggle(key="mode_results").value is False
