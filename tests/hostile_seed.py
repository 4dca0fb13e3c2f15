"""A database with hostile Markdown/HTML in every user-text field (issue 12, point 5).

Used by the AppTest checks (tests/test_markup.py) and the browser check
(tests/e2e/test_markup_browser.py). Every payload carries a tag ("Øv<tag>") so a test can
tell that the field was rendered, and points its images and links at `beacon` – a
loopback port nobody listens on, so a fetch shows up as a request in the browser.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from servicetjek import meetings, org, rounds, trials, users
from servicetjek.content import THEME_IDS

# Raw markup from a payload, not preceded by the escaping backslash.
UNESCAPED = re.compile(r"(?<!\\)(!\[|\]\(http|<img|<a |:violet\[|:material/home|\$x\$|# Øv)")


def payload(tag: str, beacon: str, limit: int) -> str:
    """As much attack as fits in `limit` characters, always starting with a heading and an image."""
    parts = [f"# Øv{tag}", f"![b]({beacon}/{tag})", f"<img src={beacon}/i{tag}>", f"[l]({beacon}/l{tag})",
             ":violet[r] :material/home:", "$x$"]
    out = ""
    for part in parts:
        if len(out) + len(part) + 1 <= limit:
            out = f"{out} {part}".strip()
    assert len(out) <= limit and "](" in out, (tag, out)
    return out


def seed(db, beacon: str, password: str) -> dict:
    """Hostile names everywhere; returns ids and the tags that must appear on each page."""
    top = org.create(db, payload("top", beacon, org.MAX_NAME))
    team = org.create(db, payload("dept", beacon, org.MAX_NAME), top, headcount=30)
    admin = users.create(db, "admin", payload("name", beacon, users.MAX_NAME), password, "admin")
    now = datetime.now().replace(microsecond=0)
    groups = [payload("g1", beacon, rounds.MAX_GROUP_NAME), payload("g2", beacon, rounds.MAX_GROUP_NAME)]
    # Two closed rounds with enough answers: results, the previous-round and parent comparisons,
    # and groups that point at different themes (the recommendation names them).
    for title, opens, closes in (("prev", now - timedelta(days=60), now - timedelta(days=50)),
                                 ("round", now - timedelta(days=5), now - timedelta(hours=1))):
        r, _ = rounds.create(db, admin, team, payload(title, beacon, rounds.MAX_TITLE), now - timedelta(hours=1),
                             now + timedelta(days=3), groups=groups)
        for n in range(12):
            scores = dict.fromkeys(THEME_IDS, 2)
            scores["focus" if n % 2 else "trust"] = 5
            rounds.submit(db, r.token, scores, group=groups[n % 2], comment=payload(f"c{n}", beacon, 200),
                          session_key=f"{title}{n}")
        db.execute("UPDATE rounds SET opens_at = ?, closes_at = ? WHERE id = ?",
                   [rounds.local_to_utc(opens), rounds.local_to_utc(closes), r.id])
    # An open round: its rating form shows the title and the groups to anyone with the link.
    open_round, _ = rounds.create(db, admin, team, payload("open", beacon, rounds.MAX_TITLE), now - timedelta(hours=1),
                                  now + timedelta(days=3), groups=groups)
    # Meetings: one in its decision step (meeting mode's "Hvem gør hvad"), one finished (summary).
    def meeting(tag: str, starts: datetime) -> meetings.Meeting:
        return meetings.plan(db, admin, team, "single", payload(tag, beacon, meetings.MAX_TITLE), starts, 6,
                             ["focus"], place=payload(f"{tag}place", beacon, meetings.MAX_FIELD),
                             facilitators=payload(f"{tag}fac", beacon, meetings.MAX_FIELD))
    done = meeting("done", now - timedelta(days=1))
    for m in (done, meeting("live", now + timedelta(days=1))):
        proposal = meetings.add_proposal(db, admin, m.id, payload(f"{m.id}what", beacon, trials.MAX_WHAT), "focus",
                                         who=payload(f"{m.id}who", beacon, trials.MAX_WHAT))
        db.execute("UPDATE trials SET chosen = true WHERE id = ?", [proposal.id])
        steps = len(meetings.meeting_agenda(meetings.get(db, m.id), _content()).items)
        meetings.go_to_step(db, admin, m.id, steps - 1)
    meetings.decide(db, admin, done.id, "B", {}, note=payload("note", beacon, meetings.MAX_NOTE))
    # The board: a trial in every text field, one running with a check-in; shared publicly.
    texts = {f: payload(f, beacon, trials.MAX_WHAT if f in trials.LINE_FIELDS else trials.MAX_TEXT)
             for f in trials.TEXT_FIELDS}
    trial = trials.create(db, admin, team, "trust", texts["what"], texts["why"], texts["how"], texts["who"],
                          status="decided")
    trial = trials.update(db, admin, trial.id, trial.version, adjustments=texts["adjustments"])
    trials.start(db, admin, trial.id, trial.version, date.today() - timedelta(days=20))
    stopped = trials.create(db, admin, team, "focus", payload("stopwhat", beacon, trials.MAX_WHAT))
    trials.change_status(db, admin, stopped.id, stopped.version, "stopped",
                         reason=payload("reason", beacon, trials.MAX_TEXT))
    board = trials.share_board(db, admin, team)
    return {"team": team, "top": top, "board_token": board, "rating_token": open_round.token}


def _content():
    from servicetjek.content import load

    return load("da")
