"""Long lists for organisations with many units: filter by unit and state, one page at a time."""

from __future__ import annotations

import math
from datetime import datetime

from servicetjek import org
from servicetjek.rounds import Round

PER_PAGE = 10


def filter_rounds(listed: list[Round], departments, unit: int | None, states: set[str],
                  now: datetime | None = None) -> list[Round]:
    """The rounds of `unit` and its sub-units (all when None) whose state is in `states` (all when empty)."""
    units = org.subtree_ids(departments, unit) if unit is not None else None
    return [r for r in listed if (units is None or r.department_id in units)
            and (not states or r.state(now) in states)]


def page(items: list, number: int, per_page: int = PER_PAGE) -> tuple[list, int]:
    """Page `number` (1-based, clamped) of `items`, and how many pages there are."""
    pages = max(1, math.ceil(len(items) / per_page))
    number = min(max(1, number), pages)
    return items[(number - 1) * per_page:number * per_page], pages
