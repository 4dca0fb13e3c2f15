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
    boards = wanted & access.allowed_departments(user, access.VIEW_BOARD, departments)
    unit_of = {t.id: t.department_id for t in trials.for_departments(db, boards)}
    late: dict[int, list[date]] = {}
    for c in trials.overdue(db, list(unit_of), today or clock.today()):
        late.setdefault(unit_of[c.trial_id], []).append(c.due)
    for dept_id in sorted(late):
        out.append(Attention(dept_id, "overdue", {"n": len(late[dept_id]), "since": min(late[dept_id])}))
    readable = wanted & access.allowed_departments(user, access.VIEW_RESULTS, departments)
    latest: dict[int, rounds.Round] = {}
    # One read of the workshop flags, not one per round (each memoised read asks PostgreSQL
    # whether anything changed: ~0.3 ms × a thousand rounds).
    workshops = rounds.workshop_ids(db)
    for r in rounds.for_departments(db, readable):  # newest first
        if r.id not in workshops:  # the group's own few answers are no low response
            latest.setdefault(r.department_id, r)
    headcount = {d.id: d.headcount for d in departments}
    glance = results.released_glance(db, user, list(latest.values()))
    for dept_id, round_ in sorted(latest.items()):
        n, split = glance[round_.id]
        rate = rounds.response_rate(n, headcount.get(dept_id))
        if rate is not None and rate < LOW_RESPONSE:
            out.append(Attention(dept_id, "low_response", {"title": round_.title, "n": n,
                                                           "of": headcount.get(dept_id)}))
        if split:
            out.append(Attention(dept_id, "disagreement", {"title": round_.title, "themes": split}))
    return out
