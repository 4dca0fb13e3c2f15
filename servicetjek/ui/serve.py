"""Start the Streamlit server for streamlit_app.py: `python -m servicetjek.ui.serve [options]`.

Streamlit still treats a `pages/` folder beside the main script as a v1 multipage app
and would serve each page script directly, skipping our frame (sign-in, role menu).
We use st.navigation (v2) only, so we switch that legacy detection off before the
server starts; streamlit_app.py refuses to run if it was started some other way.
"""

from __future__ import annotations

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


def warm_up() -> None:
    """Import what the pages use and open the database before the first visitor.

    Otherwise the first sessions of a burst all wait on Python's import lock while one
    of them imports streamlit-authenticator, and the first one also runs migrations.
    """
    # streamlit-authenticator itself must be imported inside the runtime (it declares a
    # component); its heavy dependencies can be loaded now.
    import bcrypt, captcha.image, cryptography.fernet, jwt, requests, yaml  # noqa: F401, E401, I001
    import altair, pandas, pyarrow  # noqa: F401, E401, I001 - charts and tables on the signed-in pages

    from servicetjek import content, db, rounds  # noqa: F401

    from servicetjek import settings

    content.validate_all()
    settings.cookie_key(db.get_db(), os.environ.get("SERVICETJEK_COOKIE_KEY"))  # create it before any visitor


def main(argv: list[str]) -> None:
    disable_pages_folder_detection()
    page_not_found_in_our_words()
    warm_up()
    from streamlit.web import cli

    cli.main(args=["run", str(APP), *argv], prog_name="streamlit")


if __name__ == "__main__":
    main(sys.argv[1:])
