"""Altair charts: radar, score distribution, department × theme heatmap, trend.

Vega-Lite has no polar lines, so the radar is drawn on x/y: each theme sits on a spoke
at angle 2πi/n − π/2 and a series is a closed, filled polygon through its means.
"""

from __future__ import annotations

import math

import altair as alt
import pandas as pd

from servicetjek.content import THEME_IDS
from servicetjek.i18n import decimal_separator, number
from servicetjek.i18n import t as translate

SCALE_MAX = 5
PALETTE = ["#1f6f8b", "#e07a5f", "#81b29a", "#9c6ade"]


def _word(key: str, lang: str) -> str:
    """A chart's own word (tooltip titles, axis and legend titles) in the page's language."""
    return translate(f"charts.{key}", lang)


def _tips(lang: str, *fields: tuple) -> list[alt.Tooltip]:
    """Tooltips titled in the page's language: (field, word key or None, format or None)."""
    return [alt.Tooltip(f, title=_word(k, lang) if k else "", **({"format": fmt} if fmt else {}))
            for f, k, fmt in (field + (None,) * (3 - len(field)) for field in fields)]


def _scale_title(lang: str) -> str:
    return f"{_word('mean', lang)} 1–5"


def _xy(index: int, value: float) -> tuple[float, float]:
    angle = 2 * math.pi * index / len(THEME_IDS) - math.pi / 2
    # Vega's y axis points up: negate so the first theme sits at the top, then clockwise.
    return value * math.cos(angle), -value * math.sin(angle)


def radar(series: dict[str, dict[str, float]], theme_names: dict[str, str], size: int = 420,
          lang: str = "da") -> alt.LayerChart:
    """`series` maps a label (e.g. 'Denne runde') to mean importance per theme."""
    rows = []
    for label, means in series.items():
        for i, theme in enumerate(THEME_IDS):
            x, y = _xy(i, means[theme])
            rows.append({"series": label, "theme": theme_names[theme], "order": i, "x": x, "y": y,
                         "mean": round(means[theme], 2), "mean_text": number(means[theme], lang)})
    data = pd.DataFrame(rows)
    grid = pd.DataFrame([{"level": lvl, "order": i, "x": _xy(i, lvl)[0], "y": _xy(i, lvl)[1]}
                         for lvl in range(1, SCALE_MAX + 1) for i in range(len(THEME_IDS))])
    spokes = pd.DataFrame([{"theme": t, "end": e, "x": _xy(i, e * SCALE_MAX)[0], "y": _xy(i, e * SCALE_MAX)[1]}
                           for i, t in enumerate(THEME_IDS) for e in (0, 1)])
    labels = pd.DataFrame([{"label": theme_names[t], "x": _xy(i, SCALE_MAX + 0.9)[0],
                            "y": _xy(i, SCALE_MAX + 0.6)[1]} for i, t in enumerate(THEME_IDS)])
    domain = [-(SCALE_MAX + 1.6), SCALE_MAX + 1.6]
    x = alt.X("x:Q", scale=alt.Scale(domain=domain), axis=None)
    y = alt.Y("y:Q", scale=alt.Scale(domain=domain), axis=None)
    grid_layer = alt.Chart(grid).mark_line(interpolate="linear-closed", color="#d0d7de", strokeWidth=1).encode(
        x=x, y=y, detail="level:N", order="order:Q")
    spoke_layer = alt.Chart(spokes).mark_line(color="#d0d7de").encode(x=x, y=y, detail="theme:N")
    color = alt.Color("series:N", scale=alt.Scale(range=PALETTE), legend=alt.Legend(orient="bottom", title=None))
    area = alt.Chart(data).mark_line(interpolate="linear-closed", filled=True, fillOpacity=0.2, strokeWidth=2.5
                                     ).encode(x=x, y=y, color=color, order="order:Q", detail="series:N")
    points = alt.Chart(data).mark_circle(size=70).encode(
        x=x, y=y, color=color, tooltip=_tips(lang, ("series:N", None), ("theme:N", None), ("mean_text:N", "mean")))
    text = alt.Chart(labels).mark_text(fontSize=13, fontWeight="bold", color="#24292f").encode(
        x=x, y=y, text="label:N")
    return alt.layer(grid_layer, spoke_layer, area, points, text).properties(width=size, height=size)


def distribution(stats: dict[str, tuple[int, ...]], theme_names: dict[str, str],
                 scale_labels: list[str], lang: str = "da") -> alt.Chart:
    """Stacked bars: how many answered 1..5 per theme."""
    rows = [{"theme": theme_names[t], "score": f"{v} – {scale_labels[v - 1]}", "value": v, "count": stats[t][v - 1]}
            for t in THEME_IDS for v in range(1, 6)]
    data = pd.DataFrame(rows)
    return alt.Chart(data).mark_bar().encode(
        y=alt.Y("theme:N", sort=[theme_names[t] for t in THEME_IDS], title=None, axis=alt.Axis(labelLimit=200)),
        x=alt.X("count:Q", stack="normalize", axis=alt.Axis(format="%", title=None, tickCount=5)),
        # One entry a line: in a row, a phone cuts the scale's words after the second ("2 – L").
        color=alt.Color("score:N", scale=alt.Scale(scheme="blues"),
                        legend=alt.Legend(orient="bottom", title=None, columns=1, labelLimit=0)),
        order=alt.Order("value:Q"),
        tooltip=_tips(lang, ("theme:N", "theme"), ("score:N", "score"), ("count:Q", "answers")),
    ).properties(height=220, autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))  # the legend below, not in


def heatmap(rows: list[dict], theme_names: dict[str, str], too_few: str, lang: str = "da") -> alt.Chart:
    """Department × theme means; cells without reportable answers are grey and labelled."""
    records = []
    for r in rows:
        for t in THEME_IDS:
            records.append({"department": r["label"], "theme": theme_names[t], "mean": r[t],
                            "text": number(r[t], lang, 1) if r[t] is not None else too_few,
                            "mean_text": number(r[t], lang) if r[t] is not None else too_few, "n": r["n"]})
    data = pd.DataFrame(records)
    base = alt.Chart(data).encode(
        x=alt.X("theme:N", sort=[theme_names[t] for t in THEME_IDS], title=None,
                axis=alt.Axis(orient="top", labelAngle=-30, labelAlign="left", labelLimit=160, labelOverlap=False,
                              labelFontSize=12)),
        y=alt.Y("department:N", sort=[r["label"] for r in rows], title=None,
                axis=alt.Axis(labelLimit=260, labelFontSize=12)),
    )
    # The coloured cells are silent to screen readers (an empty layer, when no cell has figures,
    # would be an unnamed image to axe); the text layer names every cell with its figure.
    cells = base.mark_rect(stroke="white", aria=False).encode(
        color=alt.condition("datum.mean === null", alt.value("#eaeef2"),
                            alt.Color("mean:Q", scale=alt.Scale(domain=[1, 5], scheme="orangered"),
                                      legend=alt.Legend(title=_scale_title(lang), orient="bottom",
                                                        direction="horizontal", gradientLength=220))),
        tooltip=_tips(lang, ("department:N", "department"), ("theme:N", "theme"), ("mean_text:N", "mean"),
                      ("n:Q", "answers")))
    labels = base.mark_text(fontSize=12).encode(
        text="text:N", color=alt.condition("datum.mean > 3.8", alt.value("white"), alt.value("#24292f")))
    # Fit the width only: Streamlit's default fits axes and legend into the height too, which
    # squeezes a chart of one or two rows flat under the slanted theme names.
    return (cells + labels).properties(height=34 * len(rows),
                                       autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))


def trend(points: list[dict], theme_names: dict[str, str], lang: str = "da") -> alt.Chart:
    """Mean per theme over a unit's rounds, one point per round in the order they opened."""
    rows = [{"round": p["title"], "when": f"{p['opens_at']:%d.%m.%Y}", "theme": theme_names[t],
             "mean": p[t], "mean_text": number(p[t], lang)} for p in points for t in THEME_IDS]
    order = list(dict.fromkeys(f"{p['opens_at']:%d.%m.%Y}" for p in sorted(points, key=lambda p: p["opens_at"])))
    data = pd.DataFrame(rows)
    return alt.Chart(data).mark_line(point=True).encode(
        x=alt.X("when:O", sort=order, title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("mean:Q", scale=alt.Scale(domain=[1, 5]),
                axis=alt.Axis(title=_scale_title(lang), titleAngle=0, titleAlign="left", titleX=-25, titleY=-12,
                              labelExpr=f"replace(format(datum.value, '.1f'), '.', '{decimal_separator(lang)}')")),
        color=alt.Color("theme:N", title=None),
        tooltip=_tips(lang, ("round:N", "round"), ("when:N", "date"), ("theme:N", "theme"), ("mean_text:N", "mean")),
    ).properties(height=300)


def timeline(rows: list[dict], today, labels: dict[str, str], lang: str = "da") -> alt.LayerChart:
    """One bar per running trial, its check-ins and decision point, and a 'today' line.

    `rows`: {what, start, end, status, points: [(date, kind)]}.
    """
    bars = pd.DataFrame([{"trial": r["what"], "start": r["start"], "end": r["end"], "status": r["status"]}
                         for r in rows])
    points = pd.DataFrame([{"trial": r["what"], "date": d, "kind": labels[k], "done": done}
                           for r in rows for d, k, done in r["points"]])
    y = alt.Y("trial:N", title=None, sort=[r["what"] for r in rows], axis=alt.Axis(labelLimit=260, labelFontSize=12))
    bar = alt.Chart(bars).mark_bar(cornerRadius=4, height=18, opacity=0.75).encode(
        x=alt.X("start:T", title=None, axis=alt.Axis(format="%d.%m")), x2="end:T", y=y,
        color=alt.Color("status:N", title=None, legend=alt.Legend(orient="bottom")),
        tooltip=_tips(lang, ("trial:N", "trial"), ("start:T", "start", "%d.%m.%Y"), ("end:T", "end", "%d.%m.%Y")))
    marks = alt.Chart(points).mark_point(size=140, filled=True, color="#24292f").encode(
        x="date:T", y=y, shape=alt.Shape("kind:N", title=None, legend=alt.Legend(orient="bottom")),
        opacity=alt.condition("datum.done", alt.value(0.35), alt.value(1)),
        tooltip=_tips(lang, ("trial:N", "trial"), ("kind:N", None), ("date:T", "date", "%d.%m.%Y")))
    rule = alt.Chart(pd.DataFrame([{"today": pd.Timestamp(today), "label": labels["today"]}])).mark_rule(
        color="#e07a5f", strokeWidth=2, strokeDash=[4, 3]).encode(x="today:T", tooltip=_tips(lang, ("label:N", None)))
    return alt.layer(bar, marks, rule).properties(height=alt.Step(44))
