"""The method's routing: which meeting should the department hold?

One theme clearly most important → a one-hour meeting on that theme. Two or more about
equally important, or important to different respondent groups → a dialogue meeting on
those themes. Known tensions between high themes are pointed out.
"""

from __future__ import annotations

from dataclasses import dataclass

from servicetjek.content import THEME_IDS
from servicetjek.i18n import Message

CLEAR_GAP = 0.5  # the top theme leads the next by at least this much → "clearly most important"
IMPORTANT = 3.5  # a mean at or above this counts as important
LOW = 3.0  # if even the top theme is below this, nothing stands out as important
MAX_DIALOGUE_THEMES = 4
TENSIONS = (("focus", "availability"), ("flexibility", "cohesion"), ("flexibility", "fairness"))


Reason = Message  # why the method recommends this meeting


@dataclass(frozen=True)
class Recommendation:
    kind: str  # "single" | "dialogue"
    themes: tuple[str, ...]
    reasons: tuple[Reason, ...]
    tensions: tuple[tuple[str, str], ...] = ()


def _ranked(means: dict[str, float]) -> list[tuple[str, float]]:
    # Ties are broken by the method's theme order so the result is deterministic.
    return sorted(means.items(), key=lambda kv: (-kv[1], THEME_IDS.index(kv[0])))


def recommend(means: dict[str, float], group_means: dict[str, dict[str, float]] | None = None) -> Recommendation:
    if set(means) != set(THEME_IDS):
        raise ValueError("means for all six themes are needed")
    ranked = _ranked(means)
    (top, top_mean), (_second, second_mean) = ranked[0], ranked[1]
    reasons: list[Reason] = []

    group_tops = {}
    for group, gm in (group_means or {}).items():
        if gm:
            group_tops[group] = _ranked(gm)[0][0]
    differing_groups = len(set(group_tops.values())) > 1

    close = [t for t, m in ranked if top_mean - m < CLEAR_GAP and m >= IMPORTANT][:MAX_DIALOGUE_THEMES]
    if differing_groups:
        themes = list(dict.fromkeys([*close, *group_tops.values()]))[:MAX_DIALOGUE_THEMES]
        if top not in themes:
            themes.insert(0, top)
        reasons.append(Reason("routing.groups_differ", {"groups": dict(group_tops)}))
        kind = "dialogue"
    elif top_mean - second_mean >= CLEAR_GAP:
        themes, kind = [top], "single"
        reasons.append(Reason("routing.clear_top", {"theme": top, "mean": top_mean, "gap": top_mean - second_mean}))
    elif len(close) >= 2:
        themes, kind = close, "dialogue"
        reasons.append(Reason("routing.several_close", {"themes": close, "gap": CLEAR_GAP}))
    else:
        themes, kind = [top], "single"
        reasons.append(Reason("routing.small_lead", {"theme": top, "mean": top_mean, "gap": top_mean - second_mean}))

    if top_mean < LOW:
        reasons.append(Reason("routing.all_low", {"limit": LOW}))
    high = {t for t, m in means.items() if m >= IMPORTANT} | set(themes)
    tensions = tuple(pair for pair in TENSIONS if set(pair) <= high)
    return Recommendation(kind, tuple(themes), tuple(reasons), tensions)
