"""Draw the charts from servicetjek.charts, cached and without re-validation.

st.altair_chart validates the whole spec against the Vega-Lite JSON schema on every
script run, and building Altair layers is itself costly; for the dashboard these were the
largest costs. The builders are validated once in tests/test_charts.py; here the finished
spec is cached per input, so a rerun with the same data draws at once.
"""

from __future__ import annotations

import streamlit as st
from streamlit import dataframe_util

from servicetjek import charts, exports
from servicetjek.ui.common import T


def _plain_spec(kind: str, args: tuple, kwargs: dict) -> dict:
    return getattr(charts, kind)(*args, **kwargs).to_dict(validate=False)


@st.cache_data(max_entries=256, show_spinner=False)
def _cached_spec(kind: str, key: str, _args: tuple, _kwargs: dict) -> dict:
    spec = _plain_spec(kind, _args, _kwargs)
    # Streamlit turns each dataset into Arrow bytes on every draw unless it is bytes already
    # (≈ 5 ms per chart): done once here, with Streamlit's own conversion.
    spec["datasets"] = {name: dataframe_util.convert_anything_to_arrow_bytes(values)
                        for name, values in spec.get("datasets", {}).items()}
    return spec


def _spec(kind: str, *args, **kwargs) -> dict:
    """The chart's spec, ready to draw, cached under the repr of its inputs: plain data (dicts,
    lists, numbers, text, dates) whose repr is exact. Streamlit's own hashing of the same inputs
    walked every value in Python (≈ 19 ms of each dashboard run); repr is C."""
    return _cached_spec(kind, repr((args, sorted(kwargs.items()))), args, kwargs)


def show(kind: str, *args, alt: str, table: str | None = None, width: str = "stretch",
         download: str | None = None, labels=("PNG", "SVG"), **kwargs) -> None:
    """Draw `servicetjek.charts.<kind>(*args, **kwargs)`; with `download`, offer PNG and SVG files.

    A chart is a picture to a screen reader (Vega labels only its single marks): `alt` says in
    words what it shows, right under it, and `table` is the anchor of the table holding the same
    figures, linked from there. The files are rendered only when clicked (callable data).
    """
    st.vega_lite_chart(_spec(kind, *args, **kwargs), width=width)
    # Small, not a caption: a caption fades its link below 4.5:1 contrast.
    st.markdown(f":small[{alt} [{T('charts.to_table')}](#{table})]" if table else f":small[{alt}]")
    if download:  # the files from the plain spec, built again only when clicked

        def plain() -> dict:
            return _plain_spec(kind, args, kwargs)

        png, svg = st.columns(2)
        png.download_button(labels[0], lambda: exports.chart_png(plain()), f"{download}.png", "image/png",
                            key=f"png_{download}", icon=":material/image:", on_click="ignore")
        svg.download_button(labels[1], lambda: exports.chart_svg(plain()), f"{download}.svg", "image/svg+xml",
                            key=f"svg_{download}", icon=":material/image:", on_click="ignore")
