"""One clock: stored times are UTC, shown times and calendar files are Copenhagen's, whatever TZ says.

`make test` runs this file (and the other time-sensitive ones) a second time under
TZ=America/New_York; every test here also holds under TZ=UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from icalendar import Calendar

from servicetjek import clock, exports, meetings, results, rounds, trials
from servicetjek.content import THEME_IDS, load
from servicetjek.db import Database
from tests.test_pages import login

# 00:30 in Copenhagen on 2 March 2027 is 23:30 UTC on 1 March (winter time, UTC+1).
DAY = date(2027, 3, 2)
JUST_AFTER_MIDNIGHT = datetime(2027, 3, 2, 0, 30)


def test_now_is_aware_utc_and_today_is_copenhagens():
    assert clock.now().utcoffset() == timedelta(0)
    with clock.frozen(datetime(2026, 11, 27, 23, 30, tzinfo=UTC)):
        assert clock.today() == date(2026, 11, 28)  # already Saturday in Copenhagen
        assert clock.utcnow() == datetime(2026, 11, 27, 23, 30)
        assert clock.local_now().hour == 0


def test_conversions_follow_daylight_saving_time():
    assert clock.to_storage(datetime(2027, 1, 10, 9, 0)) == datetime(2027, 1, 10, 8, 0)  # CET
    assert clock.to_storage(datetime(2027, 6, 10, 9, 0)) == datetime(2027, 6, 10, 7, 0)  # CEST
    assert clock.to_local(datetime(2027, 6, 10, 7, 0)).replace(tzinfo=None) == datetime(2027, 6, 10, 9, 0)
    start, end = clock.day_range(date(2027, 3, 28))  # clocks go forward: a 23-hour day
    assert end - start == timedelta(hours=23)
    assert clock.days_range(DAY, DAY) == (datetime(2027, 3, 1, 23, 0), datetime(2027, 3, 2, 23, 0))


def test_database_defaults_are_utc(db, people):
    """current_timestamp defaults must not follow the server's zone (TZ=America/New_York is 5 hours off)."""
    created = db.query_one("SELECT created_at FROM users WHERE username = 'admin'")[0]
    assert abs(created - clock.utcnow()) < timedelta(minutes=5)


def _round_just_after_local_midnight(db, people, org_tree, answers=5):
    r, _ = rounds.create(db, people["admin"], org_tree["A1"], "Nat", JUST_AFTER_MIDNIGHT, datetime(2099, 1, 1))
    assert r.opens_at == datetime(2027, 3, 1, 23, 30)  # stored as UTC
    for i in range(answers):
        rounds.submit(db, r.token, dict.fromkeys(THEME_IDS, 4), session_key=f"n{i}",
                      now=datetime(2027, 3, 2, 8, 0))
    rounds.close(db, people["admin"], r.id)  # roll-ups count closed rounds
    return r


def test_dashboard_counts_a_round_on_its_copenhagen_day(db, org_tree, people):
    """A round opened at 00:30 Copenhagen time belongs to that day in the dashboard's period filter."""
    _round_just_after_local_midnight(db, people, org_tree)
    at = login(db, "leder")
    at.switch_page("pages/dashboard.py").run()
    at.date_input(key="dash_period").set_value((DAY, DAY)).run()
    assert not at.exception
    table = at.dataframe[0].value
    answers = dict(zip(table.iloc[:, 0], table.iloc[:, 1], strict=True))
    assert answers["Forvaltning A › Team A1"] == 5
    at.date_input(key="dash_period").set_value((DAY - timedelta(days=1), DAY - timedelta(days=1))).run()
    table = at.dataframe[0].value
    assert dict(zip(table.iloc[:, 0], table.iloc[:, 1], strict=True))["Forvaltning A › Team A1"] == 0


def test_trend_puts_a_round_on_its_copenhagen_day(db, org_tree, people):
    _round_just_after_local_midnight(db, people, org_tree)
    points = results.trend(db, people["manager"], org_tree["A1"])
    assert [p["opens_at"] for p in points] == [DAY]


def test_meeting_time_is_stored_in_utc_and_shown_and_invited_in_copenhagen(db, org_tree, people):
    """A meeting at 09:00 after the spring change (CEST, UTC+2) is stored as 07:00 UTC."""
    starts = datetime(2027, 3, 29, 9, 0)
    meeting = meetings.plan(db, people["facilitator"], org_tree["A1"], "single", "Fokus", starts, 12, ["focus"],
                            "A", "Mødelokale 2", "Tina")
    assert db.query_one("SELECT starts_at FROM meetings WHERE id = ?", [meeting.id])[0] == datetime(2027, 3, 29, 7, 0)
    assert meeting.starts_at == starts  # the planner and every page see the wall clock
    a = meetings.meeting_agenda(meeting, load("da"))
    event = Calendar.from_ical(exports.meeting_ics("m@servicetjek", meeting.title, a.items[0].start, a.end,
                                                   meeting.place, "")).walk("VEVENT")[0]
    assert "DTSTART;TZID=Europe/Copenhagen:20270329T090000" in event.to_ical().decode()
    assert event.decoded("dtstart").astimezone(UTC) == datetime(2027, 3, 29, 7, 0, tzinfo=UTC)


def test_migration_moves_meeting_times_from_wall_clock_to_utc(tmp_path):
    """0007 converts meetings written by earlier versions (Copenhagen wall-clock) to UTC."""
    path = tmp_path / "old.duckdb"
    import duckdb

    from servicetjek import db as dbmod

    old = [m for m in dbmod.migrations() if m[0] < 7]
    conn = duckdb.connect(str(path))
    conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
                 " applied_at TIMESTAMP DEFAULT current_timestamp)")
    for version, name, sql in old:
        for statement in dbmod._split_sql(sql):
            conn.execute(statement)
        conn.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [version, name])
    conn.execute("INSERT INTO meetings (department_id, kind, title, starts_at, participants, themes, decision,"
                 " created_by) VALUES (1, 'single', 'Gammel', TIMESTAMP '2027-06-10 09:00:00', 10, ['focus'], 'A',"
                 " 'x'), (1, 'single', 'Vinter', TIMESTAMP '2027-01-10 09:00:00', 10, ['focus'], 'A', 'x')")
    conn.close()
    database = Database(path)
    try:
        assert "0007_one_clock.sql" in database.applied
        assert database.query("SELECT starts_at FROM meetings ORDER BY title") == [
            (datetime(2027, 6, 10, 7, 0),), (datetime(2027, 1, 10, 8, 0),)]
    finally:
        database.close()


def test_overdue_check_ins_use_copenhagens_date(db, org_tree, people):
    """Just after midnight in Copenhagen (still yesterday in UTC and New York) a check-in due yesterday is late."""
    m = people["member"]
    t = trials.create(db, m, org_tree["A1"], "focus", "Stille timer", status="decided")
    t = trials.start(db, m, t.id, t.version, date(2027, 3, 1))
    first_due = min(c.due for c in trials.checkpoints_for(db, [t.id]))
    midnight = datetime.combine(first_due + timedelta(days=1), datetime.min.time()).replace(tzinfo=clock.LOCAL_TZ)
    with clock.frozen(midnight.astimezone(UTC) + timedelta(minutes=30)):
        assert [c.due for c in trials.overdue(db, [t.id])] == [first_due]
    with clock.frozen(midnight.astimezone(UTC) - timedelta(minutes=30)):
        assert trials.overdue(db, [t.id]) == []


def test_only_the_clock_module_reads_the_system_clock():
    """datetime.now()/date.today() elsewhere would bring the server's zone back in."""
    root = Path(__file__).resolve().parent.parent
    pattern = re.compile(r"\b(datetime\.now|datetime\.utcnow|date\.today|datetime\.today)\(|\btime\.localtime\(")
    offenders = [f"{path.relative_to(root)}:{n}" for path in [*(root / "servicetjek").rglob("*.py"),
                                                              *(root / "pages").glob("*.py"), root / "streamlit_app.py"]
                 if path.name != "clock.py"
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if pattern.search(line)]
    assert not offenders, offenders
