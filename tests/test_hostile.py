"""Hostile input through the real pages, the protocol and the domain API: refused clearly
or stored and shown inert; nothing stored on refusal, nothing crashes."""

import io
import os
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from streamlit.proto.WidgetStates_pb2 import WidgetState

from bench import burst
from servicetjek import clock, exports, results, rounds, trials
from servicetjek.content import THEME_IDS
from servicetjek.db import Database
from tests.conftest import run_async
from tests.test_pages import app, login

PAYLOADS = [
    "![beacon](http://evil.example/x.png)",
    "<img src=x onerror=alert(1)><script>alert(1)</script>",
    "[klik her](javascript:alert(1)) # Overskrift",
    ":red[falsk advarsel] :material/warning: **fed**",
    "=HYPERLINK(\"http://evil\",\"klik\")",
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "Zalgo t̷̢̛e̵͎͝x̸̡̛t \u200fRTL mark\u200e \u200b zero-width 👩‍👩‍👧‍👦 ﷽",  # bidi overrides: tests/test_text.py
]


def open_round(db, people, org_tree, **kwargs):
    now = clock.local_now()  # rounds take Copenhagen time, whatever the server's TZ
    return rounds.create(db, people["admin"], org_tree["A1"], "Runde", now - timedelta(hours=1),
                         now + timedelta(days=2), **kwargs)[0]


def test_payload_comments_are_stored_verbatim_and_shown_as_plain_text(db, org_tree, people):
    r = open_round(db, people, org_tree)
    for i, payload in enumerate(PAYLOADS):
        rounds.submit(db, r.token, dict.fromkeys(THEME_IDS, 3), comment=payload, session_key=f"h{i}")
    rounds.close(db, people["admin"], r.id)
    stored = sorted(row[0] for row in db.query("SELECT comment FROM responses"))
    assert stored == sorted(p.strip() for p in PAYLOADS)
    at = login(db, "tovholder")
    at.switch_page("pages/results.py").run()
    assert not at.exception
    assert sorted(t.value for t in at.text) == sorted(p.strip() for p in PAYLOADS)  # st.text: never Markdown
    assert not [m for m in at.markdown if "evil.example" in m.value]


def test_payload_trial_texts_are_escaped_wherever_markdown_renders(db, org_tree, people):
    for payload in PAYLOADS[:4]:
        trials.create(db, people["member"], org_tree["A1"], "focus", payload[:200], who=payload[:50])
    at = login(db, "medlem")
    at.switch_page("pages/board.py").run()
    assert not at.exception
    rendered = [m.value for m in at.markdown] + [c.value for c in at.caption] + [e.label for e in at.expander]
    unescaped = re.compile(r"(?<!\\)(!\[|\]\(|<|:red\[|:material/)")
    for text in rendered:
        assert not unescaped.search(text), text
    assert any("\\!\\[beacon\\]" in text for text in rendered)


def test_formula_payloads_are_neutralised_in_xlsx_and_csv(db, org_tree, people):
    r = open_round(db, people, org_tree, groups=["=cmd|' /C calc'!A0", "+1", "Medarbejder"])
    for i in range(12):
        group = ["=cmd|' /C calc'!A0", "+1", "Medarbejder"][i % 3]
        rounds.submit(db, r.token, dict.fromkeys(THEME_IDS, 4), group=group, session_key=f"x{i}")
    res = results.round_results(db, people["admin"], r.id)
    labels = {"theme": "@Tema", "mean": "-Snit", "sd": "Spredning", "group": "Gruppe", "too_few": "for få"}
    header, rows = results.export_table(res, {t: "=" + t for t in THEME_IDS}, labels)
    sheet = load_workbook(io.BytesIO(exports.to_xlsx(header, rows))).active
    values = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert values and all(not v.startswith(exports.FORMULA_PREFIXES) for v in values)
    assert "'@Tema" in values and "'=cohesion" in values
    text = exports.to_csv(header, rows).decode("utf-8-sig")
    assert all(not cell.startswith(("=", "+", "-", "@")) for line in text.splitlines() for cell in line.split(";"))


@pytest.mark.parametrize("params", [
    {"r": "x" * 10_000}, {"r": "ﬁ" * 32}, {"r": "../../../etc/passwd"}, {"r": "' OR '1'='1"},
    {"board": "../../etc/passwd"}, {"board": "A" * 32}, {"lang": "xx", "r": "nope"},
])
def test_tampered_query_parameters_get_a_clear_page(db, params):
    at = app()
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception
    assert at.warning and ("virker ikke" in at.warning[0].value)


def test_overlong_and_nul_text_is_refused_with_nothing_stored(db, org_tree, people):
    r = open_round(db, people, org_tree)
    for comment, key in (("x" * 1001, "rate.comment_too_long"), ("a\x00b", "text.forbidden"),
                         (["liste"], "rate.comment_invalid")):
        with pytest.raises(rounds.SubmissionRefused) as err:
            rounds.submit(db, r.token, dict.fromkeys(THEME_IDS, 3), comment=comment)
        assert err.value.key == key
    with pytest.raises(trials.TrialError):
        trials.create(db, people["member"], org_tree["A1"], "focus", "x" * 201)
    assert rounds.answers_stored(db) == 0
    assert db.query_one("SELECT count(*) FROM trials")[0] == 0


def test_protocol_level_bad_widget_values_store_nothing(tmp_path):
    """A client that speaks Streamlit's protocol and sends scores that are not 1–5."""
    path = tmp_path / "hostile.duckdb"
    [token] = burst.seed_database(path)  # one round (seed_database returns one token per meeting)
    port = burst.free_port()
    proc = burst.start_server(["-m", "servicetjek.ui.serve"], port, os.environ | {"SERVICETJEK_DB": str(path)})

    async def attack():
        outcomes = []
        for bad in ("9", "0", "<script>", "", "1e9", "３"):
            s = burst.Session(f"ws://127.0.0.1:{port}/_stcore/stream", f"r={token}")
            await s.connect_and_render()
            states = []
            for widget_id in s.widgets["radio"]:
                state = WidgetState(id=widget_id)
                state.string_value = bad
                states.append(state)
            submit = WidgetState(id=s.widgets["button"][-1])
            submit.trigger_value = True
            await s.rerun([*states, submit])
            outcomes.append(any("Tak for dine svar" in t for t in s.texts))
            await s.close()
        return outcomes

    try:
        assert run_async(attack()) == [False] * 6
        assert proc.poll() is None  # the server is still up
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    db = Database(path)
    assert rounds.answers_stored(db) == 0
    db.close()
