"""The floor for benchmarks: a trivial one-button Streamlit page."""

import streamlit as st

if st.button("Klik"):
    st.write("ok")
