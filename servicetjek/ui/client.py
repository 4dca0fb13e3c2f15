"""Who is on the other end, for in-memory limits only (sign-in throttle, answers per address).

Kept apart from auth.py so the anonymous rating page does not import the sign-in machinery.
"""

from __future__ import annotations

import ipaddress

import streamlit as st


def client_id() -> str:
    """The remote address, or behind a proxy on this host the address that proxy put last in
    X-Forwarded-For (earlier entries are the client's own claim). Streamlit reports a
    loopback peer as None; such clients share one key, "local"."""
    try:
        address = st.context.ip_address
        forwarded = st.context.headers.get("X-Forwarded-For") if address is None else None
    except (AttributeError, RuntimeError):  # no request (AppTest)
        address, forwarded = None, None
    if address is None and forwarded:
        address = forwarded.split(",")[-1].strip()
    try:
        return f"ip:{ipaddress.ip_address(address)}" if address else "local"
    except ValueError:
        return "local"
