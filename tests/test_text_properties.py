"""Arbitrary Unicode through every create/update function and every export (issue 12, point 1).

Either a clear domain error (a UI string in both languages), or stored as the one text rule
normalises it and exported without a crash and without losing text. Example counts are
modest: the machine is shared.
"""

import csv
import io
import json
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from icalendar import Calendar
from openpyxl import load_workbook

from servicetjek import agenda, exports, holding, meetings, org, rounds, trials, users
from servicetjek import text as txt
from servicetjek.content import THEME_IDS, load
from servicetjek.errors import DomainError
from servicetjek.i18n import t

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# Everything hypothesis can make, plus the characters the rule is about, often.
NASTY = st.sampled_from(["\x00", "\x01", "\x1b", "\x7f", "\x85", "\ufffe", "\uffff", "\u202e", "\u2066", "\r",
                         "\n", "\t", "\u2028", "a\u030a", "=", "|", "#", "![b](http://x/y)", "<img>", "😀"])
ANY_TEXT = st.lists(st.one_of(st.text(max_size=12), NASTY), max_size=6).map("".join)


def clear_refusal(error: DomainError) -> None:
    for lang in ("da", "en"):
        message = t(error.key, lang, **error.params)
        assert not message.startswith("["), (error.key, lang)


@pytest.fixture
def fields(db, people, org_tree):
    """(kind, write-and-read-back) per user-text field; kind is 'line' or 'text'."""
    admin = people["admin"]
    team = org_tree["A1"]
    now = datetime.now().replace(microsecond=0)
    window = (now - timedelta(hours=1), now + timedelta(days=1))
    meeting = meetings.plan(db, admin, team, "single", "Møde", now, 6, ["focus"])
    trial = trials.create(db, admin, team, "focus", "Forsøg")
    running = trials.create(db, admin, team, "trust", "Kører", status="decided")
    running = trials.start(db, admin, running.id, running.version, date.today() - timedelta(days=15))
    due = trials.checkpoints_for(db, [running.id])[0].due

    def comment(value):
        r = rounds.create(db, admin, team, "R", *window)[0]
        rounds.submit(db, r.token, dict.fromkeys(THEME_IDS, 3), comment=value)
        return holding.for_database(db).held_rows(r.id)[0][-1] or ""  # an open round's answer is held

    def trial_field(field):
        def write(value):
            current = trials.get(db, trial.id)
            return getattr(trials.update(db, admin, trial.id, current.version, **{field: value}), field)
        return write

    def reason(value):
        fresh = trials.create(db, admin, team, "focus", "Stop")
        return trials.change_status(db, admin, fresh.id, fresh.version, "stopped", reason=value).outcome_reason

    def checkin(value):
        current = trials.get(db, running.id)
        trials.record_checkin(db, admin, running.id, current.version, due, value, "", "")
        return db.query_one("SELECT learned FROM trial_checkins WHERE trial_id = ? AND due = ?",
                            [running.id, due])[0]

    def plan(**kw):
        args = {"title": "Møde", "place": "", "facilitators": ""} | kw
        return meetings.plan(db, admin, team, "single", starts_at=now, participants=6, themes=["focus"], **args)

    def group(value):
        groups = rounds.create(db, admin, team, "R", *window, groups=[value])[0].respondent_groups
        return groups[0] if groups else ""

    return {
        "round title": ("line", lambda v: rounds.create(db, admin, team, v, *window)[0].title),
        "round group": ("line", group),
        "comment": ("text", comment),
        "department": ("line", lambda v: org.get(db, org.create(db, v)).name),
        "user name": ("line", lambda v: (users.update(db, "medlem", v, "member", [team], True),
                                        users.get(db, "medlem").name)[1]),
        "meeting title": ("line", lambda v: plan(title=v).title),
        "meeting place": ("line", lambda v: plan(place=v).place),
        "meeting facilitators": ("line", lambda v: plan(facilitators=v).facilitators),
        "proposal": ("line", lambda v: meetings.add_proposal(db, admin, meeting.id, v, "focus").what),
        **{f"trial {f}": ("line" if f in trials.LINE_FIELDS else "text", trial_field(f)) for f in trials.TEXT_FIELDS},
        "trial reason": ("text", reason),
        "check-in": ("text", checkin),
    }


@SETTINGS
@given(value=ANY_TEXT)
def test_every_field_refuses_clearly_or_stores_the_normalised_text(fields, value):
    for name, (kind, write) in fields.items():
        normalise = txt.line if kind == "line" else txt.text
        try:
            expected = normalise(value, 10_000)
        except DomainError:
            expected = None  # the rule refuses it: so must the field
        try:
            stored = write(value)
        except DomainError as error:
            clear_refusal(error)
            # Refused by the rule, or clean but empty/too long for this field: never the other way round.
            assert (error.key == "text.forbidden") == (expected is None), (name, value, error.key)
            continue
        assert expected is not None, (name, value)
        assert stored == expected, (name, value, stored)


def roundtrip_csv(value: str) -> str:
    data = exports.to_csv(["Felt"], [[value]]).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(data, newline=""), delimiter=";"))[1][0]


def roundtrip_xlsx(value: str) -> str:
    return load_workbook(io.BytesIO(exports.to_xlsx(["Felt"], [[value]]))).active["A2"].value or ""


def roundtrip_ics(value: str) -> tuple[str, str, str]:
    start = datetime(2027, 3, 2, 9, 0)
    event = Calendar.from_ical(exports.meeting_ics("m1@x", value, start, start + timedelta(hours=1), value,
                                                   value)).walk("VEVENT")[0]
    return str(event["summary"]), str(event.get("location", "")), str(event["description"])


def unescape_markdown(value: str) -> str:
    out, escaped = [], False
    for ch in value.replace("\u2060", ""):
        if ch == "\\" and not escaped:
            escaped = True
            continue
        out.append(ch)
        escaped = False
    return "".join(out)


@SETTINGS
@given(value=ANY_TEXT)
def test_every_export_takes_any_stored_text_without_crash_or_loss(value):
    """Also text stored before the rule: each export scrubs, and keeps every other character."""
    kept = txt.scrub(value)
    cell = "'" + kept if kept.startswith(exports.FORMULA_PREFIXES) else kept
    assert roundtrip_csv(value) == cell
    assert roundtrip_xlsx(value) == (cell or "")
    summary, location, description = roundtrip_ics(value)
    assert summary == kept and description == kept and location in (kept, "")
    items = agenda.build(load("da").single, "single", datetime(2027, 3, 2, 9), 6, ["focus"]).items
    labels = dict.fromkeys(("when", "place", "facilitators", "time", "step", "minutes"), "x")
    title_line = exports.agenda_markdown(value, "i dag", value, value, items, labels).splitlines()[0]
    assert unescape_markdown(title_line[2:]) == " ".join(kept.replace("\u2060", "").split())
    pdf = exports.simple_pdf(value, [value], ["A"], [[value]], [100], [value])
    assert pdf.startswith(b"%PDF-")
    # Core PDF fonts are Latin-1: what they can show is there, the rest is '?' (documented).
    assert len(exports.pdf_text(kept)) == len(kept) + 2 * kept.count("…")  # nothing dropped silently
    assert exports.code_slips_pdf(value, ["ABCD-EFGH"], value).startswith(b"%PDF-")


CHART_WORKER = """
import json, sys
from servicetjek import charts, exports
from servicetjek.content import THEME_IDS, load
names = load('da').theme_names()
for line in sys.stdin:
    label = json.loads(line)
    series = {'Denne runde': dict.fromkeys(THEME_IDS, 3.0), label: dict.fromkeys(THEME_IDS, 4.0)}
    spec = charts.radar(series, names).to_dict(validate=False)
    exports.chart_png(spec)
    svg = exports.chart_svg(spec)
    print(json.dumps(svg.decode('utf-8')), flush=True)
"""


@pytest.fixture(scope="module")
def chart_worker():
    """One child process renders the charts: an abort there is seen here, not suffered."""
    proc = subprocess.Popen([sys.executable, "-c", CHART_WORKER], cwd=ROOT, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    yield proc
    proc.stdin.close()
    proc.wait(timeout=60)


@settings(max_examples=15, deadline=None)
@given(value=ANY_TEXT)
@example(value="\x7f𗰏x\U0010369b¿\x1dáî\U0007d900¥Ä9}![b](http://x/y)\x01![b](http://x/y)\x10C\U000eeb52¾\U000d6e1d.")
def test_chart_png_and_svg_export_any_label_without_taking_the_process_down(chart_worker, value):
    chart_worker.stdin.write(json.dumps(value) + "\n")
    chart_worker.stdin.flush()
    answer = chart_worker.stdout.readline()
    assert answer, (chart_worker.poll(), chart_worker.stderr.read()[-2000:] if chart_worker.poll() else "")
    ElementTree.fromstring(json.loads(answer))  # well-formed SVG
