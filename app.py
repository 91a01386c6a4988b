"""Pejlemærker: the Streamlit entry. Navigation and the shared frame; each page is a thin file in
pages/ that reads its widgets, calls ``kpis`` and renders. Start it with ``bash scripts/start``.
"""

import streamlit as st

st.set_page_config(page_title="Pejlemærker", page_icon="🧭", layout="wide")

# Navigation first, before the heavy imports: until st.navigation is called (on a server's first
# run), Streamlit lists every file in pages/ by itself.
page = st.navigation(
    [
        st.Page("pages/overblik.py", title="Overblik", icon="🧭", default=True),
        st.Page("pages/noegletal.py", title="Nøgletal", icon="📈"),
        st.Page("pages/oversigt_data.py", title="Data", icon="🗂️"),
        st.Page("pages/afdeling.py", title="Teams og sagsbehandlere", icon="👥"),
        st.Page("pages/fristoversigt.py", title="Fristoversigt", icon="⏰"),
        st.Page("pages/sagsbelastning.py", title="Sagsbelastning", icon="📚"),
        st.Page("pages/katalog.py", title="Katalog", icon="📖"),
        st.Page("pages/definitioner.py", title="Nøgletalsdefinitioner", icon="✏️"),
    ]
)

from pages._frame import current_snapshot, render_sidebar

_, meta = current_snapshot()  # builds the demo on the very first start
render_sidebar(meta)
page.run()
