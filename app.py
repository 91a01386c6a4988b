"""Pejlemærker: the Streamlit entry. Navigation and the shared frame; each page is a thin file in
pages/ that reads its widgets, calls ``kpis`` and renders. Start it with ``bash scripts/start``.
"""

import streamlit as st

from pages._frame import current_snapshot, render_sidebar

st.set_page_config(page_title="Pejlemærker", page_icon="🧭", layout="wide")

_, info = current_snapshot()
render_sidebar(info)

pages = [
    st.Page("pages/oversigt_data.py", title="Data", icon="🗂️", default=True),
]
st.navigation(pages).run()
