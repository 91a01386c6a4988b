"""Pejlemærker: the Streamlit entry. Login, navigation per role and the shared frame; each page is a
thin file in pages/ that reads its widgets, calls ``kpis`` and renders. Start it with
``bash scripts/start``.

The menu shows each role its pages; what a role may see is enforced in ``kpis`` (every engine call
takes the user's scope), so the menu is convenience, not the lock.
"""

from pathlib import Path

import streamlit as st

st.set_page_config(page_title="Pejlemærker", page_icon="🧭", layout="wide")
# Contrast, focus ring and 200 % zoom (WCAG 2.1 AA): the few rules the theme cannot set.
st.html(Path(__file__).parent / "pages" / "_style.css")

from pages._access import note_refused_address, refused_address
from pages._auth import render_user_sidebar, require_login
from pages._frame import ensure_database
from pages._menu import PAGES, TITLES, pages_for
from pages._results import start_warm_up
from pages._widgets import danish_chrome

danish_chrome()  # Streamlit's own skip link and uploader button in Danish, also on the login


# The committee's default overview is computed in the background while the first visitor signs in
# (and again after each import): see pages/_results.py.
start_warm_up()

# The very first start builds the demo before the login form: its users sign in on its data only.
ensure_database()

# Nobody signed in gets the login form, under whatever address they opened.
user = require_login([Path(f).stem for f, *_ in PAGES])

# A typed or linked address outside the menu lands on the start page; it is said (and logged)
# above the page.
refused = refused_address(TITLES, {Path(f).stem for f, *_ in pages_for(user.role)})

# Navigation next, before the heavy imports: until st.navigation is called (on a server's first
# run), Streamlit lists every file in pages/ by itself.
page = st.navigation(
    [st.Page(f, title=title, icon=icon, default=i == 0)
     for i, (f, title, icon, _) in enumerate(pages_for(user.role))],
    # Always the whole menu: collapsed (more than twelve pages: the administrator's), Streamlit
    # hides the last under an English "View 3 more".
    expanded=True,
)

from pages._auth import sign_out_demo_user_beside_real_data
from pages._frame import render_sidebar, resolve_snapshot

# The one snapshot of this run, opened once: the sidebar and the page both read this one, even
# when an import replaces the file meanwhile (pages/_frame.py). A demo user sees it only when it
# is the demo's.
snapshot = resolve_snapshot()
sign_out_demo_user_beside_real_data(snapshot.meta.source)
render_sidebar(snapshot.meta)
render_user_sidebar(user)
note_refused_address(refused, TITLES, page.title)
page.run()
