"""Organisation dashboard: every department at a glance (managers and admins)."""

from datetime import timedelta

import streamlit as st

from servicetjek import access, attention, clock, org, results, trials
from servicetjek.content import THEME_IDS, load
from servicetjek.errors import DomainError
from servicetjek.i18n import number
from servicetjek.ui.charts import show as show_chart
from servicetjek.ui.common import T, db, lang, require, show_error, whole_choice

UNIT_TABLE = "figures-per-unit"  # the table the charts link to as their text alternative


def filters(departments):
    c1, c2 = st.columns([2, 1])
    labels = org.menu_labels(departments)
    roots = [None] + [d.id for d, _ in org.ordered_tree(departments)]
    root = c1.selectbox(T("dashboard.subtree"), roots, key="dash_root",
                        format_func=lambda i: T("dashboard.all") if i is None else labels[i])
    with c1:
        whole_choice(labels.get(root), "dash_root")
    today = clock.today()
    period = c2.date_input(T("dashboard.period"), (today - timedelta(days=365), today), key="dash_period",
                           format="DD.MM.YYYY")
    start, end = (period if isinstance(period, tuple) and len(period) == 2 else (period[0], period[0]))
    # Rounds open at UTC instants: the chosen Copenhagen days become UTC bounds.
    return root, *clock.days_range(start, end)


HEATMAP_MAX_ROWS = 40


def heatmap_rows(rows: list[dict], root: int | None) -> list[dict]:
    """Every unit when they fit; otherwise the chosen unit and the level below it (or the top
    level), so the heatmap stays readable. The table below always lists every unit."""
    if len(rows) <= HEATMAP_MAX_ROWS:
        return rows
    if root is None:
        shown = [r for r in rows if r["depth"] == 0]
        return shown if len(shown) > 1 else [r for r in rows if r["depth"] <= 1]
    base = next(r["depth"] for r in rows if r["department_id"] == root)
    return [r for r in rows if r["depth"] <= base + 1]


def attention_list(user, by_id: dict, names: dict) -> None:
    """Where to look first among many units: overdue stop-ops, low response, strong disagreement."""
    st.subheader(T("dashboard.attention"))
    found = attention.units_needing_attention(db(), user, list(by_id))
    if not found:
        st.caption(T("dashboard.attention_none"))
        return

    def detail(a: attention.Attention) -> str:
        p = dict(a.params)
        if "since" in p:
            p["since"] = f"{p['since']:%d.%m.%Y}"
        if "themes" in p:
            p["themes"] = ", ".join(names[t] for t in p["themes"])
        return T(f"dashboard.attention_{a.kind}", **p)

    unit, what = T("dashboard.department"), T("dashboard.attention_what")
    # Fixed widths that fit a laptop with the sidebar open (1366 px): sized by their text, a long
    # path pushed "Hvad" out of view. A wider screen stretches them; a cut text shows in full on a click.
    st.dataframe([{unit: by_id[a.department_id]["path"], what: detail(a)} for a in found], hide_index=True,
                 width="stretch", column_config={unit: st.column_config.TextColumn(width=340),
                                                 what: st.column_config.TextColumn(width=540)})


def main() -> None:
    user = require(access.VIEW_DASHBOARD)
    names = load(lang()).theme_names()
    st.title(T("dashboard.page_title"))
    departments = org.all_departments(db())
    if not departments:
        st.info(T("common.no_departments"))
        return
    root, start, end = filters(departments)
    try:
        rows = results.unit_rollup(db(), user, start, end, root)
    except DomainError as error:
        show_error(error)
        return
    by_id = {r["department_id"]: r for r in rows}
    shown = heatmap_rows(rows, root)
    base_depth = min(r["depth"] for r in shown)
    for r in shown:
        depth = r["depth"] - base_depth
        r["label"] = "\u00a0\u00a0\u00a0" * depth + ("↳ " if depth else "") + r["name"]
    st.subheader(T("dashboard.heatmap"))
    st.caption(T("dashboard.heatmap_note"))
    show_chart("heatmap", shown, names, T("results.too_few_cell"), lang=lang(), width="stretch",
               alt=T("charts.heatmap_alt"), table=UNIT_TABLE)

    # Words looked up once, not per cell: a look-up reads the session's language (~10 µs),
    # and the table has a row per unit (510 in bench/dashboard_server.py).
    language = lang()
    unit, answers, too_small, top_theme = (T(k) for k in ("dashboard.department", "dashboard.answers",
                                                          "dashboard.too_small", "dashboard.top_theme"))
    too_few = T("results.too_few_cell")
    table = []
    for r in rows:
        values = {t: r[t] for t in THEME_IDS if r[t] is not None}
        top = max(values, key=values.get) if values else None
        table.append({unit: r["path"], answers: r["n"], too_small: r["answers_total"] - r["n"],
                      top_theme: names[top] if top else too_few,
                      **{names[t]: number(r[t], language) if r[t] is not None else "–" for t in THEME_IDS}})
    st.subheader(T("charts.unit_table"), anchor=UNIT_TABLE)
    st.dataframe(table, hide_index=True, width="stretch")

    left, right = st.columns(2)
    reportable = [r["department_id"] for r in rows if r["n"]]
    with left:
        st.subheader(T("dashboard.compare"))
        # Nothing to compare: say so, as the trend beside it does, not an empty menu.
        picked = st.multiselect(T("dashboard.compare_units"), reportable, default=reportable[:2], max_selections=4,
                                format_func=lambda i: by_id[i]["path"], key="dash_compare",
                                placeholder=T("dashboard.compare_placeholder")) if reportable else []
        if not reportable:
            st.info(T("dashboard.no_data"))
        if picked:
            series = {by_id[i]["name"]: {t: by_id[i][t] for t in THEME_IDS} for i in picked}
            show_chart("radar", series, names, size=360, lang=lang(), width="content",
                       alt=T("charts.compare_alt"), table=UNIT_TABLE)
    with right:
        st.subheader(T("dashboard.trend"))
        if reportable:
            unit = st.selectbox(T("dashboard.trend_unit"), reportable, key="dash_trend",
                                format_func=lambda i: by_id[i]["path"])
            points = results.trend(db(), user, unit)
            if points:
                show_chart("trend", points, names, lang=lang(), width="stretch", alt=T("charts.trend_alt"))
                st.dataframe([{T("charts.date"): f"{p['opens_at']:%d.%m.%Y}", T("dashboard.answers"): p["n"],
                               **{names[t]: number(p[t], language) for t in THEME_IDS}} for p in points],
                             hide_index=True, width="stretch")
        else:
            st.info(T("dashboard.no_data"))
    attention_list(user, by_id, names)
    st.subheader(T("dashboard.trials"))
    overview = trials.overview(db(), user, list(by_id))
    if not overview:
        st.info(T("dashboard.no_trials"), icon=":material/science:")
    else:
        st.dataframe([{T("dashboard.department"): by_id[o["department_id"]]["path"],
                       T("board.theme"): names[o["theme"]], T("board.status"): T(f"status.{o['status']}"),
                       T("dashboard.trial_count"): o["n"]} for o in overview], hide_index=True, width="stretch")


main()
