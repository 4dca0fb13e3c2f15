"""Rating rounds: create one, share its link or codes, follow answers come in."""

from datetime import datetime, time, timedelta

import streamlit as st

from servicetjek import access, clock, exports, listing, org, rounds
from servicetjek.errors import DomainError
from servicetjek.ui.common import T, base_url, db, department_picker, lang, md, require, show_error, whole_choice


def round_link(round_: rounds.Round) -> str:
    return f"{base_url()}/?r={round_.token}"


def create_form(user) -> None:
    with st.expander(T("rounds.new"), icon=":material/add:", expanded=False):
        dept_id = department_picker(user, access.MANAGE_ROUNDS, "rounds.department", "new_round_dept")
        if dept_id is None:
            return
        with st.form("new_round"):
            title = st.text_input(T("rounds.title_label"), key="new_round_title",
                                  placeholder=T("rounds.title_placeholder"))
            today = clock.local_now().date()
            c1, c2, c3, c4 = st.columns(4)
            opens_date = c1.date_input(T("rounds.opens"), today, key="new_round_opens_date", format="DD.MM.YYYY")
            opens_time = c2.time_input(T("rounds.at"), time(8, 0), key="new_round_opens_time")
            closes_date = c3.date_input(T("rounds.closes"), today + timedelta(days=14),
                                        key="new_round_closes_date", format="DD.MM.YYYY")
            closes_time = c4.time_input(T("rounds.at"), time(16, 0), key="new_round_closes_time")
            audience = st.radio(T("rounds.audience"), ["staff", "group"], horizontal=True, key="new_round_audience",
                                format_func=lambda a: T(f"rounds.audience_{a}"))
            workshop = st.checkbox(T("rounds.workshop"), key="new_round_workshop", help=T("rounds.workshop_help"))
            groups = st.text_input(T("rounds.groups"), key="new_round_groups", help=T("rounds.groups_help"))
            mode = st.radio(T("rounds.mode"), ["link", "codes"], horizontal=True, key="new_round_mode",
                            format_func=lambda m: T(f"rounds.mode_{m}"), help=T("rounds.mode_help"))
            code_count = st.number_input(T("rounds.code_count"), 1, rounds.MAX_CODES, 30, key="new_round_codes")
            submitted = st.form_submit_button(T("rounds.create"), type="primary")
        if submitted:
            try:
                round_, codes = rounds.create(
                    db(), user, dept_id, title, datetime.combine(opens_date, opens_time),
                    datetime.combine(closes_date, closes_time), audience,
                    [g for g in groups.split(",")], mode, int(code_count), workshop=workshop)
            except DomainError as error:
                show_error(error)
                return
            st.session_state["_new_codes"] = (round_.id, codes)
            st.success(T("rounds.created"), icon=":material/check:")
            if codes:  # right here: the round's card may be further down the list, or on another page
                code_slips(round_, codes, st, "new")


def code_slips(round_: rounds.Round, codes: list[str], where, key: str) -> None:
    """The code slips to print, and the warning that the codes are shown only now."""
    pdf = exports.code_slips_pdf(round_.title, codes, T("rounds.slip_intro", link=round_link(round_)))
    where.download_button(T("rounds.codes_pdf"), pdf, f"servicetjek-koder-{round_.id}.pdf", "application/pdf",
                          key=f"codes_pdf_{key}_{round_.id}", icon=":material/print:", on_click="ignore")
    st.warning(T("rounds.codes_once"), icon=":material/warning:")


def show_qr(round_: rounds.Round, link: str) -> None:
    """The QR code big enough to scan from a projector, drawn only when asked for."""
    st.image(exports.qr_png(link), width=420)
    codes = f" {T('rounds.qr_code_needed')}" if round_.access_mode == "codes" else ""  # the form asks for it
    st.markdown(f"**{T('rounds.qr_scan')}**{codes}")
    st.code(link, language=None, wrap_lines=True)
    # The dialog is at most ~750 px wide; the projector view fills the whole screen.
    st.link_button(T("rounds.qr_fullscreen"), f"{base_url()}/?qr={round_.token}&lang={lang()}",
                   icon=":material/fullscreen:", type="primary")


def share(round_: rounds.Round) -> None:
    link = round_link(round_)
    st.code(link, language=None, wrap_lines=True)
    show, png, svg, slips = st.columns(4)
    if round_.state() != "closed" and show.button(T("rounds.qr_show"), key=f"qr_show_{round_.id}",
                                                  icon=":material/qr_code_scanner:"):
        st.dialog(md(round_.title), width="large")(show_qr)(round_, link)
    png.download_button(T("rounds.qr_png"), lambda: exports.qr_png(link), f"servicetjek-qr-{round_.id}.png",
                        "image/png", key=f"qr_png_{round_.id}", icon=":material/qr_code_2:", on_click="ignore")
    svg.download_button(T("rounds.qr_svg"), lambda: exports.qr_svg(link), f"servicetjek-qr-{round_.id}.svg",
                        "image/svg+xml", key=f"qr_svg_{round_.id}", icon=":material/qr_code_2:", on_click="ignore")
    new_codes = st.session_state.get("_new_codes")
    if round_.access_mode == "codes" and new_codes and new_codes[0] == round_.id:
        code_slips(round_, new_codes[1], slips, "card")


def stuffing_warnings(round_: rounds.Round, count: int, headcount: int | None) -> None:
    if headcount and count > headcount:
        st.warning(T("rounds.overcount", count=count, headcount=headcount), icon=":material/warning:")
    fast = rounds.fast_answers(db(), round_.id)
    if fast:
        st.warning(T("rounds.fast", n=fast, s=rounds.MIN_READING_SECONDS), icon=":material/speed:")


def round_card(user, round_: rounds.Round, departments) -> None:
    state = round_.state()
    count = rounds.response_count(db(), round_.id)
    dept = next((d for d in departments if d.id == round_.department_id), None)
    rate = rounds.response_rate(count, dept.headcount if dept else None)
    with st.container(border=True):
        head, badge = st.columns([4, 1])
        head.markdown(f"**{md(round_.title)}** · {md(org.path_name(departments, round_.department_id))}")
        badge.badge(T(f"rounds.state_{state}"), color={"open": "green", "upcoming": "blue", "closed": "gray"}[state])
        if rounds.is_workshop(db(), round_.id):  # never mistaken for an anonymous round
            badge.badge(T("rounds.workshop_badge"), color="orange", icon=":material/visibility:")
        opens = rounds.utc_to_local(round_.opens_at).strftime("%d.%m.%Y %H:%M")
        closes = rounds.utc_to_local(round_.closes_at).strftime("%d.%m.%Y %H:%M")
        st.caption(T("rounds.period", opens=opens, closes=closes))
        m1, m2, m3 = st.columns(3)
        m1.metric(T("rounds.answers"), count)
        m2.metric(T("rounds.rate"), f"{rate:.0%}" if rate is not None else "–")
        if round_.access_mode == "codes":
            used, total = rounds.codes_used(db(), round_.id)
            m3.metric(T("rounds.codes_used"), f"{used} / {total}")
        stuffing_warnings(round_, count, dept.headcount if dept else None)
        share(round_)
        try:
            if state != "closed" and st.button(T("rounds.close"), key=f"close_{round_.id}",
                                               icon=":material/stop_circle:"):
                rounds.close(db(), user, round_.id)
                st.rerun()
            if state == "closed" and st.button(T("rounds.reopen"), key=f"reopen_{round_.id}",
                                               icon=":material/play_circle:"):
                rounds.reopen(db(), user, round_.id, clock.local_now().replace(tzinfo=None)
                              + timedelta(days=7))
                st.rerun()
        except DomainError as error:
            show_error(error)


def main() -> None:
    user = require(access.MANAGE_ROUNDS)
    rounds.settle_due(db())  # rounds that ran out by the clock show as settled, not half-closed
    st.title(T("rounds.page_title"))
    st.caption(T("rounds.page_intro"))
    create_form(user)
    departments = org.all_departments(db())
    mine = access.allowed_departments(user, access.MANAGE_ROUNDS, departments)
    listed = rounds.for_departments(db(), mine)
    if not listed:
        st.info(T("rounds.empty"), icon=":material/info:")
        return
    # Fifty units' rounds: filter by unit (with its sub-units) and state, ten at a time.
    labels = org.menu_labels(departments)
    c1, c2 = st.columns([2, 3])
    units = [None] + [d.id for d, _ in org.ordered_tree(departments) if d.id in mine]
    unit = c1.selectbox(T("rounds.filter_unit"), units, key="rounds_unit",
                        format_func=lambda i: T("rounds.filter_all") if i is None else labels[i])
    with c1:
        whole_choice(labels.get(unit), "rounds_unit")
    states = c2.segmented_control(T("rounds.filter_state"), ["open", "upcoming", "closed"], selection_mode="multi",
                                  key="rounds_state", format_func=lambda s: T(f"rounds.state_{s}"))
    chosen = listing.filter_rounds(listed, departments, unit, set(states or ()))
    if not chosen:
        st.info(T("rounds.filter_none"), icon=":material/filter_alt_off:")
        return
    pages = listing.page(chosen, 1)[1]
    number = st.number_input(T("rounds.page", pages=pages), 1, pages, 1, key="rounds_page") if pages > 1 else 1
    shown, _ = listing.page(chosen, int(number))
    st.caption(T("rounds.showing", n=len(shown), of=len(chosen)))
    for round_ in shown:
        round_card(user, round_, departments)


main()
