"""Draw the charts from servicetjek.charts, cached and without re-validation.

st.altair_chart validates the whole spec against the Vega-Lite JSON schema on every
script run, and building Altair layers is itself costly; for the dashboard these were the
largest costs. The builders are validated once in tests/test_charts.py; here the finished
spec is cached per input, so a rerun with the same data draws at once.
"""

from __future__ import annotations

import streamlit as st

from servicetjek import charts, exports
from servicetjek.ui.common import T


@st.cache_data(max_entries=256, show_spinner=False)
def _cached_spec(kind: str, key: str, _args: tuple, _kwargs: dict) -> dict:
    return getattr(charts, kind)(*_args, **_kwargs).to_dict(validate=False)


def _spec(kind: str, *args, **kwargs) -> dict:
    """The chart's spec, cached under the repr of its inputs: plain data (dicts, lists,
    numbers, text, dates) whose repr is exact. Streamlit's own hashing of the same inputs
    walked every value in Python (≈ 19 ms of each dashboard run); repr is C."""
    return _cached_spec(kind, repr((args, sorted(kwargs.items()))), args, kwargs)


def show(kind: str, *args, alt: str, table: str | None = None, width: str = "stretch",
         download: str | None = None, labels=("PNG", "SVG"), **kwargs) -> None:
    """Draw `servicetjek.charts.<kind>(*args, **kwargs)`; with `download`, offer PNG and SVG files.

    A chart is a picture to a screen reader (Vega labels only its single marks): `alt` says in
    words what it shows, right under it, and `table` is the anchor of the table holding the same
    figures, linked from there. The files are rendered only when clicked (callable data).
    """
    spec = _spec(kind, *args, **kwargs)
    st.vega_lite_chart(spec, width=width)
    # Small, not a caption: a caption fades its link below 4.5:1 contrast.
    st.markdown(f":small[{alt} [{T('charts.to_table')}](#{table})]" if table else f":small[{alt}]")
    if download:
        png, svg = st.columns(2)
        png.download_button(labels[0], lambda: exports.chart_png(spec), f"{download}.png", "image/png",
                            key=f"png_{download}", icon=":material/image:")
        svg.download_button(labels[1], lambda: exports.chart_svg(spec), f"{download}.svg", "image/svg+xml",
                            key=f"svg_{download}", icon=":material/image:")
