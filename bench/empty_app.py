"""Floor for benchmarks: an empty Streamlit page."""

import streamlit as st

st.write("")
