"""Every chart validates against the Vega-Lite schema (pages skip this at run time)."""

from datetime import date, datetime

import pytest

from servicetjek import charts
from servicetjek.content import THEME_IDS, load
from servicetjek.i18n import t

NAMES = load("da").theme_names()


def test_radar_validates_and_puts_the_first_theme_on_top():
    chart = charts.radar({"Denne runde": dict.fromkeys(THEME_IDS, 4.0), "Forrige": dict.fromkeys(THEME_IDS, 2.5)},
                         NAMES)
    spec = chart.to_dict(validate=True)
    labels = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "text")
    values = spec["datasets"][labels["data"]["name"]]
    first = next(v for v in values if v["label"] == NAMES["cohesion"])
    assert abs(first["x"]) < 1e-9 and first["y"] > 0  # top, and the rest clockwise
    second = next(v for v in values if v["label"] == NAMES["flexibility"])
    assert second["x"] > 0


def test_distribution_heatmap_trend_timeline_validate():
    charts.distribution({t: (1, 2, 3, 4, 5) for t in THEME_IDS}, NAMES, load("da").scale["labels"]).to_dict()
    rows = [{"label": "A", "n": 5, **dict.fromkeys(THEME_IDS, 3.0)},
            {"label": "B", "n": 0, **dict.fromkeys(THEME_IDS, None)}]
    charts.heatmap(rows, NAMES, "for få svar").to_dict(validate=True)
    charts.trend([{"title": "R", "opens_at": datetime(2026, 1, 1), **dict.fromkeys(THEME_IDS, 3.0)}],
                 NAMES).to_dict(validate=True)
    charts.timeline([{"what": "Stilletid", "start": date(2026, 3, 2), "end": date(2026, 4, 13), "status": "I gang",
                      "points": [(date(2026, 3, 16), "checkin", True), (date(2026, 4, 13), "decision", False)]}],
                    date(2026, 3, 20), {"checkin": "Stop op", "decision": "Beslutning", "today": "I dag"}
                    ).to_dict(validate=True)


@pytest.mark.parametrize("lang", ["da", "en"])
def test_heatmap_label_for_too_few_answers_fits_in_a_cell(lang):
    """The label is drawn in each of six cells side by side at 12 px: at a laptop's width a cell is
    about 100 px, and "for få besvarelser" ran into the next cell's label."""
    assert len(t("results.too_few_cell", lang)) <= 12


def all_specs(lang: str) -> list[dict]:
    names = load(lang).theme_names()
    rows = [{"label": "A", "n": 5, **dict.fromkeys(THEME_IDS, 3.0)}]
    return [charts.radar({"R": dict.fromkeys(THEME_IDS, 3.0)}, names, lang=lang).to_dict(),
            charts.distribution({t: (1, 2, 3, 4, 5) for t in THEME_IDS}, names, load(lang).scale["labels"],
                                lang=lang).to_dict(),
            charts.heatmap(rows, names, "-", lang=lang).to_dict(),
            charts.trend([{"title": "R", "opens_at": datetime(2026, 1, 1), **dict.fromkeys(THEME_IDS, 3.0)}], names,
                         lang=lang).to_dict(),
            charts.timeline([{"what": "S", "start": date(2026, 3, 2), "end": date(2026, 4, 13), "status": "I gang",
                              "points": [(date(2026, 3, 16), "checkin", True)]}], date(2026, 3, 20),
                            {"checkin": "c", "decision": "d", "today": "t"}, lang=lang).to_dict()]


def tooltips(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "tooltip" and isinstance(value, list):
                yield from value
            else:
                yield from tooltips(value)
    elif isinstance(node, list):
        for value in node:
            yield from tooltips(value)


def test_charts_speak_the_pages_language():
    """Hovering a chart shows words in the page's language, never a field name ("department", "n")
    or a symbol ("⌀"): the Danish average is "gns."."""
    import json

    for lang, mean in (("da", "gns."), ("en", "avg.")):
        specs = all_specs(lang)
        for spec in specs:
            assert "⌀" not in json.dumps(spec, ensure_ascii=False, default=str)
            for tip in tooltips(spec):
                assert isinstance(tip, dict) and "title" in tip, (lang, tip)
        assert f'"{mean} 1–5"' in json.dumps(specs[2], ensure_ascii=False, default=str)  # the heatmap's legend
        titles = {tip["title"] for spec in specs for tip in tooltips(spec)}
        assert {"department", "theme", "n", "round", "trial"}.isdisjoint(titles)
    assert {"Afdeling", "Tema", "gns."} <= {tip["title"] for spec in all_specs("da") for tip in tooltips(spec)}


def test_drawn_charts_are_cached_per_input_and_follow_every_change():
    """servicetjek/ui/charts.py caches each spec under the repr of its inputs: the same data
    is built once, and any changed value (a mean, a keyword) draws a new chart."""
    import json

    import pyarrow as pa
    from streamlit.testing.v1 import AppTest

    def page(mean: float, size: int):
        import streamlit as st

        from servicetjek.content import THEME_IDS, load
        from servicetjek.ui import charts as drawn

        built = []
        original = drawn.charts.radar
        drawn.charts.radar = lambda *a, **k: built.append(1) or original(*a, **k)
        try:
            for _ in range(2):
                drawn.show("radar", {"R": dict.fromkeys(THEME_IDS, mean)}, load("da").theme_names(), size=size,
                           alt="radar")
        finally:
            drawn.charts.radar = original
        st.session_state["built"] = len(built)

    def draw(mean: float, size: int) -> int:
        at = AppTest.from_function(page, args=(mean, size)).run()
        assert not at.exception
        drawn = at.get("vega_lite_chart")
        assert [json.loads(e.proto.spec)["height"] for e in drawn] == [size, size]
        # The data goes as Arrow bytes made once in the cache: the same rows the builder made.
        plain = charts.radar({"R": dict.fromkeys(THEME_IDS, mean)}, NAMES, size=size).to_dict(validate=False)
        for element in drawn:
            sent = {d.name: pa.ipc.open_stream(d.data.data).read_all().to_pylist() for d in element.proto.datasets}
            assert sent == plain["datasets"]
            assert any(row.get("mean") == round(mean, 2) for rows in sent.values() for row in rows)
        return at.session_state["built"]

    assert draw(4.125, 210) == 1  # drawn twice, built once
    assert draw(4.125, 210) == 0  # the same input on another run: from the cache
    assert draw(2.625, 210) == 1  # another mean
    assert draw(2.625, 310) == 1  # another keyword


def test_distribution_legend_lists_one_score_a_line_uncut():
    """In a row, a phone cut the scale's words after the second entry ("2 – L")."""
    spec = charts.distribution({t: (1, 2, 3, 4, 5) for t in THEME_IDS}, NAMES, load("da").scale["labels"]).to_dict()
    legend = spec["encoding"]["color"]["legend"]
    assert legend["columns"] == 1 and legend["labelLimit"] == 0
    assert spec["autosize"]["type"] == "fit-x"  # five legend lines do not squeeze the bars flat
