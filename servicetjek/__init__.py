"""Servicetjek: the domain of the hybrid-work service check (no Streamlit here but ui/)."""
