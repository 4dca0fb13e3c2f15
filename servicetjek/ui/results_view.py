"""Pieces of a results view shared by the results page, the meeting's results slide and the
read-only results link, so all three say the same about the same released figures."""

from __future__ import annotations

import streamlit as st

from servicetjek import routing
from servicetjek.i18n import and_list, number
from servicetjek.results import ThemeStats
from servicetjek.ui.charts import show as show_chart
from servicetjek.ui.common import T, lang, md


def recommendation_lines(rec: routing.Recommendation, names: dict[str, str]) -> None:
    themes = and_list((names[t] for t in rec.themes), lang())
    st.markdown(f"### {T('routing.kind_flat' if rec.flat else f'routing.kind_{rec.kind}', themes=themes)}")
    for reason in rec.reasons:
        st.markdown(f"- {md(routing.reason_text(reason, names, lang()))}")  # names respondent groups
    for a, b in rec.tensions:
        st.markdown(f"- :material/balance: {T('routing.tension', a=names[a], b=names[b])}")


def radar_and_means(themes: dict[str, ThemeStats], names: dict[str, str], size: int = 350) -> None:
    """The radar of mean importance and the same means as a table (readable without the chart)."""
    show_chart("radar", {T("results.this_round"): {t: s.mean for t, s in themes.items()}}, names, size=size,
               lang=lang(), width="content", alt=T("charts.radar_alt"))
    st.dataframe([{T("export.theme"): names[t], T("export.mean"): number(s.mean, lang())}
                  for t, s in themes.items()], hide_index=True, width="stretch")
