"""Department results for one round: radar, distribution, spread, routing, groups, comments."""

import streamlit as st

from servicetjek import access, exports, org, result_links, results, rounds, settings
from servicetjek.content import THEME_IDS, load
from servicetjek.errors import DomainError
from servicetjek.i18n import and_list, number
from servicetjek.ui.charts import show as show_chart
from servicetjek.ui.common import (
    T,
    Tmd,
    base_url,
    current_user,
    db,
    department_picker,
    lang,
    require,
    show_error,
    suppressed_note,
    whole_choice,
)
from servicetjek.ui.results_view import recommendation_lines

THEME_TABLE = "figures-per-theme"  # the table the charts link to as their text alternative


def recommendation_box(result: results.RoundResults, names: dict[str, str]) -> None:
    rec = results.recommendation(result)
    with st.container(border=True):
        st.subheader(T("routing.title"))
        recommendation_lines(rec, names)
        if access.can(current_user(), access.PLAN_MEETINGS, result.round.department_id, org.all_departments(db())):
            if st.button(T("routing.plan_it"), type="primary", key="plan_it", icon=":material/event:"):
                st.session_state["_plan_prefill"] = {"kind": rec.kind, "themes": rec.themes,
                                                     "department_id": result.round.department_id}
                st.switch_page("pages/meetings.py")
        # Straight to the runbook of the recommended meeting (the guide keeps its choice in the link).
        section = names[rec.themes[0]] if rec.kind == "single" else load(lang()).dialogue.name
        st.page_link("pages/guide.py", label=T("routing.open_guide"), icon=":material/menu_book:",
                     query_params={"tema": section})


def release_note(result: results.RoundResults) -> None:
    """Why figures are held back, in words: the count moves live, the figures in steps of k."""
    params = {"received": result.received, "n": result.n, "k": result.threshold, "waiting": result.waiting}
    if result.groups_at_close:
        st.info(T("results.at_close", **params), icon=":material/schedule:")
    elif result.needed_for_update is not None and (result.waiting or result.suppressed):
        key = "results.waiting_first" if result.suppressed else "results.waiting"
        st.info(T(key, needed=result.needed_for_update, **params), icon=":material/hourglass_top:")
    elif result.suppressed:
        suppressed_note(result.received, result.threshold)
    elif result.waiting:
        st.info(T("results.held_back", **params), icon=":material/hourglass_top:")


def round_view(user, round_: rounds.Round) -> None:
    content = load(lang())
    names = content.theme_names()
    try:
        result = results.round_results(db(), user, round_.id)
    except DomainError as error:
        show_error(error)
        return
    m1, m2, m3 = st.columns(3)
    m1.metric(T("rounds.answers"), result.received)
    rate = rounds.response_rate(result.received, result.headcount)
    m2.metric(T("rounds.rate"), f"{rate:.0%}" if rate is not None else "–")
    m3.metric(T("results.threshold"), result.threshold)
    if rounds.is_workshop(db(), round_.id):
        st.warning(T("results.workshop"), icon=":material/groups:")
    release_note(result)
    if result.suppressed:
        return
    left, right = st.columns([1, 1], gap="large")
    with left:
        series = {T("results.this_round"): result.means()}
        comparable = results.comparable_previous_round(db(), user, round_)
        if comparable is not None and st.toggle(T("results.compare_previous"), key="cmp_prev"):
            previous, prev = comparable
            series[T("results.previous_round", title=previous.title)] = prev.means()
        parent = results.parent_means(db(), user, round_)
        if parent and st.toggle(Tmd("results.compare_parent", name=parent[0]), key="cmp_parent"):
            series[parent[0]] = parent[1]
        show_chart("radar", series, names, size=350, lang=lang(), width="content", download=f"radar-runde-{round_.id}",
                   labels=(T("export.png"), T("export.svg")), alt=T("charts.radar_alt"), table=THEME_TABLE)
    with right:
        recommendation_box(result, names)
    st.subheader(T("results.distribution"))
    show_chart("distribution", {t: s.distribution for t, s in result.themes.items()}, names,
               content.scale["labels"], lang=lang(), width="stretch", alt=T("charts.distribution_alt"),
               table=THEME_TABLE)
    spread = results.disagreements(result)
    st.subheader(T("results.spread"), anchor=THEME_TABLE)
    if spread:
        st.warning(T("results.curious", themes=and_list((names[t] for t in spread), lang())), icon=":material/forum:")
    st.dataframe([{T("export.theme"): names[t], T("export.mean"): number(s.mean, lang()),
                   T("export.sd"): number(s.sd, lang()), T("results.disagree"): "⚑" if t in spread else "",
                   # The answers per score: the distribution chart's figures, as text.
                   **{T("charts.answers_with", n=score): count for score, count in enumerate(s.distribution, 1)}}
                  for t, s in result.themes.items()],
                 hide_index=True, width="stretch",
                 # Nine columns fit a laptop with the sidebar open (1366 px) only with the short label.
                 column_config={T("export.mean"): st.column_config.TextColumn(T("results.mean_short"),
                                                                              help=T("export.mean"))})
    groups_section(result, names)
    comments_section(result)
    export_section(result, names)
    share_section(user, round_)


def share_section(user, round_: rounds.Round) -> None:
    """Results back to the people: a read-only link, only after an explicit "Del resultater"."""
    if rounds.is_workshop(db(), round_.id):
        return  # the group's own, not anonymous answers are not for a link (the domain refuses too)
    if not access.can(user, access.MANAGE_ROUNDS, round_.department_id, org.all_departments(db())):
        return
    with st.popover(T("shared_results.share"), icon=":material/share:"):
        token = result_links.token(db(), user, round_.id)
        if token is None:
            st.caption(T("shared_results.share_off"))
            st.button(T("shared_results.share_on"), key="share_results", type="primary",
                      on_click=result_links.share, args=(db(), user, round_.id))
        else:
            st.code(f"{base_url()}/?results={token}", language=None)
            st.caption(T("shared_results.share_help"))
            st.button(T("shared_results.revoke"), key="revoke_results", icon=":material/link_off:",
                      on_click=result_links.stop, args=(db(), user, round_.id))


def groups_section(result: results.RoundResults, names) -> None:
    if not result.groups:
        return
    st.subheader(T("results.groups"))
    table = []
    for group, means in sorted(result.groups.items()):
        row = {T("export.group"): group}
        for t in THEME_IDS:
            row[names[t]] = number(means[t], lang()) if means else T("results.too_few_cell")
        table.append(row)
    st.dataframe(table, hide_index=True, width="stretch")
    st.caption(T("results.groups_note", k=result.threshold))
    if result.group_counts_shown and result.groups_n and result.n != result.groups_n:
        st.caption(T("results.groups_frozen", n=result.groups_n))


def comments_section(result: results.RoundResults) -> None:
    st.subheader(T("results.comments"))
    if result.comments_withheld:
        st.info(T("results.comments_withheld"), icon=":material/lock:")
    elif result.comments is None:
        st.info(T("results.comments_hidden"), icon=":material/visibility_off:")
    elif not result.comments:
        st.caption(T("results.no_comments"))
    for comment in result.comments or []:
        with st.container(border=True):
            st.text(comment)  # plain text: no links, images or headings from employees


def export_section(result: results.RoundResults, names) -> None:
    labels = {k: T(f"export.{k}") for k in ("theme", "mean", "sd", "group")} | {"too_few": T("results.too_few_cell")}
    header, rows = results.export_table(result, names, labels)
    c1, c2 = st.columns(2)
    c1.download_button(T("export.csv"), exports.to_csv(header, rows), f"servicetjek-runde-{result.round.id}.csv",
                       "text/csv", key="dl_csv", icon=":material/download:", on_click="ignore")
    c2.download_button(T("export.xlsx"), exports.to_xlsx(header, rows), f"servicetjek-runde-{result.round.id}.xlsx",
                       key="dl_xlsx", icon=":material/download:", on_click="ignore")


def main() -> None:
    user = require(access.VIEW_RESULTS)
    st.title(T("results.page_title"))
    dept_id = department_picker(user, access.VIEW_RESULTS, "results.department", "results_dept")
    if dept_id is None:
        return
    departments = org.all_departments(db())
    available = rounds.for_departments(db(), org.subtree_ids(departments, dept_id))
    if not available:
        st.info(T("results.no_rounds"), icon=":material/info:")
        return
    labels = {r.id: f"{r.title} · {org.path_name(departments, r.department_id)}" for r in available}
    counts = {r.id: rounds.response_count(db(), r.id) for r in available}
    k = settings.min_answers(db())
    default = next((i for i, r in enumerate(available) if counts[r.id] >= k), 0)  # newest round with answers
    round_id = st.selectbox(T("results.round"), list(labels), index=default, format_func=labels.get,
                            key="results_round")
    whole_choice(labels.get(round_id), "results_round")
    round_view(user, next(r for r in available if r.id == round_id))


main()
