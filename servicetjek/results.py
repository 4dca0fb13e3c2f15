"""Results with anonymity built in.

Three rules keep every figure at or above the threshold k, in every view and export, and
keep any two views from differing by fewer than k answers (docs/security.md):

1. Release in steps. A round's figures are computed from its *released* answers only. An
   open round releases when at least k answers arrived since its last release; a closed
   round releases what is left if that is at least k (servicetjek/holding.py). So the
   views of one round, taken at any moments, are nested sets whose differences hold ≥ k.
2. A round is the smallest unit ever rolled up, and only its answers moved into the main
   table at close are. Every roll-up (units, periods, trends, parents) is a sum over whole
   rounds' released sets, so any difference between roll-ups is again such a sum.
3. Respondent groups are cells of a partition whose total is shown. Rounds with groups
   release only at close, and their group figures are computed once, at their first
   release, and kept: a group below k is hidden, and hidden cells (plus answers without a
   group) must together hold 0 or at least k answers (complementary suppression).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime

from servicetjek import access, clock, holding, org, rounds, routing, settings
from servicetjek.content import THEME_IDS
from servicetjek.db import Database
from servicetjek.disclosure import NO_GROUP, suppress_partition  # noqa: F401 - re-exported for callers
from servicetjek.errors import DomainError, PermissionDenied
from servicetjek.rounds import Round
from servicetjek.rounds import get as get_round
from servicetjek.users import User

DISAGREEMENT_SD = 1.2


@dataclass(frozen=True)
class ThemeStats:
    mean: float
    sd: float
    distribution: tuple[int, int, int, int, int]  # answers scoring 1..5


@dataclass
class RoundResults:
    round: Round
    n: int
    threshold: int
    headcount: int | None
    themes: dict[str, ThemeStats] | None  # None: too few answers to show anything
    groups: dict[str, dict[str, float] | None] = field(default_factory=dict)  # None: suppressed
    group_counts_shown: dict[str, int] = field(default_factory=dict)
    comments: list[str] | None = None  # None: too few answers, or withheld from this user
    comments_withheld: bool = False  # the settings do not let this user read comments
    received: int = 0  # every answer received, released or not (the live count)
    groups_n: int | None = None  # answers behind the frozen group figures
    groups_at_close: bool = False  # an open round with groups: their figures come at close

    @property
    def waiting(self) -> int:
        """Answers received but not in the figures yet."""
        return self.received - self.n

    @property
    def needed_for_update(self) -> int | None:
        """More answers needed before the figures move again; None when they only move at close."""
        if self.round.state() != "open" or self.groups_at_close:
            return None
        return self.threshold - self.waiting

    @property
    def suppressed(self) -> bool:
        return self.themes is None

    def means(self) -> dict[str, float]:
        return {t: s.mean for t, s in (self.themes or {}).items()}


def _require_round(db: Database, user: User, round_id: int) -> Round:
    round_ = get_round(db, round_id)
    if round_ is None:
        raise DomainError("results.unknown_round")
    access.require(user, access.VIEW_RESULTS, round_.department_id, org.all_departments(db))
    return round_


def theme_stats(rows: list[tuple]) -> dict[str, ThemeStats]:
    """Mean, spread and 1–5 distribution per theme; rows start with the six scores."""
    stats = {}
    for i, t in enumerate(THEME_IDS):
        values = [row[i] for row in rows]
        mean = sum(values) / len(values)
        sd = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
        stats[t] = ThemeStats(mean, sd, tuple(values.count(v) for v in range(1, 6)))
    return stats


def released_rows(db: Database, round_: Round) -> list[tuple]:
    """The round's released answers (scores, group, comment) – the only rows any figure uses.

    Settles a round that has closed, and releases an open round's waiting answers when at
    least k have arrived (rounds with groups wait for close).
    """
    store = holding.for_database(db)
    state = store.state(round_.id)
    if round_.state() == "closed" and (state is None or not state.settled):
        rounds.settle(db, round_.id)
    elif round_.state() == "open" and not round_.respondent_groups:
        store.release(round_.id, rounds.release_step(db, round_.id))
    settled = db.query(f"SELECT {', '.join(holding.ANSWER_COLUMNS)} FROM responses WHERE round_id = ?",
                       [round_.id])
    return settled + store.released_held_rows(round_.id)


def may_read_comments(db: Database, user: User) -> bool:
    """Comments go to the people who run the unit's rounds: its facilitators (access to the
    round is checked by the caller) and admins; managers only when the setting allows it."""
    if user.role in ("admin", "facilitator"):
        return True
    return user.role == "manager" and settings.comment_readers(db) == "managers"


def round_results(db: Database, user: User, round_id: int) -> RoundResults:
    result = figures(db, _require_round(db, user, round_id))
    if not may_read_comments(db, user):
        result.comments, result.comments_withheld = None, True
    return result


def figures(db: Database, round_: Round) -> RoundResults:
    """The round's released figures. No access check: callers check first (round_results) or
    hold a shared results link (servicetjek/result_links.py), so every view uses one release rule."""
    round_id = round_.id
    k, k_comments = settings.min_answers(db), settings.min_comments(db)
    if rounds.is_workshop(db, round_id):
        k = k_comments = 1  # not anonymous, and the form says so: every answer is shown
    dept = org.get(db, round_.department_id)
    rows = released_rows(db, round_)
    result = RoundResults(round_, len(rows), k, dept.headcount if dept else None, None,
                          received=rounds.response_count(db, round_id),
                          groups_at_close=bool(round_.respondent_groups) and round_.state() != "closed")
    if result.n < k:
        return result
    result.themes = theme_stats(rows)
    state = holding.for_database(db).state(round_id)
    frozen = (state.groups if state else None) or {}
    result.groups_n = state.groups_n if state else None
    for g in round_.respondent_groups:
        group = frozen.get(g)
        result.groups[g] = {t: group[t] for t in THEME_IDS} if group else None
        if group:
            result.group_counts_shown[g] = group["n"]
    if result.n >= k_comments:
        # random order: comments never come back in the order they arrived
        comments = [row[-1] for row in rows if row[-1] is not None]
        result.comments = random.sample(comments, len(comments))
    return result


def released_glance(db: Database, user: User, round_list: list[Round]) -> dict[int, tuple[int, list[str]]]:
    """Each round's released answer count and disagreements, for many rounds at once (the
    dashboard's attention list): the same figures as round_results, by the same release rule.

    A round with nothing held (no holding file) and no pending settle has only its settled
    answers released, so one GROUP BY over `responses` serves all of those; any other round
    goes through figures() one by one (it may release or settle on the way). Reading 500
    rounds one by one took ~4 s of server CPU per dashboard run.
    """
    departments = org.all_departments(db)
    allowed = access.allowed_departments(user, access.VIEW_RESULTS, departments)
    if any(r.department_id not in allowed for r in round_list):
        raise PermissionDenied()
    if not round_list:
        return {}
    # The per-round sums (servicetjek/totals.py), not every answer.
    ids = [r.id for r in round_list]
    rows = db.query(
        "SELECT r.id, s.round_id IS NULL, s.holding_file IS NULL, coalesce(s.settled, false),"
        f" coalesce(x.n, 0), {', '.join(f'x.s_{t}, x.q_{t}' for t in THEME_IDS)}"
        " FROM rounds r LEFT JOIN round_state s ON s.round_id = r.id"
        " LEFT JOIN round_totals x ON x.round_id = r.id WHERE r.id = ANY(?)", [ids])
    by_id = {r.id: r for r in round_list}
    release_step = rounds.release_steps(db)
    out = {}
    for round_id, no_state, nothing_held, settled, n, *sums in rows:
        round_ = by_id[round_id]
        if not nothing_held or (round_.state() == "closed" and (no_state or not settled)):
            result = figures(db, round_)
            out[round_id] = (result.n, disagreements(result))
            continue
        split = []
        if n and n >= release_step(round_id):
            for i, t in enumerate(THEME_IDS):
                mean = sums[2 * i] / n
                if math.sqrt(max(sums[2 * i + 1] / n - mean * mean, 0.0)) >= DISAGREEMENT_SD:
                    split.append(t)
        out[round_id] = (n, split)
    return out


def disagreements(result: RoundResults) -> list[str]:
    """Themes where answers spread widely – the method asks us to be curious there."""
    if result.themes is None:
        return []
    return [t for t, s in result.themes.items() if s.sd >= DISAGREEMENT_SD]


def recommendation(result: RoundResults, with_groups: bool = True) -> routing.Recommendation | None:
    """The routing advice from released figures (None when they are held back)."""
    if result.themes is None:
        return None
    group_means = {g: m for g, m in result.groups.items() if m} if with_groups else {}
    return routing.recommend(result.means(), group_means, disagreements(result))


# A workshop round is the working-environment group's own, not anonymous exercise: it is read
# on its own and never mixed into the unit's roll-ups, trends or before/after comparisons.
NOT_WORKSHOP = "r.id NOT IN (SELECT round_id FROM workshop_rounds)"


def _share(part: str, whole: str, condition: str | None = None) -> str:
    """sum(part) / sum(whole) as a fraction on both engines (PostgreSQL divides integers whole)."""
    where = f" FILTER (WHERE {condition})" if condition else ""
    return f"CAST(sum({part}){where} AS DOUBLE PRECISION) / sum({whole}){where}"


def _rollup_sql(period: bool, k: int) -> str:
    k = int(k)  # a number from the settings, written into the SQL
    sums = ", ".join(f"x.s_{t}" for t in THEME_IDS)
    means = ", ".join(f"{_share(f's_{t}', 'n', f'n >= {k}')} AS {t}" for t in THEME_IDS)
    where = f"WHERE {NOT_WORKSHOP}" + (" AND r.opens_at >= ? AND r.opens_at < ?" if period else "")
    return f"""
        WITH RECURSIVE anc(id, ancestor) AS (
            SELECT id, id FROM departments
            UNION ALL
            SELECT a.id, d.parent_id FROM anc a JOIN departments d ON d.id = a.ancestor
            WHERE d.parent_id IS NOT NULL
        ),
        per_round AS (
            SELECT r.id AS round_id, r.department_id, coalesce(x.n, 0) AS n,
                   coalesce(s.held_back, 0) AS held, {sums}
            FROM rounds r LEFT JOIN round_totals x ON r.id = x.round_id
            LEFT JOIN round_state s ON s.round_id = r.id {where}
            AND coalesce(x.n, 0) + coalesce(s.held_back, 0) > 0
        )
        SELECT anc.ancestor AS department_id,
               sum(n + held) AS answers_total,
               coalesce(sum(n) FILTER (WHERE n >= {k}), 0) AS n,
               count(*) FILTER (WHERE n >= {k}) AS rounds_counted,
               count(*) FILTER (WHERE n < {k}) AS rounds_too_small,
               {means}
        FROM per_round JOIN anc ON anc.id = per_round.department_id
        GROUP BY anc.ancestor
    """


def unit_rollup(db: Database, user: User, start: datetime, end: datetime,
                root_id: int | None = None) -> list[dict]:
    """Mean importance per department (its whole subtree) for rounds opening in [start, end).

    One row per department the user may see (inside `root_id`'s subtree when given).
    Departments without reportable answers still get a row with n = 0.
    """
    rounds.settle_due(db)
    departments = org.all_departments(db)
    allowed = access.allowed_departments(user, access.VIEW_RESULTS, departments)
    if root_id is not None:
        if root_id not in allowed:
            raise DomainError("access.denied")
        allowed &= org.subtree_ids(departments, root_id)
    k = settings.min_answers(db)
    rows = {r["department_id"]: r for r in db.query_dicts(
        _rollup_sql(period=True, k=k), [start, end])}
    out, path_names = [], org.paths(departments)
    for dept, depth in org.ordered_tree([d for d in departments if d.id in allowed]):
        row = rows.get(dept.id) or {"answers_total": 0, "n": 0, "rounds_counted": 0, "rounds_too_small": 0}
        item = {"department_id": dept.id, "name": dept.name, "path": path_names[dept.id],
                "depth": depth, "archived": dept.archived, "headcount": dept.headcount,
                "answers_total": int(row["answers_total"] or 0), "n": int(row["n"] or 0),
                "rounds_counted": int(row["rounds_counted"]), "rounds_too_small": int(row["rounds_too_small"])}
        for t in THEME_IDS:
            value = row.get(t)
            item[t] = float(value) if value is not None and item["n"] >= k else None
        out.append(item)
    return out


def trend(db: Database, user: User, department_id: int) -> list[dict]:
    """One point per measuring day in the department's subtree, oldest first.

    Rounds of sub-units opened the same day are one wave: their answers are pooled (only
    rounds that reach the threshold, as everywhere), so a parent unit gets one line per theme.
    """
    rounds.settle_due(db)
    departments = org.all_departments(db)
    access.require(user, access.VIEW_RESULTS, department_id, departments)
    k = settings.min_answers(db)
    ids = sorted(org.subtree_ids(departments, department_id))
    sums = ", ".join(f"x.s_{t} AS {t}" for t in THEME_IDS)
    means = ", ".join(f"{_share(t, 'n')} AS {t}" for t in THEME_IDS)
    return db.query_dicts(
        f"WITH per_round AS (SELECT r.id, r.title, {clock.sql_local_date('r.opens_at')} AS day, x.n, {sums}"
        " FROM round_totals x JOIN rounds r ON r.id = x.round_id"
        f" WHERE r.department_id = ANY(?) AND {NOT_WORKSHOP} AND x.n >= ?)"
        f" SELECT day AS opens_at, string_agg(DISTINCT title, ', ' ORDER BY title) AS title,"
        f" array_agg(id ORDER BY id) AS round_ids, sum(n) AS n, {means} FROM per_round GROUP BY day ORDER BY day",
        [ids, k])


def export_table(result: RoundResults, theme_names: dict[str, str], labels: dict[str, str]) -> tuple[list, list]:
    """The round's figures as a table for CSV/XLSX, with the same suppression as the page."""
    header = [labels["theme"], labels["mean"], labels["sd"], *[f"{v}" for v in range(1, 6)]]
    group_names = sorted(result.groups)
    header += [f"{labels['group']}: {g}" for g in group_names]
    rows = []
    for t in THEME_IDS:
        if result.themes is None:
            rows.append([theme_names[t], labels["too_few"], "", "", "", "", "", "", *[""] * len(group_names)])
            continue
        s = result.themes[t]
        groups = [round(result.groups[g][t], 2) if result.groups[g] else labels["too_few"] for g in group_names]
        rows.append([theme_names[t], round(s.mean, 2), round(s.sd, 2), *s.distribution, *groups])
    return header, rows


def parent_means(db: Database, user: User, round_: Round, days: int = 365) -> tuple[str, dict[str, float]] | None:
    """The parent unit's mean importance over the last year (its whole subtree), to compare with.

    Uses the same roll-up as the dashboard, so the same suppression applies; None when the
    parent has too few answers or the user may not see it.
    """
    from datetime import timedelta

    dept = org.get(db, round_.department_id)
    if dept is None or dept.parent_id is None:
        return None
    departments = org.all_departments(db)
    if not access.can(user, access.VIEW_RESULTS, dept.parent_id, departments):
        return None
    end = round_.opens_at + timedelta(days=1)
    rows = unit_rollup(db, user, end - timedelta(days=days), end, dept.parent_id)
    parent = next(r for r in rows if r["department_id"] == dept.parent_id)
    if not parent["n"]:
        return None
    return parent["name"], {t: parent[t] for t in THEME_IDS}


def comparable_previous_round(db: Database, user: User, round_: Round) -> tuple[Round, RoundResults] | None:
    """The department's latest earlier round that has figures to show, for before/after.

    An interim round with too few answers must not hide the comparison: it is skipped, and
    the figures come from round_results, so the same release rule applies as everywhere.
    """
    rows = db.query(f"SELECT id FROM rounds r WHERE department_id = ? AND opens_at < ? AND {NOT_WORKSHOP}"
                    " ORDER BY opens_at DESC", [round_.department_id, round_.opens_at])
    for (round_id,) in rows:
        earlier = round_results(db, user, round_id)
        if not earlier.suppressed:
            return earlier.round, earlier
    return None
