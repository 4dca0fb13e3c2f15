"""Every chart validates against the Vega-Lite schema (pages skip this at run time)."""

from datetime import date, datetime

from servicetjek import charts
from servicetjek.content import THEME_IDS, load

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
    charts.heatmap(rows, NAMES, "for få besvarelser").to_dict(validate=True)
    charts.trend([{"title": "R", "opens_at": datetime(2026, 1, 1), **dict.fromkeys(THEME_IDS, 3.0)}],
                 NAMES).to_dict(validate=True)
    charts.timeline([{"what": "Stilletid", "start": date(2026, 3, 2), "end": date(2026, 4, 13), "status": "I gang",
                      "points": [(date(2026, 3, 16), "checkin", True), (date(2026, 4, 13), "decision", False)]}],
                    date(2026, 3, 20), {"checkin": "Stop op", "decision": "Beslutning", "today": "I dag"}
                    ).to_dict(validate=True)
