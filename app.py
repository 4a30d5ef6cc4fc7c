"""Casebase: ask the interviews, get answers where every claim cites a verbatim quote.

This file only sets up the page and the navigation; each page lives in views/
and calls the ``knowledge`` and ``ingest`` APIs through the helpers in ui/.
(Not ``pages/``: Streamlit auto-discovers that folder and flashes its file names
in the sidebar on every rerun before ``st.navigation`` replaces them.)
Run with ``make run`` (or ``streamlit run app.py``). Before any page runs, ui.auth.gate()
decides whether this session may see the interviews at all (see README, "Privacy and sign-in").
"""
from __future__ import annotations

import streamlit as st

# `ui`, `knowledge` and `ingest` are installed (make: `pip install -e .`); `streamlit run
# app.py` also puts this folder on sys.path.
from ui.auth import account_controls, gate

# Interview data is personal: nothing below runs, and no page or quote is sent to the
# browser, until the gate lets this session through (it stops the run otherwise).
gate()

PAGES = [
    st.Page("views/chat.py", title="Ask", icon=":material/forum:", default=True),
    st.Page("views/quotes.py", title="Quote finder", icon=":material/format_quote:"),
    st.Page("views/themes.py", title="Themes", icon=":material/grid_view:"),
    st.Page("views/interviews.py", title="Interviews", icon=":material/library_books:"),
    st.Page("views/ingest.py", title="Ingest", icon=":material/upload_file:"),
]

page = st.navigation(PAGES)
# A conversation reads best in a column; tables and full interviews want the width.
st.set_page_config(
    page_title=f"{page.title} · Casebase",
    page_icon=":material/forum:",
    layout="centered" if page.title == "Ask" else "wide",
)
account_controls()
page.run()
