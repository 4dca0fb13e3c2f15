"""Start the Streamlit server for streamlit_app.py: `python -m servicetjek.ui.serve [options]`.

Streamlit still treats a `pages/` folder beside the main script as a v1 multipage app
and would serve each page script directly, skipping our frame (sign-in, role menu).
We use st.navigation (v2) only, so we switch that legacy detection off before the
server starts; streamlit_app.py refuses to run if it was started some other way.
"""

from __future__ import annotations

import gc
import os
import sys

from streamlit.runtime.pages_manager import PagesManager

from servicetjek.paths import MAIN_SCRIPT as APP


def disable_pages_folder_detection() -> None:
    """Make every PagesManager treat this app as st.navigation-only (AppTest resets the flag)."""
    if getattr(PagesManager.__init__, "_servicetjek", False):
        return
    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    init._servicetjek = True
    PagesManager.__init__ = init
    PagesManager.uses_pages_directory = False


PAGE_NOT_FOUND = "_page_not_found"


def page_not_found_in_our_words() -> None:
    """Streamlit answers an unknown page address with an English "Page not found" dialog.

    Instead, note it in the session; the frame then says so in the user's language above the
    start page it shows (a page outside the user's role is "not found" too).
    """
    from streamlit.commands import navigation

    if getattr(navigation.send_page_not_found, "_servicetjek", False):
        return

    def note(ctx) -> None:
        ctx.session_state[PAGE_NOT_FOUND] = True

    note._servicetjek = True
    navigation.send_page_not_found = note
def install_front_middleware() -> None:
    """Host check, closed metrics and security headers on everything Streamlit serves.

    Streamlit 1.67 builds its Starlette app from create_streamlit_middleware(); ours goes
    first in that list, so it wraps every route, the websocket included (servicetjek/front.py).
    """
    from starlette.middleware import Middleware
    from streamlit.web.server.starlette import starlette_app

    from servicetjek.front import FrontMiddleware

    original = starlette_app.create_streamlit_middleware
    if getattr(original, "_servicetjek", False):
        return

    def create_middleware():
        return [Middleware(FrontMiddleware), *original()]

    create_middleware._servicetjek = True
    starlette_app.create_streamlit_middleware = create_middleware


def warm_up() -> None:
    """Import what the pages use and open the database before the first visitor.

    Otherwise the first sessions of a burst all wait on Python's import lock while one
    of them imports the sign-in libraries, and the first one also runs migrations.
    """
    # extra-streamlit-components must be imported inside the runtime (it declares a
    # component); the other sign-in libraries can be loaded now.
    import bcrypt, captcha.image, jwt  # noqa: F401, E401, I001
    import altair, pandas, pyarrow  # noqa: F401, E401, I001 - charts and tables on the signed-in pages

    from servicetjek import content, db, rounds

    from servicetjek import settings, users

    content.validate_all()
    database = db.get_db()
    rounds.recover(database)  # finish a close a crash interrupted; wipe orphaned holding files
    rounds.start_sweeper(database)
    warm_charts()
    settings.cookie_key(db.get_db(), os.environ.get("SERVICETJEK_COOKIE_KEY"))  # create it before any visitor
    if not is_follower():
        announce_setup_code(users.new_setup_code(db.get_db()))


# Python's collector checks every 700 new objects and scans the whole heap every few hundred
# thousand: with 200 sessions starting at once that is a full collection (~100 ms, all
# threads stopped) in nearly every staff meeting's burst (docs/benchmarks.md, "Garbage
# collection"). Fewer, later collections; the memory this costs is a few per cent.
GC_THRESHOLDS = (50_000, 20, 10)


def tune_garbage_collection() -> None:
    gc.set_threshold(*GC_THRESHOLDS)


def is_follower() -> bool:
    """An app server after the first of a cluster (servicetjek.front.AppServers)."""
    from servicetjek.front import FOLLOWER_ENV

    return os.environ.get(FOLLOWER_ENV) == "1"


def announce_setup_code(code: str | None) -> None:
    """On a fresh database, print the one-time code the first-admin form asks for.

    Only someone who can read the server's console can create the first administrator,
    however the instance is reachable (issue 12). The page never shows the code.
    """
    if code is None:
        return
    line = "=" * 72
    print(f"{line}\nServicetjek has no users yet. To create the first administrator, open the app and\n"
          f"enter this one-time setup code:\n\n    SETUP CODE: {code}\n\n"
          f"(valid until it is used or the server restarts)\n{line}", file=sys.stderr, flush=True)


def start_backups() -> None:
    """The server process's one backup thread (scheduled backups while the app runs)."""
    from servicetjek import backup, db
    from servicetjek.ui.common import secrets_section

    database = db.get_db()
    if is_follower() or database.engine != "duckdb":
        return  # PostgreSQL is backed up with its own tools (pg_dump)
    backup.start_scheduler(database, secrets_section("backup"))


def configure_logging() -> None:
    """Our own messages (backups, start-up) to stderr beside Streamlit's, at SERVICETJEK_LOG_LEVEL."""
    import logging

    logger = logging.getLogger("servicetjek")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(os.environ.get("SERVICETJEK_LOG_LEVEL", "INFO").upper())


def show_errors_in_our_words() -> None:
    """An uncaught error anywhere in a run (also in a widget callback that no page guards,
    such as a button calling a domain function directly) shows our message in the page's
    language instead of Streamlit's English error box: a full disk says so, anything else says
    that the last step may not have been saved. Streamlit still logs it with its traceback.
    Streamlit's `on_script_error` hook exists only for st.App, so the function both script
    and fragment runs call for an uncaught exception is wrapped."""
    from streamlit.runtime import fragment
    from streamlit.runtime.scriptrunner import exec_code

    original = exec_code.handle_user_script_exception
    if getattr(original, "_servicetjek", False):
        return

    def handle(ex, on_script_error):
        import streamlit as st

        from servicetjek.errors import StorageFull
        from servicetjek.ui.common import T

        if isinstance(ex, StorageFull):
            st.error(T(ex.key))
            return
        original(ex, lambda _: True)  # logged as Streamlit logs it; its own box left out
        st.error(T("errors.unexpected"))

    handle._servicetjek = True
    exec_code.handle_user_script_exception = handle
    fragment.handle_user_script_exception = handle


def warm_charts() -> None:
    """Pay the first chart's and table's one-time costs before the first manager does.

    The dashboard's first render after a start took ~14× a steady rerun (docs/benchmarks.md):
    Altair's chart classes, Streamlit's Vega-Lite and Arrow marshalling and DuckDB's first
    read of the answer columns all run once per process. Outside a script run Streamlit
    marshals the elements and sends them nowhere.
    """
    from datetime import datetime

    import streamlit as st
    from streamlit import config, logger

    from servicetjek import charts, db
    from servicetjek.content import THEME_IDS

    # Quietly: Streamlit warns about elements drawn outside a running app.
    config.set_option("global.showWarningOnDirectExecution", False)
    level = logger._global_log_level
    logger.set_log_level("error")

    names = {t: t for t in THEME_IDS}
    row = {t: 3.0 for t in THEME_IDS}
    specs = [charts.radar({"a": row, "b": row}, names, size=200),
             charts.heatmap([{"label": "a", "n": 5, **row}, {"label": "b", "n": 0, **dict.fromkeys(THEME_IDS)}],
                            names, "-"),
             charts.trend([{"title": "a", "opens_at": datetime(2026, 1, 1), **row}], names)]
    for spec in specs:
        st.vega_lite_chart(spec.to_dict(validate=False))
    st.dataframe([{"a": "x", "b": 1, "c": 1.5}])
    logger.set_log_level(level)
    averages = ", ".join(f"avg({t})" for t in THEME_IDS)
    db.get_db().query(f"SELECT round_id, count(*), {averages} FROM responses GROUP BY round_id")


def main(argv: list[str]) -> None:
    configure_logging()
    disable_pages_folder_detection()
    page_not_found_in_our_words()
    install_front_middleware()
    show_errors_in_our_words()
    warm_up()
    tune_garbage_collection()
    start_backups()
    from streamlit.web import cli

    cli.main(args=["run", str(APP), *argv], prog_name="streamlit")


if __name__ == "__main__":
    main(sys.argv[1:])
