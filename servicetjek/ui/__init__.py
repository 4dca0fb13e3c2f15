"""Shared Streamlit widgets: the only part of servicetjek that imports streamlit."""
