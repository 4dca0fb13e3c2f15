"""Read-only results links: one round's released figures for the employees (issue 13).

The receipt promises that the facilitator shares the results. A facilitator may share a round
by link (an explicit choice; looking never creates one) and stop it again. The link shows the
whole round's figures from `results.figures` – the same released answers as every other view,
so it moves in steps of at least k like them – and nothing else: no comments, no respondent
groups, no live count of answers waiting.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from servicetjek import access, org, results, rounds, routing
from servicetjek.db import Database
from servicetjek.errors import DomainError
from servicetjek.results import ThemeStats
from servicetjek.users import User

TOKEN_LENGTH = 32  # secrets.token_urlsafe(24)


@dataclass(frozen=True)
class SharedResults:
    title: str
    department: str
    n: int  # released answers behind the figures
    threshold: int
    themes: dict[str, ThemeStats] | None  # None: too few released answers to show anything
    # Only for rounds without respondent groups: the advice there may name groups.
    recommendation: routing.Recommendation | None


def _require(db: Database, user: User, round_id: int) -> rounds.Round:
    round_ = rounds.get(db, round_id)
    if round_ is None:
        raise DomainError("results.unknown_round")
    access.require(user, access.MANAGE_ROUNDS, round_.department_id, org.all_departments(db))
    return round_


def token(db: Database, user: User, round_id: int) -> str | None:
    """The round's results link token, if it is shared."""
    _require(db, user, round_id)
    row = db.query_one("SELECT token FROM result_links WHERE round_id = ?", [round_id])
    return row[0] if row else None


def share(db: Database, user: User, round_id: int) -> str:
    """Share the round's results by link; sharing again keeps the same link."""
    _require(db, user, round_id)
    if rounds.is_workshop(db, round_id):
        # A workshop's answers are shown from the first one and are for the group only.
        raise DomainError("shared_results.workshop")
    db.execute("INSERT INTO result_links VALUES (?, ?) ON CONFLICT (round_id) DO NOTHING",
               [round_id, secrets.token_urlsafe(24)])
    return token(db, user, round_id)


def stop(db: Database, user: User, round_id: int) -> None:
    _require(db, user, round_id)
    db.execute("DELETE FROM result_links WHERE round_id = ?", [round_id])


def view(db: Database, link_token: str | None) -> SharedResults | None:
    """What the link shows; None for an unknown or stopped link."""
    if not isinstance(link_token, str) or len(link_token) != TOKEN_LENGTH:
        return None
    row = db.query_one("SELECT round_id FROM result_links WHERE token = ?", [link_token])
    round_ = rounds.get(db, row[0]) if row else None
    if round_ is None or rounds.is_workshop(db, round_.id):
        return None
    result = results.figures(db, round_)
    dept = org.get(db, round_.department_id)
    advice = results.recommendation(result, with_groups=False) if not round_.respondent_groups else None
    return SharedResults(round_.title, dept.name if dept else "", result.n, result.threshold, result.themes, advice)
