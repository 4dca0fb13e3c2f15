"""A round's QR code filling the whole screen, for a projector: `/?qr=<round token>`.

Drawn by the frame without menu or sidebar, like the rating form. It shows nothing the
rating link itself does not: the code encodes that link, which the room is meant to see.
"""

import base64
import html

import streamlit as st

from servicetjek import exports, rounds
from servicetjek.ui.common import T, base_url, db

# The code as large as the screen allows (the smaller of width and height), with the
# scan hint and the link as text below it for anyone who cannot use the camera.
STYLE = """<style>
.qr-screen { display: flex; flex-direction: column; align-items: center; text-align: center; }
.qr-screen img { width: min(94vw, calc(100vh - 11rem)); height: auto; image-rendering: pixelated; }
.qr-screen p { font-size: clamp(1rem, 2.4vh, 2rem); margin: 0.4rem 0 0; }
.qr-screen code { font-size: clamp(0.8rem, 1.8vh, 1.5rem); overflow-wrap: anywhere; }
.qr-screen h1 { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); }
header[data-testid="stHeader"] { display: none; }
.block-container { padding: 1rem 1rem 0 1rem !important; max-width: 100% !important; }
</style>"""


def render() -> None:
    token = st.query_params.get("qr")
    try:
        round_ = rounds.open_for_answers(db(), token)
    except rounds.SubmissionRefused as error:
        st.header(T("rate.title"))
        st.warning(T(error.key, **error.params), icon=":material/info:")
        return
    link = f"{base_url()}/?r={round_.token}"
    svg = base64.b64encode(exports.qr_svg(link)).decode()
    codes = f" {html.escape(T('rounds.qr_code_needed'))}" if round_.access_mode == "codes" else ""
    # Everything inside is ours or escaped: the round's title and the link go through html.escape.
    # The heading is for screen readers only: the screen itself is all code.
    st.html(f"""{STYLE}<div class="qr-screen"><h1>{html.escape(round_.title)}</h1>
<img src="data:image/svg+xml;base64,{svg}" alt="{html.escape(T('rounds.qr_alt', title=round_.title))}">
<p><strong>{html.escape(T('rounds.qr_scan'))}</strong>{codes}</p>
<p><code>{html.escape(link)}</code></p></div>""")
