"""One rule for user text (issue 12, point 1): refused at the domain boundary with a clear
message, scrubbed on the way out, and never able to take the process down."""

import functools
import io
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from servicetjek import exports, meetings, org, results, rounds, sso, trials, users
from servicetjek import text as txt
from servicetjek.content import THEME_IDS, load
from servicetjek.errors import DomainError
from servicetjek.i18n import t

ROOT = Path(__file__).resolve().parents[1]
BAD = ["a\x00b", "a\x01b", "a\x0bb", "a\x1bb", "a\x7fb", "a\x85b", "a\ufffeb", "a\uffffb", "a\ufdd0b",
       "a\U0010fffeb", "a\ud800b", "a\u202eb", "a\u2066b"]


def _radar_export_in_subprocess(series_label: str, kind: str) -> subprocess.CompletedProcess:
    """Export the radar in a child process: an abort (SIGABRT) there cannot kill pytest."""
    script = (
        "import sys, json\n"
        "from servicetjek import charts, exports\n"
        "from servicetjek.content import THEME_IDS, load\n"
        "label = json.loads(sys.argv[1])\n"
        "names = load('da').theme_names()\n"
        "series = {'Denne runde': dict.fromkeys(THEME_IDS, 3.0), label: dict.fromkeys(THEME_IDS, 4.0)}\n"
        "spec = charts.radar(series, names).to_dict(validate=False)\n"
        f"out = exports.chart_{kind}(spec)\n"
        "print(len(out))\n")
    import json

    return subprocess.run([sys.executable, "-c", script, json.dumps(series_label)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("kind", ["png", "svg"])
def test_radar_export_with_a_stored_control_character_does_not_abort_the_process(kind):
    # What the results page puts in the legend when comparing with a previous round whose
    # title was stored before the rule (or reached the chart another way).
    label = t("results.previous_round", "da", title="Runde\x01 \ufffe forår")
    done = _radar_export_in_subprocess(label, kind)
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])  # was -6 (SIGABRT in vl-convert)
    assert int(done.stdout.strip()) > 1000


def test_radar_export_with_a_long_label_cut_inside_an_emoji_works():
    # Found by tests/test_text_properties.py: Vega shortens the legend label by UTF-16 units,
    # splits a character beyond U+FFFF, and vl-convert refused it (ValueError).
    label = "\x7f𗰏x\U0010369b¿\x1dáî\U0007d900¥Ä9}![b](http://x/y)\x01![b](http://x/y)\x10C\U000eeb52¾\U000d6e1d."
    for kind in ("png", "svg"):
        done = _radar_export_in_subprocess(label, kind)
        assert done.returncode == 0, (done.returncode, done.stderr[-2000:])


def test_chart_export_scrubs_every_string_and_keeps_the_rest():
    script = (
        "from servicetjek import exports\n"
        "spec = {'data': {'values': [{'a': 'F\u00f8r\\x01 efter\\ufffe', 'b': 1}]}, 'mark': 'bar', 'encoding':"
        " {'x': {'field': 'a', 'type': 'nominal'}, 'y': {'field': 'b', 'type': 'quantitative'}}}\n"
        "print(exports.chart_svg(spec).decode('utf-8'))\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert "Før efter" in done.stdout


def _round_with_groups(db, people, org_tree, groups, title="Runde"):
    now = datetime.now()
    return rounds.create(db, people["admin"], org_tree["A1"], title, now - timedelta(hours=1),
                         now + timedelta(days=2), groups=groups)[0]


def test_xlsx_export_of_a_stored_group_name_with_a_control_character_works(db, org_tree, people):
    r = _round_with_groups(db, people, org_tree, ["Leder", "Medarbejder"])
    # Data stored before the rule: write it past the domain, as an older version did.
    db.execute("UPDATE rounds SET respondent_groups = ? WHERE id = ?", [["Leder\x01", "Medarbejder"], r.id])
    for i in range(12):
        rounds.submit(db, r.token, dict.fromkeys(THEME_IDS, 4), group=["Leder\x01", "Medarbejder"][i % 2],
                      session_key=f"s{i}")
    rounds.close(db, people["admin"], r.id)  # a round with groups shows figures at close
    res = results.round_results(db, people["admin"], r.id)
    labels = {"theme": "Tema", "mean": "Snit", "sd": "Spredning", "group": "Gruppe", "too_few": "for få"}
    header, rows = results.export_table(res, load("da").theme_names(), labels)
    sheet = load_workbook(io.BytesIO(exports.to_xlsx(header, rows))).active  # raised IllegalCharacterError
    values = [c.value for row in sheet.iter_rows() for c in row]
    assert "Gruppe: Leder" in values and "Gruppe: Medarbejder" in values
    assert "\x01" not in exports.to_csv(header, rows).decode("utf-8-sig")


@pytest.mark.parametrize("bad", BAD)
def test_the_rule_refuses_control_non_characters_surrogates_and_bidi_controls(bad):
    for check in (txt.line, txt.text):
        with pytest.raises(txt.TextRefused) as err:
            check(bad, 100)
        assert err.value.key == "text.forbidden"
        assert err.value.params == {"char": f"U+{ord(bad[1]):04X}", "position": 2}


def test_the_rule_normalises_whitespace_and_unicode():
    decomposed = "Ga\u030ardbo"  # 'å' as a + combining ring, as some keyboards send it
    assert txt.line(f"  {decomposed}\t og\r\n  hus  ", 100) == "Gårdbo og hus"
    assert txt.text(f" {decomposed}\r\nlinje 2\rlinje\u20283\ttab ", 100) == "Gårdbo\nlinje 2\nlinje\n3\ttab"
    assert txt.line("", 10) == "" and txt.line(None, 10) == ""
    with pytest.raises(txt.TextRefused) as err:
        txt.line(" ", 10, required="rounds.title_required")
    assert err.value.key == "rounds.title_required"
    with pytest.raises(txt.TextRefused) as err:
        txt.text("x" * 11, 10)
    assert err.value.key == "text.too_long" and err.value.params == {"n": 10}
    with pytest.raises(txt.TextRefused) as err:
        txt.line(["liste"], 10)
    assert err.value.key == "text.invalid"
    # Zero-width joiners, emoji, RTL scripts and marks (not overrides) are ordinary text.
    for fine in ("👩‍👩‍👧‍👦", "שלום עולם", "a\u200fb", "Zalgo t̷̢̛e̵͎͝x̸̡̛t", "a\u200bb"):
        assert txt.line(fine, 100) == fine


def test_the_refusal_message_is_clear_in_both_languages():
    da = t("text.forbidden", "da", char="U+0001", position=5)
    en = t("text.forbidden", "en", char="U+0001", position=5)
    assert "U+0001" in da and "5" in da and "styretegn" in da
    assert "U+0001" in en and "control character" in en


# --- every create/update function of the domain uses the rule -----------------------------------

def _every_write(db, people, org_tree):
    """(name, callable taking one text) for every user-text field the domain stores."""
    admin = people["admin"]
    now = datetime.now().replace(microsecond=0)
    r = _round_with_groups(db, people, org_tree, ["Leder"])
    meeting = meetings.plan(db, admin, org_tree["A1"], "single", "Møde", now + timedelta(days=1), 6, ["focus"])
    trial = trials.create(db, admin, org_tree["A1"], "focus", "Forsøg")
    running = trials.create(db, admin, org_tree["A1"], "trust", "Kører", status="decided")
    running = trials.start(db, admin, running.id, running.version, date.today() - timedelta(days=15))
    due = trials.checkpoints_for(db, [running.id])[0].due
    proposal = meetings.add_proposal(db, admin, meeting.id, "Forslag", "focus")

    def latest(trial_id):
        return trials.get(db, trial_id).version

    def update_trial(field, value):
        return trials.update(db, admin, trial.id, latest(trial.id), **{field: value})

    def plan(**kw):
        args = {"title": "Møde", "place": "", "facilitators": ""} | kw
        return meetings.plan(db, admin, org_tree["A1"], "single", starts_at=now, participants=6, themes=["focus"],
                             **args)

    window = (now - timedelta(hours=1), now + timedelta(days=1))
    return {
        "round title": lambda v: rounds.create(db, admin, org_tree["A1"], v, *window),
        "round group": lambda v: rounds.create(db, admin, org_tree["A1"], "R", *window, groups=[v]),
        "comment": lambda v: rounds.submit(db, r.token, dict.fromkeys(THEME_IDS, 3), comment=v),
        "department create": lambda v: org.create(db, v),
        "department rename": lambda v: org.update(db, org_tree["B1"], v),
        "user create": lambda v: users.create(db, "ny.bruger", v, "correct-horse-battery", "member"),
        "user rename": lambda v: users.update(db, "medlem", v, "member", [org_tree["A1"]], True),
        "meeting title": lambda v: plan(title=v),
        "meeting place": lambda v: plan(place=v),
        "meeting facilitators": lambda v: plan(facilitators=v),
        "decision note": lambda v: meetings.decide(db, admin, meeting.id, "B", {}, note=v),
        "proposal what": lambda v: meetings.add_proposal(db, admin, meeting.id, v, "focus"),
        "proposal who": lambda v: meetings.add_proposal(db, admin, meeting.id, "X", "focus", who=v),
        **{f"trial {f}": functools.partial(update_trial, f) for f in trials.TEXT_FIELDS},
        "trial create why": lambda v: trials.create(db, admin, org_tree["A1"], "focus", "X", why=v),
        "trial reason": lambda v: trials.change_status(db, admin, proposal.id, latest(proposal.id), "stopped",
                                                       reason=v),
        "check-in": lambda v: trials.record_checkin(db, admin, running.id, latest(running.id), due, v, "", ""),
        "holiday weeks": lambda v: trials.set_holiday_weeks(db, v),
        "sso invitation e-mail": lambda v: sso.invite(db, "inviteret", "Ny", f"{v}@example.dk", "member"),
    }


def test_every_create_and_update_refuses_a_control_character_and_stores_nothing(db, org_tree, people):
    writes = _every_write(db, people, org_tree)
    before = _snapshot(db)
    for name, write in writes.items():
        for bad in ("Før\x01efter", "Før\ufffeefter", "Før\x00efter"):
            with pytest.raises(DomainError) as err:
                write(bad)
            assert err.value.key == "text.forbidden", (name, bad, err.value.key)
    assert _snapshot(db) == before


def _snapshot(db):
    tables = ("rounds", "responses", "departments", "users", "meetings", "trials", "trial_checkins", "settings")
    return {table: sorted(map(repr, db.query(f"SELECT * FROM {table}"))) for table in tables}


def test_markdown_escape_leaves_no_syntax_and_breaks_what_escapes_cannot():
    out = txt.markdown("# Ø ![b](http://x.dk/b) <img src=x> [l](www.x.dk) a@b.dk :material/home: :red[r] $x$ |")
    assert "\\# Ø \\!\\[b\\]\\(http\\:\u2060//x\\.dk/b\\)" in out and "\\<img src\\=x\\>" in out
    # GFM links bare URLs and Streamlit draws :icons: after escapes are resolved: a word joiner stops both.
    assert "www\u2060\\.x" in out and "a\u2060\\@b" in out and "\\:\u2060material/home\\: " in out
    assert "\\$x\\$ \\|" in out
    # The same words remain when the escapes and joiners are taken away.
    assert out.replace("\u2060", "").replace("\\", "") == (
        "# Ø ![b](http://x.dk/b) <img src=x> [l](www.x.dk) a@b.dk :material/home: :red[r] $x$ |")
    assert txt.markdown("linje 1\nlinje\x01 2") == "linje 1 linje 2"


def test_lists_of_names_read_as_a_sentence():
    from servicetjek.i18n import and_list

    assert and_list(["Tillid"], "da") == "Tillid"
    assert and_list(["Tilgængelighed", "Fordybelse"], "da") == "Tilgængelighed og Fordybelse"
    assert and_list(["Trust", "Fairness", "Cohesion"], "en") == "Trust, Fairness and Cohesion"
