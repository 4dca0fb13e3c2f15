"""Exception lists for managers of many units: where to look first.

Units with overdue stop-ops, a low response in their latest round, or strong disagreement in
it. Figures come from round_results, so the same release rule applies as on every page, and
each list only names units the user may see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from servicetjek import access, clock, org, results, rounds, trials
from servicetjek.db import Database
from servicetjek.users import User

LOW_RESPONSE = 0.5  # below half of the unit's headcount, the figures speak for few


@dataclass(frozen=True)
class Attention:
    department_id: int
    kind: str  # "overdue" | "low_response" | "disagreement"
    params: dict


def units_needing_attention(db: Database, user: User, department_ids: list[int],
                            today: date | None = None) -> list[Attention]:
    departments = org.all_departments(db)
    wanted = set(department_ids)
    out: list[Attention] = []
    boards = sorted(wanted & access.allowed_departments(user, access.VIEW_BOARD, departments))
    for dept_id in boards:
        own = [t.id for t in trials.for_departments(db, {dept_id})]
        late = trials.overdue(db, own, today or clock.today())
        if late:
            out.append(Attention(dept_id, "overdue", {"n": len(late), "since": min(c.due for c in late)}))
    readable = wanted & access.allowed_departments(user, access.VIEW_RESULTS, departments)
    latest: dict[int, rounds.Round] = {}
    for r in rounds.for_departments(db, readable):  # newest first
        if not rounds.is_workshop(db, r.id):  # the group's own few answers are no low response
            latest.setdefault(r.department_id, r)
    for dept_id, round_ in sorted(latest.items()):
        result = results.round_results(db, user, round_.id)
        rate = rounds.response_rate(result.n, result.headcount)
        if rate is not None and rate < LOW_RESPONSE:
            out.append(Attention(dept_id, "low_response", {"title": round_.title, "n": result.n,
                                                           "of": result.headcount}))
        split = results.disagreements(result)
        if split:
            out.append(Attention(dept_id, "disagreement", {"title": round_.title, "themes": split}))
    return out
