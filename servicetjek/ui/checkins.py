"""What the stop-ops found, as lines of Markdown: the board, the decision and the public board."""

from __future__ import annotations

from servicetjek import trials
from servicetjek.content import load
from servicetjek.ui.common import T, lang, md

ANSWERS = ("learned", "continue_with", "adjust")


def checkin_lines(trial: trials.Trial, points: list[trials.Checkpoint]) -> list[str]:
    """One line per stop-op held with answers, oldest first: date, then question and answer."""
    questions = load(lang()).trials["checkin_questions"]
    lines = []
    for c in points:
        if c.trial_id != trial.id or c.kind != "checkin" or c.done_at is None:
            continue
        said = [f"**{q}** {md(getattr(c, a))}" for q, a in zip(questions, ANSWERS, strict=True) if getattr(c, a)]
        if said:
            lines.append("  \n".join([f"*{T('board.checkin_title', date=f'{c.due:%d.%m.%Y}')}*", *said]))
    return lines
