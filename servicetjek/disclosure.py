"""What may be shown of a set of answers: thresholds and complementary suppression.

Kept apart from results.py because the group figures are computed once, when a round's
answers are first released (servicetjek/holding.py), and then only read.
"""

from __future__ import annotations

from servicetjek.content import THEME_IDS

NO_GROUP = ""


def suppress_partition(counts: dict[str, int], k: int, always_hidden: frozenset[str] = frozenset()) -> set[str]:
    """The cells of a shown total that may be shown.

    Hidden cells together must hold 0 or ≥ k answers, or the total minus the visible
    cells would reveal them.
    """
    visible = {c for c, n in counts.items() if n >= k and c not in always_hidden}
    while True:
        hidden_mass = sum(n for c, n in counts.items() if c not in visible)
        if hidden_mass == 0 or hidden_mass >= k or not visible:
            return visible
        visible.remove(min(visible, key=lambda c: (counts[c], c)))


def group_figures(rows: list[tuple], groups: tuple[str, ...], k: int) -> dict[str, dict | None]:
    """Mean per theme and count for each respondent group that may be shown, else None.

    `rows` hold the six scores in THEME_IDS order, then the group (None: no group chosen).
    Answers without a group are never shown on their own.
    """
    by_group: dict[str, list[tuple]] = {}
    for row in rows:
        by_group.setdefault(row[len(THEME_IDS)] or NO_GROUP, []).append(row)
    counts = {g: len(members) for g, members in by_group.items()}
    visible = suppress_partition(counts, k, frozenset({NO_GROUP}))
    figures: dict[str, dict | None] = dict.fromkeys(groups)
    for g in visible:
        members = by_group[g]
        figures[g] = {"n": len(members)} | {t: sum(r[i] for r in members) / len(members)
                                            for i, t in enumerate(THEME_IDS)}
    return figures
