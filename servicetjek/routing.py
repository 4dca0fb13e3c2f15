"""The method's routing: which meeting should the department hold?

The seed (p. 7): one theme that stands out as the most important → a meeting on that theme
(e.g. a staff meeting). Two or more equally important, or important to different groups →
a dialogue meeting on those themes. Every reason states what the numbers show, so a
reason can never contradict the figures beside it: ties, a flat profile (nothing stands
out) and themes people split sharply on are named, and no leading theme is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

from servicetjek.content import THEME_IDS
from servicetjek.i18n import Message, and_list, t

CLEAR_GAP = 0.5  # the top theme leads the next by at least this much → it "stands out"
IMPORTANT = 3.5  # a mean at or above this counts as important (for tensions)
LOW = 3.0  # if even the top theme is below this, nothing stands out as important
MAX_DIALOGUE_THEMES = 4  # more themes at the top than this: the profile is flat
TENSIONS = (("focus", "availability"), ("flexibility", "cohesion"), ("flexibility", "fairness"))


Reason = Message  # why the method recommends this meeting


@dataclass(frozen=True)
class Recommendation:
    kind: str  # "single" | "dialogue"
    themes: tuple[str, ...]
    reasons: tuple[Reason, ...]
    tensions: tuple[tuple[str, str], ...] = ()
    flat: bool = False  # nothing stands out: talk about where to start before planning
    split: tuple[str, ...] = ()  # themes on which people answered very differently


def _ordered(themes) -> list[str]:
    # The booklet's order for display only; it never decides which theme is recommended.
    return sorted(themes, key=THEME_IDS.index)


def leaders(means: dict[str, float]) -> list[str]:
    """Every theme within CLEAR_GAP of the top: the themes that are 'about equally important'."""
    top = max(means.values())
    return _ordered(t for t, m in means.items() if top - m < CLEAR_GAP - 1e-9)


def recommend(means: dict[str, float], group_means: dict[str, dict[str, float]] | None = None,
              split: list[str] | tuple[str, ...] = ()) -> Recommendation:
    if set(means) != set(THEME_IDS):
        raise ValueError("means for all six themes are needed")
    top_mean = max(means.values())
    leading = leaders(means)
    reasons: list[Reason] = []

    # Each group's own top themes (all of them when a group has a tie).
    group_tops = {g: tuple(t for t in _ordered(gm) if gm[t] == max(gm.values()))
                  for g, gm in (group_means or {}).items() if gm}
    differing_groups = len(set(group_tops.values())) > 1
    flat = len(leading) > MAX_DIALOGUE_THEMES
    low, high = min(means[t] for t in leading), max(means[t] for t in leading)

    if flat:
        themes, kind = leading, "dialogue"
        reasons.append(Reason("routing.flat", {"n": len(leading), "low": low, "high": high}))
    elif len(leading) == 1 and not differing_groups:
        themes, kind = leading, "single"
        second = max(m for t, m in means.items() if t != leading[0])
        reasons.append(Reason("routing.clear_top", {"theme": leading[0], "mean": top_mean, "gap": top_mean - second}))
    else:
        themes, kind = list(leading), "dialogue"
        if len(leading) > 1:
            key = "routing.tied" if low == high else "routing.several_close"
            reasons.append(Reason(key, {"themes": leading, "low": low, "high": high, "gap": CLEAR_GAP}))
    if differing_groups and not flat:
        themes = _ordered(dict.fromkeys([*themes, *(t for tops in group_tops.values() for t in tops)]))
        reasons.append(Reason("routing.groups_differ", {"groups": {g: list(t) for g, t in group_tops.items()}}))

    if top_mean < LOW:
        reasons.append(Reason("routing.all_low", {"limit": LOW}))
    split = tuple(_ordered(t for t in split if t in THEME_IDS))
    if split:
        inside = [t for t in split if t in themes]
        outside = [t for t in split if t not in themes]
        if inside:
            reasons.append(Reason("routing.split_inside", {"themes": inside}))
        if outside:
            reasons.append(Reason("routing.split_outside", {"themes": outside}))
    important = {t for t, m in means.items() if m >= IMPORTANT} | set(themes)
    tensions = tuple(pair for pair in TENSIONS if set(pair) <= important)
    return Recommendation(kind, tuple(themes), tuple(reasons), tensions, flat, split)


def reason_text(reason: Reason, names: dict[str, str], lang: str) -> str:
    """A reason in words, with theme names (and each group's top themes) filled in."""
    params = dict(reason.params)
    if "theme" in params:
        params["theme"] = names[params["theme"]]
    if "themes" in params:
        params["themes"] = and_list((names[x] for x in params["themes"]), lang)
    if "groups" in params:
        params["groups"] = "; ".join(f"{g}: {and_list((names[x] for x in ts), lang)}"
                                     for g, ts in params["groups"].items())
    return t(reason.key, lang, **params)
