import dataclasses

import pytest

from servicetjek import content
from servicetjek.content import THEME_IDS, ContentError, load, validate_all
from servicetjek.i18n import t


def test_both_languages_load_with_six_complete_themes():
    for lang in content.LANGUAGES:
        c = load(lang)
        assert tuple(th.id for th in c.themes) == THEME_IDS
        for theme in c.themes:
            for field in content.THEME_TEXT_FIELDS:
                assert getattr(theme, field).strip(), (lang, theme.id, field)
            assert theme.reflection and (theme.quotes or theme.cases)
            assert all(q.source for q in theme.quotes)


def test_minutes_match_the_method_in_both_languages():
    for c in validate_all():
        single = {s.key: s for s in c.single.steps}
        assert single["reflect"].minutes == 5 and single["propose"].minutes == 15
        assert single["round1"].per_participant == 2 and single["round2"].per_participant == 2
        assert single["decide"].options == {"A": 30, "B": 10}
        dialogue = {s.key: s for s in c.dialogue.steps}
        assert (dialogue["groups1"].minutes, dialogue["groups2"].minutes, dialogue["wrapup"].minutes) == (45, 30, 15)
        assert (dialogue["report1"].per_group, dialogue["report2"].per_group) == (5, 3)
        assert len(c.dialogue.connection_questions) == 4
        assert c.trials["weeks"] == 6 and c.trials["checkin_weeks"] == [2, 4]
        assert len(c.trials["checkin_questions"]) == 3
        assert len(c.action_plan["columns"]) == 6


def test_ui_strings_have_the_same_keys_in_both_languages():
    da, en = load("da").ui, load("en").ui
    assert set(da) == set(en)
    assert t("nav.home", "da") == "Forside" and t("nav.home", "en") == "Home"
    assert t("no.such.key", "da") == "[no.such.key]"


def test_validation_fails_when_a_theme_field_is_missing(monkeypatch):
    raw = {"id": "cohesion", "name": "x", "question": "q", "summary": "s", "at_stake": "",
           "different_needs": "d", "signs": "s", "proposal_question": "p", "reflection": ["r"],
           "cases": [{"title": "t", "text": "x"}]}
    with pytest.raises(ContentError, match="at_stake"):
        content._theme(raw, "test")


def test_validation_fails_when_minutes_differ_between_languages(monkeypatch):
    da, en = load("da"), load("en")
    steps = list(en.single.steps)
    steps[1] = dataclasses.replace(steps[1], minutes=7)
    broken = dataclasses.replace(en, single=dataclasses.replace(en.single, steps=tuple(steps)))
    monkeypatch.setattr(content, "load", lambda lang: da if lang == "da" else broken)
    with pytest.raises(ContentError, match="timings differ"):
        content.validate_all()


def test_every_ui_key_used_in_code_exists():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    used = set()
    for path in [*root.glob("pages/*.py"), *root.glob("servicetjek/**/*.py"), root / "streamlit_app.py"]:
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r'\bT\(["\x27]([a-z_]+\.[a-z_0-9]+)["\x27]', text))
        used |= set(re.findall(r'(?:Error|Refused|Reason|Denied)\("([a-z_]+\.[a-z_0-9]+)"', text))
    missing = sorted(k for k in used if k not in load("da").ui)
    assert not missing


def test_every_built_ui_key_has_its_variants():
    # T(f"meetings.decision_{kind}_{o}") and the like: each pattern must match keys, and the
    # decision labels must exist for both meeting kinds and both options.
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    keys = set(load("da").ui)
    for path in [*root.glob("pages/*.py"), *root.glob("servicetjek/**/*.py")]:
        text = path.read_text(encoding="utf-8")
        for pattern in re.findall(r'\bT\(f"([a-z_]+\.[^"]+)"', text) + re.findall(r"\bT\(f'([a-z_]+\.[^']+)'", text):
            regex = re.compile("^" + ".+".join(map(re.escape, re.split(r"\{[^}]*\}", pattern))) + "$")
            assert any(regex.match(k) for k in keys), pattern
    assert {f"meetings.decision_{k}_{o}" for k in ("single", "dialogue") for o in "AB"} <= keys


def test_counts_of_one_read_as_words_and_no_text_hedges_with_brackets():
    assert t("home.next_open_rounds", "da", n=1).startswith("Du har en åben runde.")
    assert t("home.next_open_rounds", "da", n=3).startswith("Du har 3 åbne runder.")
    assert t("home.next_open_rounds", "en", n=1).startswith("You have one open round.")
    # "runde(r)", "theme(s)": a text that needs a count gets a *_one variant instead.
    for lang in ("da", "en"):
        hedged = [k for k, v in load(lang).ui.items() if any(x in v for x in ("(e)", "(r)", "(er)", "(s)"))]
        assert hedged == []


def test_decimals_are_written_as_each_language_writes_them():
    from servicetjek.i18n import number

    assert number(3.8, "da", 1) == "3,8" and number(3.8, "en", 1) == "3.8"
    reason = t("routing.clear_top", "da", theme="Tillid", mean=3.84, gap=0.72)
    assert "gns. 3,8, 0,7 over nummer to" in reason
    assert "3.8, 0.7" in t("routing.clear_top", "en", theme="Trust", mean=3.84, gap=0.72)
